// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_stream_loss": a stream on a lossy link (toy_stream_input.c,
 * toy_stream_ack.c, toy_stream_output.c, toy_stream_timer.c).
 *
 * The peer the test plays (the fixture of toy_stream_kunit.c) loses,
 * reorders and repeats segments, and forges acknowledgments, as netem and
 * a hostile peer would, and every answer of the socket is checked:
 *
 * - receiving: a segment past a hole waits in the out-of-order queue,
 *   bounded by SO_RCVBUF and dropped whole before in-window data is;
 * - sending: one retransmission per loss (NewReno: three duplicate ACKs,
 *   then one per partial ACK, duplicates ignored while recovering; a
 *   timeout resends the oldest segment only), the RTO from measured round
 *   trips, a window taken only from newer segments whose right edge never
 *   moves back, and no segment ever cut while a clone of it may still be
 *   in flight;
 * - the handshake: a SYN cookie that only the segment right after the SYN
 *   matches, and a client that asks again until the server has heard it.
 *
 * Timing: loss recovery by duplicate ACKs must be seen before the first
 * RTO (200 ms) expires; if a slow machine lets it expire, the case is
 * skipped rather than failed.  A test waits for a timer at most ten times
 * as long as it should take.
 */

#include <linux/jiffies.h>
#include <net/sock.h>

#include "toy_stream_kunit.h"

/* Segments in flight for the duplicate-ACK tests. */
#define LOSS_K		8
/* A segment large enough for page fragments (toy_linear_len()). */
#define BIG_LEN		60000

KUNIT_ARRAY_PARAM(toy_sides, toy_sides, toy_side_desc);

/* ---- helpers ------------------------------------------------------------ */

/*
 * Skip the case if the first RTO since @since may have expired: a timer's
 * resend would then be mixed with the ones that are tested.
 */
static void toy_loss_in_time(struct kunit *test, unsigned long since)
{
	if (time_after_eq(jiffies, since + TOY_TEST_RTO))
		kunit_skip(test, "the RTO expired meanwhile: machine too slow");
}

/*
 * Take every frame the socket sent so far.  Return: how many; the first
 * one in *@first (unless NULL).
 */
static unsigned int toy_loss_drain(struct toy_conn *c, struct toy_seg *first)
{
	struct toy_seg seg;
	unsigned int n = 0;

	while (toy_conn_pop(c, &seg)) {
		if (!n++ && first)
			*first = seg;
	}
	return n;
}

/*
 * The peer repeats its last acknowledgment @n times (nothing new acked, the
 * same window, no data).  Return: the frames the socket sent meanwhile;
 * the first in *@first.
 */
static unsigned int toy_loss_dupacks(struct toy_conn *c, unsigned int n,
				     struct toy_seg *first)
{
	unsigned int i, sent = 0;

	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(c->test, toy_conn_send(c, TOY_F_ACK, c->rcv_nxt,
						       c->snd_una, 0),
				NET_RX_SUCCESS);
		sent += toy_loss_drain(c, sent ? NULL : first);
	}
	return sent;
}

/* @seg is the data segment [@seq, @seq + @len) of the stream, intact. */
static void toy_loss_expect_data(struct kunit *test, const struct toy_seg *seg,
				 u32 seq, unsigned int len)
{
	KUNIT_EXPECT_EQ(test, seg->flags, (unsigned int)(TOY_F_DATA | TOY_F_ACK));
	KUNIT_EXPECT_EQ(test, seg->seq, seq);
	KUNIT_EXPECT_EQ(test, seg->len, len);
	KUNIT_EXPECT_TRUE(test, seg->valid);
	toy_expect_bytes(test, seg->data, seq, min_t(unsigned int, len,
						     DATA_LEN));
}

/* The peer sends @len bytes from @seq; the socket must ack @ack. */
static void toy_loss_segment(struct toy_conn *c, unsigned int flags, u32 seq,
			     unsigned int len, u32 ack)
{
	KUNIT_EXPECT_EQ(c->test, toy_conn_send(c, flags | TOY_F_ACK, seq,
					       c->snd_una, len),
			NET_RX_SUCCESS);
	toy_conn_expect(c, TOY_F_ACK, c->snd_nxt, ack, NULL);
}

/* ---- receiving: the out-of-order queue ---------------------------------- */

/*
 * Three segments and a FIN arrive in reverse order, the first segment
 * lost.  Each is kept out of order (OfoQueue, charged to sk_rmem_alloc,
 * nothing readable) and answered with a duplicate ACK; a resend of one
 * already kept is dropped (OfoDrops) and answered with a D-SACK.  When the first arrives, the ACK
 * covers everything, the FIN included, and the reader gets it all in
 * order, then the end of the stream.
 */
