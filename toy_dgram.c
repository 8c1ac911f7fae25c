// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY datagram sockets (SOCK_DGRAM).  Layer: protocol (a struct
 * proto), beside the toy_stream*.c files; the analogue of net/ipv4/udp.c.
 *
 * Owns datagram send and receive, connect() as a default peer, the
 * "port unreachable" reply, broadcast, and struct proto toy_dgram_prot.
 *
 * How a datagram enters and leaves:
 *
 *   toy_dgram_sendmsg()  route, autobind, toy_skb_alloc_send() (charges
 *                        SO_SNDBUF), toy_xmit() (toy_proto.c): header,
 *                        dev_queue_xmit(toy0)
 *   ... toy0 loops the frame back (toy_netdev.c) ...
 *   toy_rcv()            toy_proto.c, softirq: validate, dispatch by type
 *   toy_dgram_rcv()      look the socket up under RCU (toy_port_lookup()),
 *                        take a reference, toy_dgram_queue_rcv():
 *                        sock_queue_rcv_skb() charges SO_RCVBUF and wakes
 *                        the reader; drop the reference
 *   toy_dgram_recvmsg()  skb_recv_datagram(), copy out, free
 *
 * Locking: a datagram socket's state changes under lock_sock(); the
 * receive path reads its addresses locklessly (READ_ONCE()) under RCU, so
 * it may see a connect() half done and, like UDP, then simply misses or
 * accepts that one frame.  Every skb that reaches toy_dgram_rcv() is
 * queued or freed exactly once, and every drop is counted.
 */

#include <linux/net.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_trace.h"

/* ---- the socket calls -------------------------------------------------- */

/**
 * toy_dgram_close() - the last close of a socket (struct proto .close)
 * @sk: the socket
 * @timeout: linger time; datagrams do not linger
 *
 * Unbinds first, so that no new frame is queued, then orphans the socket
 * and drops the creation reference.  Frames still queued are freed by
 * toy_sock_destruct() when the last reference goes.
 */
static void toy_dgram_close(struct sock *sk, long timeout)
{
	lock_sock(sk);
	toy_port_unbind(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	WRITE_ONCE(sk->sk_state, TOY_CLOSE);
	sock_orphan(sk);
	release_sock(sk);
	toy_sock_unlink(sk);
	sock_put(sk);
}

/**
 * toy_dgram_connect() - set a datagram socket's default peer (.connect)
 * @sk: the socket
 * @uaddr: a checked struct sockaddr_toy
 * @addr_len: its length
 *
 * Autobinds, and, like UDP, fixes the socket's local address to the one
 * frames to that peer will carry.
 *
 * Return: 0 or a negative errno (EINVAL for port 0, ENETUNREACH, EACCES
 * for broadcast without SO_BROADCAST, EAGAIN if no port is free).
 */
static int toy_dgram_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_toy *sa = (const struct sockaddr_toy *)uaddr;
	__be32 daddr = toy_resolve(sa->stoy_addr);
	struct toy_sock *ts = toy_sk(sk);
	int err = 0;

	if (!sa->stoy_port)
		return -EINVAL;
	lock_sock(sk);
	err = toy_route(sk, daddr, NULL);
	if (err)
		goto out;
	err = toy_autobind(sk);
	if (err)
		goto out;
	if (ts->rcv_saddr == htonl(TOY_ADDR_ANY) &&
	    daddr != htonl(TOY_ADDR_BROADCAST))
		toy_port_set_addr(sk, toy_source_addr(sock_net(sk), daddr));
	WRITE_ONCE(ts->daddr, daddr);
	WRITE_ONCE(ts->dport, sa->stoy_port);
	WRITE_ONCE(sk->sk_state, TOY_ESTABLISHED);
out:
	release_sock(sk);
	return err;
}

/**
 * toy_dgram_disconnect() - connect(AF_UNSPEC): forget the default peer
 * @sk: the socket
 * @flags: unused
 *
 * As __udp_disconnect(): a local address or port the user did not bind
 * explicitly is released too.
 *
 * Return: 0.
 */
