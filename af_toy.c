// SPDX-License-Identifier: GPL-2.0
/*
 * The socket layer of AF_TOY.
 *
 * This file is where system calls arrive.  It owns:
 *   - the address family (struct net_proto_family), which creates sockets;
 *   - the proto_ops tables, one entry per BSD socket call, which check the
 *     user's arguments and hand the work to the protocol through
 *     sk->sk_prot (struct proto: toy_dgram_prot in toy_dgram.c,
 *     toy_stream_prot in toy_stream.c);
 *   - the socket-state side of connect(), accept() and shutdown() for
 *     streams (SS_*), as af_inet.c has it for TCP;
 *   - module init and exit, which bring the layers up and down in order.
 *
 * It never touches a port table, an sk_buff or a device: that is what the
 * layers below are for.  Layer: the top (see include/af_toy.h).
 *
 * References: a socket holds a reference on this module twice over, via
 * proto_ops.owner and proto.owner, so rmmod is refused while any AF_TOY
 * socket exists.  Sockets are freed after an RCU grace period
 * (SOCK_RCU_FREE) because the receive path finds them under RCU.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/net.h>
#include <linux/sockios.h>
#include <linux/termios.h>
#include <linux/string.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_trace.h"

int toy_family = AF_TOY;
module_param_named(family, toy_family, int, 0444);
MODULE_PARM_DESC(family, "address family number to register (default "
		 __stringify(AF_TOY) ")");
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_family);

/**
 * toy_check_sockaddr() - validate a user-supplied struct sockaddr_toy
 * @uaddr: the address, already copied into the kernel
 * @addr_len: its length as the user gave it
 *
 * The errnos are the ones inet gives for the same mistakes: a short
 * address is EINVAL, a foreign family EAFNOSUPPORT.  Unlike sin_zero, the
 * padding must be zero so that it can carry meaning in a later version.
 *
 * Return: 0 if the address can be used, else a negative errno.
 */
static int toy_check_sockaddr(const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_toy *sa = (const struct sockaddr_toy *)uaddr;

	if (addr_len < (int)sizeof(*sa))
		return -EINVAL;
	if (sa->stoy_family != toy_family)
		return -EAFNOSUPPORT;
	if (memchr_inv(sa->stoy_zero, 0, sizeof(sa->stoy_zero)))
		return -EINVAL;
	return 0;
}

/* connect(AF_UNSPEC): the user asks to dissolve the association. */
static bool toy_is_unspec(const struct sockaddr *uaddr, int addr_len)
{
	return addr_len >= (int)sizeof(uaddr->sa_family) &&
	       uaddr->sa_family == AF_UNSPEC;
}

/* SHUT_RD/WR/RDWR (0/1/2) as RCV/SEND/SHUTDOWN_MASK (1/2/3), or -EINVAL. */
static int toy_shutdown_how(int how)
{
	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;
	return how;
}

static int toy_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	sk->sk_prot->close(sk, 0);
	sock->sk = NULL;
	return 0;
}

static int toy_sock_bind(struct socket *sock, struct sockaddr *uaddr,
			 int addr_len)
{
	struct sock *sk = sock->sk;
	int err;

	err = toy_check_sockaddr(uaddr, addr_len);
	if (err)
		return err;
	return sk->sk_prot->bind(sk, uaddr, addr_len);
}

static int toy_dgram_sock_connect(struct socket *sock, struct sockaddr *uaddr,
				  int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	int err;

	/* connect(AF_UNSPEC) dissolves the association, as for UDP. */
	if (toy_is_unspec(uaddr, addr_len))
		return sk->sk_prot->disconnect(sk, flags);

	err = toy_check_sockaddr(uaddr, addr_len);
	if (err)
		return err;
	return sk->sk_prot->connect(sk, uaddr, addr_len);
}

/* getsockname() and getpeername(), as inet_getname(). */
static int toy_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_toy *sa = (struct sockaddr_toy *)uaddr;
	const struct toy_sock *ts = toy_sk(sock->sk);
	int state = READ_ONCE(sock->sk->sk_state);

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

