// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY streams: the timer.  Layer: protocol (stream), timer context;
 * the analogue of tcp_timer.c.
 *
 * One timer per connection does all of TCP's jobs but the delayed ACK
 * (toy_stream_delack.c has that timer): retransmission (the timeout
 * computed from measured round trips, RFC 6298), probing a zero window,
 * resending a SYN, confirming a connection the server may not know of
 * yet, the FIN_WAIT2 limit of an orphan, and the end of TIME_WAIT.
 *
 * How it enters: toy_stream_arm() or toy_stream_rearm() set it (from
 * input, output and the socket calls); it fires in toy_stream_timer().
 * If a process owns the socket then, the expiry is deferred and
 * toy_stream_release_cb() runs it from release_sock(), as
 * tcp_release_cb() does - unless the timer was set again or stopped
 * meanwhile, which makes it out of date.  It leaves through toy_stream_timeout(): a
 * resend (toy_stream_output.c), a probe, or the end of the connection.
 *
 * Locking: the socket lock (bh_lock_sock() in the timer); the pending
 * timer holds a reference on the socket, as does a deferred expiry.
 */

#include <linux/net.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"

/* ---- the retransmission timeout (RFC 6298) ----------------------------- */

/*
 * An expiry that found the socket owned waits for release_sock()
 * (toy_stream_release_cb()).  Once the timer is set again or stopped, that
 * expiry is out of date - an ACK in the backlog may have moved the
 * connection on, FIN_WAIT1 to FIN_WAIT2, say - so it is forgotten, as
 * tcp_release_cb() ignores an expiry whose icsk_timeout moved.
 */
static void toy_stream_forget_expiry(struct sock *sk)
{
	if (test_and_clear_bit(TOY_TIMER_DEFERRED, &toy_st(sk)->deferred))
		__sock_put(sk);	/* the caller holds a reference of its own */
}

/**
 * toy_stream_arm() - (re)start the connection's timer
 * @sk: the socket, locked
 * @delay: jiffies from now
 */
void toy_stream_arm(struct sock *sk, unsigned long delay)
{
	toy_stream_forget_expiry(sk);
	sk_reset_timer(sk, &toy_st(sk)->timer, jiffies + delay);
}

/**
 * toy_stream_stop_timer() - stop the connection's timer
 * @sk: the socket, locked
 *
 * Also forgets an expiry that is waiting for the owner of the socket.
 */
void toy_stream_stop_timer(struct sock *sk)
{
	toy_stream_forget_expiry(sk);
	sk_stop_timer(sk, &toy_st(sk)->timer);
}

/**
 * toy_stream_rto_base() - the retransmission timeout without backoff
 * @st: the connection
 *
 * Return: SRTT + 4 * RTTVAR within the bounds, or the initial value until
 * a round trip has been measured.
 */
unsigned long toy_stream_rto_base(const struct toy_stream_sock *st)
{
	if (!st->srtt)
		return TOY_RTO_INIT;
	return clamp_t(unsigned long, (st->srtt >> 3) + max(st->rttvar, 1U),
		       TOY_RTO_MIN, TOY_RTO_MAX);
}

/**
 * toy_stream_rtt_sample() - fold a round-trip measurement into the estimate
 * @st: the connection
 * @m: the round trip, in jiffies
 *
 * RFC 6298's SRTT and RTTVAR, kept scaled by 8 and 4 as TCP keeps them.
 */
void toy_stream_rtt_sample(struct toy_stream_sock *st, u32 m)
{
	long err;

	m = max(m, 1U);
	if (!st->srtt) {
		st->srtt = m << 3;		/* SRTT = R */
		st->rttvar = m << 1;		/* RTTVAR = R / 2, kept x4 */
		return;
	}
	err = (long)m - (st->srtt >> 3);
	st->srtt += err;			/* SRTT += (R - SRTT) / 8 */
	st->rttvar += abs(err) - (st->rttvar >> 2); /* RTTVAR += (|err| - RTTVAR) / 4 */
}

/**
 * toy_stream_rearm() - keep the timer running while it has a job
 * @sk: the socket, locked
 * @progress: an acknowledgment just arrived: restart the timeout
 *
 * Called after anything that changes what is in flight: the timer runs
 * while data is unacknowledged or waits for window (or an orphan waits in
 * FIN_WAIT2, or a client has not heard from the server); otherwise it is
 * stopped.
 */
void toy_stream_rearm(struct sock *sk, bool progress)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (sk->sk_state == TOY_TIME_WAIT)
		return;
	if (st->snd_una != st->snd_nxt || st->send_head) {
		if (progress || !timer_pending(&st->timer))
			toy_stream_arm(sk, st->rto);
	} else if (sk->sk_state == TOY_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD)) {
		toy_stream_arm(sk, TOY_FIN_TIMEOUT);
	} else if (!st->heard && sk->sk_state == TOY_ESTABLISHED) {
		if (!timer_pending(&st->timer))
			toy_stream_arm(sk, st->rto);
	} else {
		toy_stream_stop_timer(sk);
	}
}

/* ---- expiry ------------------------------------------------------------ */

/**
 * toy_stream_time_wait() - enter TIME_WAIT
 * @sk: the socket, locked
 *
 * The write queue is done with; the timer ends the wait.
 */
void toy_stream_time_wait(struct sock *sk)
{
	toy_stream_set_state(sk, TOY_TIME_WAIT);
	toy_stream_purge_write_queue(sk);
	toy_stream_arm(sk, TOY_TIMEWAIT_LEN);
}

