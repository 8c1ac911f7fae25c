/* SPDX-License-Identifier: GPL-2.0 */
/*
 * af_toy.h - what the layers of AF_TOY share.
 *
 *   socket layer  af_toy.c             proto_ops: system calls arrive,
 *        |                             arguments are checked
 *        v
 *   protocols     toy_dgram.c          struct proto for SOCK_DGRAM (udp.c)
 *        |        toy_stream*.c        struct proto for SOCK_STREAM and
 *        |                             SOCK_SEQPACKET (tcp*.c); see
 *        |                             toy_stream.h and toy_stream.c
 *        v
 *   port tables   toy_port.c           bind, lookup by port (inet_hashtables.c)
 *        |
 *        v
 *   core          toy_proto.c          per-namespace state, routing,
 *        |                             toy_xmit() down, toy_rcv() up
 *        v
 *   neighbours    toy_neigh.c          the toy ARP: which link reaches a node
 *        |
 *        v
 *   buffers       toy_skb.c            sk_buff: header build/validate
 *        |
 *        v
 *   device        toy_netdev.c         net_device toy0: transmit, loop back
 *                 toy_link.c           toy links: cables between namespaces
 *
 *   beside them   toy_proc.c           /proc/net/toy, toy_snmp, sysctls
 *
 * Calls go down this map, never up, with one exception: toy_rcv(), the
 * packet_type handler in toy_proto.c, hands each received frame up to
 * toy_dgram_rcv() or toy_stream_rcv() by type.  That is the registered
 * receive upcall, as a packet_type's .func and inet_protos are for IPv4.
 * Data goes down the stack once (sendmsg -> toy_xmit() ->
 * dev_queue_xmit()) and up once (toy_rcv() -> a socket's receive queue).
 * Within the stream files the split is by context (calls, input, output,
 * timer), and they call each other as TCP's do.  docs/architecture.md
 * draws the same map with the functions a frame passes through.
 */
#ifndef _AF_TOY_H
#define _AF_TOY_H

#include <linux/spinlock.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/rhashtable.h>
#include <linux/xarray.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "uapi/linux/toy.h"
#include "toy_compat.h"

/*
 * White-box tests (kunit/, the af_toy_kunit.ko module) reach internals only
 * through these.  In a TOY_KUNIT build, marked symbols are exported in the
 * AF_TOY_KUNIT namespace and marked static functions become visible; in a
 * normal build nothing changes.  (The same idea as the kernel's
 * VISIBLE_IF_KUNIT/EXPORT_SYMBOL_IF_KUNIT, which 6.1 lacks.)
 */
#ifdef TOY_KUNIT
#define EXPORT_SYMBOL_IF_TOY_KUNIT(sym)	EXPORT_SYMBOL_NS_GPL(sym, AF_TOY_KUNIT)
#define TOY_VISIBLE_IF_KUNIT
#else
#define EXPORT_SYMBOL_IF_TOY_KUNIT(sym)
#define TOY_VISIBLE_IF_KUNIT		static
#endif

/* The address family in use: AF_TOY unless the "family=" parameter says. */
extern int toy_family;

/*
 * Socket states.  They reuse TCP's numbers so that generic helpers such as
 * datagram_poll() and the sk_stream_*() helpers, and readers of
 * /proc/net/toy, interpret sk_state correctly.  A datagram socket is only
 * ever TOY_CLOSE (no default peer) or TOY_ESTABLISHED (connected).  The
 * stream state machine is described in toy_stream.c.
 */
enum {
	TOY_ESTABLISHED	= TCP_ESTABLISHED,
	TOY_SYN_SENT	= TCP_SYN_SENT,
	TOY_FIN_WAIT1	= TCP_FIN_WAIT1,
	TOY_FIN_WAIT2	= TCP_FIN_WAIT2,
	TOY_TIME_WAIT	= TCP_TIME_WAIT,
	TOY_CLOSE	= TCP_CLOSE,
	TOY_CLOSE_WAIT	= TCP_CLOSE_WAIT,
	TOY_LAST_ACK	= TCP_LAST_ACK,
	TOY_LISTEN	= TCP_LISTEN,
	TOY_CLOSING	= TCP_CLOSING,
};

