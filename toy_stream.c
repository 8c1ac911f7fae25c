// SPDX-License-Identifier: GPL-2.0
/*
 * Connection-oriented AF_TOY sockets: SOCK_STREAM and SOCK_SEQPACKET.
 * Layer: protocol (a struct proto), beside toy_dgram.c; the analogue of
 * net/ipv4/tcp.c.
 *
 * A small TCP.  Every byte still travels as a frame through toy0; the
 * toy_stream*.c files add what makes a byte stream out of frames that may
 * be lost: sequence numbers, acknowledgments, retransmission, a receive
 * window, and connection set-up and tear-down.  SOCK_SEQPACKET is the
 * same machinery with one record per segment, so message boundaries
 * survive.  They are cut the way TCP's files are, by context:
 *
 *   (this file)          the connection's life: create, connect, shutdown,
 *                        close, the state changes, the SOL_TOY options;
 *                        struct proto
 *   toy_stream_data.c    the data calls: sendmsg, recvmsg, poll
 *   toy_stream_listen.c  listen(), accept(), the SYN cookie
 *   toy_stream_input.c   segments in: the state machine, receive queues
 *   toy_stream_ack.c     acknowledgments in: what the sender learns
 *   toy_stream_output.c  segments out: the write queue, retransmission
 *   toy_stream_delack.c  acknowledgments out: at once or delayed
 *   toy_stream_timer.c   the retransmission timer, TIME_WAIT
 *   toy_stream_mem.c     memory accounting: the pool, pressure, orphans
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
 * How a segment leaves:
 *
 *   toy_stream_sendmsg()    toy_stream_data.c: copy user bytes into segments
 *                           on sk_write_queue (toy_stream_queue())
 *   toy_stream_push()       toy_stream_output.c: send what the peer's
 *                           window (and Nagle) allows: a clone
 *                           goes down, the original stays queued
 *   toy_xmit()              toy_proto.c: header, toy0 or a link
 *   toy_stream_rcv_ack()    toy_stream_ack.c: free it once acknowledged
 *
 * How a segment enters:
 *
 *   toy_rcv()               toy_proto.c, softirq: validate, dispatch by type
 *   toy_stream_rcv()        toy_stream_input.c: find the connection (or its
 *                           listener) by port, then run it now or queue it
 *                           to the socket backlog (toy_stream_rcv_or_backlog())
 *   toy_stream_process()    the state machine: toy_stream_rcv_listen(),
 *                           _rcv_syn_sent() or _rcv_synced(), which queues
 *                           payload to sk_receive_queue and acknowledges
 *   toy_stream_recvmsg()    toy_stream_data.c: copy out, free, maybe tell
 *                           the peer the window opened
 *
 * Locking: the socket lock guards all connection state.  The receive
 * path (softirq) and the timer take bh_lock_sock() and, if a process owns
 * the socket, hand frames to the socket backlog, which release_sock()
 * replays through toy_stream_backlog_rcv(); a timer that fires meanwhile
 * is replayed by toy_stream_release_cb().  Lock order: listener before
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
#include <linux/uaccess.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"
#include "toy_trace.h"

/* ---- state changes ----------------------------------------------------- */

/**
 * toy_stream_set_state() - move a connection to @state (TCP's numbers)
 * @sk: the socket, locked
 * @state: the new state
 *
 * Every change of a stream's state comes here, but LISTEN and SYN_SENT,
 * which toy_port.c sets under the table lock with the port; both fire
 * af_toy:toy_set_state, as sock:inet_sock_set_state fires for TCP's.
 */
void toy_stream_set_state(struct sock *sk, int state)
{
	/* A close of a closed socket is no change: no event. */
	if (sk->sk_state == state)
		return;
	trace_toy_set_state(sk, sk->sk_state, state);
	WRITE_ONCE(sk->sk_state, state);
}

/* Stop all activity: the connection is over (CLOSE), and no frame finds
 * it any more.
 */
