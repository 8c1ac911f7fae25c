// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY port tables.  Layer: below the protocols (toy_dgram.c and the
 * toy_stream*.c files), above toy_proto.c; the analogue of
 * net/ipv4/inet_hashtables.c and udp.c's port hash.
 *
 * Owns, per network namespace and socket type, which socket is bound to
 * which port (struct toy_table: an xarray of struct toy_port, each a list
 * of sockets), which stream listens there, which stream connection has
 * which four-tuple (an rhashtable, as inet_ehash), and the rules for
 * sharing a port: bind(), autobind, one listener per address, one
 * connection per four-tuple.
 *
 * How a socket enters: toy_bind() or toy_autobind() (toy_port_bind()); a
 * stream then enters the listeners by toy_port_listen() or the connection
 * table by toy_port_connect(), and a listener's child both the port and
 * the connection table through toy_port_add_child().  How it leaves:
 * toy_port_unhash() when a stream closes, toy_port_unbind().
 *
 * How the receive path finds it:
 *   - a datagram: toy_port_lookup() rates every socket on the frame's
 *     destination port with the caller's score function (UDP's way: a
 *     port has few sockets); toy_port_for_each() visits every match, for
 *     broadcast;
 *   - a stream frame: toy_port_lookup_stream() looks its four-tuple up
 *     in the connection table, and only if no connection has it, asks
 *     the port's listeners (TCP's way: a server's port may carry
 *     thousands of connections, and walking them for every frame made
 *     each new connection cost more than the last).
 *
 * Locking: a table's lock is its xarray's xa_lock, BH-safe (connections
 * come and go in softirq).  It is held to change the xarray, any port's
 * list, a bound socket's address, and the ephemeral cursor.  Lookups take
 * no lock: they read the xarray and walk the lists under RCU, and a
 * socket found is used only after refcount_inc_not_zero() (SOCK_RCU_FREE
 * keeps its memory valid meanwhile).  Lock order: lock_sock() before the
 * table lock before nothing.
 */

#include <linux/net.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_trace.h"

static struct toy_table *toy_table_of(struct toy_net *tn, u8 type)
{
	return &tn->tables[type - 1];
}

/* The table a socket's port is (or will be) in. */
static struct toy_table *toy_sk_table(const struct sock *sk)
{
	return toy_table_of(toy_pernet(sock_net(sk)), toy_type_of(sk));
}

/* The connection table: struct toy_sock by its four-tuple. */
static const struct rhashtable_params toy_conn_params = {
	.key_len		= sizeof(struct toy_conn_key),
	.key_offset		= offsetof(struct toy_sock, conn_key),
	.head_offset		= offsetof(struct toy_sock, conn_node),
	.automatic_shrinking	= true,
};

/*
 * Put a stream connection in the connection table under its four-tuple,
 * unless another connection has it.  Returns 0, -EADDRNOTAVAIL for a
 * four-tuple in use (as __inet_hash_connect() says), or -ENOMEM when the
 * table cannot grow.
 */
static int toy_port_hash_conn(struct toy_table *tbl, struct sock *sk,
			      __be32 saddr, __be32 daddr, __be16 dport)
	__must_hold(&tbl->ports.xa_lock)
{
	struct toy_sock *ts = toy_sk(sk);
	int err;

	if (WARN_ON_ONCE(ts->conn_hashed))
		return -EISCONN;
	ts->conn_key = (struct toy_conn_key) {
		.laddr = saddr, .raddr = daddr,
		.lport = ts->sport, .rport = dport,
	};
	err = rhashtable_lookup_insert_fast(&tbl->conns, &ts->conn_node,
					    toy_conn_params);
	if (err)
		return err == -EEXIST ? -EADDRNOTAVAIL : -ENOMEM;
	ts->conn_hashed = true;
	return 0;
}

/* Take @sk out of its port's listeners and the connection table. */
static void __toy_port_unhash(struct toy_table *tbl, struct sock *sk)
	__must_hold(&tbl->ports.xa_lock)
{
	struct toy_sock *ts = toy_sk(sk);

	if (!hlist_unhashed(&ts->listen_node))
		hlist_del_init_rcu(&ts->listen_node);
	if (ts->conn_hashed) {
		rhashtable_remove_fast(&tbl->conns, &ts->conn_node,
				       toy_conn_params);
		ts->conn_hashed = false;
	}
}

