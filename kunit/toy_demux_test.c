// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_demux": the receive path (toy_rcv() and the datagram
 * demultiplexer in toy_dgram.c).
 *
 * Frames are built with the module's own helpers and handed straight to
 * the packet_type handler, as the core would in softirq.  Checked: which
 * socket gets a frame (bound, connected, exact address over wildcard,
 * broadcast), that every refused frame is freed exactly once and counted
 * in the right /proc/net/toy_snmp counter (and no other), the "port
 * unreachable" reply, and drops when a receive buffer is full.
 */

#include <net/sock.h>

#include "toy_kunit.h"

#define PORT(n)		(TOY_KUNIT_DEMUX_PORT + (n))
#define PEER(n)		(TOY_KUNIT_DEMUX_PORT + 100 + (n))
#define ANY		TOY_ADDR_ANY
#define LO		TOY_ADDR_LOOPBACK

static const char toy_demux_payload[] = "toy demux";

/* A datagram from 127.0.0.1:@sport to 127.0.0.1:@dport. */
static struct sk_buff *toy_demux_frame(struct kunit *test, u16 sport,
				       u16 dport)
{
	struct toy_flow fl = toy_kunit_flow(sport, dport);

	return toy_kunit_frame(test, &fl, toy_demux_payload,
			       sizeof(toy_demux_payload));
}

/* Inject a datagram; Return: the handler's verdict. */
static int toy_demux_send(struct kunit *test, u16 sport, u16 dport)
{
	return toy_kunit_inject(test, toy_demux_frame(test, sport, dport),
				toy_kunit_dev());
}

/* @sock has exactly one datagram queued, from 127.0.0.1:@sport. */
static void toy_demux_expect_one(struct kunit *test, struct socket *sock,
				 u16 sport)
{
	char buf[sizeof(toy_demux_payload) + 8];
	struct sockaddr_toy from;

	KUNIT_EXPECT_EQ(test, toy_kunit_recv(sock, buf, sizeof(buf), &from,
					     MSG_DONTWAIT),
			(int)sizeof(toy_demux_payload));
	KUNIT_EXPECT_STREQ(test, buf, toy_demux_payload);
	KUNIT_EXPECT_EQ(test, ntohs(from.stoy_port), sport);
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(sock, buf, sizeof(buf), NULL,
					     MSG_DONTWAIT), -EAGAIN);
}

static void toy_demux_expect_none(struct kunit *test, struct socket *sock)
{
	char buf[8];

	KUNIT_EXPECT_EQ(test, toy_kunit_recv(sock, buf, sizeof(buf), NULL,
					     MSG_DONTWAIT), -EAGAIN);
}

/* A frame to a bound port is queued on that socket, with its source. */
static const u32 toy_demux_bound_addrs[] = { ANY, LO };

static void toy_demux_addr_desc(const u32 *addr, char *desc)
{
	strscpy(desc, *addr == ANY ? "bound to any" : "bound to loopback",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_demux_bound, toy_demux_bound_addrs, toy_demux_addr_desc);

static void toy_demux_deliver(struct kunit *test)
{
	const u32 *addr = test->param_value;
	struct toy_kunit_mib before, delta = {};
	struct toy_net *tn = toy_kunit_tn();
	struct socket *rx = toy_kunit_socket(test);
	char buf[sizeof(toy_demux_payload) + 8];
	struct sockaddr_toy from = {};
	struct kvec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from) };
	struct sk_buff *skb;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, *addr, PORT(1)), 0);
	skb = toy_demux_frame(test, PEER(1), PORT(1));
	toy_kunit_track_free(skb);
	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_kunit_inject(test, skb, toy_kunit_dev()),
			NET_RX_SUCCESS);
	delta.v[TOY_MIB_INDATAGRAMS] = 1;
	toy_kunit_expect_mib(test, tn, &before, &delta);
	/* Handed over to the socket: orphaned once, not freed. */
	KUNIT_EXPECT_EQ(test, toy_kunit_freed(), 1);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&rx->sk->sk_receive_queue), 1);
	KUNIT_EXPECT_GT(test, atomic_read(&rx->sk->sk_rmem_alloc), 0);

	KUNIT_EXPECT_EQ(test, kernel_recvmsg(rx, &msg, &iov, 1, sizeof(buf),
					     MSG_DONTWAIT),
			(int)sizeof(toy_demux_payload));
	KUNIT_EXPECT_STREQ(test, buf, toy_demux_payload);
	KUNIT_EXPECT_EQ(test, msg.msg_namelen, (int)sizeof(from));
	KUNIT_EXPECT_EQ(test, from.stoy_family, toy_family);
	KUNIT_EXPECT_EQ(test, from.stoy_port, htons(PEER(1)));
	KUNIT_EXPECT_EQ(test, from.stoy_addr, htonl(LO));
	KUNIT_EXPECT_NULL(test, memchr_inv(from.stoy_zero, 0,
					   sizeof(from.stoy_zero)));
	KUNIT_EXPECT_EQ(test, atomic_read(&rx->sk->sk_rmem_alloc), 0);
	toy_demux_expect_none(test, rx);
}