static int toy_dgram_disconnect(struct sock *sk, int flags)
{
	struct toy_sock *ts = toy_sk(sk);

	lock_sock(sk);
	WRITE_ONCE(sk->sk_state, TOY_CLOSE);
	WRITE_ONCE(ts->daddr, 0);
	WRITE_ONCE(ts->dport, 0);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		toy_port_unbind(sk);
	else if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		toy_port_set_addr(sk, htonl(TOY_ADDR_ANY));
	release_sock(sk);
	return 0;
}

/* Fill in the source side of @fl; autobinds. */
static int toy_dgram_source(struct sock *sk, struct toy_flow *fl)
{
	struct toy_sock *ts = toy_sk(sk);
	int err = 0;

	lock_sock(sk);
	err = toy_autobind(sk);
	fl->sport = ts->sport;
	fl->saddr = ts->rcv_saddr;
	release_sock(sk);
	if (fl->saddr == htonl(TOY_ADDR_ANY))
		fl->saddr = toy_source_addr(sock_net(sk), fl->daddr);
	return err;
}

/**
 * toy_dgram_sendmsg() - send one datagram (.sendmsg)
 * @sk: the sending socket
 * @msg: payload, and optionally a destination (checked by the socket layer)
 * @len: payload length
 *
 * Return: @len, or a negative errno: EDESTADDRREQ without a destination,
 * EINVAL for port 0, EMSGSIZE above the largest datagram, EOPNOTSUPP for
 * MSG_OOB, plus those of routing, autobind and buffer allocation.
 */
static int toy_dgram_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	DECLARE_SOCKADDR(struct sockaddr_toy *, sa, msg->msg_name);
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_sock *ts = toy_sk(sk);
	struct toy_flow fl = { .type = TOY_TYPE_DGRAM, .flags = TOY_F_DATA };
	unsigned int max_payload;
	struct sk_buff *skb;
	int err;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (sa) {
		if (!sa->stoy_port)
			return -EINVAL;
		fl.daddr = toy_resolve(sa->stoy_addr);
		fl.dport = sa->stoy_port;
	} else {
		if (READ_ONCE(sk->sk_state) != TOY_ESTABLISHED)
			return -EDESTADDRREQ;
		fl.daddr = READ_ONCE(ts->daddr);
		fl.dport = READ_ONCE(ts->dport);
	}

	err = toy_route(sk, fl.daddr, &max_payload);
	if (err)
		return err;
	if (len > max_payload)
		return -EMSGSIZE;
	err = toy_dgram_source(sk, &fl);
	if (err)
		return err;

	skb = toy_skb_alloc_send(sk, toy_sk_dev(sk), msg, len, &err);
	if (!skb)
		goto out_err;
	err = toy_xmit(sock_net(sk), skb, &fl, toy_sk_route(sk, fl.daddr));
	if (err)
		goto out_err;
	TOY_INC_STATS(tn, TOY_MIB_OUTDATAGRAMS);
	return len;

out_err:
	if (err == -ENOBUFS || err == -EAGAIN)
		TOY_INC_STATS(tn, TOY_MIB_SNDBUFERRORS);
	return err;
}

/**
 * toy_dgram_recvmsg() - receive one datagram (.recvmsg)
 * @sk: the socket
 * @msg: where the payload and the sender's address go
 * @len: room in @msg
 * @flags: MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, ...
 * @addr_len: set to the length of the address written to msg_name
 *
 * A datagram longer than @len is truncated and MSG_TRUNC set in
 * msg_flags; with MSG_TRUNC in @flags the full length is returned, as UDP
 * does.  Waiting honours SO_RCVTIMEO and O_NONBLOCK.
 *
 * Return: bytes copied (or the datagram length with MSG_TRUNC), or a
 * negative errno; a pending socket error is reported first.
 */
static int toy_dgram_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			     int flags, int *addr_len)
{
	DECLARE_SOCKADDR(struct sockaddr_toy *, sa, msg->msg_name);
	struct sk_buff *skb;
	size_t copied;
	int err;

	skb = skb_recv_datagram(sk, flags, &err);
	if (!skb)
		return err;

	copied = skb->len;
	if (copied > len) {
		copied = len;
		msg->msg_flags |= MSG_TRUNC;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err)
		goto out;

	sock_recv_cmsgs(msg, sk, skb);
	if (sa) {
		const struct toyhdr *th = toy_hdr(skb);

		memset(sa, 0, sizeof(*sa));
		sa->stoy_family = toy_family;
		sa->stoy_addr = th->saddr;
		sa->stoy_port = th->sport;
		*addr_len = sizeof(*sa);
	}
	err = (flags & MSG_TRUNC) ? skb->len : copied;
out:
	skb_free_datagram(sk, skb);
	return err;
}