static void toy_loss_ofo_fill(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	u8 buf[3 * DATA_LEN + 1];
	struct toy_conn c;
	struct toy_snap s;
	u32 start;
	int drops;

	toy_conn_open(test, &c, 0);
	start = c.rcv_nxt;
	drops = atomic_read(&c.sock->sk->sk_drops);
	toy_kunit_mib_read(toy_kunit_tn(), &before);

	toy_loss_segment(&c, TOY_F_DATA, start + 2 * DATA_LEN, DATA_LEN, start);
	toy_loss_segment(&c, TOY_F_FIN, start + 3 * DATA_LEN, 0, start);
	toy_loss_segment(&c, TOY_F_DATA, start + DATA_LEN, DATA_LEN, start);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 3U);
	KUNIT_EXPECT_EQ(test, s.rcv_nxt, start);
	KUNIT_EXPECT_GT(test, s.rmem_alloc, 2 * DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);
	toy_expect_state(test, c.sock, TOY_ESTABLISHED);

	/* A resend of one already kept: a duplicate, flagged D-SACK, and
	 * not a drop of anything new.
	 */
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    start + DATA_LEN, c.snd_una,
					    DATA_LEN), NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_TEST_ACK_DUP, c.snd_nxt, start, NULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.sock->sk->sk_drops), drops);

	c.rcv_nxt = start + 3 * DATA_LEN + 1;
	toy_loss_segment(&c, TOY_F_DATA, start, DATA_LEN, c.rcv_nxt);
	toy_conn_expect_none(&c);
	toy_expect_state(test, c.sock, TOY_CLOSE_WAIT);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 0U);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 3U * DATA_LEN);
	delta.v[TOY_MIB_OFOQUEUE] = 3;
	delta.v[TOY_MIB_OFODROPS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			3 * DATA_LEN);
	toy_expect_bytes(test, buf, start, 3 * DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.rmem_alloc, 0);
}

/*
 * A resend cut bigger covers two segments already kept out of order: it
 * replaces them (OfoMerge frees them), and the reader still gets every
 * byte once, in order, when the hole before them is filled.
 */
static void toy_loss_ofo_cover(struct kunit *test)
{
	u8 buf[4 * DATA_LEN + 1];
	struct toy_conn c;
	struct toy_snap s;
	u32 start;

	toy_conn_open(test, &c, 0);
	start = c.rcv_nxt;
	toy_loss_segment(&c, TOY_F_DATA, start + 2 * DATA_LEN, DATA_LEN, start);
	toy_loss_segment(&c, TOY_F_DATA, start + 3 * DATA_LEN, DATA_LEN, start);
	toy_loss_segment(&c, TOY_F_DATA, start + DATA_LEN, 3 * DATA_LEN, start);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 1U);
	KUNIT_EXPECT_EQ(test, s.rcv_nxt, start);

	toy_loss_segment(&c, TOY_F_DATA, start, DATA_LEN, start + 4 * DATA_LEN);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 0U);
	KUNIT_ASSERT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			4 * DATA_LEN);
	toy_expect_bytes(test, buf, start, 4 * DATA_LEN);
}

/*
 * A segment past a hole that ends beyond the window advertised is not
 * kept (OfoDrops, sk_drops); the hole's start is acknowledged again.
 */
static void toy_loss_ofo_beyond_window(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	struct toy_snap s;
	int drops;

	toy_conn_open(test, &c, 0);
	toy_snap(c.sock, &s);
	drops = atomic_read(&c.sock->sk->sk_drops);
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	toy_loss_segment(&c, TOY_F_DATA, s.rcv_edge - DATA_LEN / 2, DATA_LEN,
			 c.rcv_nxt);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 0U);
	KUNIT_EXPECT_EQ(test, s.rmem_alloc, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.sock->sk->sk_drops), drops + 1);
	delta.v[TOY_MIB_OFODROPS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
}

/* The truesize the receiver is charged for one of the peer's segments. */
static unsigned int toy_loss_truesize(struct toy_conn *c, unsigned int len)
{
	struct toy_flow fl = { .type = TOY_TYPE_STREAM };
	struct sk_buff *skb;
	u8 *payload;

	payload = kunit_kzalloc(c->test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(c->test, payload);
	skb = toy_kunit_frame(c->test, &fl, payload, len);
	return skb->truesize;	/* freed with the test */
}

/*
 * The out-of-order queue is bounded by SO_RCVBUF: once it holds all it
 * may, another segment past the hole is dropped (OfoDrops).  And it never
 * costs in-window data its place: when the segment that fills the hole
 * finds the buffer taken by the queue, the queue is dropped whole
 * (OfoPruned) and the in-order segment taken; the sender resends the
 * rest, which then arrives in order.
 */
static void toy_loss_ofo_prune(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	unsigned int i, n, truesize;
	struct toy_conn c;
	struct toy_snap s;
	u32 start;
	u8 *buf;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 4096);
	toy_conn_establish(&c);
	toy_snap(c.sock, &s);
	start = c.rcv_nxt;
	truesize = toy_loss_truesize(&c, DATA_LEN);
	n = READ_ONCE(c.sock->sk->sk_rcvbuf) / truesize;
	KUNIT_ASSERT_GE(test, n, 1U);
	KUNIT_ASSERT_LE_MSG(test, (n + 2) * DATA_LEN, s.rcv_edge - start,
			    "%u segments of truesize %u do not fit the window",
			    n + 2, truesize);

	toy_kunit_mib_read(toy_kunit_tn(), &before);
	for (i = 1; i <= n + 1; i++)
		toy_loss_segment(&c, TOY_F_DATA, start + i * DATA_LEN, DATA_LEN,
				 start);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, n);
	KUNIT_EXPECT_LE(test, s.rmem_alloc, READ_ONCE(c.sock->sk->sk_rcvbuf));

	c.rcv_nxt = start + DATA_LEN;
	toy_loss_segment(&c, TOY_F_DATA, start, DATA_LEN, c.rcv_nxt);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 0U);
	delta.v[TOY_MIB_OFOQUEUE] = n;
	delta.v[TOY_MIB_OFODROPS] = 1;
	delta.v[TOY_MIB_OFOPRUNED] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	/* The sender's resends: taken in order, and read back whole. */
	for (i = 1; i <= n + 1; i++)
		toy_conn_data(&c, DATA_LEN);
	buf = kunit_kmalloc(test, (n + 2) * DATA_LEN + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, (n + 2) * DATA_LEN + 1),
			(int)((n + 2) * DATA_LEN));
	toy_expect_bytes(test, buf, start, (n + 2) * DATA_LEN);
}