/* Nobody on the port: counted in NoPorts and freed. */
static void toy_demux_no_port(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_net *tn = toy_kunit_tn();
	struct sk_buff *skb;

	KUNIT_ASSERT_EQ(test, toy_kunit_port_users(tn, PORT(2), NULL, NULL),
			-1);
	skb = toy_demux_frame(test, PEER(2), PORT(2));
	toy_kunit_track_free(skb);
	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_kunit_inject(test, skb, toy_kunit_dev()),
			NET_RX_DROP);
	KUNIT_EXPECT_EQ(test, toy_kunit_freed(), 1);
	delta.v[TOY_MIB_NOPORTS] = 1;
	toy_kunit_expect_mib(test, tn, &before, &delta);
}

/* A connected socket only hears its peer. */
static void toy_demux_connected(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_net *tn = toy_kunit_tn();
	struct socket *rx = toy_kunit_socket(test);

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, ANY, PORT(3)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_connect(rx, LO, PEER(3)), 0);

	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_demux_send(test, PEER(4), PORT(3)),
			NET_RX_DROP);
	delta.v[TOY_MIB_NOPORTS] = 1;
	toy_kunit_expect_mib(test, tn, &before, &delta);
	toy_demux_expect_none(test, rx);

	KUNIT_EXPECT_EQ(test, toy_demux_send(test, PEER(3), PORT(3)),
			NET_RX_SUCCESS);
	toy_demux_expect_one(test, rx, PEER(3));
}

/*
 * Several sockets on one port (SO_REUSEADDR): a connected socket beats
 * one bound to the exact address, which beats a wildcard, whatever the
 * order they were bound in.
 */
static const bool toy_demux_orders[] = { false, true };

