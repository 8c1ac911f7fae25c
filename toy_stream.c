// SPDX-License-Identifier: GPL-2.0
/*
 * Connection-oriented AF_TOY sockets: SOCK_STREAM and SOCK_SEQPACKET.
 *
 * A small TCP.  Every byte still travels as a frame through toy0; this
 * file adds what makes a byte stream out of frames that may be lost:
 * sequence numbers, acknowledgments, retransmission, a receive window, and
 * connection set-up and tear-down.  SOCK_SEQPACKET is the same machinery
 * with one record per segment, so message boundaries survive.
 *
 * The states (TCP's names and numbers, see include/af_toy.h):
 *
 *   client: CLOSE --connect/SYN--> SYN_SENT --SYN+ACK/ACK--> ESTABLISHED
 *   server: CLOSE --listen--> LISTEN; a SYN is answered with SYN+ACK and
 *           no state at all (the ISN is a keyed hash of the addresses, a
 *           "SYN cookie"); the ACK that echoes it creates an ESTABLISHED
 *           child and queues it for accept().  So there is no SYN_RECV.
 *   active close:  ESTABLISHED --FIN--> FIN_WAIT1 --ACK--> FIN_WAIT2
 *                  --FIN/ACK--> TIME_WAIT --timer--> CLOSE
 *                  (FIN_WAIT1 --FIN/ACK--> CLOSING --ACK--> TIME_WAIT)
 *   passive close: ESTABLISHED --FIN/ACK--> CLOSE_WAIT --FIN--> LAST_ACK
 *                  --ACK--> CLOSE
 *   any synchronized state --RST--> CLOSE (ECONNRESET)
 *
 * Reliability: each data or FIN segment stays on sk_write_queue, charged
 * to sk_wmem_queued (bounded by SO_SNDBUF) and to the protocol's memory
 * pool, until the peer acknowledges it.  The receiver acknowledges every
 * segment; it keeps segments that arrive past a hole in an out-of-order
 * queue (bounded by SO_RCVBUF) until the hole is filled, drops
 * duplicates and answers them with a D-SACK flag, so the stream arrives
 * exactly once and in order.  The sender repairs a loss the way NewReno
 * TCP does (RFC 6582): duplicate ACKs (3, or more on a link seen to
 * reorder) or the retransmission timeout (RFC 6298, from measured round
 * trips) resend the oldest unacknowledged segment, and each partial ACK
 * of the recovery the next overdue one - one resend per loss, never a
 * storm.  The same timer probes a zero window and ends TIME_WAIT.
 *
 * How a segment enters and leaves: toy_stream_sendmsg() copies user bytes
 * into segments on sk_write_queue; toy_stream_push() transmits those the
 * peer's window allows (a clone goes to toy0, the original stays queued);
 * toy_stream_rcv_ack() frees them once acknowledged.  On the way in,
 * toy_stream_rcv() finds the socket (or its listener) by port, and the
 * state machine (toy_stream_process()) queues payload for
 * toy_stream_recvmsg().
 *
 * Locking: the socket lock guards all connection state.  The receive
 * path (softirq) and the timer take bh_lock_sock() and, if a process owns
 * the socket, hand frames to the socket backlog, which release_sock()
 * replays through toy_stream_backlog_rcv().  Lock order: listener before
 * child, socket before port table.
 *
 * References: the creating reference belongs to the user's socket, or,
 * for an unaccepted child, to the listener's accept queue.  When the user
 * closes a socket that must still finish its close (FIN exchange,
 * TIME_WAIT), the reference passes to the protocol, which drops it in
 * toy_stream_destroy().  A pending timer holds a reference of its own.
 */

#include <linux/net.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/siphash.h>
#include <linux/sizes.h>
#include <net/sock.h>

#include "af_toy.h"

/*
 * Memory, as TCP has it (tcp_mem, tcp_rmem, tcp_wmem, tcp_max_orphans).
 * Every byte a stream holds (write queue, receive and out-of-order
 * queues) is charged through sk_forward_alloc to the protocol's pool,
 * toy_stream_memory_allocated, in pages, and to the memory cgroup of the
 * task that created the socket.  Above net.toy.toy_mem[1] pages the
 * protocol is under pressure; above toy_mem[2] a socket gets only its
 * minimum, toy_rmem[0] / toy_wmem[0], and the rest is refused: senders
 * wait, receivers drop (and the peer resends).  toy_rmem[1] / toy_wmem[1]
 * are the buffers a new stream socket gets; SO_RCVBUF and SO_SNDBUF still
 * set (and lock) them, capped by net.core.rmem_max / wmem_max unless
 * privileged.  AF_TOY does not autotune, so unlike tcp_rmem there is no
 * third value.  toy_mem is sized at load time like tcp_mem.
 *
 * These are global (init_net's /proc/sys/net/toy only): a user who owns a
 * network namespace must not be able to raise them.  Read with READ_ONCE().
 */
long toy_sysctl_mem[3];
int toy_sysctl_rmem[2] = { SZ_4K, SZ_1M };
int toy_sysctl_wmem[2] = { SZ_4K, SZ_1M };
int toy_sysctl_max_orphans = 4096;
int toy_sysctl_orphan_retries = 8;

atomic_long_t toy_stream_memory_allocated;
unsigned long toy_stream_memory_pressure;
DEFINE_PER_CPU(int, toy_stream_fw_alloc);
/* Under pressure, the core grants a socket its share of the hard limit:
 * toy_mem[2] divided among the stream sockets counted here.
 */
struct percpu_counter toy_stream_sockets_allocated;

/* Sockets closed by their user but still finishing (FIN, TIME_WAIT...). */
static atomic_t toy_stream_orphans = ATOMIC_INIT(0);

/*
 * Retransmission timeout bounds.  Before any round trip is measured the
 * timeout is Linux TCP's minimum, 200 ms.  After that it follows the
 * measurements (RFC 6298) down to 20 ms, not TCP's 200 ms floor: a toy
 * link's round trip is micro- to milliseconds, and without SACK a lost
 * retransmission can only be repaired by the timer, so on a lossy link
 * the floor is what sets the pace.  A spurious expiry costs one resent
 * segment.  The maximum is short because a toy never crosses a slow
 * path; 15 expiries still take ~25 s.
 */
#define TOY_RTO_INIT		(HZ / 5)
#define TOY_RTO_MIN		max(HZ / 50, 2)
#define TOY_RTO_MAX		(2 * HZ)
#define TOY_MAX_RETRIES		15
#define TOY_REORDERING		3	/* duplicate ACKs that mean a loss */
#define TOY_MAX_REORDERING	64
#define TOY_TIMEWAIT_LEN	(HZ / 2)	/* short: a toy has no stray routes */
#define TOY_FIN_TIMEOUT		(10 * HZ)	/* orphan in FIN_WAIT2 */