/* ---- receive (softirq) ------------------------------------------------- */

/*
 * The best socket for a unicast frame: a socket bound to the exact
 * address beats a wildcard, a connected socket beats both, and a
 * connected socket only accepts frames from its peer.  -1: no match.
 */
static int toy_dgram_score(const struct sock *sk, const struct toy_flow *fl)
{
	const struct toy_sock *ts = toy_sk(sk);
	__be32 bound = READ_ONCE(ts->rcv_saddr);
	int score = 0;

	/* A reader can walk from an old port's list into a new one when a
	 * socket is rebound within a grace period: check the port too.
	 */
	if (READ_ONCE(ts->sport) != fl->dport)
		return -1;
	if (bound != htonl(TOY_ADDR_ANY)) {
		if (bound != fl->daddr)
			return -1;
		score += 2;
	}
	if (READ_ONCE(sk->sk_state) == TOY_ESTABLISHED) {
		if (READ_ONCE(ts->daddr) != fl->saddr ||
		    READ_ONCE(ts->dport) != fl->sport)
			return -1;
		score += 4;
	}
	return score;
}

/**
 * toy_dgram_lookup() - the datagram socket a frame is for
 * @tn: the namespace the frame arrived in
 * @fl: the frame's addressing
 *
 * Caller holds rcu_read_lock().  Static except in KUnit builds.
 *
 * Return: the socket with a reference taken, or NULL.
 */
TOY_VISIBLE_IF_KUNIT
struct sock *toy_dgram_lookup(struct toy_net *tn, const struct toy_flow *fl)
{
	return toy_port_lookup(tn, fl, toy_dgram_score);
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_dgram_lookup);

/* Queue @skb on @sk and drop the lookup's reference.  Consumes @skb. */
static int toy_dgram_queue_rcv(struct toy_net *tn, struct sock *sk,
			       struct sk_buff *skb)
{
	enum skb_drop_reason reason;
	unsigned int len = skb->len;
	int err = sock_queue_rcv_skb_reason(sk, skb, &reason);

	trace_toy_deliver(sk, len, err);
	sock_put(sk);
	if (err) {
		/* It does not free on failure; it says why (SO_RCVBUF full,
		 * the protocol's memory, a socket filter).
		 */
		if (err == -ENOMEM || err == -ENOBUFS)
			TOY_INC_STATS(tn, TOY_MIB_RCVBUFERRORS);
		TOY_INC_STATS(tn, TOY_MIB_INERRORS);
		kfree_skb_reason(skb, reason);
		return NET_RX_DROP;
	}
	TOY_INC_STATS(tn, TOY_MIB_INDATAGRAMS);
	return NET_RX_SUCCESS;
}

/*
 * Tell the sender that nobody listens on the port: the toy equivalent of
 * ICMP port unreachable, a header-only frame with TOY_F_RST and the ports
 * swapped.  Best effort: if it cannot be sent, the sender is not told.
 */
static void toy_dgram_unreachable(struct net_device *dev,
				  const struct toy_flow *in)
{
	struct toy_flow fl;
	struct sk_buff *skb;

	skb = toy_skb_alloc_ctl(dev, GFP_ATOMIC);
	if (!skb)
		return;
	toy_flow_reply(in, &fl);
	fl.flags = TOY_F_RST;
	toy_xmit(dev_net(dev), skb, &fl, NULL);
}

/* A "port unreachable" reply: fail the connected socket that caused it. */
static void toy_dgram_rcv_unreachable(struct toy_net *tn,
				      const struct toy_flow *fl)
{
	/* The reply comes from the port we sent to: look up our socket as
	 * if it were a datagram from that peer.
	 */
	struct sock *sk = toy_dgram_lookup(tn, fl);

	if (!sk)
		return;
	/* Like UDP, only a connected socket hears about it. */
	if (READ_ONCE(sk->sk_state) == TOY_ESTABLISHED) {
		WRITE_ONCE(sk->sk_err, ECONNREFUSED);
		sk_error_report(sk);
	}
	sock_put(sk);
}

