// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY streams: segments out.  Layer: protocol (stream); the analogue
 * of tcp_output.c.
 *
 * Owns the write queue (data and FIN segments kept until acknowledged),
 * the window this side advertises, control segments (SYN, ACK, RST) and
 * retransmission.
 *
 * How a segment leaves:
 *
 *   toy_stream_queue()      sendmsg() or the FIN appends it, charged to
 *                           sk_wmem_queued and the protocol's pool
 *   toy_stream_write()      the sendmsg() half: a new segment, or the
 *                           bytes added to the last one while that was
 *                           never sent
 *   toy_stream_push()       segments never sent, as far as the peer's
 *                           window allows (split to fit); a short last
 *                           one waits while data is in flight (Nagle,
 *                           unless TOY_NODELAY) or after MSG_MORE
 *   toy_stream_transmit()   a clone (or, while an earlier clone may be in
 *                           flight, a copy of the head) gets the header;
 *                           the original stays queued
 *   toy_xmit()              toy_proto.c: toy0, or the link to the peer
 *
 * A segment is resent only by toy_stream_retransmit_head(): on three
 * duplicate ACKs or a partial ACK (toy_stream_ack.c) or a timeout
 * (toy_stream_timer.c).  It leaves the queue in toy_stream_ack.c, once
 * acknowledged, or when the connection ends.
 *
 * Locking: the socket lock, held by every caller.
 */

#include <linux/net.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"
#include "toy_trace.h"

/* ---- the window we advertise ------------------------------------------- */

/**
 * toy_stream_free_window() - the receive window to advertise
 * @sk: the socket
 *
 * The free receive buffer (less what waits in the backlog, about to be
 * charged) converted from memory to payload at the ratio received segments
 * have shown.  A 1 KiB segment costs over twice its size; a 64 KiB one about
 * 1.3 times.
 *
 * Return: the window in TOY_WINDOW_UNITs.
 */
u16 toy_stream_free_window(const struct sock *sk)
{
	int free = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc) -
		   READ_ONCE(sk->sk_backlog.len);
	u64 payload;

	if (free <= 0)
		return 0;
	payload = (u64)free * toy_st(sk)->rcv_ratio / 256;
	return min_t(u64, payload / TOY_WINDOW_UNIT, U16_MAX);
}

/* Fill @fl for a frame of this connection; records the advertised edge. */
static void toy_stream_flow(struct sock *sk, struct toy_flow *fl, u8 flags,
			    u32 seq)
{
	struct toy_stream_sock *st = toy_st(sk);
	struct toy_sock *ts = toy_sk(sk);
	u32 units = toy_stream_free_window(sk);

	/* Never take back window already offered: the peer may use it.
	 * Round up, or the edge would creep back under the peer's data.
	 */
	if (toy_seq_after(st->rcv_edge, st->rcv_nxt + units * TOY_WINDOW_UNIT))
		units = min_t(u32, DIV_ROUND_UP(st->rcv_edge - st->rcv_nxt,
						TOY_WINDOW_UNIT), U16_MAX);
	st->rcv_edge = st->rcv_nxt + units * TOY_WINDOW_UNIT;

	fl->saddr = ts->rcv_saddr ?: htonl(TOY_ADDR_LOOPBACK);
	fl->daddr = ts->daddr;
	fl->sport = ts->sport;
	fl->dport = ts->dport;
	fl->type = toy_type_of(sk);
	fl->flags = flags;
	fl->seq = seq;
	fl->ack = 0;
	fl->window = units;
	if (flags & TOY_F_ACK) {
		/* This segment acknowledges all that has arrived: a delayed
		 * ACK (toy_stream_delack.c) has nothing left to say.
		 */
		fl->ack = st->rcv_nxt;
		st->rcv_wup = st->rcv_nxt;
		st->ack_pending = false;
	}
}

/* ---- control segments -------------------------------------------------- */

/**
 * toy_stream_send_ctl() - send a header-only segment: SYN, ACK, RST
 * @sk: the socket, locked
 * @flags: TOY_F_*
 * @seq: its sequence number
 *
 * Best effort: without memory nothing is sent, and the peer's
 * retransmission asks again.
 */
