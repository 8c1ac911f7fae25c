/* SPDX-License-Identifier: GPL-2.0 */
/*
 * af_toy.h - what the four layers of AF_TOY share.
 *
 *   socket layer   af_toy.c      proto_ops: syscall entry, argument checks
 *        |
 *   protocol       toy_proto.c   struct proto: ports, demux, datagrams, /proc
 *        |
 *   buffers        toy_skb.c     sk_buff: header build/validate, accounting
 *        |
 *   device         toy_netdev.c  net_device toy0: transmit, loop back, stats
 *
 * Data goes down the stack once (sendmsg -> dev_queue_xmit) and up once
 * (packet_type handler -> socket receive queue).  No layer reaches around
 * the one below it.
 */
#ifndef _AF_TOY_H
#define _AF_TOY_H

#include <linux/spinlock.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
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

/**
 * struct toy_stream_sock - connection state of a stream or seqpacket socket
 * @snd_una: oldest sequence number not yet acknowledged by the peer
 * @snd_nxt: sequence number after the highest one ever transmitted; it
 *	     never moves back, so an acknowledgment up to it is always valid
 * @snd_wnd: bytes the peer can take beyond @snd_una (its receive window)
 * @snd_wl1: sequence number of the segment that last set @snd_wnd; only a
 *	     newer segment may change the window (tcp_may_update_window())
 * @max_wnd: the largest window the peer has offered
 * @high_seq: recovery point (RFC 6582): @snd_nxt when loss recovery began;
 *	      recovery ends once everything up to it is acknowledged
 * @write_seq: sequence number after the last byte queued by the user;
 *	       [@snd_una, @write_seq) is in sk_write_queue
 * @rcv_nxt: next sequence number expected from the peer
 * @rcv_edge: @rcv_nxt plus the window last advertised
 * @rcv_ratio: payload bytes per 256 bytes of memory (truesize) that
 *	       received segments have cost, a running average; converts free
 *	       receive buffer into a window, as TCP's scaling_ratio does
 * @copied_seq: next sequence number the user will read
 * @send_head: first skb of sk_write_queue never transmitted, or NULL
 * @ofo_queue: segments received beyond a gap, sorted by sequence number,
 *	       charged to sk_rmem_alloc and bounded by SO_RCVBUF
 * @timer: retransmission, zero-window probe, or TIME_WAIT expiry
 * @srtt: smoothed round-trip time, jiffies << 3 (RFC 6298); 0: no sample
 * @rttvar: round-trip time variation, jiffies << 2
 * @rto: current retransmission timeout, jiffies; doubles on each expiry
 * @retries: expiries since the last progress (for an orphan, since the
 *	      last acknowledgment of new data: answered probes do not count)
 * @dupacks: duplicate acknowledgments in a row
 * @reordering: duplicate acknowledgments that mean a loss (3, as TCP's
 *		tcp_reordering; doubled, up to TOY_MAX_REORDERING, each time a
 *		fast retransmission proves spurious: the link reorders)
 * @undo_retrans: retransmissions of the current recovery not yet shown
 *		  to be needless by a D-SACK; 0 with some sent: all were
 * @in_recovery: a loss is being repaired: one retransmission per partial
 *		 acknowledgment, duplicate acknowledgments ignored
 * @heard: the peer has sent something since the handshake, so it knows
 *	   the connection exists (see toy_stream_confirm())
 * @orphan: closed by its user, still finishing, and counted against
 *	    net.toy.max_orphans
 * @accept_queue: listener: established children not yet accepted
 * @accept_node: child: its entry in the listener's @accept_queue
 *
 * Locking: everything here is guarded by the socket lock, which the
 * receive path and the timer take with bh_lock_sock() (deferring to the
 * socket backlog when a process owns the socket) and process context with
 * lock_sock().  @rcv_nxt, @copied_seq, @write_seq and @snd_una are also
 * read locklessly, with READ_ONCE(), by poll() and ioctl(), so every write
 * to them is a WRITE_ONCE().
 */
