/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_stream.h - what the toy_stream*.c files share: the connection
 * state, its constants, and the functions one stream file calls in
 * another.  The analogue of include/net/tcp.h, much smaller.  Only the
 * stream files (and the white-box tests) include it; the rest of the
 * module sees streams through struct proto toy_stream_prot and the
 * entry points af_toy.h lists.
 */
#ifndef _TOY_STREAM_H
#define _TOY_STREAM_H

#include "af_toy.h"

/**
 * struct toy_stream_sock - a stream or seqpacket socket
 * @ts: the AF_TOY socket; must stay first (toy_stream_prot.obj_size)
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
 * @rcv_wup: @rcv_nxt when we last acknowledged (sent any segment with ACK)
 * @rcv_mss: the largest in-order payload received: a "full segment" for
 *	     the delayed-ACK rules (toy_stream_delack.c)
 * @rcv_ratio: payload bytes per 256 bytes of memory (truesize) that
 *	       received segments have cost, a running average; converts free
 *	       receive buffer into a window, as TCP's scaling_ratio does
 * @copied_seq: next sequence number the user will read
 * @mss_cache: the payload limit of the path last found to the peer
 *	       (toy_stream_mss()); kept while no path is known, so a pulled
 *	       cable does not make segments its link cannot carry
 * @send_head: first skb of sk_write_queue never transmitted, or NULL
 * @ofo_queue: segments received beyond a gap, sorted by sequence number,
 *	       charged to sk_rmem_alloc and bounded by SO_RCVBUF
 * @timer: retransmission, zero-window probe, or TIME_WAIT expiry
 * @delack_timer: sends a delayed acknowledgment (toy_stream_delack.c)
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
 * @nodelay: TOY_NODELAY: a short last segment goes out at once instead of
 *	     waiting for the data in flight to be acknowledged (Nagle)
 * @quickack: TOY_QUICKACK: every segment of data is acknowledged at once
 * @ack_pending: data has arrived that no segment sent since acknowledges;
 *		 @delack_timer is running for it
 * @orphan: closed by its user, still finishing, and counted against
 *	    net.toy.max_orphans
 * @accept_queue: listener: established children not yet accepted
 * @accept_node: child: its entry in the listener's @accept_queue
 * @deferred: TOY_TIMER_DEFERRED (TOY_DELACK_DEFERRED) while an expiry of
 *	      @timer (@delack_timer) waits for the owner of the socket to
 *	      release it (toy_stream_release_cb())
 *
 * Locking: everything here is guarded by the socket lock, which the
 * receive path and the timer take with bh_lock_sock() (deferring to the
 * socket backlog when a process owns the socket) and process context with
 * lock_sock().  @rcv_nxt, @copied_seq, @write_seq, @snd_una and @snd_nxt
 * are also read locklessly, with READ_ONCE(), by poll() and ioctl(), and
 * @nodelay by getsockopt(), so every write to them (once the socket is
 * visible) is a WRITE_ONCE(); so are writes to @quickack.  @deferred is
 * changed only with atomic bit operations: set by a timer, cleared by
 * release_sock() or when the timer is set again or stopped
 * (toy_stream_arm(), toy_stream_stop_timer(), toy_stream_delack_stop()).
 */
struct toy_stream_sock {
	struct toy_sock		ts;
	u32			snd_una;
	u32			snd_nxt;
	u32			snd_wnd;
	u32			snd_wl1;
	u32			max_wnd;
	u32			high_seq;
	u32			write_seq;
	u32			rcv_nxt;
	u32			rcv_edge;
	u32			rcv_wup;
	u32			rcv_mss;
	u32			rcv_ratio;
	u32			copied_seq;
	u32			mss_cache;
	struct sk_buff		*send_head;
	struct sk_buff_head	ofo_queue;
	struct timer_list	timer;
	struct timer_list	delack_timer;
	u32			srtt;
	u32			rttvar;
	unsigned long		rto;
	unsigned int		retries;
	unsigned int		dupacks;
	unsigned int		reordering;
	unsigned int		undo_retrans;
	bool			in_recovery;
	bool			heard;
	bool			nodelay;
	bool			quickack;
	bool			ack_pending;
	bool			orphan;
	struct list_head	accept_queue;
	struct list_head	accept_node;
	unsigned long		deferred;
};

