// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol layer of AF_TOY (struct proto).
 *
 * Owns, per network namespace (struct toy_net, via net_generic):
 *   - the port tables: which socket is bound to which port;
 *   - the receive handler (a packet_type for ETH_P_TOY) that validates a
 *     frame and demultiplexes it by destination address and port;
 *   - datagram send and receive;
 *   - /proc/net/toy, /proc/net/toy_snmp and /proc/sys/net/toy.
 *
 * How a datagram enters and leaves:
 *
 *   toy_dgram_sendmsg()  route, autobind, toy_skb_alloc_send(),
 *                        toy_skb_push_hdr(), dev_queue_xmit(toy0)
 *   ... toy0 loops the frame back (toy_netdev.c) ...
 *   toy_rcv()            softirq: toy_skb_validate(), then
 *   toy_dgram_rcv()      look the socket up under RCU, take a reference,
 *                        sock_queue_rcv_skb() (charges SO_RCVBUF, wakes
 *                        the reader), drop the reference
 *   toy_dgram_recvmsg()  skb_recv_datagram(), copy out, free
 *
 * Locking and references:
 *   - A port table's lock (its xarray's xa_lock, BH-safe) serialises
 *     bind and unbind.  The receive path never takes it for lookups: it
 *     reads the xarray and the per-port lists under RCU.
 *   - A socket found under RCU is used only after refcount_inc_not_zero();
 *     SOCK_RCU_FREE keeps its memory valid for the RCU reader meanwhile.
 *   - Lock order: lock_sock() before the table lock before nothing.
 *   - Every skb that reaches the receive handler is queued or freed
 *     exactly once, and every drop is counted.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/net.h>
#include <linux/proc_fs.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "af_toy.h"

static unsigned int toy_net_id __read_mostly;

/**
 * toy_pernet() - AF_TOY state of a namespace
 * @net: the namespace
 *
 * Return: its struct toy_net, valid as long as @net is.
 */
struct toy_net *toy_pernet(const struct net *net)
{
	return net_generic(net, toy_net_id);
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_pernet);

/* ---- addresses ------------------------------------------------------ */

/**
 * toy_addr_is_local() - is @addr one of this node's addresses?
 * @addr: a node address, network byte order
 *
 * toy0 is the only device and owns TOY_ADDR_LOOPBACK, so that is the only
 * local address.  A frame to any other unicast address has nowhere to go.
 *
 * Return: true if @addr is local.
 */
bool toy_addr_is_local(__be32 addr)
{
	return addr == htonl(TOY_ADDR_LOOPBACK);
}

static u8 toy_type_of(const struct sock *sk)
{
	switch (sk->sk_type) {
	case SOCK_STREAM:
		return TOY_TYPE_STREAM;
	case SOCK_SEQPACKET:
		return TOY_TYPE_SEQPACKET;
	default:
		return TOY_TYPE_DGRAM;
	}
}

static struct toy_table *toy_table_of(struct toy_net *tn, u8 type)
{
	return &tn->tables[type - 1];
}

/* ---- the port table ------------------------------------------------- */

static void toy_port_range(const struct toy_net *tn, u32 *low, u32 *high)
{
	u32 range = READ_ONCE(tn->port_range);

	*low = range & 0xffff;
	*high = range >> 16;
}

/*
 * Would binding @sk to @addr clash with a socket already on this port?
 * As for UDP and TCP, SO_REUSEADDR on both lets them share the port
 * unless the other one listens; that includes a connection waiting in
 * TIME_WAIT, which keeps the SO_REUSEADDR of the socket it was.
 */
static bool toy_port_conflict(struct toy_table *tbl, struct toy_port *tp,
			      const struct sock *sk, __be32 addr)
{
	struct sock *sk2;

	hlist_for_each_entry_rcu(sk2, &tp->socks, sk_bind_node,
				 lockdep_is_held(&tbl->ports.xa_lock)) {
		__be32 addr2 = toy_sk(sk2)->rcv_saddr;
		int state2 = READ_ONCE(sk2->sk_state);

		if (sk->sk_reuse && sk2->sk_reuse && state2 != TOY_LISTEN)
			continue;
		if (!addr || !addr2 || addr == addr2)
			return true;
	}
	return false;
}

/*
 * Find the entry for @port, or install *@spare there (then *@spare is
 * set to NULL).  __xa_insert() may drop the table lock to allocate; if
 * another binder filled the slot meanwhile, use theirs.
 */
static struct toy_port *toy_port_get(struct toy_table *tbl, u32 port,
				     struct toy_port **spare, int *err)
	__must_hold(&tbl->ports.xa_lock)
{
	struct toy_port *tp;

	do {
		tp = xa_load(&tbl->ports, port);
		if (tp)
			return tp;
		*err = __xa_insert(&tbl->ports, port, *spare, GFP_KERNEL);
	} while (*err == -EBUSY);
	if (*err)
		return NULL;
	tp = *spare;
	*spare = NULL;
	return tp;
}

