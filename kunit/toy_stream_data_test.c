// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_stream_data": the byte stream of an open connection
 * (toy_stream_data.c, toy_stream_input.c, toy_stream_output.c).
 *
 * Receiving: data in order (across the wrap of the sequence space),
 * duplicates and overlaps, a gap, the receive window.  Sending: the write
 * queue freed by acknowledgments, a zero window, probed until it opens,
 * and small writes coalescing while the window holds them.  The peer is
 * played by injected frames and a tap on toy0: the fixture in
 * toy_stream_kunit.c, which all the toy_stream_* suites share.
 *
 * Sides.  The connection tests run on a client (connect() with O_NONBLOCK,
 * the test answers the SYN with SYN+ACK) and on a child accepted from a
 * listener (the test sends the SYN, reads the cookie off the SYN+ACK and
 * completes the handshake).
 *
 * What is expected: the brief of each case, else the rules written in
 * the toy_stream*.c files, else TCP's (RFC 9293).
 *
 * Timing: the retransmission timeout starts at 200 ms (TOY_RTO_INIT); a
 * test waits for a timer at most ten times as long.  Where data is in
 * flight, a timer may resend it while a test runs on a slow machine:
 * those resends are recognised and skipped (toy_conn_pop()), and
 * RetransSegs is then not checked exactly.
 */

#include <linux/jiffies.h>
#include <net/sock.h>

#include "toy_stream_kunit.h"

KUNIT_ARRAY_PARAM(toy_sides, toy_sides, toy_side_desc);

/*
 * In-order data is queued and acknowledged with ack = seq + len, across
 * the wrap of the sequence space, and read back intact.
 */
static void toy_stream_data_in_order(struct kunit *test)
{
	static const unsigned int sizes[] = { 500, 700, 300 };
	unsigned int i, total = 0;
	struct toy_conn c;
	u8 *buf;

	toy_conn_open(test, &c, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		toy_conn_data(&c, sizes[i]);
		total += sizes[i];
		KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), total);
	}
	/* PEER_ISN + 1 + 1500 wrapped past zero. */
	KUNIT_EXPECT_LT(test, c.rcv_nxt, PEER_ISN);

	buf = kunit_kmalloc(test, total + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, total + 1), (int)total);
	toy_expect_bytes(test, buf, PEER_ISN + 1, total);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, 1), -EAGAIN);
}

/*
 * The peer sends @len bytes from @seq; the socket must ack @ack, with
 * @flags (TOY_F_ACK, or TOY_TEST_ACK_DUP if all of it was old).
 */
static void toy_conn_resend(struct toy_conn *c, u32 seq, unsigned int len,
			    u32 ack, unsigned int flags)
{
	KUNIT_EXPECT_EQ(c->test, toy_conn_send(c, TOY_F_DATA | TOY_F_ACK, seq,
					       c->snd_una, len),
			NET_RX_SUCCESS);
	toy_conn_expect(c, flags, c->snd_nxt, ack, NULL);
}

/*
 * A duplicate is re-acknowledged (TOY_TEST_ACK_DUP) and not queued twice.
 * A segment that overlaps what arrived (a resend cut differently) gives
 * its new bytes only, once, whether or not the reader took the old ones
 * already.
 */
static void toy_stream_data_duplicate(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	u8 buf[3 * DATA_LEN];
	u32 start;
	int drops;

	toy_conn_open(test, &c, 0);
	start = c.rcv_nxt;
	toy_conn_data(&c, DATA_LEN);
	drops = atomic_read(&c.sock->sk->sk_drops);
	toy_kunit_mib_read(toy_kunit_tn(), &before);

	/* All of it again: nothing new. */
	toy_conn_resend(&c, start, DATA_LEN, c.rcv_nxt, TOY_TEST_ACK_DUP);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), (unsigned int)DATA_LEN);

	/* Half old, half new: the new half is taken. */
	c.rcv_nxt += DATA_LEN / 2;
	toy_conn_resend(&c, start + DATA_LEN / 2, DATA_LEN, c.rcv_nxt,
			TOY_F_ACK);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c),
			(unsigned int)(DATA_LEN + DATA_LEN / 2));
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			DATA_LEN + DATA_LEN / 2);
	toy_expect_bytes(test, buf, start, DATA_LEN + DATA_LEN / 2);

	/* The same once the reader has taken the old half. */
	c.rcv_nxt += DATA_LEN / 2;
	toy_conn_resend(&c, start + DATA_LEN, DATA_LEN, c.rcv_nxt, TOY_F_ACK);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), (unsigned int)DATA_LEN / 2);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			DATA_LEN / 2);
	toy_expect_bytes(test, buf, start + DATA_LEN + DATA_LEN / 2,
			 DATA_LEN / 2);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), -EAGAIN);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.sock->sk->sk_drops), drops);
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
}

