// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY streams: segments in.  Layer: protocol (stream), softirq and
 * backlog context; the analogue of tcp_input.c (and the receive half of
 * tcp_ipv4.c).
 *
 * Owns the receiving side of a connection: the per-state handlers, the
 * receive queue and the out-of-order queue.  What an acknowledgment
 * tells the sender is toy_stream_ack.c's.
 *
 * How a segment enters:
 *
 *   toy_stream_rcv()            called by toy_rcv() (toy_proto.c), the one
 *                               upward call: look the socket up by port
 *   toy_stream_rcv_or_backlog() run it now, or queue it to the socket
 *                               backlog if a process owns the socket
 *   toy_stream_process()        by state: toy_stream_rcv_listen()
 *                               (toy_stream_listen.c), _rcv_syn_sent(),
 *                               or _rcv_synced()
 *   toy_stream_rcv_synced()     RST, SYN, the ACK (toy_stream_rcv_ack()),
 *                               then the payload: in order to
 *                               sk_receive_queue, past a hole to the
 *                               out-of-order queue; then acknowledge
 *
 * It leaves through toy_stream_recvmsg() (toy_stream_data.c).  Every segment
 * handed in is queued or freed exactly once.
 *
 * Locking: everything here runs with the socket locked: bh_lock_sock() in
 * softirq, or the owner's lock when release_sock() replays the backlog.
 */

#include <linux/net.h>
#include <linux/sizes.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"
#include "toy_trace.h"

/* ---- the receive queue and the out-of-order queue ---------------------- */

/* Fold a received segment's payload/truesize into the running ratio. */
static void toy_stream_update_ratio(struct sock *sk, const struct sk_buff *skb)
{
	struct toy_stream_sock *st = toy_st(sk);
	u32 r = clamp_t(u32, (u64)skb->len * 256 / skb->truesize, 16, 255);

	st->rcv_ratio = (3 * st->rcv_ratio + r) / 4;
}

/* The peer has nothing more to send. */
static void toy_stream_rcv_fin(struct sock *sk)
{
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	switch (sk->sk_state) {
	case TOY_ESTABLISHED:
		toy_stream_set_state(sk, TOY_CLOSE_WAIT);
		break;
	case TOY_FIN_WAIT1:
		toy_stream_set_state(sk, TOY_CLOSING);
		break;
	case TOY_FIN_WAIT2:
		toy_stream_time_wait(sk);
		break;
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
	}
}

/* Drop the whole out-of-order queue to make room: the sender resends. */
static void toy_stream_ofo_prune(struct sock *sk)
{
	struct sk_buff_head *q = &toy_st(sk)->ofo_queue;
	struct sk_buff *skb;

	if (skb_queue_empty(q))
		return;
	TOY_SK_INC_STATS(sk, TOY_MIB_OFOPRUNED);
	while ((skb = __skb_dequeue(q)))
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_OFO_QUEUE_PRUNE);
}

/*
 * In-order payload: queue it for the reader.  A stream segment may start
 * before rcv_nxt (a resend cut differently); recvmsg() reads it from the
 * right offset.  Consumes @skb.  Returns false if it had to be dropped.
 */
static bool toy_stream_rcv_data(struct sock *sk, struct sk_buff *skb,
				const struct toy_flow *fl)
{
	struct toy_stream_sock *st = toy_st(sk);
	u64 rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	bool fits = !toy_seq_after(fl->seq + skb->len, st->rcv_edge);

	/* A record always fits an empty queue (see toy_stream_push()). */
	if (toy_is_seqpacket(sk) && !atomic_read(&sk->sk_rmem_alloc))
		fits = true;
	/* Data the window promised comes before data past a hole. */
	if (atomic_read(&sk->sk_rmem_alloc) + (u64)skb->truesize > rcvbuf)
		toy_stream_ofo_prune(sk);
	if (!fits || !toy_stream_rmem_ok(sk, skb, 2 * rcvbuf, true)) {
		TOY_SK_INC_STATS(sk, TOY_MIB_WINDOWDROPS);
		atomic_inc(&sk->sk_drops);
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		return false;
	}
	TOY_SKB_CB(skb)->seq = fl->seq;
	toy_stream_update_ratio(sk, skb);
	skb_set_owner_r(skb, sk);
	trace_toy_deliver(sk, skb->len, 0);
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	WRITE_ONCE(st->rcv_nxt, fl->seq + skb->len);
	sk->sk_data_ready(sk);
	return true;
}