/* Install *@spare at a free port of the ephemeral range. */
static struct toy_port *toy_port_ephemeral(struct toy_net *tn,
					   struct toy_table *tbl, u32 *port,
					   struct toy_port **spare, int *err)
	__must_hold(&tbl->ports.xa_lock)
{
	struct toy_port *tp;
	u32 low, high;
	int ret;

	toy_port_range(tn, &low, &high);
	ret = __xa_alloc_cyclic(&tbl->ports, port, *spare, XA_LIMIT(low, high),
				&tbl->next_ephemeral, GFP_KERNEL);
	if (ret < 0) {
		/* -EBUSY: every port in the range is taken. */
		*err = ret == -EBUSY ? -EADDRINUSE : ret;
		return NULL;
	}
	tp = *spare;
	*spare = NULL;
	return tp;
}

/**
 * toy_port_bind() - bind a socket to an address and port in the table
 * @sk: an unbound socket; caller holds lock_sock()
 * @addr: local address, or TOY_ADDR_ANY
 * @port: port, or 0 for a free port of the ephemeral range
 *
 * Return: 0, -EADDRINUSE if the port is taken or the range exhausted, or
 * -ENOMEM.
 */
int toy_port_bind(struct sock *sk, __be32 addr, u32 port)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_table *tbl = toy_table_of(tn, toy_type_of(sk));
	struct toy_sock *ts = toy_sk(sk);
	struct toy_port *tp, *spare;
	int err = 0;

	/* Allocate before locking; freed below if the port already exists. */
	spare = kzalloc(sizeof(*spare), GFP_KERNEL);
	if (!spare)
		return -ENOMEM;

	xa_lock_bh(&tbl->ports);
	if (port) {
		tp = toy_port_get(tbl, port, &spare, &err);
		if (tp && toy_port_conflict(tbl, tp, sk, addr)) {
			tp = NULL;
			err = -EADDRINUSE;
		}
	} else {
		tp = toy_port_ephemeral(tn, tbl, &port, &spare, &err);
	}
	if (tp) {
		WRITE_ONCE(ts->rcv_saddr, addr);
		WRITE_ONCE(ts->sport, htons(port));
		hlist_add_head_rcu(&sk->sk_bind_node, &tp->socks);
	}
	xa_unlock_bh(&tbl->ports);
	kfree(spare);
	return err;
}

/**
 * toy_port_unbind() - take a socket off its port, if it has one
 * @sk: the socket; any context, with the socket locked
 *
 * The receive path may still see @sk until an RCU grace period passes;
 * SOCK_RCU_FREE keeps it valid meanwhile.
 */
void toy_port_unbind(struct sock *sk)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_table *tbl = toy_table_of(tn, toy_type_of(sk));
	struct toy_sock *ts = toy_sk(sk);
	u32 port = ntohs(ts->sport);
	struct toy_port *tp;

	if (!port)
		return;
	xa_lock_bh(&tbl->ports);
	tp = xa_load(&tbl->ports, port);
	hlist_del_init_rcu(&sk->sk_bind_node);
	if (tp && hlist_empty(&tp->socks)) {
		__xa_erase(&tbl->ports, port);
		kfree_rcu(tp, rcu);
	}
	WRITE_ONCE(ts->sport, 0);
	WRITE_ONCE(ts->rcv_saddr, htonl(TOY_ADDR_ANY));
	xa_unlock_bh(&tbl->ports);
}

/**
 * toy_port_add_child() - put an accepted connection on its listener's port
 * @parent: the listening socket, locked
 * @child: the new connection, not yet visible to anyone
 * @addr: the local address the client reached (the listener's may be ANY)
 *
 * A connection shares its listener's port without a conflict check: the
 * receive path tells them apart by the peer's address and port.
 */
void toy_port_add_child(struct sock *parent, struct sock *child, __be32 addr)
{
	struct toy_net *tn = toy_pernet(sock_net(parent));
	struct toy_table *tbl = toy_table_of(tn, toy_type_of(parent));

	xa_lock_bh(&tbl->ports);
	toy_sk(child)->rcv_saddr = addr;
	toy_sk(child)->sport = toy_sk(parent)->sport;
	hlist_add_behind_rcu(&child->sk_bind_node, &parent->sk_bind_node);
	xa_unlock_bh(&tbl->ports);
}

/**
 * toy_port_listen() - start listening on @sk's port, unless another does
 * @sk: a bound socket in TOY_CLOSE about to listen, locked
 *
 * SO_REUSEADDR lets sockets share a port, but only one may listen on an
 * address, as for TCP.  The check and the move to TOY_LISTEN happen under
 * the table lock, so two sockets calling listen() at once cannot both win.
 *
 * Return: 0, or -EADDRINUSE if another socket listens on an overlapping
 * address.
 */
int toy_port_listen(struct sock *sk)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_table *tbl = toy_table_of(tn, toy_type_of(sk));
	__be32 addr = toy_sk(sk)->rcv_saddr;
	struct toy_port *tp;
	struct sock *sk2;
	int err = 0;

	xa_lock_bh(&tbl->ports);
	tp = xa_load(&tbl->ports, ntohs(toy_sk(sk)->sport));
	if (tp) {
		hlist_for_each_entry_rcu(sk2, &tp->socks, sk_bind_node,
					 lockdep_is_held(&tbl->ports.xa_lock)) {
			__be32 addr2 = toy_sk(sk2)->rcv_saddr;

			if (sk2 != sk && sk2->sk_state == TOY_LISTEN &&
			    (!addr || !addr2 || addr == addr2))
				err = -EADDRINUSE;
		}
	}
	if (!err)
		WRITE_ONCE(sk->sk_state, TOY_LISTEN);
	xa_unlock_bh(&tbl->ports);
	return err;
}