static void toy_demux_order_desc(const bool *exact_first, char *desc)
{
	strscpy(desc, *exact_first ? "exact bound first" :
		"wildcard bound first", KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_demux_order, toy_demux_orders, toy_demux_order_desc);

static struct sock *toy_demux_lookup(u16 sport, u16 dport)
{
	struct toy_flow fl = toy_kunit_flow(sport, dport);
	struct sock *sk;

	rcu_read_lock();
	sk = toy_dgram_lookup(toy_kunit_tn(), &fl);
	rcu_read_unlock();
	if (sk)
		sock_put(sk);	/* the tests only compare the pointer */
	return sk;
}

static void toy_demux_best_match(struct kunit *test)
{
	const bool *exact_first = test->param_value;
	struct socket *wild, *exact, *conn;

	if (*exact_first) {
		exact = toy_kunit_socket(test);
		wild = toy_kunit_socket(test);
	} else {
		wild = toy_kunit_socket(test);
		exact = toy_kunit_socket(test);
	}
	conn = toy_kunit_socket(test);
	sock_set_reuseaddr(wild->sk);
	sock_set_reuseaddr(exact->sk);
	sock_set_reuseaddr(conn->sk);
	if (*exact_first) {
		KUNIT_ASSERT_EQ(test, toy_kunit_bind(exact, LO, PORT(5)), 0);
		KUNIT_ASSERT_EQ(test, toy_kunit_bind(wild, ANY, PORT(5)), 0);
	} else {
		KUNIT_ASSERT_EQ(test, toy_kunit_bind(wild, ANY, PORT(5)), 0);
		KUNIT_ASSERT_EQ(test, toy_kunit_bind(exact, LO, PORT(5)), 0);
	}

	KUNIT_EXPECT_PTR_EQ(test, toy_demux_lookup(PEER(5), PORT(5)), exact->sk);
	KUNIT_EXPECT_EQ(test, toy_demux_send(test, PEER(5), PORT(5)),
			NET_RX_SUCCESS);
	toy_demux_expect_one(test, exact, PEER(5));
	toy_demux_expect_none(test, wild);

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(conn, ANY, PORT(5)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_connect(conn, LO, PEER(6)), 0);
	KUNIT_EXPECT_PTR_EQ(test, toy_demux_lookup(PEER(6), PORT(5)), conn->sk);
	KUNIT_EXPECT_PTR_EQ(test, toy_demux_lookup(PEER(5), PORT(5)), exact->sk);

	/* Without the exact socket, the wildcard one gets the frame. */
	toy_kunit_close(test, exact);
	KUNIT_EXPECT_PTR_EQ(test, toy_demux_lookup(PEER(5), PORT(5)), wild->sk);
	KUNIT_EXPECT_EQ(test, toy_demux_send(test, PEER(5), PORT(5)),
			NET_RX_SUCCESS);
	toy_demux_expect_one(test, wild, PEER(5));
	toy_demux_expect_none(test, conn);
}

/* toy_dgram_lookup() returns its socket with a reference taken. */
static void toy_demux_lookup_ref(struct kunit *test)
{
	struct toy_flow fl = toy_kunit_flow(PEER(7), PORT(7));
	struct socket *rx = toy_kunit_socket(test);
	struct sock *sk;
	int ref;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, LO, PORT(7)), 0);
	ref = refcount_read(&rx->sk->sk_refcnt);
	rcu_read_lock();
	sk = toy_dgram_lookup(toy_kunit_tn(), &fl);
	rcu_read_unlock();
	KUNIT_ASSERT_PTR_EQ(test, sk, rx->sk);
	KUNIT_EXPECT_EQ(test, refcount_read(&sk->sk_refcnt), ref + 1);
	sock_put(sk);
	KUNIT_EXPECT_EQ(test, refcount_read(&rx->sk->sk_refcnt), ref);

	/* Other port, other type: nothing. */
	fl.dport = htons(PORT(8));
	rcu_read_lock();
	sk = toy_dgram_lookup(toy_kunit_tn(), &fl);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, sk);
	fl.dport = htons(PORT(7));
	fl.type = TOY_TYPE_STREAM;
	rcu_read_lock();
	sk = toy_dgram_lookup(toy_kunit_tn(), &fl);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, sk);
}

/**
 * struct toy_drop_case - a frame the receive path must refuse
 * @name: description
 * @field: header field to change (see toy_kunit_set_field())
 * @value: its new value
 * @fix_csum: recompute the checksum after the change
 * @cut: bytes to cut off the end of the frame
 * @on_lo: "arrives" on the loopback device instead of toy0
 * @otherhost: skb->pkt_type PACKET_OTHERHOST
 * @flags: if non-zero, the header flags as well
 * @counters: the counters that must grow by one (bit per TOY_MIB_*)
 */
struct toy_drop_case {
	const char *name;
	enum toy_kunit_field field;
	u32 value;
	bool fix_csum;
	unsigned int cut;
	bool on_lo;
	bool otherhost;
	u8 flags;
	unsigned int counters;
};

#define MIB(x)		BIT(TOY_MIB_##x)
#define HDR_ERR		(MIB(HDRERRORS) | MIB(INERRORS))
#define ADDR_ERR	(MIB(INADDRERRORS) | MIB(INERRORS))

