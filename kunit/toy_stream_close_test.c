// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_stream_close": the end of a connection (toy_stream.c).
 *
 * Passive, active and simultaneous close through every state on the way
 * (TIME_WAIT's length, a FIN resent into it), a reset in the window, and
 * close(): with unread data (RST), of an idle connection (the orphan
 * finishes on its own and frees its port), in CLOSE_WAIT, and an orphan
 * sent data that nobody will read.  The peer is played by injected frames
 * and a tap on toy0: the fixture in toy_stream_kunit.c, which all the
 * toy_stream_* suites share.
 *
 * Sides.  The connection tests run on a client (connect() with O_NONBLOCK,
 * the test answers the SYN with SYN+ACK) and on a child accepted from a
 * listener (the test sends the SYN, reads the cookie off the SYN+ACK and
 * completes the handshake).
 *
 * What is expected: the brief of each case, else the rules written in
 * the toy_stream*.c files, else TCP's (RFC 9293).
 *
 * Timing: TIME_WAIT lasts 500 ms (TOY_TIMEWAIT_LEN); a test waits for it
 * at most ten times as long.  Where a FIN or data is in flight, a timer
 * may resend it while a test runs on a slow machine: those resends are
 * recognised and skipped (toy_conn_pop()), and RetransSegs is then not
 * checked exactly.
 */

#include <linux/jiffies.h>
#include <net/sock.h>

#include "toy_stream_kunit.h"

#define SELF		(TOY_KUNIT_CLOSE_PORT + TOY_TEST_SELF)

KUNIT_ARRAY_PARAM(toy_sides, toy_sides, toy_side_desc);

/* The peer's FIN: CLOSE_WAIT, acknowledged; the reader gets EOF. */
static void toy_stream_passive_close(struct kunit *test)
{
	struct toy_conn c;
	struct toy_snap s;
	u8 buf[DATA_LEN];

	toy_conn_open(test, &c, 0);
	toy_conn_data(&c, DATA_LEN);
	toy_conn_fin(&c, TOY_CLOSE_WAIT);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), 0U);

	/* CLOSE_WAIT still sends. */
	toy_conn_write(&c, DATA_LEN, NULL);
	toy_conn_ack_all(&c, TOY_CLOSE_WAIT);

	toy_conn_shutdown(&c, TOY_LAST_ACK);
	toy_conn_ack_all(&c, TOY_CLOSE);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.err, 0);
	KUNIT_EXPECT_FALSE(test, s.timer);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
	toy_conn_expect_none(&c);
}

/*
 * The peer resends its last data with its FIN on top: the bytes are old,
 * only the FIN is new.  The FIN ends the stream; the old bytes are not
 * queued a second time, where no read would ever free them.
 */
static void toy_stream_stale_data_fin(struct kunit *test)
{
	struct toy_conn c;
	struct toy_snap s;
	u8 buf[DATA_LEN];
	u32 start;

	toy_conn_open(test, &c, 0);
	start = c.rcv_nxt;
	toy_conn_data(&c, DATA_LEN);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_FIN |
					    TOY_F_ACK, c.rcv_nxt - DATA_LEN,
					    c.snd_una, DATA_LEN),
			NET_RX_SUCCESS);
	c.rcv_nxt++;
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	toy_assert_state(test, c.sock, TOY_CLOSE_WAIT);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), DATA_LEN);
	toy_expect_bytes(test, buf, start, DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.rmem_alloc, 0);
	KUNIT_EXPECT_EQ(test, s.unread, 0U);
}

/*
 * Active close: FIN_WAIT1 --ACK--> FIN_WAIT2 --FIN--> TIME_WAIT, where a
 * resent FIN is acknowledged again and restarts the wait, data is ignored,
 * and the timer ends in CLOSE no sooner than TIME_WAIT's length.
 */