struct toy_neigh;	/* a neighbour entry, toy_neigh.c's own */

/**
 * struct toy_conn_key - a stream connection's four-tuple, as seen locally
 * @laddr: our address (never TOY_ADDR_ANY once connected)
 * @raddr: the peer's address
 * @lport: our port
 * @rport: the peer's port
 *
 * The key of toy_table.conns.  Twelve bytes, no padding: hashed as is.
 */
struct toy_conn_key {
	__be32	laddr;
	__be32	raddr;
	__be16	lport;
	__be16	rport;
};

/**
 * struct toy_sock - an AF_TOY socket
 * @sk: the generic socket; must stay first, sk_alloc() allocates a toy_sock
 *	(a datagram socket) or a struct toy_stream_sock, which embeds it
 * @rcv_saddr: bound local address, or TOY_ADDR_ANY
 * @sport: bound local port, 0 while unbound
 * @daddr: connected peer address (valid in TOY_ESTABLISHED)
 * @dport: connected peer port (valid in TOY_ESTABLISHED)
 * @route: the neighbour entry of the connected peer on another node, with
 *	   a reference, or NULL: the route cache (toy_neigh.c).  Swapped
 *	   with xchg() by any sender, read under RCU, let go by
 *	   toy_sock_destruct()
 * @listen_node: a stream listener's link in toy_port.listeners (sk_node
 *	   is taken: it links every socket for /proc/net/toy)
 * @conn_node: a stream connection's link in toy_table.conns
 * @conn_key: its four-tuple there: a copy, fixed while it is hashed, so the
 *	   table never sees an address half changed
 * @conn_hashed: it is in toy_table.conns
 *
 * Locking: all four address fields are written with lock_sock() held and,
 * for @rcv_saddr and @sport, the port table's lock too.  The receive path
 * reads them under RCU with READ_ONCE(), so a reader may see a connect()
 * half done; like UDP, it then simply misses or accepts that one frame.
 * @listen_node, @conn_key and @conn_hashed change under the port table's
 * lock with lock_sock() held (or before a child is visible); @conn_key
 * only while the socket is out of the connection table.
 */
struct toy_sock {
	struct sock		sk;
	__be32			rcv_saddr;
	__be16			sport;
	__be32			daddr;
	__be16			dport;
	struct toy_neigh __rcu	*route;
	struct hlist_node	listen_node;
	struct rhash_head	conn_node;
	struct toy_conn_key	conn_key;
	bool			conn_hashed;
};

/* Sequence numbers wrap: compare them as TCP's before()/after() do. */
static inline bool toy_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool toy_seq_after(u32 a, u32 b)
{
	return (s32)(b - a) < 0;
}

static inline struct toy_sock *toy_sk(const struct sock *sk)
{
	return container_of(sk, struct toy_sock, sk);
}

/* The toy type (TOY_TYPE_*, the header's type field) of a socket. */
static inline u8 toy_type_of(const struct sock *sk)
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

/**
 * struct toy_port - one bound port number and the sockets bound to it
 * @socks: sockets bound to this port, linked by sk->sk_bind_node.  More
 *	   than one when they use different local addresses or SO_REUSEADDR.
 *	   Every one of them counts for bind()'s conflicts, connections too
 *	   (as TCP's bind hash holds them); the datagram receive path walks
 *	   this list, the stream one never does.
 * @listeners: the stream sockets listening on this port, linked by
 *	   toy_sock.listen_node: what a stream frame that belongs to no connection
 *	   is for.  A few at most (one per local address).
 * @rcu: frees the entry after receive-path readers are done with it
 */
struct toy_port {
	struct hlist_head	socks;
	struct hlist_head	listeners;
	struct rcu_head		rcu;
};