/*
 * The listener keeps no state between SYN and ACK (SYN cookies), so if
 * the client's handshake ACK is lost and the client has nothing to send,
 * the server never learns of the connection, and a server that speaks
 * first waits for ever in accept().  So until the client hears from the
 * server, it asks again: it resends its SYN.  The listener answers that
 * with SYN+ACK (and the ACK to that creates the child), and an existing
 * child answers it with a challenge ACK; either way the client then
 * hears.  After TOY_SYN_RETRIES it stops asking, and stays connected.
 * Returns whether it asked; the timer then backs off as for any resend.
 */
static bool toy_stream_confirm(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (++st->retries > TOY_SYN_RETRIES) {
		st->heard = true;
		return false;
	}
	toy_stream_send_ctl(sk, TOY_F_SYN, st->snd_una - 1);
	return true;
}

/* The timer expired, and nobody else holds the socket: do its job. */
static void toy_stream_timeout(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	unsigned int max_retries = TOY_MAX_RETRIES;

	switch (sk->sk_state) {
	case TOY_TIME_WAIT:
		toy_stream_done(sk);
		return;
	case TOY_SYN_SENT:
		/* The toy ARP got no answer from the peer's node: give up
		 * as TCP does when ARP fails (an ICMP host unreachable).
		 */
		if (toy_route(sk, toy_sk(sk)->daddr, NULL) == -EHOSTUNREACH) {
			toy_stream_fail(sk, EHOSTUNREACH);
			return;
		}
		if (++st->retries > TOY_SYN_RETRIES) {
			toy_stream_fail(sk, ETIMEDOUT);
			return;
		}
		toy_stream_send_ctl(sk, TOY_F_SYN, st->snd_una);
		break;
	case TOY_CLOSE:
	case TOY_LISTEN:
		return;
	default:
		if (st->snd_una == st->snd_nxt && !st->send_head) {
			/* An orphan waiting in FIN_WAIT2 (one its user still
			 * holds waits as long as the peer sends, as TCP's),
			 * or a client that has not heard from the server
			 * since its handshake.
			 */
			if (sk->sk_state == TOY_FIN_WAIT2) {
				if (sock_flag(sk, SOCK_DEAD))
					toy_stream_done(sk);
			} else if (!st->heard && toy_stream_confirm(sk)) {
				break;	/* ask again, backing off */
			}
			return;
		}
		if (sock_flag(sk, SOCK_DEAD)) {
			max_retries = READ_ONCE(toy_sysctl_orphan_retries);
			if (toy_stream_out_of_resources(sk))
				max_retries = 0;
		}
		if (++st->retries > max_retries) {
			toy_stream_send_rst(sk);
			toy_stream_fail(sk, ETIMEDOUT);
			return;
		}
		if (st->snd_una == st->snd_nxt) {
			/* Nothing in flight, data waiting.  Held back by
			 * MSG_MORE: it goes now, as TCP's probe timer sends
			 * it (tcp_write_wakeup()), and the push restarts the
			 * timer.  Else the window is shut: probe it with an
			 * old sequence number, which the peer must answer
			 * with its current window.
			 */
			toy_stream_push_how(sk, TOY_PUSH_NOW);
			if (st->snd_una != st->snd_nxt)
				return;
			toy_stream_send_ctl(sk, TOY_F_ACK, st->snd_una - 1);
			break;
		}
		/* Everything in flight may be lost: start over from the
		 * oldest segment, one hole per round trip.
		 */
		TOY_SK_INC_STATS(sk, TOY_MIB_TIMEOUTS);
		toy_stream_enter_recovery(sk);
		break;
	}
	st->rto = min_t(unsigned long, st->rto * 2, TOY_RTO_MAX);
	toy_stream_arm(sk, st->rto);
}

/*
 * The timer callback: run the expiry, or leave it to the socket's owner.
 * Unless the timer was set again between its firing and the lock (from
 * another CPU): then this expiry is out of date, and the new one will
 * come, as tcp_write_timer_handler() re-checks icsk_timeout.
 */
static void toy_stream_timer(struct timer_list *t)
{
	struct toy_stream_sock *st = from_timer(st, t, timer);
	struct sock *sk = toy_st_sk(st);

	bh_lock_sock(sk);
	if (timer_pending(&st->timer))
		goto out;	/* overtaken by a newer expiry */
	if (!sock_owned_by_user(sk))
		toy_stream_timeout(sk);
	else if (!test_and_set_bit(TOY_TIMER_DEFERRED, &st->deferred))
		sock_hold(sk);	/* dropped by toy_stream_release_cb() */
out:
	bh_unlock_sock(sk);
	sock_put(sk);	/* the reference sk_reset_timer() took */
}

/**
 * toy_stream_release_cb() - run an expiry the owner of the socket delayed
 * @sk: the socket, still owned, being released (struct proto .release_cb)
 *
 * release_sock() calls this after replaying the backlog.  A timer that
 * found the socket owned left its work here instead of polling for the
 * owner to finish, as tcp_release_cb() does for TCP's timers: this one's,
 * and the delayed ACK's (toy_stream_delack_release()).
 */
void toy_stream_release_cb(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	toy_stream_delack_release(sk);
	if (!test_bit(TOY_TIMER_DEFERRED, &st->deferred) ||
	    !test_and_clear_bit(TOY_TIMER_DEFERRED, &st->deferred))
		return;
	toy_stream_timeout(sk);
	__sock_put(sk);	/* the caller of release_sock() holds another */
}

/**
 * toy_stream_timer_init() - set up a new socket's timer
 * @sk: the socket, fresh from sk_alloc()
 */
void toy_stream_timer_init(struct sock *sk)
{
	timer_setup(&toy_st(sk)->timer, toy_stream_timer, 0);
}