/*
 * A segment from beyond a hole: keep it, in sequence order, until the
 * hole is filled, so that reordering or one loss costs no resend of what
 * arrived.  Bounded by SO_RCVBUF.  Consumes @skb.
 */
static bool toy_stream_ofo_queue(struct sock *sk, struct sk_buff *skb,
				 const struct toy_flow *fl)
{
	struct toy_stream_sock *st = toy_st(sk);
	struct toy_skb_cb *cb = TOY_SKB_CB(skb);
	struct sk_buff_head *q = &st->ofo_queue;
	struct sk_buff *pos, *next;

	cb->seq = fl->seq;
	cb->end_seq = fl->seq + skb->len + !!(fl->flags & TOY_F_FIN);
	cb->flags = fl->flags;
	if (toy_seq_after(fl->seq + skb->len, st->rcv_edge) ||
	    !toy_stream_rmem_ok(sk, skb, READ_ONCE(sk->sk_rcvbuf), false))
		goto drop;

	/* Find the last segment starting at or before this one. */
	skb_queue_reverse_walk(q, pos)
		if (!toy_seq_after(TOY_SKB_CB(pos)->seq, cb->seq))
			break;
	if (pos != (struct sk_buff *)q &&
	    !toy_seq_before(TOY_SKB_CB(pos)->end_seq, cb->end_seq))
		goto dup;	/* all of it is here already */
	toy_stream_update_ratio(sk, skb);
	skb_set_owner_r(skb, sk);
	__skb_queue_after(q, pos, skb);
	TOY_SK_INC_STATS(sk, TOY_MIB_OFOQUEUE);

	/* Segments this one covers whole are redundant now. */
	while (!skb_queue_is_last(q, skb)) {
		next = skb->next;
		if (toy_seq_after(TOY_SKB_CB(next)->end_seq, cb->end_seq))
			break;
		__skb_unlink(next, q);
		kfree_skb_reason(next, SKB_DROP_REASON_TCP_OFOMERGE);
	}
	return false;
dup:
	TOY_SK_INC_STATS(sk, TOY_MIB_OFODROPS);
	kfree_skb_reason(skb, SKB_DROP_REASON_TCP_OFOMERGE);
	return true;
drop:
	TOY_SK_INC_STATS(sk, TOY_MIB_OFODROPS);
	atomic_inc(&sk->sk_drops);
	kfree_skb_reason(skb, SKB_DROP_REASON_TCP_OFO_DROP);
	return false;
}

/*
 * The hole before the out-of-order queue's head may just have been
 * filled: move what is now in order to the receive queue (it is charged
 * already), and take a FIN that waited there.
 */
static void toy_stream_ofo_drain(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	struct sk_buff *skb;
	bool data = false;

	while ((skb = skb_peek(&st->ofo_queue)) &&
	       !toy_seq_after(TOY_SKB_CB(skb)->seq, st->rcv_nxt)) {
		struct toy_skb_cb *cb = TOY_SKB_CB(skb);
		bool fin = cb->flags & TOY_F_FIN;

		__skb_unlink(skb, &st->ofo_queue);
		/* Old by now, or (past our FIN, or a record cut short) bogus. */
		if (!toy_seq_after(cb->end_seq, st->rcv_nxt) ||
		    !(TOYF(sk->sk_state) & TOYF_CAN_RECV) ||
		    (toy_is_seqpacket(sk) && cb->seq != st->rcv_nxt)) {
			kfree_skb_reason(skb, SKB_DROP_REASON_TCP_OLD_DATA);
			continue;
		}
		WRITE_ONCE(st->rcv_nxt, cb->end_seq - fin);
		if (skb->len) {
			trace_toy_deliver(sk, skb->len, 0);
			__skb_queue_tail(&sk->sk_receive_queue, skb);
			data = true;
		} else {
			consume_skb(skb);	/* a FIN alone */
		}
		if (fin) {
			WRITE_ONCE(st->rcv_nxt, st->rcv_nxt + 1);
			toy_stream_rcv_fin(sk);
		}
	}
	if (data)
		sk->sk_data_ready(sk);
}

/* ---- the state machine ------------------------------------------------- */