#define TOYF(state)		(1 << (state))
#define TOYF_SYNCED		(TOYF(TOY_ESTABLISHED) | TOYF(TOY_FIN_WAIT1) | \
				 TOYF(TOY_FIN_WAIT2) | TOYF(TOY_CLOSING) | \
				 TOYF(TOY_TIME_WAIT) | TOYF(TOY_CLOSE_WAIT) | \
				 TOYF(TOY_LAST_ACK))
#define TOYF_CAN_RECV		(TOYF(TOY_ESTABLISHED) | TOYF(TOY_FIN_WAIT1) | \
				 TOYF(TOY_FIN_WAIT2))

static siphash_key_t toy_cookie_key __read_mostly;

static struct toy_stream_sock *toy_st(struct sock *sk)
{
	return &toy_sk(sk)->st;
}

static struct sock *toy_st_sk(struct toy_stream_sock *st)
{
	return &container_of(st, struct toy_sock, st)->sk;
}

static bool toy_is_seqpacket(const struct sock *sk)
{
	return sk->sk_type == SOCK_SEQPACKET;
}

static void toy_stream_set_state(struct sock *sk, int state)
{
	WRITE_ONCE(sk->sk_state, state);
}

/* ---- memory ----------------------------------------------------------- */

/**
 * toy_stream_enter_memory_pressure() - the pool passed toy_mem[1]
 * @sk: the socket whose charge crossed the limit (struct proto hook)
 */
void toy_stream_enter_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(toy_stream_memory_pressure, 1);
}

/**
 * toy_stream_leave_memory_pressure() - the pool fell below toy_mem[0]
 * @sk: the socket whose uncharge did it (struct proto hook)
 */
void toy_stream_leave_memory_pressure(struct sock *sk)
{
	if (READ_ONCE(toy_stream_memory_pressure))
		WRITE_ONCE(toy_stream_memory_pressure, 0);
}

/**
 * toy_stream_mem_init() - size net.toy.toy_mem; set up the socket count
 *
 * As tcp_init_mem(): pressure at 1/16 of the memory free for buffers,
 * three quarters of that as the low mark, twice the low mark as the hard
 * limit.
 *
 * Return: 0 or -ENOMEM.
 */
int toy_stream_mem_init(void)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);

	toy_sysctl_mem[0] = limit / 4 * 3;
	toy_sysctl_mem[1] = limit;
	toy_sysctl_mem[2] = toy_sysctl_mem[0] * 2;
	return percpu_counter_init(&toy_stream_sockets_allocated, 0,
				   GFP_KERNEL);
}

/**
 * toy_stream_mem_exit() - undo toy_stream_mem_init(), once no socket is left
 */
void toy_stream_mem_exit(void)
{
	percpu_counter_destroy(&toy_stream_sockets_allocated);
}

/* Last reference gone: the socket leaves the count, then is freed. */
static void toy_stream_destruct(struct sock *sk)
{
	sk_sockets_allocated_dec(sk);
	toy_sock_destruct(sk);
	/* Every charge was matched by an uncharge: nothing is left. */
	sk_mem_reclaim_final(sk);
	WARN_ON_ONCE(sk->sk_forward_alloc);
}

/*
 * Out of resources: too many orphans, or the pool past its hard limit.
 * Then an orphan is reset rather than left to finish its close, as
 * tcp_out_of_resources() does.
 */
static bool toy_stream_out_of_resources(struct sock *sk)
{
	if (atomic_read(&toy_stream_orphans) > READ_ONCE(toy_sysctl_max_orphans) ||
	    sk_memory_allocated(sk) > sk_prot_mem_limits(sk, 2)) {
		TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_ABORTONMEMORY);
		return true;
	}
	return false;
}

/* ---- frames out ------------------------------------------------------ */

/*
 * The window to advertise, in TOY_WINDOW_UNITs: the free receive buffer
 * (less what waits in the backlog, about to be charged) converted from
 * memory to payload at the ratio received segments have shown.  A 1 KiB
 * segment costs over twice its size; a 64 KiB one about 1.3 times.
 */
static u16 toy_stream_free_window(const struct sock *sk)
{
	int free = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc) -
		   READ_ONCE(sk->sk_backlog.len);
	u64 payload;

	if (free <= 0)
		return 0;
	payload = (u64)free * toy_sk(sk)->st.rcv_ratio / 256;
	return min_t(u64, payload / TOY_WINDOW_UNIT, U16_MAX);
}

/* Fold a received segment's payload/truesize into the running ratio. */
static void toy_stream_update_ratio(struct sock *sk, const struct sk_buff *skb)
{
	struct toy_stream_sock *st = toy_st(sk);
	u32 r = clamp_t(u32, (u64)skb->len * 256 / skb->truesize, 16, 255);

	st->rcv_ratio = (3 * st->rcv_ratio + r) / 4;
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
	fl->type = toy_is_seqpacket(sk) ? TOY_TYPE_SEQPACKET : TOY_TYPE_STREAM;
	fl->flags = flags;
	fl->seq = seq;
	fl->ack = (flags & TOY_F_ACK) ? st->rcv_nxt : 0;
	fl->window = units;
}

static void toy_stream_xmit(struct net_device *dev, struct sk_buff *skb,
			    const struct toy_flow *fl)
{
	toy_skb_push_hdr(skb, fl);
	skb->dev = dev;
	dev_queue_xmit(skb);
}

/* A header-only segment of this connection: SYN, ACK, RST. */
static void toy_stream_send_ctl(struct sock *sk, u8 flags, u32 seq)
{
	struct net_device *dev = toy_pernet(sock_net(sk))->dev;
	struct toy_flow fl;
	struct sk_buff *skb;

	skb = toy_skb_alloc_ctl(dev, GFP_ATOMIC);
	if (!skb)
		return;	/* the peer's retransmission will ask again */
	toy_stream_flow(sk, &fl, flags, seq);
	toy_stream_xmit(dev, skb, &fl);
}

static void toy_stream_send_ack(struct sock *sk)
{
	toy_stream_send_ctl(sk, TOY_F_ACK, toy_st(sk)->snd_nxt);
}

static void toy_stream_send_rst(struct sock *sk)
{
	toy_stream_send_ctl(sk, TOY_F_RST | TOY_F_ACK, toy_st(sk)->snd_nxt);
}

/* Sequence space a segment occupies: payload, plus one for SYN or FIN. */
static u32 toy_seg_len(const struct toy_flow *fl, unsigned int len)
{
	return len + !!(fl->flags & TOY_F_SYN) + !!(fl->flags & TOY_F_FIN);
}