/**
 * toy_port_connect() - claim a connection's four-tuple
 * @sk: a bound stream socket in TOY_CLOSE, locked
 * @daddr: the peer's address
 * @dport: the peer's port
 * @state: the state @sk enters with the claim (TOY_SYN_SENT)
 *
 * Two sockets sharing a port through SO_REUSEADDR must not connect to the
 * same peer: the receive path could not tell them apart, and one would
 * steal the other's frames.  As __inet_check_established() does for TCP,
 * the second connect() fails.  The check, the peer and the state are
 * published together under the table lock, so two racing connects cannot
 * both pass.  A socket bound to ANY gets the loopback address, as the
 * source its frames carry.
 *
 * Return: 0, or -EADDRNOTAVAIL if another connection has the four-tuple.
 */
int toy_port_connect(struct sock *sk, __be32 daddr, __be16 dport, int state)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_table *tbl = toy_table_of(tn, toy_type_of(sk));
	struct toy_sock *ts = toy_sk(sk);
	__be32 saddr = ts->rcv_saddr ?: htonl(TOY_ADDR_LOOPBACK);
	struct toy_port *tp;
	struct sock *sk2;
	int err = 0;

	xa_lock_bh(&tbl->ports);
	tp = xa_load(&tbl->ports, ntohs(ts->sport));
	hlist_for_each_entry_rcu(sk2, &tp->socks, sk_bind_node,
				 lockdep_is_held(&tbl->ports.xa_lock)) {
		int state2 = READ_ONCE(sk2->sk_state);

		if (sk2 != sk && state2 != TOY_CLOSE && state2 != TOY_LISTEN &&
		    toy_sk(sk2)->rcv_saddr == saddr &&
		    toy_sk(sk2)->daddr == daddr && toy_sk(sk2)->dport == dport)
			err = -EADDRNOTAVAIL;
	}
	if (!err) {
		WRITE_ONCE(ts->rcv_saddr, saddr);
		WRITE_ONCE(ts->daddr, daddr);
		WRITE_ONCE(ts->dport, dport);
		WRITE_ONCE(sk->sk_state, state);
	}
	xa_unlock_bh(&tbl->ports);
	return err;
}

/**
 * toy_port_set_addr() - change the local address of a bound socket
 * @sk: the socket, locked; connect() fixes its source address this way
 * @addr: the new local address
 */
void toy_port_set_addr(struct sock *sk, __be32 addr)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_table *tbl = toy_table_of(tn, toy_type_of(sk));

	xa_lock_bh(&tbl->ports);
	WRITE_ONCE(toy_sk(sk)->rcv_saddr, addr);
	xa_unlock_bh(&tbl->ports);
}

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
 * toy_port_lookup() - find the socket a frame is for
 * @tn: the namespace the frame arrived in
 * @fl: the frame's addressing, as the sender wrote it
 * @score: rates a socket bound to the destination port for this frame:
 *	   negative for "not this one", higher for a more specific match
 *
 * Caller holds rcu_read_lock(), as the receive path does.
 *
 * Return: the best-scoring socket with a reference taken, or NULL.
 */
struct sock *toy_port_lookup(struct toy_net *tn, const struct toy_flow *fl,
			     int (*score)(const struct sock *sk,
					  const struct toy_flow *fl))
{
	struct toy_table *tbl = toy_table_of(tn, fl->type);
	struct sock *sk, *best = NULL;
	int s, best_score = -1;
	struct toy_port *tp;

	tp = xa_load(&tbl->ports, ntohs(fl->dport));
	if (!tp)
		return NULL;
	hlist_for_each_entry_rcu(sk, &tp->socks, sk_bind_node) {
		s = score(sk, fl);
		if (s > best_score) {
			best = sk;
			best_score = s;
		}
	}
	if (best && !refcount_inc_not_zero(&best->sk_refcnt))
		best = NULL;
	return best;
}

/**
 * toy_lookup() - the datagram socket a frame is for
 * @tn: the namespace the frame arrived in
 * @fl: the frame's addressing
 *
 * Caller holds rcu_read_lock().  Static except in KUnit builds.
 *
 * Return: the socket with a reference taken, or NULL.
 */
TOY_VISIBLE_IF_KUNIT
struct sock *toy_lookup(struct toy_net *tn, const struct toy_flow *fl)
{
	return toy_port_lookup(tn, fl, toy_dgram_score);
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_lookup);

/* ---- sockets --------------------------------------------------------- */

/**
 * toy_sock_destruct() - free what is left when the last reference goes
 * @sk: the socket (sk->sk_destruct)
 */
void toy_sock_destruct(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&sk->sk_error_queue);
	WARN_ON_ONCE(atomic_read(&sk->sk_rmem_alloc));
}