/* A reset: accept one that lands inside what we expect next. */
static void toy_stream_rcv_rst(struct sock *sk, const struct toy_flow *fl)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (fl->seq - st->rcv_nxt > st->rcv_edge - st->rcv_nxt)
		return;
	if (sk->sk_state == TOY_TIME_WAIT)
		toy_stream_done(sk);
	else
		toy_stream_fail(sk, sk->sk_state == TOY_CLOSE_WAIT ? EPIPE :
				ECONNRESET);
}

/*
 * Payload and FIN of a segment that starts at or before rcv_nxt and ends
 * past it.  Consumes @skb.  The caller acknowledges.
 */
static void toy_stream_rcv_in_order(struct sock *sk, struct sk_buff *skb,
				    const struct toy_flow *fl)
{
	struct toy_stream_sock *st = toy_st(sk);
	bool fin = fl->flags & TOY_F_FIN;
	enum skb_drop_reason reason = SKB_NOT_DROPPED_YET;

	/*
	 * Only bytes past rcv_nxt are queued.  A resent last segment with
	 * the FIN on top brings nothing else new: queued, its old bytes
	 * would wait for a read that never asks for them.
	 */
	if (skb->len && toy_seq_after(fl->seq + skb->len, st->rcv_nxt)) {
		reason = SKB_DROP_REASON_TCP_INVALID_SEQUENCE;
		if (!(TOYF(sk->sk_state) & TOYF_CAN_RECV))
			goto drop;	/* data after the peer's FIN */
		reason = SKB_DROP_REASON_TCP_CLOSE;
		if (sock_flag(sk, SOCK_DEAD)) {
			/* Nobody will ever read it: as TCP, reset. */
			toy_stream_send_rst(sk);
			toy_stream_done(sk);
			goto drop;
		}
		reason = SKB_NOT_DROPPED_YET;
		if (!toy_stream_rcv_data(sk, skb, fl))
			return;		/* dropped: the FIN waits too */
		skb = NULL;
	}
	if (fin) {
		WRITE_ONCE(st->rcv_nxt, st->rcv_nxt + 1);
		toy_stream_rcv_fin(sk);
	}
	toy_stream_ofo_drain(sk);
drop:
	toy_skb_free(skb, reason);	/* NULL if queued; a bare FIN is consumed */
}

/* A segment for a connection past its handshake. */
static void toy_stream_rcv_synced(struct sock *sk, struct sk_buff *skb,
				  const struct toy_flow *fl)
{
	struct toy_stream_sock *st = toy_st(sk);
	enum skb_drop_reason reason = SKB_NOT_DROPPED_YET;
	bool fin = fl->flags & TOY_F_FIN;
	u32 end = fl->seq + skb->len + fin;
	unsigned int len;
	u32 prior_nxt;
	bool hole;

	/* A control segment that did its work is consumed, not dropped. */
	if (fl->flags & TOY_F_RST) {
		toy_stream_rcv_rst(sk, fl);
		goto drop;
	}
	if (fl->flags & TOY_F_SYN) {
		/* A SYN+ACK: our handshake ACK was lost and the peer asks
		 * again.  A bare SYN: the peer may have lost the connection
		 * and be reconnecting; a "challenge ACK" (RFC 5961) makes it
		 * answer with the RST that clears this side.
		 */
		toy_stream_send_ack(sk);
		goto drop;
	}
	reason = SKB_DROP_REASON_TCP_FLAGS;
	if (!(fl->flags & TOY_F_ACK))
		goto drop;
	reason = SKB_NOT_DROPPED_YET;
	st->heard = true;	/* the peer knows the connection */
	if (sk->sk_state == TOY_TIME_WAIT) {
		/* The peer lost our last ACK: repeat it, wait again. */
		if (fin) {
			toy_stream_send_ack(sk);
			toy_stream_arm(sk, TOY_TIMEWAIT_LEN);
		}
		goto drop;
	}

	if (!toy_stream_rcv_ack(sk, fl, skb->len || fin)) {
		reason = SKB_DROP_REASON_TCP_ACK_UNSENT_DATA;
		goto drop;	/* acknowledges what we never sent */
	}
	if (sk->sk_state == TOY_CLOSE)
		goto drop;	/* that ACK completed our close */

	if (!toy_seq_after(end, st->rcv_nxt)) {
		/* Nothing new: a duplicate, or a window probe (seq behind
		 * us): say where we are.  A pure ACK gets no answer.
		 */
		if (skb->len) {
			toy_stream_send_ctl(sk, TOY_F_ACK | TOY_F_DSACK,
					    st->snd_nxt);
			reason = SKB_DROP_REASON_TCP_OLD_DATA;
		} else if (end != fl->seq ||
			   toy_seq_before(fl->seq, st->rcv_nxt)) {
			toy_stream_send_ack(sk);
		}
		goto drop;
	}
	if (end == fl->seq)
		goto drop;	/* a pure ACK from ahead of us: no ping-pong */
	if (toy_seq_after(fl->seq, st->rcv_nxt)) {
		/* Past a hole.  The duplicate ACK tells the sender; a
		 * D-SACK, that this segment was here already.
		 */
		u8 flags = TOY_F_ACK;

		if (!(TOYF(sk->sk_state) & TOYF_CAN_RECV))
			kfree_skb_reason(skb,
					 SKB_DROP_REASON_TCP_INVALID_SEQUENCE);
		else if (toy_stream_ofo_queue(sk, skb, fl))
			flags |= TOY_F_DSACK;
		toy_stream_send_ctl(sk, flags, st->snd_nxt);
		return;
	}
	if (toy_is_seqpacket(sk) && fl->seq != st->rcv_nxt) {
		toy_stream_send_ack(sk);	/* a record is never cut */
		reason = SKB_DROP_REASON_TCP_INVALID_SEQUENCE;
		goto drop;
	}
	hole = !skb_queue_empty(&st->ofo_queue);
	prior_nxt = st->rcv_nxt;
	len = skb->len;
	toy_stream_rcv_in_order(sk, skb, fl);
	/* Not after an orphan reset the peer for data nobody will read.
	 * At once if it filled a hole, ended the stream or was dropped.
	 */
	if (sk->sk_state != TOY_CLOSE)
		toy_stream_ack_data(sk, len, hole || fin ||
				    st->rcv_nxt == prior_nxt);
	return;
drop:
	toy_skb_free(skb, reason);
}