static inline struct toy_stream_sock *toy_st(const struct sock *sk)
{
	return container_of(toy_sk(sk), struct toy_stream_sock, ts);
}

static inline struct sock *toy_st_sk(struct toy_stream_sock *st)
{
	return &st->ts.sk;
}

static inline bool toy_is_seqpacket(const struct sock *sk)
{
	return sk->sk_type == SOCK_SEQPACKET;
}

void toy_stream_set_state(struct sock *sk, int state);

/*
 * Retransmission timeout bounds.  Before any round trip is measured the
 * timeout is Linux TCP's minimum, 200 ms.  After that it follows the
 * measurements (RFC 6298) down to 20 ms, not TCP's 200 ms floor: a toy
 * link's round trip is micro- to milliseconds, and without SACK a lost
 * retransmission can only be repaired by the timer, so on a lossy link
 * the floor is what sets the pace.  A spurious expiry costs one resent
 * segment.  The maximum is short because a toy never crosses a slow
 * path.
 *
 * How many expiries without progress before giving up.  A SYN: 15,
 * about 27 s (TCP's tcp_syn_retries, 6 from a 1 s timeout, about two
 * minutes).
 * Data: enough for RFC 1122's R2 of at least 100 s (4.2.3.5) even from
 * the 20 ms floor: 7 doublings to the 2 s cap, then 49 at the cap.  TCP's
 * 15 take about 15 minutes with its 120 s cap; 15 of ours took 25 s, and
 * on a link that loses 30% each way, where a resend and its ACK both get
 * through half the time, 15 misses in a row (0.51^15) ended about one
 * 64 MiB seqpacket transfer in ten that was still alive.
 */
#define TOY_RTO_INIT		(HZ / 5)
#define TOY_RTO_MIN		max(HZ / 50, 2)
#define TOY_RTO_MAX		(2 * HZ)
#define TOY_SYN_RETRIES		15
#define TOY_MAX_RETRIES		55
#define TOY_REORDERING		3	/* duplicate ACKs that mean a loss */
#define TOY_MAX_REORDERING	64
#define TOY_TIMEWAIT_LEN	(HZ / 2)	/* short: a toy has no stray routes */
#define TOY_FIN_TIMEOUT		(10 * HZ)	/* orphan in FIN_WAIT2 */
/*
 * The longest an acknowledgment of in-order data waits: a tick or a few
 * ms, far under TOY_RTO_MIN, so that a delayed ACK never looks like a loss
 * to the sender.  TCP's 40 ms minimum sits under its 200 ms RTO floor.
 */
#define TOY_DELACK		max(HZ / 200, 1)

/* Bits in toy_stream_sock.deferred: a timer fired while the socket was owned. */
#define TOY_TIMER_DEFERRED	0
#define TOY_DELACK_DEFERRED	1

/* Sets of states, as TCP's TCPF_* */
#define TOYF(state)		(1 << (state))
#define TOYF_SYNCED		(TOYF(TOY_ESTABLISHED) | TOYF(TOY_FIN_WAIT1) | \
				 TOYF(TOY_FIN_WAIT2) | TOYF(TOY_CLOSING) | \
				 TOYF(TOY_TIME_WAIT) | TOYF(TOY_CLOSE_WAIT) | \
				 TOYF(TOY_LAST_ACK))
#define TOYF_CAN_RECV		(TOYF(TOY_ESTABLISHED) | TOYF(TOY_FIN_WAIT1) | \
				 TOYF(TOY_FIN_WAIT2))

/* toy_stream.c: socket calls and state changes */
void toy_stream_destroy(struct sock *sk);
void toy_stream_done(struct sock *sk);
void toy_stream_fail(struct sock *sk, int err);