void toy_stream_send_ctl(struct sock *sk, u8 flags, u32 seq)
{
	struct net_device *dev = toy_sk_dev(sk);
	struct toy_flow fl;
	struct sk_buff *skb;

	skb = toy_skb_alloc_ctl(dev, GFP_ATOMIC);
	if (!skb)
		return;	/* the peer's retransmission will ask again */
	toy_stream_flow(sk, &fl, flags, seq);
	toy_xmit(sock_net(sk), skb, &fl, toy_sk_route(sk, fl.daddr));
}

/**
 * toy_stream_send_ack() - acknowledge what has arrived, with our window
 * @sk: the socket, locked
 */
void toy_stream_send_ack(struct sock *sk)
{
	toy_stream_send_ctl(sk, TOY_F_ACK, toy_st(sk)->snd_nxt);
}

/**
 * toy_stream_send_rst() - reset the connection at the peer
 * @sk: the socket, locked
 */
void toy_stream_send_rst(struct sock *sk)
{
	toy_stream_send_ctl(sk, TOY_F_RST | TOY_F_ACK, toy_st(sk)->snd_nxt);
}

/* Sequence space a segment occupies: payload, plus one for SYN or FIN. */
static u32 toy_seg_len(const struct toy_flow *fl, unsigned int len)
{
	return len + !!(fl->flags & TOY_F_SYN) + !!(fl->flags & TOY_F_FIN);
}

/**
 * toy_stream_reply_rst() - answer a frame no connection wants with RST
 * @dev: the device it came in on
 * @in: its header
 * @len: its payload length
 *
 * As TCP does; a reset is never answered.
 */
void toy_stream_reply_rst(struct net_device *dev,
			  const struct toy_flow *in, unsigned int len)
{
	struct toy_flow fl;
	struct sk_buff *skb;

	if (in->flags & TOY_F_RST)
		return;	/* never answer a reset */
	skb = toy_skb_alloc_ctl(dev, GFP_ATOMIC);
	if (!skb)
		return;
	toy_flow_reply(in, &fl);
	fl.flags = TOY_F_RST | TOY_F_ACK;
	fl.seq = in->ack;
	fl.ack = in->seq + toy_seg_len(in, len);
	toy_xmit(dev_net(dev), skb, &fl, NULL);
}

/* ---- the write queue --------------------------------------------------- */

/*
 * Charge (or, with a negative @delta, uncharge) write-queue memory: to
 * sk_wmem_queued, which SO_SNDBUF bounds, and to the protocol's pool
 * (net.toy.toy_mem) and the memory cgroup, through sk_forward_alloc.
 */
/*
 * sk_mem_uncharge() gives whole pages back to the pool as they free up,
 * and toy_stream_destruct() the rest, so nothing here reclaims by hand.
 */
static void toy_stream_wmem_charge(struct sock *sk, int delta)
{
	sk_wmem_queued_add(sk, delta);
	if (delta > 0)
		sk_mem_charge(sk, delta);
	else
		sk_mem_uncharge(sk, -delta);
}

/**
 * toy_stream_free_segment() - free a segment taken off the write queue
 * @sk: the socket, locked
 * @skb: the segment, already unlinked
 */
void toy_stream_free_segment(struct sock *sk, struct sk_buff *skb)
{
	toy_stream_wmem_charge(sk, -skb->truesize);
	consume_skb(skb);	/* acknowledged, or the connection is gone */
}

/**
 * toy_stream_purge_write_queue() - free every queued segment
 * @sk: the socket, locked; the connection is over or in TIME_WAIT
 */
void toy_stream_purge_write_queue(struct sock *sk)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		toy_stream_free_segment(sk, skb);
	toy_st(sk)->send_head = NULL;
}

/**
 * toy_stream_queue() - append a segment to the write queue
 * @sk: the socket, locked
 * @skb: the segment (payload only; the header comes at transmit)
 * @len: the sequence numbers it takes: its payload, or 1 for a FIN
 * @flags: TOY_F_DATA or TOY_F_FIN
 *
 * Charges it to sk_wmem_queued and the pool; toy_stream_push() sends it.
 */