/* Answer a frame that belongs to no connection with RST, as TCP does. */
static void toy_stream_reply_rst(struct net_device *dev,
				 const struct toy_flow *in, unsigned int len)
{
	struct toy_flow fl = {
		.saddr = in->daddr, .daddr = in->saddr,
		.sport = in->dport, .dport = in->sport,
		.type = in->type, .flags = TOY_F_RST | TOY_F_ACK,
		.seq = in->ack, .ack = in->seq + toy_seg_len(in, len),
	};
	struct sk_buff *skb;

	if (in->flags & TOY_F_RST)
		return;	/* never answer a reset */
	skb = toy_skb_alloc_ctl(dev, GFP_ATOMIC);
	if (skb)
		toy_stream_xmit(dev, skb, &fl);
}

/*
 * Transmit a queued segment; the original stays queued until acked.  It
 * is stamped for RTT sampling, and marked once it has been sent twice.
 */
static void toy_stream_transmit(struct sock *sk, struct sk_buff *skb)
{
	struct net_device *dev = toy_pernet(sock_net(sk))->dev;
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
	toy_stream_xmit(dev, copy, &fl);
}

/* ---- the retransmission timeout (RFC 6298) ------------------------------ */

static void toy_stream_arm(struct sock *sk, unsigned long delay)
{
	sk_reset_timer(sk, &toy_st(sk)->timer, jiffies + delay);
}

/* SRTT + 4 * RTTVAR, within the bounds; the initial value until a sample. */
static unsigned long toy_stream_rto_base(const struct toy_stream_sock *st)
{
	if (!st->srtt)
		return TOY_RTO_INIT;
	return clamp_t(unsigned long, (st->srtt >> 3) + max(st->rttvar, 1U),
		       TOY_RTO_MIN, TOY_RTO_MAX);
}

/* Fold one round-trip measurement @m (jiffies) into SRTT and RTTVAR. */
static void toy_stream_rtt_sample(struct toy_stream_sock *st, u32 m)
{
	long err;

	m = max(m, 1U);
	if (!st->srtt) {
		st->srtt = m << 3;		/* SRTT = R */
		st->rttvar = m << 1;		/* RTTVAR = R / 2, kept x4 */
		return;
	}
	err = (long)m - (st->srtt >> 3);
	st->srtt += err;			/* SRTT += (R - SRTT) / 8 */
	st->rttvar += abs(err) - (st->rttvar >> 2); /* RTTVAR += (|err| - RTTVAR) / 4 */
}

/*
 * After anything that changes what is in flight: keep the timer running
 * while data is unacknowledged or waiting for window, stop it otherwise.
 * @progress restarts it, as an acknowledgment just arrived.
 */
static void toy_stream_rearm(struct sock *sk, bool progress)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (sk->sk_state == TOY_TIME_WAIT)
		return;
	if (st->snd_una != st->snd_nxt || st->send_head) {
		if (progress || !timer_pending(&st->timer))
			toy_stream_arm(sk, st->rto);
	} else if (sk->sk_state == TOY_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD)) {
		toy_stream_arm(sk, TOY_FIN_TIMEOUT);
	} else if (!st->heard && sk->sk_state == TOY_ESTABLISHED) {
		if (!timer_pending(&st->timer))
			toy_stream_arm(sk, st->rto);
	} else {
		sk_stop_timer(sk, &st->timer);
	}
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

static void toy_stream_free_segment(struct sock *sk, struct sk_buff *skb)
{
	toy_stream_wmem_charge(sk, -skb->truesize);
	kfree_skb(skb);
}

static void toy_stream_purge_write_queue(struct sock *sk)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		toy_stream_free_segment(sk, skb);
	toy_st(sk)->send_head = NULL;
}