static void toy_stream_active_close(struct kunit *test)
{
	unsigned long restart, closed;
	struct toy_conn c;
	struct toy_snap s;
	u8 buf[DATA_LEN];

	toy_conn_open(test, &c, 0);
	toy_conn_shutdown(&c, TOY_FIN_WAIT1);
	toy_conn_ack_all(&c, TOY_FIN_WAIT2);
	/* Half closed: still receives. */
	toy_conn_data(&c, DATA_LEN);
	toy_conn_fin(&c, TOY_TIME_WAIT);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_TRUE(test, s.timer);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);

	/* The peer lost our ACK and resends its FIN. */
	restart = jiffies;
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_FIN | TOY_F_ACK,
					    c.rcv_nxt - 1, c.snd_nxt, 0),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    c.rcv_nxt, c.snd_nxt, DATA_LEN),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_expect_state(test, c.sock, TOY_TIME_WAIT);

	closed = toy_conn_wait_leave(&c, TOY_TIME_WAIT, 10 * TOY_TEST_TIMEWAIT);
	toy_assert_state(test, c.sock, TOY_CLOSE);
	KUNIT_EXPECT_GE_MSG(test, closed - restart,
			    (unsigned long)TOY_TEST_TIMEWAIT,
			    "TIME_WAIT ended after %lu jiffies", closed - restart);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.err, 0);
	KUNIT_EXPECT_FALSE(test, s.timer);
	toy_conn_expect_none(&c);
	/* The data before the FIN is there, then the end of the stream. */
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
}

/*
 * An expiry that a re-arm overtook is not acted on.  The callback can
 * start on one CPU while another sets the timer again (a resent FIN in
 * TIME_WAIT restarts the wait); it must then leave the socket to the new
 * expiry, as tcp_write_timer_handler() does when icsk_timeout moved on.
 * Played here by running the callback by hand while the timer is set.
 */
static void toy_stream_timer_overtaken(struct kunit *test)
{
	const enum toy_side *side = test->param_value;
	struct toy_stream_sock *st;
	struct toy_conn c;
	struct sock *sk;

	toy_conn_start(test, &c, *side, 0);
	toy_conn_goto(&c, TOY_TIME_WAIT);
	sk = c.sock->sk;
	st = toy_st(sk);
	lock_sock(sk);
	sk_reset_timer(sk, &st->timer, jiffies + 100 * HZ);
	release_sock(sk);
	sock_hold(sk);	/* the callback drops the reference a firing timer holds */
	local_bh_disable();	/* timer context, as far as locking goes */
	st->timer.function(&st->timer);
	local_bh_enable();
	toy_expect_state(test, c.sock, TOY_TIME_WAIT);
	KUNIT_EXPECT_TRUE(test, timer_pending(&st->timer));
	lock_sock(sk);
	sk_reset_timer(sk, &st->timer, jiffies + TOY_TEST_TIMEWAIT);
	release_sock(sk);
}

/* Simultaneous close: FIN_WAIT1 --FIN--> CLOSING --ACK--> TIME_WAIT. */
static void toy_stream_simultaneous_close(struct kunit *test)
{
	struct toy_conn c;

	toy_conn_open(test, &c, 0);
	toy_conn_shutdown(&c, TOY_FIN_WAIT1);
	toy_conn_fin(&c, TOY_CLOSING);
	toy_conn_ack_all(&c, TOY_TIME_WAIT);
}

/*
 * A reset in the window: CLOSE, the reader gets ECONNRESET once and then
 * EOF, the writer EPIPE, and what was waiting to be acknowledged is freed.
 */
static void toy_stream_reset(struct kunit *test)
{
	struct toy_conn c;
	struct toy_snap s;
	u8 buf[DATA_LEN];

	toy_conn_open(test, &c, 0);
	toy_conn_write(&c, DATA_LEN, NULL);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_RST, c.rcv_nxt, 0, 0),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	toy_expect_state(test, c.sock, TOY_CLOSE);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.err, ECONNRESET);
	KUNIT_EXPECT_EQ(test, s.wmem_queued, 0);
	KUNIT_EXPECT_EQ(test, s.write_queue, 0U);
	KUNIT_EXPECT_FALSE(test, s.timer);

	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), -ECONNRESET);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_EQ(test, toy_conn_write_raw(&c, buf, sizeof(buf)), -EPIPE);
	toy_conn_expect_none(&c);
}

/*
 * close() with unread data: the peer's bytes would be lost, so RST (as
 * TCP), and the socket is gone at once.
 */
