// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY streams: acknowledgments in.  Layer: protocol (stream), run from
 * the state machine in toy_stream_input.c; the analogue of tcp_ack() and
 * its helpers in tcp_input.c.
 *
 * Owns what the sender learns from each segment's acknowledgment number
 * and window: which queued segments to free, the round-trip sample, the
 * peer's window, duplicate ACKs and D-SACKs, and when loss recovery
 * (toy_stream_output.c) starts and ends.
 *
 * How an acknowledgment enters: toy_stream_rcv_synced() calls
 * toy_stream_rcv_ack().  It leaves as freed write-queue memory (writers
 * woken), a restarted timer (toy_stream_timer.c), and new segments pushed
 * into the opened window (toy_stream_push()).
 *
 * Locking: the socket lock, as for all of input.
 */

#include <linux/net.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"

/*
 * Free what @ack covers from the write queue.  Returns whether anything
 * was freed; *@rtt is a round-trip sample from the newest segment freed,
 * or -1 if any segment freed was ever resent.  That is Karn's rule, taken
 * as far as tcp_clean_rtx_queue() takes it: an ACK that fills a hole also
 * acknowledges segments that waited behind it, and their age is the
 * recovery's length, not a round trip.
 */
static bool toy_stream_clean_acked(struct sock *sk, u32 ack, long *rtt)
{
	struct toy_stream_sock *st = toy_st(sk);
	bool freed = false, resent = false;
	struct sk_buff *skb;

	*rtt = -1;
	while ((skb = skb_peek(&sk->sk_write_queue)) &&
	       !toy_seq_after(TOY_SKB_CB(skb)->end_seq, ack)) {
		if (skb == st->send_head)
			break;	/* never sent: cannot be acknowledged */
		resent |= TOY_SKB_CB(skb)->retrans;
		*rtt = (long)((u32)jiffies - TOY_SKB_CB(skb)->when);
		__skb_unlink(skb, &sk->sk_write_queue);
		toy_stream_free_segment(sk, skb);
		freed = true;
	}
	if (resent)
		*rtt = -1;
	return freed;
}

/*
 * Take the peer's window from a segment, but only from one newer than the
 * last that did (tcp_may_update_window()): a reordered old ACK must not
 * shrink it.  And never move the right edge back: segments already sent
 * up to it stay sendable, so the sender's view of the window never makes
 * room negative for data in flight.
 */
static void toy_stream_update_window(struct sock *sk, const struct toy_flow *fl,
				     u32 prior_una)
{
	struct toy_stream_sock *st = toy_st(sk);
	u32 wnd = fl->window * TOY_WINDOW_UNIT;
	u32 edge = prior_una + st->snd_wnd;

	if (!toy_seq_after(fl->ack, prior_una) &&
	    !toy_seq_after(fl->seq, st->snd_wl1) &&
	    !(fl->seq == st->snd_wl1 && wnd > st->snd_wnd))
		return;
	/* A sequence number past rcv_nxt is data of the peer we have not
	 * seen: a reordered ACK, or a forged one.  Its window counts, but
	 * it must not make the peer's real updates, which may all carry
	 * rcv_nxt (a peer that sends nothing), look old for ever.
	 */
	st->snd_wl1 = toy_seq_after(fl->seq, st->rcv_nxt) ? st->rcv_nxt : fl->seq;
	if (toy_seq_before(fl->ack + wnd, edge))
		wnd = edge - fl->ack;
	st->snd_wnd = wnd;
	st->max_wnd = max(st->max_wnd, wnd);
}

/*
 * A duplicate acknowledgment: nothing new acknowledged, no data, the same
 * window, while data is in flight.  The peer got a segment past a hole.
 */
static bool toy_stream_is_dupack(struct sock *sk, const struct toy_flow *fl,
				 bool has_data)
{
	struct toy_stream_sock *st = toy_st(sk);

	return fl->ack == st->snd_una && st->snd_una != st->snd_nxt &&
	       fl->window * TOY_WINDOW_UNIT == st->snd_wnd && !has_data;
}

/*
 * A partial acknowledgment in recovery moved the head to a segment that
 * may be the next hole - or, on a link that reorders, merely the next
 * segment still on its way.  Resend it only if its acknowledgment is
 * overdue: it went out more than a smoothed round trip plus its variation
 * ago (the idea of RACK, RFC 8985, without SACK).  Otherwise the timer
 * covers it.
 */
static bool toy_stream_head_overdue(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == st->send_head)
		return false;
	return (u32)jiffies - TOY_SKB_CB(skb)->when >
	       (st->srtt >> 3) + (st->rttvar >> 2);
}