/* Append a segment of @len sequence numbers to the write queue. */
static void toy_stream_queue(struct sock *sk, struct sk_buff *skb, u32 len,
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

/* Split the unsent segment @skb so that its first @len bytes fit. */
static int toy_stream_split(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct net_device *dev = toy_pernet(sock_net(sk))->dev;
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

/*
 * Send what the peer's window allows, from send_head on.  Only segments
 * never sent go out here; retransmission is toy_stream_retransmit_head()'s.
 */
static void toy_stream_push(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	bool was_idle = st->snd_una == st->snd_nxt;
	u32 prior_nxt = st->snd_nxt;
	struct sk_buff *skb;

	while ((skb = st->send_head)) {
		struct toy_skb_cb *cb = TOY_SKB_CB(skb);
		s32 room = (s32)(st->snd_una + st->snd_wnd - cb->seq);

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
			st->snd_nxt = cb->end_seq;
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

/*
 * Resend the oldest unacknowledged segment: the one the peer is missing.
 * Whatever the peer holds beyond it waits in its out-of-order queue, so
 * one loss costs one retransmission.
 */
static void toy_stream_retransmit_head(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == st->send_head)
		return;		/* nothing was sent yet */
	/* Counted first: whoever sees the frame (a tap runs inside the
	 * transmit) sees the count too.
	 */
	TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_RETRANSSEGS);
	TOY_SKB_CB(skb)->retrans = 1;
	st->undo_retrans++;
	toy_stream_transmit(sk, skb);
}

/*
 * Loss recovery (NewReno, RFC 6582): remember what was in flight when the
 * loss was detected; until all of it is acknowledged, each partial
 * acknowledgment resends the next hole and duplicate acknowledgments are
 * ignored, so a loss never sets off a storm of resends.
 */
static void toy_stream_enter_recovery(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	st->in_recovery = true;
	st->high_seq = st->snd_nxt;
	st->dupacks = 0;
	st->undo_retrans = 0;
	toy_stream_retransmit_head(sk);
}

/* ---- closing ------------------------------------------------------------ */

/* Queue our FIN behind the data: it is retransmitted like data. */
static void toy_stream_queue_fin(struct sock *sk)
{
	struct net_device *dev = toy_pernet(sock_net(sk))->dev;
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

/* Stop all activity: the connection is over (CLOSE). */
static void toy_stream_set_closed(struct sock *sk)
{
	toy_stream_set_state(sk, TOY_CLOSE);
	sk_stop_timer(sk, &toy_st(sk)->timer);
	toy_stream_purge_write_queue(sk);
	__skb_queue_purge(&toy_st(sk)->ofo_queue);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
}

/* Free an orphaned socket's last resources and its owner's reference. */
static void toy_stream_destroy(struct sock *sk)
{
	struct toy_net *tn = toy_pernet(sock_net(sk));

	toy_port_unbind(sk);
	toy_stream_set_closed(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	if (toy_st(sk)->orphan) {
		toy_st(sk)->orphan = false;
		atomic_dec(&toy_stream_orphans);
	}

	spin_lock_bh(&tn->sklist_lock);
	sk_del_node_init(sk);
	spin_unlock_bh(&tn->sklist_lock);
	sock_put(sk);
}

/*
 * The connection ended (reset, timeout, last ACK, TIME_WAIT over).  A
 * socket the user still holds stays, in CLOSE, until close(); an orphan
 * is destroyed.  Caller holds the socket lock and a reference.
 */
static void toy_stream_done(struct sock *sk)
{
	if (sk->sk_state == TOY_CLOSE)
		return;
	toy_stream_set_closed(sk);
	if (sock_flag(sk, SOCK_DEAD)) {
		toy_stream_destroy(sk);
		return;
	}
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		toy_port_unbind(sk);
	sk->sk_state_change(sk);
}

/* The connection failed with @err (ECONNRESET, ECONNREFUSED, ETIMEDOUT). */
static void toy_stream_fail(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, err);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
	toy_stream_done(sk);
}

static void toy_stream_time_wait(struct sock *sk)
{
	toy_stream_set_state(sk, TOY_TIME_WAIT);
	toy_stream_purge_write_queue(sk);
	toy_stream_arm(sk, TOY_TIMEWAIT_LEN);
}

/* ---- timer expiry ----------------------------------------------------- */

/*
 * The listener keeps no state between SYN and ACK (SYN cookies), so if
 * the client's handshake ACK is lost and the client has nothing to send,
 * the server never learns of the connection, and a server that speaks
 * first waits for ever in accept().  So until the client hears from the
 * server, it asks again: it resends its SYN.  The listener answers that
 * with SYN+ACK (and the ACK to that creates the child), and an existing
 * child answers it with a challenge ACK; either way the client then
 * hears.  After TOY_MAX_RETRIES it stops asking, and stays connected.
 * Returns whether it asked; the timer then backs off as for any resend.
 */
static bool toy_stream_confirm(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (++st->retries > TOY_MAX_RETRIES) {
		st->heard = true;
		return false;
	}
	toy_stream_send_ctl(sk, TOY_F_SYN, st->snd_una - 1);
	return true;
}

static void toy_stream_timeout(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	unsigned int max_retries = TOY_MAX_RETRIES;

	switch (sk->sk_state) {
	case TOY_TIME_WAIT:
		toy_stream_done(sk);
		return;
	case TOY_SYN_SENT:
		if (++st->retries > TOY_MAX_RETRIES) {
			toy_stream_fail(sk, ETIMEDOUT);
			return;
		}
		toy_stream_send_ctl(sk, TOY_F_SYN, st->snd_una);
		break;
	case TOY_CLOSE:
	case TOY_LISTEN:
		return;
	default:
		if (st->snd_una == st->snd_nxt && !st->send_head) {
			/* An orphan waiting in FIN_WAIT2, or a client that
			 * has not heard from the server since its handshake.
			 */
			if (sk->sk_state == TOY_FIN_WAIT2)
				toy_stream_done(sk);
			else if (!st->heard && toy_stream_confirm(sk))
				break;	/* ask again, backing off */
			return;
		}
		if (sock_flag(sk, SOCK_DEAD)) {
			max_retries = READ_ONCE(toy_sysctl_orphan_retries);
			if (toy_stream_out_of_resources(sk))
				max_retries = 0;
		}
		if (++st->retries > max_retries) {
			toy_stream_send_rst(sk);
			toy_stream_fail(sk, ETIMEDOUT);
			return;
		}
		if (st->snd_una == st->snd_nxt) {
			/* Nothing in flight, data waiting, the window shut:
			 * probe it with an old sequence number, which the
			 * peer must answer with its current window.
			 */
			toy_stream_send_ctl(sk, TOY_F_ACK, st->snd_una - 1);
			break;
		}
		/* Everything in flight may be lost: start over from the
		 * oldest segment, one hole per round trip.
		 */
		TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_TIMEOUTS);
		toy_stream_enter_recovery(sk);
		break;
	}
	st->rto = min_t(unsigned long, st->rto * 2, TOY_RTO_MAX);
	toy_stream_arm(sk, st->rto);
}

static void toy_stream_timer(struct timer_list *t)
{
	struct toy_stream_sock *st = from_timer(st, t, timer);
	struct sock *sk = toy_st_sk(st);

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk))
		toy_stream_arm(sk, HZ / 20);	/* the owner is busy: soon */
	else
		toy_stream_timeout(sk);
	bh_unlock_sock(sk);
	sock_put(sk);	/* the reference sk_reset_timer() took */
}

/* ---- frames in: the state machine ------------------------------------ */

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
	st->snd_wl1 = fl->seq;
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
	TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_FASTRETRANS);
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
	TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_SPURIOUSRETRANS);
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

/*
 * Process an acknowledgment and window from the peer.  Returns false for
 * an acknowledgment of data never sent: the whole segment is then bogus
 * and dropped, as tcp_ack() makes TCP do.
 */
static bool toy_stream_rcv_ack(struct sock *sk, const struct toy_flow *fl,
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

/* ---- frames in: the receive queue and the out-of-order queue ------------ */

/*
 * Could @skb be charged to the receive buffer?  Charges the protocol's
 * memory pool (sk_forward_alloc) on success; skb_set_owner_r() then
 * charges the socket.  With @force, an empty receive queue takes the
 * segment even when the pool is past its hard limit, as tcp_data_queue()
 * does, so a reader is never starved by other sockets' memory.
 */
static bool toy_stream_rmem_ok(struct sock *sk, struct sk_buff *skb, u64 limit,
			       bool force)
{
	if (atomic_read(&sk->sk_rmem_alloc) + (u64)skb->truesize > limit)
		return false;
	return sk_rmem_schedule(sk, skb, skb->truesize) ||
	       (force && skb_queue_empty(&sk->sk_receive_queue));
}

/*
 * Room in the protocol's pool for @size more bytes on the write queue?
 * An empty queue always gets its first segment (the charge may take
 * sk_forward_alloc below zero for a while), as sk_forced_mem_schedule()
 * lets TCP do: otherwise, once the pool is past its hard limit, no new
 * connection could send a byte until someone else freed memory.
 */
static bool toy_stream_wmem_schedule(struct sock *sk, int size)
{
	return sk_wmem_schedule(sk, size) ||
	       skb_queue_empty(&sk->sk_write_queue);
}

/* Drop the whole out-of-order queue to make room: the sender resends. */
static void toy_stream_ofo_prune(struct sock *sk)
{
	struct sk_buff_head *q = &toy_st(sk)->ofo_queue;

	if (skb_queue_empty(q))
		return;
	TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_OFOPRUNED);
	__skb_queue_purge(q);
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
		TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_WINDOWDROPS);
		atomic_inc(&sk->sk_drops);
		kfree_skb(skb);
		return false;
	}
	TOY_SKB_CB(skb)->seq = fl->seq;
	toy_stream_update_ratio(sk, skb);
	skb_set_owner_r(skb, sk);
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
	TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_OFOQUEUE);

	/* Segments this one covers whole are redundant now. */
	while (!skb_queue_is_last(q, skb)) {
		next = skb->next;
		if (toy_seq_after(TOY_SKB_CB(next)->end_seq, cb->end_seq))
			break;
		__skb_unlink(next, q);
		kfree_skb(next);
	}
	return false;