static void toy_stream_close_unread(struct kunit *test)
{
	struct toy_conn c;
	struct sock *sk;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	toy_conn_data(&c, DATA_LEN);
	sk = c.sock->sk;
	toy_test_hold(test, sk);
	toy_test_close(test, c.sock);
	c.sock = NULL;	/* freed: only @sk, held, may be looked at */
	toy_conn_expect(&c, TOY_F_RST | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_CLOSE);
	KUNIT_EXPECT_TRUE(test, toy_test_wait_gone(sk, TOY_KUNIT_WAIT));
}

/*
 * close() of an idle connection: FIN, and the orphan finishes on its own
 * (FIN_WAIT1 --ACK--> FIN_WAIT2 --FIN--> TIME_WAIT --timer--> gone); the
 * port is free again afterwards.
 */
static void toy_stream_close_orphan(struct kunit *test)
{
	struct toy_conn c;
	struct socket *again;
	struct sock *sk;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	sk = c.sock->sk;
	toy_test_hold(test, sk);
	toy_test_close(test, c.sock);
	c.sock = NULL;	/* freed: only @sk, held, may be looked at */
	toy_conn_expect(&c, TOY_F_FIN | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	c.snd_nxt++;
	c.rexmit_ok = true;
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_FIN_WAIT1);
	KUNIT_EXPECT_TRUE(test, sock_flag(sk, SOCK_DEAD));

	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	c.rexmit_ok = false;
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_FIN_WAIT2);

	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_FIN | TOY_F_ACK,
					    c.rcv_nxt, c.snd_nxt, 0),
			NET_RX_SUCCESS);
	c.rcv_nxt++;
	toy_conn_expect(&c, TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_TIME_WAIT);

	KUNIT_EXPECT_TRUE_MSG(test, toy_test_wait_gone(sk,
						       10 * TOY_TEST_TIMEWAIT),
			      "the orphan is still there (refcount %d)",
			      refcount_read(&sk->sk_refcnt));
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_CLOSE);
	toy_conn_expect_none(&c);
	again = toy_test_socket(test);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(again, LO, SELF), 0);
}

/* close() in CLOSE_WAIT: LAST_ACK, and the final ACK ends the orphan. */
static void toy_stream_close_last_ack(struct kunit *test)
{
	struct toy_conn c;
	struct sock *sk;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_goto(&c, TOY_CLOSE_WAIT);
	sk = c.sock->sk;
	toy_test_hold(test, sk);
	toy_test_close(test, c.sock);
	c.sock = NULL;	/* freed: only @sk, held, may be looked at */
	toy_conn_expect(&c, TOY_F_FIN | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	c.snd_nxt++;
	c.rexmit_ok = true;
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_LAST_ACK);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_CLOSE);
	KUNIT_EXPECT_TRUE(test, toy_test_wait_gone(sk, TOY_KUNIT_WAIT));
}

/*
 * The FIN_WAIT2 limit is an orphan's: a timer that expires in FIN_WAIT2
 * while the user holds the socket ends nothing (the timer is stopped
 * there, so this one is set by the test).
 */
static void toy_stream_half_close_timer(struct kunit *test)
{
	unsigned long end = jiffies + TOY_KUNIT_WAIT;
	struct toy_conn c;
	struct sock *sk;

	toy_conn_open(test, &c, 0);
	toy_conn_shutdown(&c, TOY_FIN_WAIT1);
	toy_conn_ack_all(&c, TOY_FIN_WAIT2);
	sk = c.sock->sk;
	lock_sock(sk);
	sk_reset_timer(sk, &toy_st(sk)->timer, jiffies);
	release_sock(sk);
	while (timer_pending(&toy_st(sk)->timer) && time_before(jiffies, end))
		usleep_range(1000, 2000);
	KUNIT_ASSERT_FALSE(test, timer_pending(&toy_st(sk)->timer));
	lock_sock(sk);		/* the expiry, if running, is over */
	release_sock(sk);
	toy_expect_state(test, c.sock, TOY_FIN_WAIT2);
	toy_conn_expect_none(&c);
	toy_conn_data(&c, DATA_LEN);
	toy_conn_fin(&c, TOY_TIME_WAIT);
}

