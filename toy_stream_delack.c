// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY streams: acknowledgments out, and when.  Layer: protocol
 * (stream); the analogue of __tcp_ack_snd_check(), tcp_send_delayed_ack()
 * and tcp_delack_timer() in tcp_input.c, tcp_output.c and tcp_timer.c.
 *
 * Owns the receiver's choice between acknowledging data now and a little
 * later (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3), and the delayed-ACK timer.
 *
 * Why delay at all: with both ends on one CPU, an ACK per segment comes
 * back before the writer writes again, so nothing is ever in flight,
 * Nagle (toy_stream_output.c) never holds a small write back, and every
 * write leaves as a frame of its own, answered by a frame of its own.  A
 * delayed ACK keeps data in flight, so small writes join into full
 * segments, as TCP's do on lo.
 *
 * The rules, TCP's:
 *   - in-order data is acknowledged once more than a full segment (the
 *     largest yet received) or half the window last offered is
 *     unacknowledged, so a sender is never stalled by our delay;
 *   - a segment that fills a hole, or carries a FIN, or data the receive
 *     buffer had to drop, is acknowledged at once, and so is one past a
 *     hole (toy_stream_input.c): the sender's loss detection never waits
 *     (RFC 5681 4.2);
 *   - a read acknowledges only if it opened the window enough to tell
 *     (toy_stream_data.c) or left more than a full segment
 *     unacknowledged.  Unlike tcp_cleanup_rbuf(), a read that empties the
 *     queue does not: with the reader woken by every segment, that ACK
 *     would come back before the next write, and Nagle would never hold
 *     anything again.  A request is answered by its reply, which carries
 *     the ACK, and a writer that waits gets it from the timer;
 *   - otherwise the timer acknowledges within TOY_DELACK (a tick, where
 *     TCP waits 40 ms), well inside the sender's shortest retransmission
 *     timeout;
 *   - TOY_QUICKACK turns the delay off.
 * Every segment this side sends carries the acknowledgment (data, a FIN,
 * a window update), which makes a pending delayed one needless.
 *
 * How it enters: toy_stream_rcv_synced() calls toy_stream_ack_data() for
 * in-order data; recvmsg() calls toy_stream_ack_read().  It leaves as
 * toy_stream_send_ack(), at once or from the timer.  A timer that finds a
 * process owning the socket leaves its expiry to toy_stream_release_cb()
 * (toy_stream_timer.c), as the retransmission timer does.
 *
 * Locking: the socket lock.  The timer takes bh_lock_sock(), and while
 * pending (or deferred) holds a reference on the socket.
 */

#include <linux/net.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"

/* Send the acknowledgment the timer was for, if it is still owed. */
static void toy_stream_delack_expired(struct sock *sk)
{
	if (toy_st(sk)->ack_pending &&
	    (TOYF(sk->sk_state) & TOYF_SYNCED & ~TOYF(TOY_TIME_WAIT)))
		toy_stream_send_ack(sk);
}

/* The delayed-ACK timer's callback: acknowledge, or leave it to the owner. */
static void toy_stream_delack_timer(struct timer_list *t)
{
	struct toy_stream_sock *st = from_timer(st, t, delack_timer);
	struct sock *sk = toy_st_sk(st);

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		toy_stream_delack_expired(sk);
	else if (!test_and_set_bit(TOY_DELACK_DEFERRED, &st->deferred))
		sock_hold(sk);	/* dropped by toy_stream_delack_release() */
	bh_unlock_sock(sk);
	sock_put(sk);	/* the reference sk_reset_timer() took */
}

/**
 * toy_stream_delack_release() - run a delayed ACK the owner held up
 * @sk: the socket, still owned, being released (from toy_stream_release_cb())
 */
void toy_stream_delack_release(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (!test_bit(TOY_DELACK_DEFERRED, &st->deferred) ||
	    !test_and_clear_bit(TOY_DELACK_DEFERRED, &st->deferred))
		return;
	toy_stream_delack_expired(sk);
	__sock_put(sk);	/* the caller of release_sock() holds another */
}

/**
 * toy_stream_delack_stop() - forget a delayed ACK: the connection is over
 * @sk: the socket, locked
 */
void toy_stream_delack_stop(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	st->ack_pending = false;
	if (test_and_clear_bit(TOY_DELACK_DEFERRED, &st->deferred))
		__sock_put(sk);	/* the caller holds a reference of its own */
	sk_stop_timer(sk, &st->delack_timer);
}

/**
 * toy_stream_delack_init() - set up a new socket's delayed-ACK timer
 * @sk: the socket, fresh from sk_alloc()
 */
void toy_stream_delack_init(struct sock *sk)
{
	timer_setup(&toy_st(sk)->delack_timer, toy_stream_delack_timer, 0);
}

/* More than a full segment, or half the window we offered, unacknowledged? */
static bool toy_stream_ack_due(const struct toy_stream_sock *st)
{
	u32 unacked = st->rcv_nxt - st->rcv_wup;

	return unacked > st->rcv_mss ||
	       unacked > (st->rcv_edge - st->rcv_wup) / 2;
}

/**
 * toy_stream_ack_data() - acknowledge in-order data, now or within TOY_DELACK
 * @sk: the socket, locked
 * @len: the payload that just arrived in order
 * @now: it must be acknowledged at once: it filled a hole, carried a FIN,
 *	 or was dropped
 */
void toy_stream_ack_data(struct sock *sk, unsigned int len, bool now)
{
	struct toy_stream_sock *st = toy_st(sk);

	st->rcv_mss = max(st->rcv_mss, len);
	if (now || READ_ONCE(st->quickack) || toy_stream_ack_due(st)) {
		toy_stream_send_ack(sk);
		return;
	}
	st->ack_pending = true;
	if (!timer_pending(&st->delack_timer))
		sk_reset_timer(sk, &st->delack_timer, jiffies + TOY_DELACK);
}

/**
 * toy_stream_ack_read() - acknowledge after a read, if the ACK is due
 * @sk: the socket, locked, after recvmsg() copied data out
 *
 * Only more than a full segment (or half the window) unacknowledged makes
 * it due here; see the top of this file for why emptying the queue does
 * not.
 */
void toy_stream_ack_read(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (st->ack_pending && toy_stream_ack_due(st))
		toy_stream_send_ack(sk);
}