/* ---- sending: loss recovery --------------------------------------------- */

/* An established connection with @k segments of DATA_LEN in flight. */
static void toy_loss_in_flight(struct kunit *test, struct toy_conn *c,
			       unsigned int k)
{
	unsigned int i;

	toy_conn_open(test, c, 0);
	toy_conn_heard(c);	/* a client's timer is idle until data goes */
	for (i = 0; i < k; i++)
		toy_conn_write(c, DATA_LEN, NULL);
	c->rexmit_ok = false;	/* the resends are what is tested */
}

/*
 * With LOSS_K segments in flight, LOSS_K duplicate ACKs (all but one
 * segment arrived, past a hole) cost exactly one retransmission: the
 * oldest segment, at the third (FastRetrans).  Go-back-N resent the whole
 * flight at every third, about LOSS_K^2 / 3 segments, and their ACKs fed
 * the storm.  A partial ACK then resends the next segment, duplicates
 * are still ignored, and the ACK of everything ends the recovery.
 */
static void toy_loss_dupacks_once(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	struct toy_seg seg;
	struct toy_snap s;
	unsigned long sent = jiffies;
	unsigned int n;
	u32 first;

	toy_loss_in_flight(test, &c, LOSS_K);
	first = c.snd_una;
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	n = toy_loss_dupacks(&c, LOSS_K, &seg);
	toy_loss_in_time(test, sent);
	KUNIT_ASSERT_EQ_MSG(test, n, 1U, "%u frames for %u duplicate ACKs", n,
			    LOSS_K);
	toy_loss_expect_data(test, &seg, first, DATA_LEN);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_TRUE(test, s.in_recovery);
	KUNIT_EXPECT_EQ(test, s.high_seq, c.snd_nxt);

	/* A partial ACK: the first arrived, the next is missing too. */
	c.snd_una += DATA_LEN;
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt, c.snd_una,
					    0), NET_RX_SUCCESS);
	n = toy_loss_drain(&c, &seg);
	KUNIT_EXPECT_EQ(test, toy_loss_dupacks(&c, LOSS_K, NULL), 0U);
	toy_loss_in_time(test, sent);
	KUNIT_ASSERT_EQ(test, n, 1U);
	toy_loss_expect_data(test, &seg, c.snd_una, DATA_LEN);

	c.rexmit_ok = true;
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_FALSE(test, s.in_recovery);
	KUNIT_EXPECT_FALSE(test, s.timer);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_EQ(test, s.wmem_queued, 0);
	delta.v[TOY_MIB_RETRANSSEGS] = 2;
	delta.v[TOY_MIB_FASTRETRANS] = 1;
	toy_conn_expect_mib(&c, &before, &delta);
}

/*
 * The link reordered: the resend that three duplicate ACKs set off comes
 * back flagged D-SACK, the peer had that segment already.  Nothing was
 * lost, so the recovery ends (SpuriousRetrans), and from now on it takes
 * twice as many duplicate ACKs to mean a loss.  A D-SACK outside a
 * recovery changes nothing.
 */
static void toy_loss_dsack_undo(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	struct toy_seg seg;
	struct toy_snap s;

	toy_loss_in_flight(test, &c, LOSS_K);
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_ASSERT_EQ(test, toy_loss_dupacks(&c, 3, &seg), 1U);
	toy_snap(c.sock, &s);
	KUNIT_ASSERT_TRUE(test, s.in_recovery);
	KUNIT_EXPECT_EQ(test, s.reordering, 3U);

	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK | TOY_F_DSACK,
					    c.rcv_nxt, c.snd_una, 0),
			NET_RX_SUCCESS);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_FALSE(test, s.in_recovery);
	KUNIT_EXPECT_EQ(test, s.reordering, 6U);

	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK | TOY_F_DSACK,
					    c.rcv_nxt, c.snd_una, 0),
			NET_RX_SUCCESS);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.reordering, 6U);
	KUNIT_EXPECT_EQ(test, toy_loss_drain(&c, NULL), 0U);

	c.rexmit_ok = true;
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	delta.v[TOY_MIB_RETRANSSEGS] = 1;
	delta.v[TOY_MIB_FASTRETRANS] = 1;
	delta.v[TOY_MIB_SPURIOUSRETRANS] = 1;
	toy_conn_expect_mib(&c, &before, &delta);
}