dup:
	TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_OFODROPS);
	kfree_skb(skb);
	return true;
drop:
	TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_OFODROPS);
	atomic_inc(&sk->sk_drops);
	kfree_skb(skb);
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
			kfree_skb(skb);
			continue;
		}
		WRITE_ONCE(st->rcv_nxt, cb->end_seq - fin);
		if (skb->len) {
			__skb_queue_tail(&sk->sk_receive_queue, skb);
			data = true;
		} else {
			kfree_skb(skb);
		}
		if (fin) {
			WRITE_ONCE(st->rcv_nxt, st->rcv_nxt + 1);
			toy_stream_rcv_fin(sk);
		}
	}
	if (data)
		sk->sk_data_ready(sk);
}

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

	if (skb->len) {
		if (!(TOYF(sk->sk_state) & TOYF_CAN_RECV))
			goto drop;	/* data after the peer's FIN */
		if (sock_flag(sk, SOCK_DEAD)) {
			/* Nobody will ever read it: as TCP, reset. */
			toy_stream_send_rst(sk);
			toy_stream_done(sk);
			goto drop;
		}
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
	kfree_skb(skb);
}

/* A segment for a connection past its handshake. */
static void toy_stream_rcv_synced(struct sock *sk, struct sk_buff *skb,
				  const struct toy_flow *fl)
{
	struct toy_stream_sock *st = toy_st(sk);
	bool fin = fl->flags & TOY_F_FIN;
	u32 end = fl->seq + skb->len + fin;

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
	if (!(fl->flags & TOY_F_ACK))
		goto drop;
	st->heard = true;	/* the peer knows the connection */
	if (sk->sk_state == TOY_TIME_WAIT) {
		/* The peer lost our last ACK: repeat it, wait again. */
		if (fin) {
			toy_stream_send_ack(sk);
			toy_stream_arm(sk, TOY_TIMEWAIT_LEN);
		}
		goto drop;
	}

	if (!toy_stream_rcv_ack(sk, fl, skb->len || fin))
		goto drop;	/* acknowledges what we never sent */
	if (sk->sk_state == TOY_CLOSE)
		goto drop;	/* that ACK completed our close */

	if (!toy_seq_after(end, st->rcv_nxt)) {
		/* Nothing new: a duplicate, or a window probe (seq behind
		 * us): say where we are.  A pure ACK gets no answer.
		 */
		if (skb->len)
			toy_stream_send_ctl(sk, TOY_F_ACK | TOY_F_DSACK,
					    st->snd_nxt);
		else if (end != fl->seq || toy_seq_before(fl->seq, st->rcv_nxt))
			toy_stream_send_ack(sk);
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
			kfree_skb(skb);
		else if (toy_stream_ofo_queue(sk, skb, fl))
			flags |= TOY_F_DSACK;
		toy_stream_send_ctl(sk, flags, st->snd_nxt);
		return;
	}
	if (toy_is_seqpacket(sk) && fl->seq != st->rcv_nxt) {
		toy_stream_send_ack(sk);	/* a record is never cut */
		goto drop;
	}
	toy_stream_rcv_in_order(sk, skb, fl);
	/* Not after an orphan reset the peer for data nobody will read. */
	if (sk->sk_state != TOY_CLOSE)
		toy_stream_send_ack(sk);
	return;
drop:
	kfree_skb(skb);
}

static void toy_stream_process(struct sock *sk, struct sk_buff *skb);
static int toy_stream_score(const struct sock *sk, const struct toy_flow *fl);

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

/*
 * Run @skb through @sk's state machine now, or queue it to the socket
 * backlog if a process owns the socket.  @nested: @sk is a child whose
 * listener is locked by the caller.  Consumes @skb.
 */
static int toy_stream_deliver(struct sock *sk, struct sk_buff *skb,
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
		TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_BACKLOGDROPS);
		atomic_inc(&sk->sk_drops);
		kfree_skb(skb);
		ret = NET_RX_DROP;
	}
	bh_unlock_sock(sk);
	local_bh_enable();
	return ret;
}

/* SYN_SENT: waiting for the listener's SYN+ACK (or RST). */
static void toy_stream_rcv_syn_sent(struct sock *sk, struct sk_buff *skb,
				    const struct toy_flow *fl)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (!(fl->flags & TOY_F_ACK))
		goto drop;
	if (fl->ack != st->snd_nxt) {
		/* Not for our SYN: a half-open old connection on the peer's
		 * side.  Reset it (RFC 9293 3.10.7.3), or it would hold the
		 * four-tuple while we retry.
		 */
		toy_stream_reply_rst(skb->dev, fl, skb->len);
		goto drop;
	}
	if (fl->flags & TOY_F_RST) {
		toy_stream_fail(sk, ECONNREFUSED);
		goto drop;
	}
	if (!(fl->flags & TOY_F_SYN))
		goto drop;

	WRITE_ONCE(st->snd_una, fl->ack);
	st->snd_wnd = fl->window * TOY_WINDOW_UNIT;
	st->max_wnd = st->snd_wnd;
	st->snd_wl1 = fl->seq;
	WRITE_ONCE(st->rcv_nxt, fl->seq + 1);
	WRITE_ONCE(st->copied_seq, st->rcv_nxt);
	st->rcv_edge = st->rcv_nxt;
	st->retries = 0;
	st->rto = TOY_RTO_INIT;
	sk_stop_timer(sk, &st->timer);
	toy_stream_set_state(sk, TOY_ESTABLISHED);
	toy_stream_send_ack(sk);
	toy_stream_rearm(sk, false);	/* until the server is heard */
	sk->sk_state_change(sk);
	sk->sk_write_space(sk);
drop:
	kfree_skb(skb);
}

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
	toy_stream_init_sock(child);
	/* The listener's buffer sizes, whether default or set by the user. */
	child->sk_userlocks = parent->sk_userlocks;
	child->sk_rcvbuf = READ_ONCE(parent->sk_rcvbuf);
	child->sk_sndbuf = READ_ONCE(parent->sk_sndbuf);

	ts = toy_sk(child);
	st = &ts->st;
	ts->daddr = fl->saddr;
	ts->dport = fl->sport;
	st->snd_una = isn + 1;
	st->snd_nxt = isn + 1;
	st->write_seq = isn + 1;
	st->high_seq = isn;
	st->heard = true;	/* its first segment is the client's */
	st->snd_wnd = fl->window * TOY_WINDOW_UNIT;
	st->max_wnd = st->snd_wnd;
	st->snd_wl1 = fl->seq;
	st->rcv_nxt = fl->seq;
	st->copied_seq = fl->seq;
	st->rcv_edge = fl->seq + toy_stream_free_window(child) *
		       TOY_WINDOW_UNIT;
	toy_stream_set_state(child, TOY_ESTABLISHED);
	toy_port_add_child(parent, child, fl->daddr);
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
	toy_stream_xmit(dev, ctl, reply);
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
	child = toy_port_lookup(toy_pernet(sock_net(sk)), fl,
				toy_stream_score);
	rcu_read_unlock();
	if (child == sk) {
		sock_put(child);
		return NULL;
	}
	return child;
}

