// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY streams: the listener.  Layer: protocol (stream); the analogue
 * of inet_connection_sock.c's accept queue plus TCP's syncookies.
 *
 * Owns listen(), accept(), the accept queue and the SYN cookie.
 *
 * How a connection enters: a SYN reaches toy_stream_rcv_listen() (called
 * by the state machine in toy_stream_input.c) and is answered with a
 * SYN+ACK whose sequence number is a cookie; no state is kept.  The ACK
 * that echoes the cookie creates an ESTABLISHED child
 * (toy_stream_new_child()), puts it on the listener's port
 * (toy_port_add_child()) and on the accept queue.  How it leaves:
 * toy_stream_accept() hands it to the user; close of the listener resets
 * whatever was never accepted (toy_stream_close_listener()).
 *
 * Locking: the accept queue is guarded by the listener's socket lock; a
 * child is locked inside it with bh_lock_sock_nested().
 */

#include <linux/net.h>
#include <linux/sched/signal.h>
#include <linux/siphash.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"

/* ---- SYN cookies ------------------------------------------------------- */

/*
 * SYN cookies.  The server's initial sequence number for a connection is
 * a keyed hash (SipHash, 128-bit key) of its addresses, the client's
 * initial sequence number and a time slot, so the server recognises the
 * handshake's final ACK without having kept any state since the SYN.
 * As TCP's syncookies: the client's ISN is in it, so only the segment
 * right after the SYN (seq = client ISN + 1) can create the connection -
 * a later one, whose predecessors were lost, would make a stream that
 * silently starts with a hole; and the slot makes a cookie expire, so a
 * stray ACK of a long-dead connection does not bring it back.
 */
#define TOY_COOKIE_SLOT		(64 * HZ)

static siphash_key_t toy_cookie_key __read_mostly;

static u32 toy_stream_cookie(const struct toy_flow *reply, u32 peer_isn,
			     unsigned long slot)
{
	net_get_random_once(&toy_cookie_key, sizeof(toy_cookie_key));
	return siphash_3u64((u64)(__force u32)reply->saddr << 32 |
			    (__force u32)reply->daddr,
			    (u64)((__force u32)reply->sport << 16 |
				  (__force u32)reply->dport) << 32 | peer_isn,
			    slot, &toy_cookie_key);
}

static unsigned long toy_stream_cookie_slot(void)
{
	return jiffies / TOY_COOKIE_SLOT;
}

/*
 * Does @fl's acknowledgment echo a cookie of ours, made this time slot or
 * the one before?  Sets *@isn to our initial sequence number if so.
 */
static bool toy_stream_cookie_check(const struct toy_flow *reply,
				    const struct toy_flow *fl, u32 *isn)
{
	unsigned long slot = toy_stream_cookie_slot();
	int age;

	for (age = 0; age < 2; age++) {
		*isn = toy_stream_cookie(reply, fl->seq - 1, slot - age);
		if (fl->ack == *isn + 1)
			return true;
	}
	return false;
}

/* ---- segments to a listener -------------------------------------------- */

/* A child that never got its four-tuple: gone before anyone saw it. */
static void toy_stream_free_child(struct sock *child)
{
	sock_hold(child);	/* destroy drops the one sk_alloc() gave */
	local_bh_disable();
	bh_lock_sock_nested(child);
	sock_set_flag(child, SOCK_DEAD);	/* never had a user */
	toy_stream_destroy(child);
	bh_unlock_sock(child);
	local_bh_enable();
	sock_put(child);
}