/**
 * struct toy_table - the ports of one socket type in one namespace
 * @ports: port number -> struct toy_port.  The xarray's own lock
 *	   (xa_lock_bh(), a spinlock, since connections are added and
 *	   removed from softirq) is the table lock: it is held to change
 *	   @ports, any toy_port list, a bound socket's address, and
 *	   @next_ephemeral.  Readers on the receive path take no lock: they
 *	   use xa_load() and walk the lists under RCU.
 * @conns: stream connections by four-tuple (struct toy_conn_key), as
 *	   inet_ehash holds TCP's, so that a frame finds its connection in
 *	   one step however many share the port.  An rhashtable: it grows
 *	   and shrinks by itself, takes its own bucket locks (insertions
 *	   happen under the table lock anyway), and is read under RCU.
 *	   Empty in the datagram table.
 * @next_ephemeral: where the cyclic ephemeral search resumes
 */
struct toy_table {
	struct xarray		ports;
	struct rhashtable	conns;
	u32			next_ephemeral;
};

/* Protocol counters, shown in /proc/net/toy_snmp. */
enum toy_mib_item {
	TOY_MIB_INDATAGRAMS,
	TOY_MIB_NOPORTS,
	TOY_MIB_INERRORS,
	TOY_MIB_OUTDATAGRAMS,
	TOY_MIB_RCVBUFERRORS,
	TOY_MIB_SNDBUFERRORS,
	TOY_MIB_INCSUMERRORS,
	TOY_MIB_HDRERRORS,
	TOY_MIB_ACTIVEOPENS,
	TOY_MIB_PASSIVEOPENS,
	TOY_MIB_RETRANSSEGS,
	TOY_MIB_BACKLOGDROPS,
	TOY_MIB_WINDOWDROPS,
	TOY_MIB_OFOQUEUE,
	TOY_MIB_OFODROPS,
	TOY_MIB_OFOPRUNED,
	TOY_MIB_FASTRETRANS,
	TOY_MIB_TIMEOUTS,
	TOY_MIB_SPURIOUSRETRANS,
	TOY_MIB_ABORTONMEMORY,
	TOY_MIB_INADDRERRORS,
	TOY_MIB_NEIGHOUTREQUESTS,
	TOY_MIB_NEIGHOUTREPLIES,
	TOY_MIB_NEIGHINREQUESTS,
	TOY_MIB_NEIGHINREPLIES,
	TOY_MIB_NEIGHRESOLVEFAILED,
	TOY_MIB_NEIGHUNRESOLVEDDROPS,
	TOY_MIB_MAX
};

struct toy_mib {
	unsigned long	mibs[TOY_MIB_MAX];
};

/* The smallest payload a toy device's MTU must leave room for. */
#define TOY_MIN_PAYLOAD	64

/* Index of a toy type (TOY_TYPE_*) in toy_net.tables. */
#define TOY_NTABLES	3

/* A node address is 4 bytes: toy0's hardware address (toy_netdev.c). */
#define TOY_ADDR_LEN	4

/* Can @addr (network order) be a node's own address, or a neighbour's? */
static inline bool toy_addr_is_unicast(__be32 addr)
{
	u32 a = ntohl(addr);

	return a != TOY_ADDR_ANY && a != TOY_ADDR_BROADCAST &&
	       (a >> 24) != (TOY_ADDR_LOOPBACK >> 24);
}

/**
 * struct toy_neigh_table - the toy ARP cache of one namespace (toy_neigh.c)
 * @lock: guards @entries, @count, @dead and every field of every entry;
 *	  spin_lock_bh(), since frames are sent and received in softirq
 * @entries: struct toy_neigh, one per neighbour address
 * @count: the number of @entries, at most TOY_NEIGH_MAX
 * @timer: the cache's clock (probes, ageing); pending while @entries is
 *	   not empty
 * @dead: the namespace is going away: @timer is not armed again
 * @net: the namespace, whose links the table's frames go out on
 */
struct toy_neigh_table {
	spinlock_t		lock;	/* guards everything here */
	possible_net_t		net;
	struct list_head	entries;
	unsigned int		count;
	struct timer_list	timer;
	bool			dead;
};