/*
 * A segment after a gap is kept out of order (OfoQueue) and the gap's
 * start acknowledged again (a duplicate ACK); the segment that fills the
 * gap is acknowledged together with it, and the reader gets both, in
 * order.  A resend of the kept segment is then a mere duplicate.
 */
static void toy_stream_data_gap(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	struct toy_snap s;
	u8 buf[3 * DATA_LEN];
	u32 start;

	toy_conn_open(test, &c, 0);
	start = c.rcv_nxt;
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	toy_conn_resend(&c, start + DATA_LEN, DATA_LEN, start, TOY_F_ACK);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 1U);
	KUNIT_EXPECT_EQ(test, s.rcv_nxt, start);

	c.rcv_nxt += 2 * DATA_LEN;
	toy_conn_resend(&c, start, DATA_LEN, c.rcv_nxt, TOY_F_ACK);
	toy_conn_resend(&c, start + DATA_LEN, DATA_LEN, c.rcv_nxt,
			TOY_TEST_ACK_DUP);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.ofo_queue, 0U);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 2U * DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)),
			2 * DATA_LEN);
	toy_expect_bytes(test, buf, start, 2 * DATA_LEN);
	delta.v[TOY_MIB_OFOQUEUE] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
}

/*
 * The receive window: what was advertised fits exactly, one byte more is
 * dropped (WindowDrops, sk_drops) and the old edge acknowledged; reading
 * reopens the window, with an update ACK once it has at least doubled
 * (a shut window: always; the memory/payload ratio decides the size).
 */
static void toy_stream_data_window(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_conn c;
	struct toy_seg seg;
	struct toy_snap s;
	unsigned int win, next;
	int drops;
	u32 start;
	u8 *buf;

	toy_conn_open(test, &c, 4096);
	toy_snap(c.sock, &s);
	win = s.rcv_edge - s.rcv_nxt;
	KUNIT_ASSERT_EQ(test, win, c.adv * TOY_WINDOW_UNIT);
	KUNIT_ASSERT_GT(test, win, 0U);
	KUNIT_ASSERT_LT(test, win, (unsigned int)TOY_MAX_PAYLOAD);
	start = c.rcv_nxt;
	drops = atomic_read(&c.sock->sk->sk_drops);

	/* One byte beyond the edge. */
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK, start,
					    c.snd_una, win + 1),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, start, NULL);
	delta.v[TOY_MIB_WINDOWDROPS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
	KUNIT_EXPECT_EQ(test, atomic_read(&c.sock->sk->sk_drops), drops + 1);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);

	/* Exactly up to the edge. */
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK, start,
					    c.snd_una, win), NET_RX_SUCCESS);
	c.rcv_nxt += win;
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, &seg);
	memset(&delta, 0, sizeof(delta));
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), win);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.rcv_edge,
			c.rcv_nxt + seg.window * TOY_WINDOW_UNIT);

	/* The window that ACK advertised, plus one byte: dropped too. */
	next = seg.window * TOY_WINDOW_UNIT + 1;
	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    c.rcv_nxt, c.snd_una, next),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	delta.v[TOY_MIB_WINDOWDROPS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), win);

	/* Reading frees the buffer; the window reopens. */
	buf = kunit_kmalloc(test, win + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	next = seg.window;
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, win + 1), (int)win);
	toy_expect_bytes(test, buf, start, win);
	if (toy_conn_pop(&c, &seg)) {
		KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_ACK);
		KUNIT_EXPECT_EQ(test, seg.seq, c.snd_nxt);
		KUNIT_EXPECT_EQ(test, seg.ack, c.rcv_nxt);
		KUNIT_EXPECT_GE(test, seg.window, 2 * next);
		KUNIT_EXPECT_GT(test, seg.window, 0U);
		toy_snap(c.sock, &s);
		KUNIT_EXPECT_EQ(test, s.rcv_edge,
				c.rcv_nxt + seg.window * TOY_WINDOW_UNIT);
	} else {
		KUNIT_EXPECT_NE_MSG(test, next, 0U,
				    "a shut window reopened without an update");
	}
	toy_conn_expect_none(&c);
}