/* LISTEN: answer SYNs statelessly; an ACK echoing our cookie is a child. */
static void toy_stream_rcv_listen(struct sock *sk, struct sk_buff *skb,
				  const struct toy_flow *fl)
{
	struct toy_flow reply = {
		.saddr = fl->daddr, .daddr = fl->saddr,
		.sport = fl->dport, .dport = fl->sport,
		.type = fl->type,
	};
	struct net_device *dev = skb->dev;
	struct sock *child;
	u32 isn;

	if (fl->flags & TOY_F_RST)
		goto drop;
	/* A full accept queue drops the SYN: the client will retry. */
	if (sk_acceptq_is_full(sk))
		goto drop;

	if (fl->flags == TOY_F_SYN) {
		toy_stream_rcv_listen_syn(sk, dev, &reply, fl);
		goto drop;
	}
	if (!(fl->flags & TOY_F_ACK) || (fl->flags & TOY_F_SYN)) {
		toy_stream_reply_rst(dev, fl, skb->len);
		goto drop;
	}
	child = toy_stream_find_child(sk, fl);
	if (child) {
		toy_stream_deliver(child, skb, true);
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
		goto drop;
	}

	child = toy_stream_new_child(sk, fl, isn);
	if (!child)
		goto drop;	/* the client's retransmission retries */
	TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_PASSIVEOPENS);
	/* The accept queue owns the child's first reference. */
	list_add_tail(&toy_st(child)->accept_node, &toy_st(sk)->accept_queue);
	sk_acceptq_added(sk);

	/* The ACK may carry data, or even a FIN: the child takes it. */
	toy_stream_deliver(child, skb, true);
	sk->sk_data_ready(sk);
	return;
drop:
	kfree_skb(skb);
}

/* Run one segment through the state machine.  Socket locked; consumes. */
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
		toy_stream_reply_rst(skb->dev, &fl, skb->len);
		kfree_skb(skb);
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

/* How well a stream socket bound to the port matches a frame. */
static int toy_stream_score(const struct sock *sk, const struct toy_flow *fl)
{
	const struct toy_sock *ts = toy_sk(sk);
	__be32 bound = READ_ONCE(ts->rcv_saddr);
	int state = READ_ONCE(sk->sk_state);

	/* See toy_dgram_score(): the socket may have moved to another port. */
	if (READ_ONCE(ts->sport) != fl->dport)
		return -1;
	if (bound != htonl(TOY_ADDR_ANY) && bound != fl->daddr)
		return -1;
	if (state == TOY_LISTEN)
		return bound != htonl(TOY_ADDR_ANY) ? 2 : 1;
	if (state == TOY_CLOSE)
		return -1;
	if (READ_ONCE(ts->daddr) != fl->saddr ||
	    READ_ONCE(ts->dport) != fl->sport)
		return -1;
	return 4;	/* the connection itself beats its listener */
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
	struct toy_flow fl;
	struct sock *sk;
	int ret;

	toy_skb_flow(skb, &fl);
	if (!toy_addr_is_local(fl.daddr) || !fl.sport) {
		TOY_INC_STATS(tn, TOY_MIB_HDRERRORS);
		TOY_INC_STATS(tn, TOY_MIB_INERRORS);
		goto drop;
	}
	sk = toy_port_lookup(tn, &fl, toy_stream_score);
	if (!sk) {
		TOY_INC_STATS(tn, TOY_MIB_NOPORTS);
		toy_stream_reply_rst(skb->dev, &fl, skb->len);
		goto drop;
	}

	ret = toy_stream_deliver(sk, skb, false);
	sock_put(sk);
	return ret;
drop:
	kfree_skb(skb);
	return NET_RX_DROP;
}

/* ---- process context: the socket calls --------------------------------- */

/*
 * Wake writers once acknowledgments free enough of the send buffer: the
 * kernel's sk_stream_write_space(), which is not exported to modules.
 */
static void toy_stream_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !sk_stream_is_writeable(sk))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/**
 * toy_stream_init_sock() - connection state of a new stream socket
 * @sk: the socket, fresh from sk_alloc()
 */
void toy_stream_init_sock(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	timer_setup(&st->timer, toy_stream_timer, 0);
	skb_queue_head_init(&st->ofo_queue);
	INIT_LIST_HEAD(&st->accept_queue);
	INIT_LIST_HEAD(&st->accept_node);
	st->rto = TOY_RTO_INIT;
	st->reordering = TOY_REORDERING;
	st->rcv_ratio = 128;	/* assume payload is half the cost, at first */
	WRITE_ONCE(sk->sk_rcvbuf, READ_ONCE(toy_sysctl_rmem[1]));
	WRITE_ONCE(sk->sk_sndbuf, READ_ONCE(toy_sysctl_wmem[1]));
	sk->sk_write_space = toy_stream_write_space;
	sk->sk_destruct = toy_stream_destruct;
	sk_sockets_allocated_inc(sk);
	/* sock_init_data() leaves this to the family, as inet_create() does. */
	sk->sk_backlog_rcv = toy_stream_backlog_rcv;
}

/**
 * toy_stream_connect() - start the handshake (struct proto .connect)
 * @sk: an unconnected socket, locked by the caller
 * @uaddr: a checked struct sockaddr_toy
 * @addr_len: its length
 *
 * Sends the SYN and moves to SYN_SENT; the caller waits (or not) for the
 * answer.  Return: 0 or a negative errno.
 */
int toy_stream_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_toy *sa = (const struct sockaddr_toy *)uaddr;
	__be32 daddr = toy_resolve(sa->stoy_addr);
	struct toy_stream_sock *st = toy_st(sk);
	u32 isn;
	int err;

	if (daddr == htonl(TOY_ADDR_BROADCAST))
		return -ENETUNREACH;
	if (!toy_route(sk, daddr, &err))
		return err;
	err = toy_autobind(sk);
	if (err)
		return err;
	err = toy_port_connect(sk, daddr, sa->stoy_port, TOY_SYN_SENT);
	if (err)
		return err;

	/* disconnect() left nothing behind; a new sequence space starts. */
	WARN_ON_ONCE(!skb_queue_empty(&sk->sk_write_queue));
	isn = get_random_u32();
	WRITE_ONCE(st->snd_una, isn);
	st->snd_nxt = isn + 1;		/* the SYN takes one */
	st->high_seq = isn;
	WRITE_ONCE(st->write_seq, isn + 1);
	st->snd_wnd = 0;
	st->max_wnd = 0;
	st->srtt = 0;
	st->rttvar = 0;
	st->retries = 0;
	st->dupacks = 0;
	st->reordering = TOY_REORDERING;
	st->undo_retrans = 0;
	st->in_recovery = false;
	st->heard = false;
	st->rto = TOY_RTO_INIT;
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	TOY_INC_STATS(toy_pernet(sock_net(sk)), TOY_MIB_ACTIVEOPENS);
	toy_stream_send_ctl(sk, TOY_F_SYN, isn);
	toy_stream_arm(sk, st->rto);
	return 0;
}