/**
 * toy_sock_init() - protocol part of socket creation
 * @sk: a socket fresh from sk_alloc() and sock_init_data()
 *
 * Makes the socket RCU-freed (the receive path looks sockets up under
 * RCU) and lists it in /proc/net/toy.
 */
void toy_sock_init(struct sock *sk)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));

	sk->sk_destruct = toy_sock_destruct;
	sock_set_flag(sk, SOCK_RCU_FREE);

	spin_lock_bh(&tn->sklist_lock);
	sk_add_node(sk, &tn->sklist);
	spin_unlock_bh(&tn->sklist_lock);
}

/**
 * toy_close() - the last close of a socket (struct proto .close)
 * @sk: the socket
 * @timeout: linger time; datagrams do not linger
 *
 * Unbinds first, so that no new frame is queued, then orphans the socket
 * and drops the creation reference.  Frames still queued are freed by
 * toy_sock_destruct() when the last reference goes.
 */
void toy_close(struct sock *sk, long timeout)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));

	lock_sock(sk);
	toy_port_unbind(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	WRITE_ONCE(sk->sk_state, TOY_CLOSE);
	sock_orphan(sk);
	release_sock(sk);

	spin_lock_bh(&tn->sklist_lock);
	sk_del_node_init(sk);	/* drops the list's reference */
	spin_unlock_bh(&tn->sklist_lock);

	sock_put(sk);
}

/**
 * toy_bind() - bind a socket to a local address and port (.bind)
 * @sk: the socket
 * @uaddr: a struct sockaddr_toy, already checked by toy_check_sockaddr()
 * @addr_len: its length
 *
 * Return: 0; EADDRNOTAVAIL for an address that is not local, EACCES for a
 * privileged port without CAP_NET_BIND_SERVICE, EINVAL if already bound,
 * EADDRINUSE if the port is taken (or no ephemeral port is free).
 */