/**
 * struct toy_net - AF_TOY state of one network namespace (net_generic)
 * @tables: port tables, one per socket type (index: toy type - 1)
 * @dev: this namespace's toy0, the loopback; set and cleared by its
 *	 pernet device op, read with READ_ONCE() (NULL only while the
 *	 namespace is being dismantled, when no socket is left)
 * @node_addr: the node's address (toy0's hardware address), or 0 while
 *	       unset; written under RTNL by toy_neigh.c's notifier, read
 *	       with READ_ONCE()
 * @neigh: the neighbour cache: which link reaches which node
 * @mib: per-cpu protocol counters; updated locklessly
 * @port_range: ephemeral port range, (high << 16) | low; read and written
 *		whole with READ_ONCE()/WRITE_ONCE() so both ends always match
 * @sysctl: /proc/sys/net/toy
 * @sklist_lock: guards @sklist; taken with spin_lock_bh()
 * @sklist: every AF_TOY socket in the namespace, for /proc/net/toy
 */
struct toy_net {
	struct toy_table	tables[TOY_NTABLES];
	struct net_device	*dev;
	__be32			node_addr;
	struct toy_neigh_table	neigh;
	struct toy_mib __percpu	*mib;
	u32			port_range;
	struct ctl_table_header	*sysctl;
	spinlock_t		sklist_lock;	/* guards @sklist */
	struct hlist_head	sklist;
};

struct toy_net *toy_pernet(const struct net *net);

#define TOY_INC_STATS(tn, field)	this_cpu_inc((tn)->mib->mibs[field])
#define TOY_SK_INC_STATS(sk, field) \
	TOY_INC_STATS(toy_pernet(sock_net(sk)), field)

/**
 * struct toy_flow - the header fields of one frame
 * @saddr: source node address (network byte order)
 * @daddr: destination node address (network byte order)
 * @sport: source port (network byte order)
 * @dport: destination port (network byte order)
 * @type: TOY_TYPE_*
 * @flags: TOY_F_*
 * @seq: streams: sequence number (host order)
 * @ack: streams: acknowledgment number (host order)
 * @window: streams: receive window in TOY_WINDOW_UNIT bytes (host order)
 */
struct toy_flow {
	__be32	saddr;
	__be32	daddr;
	__be16	sport;
	__be16	dport;
	u8	type;
	u8	flags;
	u32	seq;
	u32	ack;
	u16	window;
};

/**
 * struct toy_skb_cb - what a stream keeps in skb->cb of its segments
 * @seq: sequence number of the first payload byte (or of the SYN/FIN)
 * @end_seq: @seq plus payload length, plus one for a SYN or FIN
 * @when: transmit side: jiffies at the last transmission, for RTT samples
 * @flags: TOY_F_* to send the segment with, or that it arrived with
 * @retrans: transmit side: sent more than once, so no RTT sample may be
 *	     taken from its acknowledgment (Karn's rule)
 */
struct toy_skb_cb {
	u32	seq;
	u32	end_seq;
	u32	when;
	u8	flags;
	u8	retrans;
};

#define TOY_SKB_CB(skb)	((struct toy_skb_cb *)&((skb)->cb[0]))

/* The header of a frame; valid on transmit after the push, on receive
 * after toy_skb_validate().
 */
static inline struct toyhdr *toy_hdr(const struct sk_buff *skb)
{
	return (struct toyhdr *)skb_network_header(skb);
}

/* Why a received frame was refused by toy_skb_validate(). */
enum toy_rx_verdict {
	TOY_RX_OK,
	TOY_RX_BAD_HEADER,	/* truncated, wrong version/type/flags/length */
	TOY_RX_BAD_CSUM,	/* checksum does not match */
};

/*
 * The end of a frame: consumed (SKB_NOT_DROPPED_YET), or dropped for one
 * of the kernel's drop reasons, which skb:kfree_skb shows (and dropwatch
 * counts).  A consumed frame is no drop and fires skb:consume_skb.
 */