/*
 * A timeout resends the oldest segment only (Timeouts), not the whole
 * flight, and backs off: the next expiry comes twice as late and again
 * resends only the oldest.  snd_nxt did not move back, so an ACK of
 * everything sent before the timeouts is still valid and frees it all.
 */
static void toy_loss_rto_oldest(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_seg seg, again;
	struct toy_conn c;
	struct toy_snap s;
	unsigned long sent = jiffies;
	u32 first;

	toy_loss_in_flight(test, &c, 3);
	first = c.snd_una;
	toy_kunit_mib_read(toy_kunit_tn(), &before);

	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg, 10 * TOY_TEST_RTO),
			      "no retransmission");
	toy_loss_expect_data(test, &seg, first, DATA_LEN);
	KUNIT_EXPECT_GE(test, seg.when - sent, (unsigned long)TOY_TEST_RTO);
	/* The next frame is the next expiry's: the oldest again, later. */
	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &again,
						  20 * TOY_TEST_RTO),
			      "no second retransmission");
	toy_loss_expect_data(test, &again, first, DATA_LEN);
	KUNIT_EXPECT_GE(test, again.when - seg.when,
			(unsigned long)(2 * TOY_TEST_RTO));
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.rto, (unsigned long)(4 * TOY_TEST_RTO));
	KUNIT_EXPECT_EQ(test, s.retries, 2U);
	KUNIT_EXPECT_EQ(test, s.snd_nxt, c.snd_nxt);
	KUNIT_EXPECT_EQ(test, s.write_queue, 3U);

	c.rexmit_ok = true;	/* a third expiry may race with the ACK */
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_EQ(test, s.wmem_queued, 0);
	KUNIT_EXPECT_FALSE(test, s.in_recovery);
	KUNIT_EXPECT_FALSE(test, s.timer);
	delta.v[TOY_MIB_RETRANSSEGS] = 2;
	delta.v[TOY_MIB_TIMEOUTS] = 2;
	toy_conn_expect_mib(&c, &before, &delta);
}

/*
 * The RTO follows measured round trips (RFC 6298): after an ACK of a
 * segment sent once, SRTT is set and the RTO is within its bounds, and
 * the next retransmission waits that long.  An ACK of a resent segment
 * gives no sample (Karn's rule): SRTT stays.
 */
static void toy_loss_rtt(struct kunit *test)
{
	struct toy_conn c;
	struct toy_seg seg;
	struct toy_snap s;
	unsigned long rto, sent;
	u32 srtt;

	toy_loss_in_flight(test, &c, 1);
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_GT(test, s.srtt, 0U);
	KUNIT_EXPECT_GE(test, s.rto, (unsigned long)TOY_TEST_RTO_MIN);
	KUNIT_EXPECT_LE(test, s.rto, (unsigned long)TOY_TEST_RTO_MAX);
	rto = s.rto;
	srtt = s.srtt;

	sent = jiffies;
	toy_conn_write(&c, DATA_LEN, NULL);
	c.rexmit_ok = false;
	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg, 10 * TOY_TEST_RTO),
			      "no retransmission");
	toy_loss_expect_data(test, &seg, c.snd_una, DATA_LEN);
	KUNIT_EXPECT_GE(test, seg.when - sent, rto);

	c.rexmit_ok = true;
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.srtt, srtt);
	KUNIT_EXPECT_EQ(test, s.rto, rto);
}

/* ---- sending: the peer's window ----------------------------------------- */

/* The peer acknowledges @ack with sequence number @seq and window @win. */
static void toy_loss_window(struct toy_conn *c, u32 seq, u32 ack, u16 win)
{
	c->window = win;
	KUNIT_ASSERT_EQ(c->test, toy_conn_send(c, TOY_F_ACK, seq, ack, 0),
			NET_RX_SUCCESS);
	toy_conn_expect_none(c);
}

/* The socket's view of the peer's window, in bytes. */
static u32 toy_loss_snd_wnd(struct toy_conn *c)
{
	struct toy_snap s;

	toy_snap(c->sock, &s);
	return s.snd_wnd;
}

/*
 * The window is taken only from a segment newer than the one that last
 * set it (tcp_may_update_window()): a later sequence number, the same one
 * with a larger window (an update), or an ACK of new data.  A stale,
 * reordered ACK with a smaller window is ignored.  And the right edge
 * (snd_una + snd_wnd) never moves back, so data already sent never finds
 * itself outside the window.
 */