int toy_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_toy *sa = (const struct sockaddr_toy *)uaddr;
	u32 port = ntohs(sa->stoy_port);
	__be32 addr = sa->stoy_addr;
	int err;

	if (addr != htonl(TOY_ADDR_ANY) && !toy_addr_is_local(addr))
		return -EADDRNOTAVAIL;
	if (port && port < TOY_PROT_SOCK &&
	    !ns_capable(sock_net(sk)->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

	lock_sock(sk);
	err = -EINVAL;
	if (toy_sk(sk)->sport)
		goto out;
	err = toy_port_bind(sk, addr, port);
	if (err)
		goto out;
	/* What the user chose explicitly survives a disconnect. */
	if (addr != htonl(TOY_ADDR_ANY))
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
out:
	release_sock(sk);
	return err;
}

/**
 * toy_autobind() - bind to an ephemeral port on first use
 * @sk: the socket; caller holds lock_sock()
 *
 * Return: 0 (also if already bound), or -EAGAIN when no port is free, as
 * inet_autobind() says.
 */
int toy_autobind(struct sock *sk)
{
	int err;

	if (toy_sk(sk)->sport)
		return 0;
	err = toy_port_bind(sk, htonl(TOY_ADDR_ANY), 0);
	/* As inet_autobind(): an exhausted range is EAGAIN, not EADDRINUSE. */
	return err == -EADDRINUSE ? -EAGAIN : err;
}

/**
 * toy_fill_sockaddr() - getsockname()/getpeername()
 * @sk: the socket
 * @uaddr: where to write a struct sockaddr_toy
 * @peer: non-zero for the peer's address
 *
 * Return: the address length, or -ENOTCONN for the peer of an unconnected
 * socket.
 */
int toy_fill_sockaddr(const struct sock *sk, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_toy *sa = (struct sockaddr_toy *)uaddr;
	const struct toy_sock *ts = toy_sk(sk);
	int state = READ_ONCE(sk->sk_state);

	memset(sa, 0, sizeof(*sa));
	sa->stoy_family = toy_family;
	if (peer) {
		/* Connected: a datagram peer, or a stream past SYN_SENT. */
		if (!READ_ONCE(ts->dport) || state == TOY_CLOSE ||
		    state == TOY_SYN_SENT || state == TOY_LISTEN)
			return -ENOTCONN;
		sa->stoy_addr = READ_ONCE(ts->daddr);
		sa->stoy_port = READ_ONCE(ts->dport);
	} else {
		sa->stoy_addr = READ_ONCE(ts->rcv_saddr);
		sa->stoy_port = READ_ONCE(ts->sport);
	}
	return sizeof(*sa);
}

/* ---- routing: which device carries a frame to @daddr ---------------- */

/**
 * toy_route() - choose the device for a frame to @daddr
 * @sk: the sending socket (SO_BROADCAST is checked on it)
 * @daddr: destination, already resolved with toy_resolve()
 * @err: set when NULL is returned
 *
 * Return: the device, valid as long as the socket's namespace, or NULL
 * with -EACCES (broadcast without SO_BROADCAST), -ENETUNREACH (no such
 * node) or -ENETDOWN (toy0 is down).
 */
struct net_device *toy_route(struct sock *sk, __be32 daddr, int *err)
{
	struct net_device *dev = toy_pernet(sock_net(sk))->dev;

	if (daddr == htonl(TOY_ADDR_BROADCAST)) {
		if (!sock_flag(sk, SOCK_BROADCAST)) {
			*err = -EACCES;
			return NULL;
		}
	} else if (!toy_addr_is_local(daddr)) {
		*err = -ENETUNREACH;
		return NULL;
	}
	if (!netif_running(dev)) {
		*err = -ENETDOWN;
		return NULL;
	}
	return dev;
}

/**
 * toy_resolve() - the destination a user-supplied address stands for
 * @daddr: the address, network byte order
 *
 * Return: @daddr, except that TOY_ADDR_ANY means this node, as 0.0.0.0
 * does for IPv4.
 */
__be32 toy_resolve(__be32 daddr)
{
	return daddr == htonl(TOY_ADDR_ANY) ? htonl(TOY_ADDR_LOOPBACK) : daddr;
}

/* ---- datagram sockets ------------------------------------------------ */

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
int toy_dgram_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_toy *sa = (const struct sockaddr_toy *)uaddr;
	__be32 daddr = toy_resolve(sa->stoy_addr);
	struct toy_sock *ts = toy_sk(sk);
	int err = 0;

	if (!sa->stoy_port)
		return -EINVAL;
	lock_sock(sk);
	if (!toy_route(sk, daddr, &err))
		goto out;
	err = toy_autobind(sk);
	if (err)
		goto out;
	if (ts->rcv_saddr == htonl(TOY_ADDR_ANY) &&
	    daddr != htonl(TOY_ADDR_BROADCAST))
		toy_port_set_addr(sk, htonl(TOY_ADDR_LOOPBACK));
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
int toy_dgram_disconnect(struct sock *sk, int flags)
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

/**
 * toy_max_payload() - the largest payload one frame on @dev can carry
 * @dev: the device
 *
 * Return: the smaller of TOY_MAX_PAYLOAD and what the MTU leaves.
 */
unsigned int toy_max_payload(const struct net_device *dev)
{
	return min_t(unsigned int, TOY_MAX_PAYLOAD,
		     READ_ONCE(dev->mtu) - TOY_HDR_LEN);
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
		fl->saddr = htonl(TOY_ADDR_LOOPBACK);
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
int toy_dgram_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	DECLARE_SOCKADDR(struct sockaddr_toy *, sa, msg->msg_name);
	struct toy_net *tn = toy_pernet(sock_net(sk));
	struct toy_sock *ts = toy_sk(sk);
	struct toy_flow fl = { .type = TOY_TYPE_DGRAM, .flags = TOY_F_DATA };
	struct net_device *dev;
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

	dev = toy_route(sk, fl.daddr, &err);
	if (!dev)
		return err;
	if (len > toy_max_payload(dev))
		return -EMSGSIZE;
	err = toy_dgram_source(sk, &fl);
	if (err)
		return err;

	skb = toy_skb_alloc_send(sk, dev, msg, len, &err);
	if (!skb)
		goto out_err;
	toy_skb_push_hdr(skb, &fl);
	skb->dev = dev;

	err = dev_queue_xmit(skb);
	if (err > 0)
		err = net_xmit_errno(err);
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
int toy_dgram_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
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

/* ---- receive path (softirq) ----------------------------------------- */

/* Queue @skb on @sk and drop the lookup's reference.  Consumes @skb. */
static int toy_dgram_deliver(struct toy_net *tn, struct sock *sk,
			     struct sk_buff *skb)
{
	int err = sock_queue_rcv_skb(sk, skb);

	sock_put(sk);
	if (err) {
		/* sock_queue_rcv_skb() does not free on failure. */
		if (err == -ENOMEM || err == -ENOBUFS)
			TOY_INC_STATS(tn, TOY_MIB_RCVBUFERRORS);
		TOY_INC_STATS(tn, TOY_MIB_INERRORS);
		kfree_skb(skb);
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
	struct toy_flow fl = {
		.saddr = in->daddr, .daddr = in->saddr,
		.sport = in->dport, .dport = in->sport,
		.type = TOY_TYPE_DGRAM, .flags = TOY_F_RST,
	};
	struct sk_buff *skb;

	skb = toy_skb_alloc_ctl(dev, GFP_ATOMIC);
	if (!skb)
		return;
	toy_skb_push_hdr(skb, &fl);
	skb->dev = dev;
	dev_queue_xmit(skb);
}

/* A "port unreachable" reply: fail the connected socket that caused it. */
static void toy_dgram_rcv_unreachable(struct toy_net *tn,
				      const struct toy_flow *fl)
{
	/* The reply comes from the port we sent to: look up our socket as
	 * if it were a datagram from that peer.
	 */
	struct sock *sk = toy_lookup(tn, fl);

	if (!sk)
		return;
	/* Like UDP, only a connected socket hears about it. */
	if (READ_ONCE(sk->sk_state) == TOY_ESTABLISHED) {
		WRITE_ONCE(sk->sk_err, ECONNREFUSED);
		sk_error_report(sk);
	}
	sock_put(sk);
}

/* Deliver a broadcast to every socket on the port that accepts it. */
static int toy_dgram_rcv_broadcast(struct toy_net *tn,
				   const struct toy_flow *fl,
				   struct sk_buff *skb)
{
	struct toy_table *tbl = toy_table_of(tn, fl->type);
	struct toy_port *tp;
	struct sk_buff *copy;
	struct sock *sk;
	bool delivered = false;

	tp = xa_load(&tbl->ports, ntohs(fl->dport));
	if (tp) {
		hlist_for_each_entry_rcu(sk, &tp->socks, sk_bind_node) {
			if (toy_dgram_score(sk, fl) < 0 ||
			    !refcount_inc_not_zero(&sk->sk_refcnt))
				continue;
			delivered = true;
			copy = skb_clone(skb, GFP_ATOMIC);
			if (!copy) {
				sock_put(sk);
				TOY_INC_STATS(tn, TOY_MIB_INERRORS);
				continue;
			}
			toy_dgram_deliver(tn, sk, copy);
		}
	}
	if (!delivered)
		TOY_INC_STATS(tn, TOY_MIB_NOPORTS);
	consume_skb(skb);
	return NET_RX_SUCCESS;
}

static int toy_dgram_rcv(struct toy_net *tn, struct sk_buff *skb)
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
	if (fl.daddr == htonl(TOY_ADDR_BROADCAST))
		return toy_dgram_rcv_broadcast(tn, &fl, skb);
	if (!toy_addr_is_local(fl.daddr))
		goto hdr_error;

	sk = toy_lookup(tn, &fl);
	if (!sk) {
		TOY_INC_STATS(tn, TOY_MIB_NOPORTS);
		toy_dgram_unreachable(skb->dev, &fl);
		kfree_skb(skb);
		return NET_RX_DROP;
	}
	return toy_dgram_deliver(tn, sk, skb);

hdr_error:
	TOY_INC_STATS(tn, TOY_MIB_HDRERRORS);
	TOY_INC_STATS(tn, TOY_MIB_INERRORS);
	kfree_skb(skb);
	return NET_RX_DROP;
}

/*
 * The packet_type handler: every ETH_P_TOY frame received by any device
 * comes here, in softirq with RCU held.  It owns @skb from here on.
 */
static int toy_rcv(struct sk_buff *skb, struct net_device *dev,
		   struct packet_type *pt, struct net_device *orig_dev)
{
	struct toy_net *tn = toy_pernet(dev_net(dev));
	enum toy_rx_verdict verdict;

	if (!toy_dev_is_toy(dev) || skb->pkt_type == PACKET_OTHERHOST)
		goto drop;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return NET_RX_DROP;

	verdict = toy_skb_validate(skb);
	if (verdict != TOY_RX_OK) {
		TOY_INC_STATS(tn, verdict == TOY_RX_BAD_CSUM ?
			      TOY_MIB_INCSUMERRORS : TOY_MIB_HDRERRORS);
		TOY_INC_STATS(tn, TOY_MIB_INERRORS);
		goto drop;
	}
	if (toy_hdr(skb)->type == TOY_TYPE_DGRAM)
		return toy_dgram_rcv(tn, skb);
	return toy_stream_rcv(tn, skb);
drop:
	kfree_skb(skb);
	return NET_RX_DROP;
}

/* Receives every ETH_P_TOY frame: see toy_rcv(). */
struct packet_type toy_packet_type __read_mostly = {
	.type	= cpu_to_be16(ETH_P_TOY),
	.func	= toy_rcv,
};
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_packet_type);

/* ---- /proc/net/toy and /proc/net/toy_snmp ---------------------------- */

/* The counters' names in /proc/net/toy_snmp; the KUnit suites print them too. */
TOY_VISIBLE_IF_KUNIT const char *const toy_mib_names[TOY_MIB_MAX] = {
	[TOY_MIB_INDATAGRAMS]	= "InDatagrams",
	[TOY_MIB_NOPORTS]	= "NoPorts",
	[TOY_MIB_INERRORS]	= "InErrors",
	[TOY_MIB_OUTDATAGRAMS]	= "OutDatagrams",
	[TOY_MIB_RCVBUFERRORS]	= "RcvbufErrors",
	[TOY_MIB_SNDBUFERRORS]	= "SndbufErrors",
	[TOY_MIB_INCSUMERRORS]	= "InCsumErrors",
	[TOY_MIB_HDRERRORS]	= "HdrErrors",
	[TOY_MIB_ACTIVEOPENS]	= "ActiveOpens",
	[TOY_MIB_PASSIVEOPENS]	= "PassiveOpens",
	[TOY_MIB_RETRANSSEGS]	= "RetransSegs",
	[TOY_MIB_BACKLOGDROPS]	= "BacklogDrops",
	[TOY_MIB_WINDOWDROPS]	= "WindowDrops",
	[TOY_MIB_OFOQUEUE]	= "OfoQueue",
	[TOY_MIB_OFODROPS]	= "OfoDrops",
	[TOY_MIB_OFOPRUNED]	= "OfoPruned",
	[TOY_MIB_FASTRETRANS]	= "FastRetrans",
	[TOY_MIB_TIMEOUTS]	= "Timeouts",
	[TOY_MIB_SPURIOUSRETRANS] = "SpuriousRetrans",
	[TOY_MIB_ABORTONMEMORY]	= "AbortOnMemory",
};
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_mib_names);