/*
 * Acknowledgments free the write queue, whole segments only: an ACK into
 * the middle of the first segment frees nothing, one at its end frees it,
 * a full one everything (sk_wmem_queued back to 0, the timer stopped).
 */
static void toy_stream_write_queue(struct kunit *test)
{
	struct toy_conn c;
	struct toy_snap s;
	int queued;

	toy_conn_open(test, &c, 0);
	toy_conn_write(&c, DATA_LEN, NULL);
	toy_conn_write(&c, 2 * DATA_LEN, NULL);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 2U);
	KUNIT_EXPECT_GT(test, s.wmem_queued, 3 * DATA_LEN);
	KUNIT_EXPECT_EQ(test, s.write_seq - s.snd_una, 3U * DATA_LEN);
	KUNIT_EXPECT_TRUE(test, s.timer);
	queued = s.wmem_queued;

	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_una + DATA_LEN / 2, 0),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 2U);
	KUNIT_EXPECT_EQ(test, s.wmem_queued, queued);
	KUNIT_EXPECT_EQ(test, s.snd_una, c.snd_una + DATA_LEN / 2);

	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_una + DATA_LEN, 0),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 1U);
	KUNIT_EXPECT_GT(test, s.wmem_queued, 0);
	KUNIT_EXPECT_LT(test, s.wmem_queued, queued);
	KUNIT_EXPECT_EQ(test, s.snd_una, c.snd_una + DATA_LEN);
	KUNIT_EXPECT_TRUE(test, s.timer);

	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_EQ(test, s.wmem_queued, 0);
	KUNIT_EXPECT_EQ(test, s.snd_una, c.snd_nxt);
	KUNIT_EXPECT_EQ(test, s.write_seq, c.snd_nxt);
	KUNIT_EXPECT_FALSE(test, s.timer);
}

/*
 * The peer's window opens on @c, where DATA_LEN bytes (@buf) wait: they
 * leave at once, as one segment, and nothing else does.
 */
static void toy_stream_window_opens(struct kunit *test, struct toy_conn *c,
				    const u8 *buf)
{
	struct toy_seg seg;

	c->window = PEER_WIN;
	KUNIT_ASSERT_EQ(test, toy_conn_send(c, TOY_F_ACK, c->rcv_nxt,
					    c->snd_una, 0), NET_RX_SUCCESS);
	toy_conn_expect(c, TOY_F_DATA | TOY_F_ACK, c->snd_nxt, c->rcv_nxt,
			&seg);
	KUNIT_EXPECT_EQ(test, seg.len, (unsigned int)DATA_LEN);
	KUNIT_EXPECT_EQ(test, memcmp(seg.data, buf, DATA_LEN), 0);
	toy_conn_expect_none(c);
	c->snd_nxt += DATA_LEN;
	c->rexmit_ok = true;
	toy_conn_ack_all(c, TOY_ESTABLISHED);
}

/*
 * A zero window: the peer's window is shut from the handshake on (a
 * window once offered cannot be taken back: its right edge never moves
 * back, toy_stream_update_window()).  Data waits on the write queue,
 * never sent (snd_nxt stays), and a probe (an old sequence number, which
 * the peer must answer) goes out after the RTO; an answer shows the peer
 * alive (retries back to 0), and the data leaves as soon as the window
 * opens.
 */
