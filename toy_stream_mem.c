// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY streams: memory.  Layer: protocol (stream); the analogue of the
 * memory parts of tcp.c (tcp_mem, tcp_init_mem(), tcp_out_of_resources()).
 *
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
 * These are global (init_net's /proc/sys/net/toy only, see toy_proc.c): a
 * user who owns a network namespace must not be able to raise them.  Read
 * with READ_ONCE().
 *
 * How memory enters: toy_stream_wmem_schedule() and toy_stream_rmem_ok()
 * charge the pool before a segment is queued.  How it leaves: the charge
 * goes back as segments are freed, and toy_stream_destruct() returns the
 * rest.
 */

#include <linux/net.h>
#include <linux/sizes.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"

/* The sysctls (toy_proc.c shows them); see the top of this file. */
long toy_sysctl_mem[3];
int toy_sysctl_rmem[2] = { SZ_4K, SZ_1M };
int toy_sysctl_wmem[2] = { SZ_4K, SZ_1M };
int toy_sysctl_max_orphans = 4096;
int toy_sysctl_orphan_retries = 8;

/* The pool, as struct proto points the core at it (toy_stream_prot). */
atomic_long_t toy_stream_memory_allocated;
unsigned long toy_stream_memory_pressure;
DEFINE_PER_CPU(int, toy_stream_fw_alloc);

/* Under pressure, the core grants a socket its share of the hard limit:
 * toy_mem[2] divided among the stream sockets counted here.
 */
struct percpu_counter toy_stream_sockets_allocated;

/* Sockets closed by their user but still finishing (FIN, TIME_WAIT...). */
static atomic_t toy_stream_orphans = ATOMIC_INIT(0);

/**
 * toy_stream_orphan() - count a socket in or out of the orphans
 * @sk: the socket, locked
 * @orphan: true when its user closes it but it must still finish its
 *	    close; false when it is destroyed (a no-op if never counted)
 *
 * Orphans count against net.toy.max_orphans.
 */
void toy_stream_orphan(struct sock *sk, bool orphan)
{
	struct toy_stream_sock *st = toy_st(sk);

	if (st->orphan == orphan)
		return;
	st->orphan = orphan;
	if (orphan)
		atomic_inc(&toy_stream_orphans);
	else
		atomic_dec(&toy_stream_orphans);
}

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

/**
 * toy_stream_destruct() - the last reference is gone (sk->sk_destruct)
 * @sk: the socket
 *
 * The socket leaves the count, then is freed; every charge was matched by
 * an uncharge, and what is left of sk_forward_alloc goes back to the pool.
 */
void toy_stream_destruct(struct sock *sk)
{
	sk_sockets_allocated_dec(sk);
	toy_sock_destruct(sk);
	/* Every charge was matched by an uncharge: nothing is left. */
	sk_mem_reclaim_final(sk);
	WARN_ON_ONCE(sk->sk_forward_alloc);
}

/**
 * toy_stream_out_of_resources() - must an orphan give up now?
 * @sk: the socket
 *
 * Out of resources: too many orphans, or the pool past its hard limit.
 * Then an orphan is reset rather than left to finish its close, as
 * tcp_out_of_resources() does.  Counted in AbortOnMemory.
 *
 * Return: true if out of resources.
 */
bool toy_stream_out_of_resources(struct sock *sk)
{
	if (atomic_read(&toy_stream_orphans) > READ_ONCE(toy_sysctl_max_orphans) ||
	    sk_memory_allocated(sk) > sk_prot_mem_limits(sk, 2)) {
		TOY_SK_INC_STATS(sk, TOY_MIB_ABORTONMEMORY);
		return true;
	}
	return false;
}

/**
 * toy_stream_rmem_ok() - may @skb be charged to the receive buffer?
 * @sk: the socket, locked
 * @skb: a received segment
 * @limit: what sk_rmem_alloc may reach
 * @force: take it anyway into an empty receive queue
 *
 * Charges the protocol's memory pool (sk_forward_alloc) on success;
 * skb_set_owner_r() then charges the socket.  With @force, an empty
 * receive queue takes the segment whatever @limit and the pool say, as
 * tcp_data_queue() does: a reader is never starved by other sockets'
 * memory, and a segment the window allowed is never refused for its
 * truesize alone (a small SO_RCVBUF, which the window sized from an
 * estimate of that overhead), which would stall the stream for good.
 *
 * Return: true if it may be queued.
 */
bool toy_stream_rmem_ok(struct sock *sk, struct sk_buff *skb, u64 limit,
			bool force)
{
	bool empty = force && skb_queue_empty(&sk->sk_receive_queue);

	if (!empty &&
	    atomic_read(&sk->sk_rmem_alloc) + (u64)skb->truesize > limit)
		return false;
	return sk_rmem_schedule(sk, skb, skb->truesize) || empty;
}

/**
 * toy_stream_wmem_schedule() - room in the pool for more to send?
 * @sk: the socket, locked
 * @size: the truesize of the segment to queue
 *
 * An empty write queue always gets its first segment (the charge may take
 * sk_forward_alloc below zero for a while), as sk_forced_mem_schedule()
 * lets TCP do: otherwise, once the pool is past its hard limit, no new
 * connection could send a byte until someone else freed memory.
 *
 * Return: true if the segment may be queued.
 */
bool toy_stream_wmem_schedule(struct sock *sk, int size)
{
	return sk_wmem_schedule(sk, size) ||
	       skb_queue_empty(&sk->sk_write_queue);
}