static inline void toy_skb_free(struct sk_buff *skb,
				enum skb_drop_reason reason)
{
	if (reason == SKB_NOT_DROPPED_YET)
		consume_skb(skb);
	else
		kfree_skb_reason(skb, reason);
}

/*
 * Functions one file calls in another, grouped by the file that defines
 * them, from the top of the stack down.  The stream files share more
 * among themselves, in toy_stream.h.
 */

/* toy_stream*.c: what the socket layer calls (the rest is in toy_stream.h) */
extern struct proto toy_stream_prot;
int toy_stream_mem_init(void);
void toy_stream_mem_exit(void);
int toy_stream_listen(struct sock *sk, int backlog);
struct sock *toy_stream_accept(struct sock *sk, int flags, int *err);
__poll_t toy_stream_poll(struct file *file, struct socket *sock,
			 poll_table *wait);
int toy_stream_inq(struct sock *sk);
int toy_stream_outq(struct sock *sk);
int toy_stream_outq_unsent(struct sock *sk);
int toy_stream_rcv(struct toy_net *tn, struct sk_buff *skb);

/* toy_dgram.c: datagram sockets */
extern struct proto toy_dgram_prot;
int toy_dgram_inq(struct sock *sk);
int toy_dgram_rcv(struct toy_net *tn, struct sk_buff *skb);

/* toy_port.c: port tables */
int toy_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len);
int toy_autobind(struct sock *sk);
int toy_port_bind(struct sock *sk, __be32 addr, u32 port);
void toy_port_set_addr(struct sock *sk, __be32 addr);
void toy_port_unbind(struct sock *sk);
int toy_port_add_child(struct sock *parent, struct sock *child, __be32 addr);
void toy_port_unhash(struct sock *sk);
int toy_port_listen(struct sock *sk);
int toy_port_connect(struct sock *sk, __be32 daddr, __be16 dport, int state);
struct sock *toy_port_lookup_conn(struct toy_net *tn,
				  const struct toy_flow *fl);
struct sock *toy_port_lookup_stream(struct toy_net *tn,
				    const struct toy_flow *fl);
struct sock *toy_port_lookup(struct toy_net *tn, const struct toy_flow *fl,
			     int (*score)(const struct sock *sk,
					  const struct toy_flow *fl));
int toy_port_for_each(struct toy_net *tn, const struct toy_flow *fl,
		      int (*score)(const struct sock *sk,
				   const struct toy_flow *fl),
		      void (*visit)(struct sock *sk, void *arg), void *arg);
void toy_port_range(const struct toy_net *tn, u32 *low, u32 *high);
extern struct pernet_operations toy_port_net_ops;

/* toy_proc.c: /proc/net/toy, /proc/net/toy_snmp, /proc/sys/net/toy */
extern struct pernet_operations toy_proc_net_ops;

/* toy_proto.c: per-namespace state, routing, the way down and the way up */
extern struct pernet_operations toy_net_ops;
extern struct pernet_operations toy_loopback_net_ops;
extern struct notifier_block toy_netdev_notifier;
extern struct packet_type toy_packet_type;
void toy_sock_init(struct sock *sk);
void toy_sock_destruct(struct sock *sk);
void toy_sock_unlink(struct sock *sk);
int toy_route(struct sock *sk, __be32 daddr, unsigned int *max_payload);
struct net_device *toy_sk_dev(const struct sock *sk);
__be32 toy_resolve(__be32 daddr);
__be32 toy_node_addr(const struct net *net);
__be32 toy_source_addr(const struct net *net, __be32 daddr);
bool toy_addr_is_local(const struct net *net, __be32 addr);
unsigned int toy_max_payload(const struct net_device *dev);
int toy_xmit(struct net *net, struct sk_buff *skb, const struct toy_flow *fl,
	     struct toy_neigh __rcu **route);

/*
 * The route cache toy_xmit() may use for @sk's frame to @daddr: the
 * socket's own if @daddr is its connected peer; otherwise none, and the
 * frame looks its route up afresh, as an unconnected UDP sendto() does.
 */