/*
 * Half closed, and the user still holds the socket: FIN_WAIT2 lasts as
 * long as the peer sends (only an orphan's is timed, as TCP's).  Here the
 * FIN's timer expires while the user owns the socket, as during a
 * recvmsg(), and the ACK of the FIN waits in the backlog meanwhile:
 * release_sock() takes the ACK (FIN_WAIT2, the timer stopped), and the
 * expiry it then runs is out of date.  It once ended the connection, so
 * the reader saw the end of the stream while the peer's data was still
 * coming (link_test.sh on the debug kernel: "c2s EOF after 3970958 of
 * 4194304 bytes").
 */
static void toy_stream_half_close_late_timer(struct kunit *test)
{
	struct toy_conn c;
	u8 buf[DATA_LEN];
	bool deferred;

	toy_conn_open(test, &c, 0);
	toy_conn_shutdown(&c, TOY_FIN_WAIT1);
	deferred = toy_conn_expire_owned(&c);
	if (deferred)
		KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
						    c.snd_nxt, 0),
				NET_RX_SUCCESS);
	release_sock(c.sock->sk);
	KUNIT_ASSERT_TRUE_MSG(test, deferred, "the timer did not fire in %d jiffies",
			      TOY_KUNIT_WAIT);
	c.snd_una = c.snd_nxt;
	toy_conn_expect_none(&c);
	c.rexmit_ok = false;
	toy_expect_state(test, c.sock, TOY_FIN_WAIT2);

	toy_conn_data(&c, DATA_LEN);
	toy_conn_fin(&c, TOY_TIME_WAIT);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), DATA_LEN);
	KUNIT_EXPECT_EQ(test, toy_conn_read(&c, buf, sizeof(buf)), 0);
}

/* Data for an orphan that nobody will read: RST (as TCP), and it is gone. */
static void toy_stream_orphan_data(struct kunit *test)
{
	struct toy_conn c;
	struct sock *sk;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	toy_conn_establish(&c);
	sk = c.sock->sk;
	toy_test_hold(test, sk);
	toy_test_close(test, c.sock);
	c.sock = NULL;	/* freed: only @sk, held, may be looked at */
	toy_conn_expect(&c, TOY_F_FIN | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	c.snd_nxt++;
	c.rexmit_ok = true;
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, c.rcv_nxt,
					    c.snd_nxt, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	c.rexmit_ok = false;
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_FIN_WAIT2);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_DATA | TOY_F_ACK,
					    c.rcv_nxt, c.snd_nxt, DATA_LEN),
			NET_RX_SUCCESS);
	toy_conn_expect(&c, TOY_F_RST | TOY_F_ACK, c.snd_nxt, c.rcv_nxt, NULL);
	toy_conn_expect_none(&c);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(sk->sk_state), TOY_CLOSE);
	KUNIT_EXPECT_TRUE(test, toy_test_wait_gone(sk, TOY_KUNIT_WAIT));
}

static struct kunit_case toy_stream_close_test_cases[] = {
	KUNIT_CASE_PARAM(toy_stream_passive_close, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_stale_data_fin, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_active_close, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_half_close_timer, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_half_close_late_timer,
			 toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_simultaneous_close, toy_sides_gen_params),
	KUNIT_CASE_PARAM(toy_stream_reset, toy_sides_gen_params),
	KUNIT_CASE(toy_stream_close_unread),
	KUNIT_CASE(toy_stream_close_orphan),
	KUNIT_CASE(toy_stream_close_last_ack),
	KUNIT_CASE_PARAM(toy_stream_timer_overtaken, toy_sides_gen_params),
	KUNIT_CASE(toy_stream_orphan_data),
	{}
};

static int toy_stream_close_test_init(struct kunit *test)
{
	return toy_test_init_ports(test, TOY_KUNIT_CLOSE_PORT);
}

static struct kunit_suite toy_stream_close_test_suite = {
	.name = "toy_stream_close",
	.init = toy_stream_close_test_init,
	.test_cases = toy_stream_close_test_cases,
};

kunit_test_suite(toy_stream_close_test_suite);