void toy_stream_queue(struct sock *sk, struct sk_buff *skb, u32 len,
		      u8 flags)
{
	struct toy_stream_sock *st = toy_st(sk);
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);

	cb->seq = st->write_seq;
	cb->end_seq = st->write_seq + len;
	cb->flags = flags;
	cb->retrans = 0;
	WRITE_ONCE(st->write_seq, cb->end_seq);
	__skb_queue_tail(&sk->sk_write_queue, skb);
	toy_stream_wmem_charge(sk, skb->truesize);
	if (!st->send_head)
		st->send_head = skb;
}

/*
 * Coalesce: bytes go into the tail segment while it was never sent and has
 * room.  While the peer's window holds segments back, every write would
 * otherwise queue a frame of its own: a thousand 1 KiB writes, a thousand
 * frames, each with its header, its skb and its ACK.  A segment once sent
 * is never written to (its clones may be anywhere).
 */
static int toy_stream_append(struct sock *sk, struct msghdr *msg,
			     size_t len, unsigned int mss)
{
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	int n;

	if (!toy_st(sk)->send_head || TOY_SKB_CB(skb)->flags != TOY_F_DATA ||
	    skb->len >= mss)
		return 0;
	len = min_t(size_t, len, mss - skb->len);
	if (!sk_wmem_schedule(sk, len))
		return 0;
	n = toy_skb_add_frags(sk, skb, msg, len);
	if (n <= 0)
		return n;
	toy_stream_wmem_charge(sk, n);
	TOY_SKB_CB(skb)->end_seq += n;
	WRITE_ONCE(toy_st(sk)->write_seq, TOY_SKB_CB(skb)->end_seq);
	return n;
}

/* A new segment for up to @len bytes: a header-only skb, bytes in frags. */
static int toy_stream_new_segment(struct sock *sk, struct msghdr *msg,
				  size_t len)
{
	struct sk_buff *skb;
	int n;

	skb = toy_skb_alloc_ctl(toy_sk_dev(sk), sk->sk_allocation);
	if (!skb)
		return 0;
	n = toy_skb_add_frags(sk, skb, msg, len);
	if (n > 0 && !toy_stream_wmem_schedule(sk, skb->truesize)) {
		iov_iter_revert(&msg->msg_iter, n);
		n = 0;
	}
	if (n <= 0) {
		kfree_skb_reason(skb, SKB_DROP_REASON_PROTO_MEM);
		return n;
	}
	toy_stream_queue(sk, skb, n, TOY_F_DATA);
	return n;
}

/* A seqpacket record: one segment, all of it or nothing. */
static int toy_stream_new_record(struct sock *sk, struct msghdr *msg,
				 size_t len)
{
	struct sk_buff *skb;
	int err;

	skb = toy_skb_alloc_data(sk, toy_sk_dev(sk), msg, len, &err);
	if (!skb)
		return err;
	if (!toy_stream_wmem_schedule(sk, skb->truesize)) {
		iov_iter_revert(&msg->msg_iter, len);
		kfree_skb_reason(skb, SKB_DROP_REASON_PROTO_MEM);
		return 0;
	}
	toy_stream_queue(sk, skb, len, TOY_F_DATA);
	return len;
}

/**
 * toy_stream_write() - queue bytes from a sendmsg() for sending
 * @sk: the socket, locked
 * @msg: the user's data
 * @len: bytes left to send (a seqpacket record: all of it, at most @mss)
 * @mss: the largest payload of one segment
 *
 * A stream's bytes are coalesced into the last segment while it was never
 * sent, else they start a new one, in either case in page fragments
 * (toy_skb_add_frags(), as TCP does).  A seqpacket record gets a segment
 * of its own, never merged with another.
 *
 * Return: bytes queued; 0 when the protocol's pool or the page allocator
 * said no (the caller waits for memory, as TCP does); a negative errno.
 */
int toy_stream_write(struct sock *sk, struct msghdr *msg, size_t len,
		     unsigned int mss)
{
	int n;

	if (toy_is_seqpacket(sk))
		return toy_stream_new_record(sk, msg, len);
	n = toy_stream_append(sk, msg, len, mss);
	if (n)
		return n;
	return toy_stream_new_segment(sk, msg, min_t(size_t, len, mss));
}

/**
 * toy_stream_queue_fin() - queue our FIN behind the data
 * @sk: the socket, locked, just moved to FIN_WAIT1 or LAST_ACK
 *
 * The FIN is retransmitted like data.
 */