static void toy_loss_window_stale(struct kunit *test)
{
	const u32 unit = TOY_WINDOW_UNIT;
	struct toy_conn c;
	struct toy_snap s;
	u32 edge;

	toy_conn_open(test, &c, 0);
	toy_loss_window(&c, c.rcv_nxt, c.snd_nxt, 2 * PEER_WIN);
	KUNIT_EXPECT_EQ(test, toy_loss_snd_wnd(&c), 2 * PEER_WIN * unit);
	/* The same ACK again, reordered behind it: a smaller window. */
	toy_loss_window(&c, c.rcv_nxt, c.snd_nxt, PEER_WIN / 2);
	KUNIT_EXPECT_EQ(test, toy_loss_snd_wnd(&c), 2 * PEER_WIN * unit);
	/* A window update: same seq and ack, larger. */
	toy_loss_window(&c, c.rcv_nxt, c.snd_nxt, 4 * PEER_WIN);
	KUNIT_EXPECT_EQ(test, toy_loss_snd_wnd(&c), 4 * PEER_WIN * unit);

	/* Newer (after data from the peer) but smaller: the edge stays. */
	toy_conn_data(&c, DATA_LEN);
	toy_loss_window(&c, c.rcv_nxt, c.snd_nxt, PEER_WIN / 2);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.snd_wnd, 4 * PEER_WIN * unit);
	KUNIT_EXPECT_EQ(test, s.snd_wl1, c.rcv_nxt);
	KUNIT_EXPECT_EQ(test, s.max_wnd, 4 * PEER_WIN * unit);
	edge = s.snd_una + s.snd_wnd;

	/* Data acknowledged with a shut window: only the edge is left. */
	toy_conn_write(&c, DATA_LEN, NULL);
	toy_loss_window(&c, c.rcv_nxt, c.snd_nxt, 0);
	c.snd_una = c.snd_nxt;
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.snd_una, c.snd_nxt);
	KUNIT_EXPECT_EQ(test, s.snd_una + s.snd_wnd, edge);
	KUNIT_EXPECT_EQ(test, s.snd_wnd, 4 * PEER_WIN * unit - DATA_LEN);
}

/*
 * A pure ACK from beyond rcv_nxt (data of the peer we have not seen: a
 * reordered ACK, or one forged from a packet socket) brings its window
 * but must not make the peer's real, later updates look old.  Else a
 * forged "seq + 1" leaves snd_wl1 ahead of every pure ACK the peer will
 * ever send, and a window that closes never opens again: the probe's
 * answer is ignored too.
 */
static void toy_loss_window_seq_ahead(struct kunit *test)
{
	const u32 unit = TOY_WINDOW_UNIT;
	struct toy_conn c;
	struct toy_snap s;

	toy_conn_open(test, &c, 0);
	toy_loss_window(&c, c.rcv_nxt, c.snd_nxt, PEER_WIN);
	toy_loss_window(&c, c.rcv_nxt + 1, c.snd_nxt, 0);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.snd_wnd, PEER_WIN * unit);
	KUNIT_EXPECT_EQ(test, s.snd_wl1, c.rcv_nxt);
	/* The peer's reader made room: its update counts. */
	toy_loss_window(&c, c.rcv_nxt, c.snd_nxt, 4 * PEER_WIN);
	KUNIT_EXPECT_EQ(test, toy_loss_snd_wnd(&c), 4 * PEER_WIN * unit);
}

/*
 * While a process owns the socket, segments wait in its backlog, bounded
 * as TCP's by both buffers plus 64 KiB: the one that finds it full is
 * dropped and counted (BacklogDrops, sk_drops), for the sender to resend.
 * What did wait is processed when the owner lets go.
 */
static void toy_loss_backlog_full(struct kunit *test)
{
	struct toy_kunit_mib before, after;
	struct toy_conn c;
	struct toy_seg seg;
	struct sock *sk;
	int i, ret, drops;

	toy_conn_open(test, &c, 0);
	sk = c.sock->sk;
	WRITE_ONCE(sk->sk_sndbuf, SOCK_MIN_SNDBUF);
	WRITE_ONCE(sk->sk_rcvbuf, SOCK_MIN_RCVBUF);
	drops = atomic_read(&sk->sk_drops);
	toy_kunit_mib_read(toy_kunit_tn(), &before);

	lock_sock(sk);
	for (i = 0, ret = NET_RX_SUCCESS; i < 1000 && ret == NET_RX_SUCCESS; i++)
		ret = toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
				    c.rcv_nxt + i * DATA_LEN, c.snd_una,
				    DATA_LEN);
	KUNIT_EXPECT_EQ(test, ret, NET_RX_DROP);
	KUNIT_EXPECT_GT(test, i, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&sk->sk_drops), drops + 1);
	release_sock(sk);

	toy_kunit_mib_read(toy_kunit_tn(), &after);
	KUNIT_EXPECT_EQ(test, after.v[TOY_MIB_BACKLOGDROPS] -
			before.v[TOY_MIB_BACKLOGDROPS], 1UL);
	/* The first that waited was delivered once the owner let go. */
	KUNIT_EXPECT_GE(test, toy_conn_unread(&c), (unsigned int)DATA_LEN);
	while (toy_conn_pop(&c, &seg))
		;	/* its ACKs, and those of what did not fit */
}

/* Make the socket's timer expire now, @n times, each expiry run in full. */
static void toy_loss_expire(struct toy_conn *c, unsigned int n)
{
	bool fired;

	while (n--) {
		fired = toy_conn_expire_owned(c);
		release_sock(c->sock->sk);
		KUNIT_ASSERT_TRUE_MSG(c->test, fired,
				      "the timer did not fire in %d jiffies",
				      TOY_KUNIT_WAIT);
	}
}