static inline struct toy_neigh __rcu **toy_sk_route(struct sock *sk,
						    __be32 daddr)
{
	struct toy_sock *ts = toy_sk(sk);

	return daddr == READ_ONCE(ts->daddr) ? &ts->route : NULL;
}

/* toy_neigh.c: the toy ARP, which link reaches which node */
enum toy_neigh_state {
	TOY_NEIGH_INCOMPLETE,
	TOY_NEIGH_REACHABLE,
	TOY_NEIGH_STALE,
	TOY_NEIGH_FAILED,
	/* No entry: what the trace event and toy_neigh_kunit_state() say,
	 * and the state of an entry taken out of the table that a socket's
	 * route cache still holds.  Not negative: trace-cmd prints a
	 * negative enum as a number.
	 */
	TOY_NEIGH_NONE,
};

void toy_neigh_table_init(struct toy_net *tn, struct net *net);
void toy_neigh_table_exit(struct toy_net *tn);
int toy_neigh_route(struct toy_net *tn, __be32 daddr,
		    unsigned int *max_payload);
int toy_neigh_output(struct toy_net *tn, struct sk_buff *skb, __be32 daddr,
		     struct toy_neigh __rcu **cache);
void toy_neigh_uncache(struct toy_neigh __rcu **cache);
int toy_neigh_rcv(struct toy_net *tn, struct sk_buff *skb);
void toy_neigh_announce(struct toy_net *tn, struct net_device *dev);
void toy_neigh_flush(struct toy_net *tn, const struct net_device *dev);
int toy_neigh_seq_show(struct seq_file *seq, struct toy_net *tn);

#ifdef TOY_KUNIT
extern struct rtnl_link_ops toy_link_ops;
int toy_neigh_kunit_state(struct toy_net *tn, __be32 addr,
			  const struct net_device **dev, unsigned int *queued);
bool toy_neigh_kunit_age(struct toy_net *tn, __be32 addr, unsigned long age);
bool toy_neigh_kunit_cached(struct toy_net *tn, struct sock *sk, __be32 addr);
extern const char *const toy_mib_names[TOY_MIB_MAX];
const char *toy_state_name(int state);
struct sock *toy_dgram_lookup(struct toy_net *tn, const struct toy_flow *fl);
#endif

/* toy_skb.c: sk_buff helpers */
struct sk_buff *toy_skb_alloc_send(struct sock *sk, struct net_device *dev,
				   struct msghdr *msg, size_t len, int *err);
struct sk_buff *toy_skb_alloc_ctl(struct net_device *dev, gfp_t gfp);
struct sk_buff *toy_skb_split(struct sk_buff *skb, struct net_device *dev,
			      u32 len, gfp_t gfp);
struct sk_buff *toy_skb_alloc_data(struct sock *sk, struct net_device *dev,
				   struct msghdr *msg, size_t len, int *err);
int toy_skb_add_frags(struct sock *sk, struct sk_buff *skb,
		      struct msghdr *msg, size_t len);
void toy_skb_push_hdr(struct sk_buff *skb, const struct toy_flow *fl);
void toy_skb_flow(const struct sk_buff *skb, struct toy_flow *fl);
void toy_flow_reply(const struct toy_flow *in, struct toy_flow *out);
enum toy_rx_verdict toy_skb_validate(struct sk_buff *skb);

/* toy_netdev.c: toy0, and what every toy device shares */
int toy_queue_xmit(struct sk_buff *skb, struct net_device *dev);
struct net_device *toy_dev_create(struct net *net);
void toy_dev_destroy(struct net_device *dev);
bool toy_dev_is_toy(const struct net_device *dev);
bool toy_dev_is_loopback(const struct net_device *dev);
void toy_dev_setup_common(struct net_device *dev);
int toy_dev_stats_init(struct net_device *dev);

/* toy_link.c: toy links, the cables between nodes */
bool toy_link_is(const struct net_device *dev);
bool toy_link_is_up(const struct net_device *dev);
unsigned int toy_link_min_mtu(struct net *net);
int toy_link_register(void);
void toy_link_unregister(void);

#endif /* _AF_TOY_H */