static int toy_dgram_ioctl(struct socket *sock, unsigned int cmd,
			   unsigned long arg)
{
	struct sock *sk = sock->sk;
	int amount;

	switch (cmd) {
	case SIOCOUTQ:
		amount = sk_wmem_alloc_get(sk);
		break;
	case SIOCINQ:
		amount = toy_dgram_inq(sk);
		break;
	default:
		/* Lets the core handle device ioctls such as SIOCGIFFLAGS. */
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}

static int toy_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how = toy_shutdown_how(how);
	if (how < 0)
		return how;

	lock_sock(sk);
	/*
	 * As inet_shutdown(): an unconnected socket reports ENOTCONN but the
	 * flags are still set, so a reader blocked in recv() is released.
	 */
	if (sk->sk_state != TOY_ESTABLISHED)
		err = -ENOTCONN;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/*
 * A datagram socket has no options of its own: every level but SOL_SOCKET
 * (which the core handles before calling us) is unknown, SOL_TOY too, as
 * IPPROTO_TCP is to a UDP socket.  The errnos are UDP's for an unknown
 * level: ip_setsockopt() says ENOPROTOOPT, ip_getsockopt() EOPNOTSUPP.
 * Streams have SOL_TOY (toy_stream_setsockopt()).
 */
static int toy_setsockopt(struct socket *sock, int level, int optname,
			  sockptr_t optval, unsigned int optlen)
{
	return -ENOPROTOOPT;
}

static int toy_getsockopt(struct socket *sock, int level, int optname,
			  char __user *optval, int __user *optlen)
{
	return -EOPNOTSUPP;
}

static int toy_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
	struct sock *sk = sock->sk;
	int err;

	if (msg->msg_name) {
		err = toy_check_sockaddr(msg->msg_name, msg->msg_namelen);
		if (err)
			return err;
	}
	trace_toy_sendmsg(sk, len);
	return sk->sk_prot->sendmsg(sk, msg, len);
}

static int toy_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
		       int flags)
{
	struct sock *sk = sock->sk;
	int addr_len = 0;
	int err;

	err = sk->sk_prot->recvmsg(sk, msg, len, flags, &addr_len);
	if (err >= 0)
		msg->msg_namelen = addr_len;
	return err;
}

/*
 * proto_ops.family is informational (only scm.c reads it, to spot PF_UNIX);
 * the number actually registered is toy_family.
 */
static const struct proto_ops toy_dgram_ops = {
	.family		= PF_TOY,
	.owner		= THIS_MODULE,
	.release	= toy_release,
	.bind		= toy_sock_bind,
	.connect	= toy_dgram_sock_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= toy_getname,
	.poll		= datagram_poll,
	.ioctl		= toy_dgram_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= sock_no_listen,
	.shutdown	= toy_shutdown,
	.setsockopt	= toy_setsockopt,
	.getsockopt	= toy_getsockopt,
	.sendmsg	= toy_sendmsg,
	.recvmsg	= toy_recvmsg,
	.mmap		= sock_no_mmap,
};

/* ---- connection-oriented sockets (SOCK_STREAM, SOCK_SEQPACKET) ------- */

/*
 * As inet_stream_connect(): the socket's state (SS_*) says what the user
 * has asked for, the sock's state (TOY_*) what the protocol has achieved.
 */
static int toy_stream_sock_connect(struct socket *sock, struct sockaddr *uaddr,
				   int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	long timeo;
	int err;

	if (toy_is_unspec(uaddr, addr_len)) {
		lock_sock(sk);
		err = sk->sk_prot->disconnect(sk, flags);
		/* Wakes anyone sleeping in sk_wait_event() with -EPIPE. */
		sk->sk_disconnects++;
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		release_sock(sk);
		return err;
	}
	err = toy_check_sockaddr(uaddr, addr_len);
	if (err)
		return err;

	lock_sock(sk);
	switch (sock->state) {
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		break;
	case SS_UNCONNECTED:
		err = -EISCONN;
		if (sk->sk_state != TOY_CLOSE)
			goto out;
		err = sk->sk_prot->connect(sk, uaddr, addr_len);
		if (err < 0)
			goto out;
		sock->state = SS_CONNECTING;
		err = -EINPROGRESS;
		break;
	default:
		err = -EINVAL;
		goto out;
	}

	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if (sk->sk_state == TOY_SYN_SENT) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);

		if (!timeo)
			goto out;	/* EINPROGRESS or EALREADY */
		add_wait_queue(sk_sleep(sk), &wait);
		while (sk->sk_state == TOY_SYN_SENT && timeo &&
		       !signal_pending(current))
			sk_wait_event(sk, &timeo,
				      sk->sk_state != TOY_SYN_SENT, &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
		if (sk->sk_state == TOY_SYN_SENT) {
			/* SO_SNDTIMEO ran out: the handshake goes on, as
			 * inet_stream_connect() reports it.
			 */
			err = timeo ? sock_intr_errno(timeo) : -EINPROGRESS;
			goto out;
		}
	}
	if (sk->sk_state == TOY_CLOSE) {
		/* Refused, reset or timed out: say why, and be ready again. */
		err = sock_error(sk) ? : -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		sk->sk_disconnects++;
		if (sk->sk_prot->disconnect(sk, flags))
			sock->state = SS_DISCONNECTING;
		goto out;
	}
	sock->state = SS_CONNECTED;
	err = 0;
