// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_stream_retransmit": what the peer does not acknowledge
 * is sent again (toy_stream_output.c, toy_stream_timer.c).
 *
 * The retransmission timeout and its backoff, fast retransmit on the
 * third duplicate ACK, a SYN resent until it is answered.  Recovery from
 * loss on a lossy link is the suite "toy_stream_loss".  The peer is played
 * by injected frames and a tap on toy0: the fixture in toy_stream_kunit.c,
 * which all the toy_stream_* suites share.
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
 * test waits for a timer at most ten times as long.  Fast retransmit must
 * be seen before the first timeout; if a slow machine lets it expire, the
 * case is skipped rather than failed.
 */

#include <linux/jiffies.h>

#include "toy_stream_kunit.h"

KUNIT_ARRAY_PARAM(toy_sides, toy_sides, toy_side_desc);

/*
 * Retransmission timeout: with no acknowledgment, the same segment goes
 * out again after the RTO, then again after twice as long (RetransSegs
 * and Timeouts count each); an ACK stops it all and resets the RTO - to
 * the initial one, as an ACK of a resent segment gives no round-trip
 * sample (Karn's rule).  A client first hears from its peer, so that the
 * timer is idle when the data goes out: until then it runs to resend the
 * SYN (toy_stream_confirm()), and the data would not restart it.
 */
static void toy_stream_rto(struct kunit *test)
{
	struct toy_seg first, seg;
	struct toy_kunit_mib m0, m;
	struct toy_conn c;
	struct toy_snap s;
	unsigned long sent;
	u32 seq;

	toy_conn_open(test, &c, 0);
	toy_conn_heard(&c);
	toy_kunit_mib_read(toy_kunit_tn(), &m0);
	seq = c.snd_nxt;
	sent = jiffies;
	toy_conn_write(&c, DATA_LEN, &first);
	c.rexmit_ok = false;	/* the resends are what is tested */

	KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg, 10 * TOY_TEST_RTO),
			      "no retransmission within %d jiffies",
			      10 * TOY_TEST_RTO);
	KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)(TOY_F_DATA | TOY_F_ACK));
	KUNIT_EXPECT_EQ(test, seg.seq, seq);
	KUNIT_EXPECT_EQ(test, seg.ack, c.rcv_nxt);
	KUNIT_EXPECT_EQ(test, seg.len, (unsigned int)DATA_LEN);
	KUNIT_EXPECT_EQ(test, memcmp(seg.data, first.data, DATA_LEN), 0);
	KUNIT_EXPECT_GE_MSG(test, seg.when - sent, (unsigned long)TOY_TEST_RTO,
			    "resent after %lu jiffies", seg.when - sent);
	toy_kunit_mib_read(toy_kunit_tn(), &m);
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_RETRANSSEGS] -
			m0.v[TOY_MIB_RETRANSSEGS], 1UL);
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_TIMEOUTS] - m0.v[TOY_MIB_TIMEOUTS],
			1UL);
	first.when = seg.when;

	/* Backoff: twice the timeout before the next try. */
	KUNIT_ASSERT_TRUE(test, toy_conn_wait(&c, &seg, 20 * TOY_TEST_RTO));
	KUNIT_EXPECT_EQ(test, seg.seq, seq);
	KUNIT_EXPECT_EQ(test, seg.len, (unsigned int)DATA_LEN);
	KUNIT_EXPECT_GE_MSG(test, seg.when - first.when,
			    (unsigned long)(2 * TOY_TEST_RTO),
			    "resent again after %lu jiffies",
			    seg.when - first.when);
	toy_kunit_mib_read(toy_kunit_tn(), &m);
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_RETRANSSEGS] -
			m0.v[TOY_MIB_RETRANSSEGS], 2UL);
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_TIMEOUTS] - m0.v[TOY_MIB_TIMEOUTS],
			2UL);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.retries, 2U);
	KUNIT_EXPECT_EQ(test, s.rto, (unsigned long)(4 * TOY_TEST_RTO));

	c.rexmit_ok = true;	/* a third try may race with the ACK */
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_FALSE(test, s.timer);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_EQ(test, s.retries, 0U);
	KUNIT_EXPECT_EQ(test, s.rto, (unsigned long)TOY_TEST_RTO);
}

/*
 * Fast retransmit: the third duplicate ACK resends the oldest segment
 * unacknowledged - the one the peer is missing, as what it got beyond it
 * waits in its out-of-order queue - without waiting for the timer, and
 * starts loss recovery (FastRetrans).  toy_stream_loss tests recovery.
 */