static const struct toy_drop_case toy_drop_cases[] = {
	{ "version 2", TOY_FIELD_VERSION, 2, true, .counters = HDR_ERR },
	{ "type 7", TOY_FIELD_TYPE, 7, true, .counters = HDR_ERR },
	{ "unknown flag", TOY_FIELD_FLAGS, TOY_F_DATA | 0x40, true,
	  .counters = HDR_ERR },
	{ "reserved set", TOY_FIELD_RESERVED, 1, true, .counters = HDR_ERR },
	{ "truncated header", .cut = sizeof(toy_demux_payload) + 12,
	  .counters = HDR_ERR },
	{ "len beyond the frame", .cut = 1, .counters = HDR_ERR },
	{ "bad checksum", TOY_FIELD_CHECK, 0x0100,
	  .counters = MIB(INCSUMERRORS) | MIB(INERRORS) },
	{ "bad payload byte", TOY_FIELD_PAYLOAD, 0x01,
	  .counters = MIB(INCSUMERRORS) | MIB(INERRORS) },
	{ "SYN on a datagram", TOY_FIELD_FLAGS, TOY_F_SYN, true,
	  .counters = HDR_ERR },
	{ "DATA|ACK on a datagram", TOY_FIELD_FLAGS, TOY_F_DATA | TOY_F_ACK,
	  true, .counters = HDR_ERR },
	{ "no flags", TOY_FIELD_FLAGS, 0, true, .counters = HDR_ERR },
	{ "RST with payload", TOY_FIELD_FLAGS, TOY_F_RST, true,
	  .counters = HDR_ERR },
	{ "source port 0", TOY_FIELD_SPORT, 0, true, .counters = HDR_ERR },
	{ "destination port 0", TOY_FIELD_DPORT, 0, true,
	  .counters = HDR_ERR },
	/* Not for this node (which has no address): InAddrErrors. */
	{ "destination not local", TOY_FIELD_DADDR, 0x0a000001, true,
	  .counters = ADDR_ERR },
	{ "destination 0.0.0.0", TOY_FIELD_DADDR, 0, true,
	  .counters = ADDR_ERR },
	{ "a who-has with a data flag", TOY_FIELD_TYPE, TOY_TYPE_NEIGH, true,
	  .counters = HDR_ERR },
	/* Resets, which are never answered: one frame, one count. */
	{ "stream reset, no stream socket", TOY_FIELD_TYPE, TOY_TYPE_STREAM,
	  true, .flags = TOY_F_RST, .counters = MIB(NOPORTS) },
	{ "seqpacket reset, no socket", TOY_FIELD_TYPE, TOY_TYPE_SEQPACKET,
	  true, .flags = TOY_F_RST, .counters = MIB(NOPORTS) },
	{ "on a non-toy device", .on_lo = true, .counters = 0 },
	{ "for another host", .otherhost = true, .counters = 0 },
};

static void toy_drop_case_desc(const struct toy_drop_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_drop, toy_drop_cases, toy_drop_case_desc);

static void toy_demux_drop(struct kunit *test)
{
	const struct toy_drop_case *c = test->param_value;
	struct toy_kunit_mib before, delta = {};
	struct toy_net *tn = toy_kunit_tn();
	struct socket *rx = toy_kunit_socket(test);
	struct net_device *dev;
	struct sk_buff *skb;
	int i;

	/* A socket that would take the frame if it got through. */
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, ANY, PORT(9)), 0);
	skb = toy_demux_frame(test, PEER(9), PORT(9));
	toy_kunit_set_field(skb, c->field, c->value);
	if (c->flags)
		toy_kunit_set_field(skb, TOY_FIELD_FLAGS, c->flags);
	if (c->fix_csum)
		toy_kunit_fix_csum(skb);
	skb_trim(skb, skb->len - c->cut);
	if (c->otherhost)
		skb->pkt_type = PACKET_OTHERHOST;
	dev = c->on_lo ? init_net.loopback_dev : toy_kunit_dev();
	toy_kunit_track_free(skb);

	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_kunit_inject(test, skb, dev), NET_RX_DROP);
	KUNIT_EXPECT_EQ(test, toy_kunit_freed(), 1);
	for (i = 0; i < TOY_MIB_MAX; i++)
		delta.v[i] = !!(c->counters & BIT(i));
	toy_kunit_expect_mib(test, tn, &before, &delta);
	toy_demux_expect_none(test, rx);
}