/* A new connection on @parent, from the handshake's final ACK @fl. */
static struct sock *toy_stream_new_child(struct sock *parent,
					 const struct toy_flow *fl, u32 isn)
{
	struct toy_stream_sock *st;
	struct toy_sock *ts;
	struct sock *child;

	child = sk_alloc(sock_net(parent), parent->sk_family, GFP_ATOMIC,
			 parent->sk_prot, 0);
	if (!child)
		return NULL;
	sock_init_data(NULL, child);
	child->sk_type = parent->sk_type;
	child->sk_protocol = parent->sk_protocol;
	child->sk_reuse = parent->sk_reuse;
	child->sk_uid = parent->sk_uid;
	toy_sock_init(child);
	child->sk_prot->init(child);
	/* The listener's buffer sizes, whether default or set by the user. */
	child->sk_userlocks = parent->sk_userlocks;
	child->sk_rcvbuf = READ_ONCE(parent->sk_rcvbuf);
	child->sk_sndbuf = READ_ONCE(parent->sk_sndbuf);

	ts = toy_sk(child);
	st = toy_st(child);
	ts->daddr = fl->saddr;
	ts->dport = fl->sport;
	st->snd_una = isn + 1;
	st->snd_nxt = isn + 1;
	st->write_seq = isn + 1;
	st->high_seq = isn;
	st->heard = true;	/* its first segment is the client's */
	st->nodelay = toy_st(parent)->nodelay;	/* as TCP's children inherit */
	st->quickack = toy_st(parent)->quickack;
	st->snd_wnd = fl->window * TOY_WINDOW_UNIT;
	st->max_wnd = st->snd_wnd;
	st->snd_wl1 = fl->seq;
	st->rcv_nxt = fl->seq;
	st->rcv_wup = fl->seq;	/* the handshake's ACK acknowledged that */
	st->copied_seq = fl->seq;
	st->rcv_edge = fl->seq + toy_stream_free_window(child) *
		       TOY_WINDOW_UNIT;
	/* Ports first, so that the state event shows the connection's;
	 * until it is ESTABLISHED, lookups skip it (toy_port_lookup_conn()).
	 */
	if (toy_port_add_child(parent, child, fl->daddr)) {
		toy_stream_free_child(child);
		return NULL;
	}
	toy_stream_set_state(child, TOY_ESTABLISHED);
	return child;
}

/* A SYN: answer with SYN+ACK, our cookie as its sequence number. */
static void toy_stream_rcv_listen_syn(struct sock *sk, struct net_device *dev,
				      struct toy_flow *reply,
				      const struct toy_flow *fl)
{
	struct sk_buff *ctl = toy_skb_alloc_ctl(dev, GFP_ATOMIC);

	if (!ctl)
		return;		/* the client will retry */
	reply->flags = TOY_F_SYN | TOY_F_ACK;
	reply->seq = toy_stream_cookie(reply, fl->seq,
				       toy_stream_cookie_slot());
	reply->ack = fl->seq + 1;
	reply->window = toy_stream_free_window(sk);
	toy_xmit(dev_net(dev), ctl, reply, NULL);
}

/*
 * The child this segment belongs to, if another segment of the
 * connection created it while this one waited for the listener (on
 * another CPU, or in the backlog).  Returns a reference, or NULL.
 */
static struct sock *toy_stream_find_child(struct sock *sk,
					  const struct toy_flow *fl)
{
	struct sock *child;

	rcu_read_lock();
	child = toy_port_lookup_conn(toy_pernet(sock_net(sk)), fl);
	rcu_read_unlock();
	return child;
}

/**
 * toy_stream_rcv_listen() - a segment for a listener
 * @sk: the listener, locked
 * @skb: the segment, consumed
 * @fl: its header
 *
 * A SYN is answered statelessly with a SYN+ACK carrying our cookie.  An
 * ACK that echoes a valid cookie creates the connection and queues it for
 * accept(); the segment then goes on to the new child, which may take data
 * or even a FIN from it.
 */