/* Reset every connection still waiting in the accept queue. */
static void toy_stream_close_listener(struct sock *sk)
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

/**
 * toy_stream_disconnect() - abandon the connection (struct proto .disconnect)
 * @sk: the socket, locked by the caller
 * @flags: unused
 *
 * Resets a connection, stops listening, or forgets a failed connect, and
 * leaves the socket in CLOSE, ready for another connect().
 *
 * Return: 0.
 */
int toy_stream_disconnect(struct sock *sk, int flags)
{
	struct toy_stream_sock *st = toy_st(sk);
	struct toy_sock *ts = toy_sk(sk);

	if (sk->sk_state == TOY_LISTEN)
		toy_stream_close_listener(sk);
	else if (TOYF(sk->sk_state) & TOYF_SYNCED)
		toy_stream_send_rst(sk);
	toy_stream_set_closed(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	/* Nothing left to read or to acknowledge (tcp_disconnect()). */
	WRITE_ONCE(st->copied_seq, st->rcv_nxt);
	WRITE_ONCE(st->snd_una, st->write_seq);
	st->snd_nxt = st->write_seq;
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	WRITE_ONCE(ts->daddr, 0);
	WRITE_ONCE(ts->dport, 0);
	sk_error_report(sk);
	return 0;
}

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
 * toy_stream_shutdown() - shut down sending (struct proto .shutdown)
 * @sk: the socket, locked by the caller, sk_shutdown already updated
 * @how: RCV_SHUTDOWN and/or SEND_SHUTDOWN
 *
 * Sending side: the FIN goes out behind the queued data.
 */
void toy_stream_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	if (sk->sk_state == TOY_ESTABLISHED) {
		toy_stream_set_state(sk, TOY_FIN_WAIT1);
		toy_stream_queue_fin(sk);
	} else if (sk->sk_state == TOY_CLOSE_WAIT) {
		toy_stream_set_state(sk, TOY_LAST_ACK);
		toy_stream_queue_fin(sk);
	}
}

/**
 * toy_stream_inq() - bytes the user can read now
 * @sk: the socket; lockless
 *
 * Return: the count (the peer's FIN is not a byte).
 */
int toy_stream_inq(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	int n;

	if (READ_ONCE(sk->sk_state) == TOY_LISTEN)
		return 0;
	n = READ_ONCE(st->rcv_nxt) - READ_ONCE(st->copied_seq);
	if (n > 0 && sock_flag(sk, SOCK_DONE))
		n--;
	return max(n, 0);
}

/**
 * toy_stream_outq() - bytes sent or queued but not yet acknowledged
 * @sk: the socket; lockless
 *
 * Return: the count.
 */
int toy_stream_outq(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	int state = READ_ONCE(sk->sk_state);

	/* As TCP: a listener has no queue, and the SYN is not a byte. */
	if (state == TOY_LISTEN || state == TOY_SYN_SENT)
		return 0;
	return READ_ONCE(st->write_seq) - READ_ONCE(st->snd_una);
}

/**
 * toy_stream_close() - the user's last close (struct proto .close)
 * @sk: the socket
 * @timeout: linger time (not supported: close never waits)
 *
 * Unread data means the peer's bytes are lost: reset, as TCP does.
 * Otherwise a FIN goes out, and the orphaned socket finishes the close on
 * its own.  A listener resets the connections nobody accepted.
 */
void toy_stream_close(struct sock *sk, long timeout)
{
	bool unread;

	sock_hold(sk);	/* destroy may drop the last other reference */
	lock_sock(sk);
	unread = toy_stream_inq(sk) > 0;
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	__skb_queue_purge(&sk->sk_receive_queue);

	switch (sk->sk_state) {
	case TOY_LISTEN:
		toy_stream_close_listener(sk);
		toy_stream_set_closed(sk);
		break;
	case TOY_SYN_SENT:
		toy_stream_set_closed(sk);
		break;
	case TOY_ESTABLISHED:
	case TOY_CLOSE_WAIT:
		if (unread || toy_stream_out_of_resources(sk)) {
			toy_stream_send_rst(sk);
			toy_stream_set_closed(sk);
		} else {
			toy_stream_set_state(sk, sk->sk_state ==
					     TOY_ESTABLISHED ? TOY_FIN_WAIT1 :
					     TOY_LAST_ACK);
			toy_stream_queue_fin(sk);
		}
		break;
	default:
		if (unread && sk->sk_state != TOY_CLOSE) {
			toy_stream_send_rst(sk);
			toy_stream_set_closed(sk);
		}
		break;	/* already closing */
	}

	sock_orphan(sk);
	if (sk->sk_state == TOY_CLOSE) {
		toy_stream_destroy(sk);
	} else {
		/* Counted until destroyed, against net.toy.max_orphans. */
		toy_st(sk)->orphan = true;
		atomic_inc(&toy_stream_orphans);
		toy_stream_rearm(sk, false);
	}
	release_sock(sk);
	sock_put(sk);
}

/**
 * toy_stream_sendmsg() - queue bytes (or a record) for sending (.sendmsg)
 * @sk: the socket
 * @msg: the data
 * @len: its length
 *
 * Blocks while the send buffer is full, unless MSG_DONTWAIT.  A seqpacket
 * record must fit one segment.  As TCP: EPIPE (with SIGPIPE unless
 * MSG_NOSIGNAL) once sending is shut down or the connection is gone, a
 * pending error first, and a partial count if some bytes were queued.
 *
 * Return: bytes queued, or a negative errno.
 */
int toy_stream_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct net_device *dev = toy_pernet(sock_net(sk))->dev;
	struct sk_buff *skb;
	size_t copied = 0, size;
	unsigned int mss;
	long timeo;
	int err;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	lock_sock(sk);
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	if (!(TOYF(sk->sk_state) & (TOYF(TOY_ESTABLISHED) |
				    TOYF(TOY_CLOSE_WAIT)))) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto out_err;
	}
	mss = toy_max_payload(dev);
	err = -EMSGSIZE;
	if (!mss || (toy_is_seqpacket(sk) && len > mss))
		goto out_err;

	while (copied < len) {
		err = -EPIPE;
		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
			goto out_err;
		if (!sk_stream_memory_free(sk)) {
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			err = sk_stream_wait_memory(sk, &timeo);
			if (err)
				goto out_err;
			continue;
		}
		size = min_t(size_t, len - copied, mss);
		skb = toy_skb_alloc_data(sk, dev, msg, size, &err);
		if (!skb)
			goto out_err;
		if (!toy_stream_wmem_schedule(sk, skb->truesize)) {
			/* The protocol's pool is at its limit: wait, as TCP
			 * does, and copy the bytes again afterwards.
			 */
			iov_iter_revert(&msg->msg_iter, size);
			kfree_skb(skb);
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			err = sk_stream_wait_memory(sk, &timeo);
			if (err)
				goto out_err;
			continue;
		}
		toy_stream_queue(sk, skb, size, TOY_F_DATA);
		copied += size;
		toy_stream_push(sk);
		/* Let acknowledgments that queued up meanwhile in. */
		sk_flush_backlog(sk);
	}
	release_sock(sk);
	return copied;