/* A broadcast reaches every wildcard socket on the port, not others. */
static void toy_demux_broadcast(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct toy_net *tn = toy_kunit_tn();
	struct socket *a = toy_kunit_socket(test);
	struct socket *b = toy_kunit_socket(test);
	struct socket *lo = toy_kunit_socket(test);
	struct sk_buff *skb;

	sock_set_reuseaddr(a->sk);
	sock_set_reuseaddr(b->sk);
	sock_set_reuseaddr(lo->sk);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(a, ANY, PORT(10)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(b, ANY, PORT(10)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(lo, LO, PORT(10)), 0);

	skb = toy_demux_frame(test, PEER(10), PORT(10));
	toy_kunit_set_field(skb, TOY_FIELD_DADDR, TOY_ADDR_BROADCAST);
	toy_kunit_fix_csum(skb);
	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_kunit_inject(test, skb, toy_kunit_dev()),
			NET_RX_SUCCESS);
	delta.v[TOY_MIB_INDATAGRAMS] = 2;
	toy_kunit_expect_mib(test, tn, &before, &delta);
	toy_demux_expect_one(test, a, PEER(10));
	toy_demux_expect_one(test, b, PEER(10));
	toy_demux_expect_none(test, lo);

	/* To a port with nobody: NoPorts. */
	skb = toy_demux_frame(test, PEER(10), PORT(11));
	toy_kunit_set_field(skb, TOY_FIELD_DADDR, TOY_ADDR_BROADCAST);
	toy_kunit_fix_csum(skb);
	toy_kunit_mib_read(tn, &before);
	toy_kunit_inject(test, skb, toy_kunit_dev());
	memset(&delta, 0, sizeof(delta));
	delta.v[TOY_MIB_NOPORTS] = 1;
	toy_kunit_expect_mib(test, tn, &before, &delta);
}

/* Sending a broadcast needs SO_BROADCAST; wildcard sockets get it. */
static void toy_demux_broadcast_send(struct kunit *test)
{
	struct socket *tx = toy_kunit_socket(test);
	struct socket *rx = toy_kunit_socket(test);
	char buf[sizeof(toy_demux_payload)];
	struct sockaddr_toy from;
	int one = 1;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, ANY, PORT(14)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(tx, ANY, PEER(14)), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, TOY_ADDR_BROADCAST, PORT(14),
					     toy_demux_payload,
					     sizeof(toy_demux_payload)),
			-EACCES);
	KUNIT_ASSERT_EQ(test, sock_setsockopt(tx, SOL_SOCKET, SO_BROADCAST,
					      KERNEL_SOCKPTR(&one),
					      sizeof(one)), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, TOY_ADDR_BROADCAST, PORT(14),
					     toy_demux_payload,
					     sizeof(toy_demux_payload)),
			(int)sizeof(toy_demux_payload));
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(rx, buf, sizeof(buf), &from, 0),
			(int)sizeof(toy_demux_payload));
	KUNIT_EXPECT_EQ(test, ntohs(from.stoy_port), PEER(14));
	KUNIT_EXPECT_EQ(test, from.stoy_addr, htonl(LO));
}

/*
 * A datagram to a port nobody listens on makes the receiver send a
 * "port unreachable" frame back; a connected sender then fails with
 * ECONNREFUSED, as with UDP.  This one goes through the whole stack.
 */
static void toy_demux_unreachable(struct kunit *test)
{
	struct socket *tx = toy_kunit_socket(test);
	struct socket *unconn = toy_kunit_socket(test);
	char buf[8] = "knock";

	KUNIT_ASSERT_EQ(test, toy_kunit_port_users(toy_kunit_tn(), PORT(12),
						   NULL, NULL), -1);
	KUNIT_ASSERT_EQ(test, toy_kunit_connect(tx, LO, PORT(12)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_send(tx, LO, PORT(12), buf,
					     sizeof(buf)), (int)sizeof(buf));
	/* Waits for the reply; sk_err is reported, then cleared. */
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(tx, buf, sizeof(buf), NULL, 0),
			-ECONNREFUSED);
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(tx, buf, sizeof(buf), NULL,
					     MSG_DONTWAIT), -EAGAIN);

	/* An unconnected sender is not told. */
	KUNIT_ASSERT_EQ(test, toy_kunit_send(unconn, LO, PORT(12), buf,
					     sizeof(buf)), (int)sizeof(buf));
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(unconn, buf, sizeof(buf), NULL,
					     MSG_DONTWAIT), -EAGAIN);
	KUNIT_EXPECT_EQ(test, READ_ONCE(unconn->sk->sk_err), 0);
}