struct toy_stream_sock {
	u32			snd_una;
	u32			snd_nxt;
	u32			snd_wnd;
	u32			snd_wl1;
	u32			max_wnd;
	u32			high_seq;
	u32			write_seq;
	u32			rcv_nxt;
	u32			rcv_edge;
	u32			rcv_ratio;
	u32			copied_seq;
	struct sk_buff		*send_head;
	struct sk_buff_head	ofo_queue;
	struct timer_list	timer;
	u32			srtt;
	u32			rttvar;
	unsigned long		rto;
	unsigned int		retries;
	unsigned int		dupacks;
	unsigned int		reordering;
	unsigned int		undo_retrans;
	bool			in_recovery;
	bool			heard;
	bool			orphan;
	struct list_head	accept_queue;
	struct list_head	accept_node;
};

/**
 * struct toy_sock - an AF_TOY socket
 * @sk: the generic socket; must stay first, sk_alloc() allocates a toy_sock
 * @rcv_saddr: bound local address, or TOY_ADDR_ANY
 * @sport: bound local port, 0 while unbound
 * @daddr: connected peer address (valid in TOY_ESTABLISHED)
 * @dport: connected peer port (valid in TOY_ESTABLISHED)
 * @st: connection state, for stream and seqpacket sockets only
 *
 * Locking: all four address fields are written with lock_sock() held and,
 * for @rcv_saddr and @sport, the port table's lock too.  The receive path
 * reads them under RCU with READ_ONCE(), so a reader may see a connect()
 * half done; like UDP, it then simply misses or accepts that one frame.
 */
struct toy_sock {
	struct sock		sk;
	__be32			rcv_saddr;
	__be16			sport;
	__be32			daddr;
	__be16			dport;
	struct toy_stream_sock	st;
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

/**
 * struct toy_port - one bound port number and the sockets bound to it
 * @socks: sockets bound to this port, linked by sk->sk_bind_node.  More
 *	   than one when they use different local addresses or SO_REUSEADDR.
 * @rcu: frees the entry after receive-path readers are done with it
 */
struct toy_port {
	struct hlist_head	socks;
	struct rcu_head		rcu;
};

/**
 * struct toy_table - the ports of one socket type in one namespace
 * @ports: port number -> struct toy_port.  The xarray's own lock
 *	   (xa_lock_bh(), a spinlock, since connections are added and
 *	   removed from softirq) is the table lock: it is held to change
 *	   @ports, any toy_port.socks list, a bound socket's address, and
 *	   @next_ephemeral.  Readers on the receive path take no lock: they
 *	   use xa_load() and walk the lists under RCU.
 * @next_ephemeral: where the cyclic ephemeral search resumes
 */
struct toy_table {
	struct xarray	ports;
	u32		next_ephemeral;
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
	TOY_MIB_MAX
};

struct toy_mib {
	unsigned long	mibs[TOY_MIB_MAX];
};

/* The smallest payload a toy device's MTU must leave room for. */
#define TOY_MIN_PAYLOAD	64

/* Index of a toy type (TOY_TYPE_*) in toy_net.tables. */
#define TOY_NTABLES	3

/**
 * struct toy_net - AF_TOY state of one network namespace (net_generic)
 * @tables: port tables, one per socket type (index: toy type - 1)
 * @dev: this namespace's toy0; it lives exactly as long as the namespace
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
	struct toy_mib __percpu	*mib;
	u32			port_range;
	struct ctl_table_header	*sysctl;
	spinlock_t		sklist_lock;	/* guards @sklist */
	struct hlist_head	sklist;
};

struct toy_net *toy_pernet(const struct net *net);

#define TOY_INC_STATS(tn, field)	this_cpu_inc((tn)->mib->mibs[field])

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

/* af_toy.c: the socket layer */
int toy_check_sockaddr(const struct sockaddr *uaddr, int addr_len);