/* SYN_SENT: waiting for the listener's SYN+ACK (or RST). */
static void toy_stream_rcv_syn_sent(struct sock *sk, struct sk_buff *skb,
				    const struct toy_flow *fl)
{
	struct toy_stream_sock *st = toy_st(sk);
	enum skb_drop_reason reason = SKB_DROP_REASON_TCP_FLAGS;

	if (!(fl->flags & TOY_F_ACK))
		goto drop;
	if (fl->ack != st->snd_nxt) {
		reason = SKB_DROP_REASON_TCP_ACK_UNSENT_DATA;
		/* Not for our SYN: a half-open old connection on the peer's
		 * side.  Reset it (RFC 9293 3.10.7.3), or it would hold the
		 * four-tuple while we retry.
		 */
		toy_stream_reply_rst(toy_sk_dev(sk), fl, skb->len);
		goto drop;
	}
	if (fl->flags & TOY_F_RST) {
		toy_stream_fail(sk, ECONNREFUSED);
		reason = SKB_NOT_DROPPED_YET;
		goto drop;
	}
	if (!(fl->flags & TOY_F_SYN))
		goto drop;
	reason = SKB_NOT_DROPPED_YET;

	WRITE_ONCE(st->snd_una, fl->ack);
	st->snd_wnd = fl->window * TOY_WINDOW_UNIT;
	st->max_wnd = st->snd_wnd;
	st->snd_wl1 = fl->seq;
	WRITE_ONCE(st->rcv_nxt, fl->seq + 1);
	WRITE_ONCE(st->copied_seq, st->rcv_nxt);
	st->rcv_edge = st->rcv_nxt;
	st->retries = 0;
	st->rto = TOY_RTO_INIT;
	toy_stream_stop_timer(sk);
	toy_stream_set_state(sk, TOY_ESTABLISHED);
	toy_stream_send_ack(sk);
	toy_stream_rearm(sk, false);	/* until the server is heard */
	sk->sk_state_change(sk);
	sk->sk_write_space(sk);
drop:
	toy_skb_free(skb, reason);
}

/*
 * Run one segment through the state machine.  Socket locked; consumes.
 * From the receive softirq, or from the socket backlog at release_sock(),
 * by when skb->dev may be gone (a link deleted): nothing below uses it;
 * replies take toy_sk_dev() and are routed by address.
 */