out_err:
	if (copied) {
		release_sock(sk);
		return copied;
	}
	err = sk_stream_error(sk, msg->msg_flags, err);
	release_sock(sk);
	return err;
}

/* Tell the peer about space the reader just freed, if it matters. */
static void toy_stream_window_update(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);
	u32 adv = st->rcv_edge - st->rcv_nxt;
	u32 win = toy_stream_free_window(sk) * TOY_WINDOW_UNIT;

	/* As tcp_cleanup_rbuf(): worth a segment once the window doubles. */
	if ((TOYF(sk->sk_state) & TOYF_CAN_RECV) && win >= 2 * adv && win)
		toy_stream_send_ack(sk);
}

/* Give up waiting for more?  Sets *@ret for the "nothing copied" cases. */
static bool toy_stream_recv_stop(struct sock *sk, int copied, long timeo,
				 int *ret)
{
	if (copied)
		return sk->sk_err || sk->sk_state == TOY_CLOSE ||
		       (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
		       signal_pending(current);
	/* In tcp_recvmsg()'s order: a FIN, then an error (a reset also
	 * shuts the socket down, but must be reported once), then shutdown.
	 */
	*ret = 0;
	if (sock_flag(sk, SOCK_DONE))
		return true;	/* end of stream */
	if (sk->sk_err) {
		*ret = sock_error(sk);
		return true;
	}
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		return true;
	if (sk->sk_state == TOY_CLOSE) {
		*ret = -ENOTCONN;	/* never connected */
		return true;
	}
	if (!timeo) {
		*ret = -EAGAIN;
		return true;
	}
	if (signal_pending(current)) {
		*ret = sock_intr_errno(timeo);
		return true;
	}
	return false;
}

/**
 * toy_stream_recvmsg() - read bytes (or one record) (.recvmsg)
 * @sk: the socket
 * @msg: where the data goes
 * @len: room in @msg
 * @flags: MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT, MSG_TRUNC (seqpacket)
 * @addr_len: not used (a stream has no per-message address)
 *
 * A stream read returns what is there (at least SO_RCVLOWAT bytes, or
 * everything with MSG_WAITALL); a seqpacket read returns one record,
 * truncated with MSG_TRUNC if @len is short.
 *
 * Return: bytes read, 0 at end of stream, or a negative errno.
 */
int toy_stream_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		       int flags, int *addr_len)
{
	struct toy_stream_sock *st = toy_st(sk);
	bool seqpacket = toy_is_seqpacket(sk);
	u32 peek_seq, *seq;
	struct sk_buff *skb;
	int copied = 0, target, ret;
	long timeo;

	if (flags & MSG_OOB)
		return -EINVAL;
	lock_sock(sk);
	ret = -ENOTCONN;
	if (sk->sk_state == TOY_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = seqpacket ? 1 : sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	peek_seq = st->copied_seq;
	seq = (flags & MSG_PEEK) ? &peek_seq : &st->copied_seq;

	do {
		u32 offset = 0, used;
		bool found = false;

		/* Another reader took what we were peeking at: start from
		 * what is left, as tcp_recvmsg() does.
		 */
		if ((flags & MSG_PEEK) &&
		    toy_seq_before(peek_seq, st->copied_seq))
			peek_seq = st->copied_seq;
		skb_queue_walk(&sk->sk_receive_queue, skb) {
			offset = *seq - TOY_SKB_CB(skb)->seq;
			if (offset < skb->len || (seqpacket && !offset)) {
				found = true;
				break;
			}
		}
		if (!found) {
			if (copied >= target && !READ_ONCE(sk->sk_backlog.tail))
				break;
			if (toy_stream_recv_stop(sk, copied, timeo, &ret)) {
				if (!copied)
					goto out;
				break;
			}
			if (copied >= target) {
				release_sock(sk);	/* run the backlog */
				lock_sock(sk);
			} else {
				sk_wait_data(sk, &timeo,
					     skb_peek_tail(&sk->sk_receive_queue));
			}
			continue;
		}

		used = min_t(size_t, skb->len - offset, len - copied);
		ret = skb_copy_datagram_msg(skb, offset, msg, used);
		if (ret) {
			if (!copied)
				copied = -EFAULT;
			break;
		}
		copied += used;
		if (seqpacket) {
			/* One record per call; the rest of it is lost. */
			if (used < skb->len) {
				msg->msg_flags |= MSG_TRUNC;
				if (flags & MSG_TRUNC)
					copied = skb->len;
			}
			used = skb->len;
		}
		WRITE_ONCE(*seq, *seq + used);
		if (!(flags & MSG_PEEK) && offset + used >= skb->len) {
			__skb_unlink(skb, &sk->sk_receive_queue);
			consume_skb(skb);
		}
		if (seqpacket)
			break;
	} while (copied < len);

	if (!(flags & MSG_PEEK))
		toy_stream_window_update(sk);
	ret = copied;
out:
	release_sock(sk);
	return ret;
}

/**
 * toy_stream_poll() - readiness of a stream socket, as tcp_poll() reports it
 * @file: the file
 * @sock: the socket
 * @wait: the poll table
 *
 * Return: the event mask.
 */
__poll_t toy_stream_poll(struct file *file, struct socket *sock,
			 poll_table *wait)
{
	struct sock *sk = sock->sk;
	int state = READ_ONCE(sk->sk_state);
	u8 shutdown = READ_ONCE(sk->sk_shutdown);
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);
	if (state == TOY_LISTEN)
		return READ_ONCE(sk->sk_ack_backlog) ? EPOLLIN | EPOLLRDNORM : 0;

	if (shutdown == SHUTDOWN_MASK || state == TOY_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (state != TOY_SYN_SENT) {
		int target = sock_rcvlowat(sk, 0, INT_MAX);

		if (toy_stream_inq(sk) >= target)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (sk_stream_is_writeable(sk)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* Re-check after setting the flag, as
				 * tcp_poll() does, so no wakeup is missed.
				 */
				smp_mb__after_atomic();
				if (sk_stream_is_writeable(sk))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}