/*
 * A full receive buffer drops frames: counted in RcvbufErrors, InErrors
 * and sk_drops, every one freed, and the socket never charged more than
 * its buffer plus the one frame that crossed the limit.
 */
#define TOY_DEMUX_FLOOD	64

static void toy_demux_rcvbuf_full(struct kunit *test)
{
	struct toy_kunit_mib before, after;
	struct toy_net *tn = toy_kunit_tn();
	struct socket *rx = toy_kunit_socket(test);
	unsigned int delivered = 0, dropped = 0, truesize = 0, read = 0;
	char buf[sizeof(toy_demux_payload)];
	struct sock *sk = rx->sk;
	int drops, i, ret;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, LO, PORT(13)), 0);
	lock_sock(sk);
	sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	WRITE_ONCE(sk->sk_rcvbuf, SOCK_MIN_RCVBUF);
	release_sock(sk);
	drops = atomic_read(&sk->sk_drops);

	toy_kunit_mib_read(tn, &before);
	for (i = 0; i < TOY_DEMUX_FLOOD; i++) {
		struct sk_buff *skb = toy_demux_frame(test, PEER(13), PORT(13));

		truesize = max(truesize, skb->truesize);
		toy_kunit_track_free(skb);
		ret = toy_kunit_inject(test, skb, toy_kunit_dev());
		KUNIT_EXPECT_EQ(test, toy_kunit_freed(), 1);
		if (ret == NET_RX_SUCCESS)
			delivered++;
		else
			dropped++;
		KUNIT_EXPECT_LE(test, atomic_read(&sk->sk_rmem_alloc),
				sk->sk_rcvbuf + truesize);
	}
	toy_kunit_mib_read(tn, &after);

	KUNIT_EXPECT_GT(test, delivered, 0);
	KUNIT_EXPECT_GT(test, dropped, 0);
	KUNIT_EXPECT_EQ(test, after.v[TOY_MIB_INDATAGRAMS] -
			before.v[TOY_MIB_INDATAGRAMS], delivered);
	KUNIT_EXPECT_EQ(test, after.v[TOY_MIB_RCVBUFERRORS] -
			before.v[TOY_MIB_RCVBUFERRORS], dropped);
	KUNIT_EXPECT_EQ(test, after.v[TOY_MIB_INERRORS] -
			before.v[TOY_MIB_INERRORS], dropped);
	KUNIT_EXPECT_EQ(test, atomic_read(&sk->sk_drops) - drops, dropped);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&sk->sk_receive_queue), delivered);

	/* Draining the queue returns every byte of the charge. */
	while (toy_kunit_recv(rx, buf, sizeof(buf), NULL, MSG_DONTWAIT) > 0)
		read++;
	KUNIT_EXPECT_EQ(test, read, delivered);
	KUNIT_EXPECT_EQ(test, atomic_read(&sk->sk_rmem_alloc), 0);
}

static struct kunit_case toy_demux_test_cases[] = {
	KUNIT_CASE_PARAM(toy_demux_deliver, toy_demux_bound_gen_params),
	KUNIT_CASE(toy_demux_no_port),
	KUNIT_CASE(toy_demux_connected),
	KUNIT_CASE_PARAM(toy_demux_best_match, toy_demux_order_gen_params),
	KUNIT_CASE(toy_demux_lookup_ref),
	KUNIT_CASE_PARAM(toy_demux_drop, toy_drop_gen_params),
	KUNIT_CASE(toy_demux_broadcast),
	KUNIT_CASE(toy_demux_broadcast_send),
	KUNIT_CASE(toy_demux_unreachable),
	KUNIT_CASE(toy_demux_rcvbuf_full),
	{}
};

static struct kunit_suite toy_demux_test_suite = {
	.name = "toy_demux",
	.test_cases = toy_demux_test_cases,
};

kunit_test_suite(toy_demux_test_suite);