static void toy_stream_zero_window(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	u8 buf[DATA_LEN];
	struct toy_conn c;
	struct toy_snap s;
	struct toy_seg seg;
	unsigned long sent;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	c.window = 0;
	toy_conn_establish(&c);
	toy_conn_heard(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.snd_wnd, 0U);
	KUNIT_EXPECT_FALSE(test, s.timer);

	toy_kunit_mib_read(toy_kunit_tn(), &before);
	toy_fill(buf, c.snd_nxt, sizeof(buf));
	sent = jiffies;
	KUNIT_ASSERT_EQ(test, toy_conn_write_raw(&c, buf, sizeof(buf)),
			DATA_LEN);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_seq - s.snd_una, (u32)DATA_LEN);
	KUNIT_EXPECT_EQ(test, s.snd_nxt, c.snd_nxt);
	KUNIT_EXPECT_TRUE(test, s.timer);

	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg, 10 * TOY_TEST_RTO),
			      "no window probe");
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_ACK);
	KUNIT_EXPECT_EQ(test, seg.seq, c.snd_una - 1);
	KUNIT_EXPECT_EQ(test, seg.ack, c.rcv_nxt);
	KUNIT_EXPECT_EQ(test, seg.len, 0U);
	KUNIT_EXPECT_GE(test, seg.when - sent, (unsigned long)TOY_TEST_RTO);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.snd_nxt, c.snd_nxt);

	/* The peer answers, still shut: it is alive, nothing is sent. */
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_una, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.retries, 0U);
	KUNIT_EXPECT_TRUE(test, s.timer);
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	/* The window opens: the data goes out at once. */
	toy_stream_window_opens(test, &c, buf);
}

/*
 * Small writes coalesce while the window holds them back: four writes
 * into a shut window make one segment (toy_stream_append()), which leaves
 * whole, its bytes in order, once the window opens.  Writes into an open
 * window leave one by one, and a segment once sent is never written to
 * (toy_stream_write_queue).
 */
static void toy_stream_coalesce(struct kunit *test)
{
	const unsigned int part = DATA_LEN / 4;
	u8 buf[DATA_LEN];
	struct toy_conn c;
	struct toy_snap s;
	int i;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	c.window = 0;
	toy_conn_establish(&c);
	toy_conn_heard(&c);
	toy_fill(buf, c.snd_nxt, sizeof(buf));
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, toy_conn_write_raw(&c, buf + i * part,
							 part), (int)part);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 1U);
	KUNIT_EXPECT_EQ(test, s.write_seq - s.snd_una, (u32)DATA_LEN);

	toy_stream_window_opens(test, &c, buf);
}

/*
 * Nagle's algorithm, with TOY_NODELAY off: a short write while data is
 * unacknowledged waits, and the next one joins it in the same segment;
 * the ACK that empties the flight sends the two as one.
 */
static void toy_stream_nagle(struct kunit *test)
{
	struct toy_conn c;
	struct toy_seg seg;
	struct toy_snap s;
	u8 buf[20];

	toy_conn_open(test, &c, 0);
	KUNIT_ASSERT_EQ(test, toy_conn_nodelay(c.sock, 0), 0);
	toy_conn_write(&c, DATA_LEN, NULL);	/* nothing in flight: it goes */
	toy_fill(buf, c.snd_nxt, sizeof(buf));
	KUNIT_ASSERT_EQ(test, toy_conn_write_raw(&c, buf, 10), 10);
	KUNIT_ASSERT_EQ(test, toy_conn_write_raw(&c, buf + 10, 10), 10);
	toy_conn_expect_none(&c);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.write_queue, 2U);	/* one held segment */
	KUNIT_EXPECT_EQ(test, s.write_seq - c.snd_nxt, 20U);

	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_nxt, 0), NET_RX_SUCCESS);
	c.snd_una = c.snd_nxt;
	toy_conn_expect(&c, TOY_F_DATA | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, &seg);
	KUNIT_EXPECT_EQ(test, seg.len, 20U);
	KUNIT_EXPECT_EQ(test, memcmp(seg.data, buf, sizeof(buf)), 0);
	c.snd_nxt += sizeof(buf);
}