static unsigned long toy_mib_sum(struct toy_net *tn, int item)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(tn->mib, cpu)->mibs[item];
	return sum;
}

static int toy_snmp_show(struct seq_file *seq, void *v)
{
	struct toy_net *tn = toy_pernet(seq_file_single_net(seq));
	int i;

	seq_puts(seq, "Toy:");
	for (i = 0; i < TOY_MIB_MAX; i++)
		seq_printf(seq, " %s", toy_mib_names[i]);
	seq_puts(seq, "\nToy:");
	for (i = 0; i < TOY_MIB_MAX; i++)
		seq_printf(seq, " %lu", toy_mib_sum(tn, i));
	seq_putc(seq, '\n');
	return 0;
}

static void *toy_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&toy_pernet(seq_file_net(seq))->sklist_lock)
{
	struct toy_net *tn = toy_pernet(seq_file_net(seq));

	spin_lock_bh(&tn->sklist_lock);
	return seq_hlist_start_head(&tn->sklist, *pos);
}

static void *toy_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct toy_net *tn = toy_pernet(seq_file_net(seq));

	return seq_hlist_next(v, &tn->sklist, pos);
}

static void toy_seq_stop(struct seq_file *seq, void *v)
	__releases(&toy_pernet(seq_file_net(seq))->sklist_lock)
{
	struct toy_net *tn = toy_pernet(seq_file_net(seq));

	spin_unlock_bh(&tn->sklist_lock);
}