/* Do two local addresses overlap?  ANY overlaps everything. */
static bool toy_addr_overlap(__be32 a, __be32 b)
{
	return !a || !b || a == b;
}

/**
 * toy_port_range() - the namespace's ephemeral port range
 * @tn: the namespace's state
 * @low: set to its first port
 * @high: set to its last port
 *
 * Both ends are read at once, so they always match.
 */
void toy_port_range(const struct toy_net *tn, u32 *low, u32 *high)
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
		if (toy_addr_overlap(addr, addr2))
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

/* ---- binding ----------------------------------------------------------- */

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
	struct toy_table *tbl = toy_sk_table(sk);
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
	struct toy_table *tbl = toy_sk_table(sk);
	struct toy_sock *ts = toy_sk(sk);
	u32 port = ntohs(ts->sport);
	struct toy_port *tp;

	if (!port)
		return;
	xa_lock_bh(&tbl->ports);
	__toy_port_unhash(tbl, sk);
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
 * @child: the new connection, its peer set, not yet visible to anyone
 * @addr: the local address the client reached (the listener's may be ANY)
 *
 * A connection shares its listener's port without a conflict check: the
 * receive path tells them apart by the peer's address and port, in the
 * connection table.
 *
 * Return: 0, -EADDRNOTAVAIL if a connection has the four-tuple already,
 * or -ENOMEM; then @child is on no table.
 */
int toy_port_add_child(struct sock *parent, struct sock *child, __be32 addr)
{
	struct toy_table *tbl = toy_sk_table(parent);
	struct toy_sock *ts = toy_sk(child);
	int err;

	xa_lock_bh(&tbl->ports);
	ts->rcv_saddr = addr;
	ts->sport = toy_sk(parent)->sport;
	err = toy_port_hash_conn(tbl, child, addr, ts->daddr, ts->dport);
	if (!err)
		hlist_add_behind_rcu(&child->sk_bind_node,
				     &parent->sk_bind_node);
	else
		ts->sport = 0;
	xa_unlock_bh(&tbl->ports);
	return err;
}

/**
 * toy_port_unhash() - a stream leaves the listeners or the connection table
 * @sk: the socket, locked, on its way to CLOSE
 *
 * It stays bound (a closed socket keeps its port until close() or
 * another bind-freeing event), but no frame finds it any more.
 */
void toy_port_unhash(struct sock *sk)
{
	struct toy_table *tbl = toy_sk_table(sk);

	xa_lock_bh(&tbl->ports);
	__toy_port_unhash(tbl, sk);
	xa_unlock_bh(&tbl->ports);
}

/**
 * toy_port_set_addr() - change the local address of a bound socket
 * @sk: the socket, locked; connect() fixes its source address this way
 * @addr: the new local address
 */
void toy_port_set_addr(struct sock *sk, __be32 addr)
{
	struct toy_table *tbl = toy_sk_table(sk);

	xa_lock_bh(&tbl->ports);
	WRITE_ONCE(toy_sk(sk)->rcv_saddr, addr);
	xa_unlock_bh(&tbl->ports);
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

	if (addr != htonl(TOY_ADDR_ANY) && !toy_addr_is_local(sock_net(sk), addr))
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

/* ---- listening and connecting ------------------------------------------ */

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
	struct toy_table *tbl = toy_sk_table(sk);
	__be32 addr = toy_sk(sk)->rcv_saddr;
	struct toy_sock *ts2;
	struct toy_port *tp;
	int err = 0;

	xa_lock_bh(&tbl->ports);
	/* Bound (toy_stream_listen() autobinds), so the port is there. */
	tp = xa_load(&tbl->ports, ntohs(toy_sk(sk)->sport));
	hlist_for_each_entry_rcu(ts2, &tp->listeners, listen_node,
				 lockdep_is_held(&tbl->ports.xa_lock)) {
		if (toy_addr_overlap(addr, ts2->rcv_saddr))
			err = -EADDRINUSE;
	}
	if (!err) {
		trace_toy_set_state(sk, sk->sk_state, TOY_LISTEN);
		WRITE_ONCE(sk->sk_state, TOY_LISTEN);
		hlist_add_head_rcu(&toy_sk(sk)->listen_node, &tp->listeners);
	}
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
 * the second connect() fails: the connection table takes one socket per
 * four-tuple, and checks and inserts in one step, so two racing connects
 * cannot both pass.  The peer and the state are published under the
 * table lock.  A socket bound to ANY gets the loopback address, as the
 * source its frames carry.
 *
 * Return: 0, -EADDRNOTAVAIL if another connection has the four-tuple, or
 * -ENOMEM.
 */
int toy_port_connect(struct sock *sk, __be32 daddr, __be16 dport, int state)
{
	struct toy_table *tbl = toy_sk_table(sk);
	struct toy_sock *ts = toy_sk(sk);
	__be32 saddr = ts->rcv_saddr ?: toy_source_addr(sock_net(sk), daddr);
	int err;

	xa_lock_bh(&tbl->ports);
	err = toy_port_hash_conn(tbl, sk, saddr, daddr, dport);
	if (!err) {
		WRITE_ONCE(ts->rcv_saddr, saddr);
		WRITE_ONCE(ts->daddr, daddr);
		WRITE_ONCE(ts->dport, dport);
		trace_toy_set_state(sk, sk->sk_state, state);
		WRITE_ONCE(sk->sk_state, state);
	}
	xa_unlock_bh(&tbl->ports);
	return err;
}

/* ---- lookup (softirq, RCU) --------------------------------------------- */

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
 * toy_port_lookup_conn() - find the stream connection a frame belongs to
 * @tn: the namespace the frame arrived in
 * @fl: the frame's addressing, as the sender wrote it
 *
 * One lookup in the connection table, by the four-tuple seen from here.
 * A connection on its way in or out (a child not yet ESTABLISHED, one
 * already CLOSE) is skipped.  Caller holds rcu_read_lock().
 *
 * Return: the connection with a reference taken, or NULL.
 */
struct sock *toy_port_lookup_conn(struct toy_net *tn,
				  const struct toy_flow *fl)
{
	struct toy_table *tbl = toy_table_of(tn, fl->type);
	const struct toy_conn_key key = {
		.laddr = fl->daddr, .raddr = fl->saddr,
		.lport = fl->dport, .rport = fl->sport,
	};
	struct toy_sock *ts;

	ts = rhashtable_lookup(&tbl->conns, &key, toy_conn_params);
	if (!ts || READ_ONCE(ts->sk.sk_state) == TOY_CLOSE ||
	    !refcount_inc_not_zero(&ts->sk.sk_refcnt))
		return NULL;
	/* Between the match and the reference, the socket may have been
	 * closed and connected again under another four-tuple: check it is
	 * still this frame's, as __inet_lookup_established() does.
	 */
	if (unlikely(READ_ONCE(ts->rcv_saddr) != key.laddr ||
		     READ_ONCE(ts->sport) != key.lport ||
		     READ_ONCE(ts->daddr) != key.raddr ||
		     READ_ONCE(ts->dport) != key.rport)) {
		sock_put(&ts->sk);
		return NULL;
	}
	return &ts->sk;
}

/**
 * toy_port_lookup_stream() - find the socket a stream frame is for
 * @tn: the namespace the frame arrived in
 * @fl: the frame's addressing, as the sender wrote it
 *
 * Its connection if one has the four-tuple; else the port's listener,
 * one bound to the frame's address before one bound to ANY.  Caller
 * holds rcu_read_lock().
 *
 * Return: the socket with a reference taken, or NULL.
 */
struct sock *toy_port_lookup_stream(struct toy_net *tn,
				    const struct toy_flow *fl)
{
	struct toy_table *tbl = toy_table_of(tn, fl->type);
	struct sock *sk, *best = NULL;
	struct toy_port *tp;
	struct toy_sock *ts;

	sk = toy_port_lookup_conn(tn, fl);
	if (sk)
		return sk;
	tp = xa_load(&tbl->ports, ntohs(fl->dport));
	if (!tp)
		return NULL;
	hlist_for_each_entry_rcu(ts, &tp->listeners, listen_node) {
		__be32 bound = READ_ONCE(ts->rcv_saddr);

		/* A listener that just closed may have moved on, to
		 * another port's list even: check what it is now.
		 */
		if (READ_ONCE(ts->sk.sk_state) != TOY_LISTEN ||
		    READ_ONCE(ts->sport) != fl->dport)
			continue;
		if (bound == fl->daddr) {
			best = &ts->sk;
			break;
		}
		if (bound == htonl(TOY_ADDR_ANY))
			best = &ts->sk;
	}
	if (best && !refcount_inc_not_zero(&best->sk_refcnt))
		best = NULL;
	return best;
}

/**
 * toy_port_for_each() - visit every socket a frame matches
 * @tn: the namespace the frame arrived in
 * @fl: the frame's addressing
 * @score: as for toy_port_lookup(); every socket scoring 0 or more is
 *	   visited
 * @visit: called with a reference on the socket, which it must drop
 * @arg: passed to @visit
 *
 * For broadcast.  Caller holds rcu_read_lock().
 *
 * Return: how many sockets were visited.
 */
int toy_port_for_each(struct toy_net *tn, const struct toy_flow *fl,
		      int (*score)(const struct sock *sk,
				   const struct toy_flow *fl),
		      void (*visit)(struct sock *sk, void *arg), void *arg)
{
	struct toy_table *tbl = toy_table_of(tn, fl->type);
	struct toy_port *tp;
	struct sock *sk;
	int n = 0;

	tp = xa_load(&tbl->ports, ntohs(fl->dport));
	if (!tp)
		return 0;
	hlist_for_each_entry_rcu(sk, &tp->socks, sk_bind_node) {
		if (score(sk, fl) < 0 || !refcount_inc_not_zero(&sk->sk_refcnt))
			continue;
		visit(sk, arg);
		n++;
	}
	return n;
}

/* ---- per-namespace setup ----------------------------------------------- */

#define TOY_EPHEMERAL_LOW	32768U

#define TOY_EPHEMERAL_HIGH	60999U

/* Empty port tables for a new namespace. */
static int __net_init toy_port_net_init(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	int i, err;

	BUILD_BUG_ON(sizeof(struct toy_conn_key) != 12);	/* no padding */
	/* The same default as ip_local_port_range. */
	tn->port_range = TOY_EPHEMERAL_HIGH << 16 | TOY_EPHEMERAL_LOW;
	for (i = 0; i < TOY_NTABLES; i++) {
		err = rhashtable_init(&tn->tables[i].conns, &toy_conn_params);
		if (err)
			goto unwind;
		xa_init_flags(&tn->tables[i].ports,
			      XA_FLAGS_ALLOC | XA_FLAGS_LOCK_BH);
		/* Start somewhere unpredictable, as inet does. */
		tn->tables[i].next_ephemeral = TOY_EPHEMERAL_LOW +
			get_random_u32() %
			(TOY_EPHEMERAL_HIGH - TOY_EPHEMERAL_LOW + 1);
	}
	return 0;

unwind:
	while (i--)
		rhashtable_destroy(&tn->tables[i].conns);
	return err;
}

/* Its sockets are all gone (they hold the namespace), so are its ports. */
static void __net_exit toy_port_net_exit(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	int i;

	for (i = 0; i < TOY_NTABLES; i++) {
		WARN_ON_ONCE(!xa_empty(&tn->tables[i].ports));
		xa_destroy(&tn->tables[i].ports);
		WARN_ON_ONCE(atomic_read(&tn->tables[i].conns.nelems));
		rhashtable_destroy(&tn->tables[i].conns);
	}
}

/* The port tables of each namespace; registered after toy_net_ops. */
struct pernet_operations toy_port_net_ops = {
	.init	= toy_port_net_init,
	.exit	= toy_port_net_exit,
};