static void toy_stream_fast_retransmit(struct kunit *test)
{
	struct toy_kunit_mib m0, delta = {};
	struct toy_seg a, seg[2];
	unsigned int i, n[3];
	struct toy_conn c;
	unsigned long sent;
	struct toy_snap s;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	toy_conn_heard(&c);	/* the timer is idle until data goes out */
	sent = jiffies;
	toy_conn_write(&c, DATA_LEN, &a);
	toy_conn_write(&c, DATA_LEN, NULL);
	c.rexmit_ok = false;	/* the resends are what is tested */
	toy_kunit_mib_read(toy_kunit_tn(), &m0);

	/* Three duplicate ACKs: nothing new acked, same window, no data. */
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
						    c.snd_una, 0),
				NET_RX_SUCCESS);
		for (n[i] = 0; n[i] < ARRAY_SIZE(seg); n[i]++)
			if (!toy_conn_pop(&c, &seg[n[i]]))
				break;
	}
	if (time_after_eq(jiffies, sent + TOY_TEST_RTO))
		kunit_skip(test, "the RTO expired meanwhile: machine too slow");

	KUNIT_EXPECT_EQ_MSG(test, n[0], 0U, "answer to the first dup ACK");
	KUNIT_EXPECT_EQ_MSG(test, n[1], 0U, "answer to the second dup ACK");
	KUNIT_ASSERT_EQ_MSG(test, n[2], 1U, "resent after the third");
	KUNIT_EXPECT_EQ(test, seg[0].flags, a.flags);
	KUNIT_EXPECT_EQ(test, seg[0].seq, a.seq);
	KUNIT_EXPECT_EQ(test, seg[0].len, a.len);
	KUNIT_EXPECT_EQ(test, memcmp(seg[0].data, a.data, DATA_LEN), 0);
	delta.v[TOY_MIB_RETRANSSEGS] = 1;
	delta.v[TOY_MIB_FASTRETRANS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &m0, &delta);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_TRUE(test, s.in_recovery);
	KUNIT_EXPECT_EQ(test, s.high_seq, c.snd_nxt);
	KUNIT_EXPECT_EQ(test, s.write_queue, 2U);
}

/*
 * A timeout that fires while the user owns the socket (a recvmsg(), say)
 * runs from release_sock() - unless the timer was set again meanwhile.
 * Here the ACK of the first of two segments waits in the backlog while
 * the expiry is deferred: release_sock() takes the ACK first, which is
 * progress and restarts the timeout, so the expiry is out of date, and
 * resending the second segment then would be spurious (as TCP's
 * tcp_release_cb() checks icsk_timeout).  The check holds only if no
 * real timeout can have expired since the ACK: the case is skipped if
 * the machine took TOY_RTO_MIN.
 */
static void toy_stream_rto_overtaken(struct kunit *test)
{
	struct toy_kunit_mib m0, m;
	unsigned long acked;
	struct toy_conn c;
	bool deferred;

	toy_conn_open(test, &c, 0);
	toy_conn_heard(&c);	/* the timer is idle until data goes out */
	toy_conn_write(&c, DATA_LEN, NULL);
	toy_conn_write(&c, DATA_LEN, NULL);
	toy_kunit_mib_read(toy_kunit_tn(), &m0);
	deferred = toy_conn_expire_owned(&c);
	acked = jiffies;
	if (deferred)
		KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
						    c.snd_una + DATA_LEN, 0),
				NET_RX_SUCCESS);
	release_sock(c.sock->sk);
	toy_kunit_mib_read(toy_kunit_tn(), &m);
	KUNIT_ASSERT_TRUE_MSG(test, deferred, "the timer did not fire in %d jiffies",
			      TOY_KUNIT_WAIT);
	if (time_after_eq(jiffies, acked + TOY_RTO_MIN))
		kunit_skip(test, "TOY_RTO_MIN passed meanwhile: machine too slow");
	KUNIT_EXPECT_EQ_MSG(test, m.v[TOY_MIB_TIMEOUTS] - m0.v[TOY_MIB_TIMEOUTS],
			    0UL, "the out-of-date expiry ran");
	KUNIT_EXPECT_EQ(test, m.v[TOY_MIB_RETRANSSEGS] -
			m0.v[TOY_MIB_RETRANSSEGS], 0UL);
	c.snd_una += DATA_LEN;
	toy_conn_ack_all(&c, TOY_ESTABLISHED);
}

/*
 * SYN_SENT: an unanswered SYN is sent again, the same ISN, after the RTO
 * and then after twice as long.
 */
static void toy_stream_syn_retransmit(struct kunit *test)
{
	struct toy_conn c;
	struct toy_seg seg;
	unsigned long prev;
	int i;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	c.rexmit_ok = false;	/* the resends are what is tested */
	prev = c.syn_when;
	for (i = 1; i <= 2; i++) {
		KUNIT_ASSERT_TRUE_MSG(test, toy_conn_wait(&c, &seg,
							  10 * i * TOY_TEST_RTO),
				      "SYN not resent (try %d)", i);
		KUNIT_EXPECT_EQ(test, seg.flags, (unsigned int)TOY_F_SYN);
		KUNIT_EXPECT_EQ(test, seg.seq, c.isn);
		KUNIT_EXPECT_EQ(test, seg.ack, 0U);
		KUNIT_EXPECT_GE_MSG(test, seg.when - prev,
				    (unsigned long)(i * TOY_TEST_RTO),
				    "try %d after %lu jiffies", i,
				    seg.when - prev);
		prev = seg.when;
	}
	toy_expect_state(test, c.sock, TOY_SYN_SENT);
	c.rexmit_ok = true;
	toy_conn_establish(&c);
}

static struct kunit_case toy_stream_retransmit_test_cases[] = {
	KUNIT_CASE_PARAM(toy_stream_rto, toy_sides_gen_params),
	KUNIT_CASE(toy_stream_fast_retransmit),
	KUNIT_CASE_PARAM(toy_stream_rto_overtaken, toy_sides_gen_params),
	KUNIT_CASE(toy_stream_syn_retransmit),
	{}
};

static int toy_stream_retransmit_test_init(struct kunit *test)
{
	return toy_test_init_ports(test, TOY_KUNIT_RETRANS_PORT);
}

static struct kunit_suite toy_stream_retransmit_test_suite = {
	.name = "toy_stream_retransmit",
	.init = toy_stream_retransmit_test_init,
	.test_cases = toy_stream_retransmit_test_cases,
};

kunit_test_suite(toy_stream_retransmit_test_suite);