static const char *toy_type_name(const struct sock *sk)
{
	switch (sk->sk_type) {
	case SOCK_STREAM:
		return "STREAM";
	case SOCK_SEQPACKET:
		return "SEQPACKET";
	default:
		return "DGRAM";
	}
}

/* TCP's state names, as ss and netstat print them. */
static const char *const toy_state_names[] = {
	[TCP_ESTABLISHED]	= "ESTABLISHED",
	[TCP_SYN_SENT]		= "SYN_SENT",
	[TCP_SYN_RECV]		= "SYN_RECV",
	[TCP_FIN_WAIT1]		= "FIN_WAIT1",
	[TCP_FIN_WAIT2]		= "FIN_WAIT2",
	[TCP_TIME_WAIT]		= "TIME_WAIT",
	[TCP_CLOSE]		= "CLOSE",
	[TCP_CLOSE_WAIT]	= "CLOSE_WAIT",
	[TCP_LAST_ACK]		= "LAST_ACK",
	[TCP_LISTEN]		= "LISTEN",
	[TCP_CLOSING]		= "CLOSING",
};

static const char *toy_state_name(int state)
{
	if (state < 0 || state >= ARRAY_SIZE(toy_state_names) ||
	    !toy_state_names[state])
		return "?";
	return toy_state_names[state];
}

static int toy_seq_show(struct seq_file *seq, void *v)
{
	const struct toy_sock *ts;
	struct sock *sk;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "  sl  local_address rem_address   st tx_queue:rx_queue   uid    inode drops type state\n");
		return 0;
	}
	sk = sk_entry(v);
	ts = toy_sk(sk);
	seq_printf(seq, "%4lld: %08X:%04X %08X:%04X %02X %08X:%08X %5u %8lu %5u %s %s\n",
		   seq->index - 1,
		   ntohl(READ_ONCE(ts->rcv_saddr)), ntohs(READ_ONCE(ts->sport)),
		   ntohl(READ_ONCE(ts->daddr)), ntohs(READ_ONCE(ts->dport)),
		   READ_ONCE(sk->sk_state),
		   sk_wmem_alloc_get(sk), sk_rmem_alloc_get(sk),
		   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
		   sock_i_ino(sk), atomic_read(&sk->sk_drops),
		   toy_type_name(sk), toy_state_name(READ_ONCE(sk->sk_state)));
	return 0;
}

static const struct seq_operations toy_seq_ops = {
	.start	= toy_seq_start,
	.next	= toy_seq_next,
	.stop	= toy_seq_stop,
	.show	= toy_seq_show,
};

/* ---- /proc/sys/net/toy ------------------------------------------------ */

static int toy_port_range_max = 65535;

static int toy_port_range_handler(toy_ctl_table *table, int write,
				  void *buffer, size_t *lenp, loff_t *ppos)
{
	struct toy_net *tn = table->data;
	u32 low, high;
	int range[2];
	struct ctl_table tmp = {
		.data	= range,
		.maxlen	= sizeof(range),
		.mode	= table->mode,
		.extra1	= SYSCTL_ONE,
		.extra2	= &toy_port_range_max,
	};
	int err;

	toy_port_range(tn, &low, &high);
	range[0] = low;
	range[1] = high;
	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!write || err)
		return err;
	if (range[1] < range[0])
		return -EINVAL;
	WRITE_ONCE(tn->port_range, (u32)range[1] << 16 | range[0]);
	return 0;
}

static struct ctl_table toy_sysctl_template[] = {
	{
		.procname	= "local_port_range",
		.maxlen		= sizeof(int) * 2,
		.mode		= 0644,
		.proc_handler	= toy_port_range_handler,
	},
	{ }
};