void toy_stream_rcv_listen(struct sock *sk, struct sk_buff *skb,
			   const struct toy_flow *fl)
{
	/* Not skb->dev: a segment replayed from the backlog may have come
	 * over a link deleted since.  Replies are routed by address anyway.
	 */
	struct net_device *dev = toy_sk_dev(sk);
	struct toy_flow reply;
	enum skb_drop_reason reason = SKB_DROP_REASON_TCP_RESET;
	struct sock *child;
	u32 isn;

	toy_flow_reply(fl, &reply);
	if (fl->flags & TOY_F_RST)
		goto drop;
	/* A full accept queue drops the SYN: the client will retry. */
	reason = SKB_DROP_REASON_SOCKET_BACKLOG;
	if (sk_acceptq_is_full(sk))
		goto drop;

	if (fl->flags == TOY_F_SYN) {
		toy_stream_rcv_listen_syn(sk, dev, &reply, fl);
		reason = SKB_NOT_DROPPED_YET;	/* answered */
		goto drop;
	}
	reason = SKB_DROP_REASON_TCP_FLAGS;
	if (!(fl->flags & TOY_F_ACK) || (fl->flags & TOY_F_SYN)) {
		toy_stream_reply_rst(dev, fl, skb->len);
		goto drop;
	}
	child = toy_stream_find_child(sk, fl);
	if (child) {
		toy_stream_rcv_or_backlog(child, skb, true);
		sock_put(child);
		return;
	}
	if (!toy_stream_cookie_check(&reply, fl, &isn)) {
		/* A later segment of a connection whose first ones were
		 * lost: the client resends from its first byte, and that
		 * creates the child.  Anything else: an old connection.
		 */
		if (!skb->len && !(fl->flags & TOY_F_FIN))
			toy_stream_reply_rst(dev, fl, skb->len);
		reason = SKB_DROP_REASON_TCP_INVALID_SEQUENCE;
		goto drop;
	}

	child = toy_stream_new_child(sk, fl, isn);
	reason = SKB_DROP_REASON_NOMEM;
	if (!child)
		goto drop;	/* the client's retransmission retries */
	TOY_SK_INC_STATS(sk, TOY_MIB_PASSIVEOPENS);
	/* The accept queue owns the child's first reference. */
	list_add_tail(&toy_st(child)->accept_node, &toy_st(sk)->accept_queue);
	sk_acceptq_added(sk);

	/* The ACK may carry data, or even a FIN: the child takes it. */
	toy_stream_rcv_or_backlog(child, skb, true);
	sk->sk_data_ready(sk);
	return;
drop:
	toy_skb_free(skb, reason);
}

/* ---- the socket calls -------------------------------------------------- */

/**
 * toy_stream_listen() - start or resize listening
 * @sk: the socket, locked by the caller
 * @backlog: accept queue limit
 *
 * Autobinds like TCP.  Return: 0, -EINVAL unless CLOSE or LISTEN, or
 * -EADDRINUSE if another socket listens on the address.
 */
int toy_stream_listen(struct sock *sk, int backlog)
{
	int err;

	if (sk->sk_state == TOY_LISTEN) {
		WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
		return 0;
	}
	if (sk->sk_state != TOY_CLOSE)
		return -EINVAL;
	err = toy_autobind(sk);
	if (err)
		return err;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	WRITE_ONCE(sk->sk_ack_backlog, 0);
	return toy_port_listen(sk);
}

/**
 * toy_stream_accept() - take a connection from the accept queue
 * @sk: the listener
 * @flags: O_NONBLOCK
 * @err: set when NULL is returned
 *
 * Return: the child socket (the caller grafts it), or NULL with -EINVAL
 * (not listening), -EAGAIN, or a signal's errno.
 */
struct sock *toy_stream_accept(struct sock *sk, int flags, int *err)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct toy_stream_sock *st = toy_st(sk), *cst;
	struct sock *child = NULL;
	long timeo;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		*err = -EINVAL;
		if (sk->sk_state != TOY_LISTEN)
			break;
		if (!list_empty(&st->accept_queue)) {
			cst = list_first_entry(&st->accept_queue,
					       struct toy_stream_sock,
					       accept_node);
			list_del_init(&cst->accept_node);
			sk_acceptq_removed(sk);
			child = toy_st_sk(cst);
			break;
		}
		*err = -EAGAIN;
		if (!timeo)
			break;
		*err = sock_intr_errno(timeo);
		if (signal_pending(current))
			break;
		sk_wait_event(sk, &timeo, !list_empty(&st->accept_queue) ||
			      sk->sk_state != TOY_LISTEN, &wait);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	release_sock(sk);
	return child;
}

/**
 * toy_stream_close_listener() - reset every connection never accepted
 * @sk: the listener, locked, closing or disconnecting
 */
void toy_stream_close_listener(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk), *cst;
	struct sock *child;

	while (!list_empty(&st->accept_queue)) {
		cst = list_first_entry(&st->accept_queue,
				       struct toy_stream_sock, accept_node);
		child = toy_st_sk(cst);
		list_del_init(&cst->accept_node);
		sk_acceptq_removed(sk);

		sock_hold(child);
		local_bh_disable();
		bh_lock_sock_nested(child);
		sock_set_flag(child, SOCK_DEAD);	/* never had a user */
		if (TOYF(child->sk_state) & TOYF_SYNCED)
			toy_stream_send_rst(child);
		if (child->sk_state == TOY_CLOSE)
			toy_stream_destroy(child);
		else
			toy_stream_done(child);
		bh_unlock_sock(child);
		local_bh_enable();
		sock_put(child);
	}
}