static void toy_stream_set_closed(struct sock *sk)
{
	toy_stream_set_state(sk, TOY_CLOSE);
	toy_port_unhash(sk);
	toy_stream_stop_timer(sk);
	toy_stream_delack_stop(sk);
	toy_stream_purge_write_queue(sk);
	__skb_queue_purge(&toy_st(sk)->ofo_queue);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
}

/**
 * toy_stream_destroy() - free an orphan's last resources and its reference
 * @sk: a socket its user has closed (or never had: an unaccepted child),
 *	locked, in CLOSE or about to be
 *
 * Takes it off its port and the socket list and drops the reference the
 * user (or the accept queue) handed over; a caller that still uses @sk
 * must hold a reference of its own.
 */
void toy_stream_destroy(struct sock *sk)
{
	toy_port_unbind(sk);
	toy_stream_set_closed(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	toy_stream_orphan(sk, false);
	toy_sock_unlink(sk);
	sock_put(sk);
}

/**
 * toy_stream_done() - the connection ended
 * @sk: the socket, locked, with a reference held by the caller
 *
 * Called on a reset, a timeout, the last ACK, or the end of TIME_WAIT.  A
 * socket the user still holds stays, in CLOSE, until close(); an orphan
 * is destroyed.
 */
void toy_stream_done(struct sock *sk)
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

/**
 * toy_stream_fail() - the connection failed
 * @sk: the socket, locked, with a reference held by the caller
 * @err: what the user is told: ECONNRESET, ECONNREFUSED, ETIMEDOUT, EPIPE
 */
void toy_stream_fail(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, err);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
	toy_stream_done(sk);
}

/* ---- the socket calls -------------------------------------------------- */

/**
 * toy_stream_init_sock() - connection state of a new stream socket (.init)
 * @sk: the socket, fresh from sk_alloc() and toy_sock_init()
 *
 * Return: 0.
 */
static int toy_stream_init_sock(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	toy_stream_timer_init(sk);
	toy_stream_delack_init(sk);
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
	return 0;
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
static int toy_stream_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_toy *sa = (const struct sockaddr_toy *)uaddr;
	__be32 daddr = toy_resolve(sa->stoy_addr);
	struct toy_stream_sock *st = toy_st(sk);
	u32 isn;
	int err;

	if (daddr == htonl(TOY_ADDR_BROADCAST))
		return -ENETUNREACH;
	err = toy_route(sk, daddr, NULL);
	if (err)
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
	WRITE_ONCE(st->snd_nxt, isn + 1);	/* the SYN takes one */
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
	TOY_SK_INC_STATS(sk, TOY_MIB_ACTIVEOPENS);
	toy_stream_send_ctl(sk, TOY_F_SYN, isn);
	toy_stream_arm(sk, st->rto);
	return 0;
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
static int toy_stream_disconnect(struct sock *sk, int flags)
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
	WRITE_ONCE(st->snd_nxt, st->write_seq);
	st->rcv_mss = 0;	/* the next connection's segments set it anew */
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	WRITE_ONCE(ts->daddr, 0);
	WRITE_ONCE(ts->dport, 0);
	sk_error_report(sk);
	return 0;
}

/**
 * toy_stream_shutdown() - shut down sending (struct proto .shutdown)
 * @sk: the socket, locked by the caller, sk_shutdown already updated
 * @how: RCV_SHUTDOWN and/or SEND_SHUTDOWN
 *
 * Sending side: the FIN goes out behind the queued data.
 */
static void toy_stream_shutdown(struct sock *sk, int how)
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
 * toy_stream_close() - the user's last close (struct proto .close)
 * @sk: the socket
 * @timeout: linger time (not supported: close never waits)
 *
 * Unread data means the peer's bytes are lost: reset, as TCP does.
 * Otherwise a FIN goes out, and the orphaned socket finishes the close on
 * its own.  A listener resets the connections nobody accepted.
 */
static void toy_stream_close(struct sock *sk, long timeout)
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
		toy_stream_orphan(sk, true);
		toy_stream_rearm(sk, false);
	}
	release_sock(sk);
	sock_put(sk);
}