static void toy_stream_process(struct sock *sk, struct sk_buff *skb)
{
	struct toy_flow fl;

	toy_skb_flow(skb, &fl);
	switch (sk->sk_state) {
	case TOY_LISTEN:
		toy_stream_rcv_listen(sk, skb, &fl);
		break;
	case TOY_SYN_SENT:
		toy_stream_rcv_syn_sent(sk, skb, &fl);
		break;
	case TOY_CLOSE:
		toy_stream_reply_rst(toy_sk_dev(sk), &fl, skb->len);
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_CLOSE);
		break;
	default:
		toy_stream_rcv_synced(sk, skb, &fl);
		break;
	}
}

/**
 * toy_stream_backlog_rcv() - replay a segment queued while a process
 *	owned the socket (struct proto .backlog_rcv)
 * @sk: the socket, owned by the caller of release_sock()
 * @skb: the segment, consumed
 *
 * Return: 0.
 */
int toy_stream_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	toy_stream_process(sk, skb);
	return 0;
}

/* ---- from the protocol layer (softirq) --------------------------------- */

/*
 * How much may wait in the backlog while a process holds the socket: as
 * for TCP, both buffers plus 64 KiB, because sk_backlog.len is only reset
 * once release_sock() has drained the backlog completely.
 */
static unsigned int toy_stream_backlog_limit(const struct sock *sk)
{
	u64 limit = (u64)READ_ONCE(sk->sk_rcvbuf) + READ_ONCE(sk->sk_sndbuf) +
		    SZ_64K;

	return min_t(u64, limit, INT_MAX);	/* SO_*BUFFORCE can be huge */
}

/**
 * toy_stream_rcv_or_backlog() - run a segment through the state machine
 * @sk: the socket it is for, with a reference held by the caller
 * @skb: the segment, consumed
 * @nested: @sk is a child whose listener the caller has locked
 *
 * Runs it now, or queues it to the socket backlog if a process owns the
 * socket; release_sock() then replays it through toy_stream_backlog_rcv().
 *
 * Return: NET_RX_SUCCESS, or NET_RX_DROP if the backlog was full.
 */
int toy_stream_rcv_or_backlog(struct sock *sk, struct sk_buff *skb,
			      bool nested)
{
	int ret = NET_RX_SUCCESS;

	local_bh_disable();
	if (nested)
		bh_lock_sock_nested(sk);
	else
		bh_lock_sock(sk);
	if (!sock_owned_by_user(sk)) {
		toy_stream_process(sk, skb);
	} else if (sk_add_backlog(sk, skb, toy_stream_backlog_limit(sk))) {
		/* Lost; the sender will retransmit. */
		TOY_SK_INC_STATS(sk, TOY_MIB_BACKLOGDROPS);
		atomic_inc(&sk->sk_drops);
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_BACKLOG);
		ret = NET_RX_DROP;
	}
	bh_unlock_sock(sk);
	local_bh_enable();
	return ret;
}

/**
 * toy_stream_rcv() - a stream or seqpacket frame arrived (softirq)
 * @tn: the namespace it arrived in
 * @skb: the validated frame, header pulled; consumed
 *
 * Finds the connection (or listener) by address and port and runs the
 * state machine on it, or queues the frame to the socket backlog if a
 * process holds the socket lock.  A frame nobody wants is answered with
 * RST.
 *
 * Return: NET_RX_SUCCESS or NET_RX_DROP.
 */
int toy_stream_rcv(struct toy_net *tn, struct sk_buff *skb)
{
	enum skb_drop_reason reason = SKB_DROP_REASON_INVALID_PROTO;
	struct toy_flow fl;
	struct sock *sk;
	int ret;

	toy_skb_flow(skb, &fl);
	/* toy_rcv() passed it as for this node or for all: a stream is
	 * never for all.
	 */
	if (!toy_addr_is_local(dev_net(skb->dev), fl.daddr) || !fl.sport) {
		TOY_INC_STATS(tn, TOY_MIB_HDRERRORS);
		TOY_INC_STATS(tn, TOY_MIB_INERRORS);
		goto drop;
	}
	sk = toy_port_lookup_stream(tn, &fl);
	if (!sk) {
		TOY_INC_STATS(tn, TOY_MIB_NOPORTS);
		toy_stream_reply_rst(skb->dev, &fl, skb->len);
		reason = SKB_DROP_REASON_NO_SOCKET;
		goto drop;
	}

	ret = toy_stream_rcv_or_backlog(sk, skb, false);
	sock_put(sk);
	return ret;
drop:
	kfree_skb_reason(skb, reason);
	return NET_RX_DROP;
}
