// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY streams: the data calls.  Layer: protocol (stream), process
 * context; the data half of net/ipv4/tcp.c (tcp_sendmsg(), tcp_recvmsg(),
 * tcp_poll(), the SIOCINQ/SIOCOUTQ/SIOCOUTQNSD counts).
 *
 * How bytes enter: toy_stream_sendmsg() copies them from the user into
 * segments of at most one frame's payload, or into the last segment while
 * it was never sent (toy_stream_write()), and pushes what the window
 * allows (toy_stream_push(), both in toy_stream_output.c), waiting while the
 * send buffer or the protocol's pool is full.
 *
 * How bytes leave: toy_stream_recvmsg() copies from sk_receive_queue,
 * which toy_stream_input.c fills in order, frees what was read, and
 * tells the peer when the window has opened enough to matter.
 *
 * Locking: both calls hold lock_sock() while they work; segments that
 * arrive meanwhile wait in the socket backlog.  poll() and the queue
 * counts read lockless, with READ_ONCE().
 */

#include <linux/net.h>
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"

/* ---- sending ----------------------------------------------------------- */

/**
 * toy_stream_write_space() - wake writers once there is room to send
 * @sk: the socket (sk->sk_write_space)
 *
 * Called as acknowledgments free the send buffer: the kernel's
 * sk_stream_write_space(), which is not exported to modules.
 */
void toy_stream_write_space(struct sock *sk)
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
 * toy_stream_sendmsg() - queue bytes (or a record) for sending (.sendmsg)
 * @sk: the socket
 * @msg: the data
 * @len: its length
 *
 * Blocks while the send buffer is full, unless MSG_DONTWAIT.  A seqpacket
 * record must fit one segment.  A short last segment may wait for more
 * bytes: while data is in flight (Nagle's algorithm, off with
 * TOY_NODELAY), or, with MSG_MORE, until the next send.  As TCP: EPIPE
 * (with SIGPIPE unless MSG_NOSIGNAL) once sending is shut down or the
 * connection is gone, a pending error first, and a partial count if some
 * bytes were queued.
 *
 * Return: bytes queued, or a negative errno.
 */
int toy_stream_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	enum toy_push last = msg->msg_flags & MSG_MORE ? TOY_PUSH_MORE :
							 TOY_PUSH_NAGLE;
	size_t copied = 0;
	unsigned int mss;
	long timeo;
	int err, n;

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
	mss = toy_stream_mss(sk);
	err = -EMSGSIZE;
	if (!mss || (toy_is_seqpacket(sk) && len > mss))
		goto out_err;

	while (copied < len) {
		err = -EPIPE;
		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
			goto out_err;
		n = 0;
		if (sk_stream_memory_free(sk))
			n = toy_stream_write(sk, msg, len - copied, mss);
		if (n < 0) {
			err = n;
			goto out_err;
		}
		if (!n) {
			/* The send buffer is full, or the protocol's pool or
			 * the page allocator said no: send everything held
			 * back, as TCP does (TCP_NAGLE_PUSH), and wait, then
			 * copy the bytes afterwards.
			 */
			toy_stream_push_how(sk, TOY_PUSH_NOW);
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			err = sk_stream_wait_memory(sk, &timeo);
			if (err)
				goto out_err;
			continue;
		}
		copied += n;
		if (copied == len)
			break;
		/* Full segments go; a short last one waits for the rest of
		 * this call, which the push below decides about.
		 */
		toy_stream_push_how(sk, TOY_PUSH_MORE);
		/* Let acknowledgments that queued up meanwhile in. */
		sk_flush_backlog(sk);
	}
	if (copied)	/* as tcp_sendmsg_locked(): an empty send pushes nothing */
		toy_stream_push_how(sk, last);
	release_sock(sk);
	return copied;

out_err:
	if (copied) {
		toy_stream_push_how(sk, last);
		release_sock(sk);
		return copied;
	}
	err = sk_stream_error(sk, msg->msg_flags, err);
	release_sock(sk);
	return err;
}

/* ---- receiving --------------------------------------------------------- */

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

	if (!(flags & MSG_PEEK)) {
		toy_stream_window_update(sk);
		toy_stream_ack_read(sk);
	}
	ret = copied;
out:
	release_sock(sk);
	return ret;
}

/* ---- readiness and queue sizes ----------------------------------------- */

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
 * toy_stream_outq_unsent() - bytes queued but never sent, for SIOCOUTQNSD
 * @sk: the socket; lockless
 *
 * What Nagle, MSG_MORE or the peer's window holds back.
 *
 * Return: the count.
 */
int toy_stream_outq_unsent(struct sock *sk)
{
	struct toy_stream_sock *st = toy_st(sk);

	/* As TCP: the SYN is not a byte. */
	if (READ_ONCE(sk->sk_state) == TOY_SYN_SENT)
		return 0;
	return READ_ONCE(st->write_seq) - READ_ONCE(st->snd_nxt);
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