/**
 * toy_stream_setsockopt() - set a SOL_TOY option (struct proto .setsockopt)
 * @sk: the socket
 * @level: SOL_TOY; any other is refused as ip_setsockopt() refuses it
 * @optname: TOY_NODELAY or TOY_QUICKACK
 * @optval: an int
 * @optlen: its length
 *
 * TOY_NODELAY is TCP_NODELAY: switching it on sends what Nagle held back.
 * TOY_QUICKACK is TCP_QUICKACK, but lasting: switching it on sends a
 * delayed ACK at once, and every later one too.
 *
 * Return: 0; -ENOPROTOOPT for another level or an unknown option, -EINVAL
 * for a value shorter than an int, -EFAULT.  The errnos of
 * do_tcp_setsockopt().
 */
static int toy_stream_setsockopt(struct sock *sk, int level, int optname,
				 sockptr_t optval, unsigned int optlen)
{
	struct toy_stream_sock *st = toy_st(sk);
	int val;

	if (level != SOL_TOY)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (optname != TOY_NODELAY && optname != TOY_QUICKACK)
		return -ENOPROTOOPT;

	lock_sock(sk);
	if (optname == TOY_QUICKACK) {
		WRITE_ONCE(st->quickack, !!val);
		if (val && st->ack_pending)
			toy_stream_send_ack(sk);
	} else {
		WRITE_ONCE(st->nodelay, !!val);
		if (val && st->send_head)
			toy_stream_push_how(sk, TOY_PUSH_NOW);
	}
	release_sock(sk);
	return 0;
}

/**
 * toy_stream_getsockopt() - read a SOL_TOY option (struct proto .getsockopt)
 * @sk: the socket
 * @level: SOL_TOY; any other is refused as ip_getsockopt() refuses it
 * @optname: TOY_NODELAY or TOY_QUICKACK
 * @optval: where the int goes
 * @optlen: in: room at @optval; out: bytes written
 *
 * Return: 0; -EOPNOTSUPP for another level, -ENOPROTOOPT for an unknown
 * option, -EFAULT.  As do_tcp_getsockopt(), a length is cut to an int's.
 */
static int toy_stream_getsockopt(struct sock *sk, int level, int optname,
				 char __user *optval, int __user *optlen)
{
	int val, len;

	if (level != SOL_TOY)
		return -EOPNOTSUPP;
	if (get_user(len, optlen))
		return -EFAULT;
	if (optname == TOY_NODELAY)
		val = READ_ONCE(toy_st(sk)->nodelay);
	else if (optname == TOY_QUICKACK)
		val = READ_ONCE(toy_st(sk)->quickack);
	else
		return -ENOPROTOOPT;
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/*
 * Streams' struct proto, as tcp_prot is TCP's.  Stream memory is
 * accounted as TCP's is (toy_stream_mem.c); a stream socket is a
 * struct toy_stream_sock.
 */
struct proto toy_stream_prot = {
	.name		= "TOY-STREAM",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct toy_stream_sock),
	.init		= toy_stream_init_sock,
	.memory_allocated	= &toy_stream_memory_allocated,
	.per_cpu_fw_alloc	= &toy_stream_fw_alloc,
	.memory_pressure	= &toy_stream_memory_pressure,
	.sockets_allocated	= &toy_stream_sockets_allocated,
	.enter_memory_pressure	= toy_stream_enter_memory_pressure,
	.leave_memory_pressure	= toy_stream_leave_memory_pressure,
	.sysctl_mem		= toy_sysctl_mem,
	.sysctl_rmem		= toy_sysctl_rmem,
	.sysctl_wmem		= toy_sysctl_wmem,
	.close		= toy_stream_close,
	.bind		= toy_bind,
	.connect	= toy_stream_connect,
	.disconnect	= toy_stream_disconnect,
	.shutdown	= toy_stream_shutdown,
	.setsockopt	= toy_stream_setsockopt,
	.getsockopt	= toy_stream_getsockopt,
	.sendmsg	= toy_stream_sendmsg,
	.recvmsg	= toy_stream_recvmsg,
	.backlog_rcv	= toy_stream_backlog_rcv,
	.release_cb	= toy_stream_release_cb,
};