/* What the socket did with a segment, seen before any timer could run. */
struct toy_delack_seen {
	bool	pending;	/* ack_pending: nothing acknowledged it yet */
	bool	timer;		/* the delayed-ACK timer is running */
	u32	unacked;	/* rcv_nxt - rcv_wup */
};

/*
 * The peer sends @len bytes in order (with @flags as well as DATA|ACK);
 * @seen is what the socket then owes.  Bottom halves stay off from the
 * injection to the look, so the delayed-ACK timer, armed on this CPU,
 * cannot have fired in between; with @stop it never will, and only a
 * read or a later segment can acknowledge.
 */
static void toy_delack_send(struct toy_conn *c, unsigned int flags,
			    unsigned int len, bool stop,
			    struct toy_delack_seen *seen)
{
	struct toy_frm f = { TOY_F_DATA | TOY_F_ACK | flags, c->rcv_nxt,
			     c->snd_una, len };
	struct sk_buff *skb = toy_conn_frame(c, &f);
	struct sock *sk = c->sock->sk;
	struct toy_stream_sock *st = toy_st(sk);
	int ret;

	local_bh_disable();
	ret = toy_kunit_inject(c->test, skb, toy_kunit_dev());
	seen->pending = READ_ONCE(st->ack_pending);
	seen->timer = timer_pending(&st->delack_timer);
	seen->unacked = READ_ONCE(st->rcv_nxt) - READ_ONCE(st->rcv_wup);
	if (stop)
		sk_stop_timer(sk, &st->delack_timer);
	local_bh_enable();
	KUNIT_EXPECT_EQ(c->test, ret, NET_RX_SUCCESS);
	c->rcv_nxt += len + !!(flags & TOY_F_FIN);
}

/* Wait until no delayed-ACK timer is pending (it fired, or was stopped). */
static void toy_delack_wait_idle(struct toy_conn *c)
{
	struct toy_stream_sock *st = toy_st(c->sock->sk);
	unsigned long end = jiffies + TOY_KUNIT_WAIT;

	while (timer_pending(&st->delack_timer) && time_before(jiffies, end))
		usleep_range(1000, 2000);
	KUNIT_EXPECT_FALSE(c->test, timer_pending(&st->delack_timer));
}

/*
 * Delayed ACKs (RFC 1122 4.2.3.2): one segment is not acknowledged at
 * once, but by the timer, within TOY_DELACK; a second one is, together
 * with the first, and the timer, when it fires, has nothing left to send.
 */
static void toy_stream_delack(struct kunit *test)
{
	struct toy_delack_seen seen;
	struct toy_conn c;
	struct toy_seg seg;

	toy_conn_open(test, &c, 0);
	KUNIT_ASSERT_EQ(test, toy_conn_quickack(c.sock, 0), 0);

	toy_delack_send(&c, 0, DATA_LEN, false, &seen);
	KUNIT_EXPECT_TRUE(test, seen.pending);
	KUNIT_EXPECT_TRUE(test, seen.timer);
	KUNIT_EXPECT_EQ(test, seen.unacked, (u32)DATA_LEN);
	KUNIT_ASSERT_TRUE(test, toy_conn_wait(&c, &seg, TOY_KUNIT_WAIT));
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_ACK);
	KUNIT_EXPECT_EQ(test, seg.ack, c.rcv_nxt);

	toy_delack_send(&c, 0, DATA_LEN, false, &seen);
	KUNIT_EXPECT_TRUE(test, seen.pending);
	toy_delack_send(&c, 0, DATA_LEN, false, &seen);
	KUNIT_EXPECT_FALSE(test, seen.pending);	/* more than a full segment */
	KUNIT_EXPECT_EQ(test, seen.unacked, 0U);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	toy_delack_wait_idle(&c);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 3U * DATA_LEN);
}