out:
	release_sock(sk);
	return err;
}

static int toy_stream_sock_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state == SS_UNCONNECTED)
		err = toy_stream_listen(sk, backlog);
	release_sock(sk);
	return err;
}

static int toy_stream_do_accept(struct socket *sock, struct socket *newsock,
				int flags)
{
	struct sock *child;
	int err;

	child = toy_stream_accept(sock->sk, flags, &err);
	if (!child)
		return err;
	lock_sock(child);
	sock_graft(child, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(child);
	return 0;
}

#ifdef TOY_HAVE_PROTO_ACCEPT_ARG
static int toy_stream_sock_accept(struct socket *sock, struct socket *newsock,
				  struct proto_accept_arg *arg)
{
	return toy_stream_do_accept(sock, newsock, arg->flags);
}
#else
static int toy_stream_sock_accept(struct socket *sock, struct socket *newsock,
				  int flags, bool kern)
{
	return toy_stream_do_accept(sock, newsock, flags);
}
#endif

/* As inet_shutdown(), including its ENOTCONN for an unconnected socket. */
static int toy_stream_sock_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how = toy_shutdown_how(how);
	if (how < 0)
		return how;

	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if (sk->sk_state == TOY_SYN_SENT || sk->sk_state == TOY_CLOSE)
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	switch (sk->sk_state) {
	case TOY_CLOSE:
		err = -ENOTCONN;
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		break;
	case TOY_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		fallthrough;
	case TOY_SYN_SENT:
		err = sk->sk_prot->disconnect(sk, O_NONBLOCK);
		sk->sk_disconnects++;
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		break;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		sk->sk_prot->shutdown(sk, how);
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

static int toy_stream_ioctl(struct socket *sock, unsigned int cmd,
			    unsigned long arg)
{
	struct sock *sk = sock->sk;
	int amount;

	switch (cmd) {
	case SIOCINQ:
		if (READ_ONCE(sk->sk_state) == TOY_LISTEN)
			return -EINVAL;
		amount = toy_stream_inq(sk);
		break;
	case SIOCOUTQ:
		if (READ_ONCE(sk->sk_state) == TOY_LISTEN)
			return -EINVAL;
		amount = toy_stream_outq(sk);
		break;
	case SIOCOUTQNSD:
		if (READ_ONCE(sk->sk_state) == TOY_LISTEN)
			return -EINVAL;
		amount = toy_stream_outq_unsent(sk);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(amount, (int __user *)arg);
}

/* A connected stream ignores msg_name, as TCP does. */
static int toy_stream_sock_sendmsg(struct socket *sock, struct msghdr *msg,
				   size_t len)
{
	struct sock *sk = sock->sk;

	trace_toy_sendmsg(sk, len);
	return sk->sk_prot->sendmsg(sk, msg, len);
}

static const struct proto_ops toy_stream_ops = {
	.family		= PF_TOY,
	.owner		= THIS_MODULE,
	.release	= toy_release,
	.bind		= toy_sock_bind,
	.connect	= toy_stream_sock_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= toy_stream_sock_accept,
	.getname	= toy_getname,
	.poll		= toy_stream_poll,
	.ioctl		= toy_stream_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= toy_stream_sock_listen,
	.shutdown	= toy_stream_sock_shutdown,
	.setsockopt	= sock_common_setsockopt,	/* toy_stream_prot's */
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= toy_stream_sock_sendmsg,
	.recvmsg	= toy_recvmsg,
	.mmap		= sock_no_mmap,
};

static int toy_create(struct net *net, struct socket *sock, int protocol,
		      int kern)
{
	const struct proto_ops *ops;
	struct proto *prot;
	struct sock *sk;
	int err;

	switch (sock->type) {
	case SOCK_DGRAM:
		ops = &toy_dgram_ops;
		prot = &toy_dgram_prot;
		break;
	case SOCK_STREAM:
	case SOCK_SEQPACKET:
		ops = &toy_stream_ops;
		prot = &toy_stream_prot;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	if (protocol)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, toy_family, GFP_KERNEL, prot, kern);
	if (!sk)
		return -ENOBUFS;

	sock->ops = ops;
	sock->state = SS_UNCONNECTED;
	sock_init_data(sock, sk);
	sk->sk_protocol = protocol;
	toy_sock_init(sk);
	if (!sk->sk_prot->init)
		return 0;
	err = sk->sk_prot->init(sk);
	if (err) {
		/* As inet_create(): undo it through the normal last close. */
		sk->sk_prot->close(sk, 0);
		sock->sk = NULL;
	}
	return err;
}

/* Not const: .family is filled in at load time from the module parameter. */
static struct net_proto_family toy_family_ops = {
	.create	= toy_create,
	.owner	= THIS_MODULE,
};

/*
 * Bring-up order: the stream memory pool, the protocols' slabs, then
 * per-namespace state, each file's part in turn (toy_proto.c: counters,
 * socket list, toy0; toy_port.c: port tables; toy_proc.c: /proc and
 * sysctl), then the receive handler, and last the family, so no socket
 * can exist before everything it needs.  Exit is the exact reverse.
 */
static int __init af_toy_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct sockaddr_toy) != 16);
	BUILD_BUG_ON(sizeof(struct toyhdr) != TOY_HDR_LEN);
	/* TOY_SKB_CB() lives in the 48 bytes of skb->cb. */
	BUILD_BUG_ON(sizeof(struct toy_skb_cb) >
		     sizeof_field(struct sk_buff, cb));

	if (toy_family <= AF_UNSPEC || toy_family >= NPROTO) {
		pr_err("family=%d is out of range (1..%d)\n", toy_family,
		       NPROTO - 1);
		return -EINVAL;
	}
	toy_family_ops.family = toy_family;
	err = toy_stream_mem_init();
	if (err)
		goto out;

	err = proto_register(&toy_dgram_prot, 1);
	if (err)
		goto out_mem;
	err = proto_register(&toy_stream_prot, 1);
	if (err)
		goto out_dgram;
	/* The protocol state is a pernet subsystem, toy0 a pernet device:
	 * see toy_proto.c for why the order matters.
	 */
	err = register_pernet_subsys(&toy_net_ops);
	if (err)
		goto out_stream;
	err = register_pernet_subsys(&toy_port_net_ops);
	if (err)
		goto out_net;
	err = register_pernet_subsys(&toy_proc_net_ops);
	if (err)
		goto out_port;
	err = register_pernet_device(&toy_loopback_net_ops);
	if (err)
		goto out_proc;
	err = register_netdevice_notifier(&toy_netdev_notifier);
	if (err)
		goto out_loopback;
	dev_add_pack(&toy_packet_type);
	err = toy_link_register();
	if (err)
		goto out_pack;
	err = sock_register(&toy_family_ops);
	if (err) {
		pr_err("cannot register address family %d (%d): %s; load with family=<free slot>\n",
		       toy_family, err,
		       err == -EEXIST ? "another family already uses it" :
		       "unexpected error");
		goto out_link;
	}
	return 0;

out_link:
	toy_link_unregister();
out_pack:
	dev_remove_pack(&toy_packet_type);
	unregister_netdevice_notifier(&toy_netdev_notifier);
out_loopback:
	unregister_pernet_device(&toy_loopback_net_ops);
out_proc:
	unregister_pernet_subsys(&toy_proc_net_ops);
out_port:
	unregister_pernet_subsys(&toy_port_net_ops);
out_net:
	unregister_pernet_subsys(&toy_net_ops);
out_stream:
	proto_unregister(&toy_stream_prot);
out_dgram:
	proto_unregister(&toy_dgram_prot);
out_mem:
	toy_stream_mem_exit();
out:
	return err;
}

static void __exit af_toy_exit(void)
{
	sock_unregister(toy_family);
	/* Deletes every toy link, in every namespace. */
	toy_link_unregister();
	dev_remove_pack(&toy_packet_type);
	unregister_netdevice_notifier(&toy_netdev_notifier);
	unregister_pernet_device(&toy_loopback_net_ops);
	unregister_pernet_subsys(&toy_proc_net_ops);
	unregister_pernet_subsys(&toy_port_net_ops);
	unregister_pernet_subsys(&toy_net_ops);
	/* Sockets are freed by RCU callbacks that run our sk_destruct. */
	rcu_barrier();
	proto_unregister(&toy_stream_prot);
	proto_unregister(&toy_dgram_prot);
	toy_stream_mem_exit();
}

module_init(af_toy_init);
module_exit(af_toy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("AF_TOY: a teaching socket address family");
MODULE_ALIAS_NETPROTO(AF_TOY);
MODULE_ALIAS_RTNL_LINK("toy");