/* What toy_dgram_rcv_broadcast() hands each socket it visits. */
struct toy_dgram_bcast {
	struct toy_net	*tn;
	struct sk_buff	*skb;
};

/* Queue a copy of the broadcast on @sk, and drop the visit's reference. */
static void toy_dgram_bcast_one(struct sock *sk, void *arg)
{
	struct toy_dgram_bcast *b = arg;
	struct sk_buff *copy = skb_clone(b->skb, GFP_ATOMIC);

	if (!copy) {
		sock_put(sk);
		TOY_INC_STATS(b->tn, TOY_MIB_INERRORS);
		return;
	}
	toy_dgram_queue_rcv(b->tn, sk, copy);
}

/* Deliver a broadcast to every socket on the port that accepts it. */
static int toy_dgram_rcv_broadcast(struct toy_net *tn,
				   const struct toy_flow *fl,
				   struct sk_buff *skb)
{
	struct toy_dgram_bcast b = { .tn = tn, .skb = skb };

	if (!toy_port_for_each(tn, fl, toy_dgram_score, toy_dgram_bcast_one,
			       &b))
		TOY_INC_STATS(tn, TOY_MIB_NOPORTS);
	consume_skb(skb);
	return NET_RX_SUCCESS;
}

/**
 * toy_dgram_rcv() - a datagram frame arrived (softirq)
 * @tn: the namespace it arrived in
 * @skb: the validated frame, header pulled; consumed
 *
 * Called by toy_rcv().  Queues it on the best-matching socket, copies a
 * broadcast to every socket on the port, takes a "port unreachable"
 * reply, and answers a frame nobody wants with one.
 *
 * Return: NET_RX_SUCCESS or NET_RX_DROP.
 */
int toy_dgram_rcv(struct toy_net *tn, struct sk_buff *skb)
{
	struct toy_flow fl;
	struct sock *sk;

	toy_skb_flow(skb, &fl);

	if (fl.flags == TOY_F_RST && !skb->len) {
		toy_dgram_rcv_unreachable(tn, &fl);
		consume_skb(skb);
		return NET_RX_SUCCESS;
	}
	if (fl.flags != TOY_F_DATA || !fl.sport || !fl.dport)
		goto hdr_error;
	/* toy_rcv() passes only frames for this node or for all. */
	if (fl.daddr == htonl(TOY_ADDR_BROADCAST))
		return toy_dgram_rcv_broadcast(tn, &fl, skb);

	sk = toy_dgram_lookup(tn, &fl);
	if (!sk) {
		TOY_INC_STATS(tn, TOY_MIB_NOPORTS);
		toy_dgram_unreachable(skb->dev, &fl);
		kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
		return NET_RX_DROP;
	}
	return toy_dgram_queue_rcv(tn, sk, skb);

hdr_error:
	TOY_INC_STATS(tn, TOY_MIB_HDRERRORS);
	TOY_INC_STATS(tn, TOY_MIB_INERRORS);
	kfree_skb_reason(skb, SKB_DROP_REASON_INVALID_PROTO);
	return NET_RX_DROP;
}

/**
 * toy_dgram_inq() - the size of the next datagram, for SIOCINQ
 * @sk: the socket
 *
 * Like UDP: the next datagram's length, not the total queued.
 *
 * Return: its length, or 0 if none is queued.
 */
int toy_dgram_inq(struct sock *sk)
{
	struct sk_buff *skb;
	int amount;

	spin_lock_bh(&sk->sk_receive_queue.lock);
	skb = skb_peek(&sk->sk_receive_queue);
	amount = skb ? skb->len : 0;
	spin_unlock_bh(&sk->sk_receive_queue.lock);
	return amount;
}

/* Datagrams' struct proto, as udp_prot is UDP's. */
struct proto toy_dgram_prot = {
	.name		= "TOY",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct toy_sock),
	.close		= toy_dgram_close,
	.bind		= toy_bind,
	.connect	= toy_dgram_connect,
	.disconnect	= toy_dgram_disconnect,
	.sendmsg	= toy_dgram_sendmsg,
	.recvmsg	= toy_dgram_recvmsg,
};