/* toy_stream_data.c: the data calls */
void toy_stream_write_space(struct sock *sk);
int toy_stream_sendmsg(struct sock *sk, struct msghdr *msg, size_t len);
int toy_stream_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		       int flags, int *addr_len);

/* toy_stream_listen.c: listen, accept, SYN cookies */
void toy_stream_rcv_listen(struct sock *sk, struct sk_buff *skb,
			   const struct toy_flow *fl);
void toy_stream_close_listener(struct sock *sk);

/* toy_stream_input.c: segments in */
int toy_stream_rcv_or_backlog(struct sock *sk, struct sk_buff *skb,
			      bool nested);
int toy_stream_backlog_rcv(struct sock *sk, struct sk_buff *skb);

/* toy_stream_ack.c: acknowledgments in */
bool toy_stream_rcv_ack(struct sock *sk, const struct toy_flow *fl,
			bool has_data);

/* toy_stream_output.c: segments out */
u16 toy_stream_free_window(const struct sock *sk);
void toy_stream_send_ctl(struct sock *sk, u8 flags, u32 seq);
void toy_stream_send_ack(struct sock *sk);
void toy_stream_send_rst(struct sock *sk);
void toy_stream_reply_rst(struct net_device *dev, const struct toy_flow *in,
			  unsigned int len);
int toy_stream_write(struct sock *sk, struct msghdr *msg, size_t len,
		     unsigned int mss);
void toy_stream_queue(struct sock *sk, struct sk_buff *skb, u32 len,
		      u8 flags);
void toy_stream_free_segment(struct sock *sk, struct sk_buff *skb);
void toy_stream_purge_write_queue(struct sock *sk);
unsigned int toy_stream_mss(struct sock *sk);

/* What toy_stream_push_how() does with a last segment shorter than the MSS. */
enum toy_push {
	TOY_PUSH_NAGLE,	/* hold it while data is in flight, unless nodelay */
	TOY_PUSH_MORE,	/* hold it: the user said MSG_MORE */
	TOY_PUSH_NOW,	/* send it */
};

void toy_stream_push_how(struct sock *sk, enum toy_push how);

/* Send what the window allows; a short last segment obeys Nagle. */
static inline void toy_stream_push(struct sock *sk)
{
	toy_stream_push_how(sk, TOY_PUSH_NAGLE);
}

void toy_stream_retransmit_head(struct sock *sk);
void toy_stream_enter_recovery(struct sock *sk);
void toy_stream_queue_fin(struct sock *sk);

/* toy_stream_delack.c: when to acknowledge */
void toy_stream_delack_init(struct sock *sk);
void toy_stream_delack_stop(struct sock *sk);
void toy_stream_delack_release(struct sock *sk);
void toy_stream_ack_data(struct sock *sk, unsigned int len, bool now);
void toy_stream_ack_read(struct sock *sk);

/* toy_stream_timer.c: the timer */
void toy_stream_timer_init(struct sock *sk);
void toy_stream_arm(struct sock *sk, unsigned long delay);
void toy_stream_stop_timer(struct sock *sk);
void toy_stream_rearm(struct sock *sk, bool progress);
unsigned long toy_stream_rto_base(const struct toy_stream_sock *st);
void toy_stream_rtt_sample(struct toy_stream_sock *st, u32 m);
void toy_stream_time_wait(struct sock *sk);
void toy_stream_release_cb(struct sock *sk);

/* toy_stream_mem.c: memory accounting */
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
void toy_stream_destruct(struct sock *sk);
void toy_stream_orphan(struct sock *sk, bool orphan);
bool toy_stream_out_of_resources(struct sock *sk);
bool toy_stream_rmem_ok(struct sock *sk, struct sk_buff *skb, u64 limit,
			bool force);
bool toy_stream_wmem_schedule(struct sock *sk, int size);

#endif /* _TOY_STREAM_H */