/*
 * Limits for the whole machine, in init_net only, as tcp_mem is: the
 * owner of a network namespace (any user, through unshare -Urn) must not
 * be able to raise them.  The data lives in toy_stream.c.
 */
static long toy_mem_min[3];
static int toy_buf_min = SZ_4K;

static struct ctl_table toy_sysctl_global[] = {
	{
		.procname	= "toy_mem",
		.data		= toy_sysctl_mem,
		.maxlen		= sizeof(toy_sysctl_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
		.extra1		= toy_mem_min,
	},
	{
		.procname	= "toy_rmem",
		.data		= toy_sysctl_rmem,
		.maxlen		= sizeof(toy_sysctl_rmem),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_buf_min,
	},
	{
		.procname	= "toy_wmem",
		.data		= toy_sysctl_wmem,
		.maxlen		= sizeof(toy_sysctl_wmem),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_buf_min,
	},
	{
		.procname	= "max_orphans",
		.data		= &toy_sysctl_max_orphans,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
	},
	{
		.procname	= "orphan_retries",
		.data		= &toy_sysctl_orphan_retries,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE_HUNDRED,
	},
	{ }
};

static struct ctl_table_header *toy_sysctl_global_hdr;

static int toy_sysctl_init(struct net *net, struct toy_net *tn)
{
	struct ctl_table *table;

	table = kmemdup(toy_sysctl_template, sizeof(toy_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[0].data = tn;
	tn->sysctl = toy_register_net_sysctl(net, "net/toy", table,
					     ARRAY_SIZE(toy_sysctl_template) - 1);
	if (!tn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	if (net_eq(net, &init_net)) {
		size_t n = ARRAY_SIZE(toy_sysctl_global) - 1;

		toy_sysctl_global_hdr = toy_register_net_sysctl(net, "net/toy",
								toy_sysctl_global,
								n);
		if (!toy_sysctl_global_hdr) {
			unregister_net_sysctl_table(tn->sysctl);
			kfree(table);
			return -ENOMEM;
		}
	}
	return 0;
}

static void toy_sysctl_exit(struct toy_net *tn)
{
	const struct ctl_table *table = tn->sysctl->ctl_table_arg;

	if (tn == toy_pernet(&init_net) && toy_sysctl_global_hdr) {
		unregister_net_sysctl_table(toy_sysctl_global_hdr);
		toy_sysctl_global_hdr = NULL;
	}
	unregister_net_sysctl_table(tn->sysctl);
	kfree(table);
}

/* ---- per-namespace setup ------------------------------------------- */

#define TOY_EPHEMERAL_LOW	32768U
#define TOY_EPHEMERAL_HIGH	60999U

static int __net_init toy_net_init(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	int i, err;

	/* The same default as ip_local_port_range. */
	tn->port_range = TOY_EPHEMERAL_HIGH << 16 | TOY_EPHEMERAL_LOW;
	for (i = 0; i < TOY_NTABLES; i++) {
		xa_init_flags(&tn->tables[i].ports,
			      XA_FLAGS_ALLOC | XA_FLAGS_LOCK_BH);
		/* Start somewhere unpredictable, as inet does. */
		tn->tables[i].next_ephemeral = TOY_EPHEMERAL_LOW +
			get_random_u32() %
			(TOY_EPHEMERAL_HIGH - TOY_EPHEMERAL_LOW + 1);
	}
	spin_lock_init(&tn->sklist_lock);
	INIT_HLIST_HEAD(&tn->sklist);

	tn->mib = alloc_percpu(struct toy_mib);
	if (!tn->mib)
		return -ENOMEM;
	err = toy_sysctl_init(net, tn);
	if (err)
		goto out_mib;
	err = -ENOMEM;
	if (!proc_create_net("toy", 0444, net->proc_net, &toy_seq_ops,
			     sizeof(struct seq_net_private)))
		goto out_sysctl;
	if (!proc_create_net_single("toy_snmp", 0444, net->proc_net,
				    toy_snmp_show, NULL))
		goto out_proc;
	tn->dev = toy_dev_create(net);
	if (IS_ERR(tn->dev)) {
		err = PTR_ERR(tn->dev);
		goto out_snmp;
	}
	return 0;

out_snmp:
	remove_proc_entry("toy_snmp", net->proc_net);
out_proc:
	remove_proc_entry("toy", net->proc_net);
out_sysctl:
	toy_sysctl_exit(tn);
out_mib:
	free_percpu(tn->mib);
	return err;
}

static void __net_exit toy_net_exit(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	int i;

	/* Sockets hold a reference on their namespace: none is left. */
	toy_dev_destroy(tn->dev);
	remove_proc_entry("toy_snmp", net->proc_net);
	remove_proc_entry("toy", net->proc_net);
	toy_sysctl_exit(tn);
	free_percpu(tn->mib);
	for (i = 0; i < TOY_NTABLES; i++) {
		WARN_ON_ONCE(!xa_empty(&tn->tables[i].ports));
		xa_destroy(&tn->tables[i].ports);
	}
}

/* Creates and destroys struct toy_net and toy0 with each namespace. */
struct pernet_operations toy_net_ops = {
	.init	= toy_net_init,
	.exit	= toy_net_exit,
	.id	= &toy_net_id,
	.size	= sizeof(struct toy_net),
};