/* Something new was acknowledged: progress for the timer and recovery. */
static void toy_stream_acked(struct sock *sk, u32 ack, long rtt)
{
	struct toy_stream_sock *st = toy_st(sk);

	WRITE_ONCE(st->snd_una, ack);
	st->retries = 0;
	st->dupacks = 0;
	if (rtt >= 0)
		toy_stream_rtt_sample(st, rtt);
	st->rto = toy_stream_rto_base(st);
	if (!st->in_recovery)
		return;
	if (!toy_seq_before(ack, st->high_seq))
		st->in_recovery = false;	/* all repaired */
	else if (toy_stream_head_overdue(sk))
		toy_stream_retransmit_head(sk);	/* partial: the next hole */
}

/* Three duplicate acknowledgments: resend the hole now, once per loss. */
static void toy_stream_dupack(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	/* After a recovery, stale duplicates of its retransmissions are
	 * not a new loss until something past the recovery point is acked.
	 */
	if (++st->dupacks != st->reordering || st->in_recovery ||
	    !toy_seq_after(st->snd_una, st->high_seq))
		return;
	TOY_SK_INC_STATS(sk, TOY_MIB_FASTRETRANS);
	toy_stream_enter_recovery(sk);
	toy_stream_rearm(sk, true);
}

/*
 * The peer says the segment it just got was all duplicate (D-SACK, RFC
 * 2883).  When every retransmission of a recovery comes back that way,
 * nothing was lost: the link reordered, and the duplicate ACKs that
 * started the recovery were early, not a loss (RFC 3708).  Then it takes
 * more duplicate ACKs to mean a loss, as TCP raises tp->reordering.
 */
static void toy_stream_dsack(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (!st->undo_retrans || --st->undo_retrans)
		return;
	TOY_SK_INC_STATS(sk, TOY_MIB_SPURIOUSRETRANS);
	st->reordering = min(st->reordering * 2, TOY_MAX_REORDERING);
	st->in_recovery = false;	/* there was nothing to recover */
}

/* Our FIN is acknowledged once everything we queued is.  Returns false
 * if the connection is over.
 */
static bool toy_stream_fin_acked(struct sock *sk)
{
	if (!(sk->sk_shutdown & SEND_SHUTDOWN) ||
	    toy_st(sk)->snd_una != toy_st(sk)->write_seq)
		return true;
	switch (sk->sk_state) {
	case TOY_FIN_WAIT1:
		toy_stream_set_state(sk, TOY_FIN_WAIT2);
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_state_change(sk);
		break;
	case TOY_CLOSING:
		toy_stream_time_wait(sk);
		return false;
	case TOY_LAST_ACK:
		toy_stream_done(sk);
		return false;
	}
	return true;
}

/**
 * toy_stream_rcv_ack() - process the acknowledgment and window of a segment
 * @sk: the socket, locked, past its handshake
 * @fl: the segment's header
 * @has_data: it carries payload or a FIN (so it is no duplicate ACK)
 *
 * Frees what is acknowledged, takes an RTT sample, updates the peer's
 * window, counts duplicate ACKs and handles D-SACKs, then pushes what the
 * window now allows.
 *
 * Return: false for an acknowledgment of data never sent: the whole
 * segment is then bogus and dropped, as tcp_ack() makes TCP do.
 */
bool toy_stream_rcv_ack(struct sock *sk, const struct toy_flow *fl,
			bool has_data)
{
	struct toy_stream_sock *st = toy_st(sk);
	u32 prior_una = st->snd_una;
	bool dup, freed;
	long rtt;

	if (toy_seq_after(fl->ack, st->snd_nxt))
		return false;
	if (toy_seq_before(fl->ack, prior_una))
		return true;	/* an old ACK, overtaken: its data still counts */

	if (fl->flags & TOY_F_DSACK)
		toy_stream_dsack(sk);
	dup = toy_stream_is_dupack(sk, fl, has_data);
	freed = toy_stream_clean_acked(sk, fl->ack, &rtt);
	toy_stream_update_window(sk, fl, prior_una);
	if (toy_seq_after(fl->ack, prior_una))
		toy_stream_acked(sk, fl->ack, rtt);
	else if (dup)
		toy_stream_dupack(sk);
	/* Nothing in flight and the peer answers (a window probe, say): it
	 * is alive, however long its reader pauses.  Give up only on
	 * silence, as TCP's probe timer does.  Not an orphan: it gives up
	 * after net.toy.orphan_retries probes, answered or not, so a peer
	 * that never reads cannot pin it for ever.
	 */
	if (st->snd_una == st->snd_nxt && !sock_flag(sk, SOCK_DEAD))
		st->retries = 0;

	if (!toy_stream_fin_acked(sk))
		return true;
	if (freed)
		sk->sk_write_space(sk);
	toy_stream_push(sk);
	if (freed)
		toy_stream_rearm(sk, true);
	return true;
}