/* toy_proto.c: the protocol */
extern struct pernet_operations toy_net_ops;
extern struct packet_type toy_packet_type;
void toy_sock_init(struct sock *sk);
void toy_sock_destruct(struct sock *sk);
void toy_close(struct sock *sk, long timeout);
int toy_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len);
int toy_dgram_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
int toy_dgram_disconnect(struct sock *sk, int flags);
int toy_dgram_sendmsg(struct sock *sk, struct msghdr *msg, size_t len);
int toy_dgram_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		      int flags, int *addr_len);
int toy_fill_sockaddr(const struct sock *sk, struct sockaddr *uaddr, int peer);
int toy_port_bind(struct sock *sk, __be32 addr, u32 port);
void toy_port_set_addr(struct sock *sk, __be32 addr);
void toy_port_unbind(struct sock *sk);
void toy_port_add_child(struct sock *parent, struct sock *child, __be32 addr);
int toy_port_listen(struct sock *sk);
int toy_port_connect(struct sock *sk, __be32 daddr, __be16 dport, int state);
int toy_autobind(struct sock *sk);
struct sock *toy_port_lookup(struct toy_net *tn, const struct toy_flow *fl,
			     int (*score)(const struct sock *sk,
					  const struct toy_flow *fl));
struct net_device *toy_route(struct sock *sk, __be32 daddr, int *err);
__be32 toy_resolve(__be32 daddr);
bool toy_addr_is_local(__be32 addr);
unsigned int toy_max_payload(const struct net_device *dev);

/* toy_stream.c: connection-oriented sockets */
extern long toy_sysctl_mem[3];
extern int toy_sysctl_rmem[2];
extern int toy_sysctl_wmem[2];
extern int toy_sysctl_max_orphans;
extern int toy_sysctl_orphan_retries;
extern atomic_long_t toy_stream_memory_allocated;
extern unsigned long toy_stream_memory_pressure;
DECLARE_PER_CPU(int, toy_stream_fw_alloc);
extern struct percpu_counter toy_stream_sockets_allocated;
void toy_stream_enter_memory_pressure(struct sock *sk);
void toy_stream_leave_memory_pressure(struct sock *sk);
int toy_stream_mem_init(void);
void toy_stream_mem_exit(void);
void toy_stream_init_sock(struct sock *sk);
int toy_stream_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
int toy_stream_disconnect(struct sock *sk, int flags);
int toy_stream_listen(struct sock *sk, int backlog);
struct sock *toy_stream_accept(struct sock *sk, int flags, int *err);
void toy_stream_shutdown(struct sock *sk, int how);
void toy_stream_close(struct sock *sk, long timeout);
int toy_stream_sendmsg(struct sock *sk, struct msghdr *msg, size_t len);
int toy_stream_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		       int flags, int *addr_len);
int toy_stream_backlog_rcv(struct sock *sk, struct sk_buff *skb);
int toy_stream_rcv(struct toy_net *tn, struct sk_buff *skb);
__poll_t toy_stream_poll(struct file *file, struct socket *sock,
			 poll_table *wait);
int toy_stream_inq(struct sock *sk);
int toy_stream_outq(struct sock *sk);

#ifdef TOY_KUNIT
extern const char *const toy_mib_names[TOY_MIB_MAX];
struct sock *toy_lookup(struct toy_net *tn, const struct toy_flow *fl);
#endif

/* toy_skb.c: sk_buff helpers */
struct sk_buff *toy_skb_alloc_send(struct sock *sk, struct net_device *dev,
				   struct msghdr *msg, size_t len, int *err);
struct sk_buff *toy_skb_alloc_ctl(struct net_device *dev, gfp_t gfp);
struct sk_buff *toy_skb_split(struct sk_buff *skb, struct net_device *dev,
			      u32 len, gfp_t gfp);
struct sk_buff *toy_skb_alloc_data(struct sock *sk, struct net_device *dev,
				   struct msghdr *msg, size_t len, int *err);
void toy_skb_push_hdr(struct sk_buff *skb, const struct toy_flow *fl);
void toy_skb_flow(const struct sk_buff *skb, struct toy_flow *fl);
enum toy_rx_verdict toy_skb_validate(struct sk_buff *skb);

/* toy_netdev.c: the toy net_device */
struct net_device *toy_dev_create(struct net *net);
void toy_dev_destroy(struct net_device *dev);
bool toy_dev_is_toy(const struct net_device *dev);

#endif /* _AF_TOY_H */