/*
 * A SYN nobody answers is sent TOY_SYN_RETRIES times more, then connect()
 * fails with ETIMEDOUT, as TCP's after tcp_syn_retries.
 */
static void toy_loss_syn_gives_up(struct kunit *test)
{
	struct toy_conn c;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_loss_expire(&c, TOY_SYN_RETRIES);
	toy_expect_state(test, c.sock, TOY_SYN_SENT);
	toy_loss_expire(&c, 1);
	toy_expect_state(test, c.sock, TOY_CLOSE);
	KUNIT_EXPECT_EQ(test, sock_error(c.sock->sk), -ETIMEDOUT);
}

/*
 * A client that never hears from the server after its handshake stops
 * asking after TOY_SYN_RETRIES SYNs, and stays connected: the server may
 * still speak, or the client's data will tell it.
 */
static void toy_loss_confirm_gives_up(struct kunit *test)
{
	struct toy_conn c;
	struct toy_snap s;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	c.confirm_ok = true;
	toy_loss_expire(&c, TOY_SYN_RETRIES + 1);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_TRUE(test, s.heard);
	KUNIT_EXPECT_FALSE(test, s.timer);
	toy_expect_state(test, c.sock, TOY_ESTABLISHED);
}

/*
 * Data nobody acknowledges is resent for at least 100 s (RFC 1122's R2),
 * then the connection gives up with ETIMEDOUT: TOY_MAX_RETRIES expiries
 * pass with it still established, and the timeouts it backed off
 * through, the next one's included, add up to 100 s or more.
 */
static void toy_loss_data_gives_up(struct kunit *test)
{
	unsigned long waited = 0;
	struct toy_conn c;
	struct toy_seg seg;
	struct toy_snap s;
	unsigned int i;

	toy_loss_in_flight(test, &c, 1);
	c.rexmit_ok = true;
	for (i = 0; i < TOY_MAX_RETRIES; i++) {
		toy_snap(c.sock, &s);
		waited += s.rto;
		toy_loss_expire(&c, 1);
		while (toy_conn_pop(&c, &seg))
			;	/* the resends */
	}
	toy_expect_state(test, c.sock, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	waited += s.rto;
	KUNIT_EXPECT_GE(test, waited, 100UL * HZ);
	toy_loss_expire(&c, 1);
	toy_expect_state(test, c.sock, TOY_CLOSE);
	KUNIT_EXPECT_EQ(test, sock_error(c.sock->sk), -ETIMEDOUT);
	while (toy_conn_pop(&c, &seg))
		;	/* the RST */
}

/* ---- sending: clones of segments in flight (A1) ------------------------- */

/**
 * struct toy_clone - a clone of a queued segment, as a qdisc, a packet tap
 *	or a receive queue may hold one while the segment is in flight
 * @skb: the clone (test-managed)
 * @len: its length when taken
 * @nr_frags: its page fragments then
 * @csum: the checksum of its bytes then
 */
struct toy_clone {
	struct sk_buff	*skb;
	unsigned int	len;
	unsigned int	nr_frags;
	u32		csum;
};

/* Clone the head of the write queue, which must hold @len bytes. */
static void toy_clone_head(struct toy_conn *c, struct toy_clone *cl,
			   unsigned int len)
{
	struct kunit *test = c->test;
	struct sock *sk = c->sock->sk;
	struct sk_buff *skb;

	lock_sock(sk);
	skb = skb_peek(&sk->sk_write_queue);
	cl->skb = skb ? skb_clone(skb, GFP_KERNEL) : NULL;
	release_sock(sk);
	KUNIT_ASSERT_NOT_NULL(test, cl->skb);
	toy_kunit_skb_adopt(test, cl->skb);
	cl->len = cl->skb->len;
	cl->nr_frags = skb_shinfo(cl->skb)->nr_frags;
	cl->csum = (__force u32)skb_checksum(cl->skb, 0, cl->len, 0);
	KUNIT_ASSERT_EQ(test, cl->len, len);
	/* Only a segment with page fragments can lose them to a split. */
	KUNIT_ASSERT_GT(test, cl->nr_frags, 0U);
}

/* The clone still describes the bytes it had: nothing rewrote them. */
static void toy_clone_expect_intact(struct kunit *test,
				    const struct toy_clone *cl)
{
	KUNIT_EXPECT_EQ(test, cl->skb->len, cl->len);
	KUNIT_EXPECT_EQ(test, (unsigned int)skb_shinfo(cl->skb)->nr_frags,
			cl->nr_frags);
	/* Walks every fragment: BUG()s if they no longer cover len. */
	KUNIT_EXPECT_EQ(test,
			(__force u32)skb_checksum(cl->skb, 0, cl->skb->len, 0),
			cl->csum);
}

/* The write queue: @n segments, the first of @len bytes. */
static void toy_clone_expect_queue(struct toy_conn *c, unsigned int n,
				   unsigned int len)
{
	struct sock *sk = c->sock->sk;
	unsigned int head;

	lock_sock(sk);
	head = skb_queue_empty(&sk->sk_write_queue) ? 0 :
	       skb_peek(&sk->sk_write_queue)->len;
	KUNIT_EXPECT_EQ(c->test, skb_queue_len(&sk->sk_write_queue), n);
	release_sock(sk);
	KUNIT_EXPECT_EQ(c->test, head, len);
}

/*
 * A segment that was sent is never cut, so a clone of it still in flight
 * keeps its fragments (A1 in the 2026-11-29 review: cutting it rewrote the
 * clone's shared info and skb_checksum() hit BUG_ON).  The review's
 * recipe: forged ACKs shrinking the window to 1 KiB (ignored: stale, and
 * the edge never moves back), then duplicate ACKs (fast retransmit) and a
 * timeout: both resend the whole segment.
 */
static void toy_loss_clone_sent(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_clone cl;
	struct toy_conn c;
	struct toy_seg seg;
	unsigned long sent;
	unsigned int n;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	c.window = BIG_LEN / TOY_WINDOW_UNIT + 1;
	toy_conn_establish(&c);
	toy_conn_heard(&c);
	sent = jiffies;
	toy_conn_write(&c, BIG_LEN, NULL);
	c.rexmit_ok = false;
	toy_clone_head(&c, &cl, BIG_LEN);
	toy_kunit_mib_read(toy_kunit_tn(), &before);

	c.window = 1024 / TOY_WINDOW_UNIT;
	n = toy_loss_dupacks(&c, 4, &seg);
	c.window = BIG_LEN / TOY_WINDOW_UNIT + 1;
	n += toy_loss_dupacks(&c, 3, &seg);
	toy_loss_in_time(test, sent);
	KUNIT_ASSERT_EQ(test, n, 1U);
	toy_loss_expect_data(test, &seg, c.snd_una, BIG_LEN);
	toy_clone_expect_queue(&c, 1, BIG_LEN);
	toy_clone_expect_intact(test, &cl);

	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg, 10 * TOY_TEST_RTO),
			      "no retransmission");
	toy_loss_expect_data(test, &seg, c.snd_una, BIG_LEN);
	toy_clone_expect_queue(&c, 1, BIG_LEN);
	toy_clone_expect_intact(test, &cl);

	c.rexmit_ok = true;
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_clone_expect_queue(&c, 0, 0);
	delta.v[TOY_MIB_RETRANSSEGS] = 2;
	delta.v[TOY_MIB_FASTRETRANS] = 1;
	delta.v[TOY_MIB_TIMEOUTS] = 1;
	toy_conn_expect_mib(&c, &before, &delta);
}