/*
 * A read does not acknowledge by itself, even one that empties the queue
 * (the timer is stopped here, so nothing else could): the ACK stays owed
 * until the timer.  A segment that uses more than half the window last
 * offered (a small receive buffer) is acknowledged at once.
 */
static void toy_stream_delack_read(struct kunit *test)
{
	struct toy_stream_sock *st;
	struct toy_delack_seen seen;
	struct toy_conn c;
	u8 buf[DATA_LEN];
	u32 half;

	toy_conn_open(test, &c, 4096);
	st = toy_st(c.sock->sk);
	KUNIT_ASSERT_EQ(test, toy_conn_quickack(c.sock, 0), 0);
	toy_delack_send(&c, 0, DATA_LEN, true, &seen);
	KUNIT_EXPECT_TRUE(test, seen.pending);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, DATA_LEN), DATA_LEN);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(st->ack_pending));
	sk_reset_timer(c.sock->sk, &st->delack_timer, jiffies);
	toy_delack_wait_idle(&c);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);

	half = (READ_ONCE(st->rcv_edge) - c.rcv_nxt) / 2;
	KUNIT_ASSERT_GT(test, half, (u32)DATA_LEN);
	toy_delack_send(&c, 0, half + 1, true, &seen);
	KUNIT_EXPECT_FALSE(test, seen.pending);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
}

/*
 * Loss detection never waits for the timer: a segment past a hole is
 * answered at once (the duplicate ACK), and so is the one that fills it;
 * so are data the window cannot take (dropped) and a FIN.  TOY_QUICKACK,
 * switched on, sends an owed ACK at once.
 */
static void toy_stream_delack_at_once(struct kunit *test)
{
	struct toy_delack_seen seen;
	u32 hole = DATA_LEN, win;
	struct toy_conn c;

	toy_conn_open(test, &c, 4096);
	KUNIT_ASSERT_EQ(test, toy_conn_quickack(c.sock, 0), 0);

	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    c.rcv_nxt + hole, c.snd_una,
					    DATA_LEN), NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	toy_delack_send(&c, 0, hole, true, &seen);
	KUNIT_EXPECT_FALSE(test, seen.pending);
	c.rcv_nxt += DATA_LEN;	/* the segment past the hole, now in order */
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);

	toy_delack_send(&c, 0, DATA_LEN, true, &seen);
	KUNIT_EXPECT_TRUE(test, seen.pending);
	toy_conn_expect_none(&c);
	KUNIT_ASSERT_EQ(test, toy_conn_quickack(c.sock, 1), 0);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);

	KUNIT_ASSERT_EQ(test, toy_conn_quickack(c.sock, 0), 0);
	win = READ_ONCE(toy_st(c.sock->sk)->rcv_edge) - c.rcv_nxt;
	KUNIT_ASSERT_LT(test, win, (u32)TOY_MAX_PAYLOAD);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    c.rcv_nxt, c.snd_una, win + 1),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);

	toy_delack_send(&c, TOY_F_FIN, DATA_LEN, true, &seen);
	KUNIT_EXPECT_FALSE(test, seen.pending);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	toy_expect_state(test, c.sock, TOY_CLOSE_WAIT);
}

static struct kunit_case toy_stream_data_test_cases[] = {
	KUNIT_CASE_PARAM(toy_stream_data_in_order, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_data_duplicate, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_data_gap, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_data_window, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_write_queue, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_nagle, toy_sides_gen_params),
	KUNIT_CASE(toy_stream_zero_window),
	KUNIT_CASE(toy_stream_coalesce),
	KUNIT_CASE_PARAM(toy_stream_delack, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_delack_read, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_delack_at_once, toy_sides_gen_params),
	{}
};

static int toy_stream_data_test_init(struct kunit *test)
{
	return toy_test_init_ports(test, TOY_KUNIT_DATA_PORT);
}

static struct kunit_suite toy_stream_data_test_suite = {
	.name = "toy_stream_data",
	.init = toy_stream_data_test_init,
	.test_cases = toy_stream_data_test_cases,
};

kunit_test_suite(toy_stream_data_test_suite);