void toy_stream_queue_fin(struct sock *sk)
{
	struct net_device *dev = toy_sk_dev(sk);
	struct sk_buff *skb;

	/* Never fails for lack of memory: a FIN must not be lost.  Its
	 * charge may take sk_forward_alloc below zero for a while, as
	 * sk_forced_mem_schedule() lets TCP's FIN do.
	 */
	skb = toy_skb_alloc_ctl(dev, sk->sk_allocation | __GFP_NOFAIL);
	sk_wmem_schedule(sk, skb->truesize);
	toy_stream_queue(sk, skb, 1, TOY_F_FIN);
	toy_stream_push(sk);
}

/* ---- sending and resending --------------------------------------------- */

/*
 * Transmit a queued segment; the original stays queued until acked.  It
 * is stamped for RTT sampling, and marked once it has been sent twice.
 */
static void toy_stream_transmit(struct sock *sk, struct sk_buff *skb)
{
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	struct sk_buff *copy;
	struct toy_flow fl;

	/*
	 * The device gets a clone.  If an earlier clone may still be in
	 * flight, it shares our headroom, so send a copy of the head
	 * instead (as TCP does).
	 */
	copy = skb_cloned(skb) ? pskb_copy(skb, GFP_ATOMIC) :
				 skb_clone(skb, GFP_ATOMIC);
	if (!copy)
		return;	/* the retransmission timer will try again */
	cb->when = (u32)jiffies;
	toy_stream_flow(sk, &fl, cb->flags | TOY_F_ACK, cb->seq);
	toy_xmit(sock_net(sk), copy, &fl, toy_sk_route(sk, fl.daddr));
}

/* Split the unsent segment @skb so that its first @len bytes fit. */
static int toy_stream_split(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct net_device *dev = toy_sk_dev(sk);
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	unsigned int truesize = skb->truesize;
	struct sk_buff *tail;

	tail = toy_skb_split(skb, dev, len, GFP_ATOMIC);
	if (!tail)
		return -ENOMEM;
	*TOY_SKB_CB(tail) = *cb;
	TOY_SKB_CB(tail)->seq = cb->seq + len;
	cb->end_seq = cb->seq + len;
	cb->flags &= ~TOY_F_FIN;
	__skb_queue_after(&sk->sk_write_queue, skb, tail);
	toy_stream_wmem_charge(sk, skb->truesize + tail->truesize - truesize);
	return 0;
}

/**
 * toy_stream_mss() - the largest payload of one of the connection's segments
 * @sk: the socket, locked
 *
 * Follows the path to the peer: toy0's MTU for a local peer, the link's
 * for a remote one.  While no path is known (a cable is out, its
 * neighbour entry flushed) the last one found holds, as TCP keeps its
 * mss_cache: segments made for toy0's 64 KiB MTU could never cross the
 * link once it is back.
 *
 * Return: the payload limit, never 0 once a path was found.
 */
unsigned int toy_stream_mss(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	unsigned int mss = toy_max_payload(toy_sk_dev(sk));

	if (!toy_route(sk, READ_ONCE(st->ts.daddr), &mss))
		st->mss_cache = mss;
	else if (st->mss_cache)
		mss = st->mss_cache;
	return mss;
}

/*
 * Cut a stream segment down to @mss before it is sent: the link's MTU
 * may have shrunk since it was queued.  A record is never cut; one that
 * no longer fits is dropped by the link, and the connection times out.
 */
static void toy_stream_fit(struct sock *sk, struct sk_buff *skb,
			   unsigned int mss)
{
	if (skb->len > mss && !toy_is_seqpacket(sk))
		toy_stream_split(sk, skb, mss);
}

/*
 * Nagle's algorithm (RFC 896), as tcp_nagle_check(): the last segment,
 * while shorter than the MSS, waits as long as data is unacknowledged,
 * so that small writes fill it instead of each costing a frame; the
 * acknowledgment that empties the flight sends it (toy_stream_ack()
 * pushes).  MSG_MORE holds it even with nothing in flight, until a send
 * without the flag, a FIN, or the retransmission timer, which sends it
 * as TCP's probe timer does (toy_stream_timeout()).  A record, a FIN and
 * a full segment never wait.
 */