/*
 * A segment never sent is cut to fit the window (toy_skb_split()), and a
 * clone of it made meanwhile keeps its fragments: the split unclones
 * first.  The two parts then go out as the window allows, and the write
 * queue's memory is all returned once they are acknowledged.
 */
static void toy_loss_clone_split(struct kunit *test)
{
	const unsigned int part = 1024;
	struct toy_clone cl;
	struct toy_conn c;
	struct toy_seg seg;
	struct toy_snap s;
	u32 start;
	u8 *buf;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	c.window = 0;
	toy_conn_establish(&c);
	toy_conn_heard(&c);
	start = c.snd_nxt;
	buf = kunit_kmalloc(test, BIG_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	toy_fill(buf, start, BIG_LEN);
	KUNIT_ASSERT_EQ(test, toy_conn_write_raw(&c, buf, BIG_LEN), BIG_LEN);
	toy_conn_expect_none(&c);
	toy_clone_head(&c, &cl, BIG_LEN);

	/* 1 KiB of window: the first KiB is cut off and sent. */
	c.window = part / TOY_WINDOW_UNIT;
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_una, 0), NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_DATA | TOY_F_ACK, start, c.rcv_nxt, &seg);
	toy_loss_expect_data(test, &seg, start, part);
	c.snd_nxt += part;
	c.rexmit_ok = true;
	toy_clone_expect_queue(&c, 2, part);
	toy_clone_expect_intact(test, &cl);

	/* It is acknowledged and the window opens: the rest, whole. */
	c.window = BIG_LEN / TOY_WINDOW_UNIT + 1;
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_nxt, 0), NET_RX_SUCCESS);
	c.snd_una = c.snd_nxt;
	toy_conn_expect(&c, TOY_F_DATA | TOY_F_ACK, c.snd_nxt, c.rcv_nxt,
			&seg);
	toy_loss_expect_data(test, &seg, start + part, BIG_LEN - part);
	c.snd_nxt += BIG_LEN - part;
	toy_clone_expect_intact(test, &cl);

	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_EQ(test, s.wmem_queued, 0);
}

/* ---- the handshake ------------------------------------------------------ */

/*
 * The listener keeps no state, so a client that has not heard from the
 * server since the handshake (its last ACK may be lost) asks again: its
 * timer runs, and resends its SYN (seq = snd_una - 1) after the RTO, then
 * twice as late.  No counter counts it.  Any ACK from the peer ends it.
 */