static bool toy_stream_nagle_holds(struct sock *sk, struct sk_buff *skb,
				   unsigned int mss, enum toy_push how)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (how == TOY_PUSH_NOW || toy_is_seqpacket(sk) || skb->len >= mss ||
	    TOY_SKB_CB(skb)->flags != TOY_F_DATA ||
	    !skb_queue_is_last(&sk->sk_write_queue, skb))
		return false;
	if (how == TOY_PUSH_MORE)
		return true;
	return !st->nodelay && st->snd_una != st->snd_nxt;
}

/**
 * toy_stream_push_how() - send what the peer's window allows
 * @sk: the socket, locked
 * @how: what to do with a short last segment (enum toy_push);
 *	 toy_stream_push() is this with TOY_PUSH_NAGLE
 *
 * Sends segments from send_head on; only segments never sent go out here.
 * Retransmission is toy_stream_retransmit_head()'s.
 */
void toy_stream_push_how(struct sock *sk, enum toy_push how)
{
	struct toy_stream_sock *st = toy_st(sk);
	bool was_idle = st->snd_una == st->snd_nxt;
	unsigned int mss = toy_stream_mss(sk);
	u32 prior_nxt = st->snd_nxt;
	struct sk_buff *skb;

	while ((skb = st->send_head)) {
		struct toy_skb_cb *cb = TOY_SKB_CB(skb);
		s32 room = (s32)(st->snd_una + st->snd_wnd - cb->seq);

		toy_stream_fit(sk, skb, mss);
		if (toy_stream_nagle_holds(sk, skb, mss, how))
			break;

		/* Signed: a window that the peer shrank makes room < 0. */
		if (room < 0 || skb->len > (u32)room) {
			bool idle = st->snd_una == st->snd_nxt;

			/* A record is never split; an empty queue at the
			 * peer takes one whatever the window says.  A stream
			 * segment is split to fit, but not into slivers
			 * while data is in flight (silly window syndrome).
			 */
			if (toy_is_seqpacket(sk)) {
				if (!idle || room <= 0)
					break;
			} else if (room <= 0 ||
				   (!idle && room < st->max_wnd / 2) ||
				   toy_stream_split(sk, skb, room)) {
				break;
			}
		}
		toy_stream_transmit(sk, skb);
		if (toy_seq_after(cb->end_seq, st->snd_nxt))
			WRITE_ONCE(st->snd_nxt, cb->end_seq);
		st->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
				NULL : skb->next;
	}
	/* Data into an empty flight: its timeout starts now, from the
	 * measured round trip, not from a probe's or a confirmation's
	 * backed-off timer (tcp_rearm_rto()).
	 */
	if (was_idle && st->snd_nxt != prior_nxt) {
		st->retries = 0;
		st->rto = toy_stream_rto_base(st);
		toy_stream_arm(sk, st->rto);
		return;
	}
	toy_stream_rearm(sk, false);
}

/**
 * toy_stream_retransmit_head() - resend the oldest unacknowledged segment
 * @sk: the socket, locked
 *
 * That is the one the peer is missing.  Whatever the peer holds beyond it
 * waits in its out-of-order queue, so one loss costs one retransmission.
 */
void toy_stream_retransmit_head(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == st->send_head)
		return;		/* nothing was sent yet */
	/* The part cut off stays queued as sent: recovery resends it next. */
	toy_stream_fit(sk, skb, toy_stream_mss(sk));
	/* Counted first: whoever sees the frame (a tap runs inside the
	 * transmit) sees the count too.
	 */
	TOY_SK_INC_STATS(sk, TOY_MIB_RETRANSSEGS);
	trace_toy_retransmit(sk, skb, TOY_SKB_CB(skb)->seq);
	TOY_SKB_CB(skb)->retrans = 1;
	st->undo_retrans++;
	toy_stream_transmit(sk, skb);
}

/**
 * toy_stream_enter_recovery() - start repairing a loss
 * @sk: the socket, locked
 *
 * NewReno (RFC 6582): remember what was in flight when the loss was
 * detected; until all of it is acknowledged, each partial acknowledgment
 * resends the next hole and duplicate acknowledgments are ignored, so a
 * loss never sets off a storm of resends.
 */
void toy_stream_enter_recovery(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	st->in_recovery = true;
	st->high_seq = st->snd_nxt;
	st->dupacks = 0;
	st->undo_retrans = 0;
	toy_stream_retransmit_head(sk);
}