static void toy_loss_confirm(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_seg seg, again;
	unsigned long established;
	struct toy_conn c;
	struct toy_snap s;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	established = jiffies;
	toy_conn_establish(&c);
	c.confirm_ok = false;	/* the resends are what is tested */
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_TRUE(test, s.timer);
	KUNIT_EXPECT_FALSE(test, s.heard);

	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg, 10 * TOY_TEST_RTO),
			      "the client did not ask again");
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_SYN);
	KUNIT_EXPECT_EQ(test, seg.seq, s.snd_una - 1);
	KUNIT_EXPECT_EQ(test, seg.seq, c.isn);
	KUNIT_EXPECT_EQ(test, seg.ack, 0U);
	KUNIT_EXPECT_EQ(test, seg.len, 0U);
	KUNIT_EXPECT_GE(test, seg.when - established,
			(unsigned long)TOY_TEST_RTO);
	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &again,
						  20 * TOY_TEST_RTO),
			      "the client asked only once");
	KUNIT_EXPECT_EQ(test, again.flags, (unsigned int)TOY_F_SYN);
	KUNIT_EXPECT_EQ(test, again.seq, c.isn);
	KUNIT_EXPECT_GE(test, again.when - seg.when,
			(unsigned long)(2 * TOY_TEST_RTO));
	toy_expect_state(test, c.sock, TOY_ESTABLISHED);

	/* The child's challenge ACK (or any ACK) reaches it: over. */
	toy_conn_heard(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_FALSE(test, s.timer);
	KUNIT_EXPECT_EQ(test, s.retries, 0U);
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
}

/*
 * A4: the cookie covers the client's ISN.  With the client's first
 * segment lost, its second (seq = ISN + 1 + 100, the right cookie) must
 * not create a child that starts the stream with a hole: it is dropped
 * without a word (a pure ACK like it gets RST).  Nor does another ISN's
 * cookie fit.  The client's resend from its first byte creates the
 * child, and the second segment then arrives in order.
 */
static void toy_loss_listen_late(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	const u32 isn = PEER_ISN;
	struct socket *child;
	struct toy_conn c;
	u32 cookie, other;
	u8 buf[2 * DATA_LEN + 1];

	toy_listen_start(test, &c, 8);
	cookie = toy_listen_syn_isn(&c, isn);
	other = toy_listen_syn_isn(&c, isn + 1000);
	KUNIT_EXPECT_NE(test, other, cookie);
	toy_kunit_mib_read(toy_kunit_tn(), &before);

	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    isn + 1 + DATA_LEN, cookie + 1,
					    DATA_LEN), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, isn + 1 + DATA_LEN,
					    cookie + 1, 0), NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_RST | TOY_F_ACK, cookie + 1,
			isn + 1 + DATA_LEN, NULL);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, isn + 1, other + 1,
					    0), NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_RST | TOY_F_ACK, other + 1, isn + 1, NULL);
	KUNIT_EXPECT_EQ(test, toy_test_accept(test, c.listener, &child),
			-EAGAIN);
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	/* The resend from the first byte: the child, then in order. */
	c.snd_nxt = cookie + 1;
	c.snd_una = cookie + 1;
	toy_loss_segment(&c, TOY_F_DATA, isn + 1, DATA_LEN,
			 isn + 1 + DATA_LEN);
	toy_loss_segment(&c, TOY_F_DATA, isn + 1 + DATA_LEN, DATA_LEN,
			 isn + 1 + 2 * DATA_LEN);
	toy_conn_expect_none(&c);
	delta.v[TOY_MIB_PASSIVEOPENS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	KUNIT_ASSERT_EQ(test, toy_test_accept(test, c.listener, &child), 0);
	c.sock = child;
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			2 * DATA_LEN);
	toy_expect_bytes(test, buf, isn + 1, 2 * DATA_LEN);
}

static struct kunit_case toy_stream_loss_test_cases[] = {
	KUNIT_CASE_PARAM(toy_loss_ofo_fill, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_loss_ofo_cover, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_loss_ofo_beyond_window, toy_sides_gen_params),
	KUNIT_CASE(toy_loss_ofo_prune),
	KUNIT_CASE_PARAM(toy_loss_dupacks_once, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_loss_dsack_undo, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_loss_rto_oldest, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_loss_rtt, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_loss_window_stale, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_loss_window_seq_ahead, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_loss_backlog_full, toy_sides_gen_params),
	KUNIT_CASE(toy_loss_clone_sent),
	KUNIT_CASE(toy_loss_clone_split),
	KUNIT_CASE(toy_loss_confirm),
	KUNIT_CASE(toy_loss_syn_gives_up),
	KUNIT_CASE_PARAM(toy_loss_data_gives_up, toy_sides_gen_params),
	KUNIT_CASE(toy_loss_confirm_gives_up),
	KUNIT_CASE(toy_loss_listen_late),
	{}
};

static int toy_stream_loss_test_init(struct kunit *test)
{
	return toy_test_init_ports(test, TOY_KUNIT_LOSS_PORT);
}

static struct kunit_suite toy_stream_loss_test_suite = {
	.name = "toy_stream_loss",
	.init = toy_stream_loss_test_init,
	.test_cases = toy_stream_loss_test_cases,
};

kunit_test_suite(toy_stream_loss_test_suite);
