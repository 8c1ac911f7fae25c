// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_stream_listen": opening a connection (toy_stream.c,
 * toy_stream_listen.c).
 *
 * The handshake on both sides (sequence numbers, windows, addresses,
 * counters) and a refused connect(); a listener: its stateless SYN
 * cookies, every kind of frame after a client's SYN, the child that the
 * right final ACK makes for accept(), and a full accept queue.  The peer
 * is played by injected frames and a tap on toy0: the fixture in
 * toy_stream_kunit.c, which all the toy_stream_* suites share.
 *
 * Sides.  The connection tests run on a client (connect() with O_NONBLOCK,
 * the test answers the SYN with SYN+ACK) and on a child accepted from a
 * listener (the test sends the SYN, reads the cookie off the SYN+ACK and
 * completes the handshake).
 *
 * The connection table: sixteen real connections over toy0 on one
 * listener's port, each frame reaching its own.
 *
 * What is expected: the brief of each case, else the rules written in
 * the toy_stream*.c files, else TCP's (RFC 9293).
 */

#include <net/sock.h>

#include "toy_stream_kunit.h"

#define PORT(n)		(TOY_KUNIT_LISTEN_PORT + (n))
#define SELF		PORT(TOY_TEST_SELF)
#define PEER		PORT(TOY_TEST_PEER)
#define PEER2		PORT(3)	/* a second peer */

/* ---- connections, on both sides ----------------------------------------- */

KUNIT_ARRAY_PARAM(toy_sides, toy_sides, toy_side_desc);

/*
 * The handshake: sequence numbers, windows, addresses, counters.  A child
 * has heard its client (the handshake's last ACK), so its timer is idle; a
 * client has only heard the listener, which keeps no state, so its timer
 * runs until the peer speaks (toy_stream_confirm()).
 */
static void toy_stream_open(struct kunit *test)
{
	const enum toy_side *side = test->param_value;
	struct sockaddr_toy peer = {};
	struct toy_kunit_mib delta = {};
	struct toy_conn c;
	struct toy_snap s;

	toy_conn_open(test, &c, 0);
	toy_snap(c.sock, &s);
	KUNIT_EXPECT_EQ(test, s.snd_una, c.isn + 1);
	KUNIT_EXPECT_EQ(test, s.snd_nxt, c.isn + 1);
	KUNIT_EXPECT_EQ(test, s.write_seq, c.isn + 1);
	KUNIT_EXPECT_EQ(test, s.rcv_nxt, PEER_ISN + 1);
	KUNIT_EXPECT_EQ(test, s.copied_seq, PEER_ISN + 1);
	KUNIT_EXPECT_EQ(test, s.snd_wnd, (u32)PEER_WIN * TOY_WINDOW_UNIT);
	/* The window it advertised is the one it enforces. */
	KUNIT_EXPECT_GT(test, c.adv, 0U);
	KUNIT_EXPECT_EQ(test, s.rcv_edge - s.rcv_nxt,
			(u32)c.adv * TOY_WINDOW_UNIT);
	KUNIT_EXPECT_EQ(test, s.timer, *side == TOY_SIDE_CLIENT);
	KUNIT_EXPECT_EQ(test, s.heard, *side == TOY_SIDE_CHILD);
	KUNIT_EXPECT_EQ(test, s.err, 0);
	KUNIT_EXPECT_EQ(test, kernel_getpeername(c.sock,
						 (struct sockaddr *)&peer),
			(int)sizeof(peer));
	KUNIT_EXPECT_EQ(test, ntohs(peer.stoy_port), PEER);
	if (*side == TOY_SIDE_CLIENT)
		delta.v[TOY_MIB_ACTIVEOPENS] = 1;
	else
		delta.v[TOY_MIB_PASSIVEOPENS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &c.mib, &delta);
}

/* SYN_SENT --RST+ACK--> CLOSE: connect() reports ECONNREFUSED. */
static void toy_stream_refused(struct kunit *test)
{
	struct sockaddr_toy sa = toy_kunit_sa(LO, PEER);
	struct toy_conn c;
	struct socket *sock;

	toy_conn_start(test, &c, TOY_SIDE_CLIENT, 0);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c, TOY_F_RST | TOY_F_ACK, 0,
					    c.isn + 1, 0), NET_RX_SUCCESS);
	toy_expect_state(test, c.sock, TOY_CLOSE);
	KUNIT_EXPECT_EQ(test, kernel_connect(c.sock, (struct sockaddr *)&sa,
					     sizeof(sa), O_NONBLOCK),
			-ECONNREFUSED);

	/* The same through the stack: nobody on the port, toy0 says RST. */
	sock = toy_test_socket(test);
	KUNIT_EXPECT_EQ(test, toy_kunit_connect(sock, LO, PORT(4)),
			-ECONNREFUSED);
	toy_expect_state(test, sock, TOY_CLOSE);
}

/* ---- LISTEN ------------------------------------------------------------- */

enum toy_lframe {
	LF_SYN,		/* the same SYN again */
	LF_SYNACK,	/* SYN+ACK */
	LF_ACK,		/* ACK echoing the cookie */
	LF_ACK_BAD,	/* ACK with a wrong cookie */
	LF_DATA,	/* data, echoing the cookie */
	LF_DATA_BAD,	/* data, wrong cookie */
	LF_DATA_LATE,	/* data echoing the cookie, 100 bytes after the first */
	LF_DATA_NOACK,	/* data without the ACK flag */
	LF_FIN,		/* FIN, echoing the cookie */
	LF_FIN_BAD,	/* FIN, wrong cookie */
	LF_ACK_LATE,	/* ACK echoing the cookie, seq 100 after the first */
	LF_RST,		/* RST */
	LF_RST_ACK,	/* RST+ACK echoing the cookie */
	LF_BARE,	/* no flags */
};

/**
 * struct toy_lrow - one frame to a listener
 * @frame: the frame (after a SYN that was answered)
 * @name: description
 * @reply: what the listener (or the new child) answers
 * @child: the state of the child created, or TOY_CLOSE for none
 * @queued: bytes the child has for its reader
 */
struct toy_lrow {
	u8		frame;
	const char	*name;
	u8		reply;
	u8		child;
	u8		queued;
};

/*
 * The cookie covers the client's ISN, so only the segment right after its
 * SYN (seq = ISN + 1) makes a child: a later one would start the stream
 * with a hole.  Anything else is an old connection's, and a pure ACK of
 * that gets RST; one that carries data or FIN is dropped without a word,
 * as it may be a live client whose first segments were lost, and which
 * will resend from its first byte.
 */
static const struct toy_lrow toy_lrows[] = {
	{ LF_SYN, "SYN again -> same SYN+ACK", R_SYNACK, TOY_CLOSE },
	{ LF_SYNACK, "SYN+ACK -> RST", R_RST, TOY_CLOSE },
	{ LF_ACK, "ACK echoing the cookie -> child", R_NONE,
	  TOY_ESTABLISHED },
	{ LF_ACK_BAD, "ACK, wrong cookie -> RST", R_RST, TOY_CLOSE },
	{ LF_DATA, "data echoing the cookie -> child with data", R_ACK,
	  TOY_ESTABLISHED, DATA_LEN },
	{ LF_DATA_BAD, "data, wrong cookie -> dropped", R_NONE, TOY_CLOSE },
	{ LF_DATA_LATE, "data after a lost one -> dropped", R_NONE,
	  TOY_CLOSE },
	{ LF_DATA_NOACK, "data without ACK -> RST", R_RST, TOY_CLOSE },
	{ LF_FIN, "FIN echoing the cookie -> child in CLOSE_WAIT", R_ACK,
	  TOY_CLOSE_WAIT },
	{ LF_FIN_BAD, "FIN, wrong cookie -> dropped", R_NONE, TOY_CLOSE },
	{ LF_ACK_LATE, "ACK after a lost one -> RST", R_RST, TOY_CLOSE },
	{ LF_RST, "RST -> ignored", R_NONE, TOY_CLOSE },
	{ LF_RST_ACK, "RST+ACK echoing the cookie -> ignored", R_NONE,
	  TOY_CLOSE },
	{ LF_BARE, "no flags -> RST", R_RST, TOY_CLOSE },
};

static void toy_lrow_desc(const struct toy_lrow *r, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "LISTEN: %s", r->name);
}

KUNIT_ARRAY_PARAM(toy_lrows, toy_lrows, toy_lrow_desc);

static struct toy_frm toy_lframe_build(u32 cookie, enum toy_lframe f)
{
	const u32 seq = PEER_ISN + 1;

	switch (f) {
	case LF_SYN:
		return (struct toy_frm){ TOY_F_SYN, PEER_ISN, 0, 0 };
	case LF_SYNACK:
		return (struct toy_frm){ TOY_F_SYN | TOY_F_ACK, PEER_ISN,
					 cookie + 1, 0 };
	case LF_ACK:
		return (struct toy_frm){ TOY_F_ACK, seq, cookie + 1, 0 };
	case LF_ACK_BAD:
		return (struct toy_frm){ TOY_F_ACK, seq, cookie + 2, 0 };
	case LF_DATA:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, seq,
					 cookie + 1, DATA_LEN };
	case LF_DATA_BAD:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, seq, cookie,
					 DATA_LEN };
	case LF_DATA_LATE:
		return (struct toy_frm){ TOY_F_DATA | TOY_F_ACK, seq + DATA_LEN,
					 cookie + 1, DATA_LEN };
	case LF_ACK_LATE:
		return (struct toy_frm){ TOY_F_ACK, seq + DATA_LEN, cookie + 1,
					 0 };
	case LF_DATA_NOACK:
		return (struct toy_frm){ TOY_F_DATA, seq, 0, DATA_LEN };
	case LF_FIN:
		return (struct toy_frm){ TOY_F_FIN | TOY_F_ACK, seq,
					 cookie + 1, 0 };
	case LF_FIN_BAD:
		return (struct toy_frm){ TOY_F_FIN | TOY_F_ACK, seq,
					 cookie + 3, 0 };
	case LF_RST:
		return (struct toy_frm){ TOY_F_RST, seq, 0, 0 };
	case LF_RST_ACK:
		return (struct toy_frm){ TOY_F_RST | TOY_F_ACK, seq,
					 cookie + 1, 0 };
	case LF_BARE:
		return (struct toy_frm){ 0, seq, 0, 0 };
	}
	return (struct toy_frm){};
}

/* Every kind of frame to a listener, after the client's SYN (toy_lrows). */
static void toy_stream_listen_frame(struct kunit *test)
{
	const struct toy_lrow *r = test->param_value;
	struct toy_kunit_mib before, delta = {};
	struct socket *child = NULL;
	struct toy_conn c;
	struct toy_frm f;
	int err;

	toy_listen_start(test, &c, 8);
	c.isn = toy_listen_syn(&c);
	/* A child's first sequence number is the cookie + 1. */
	c.snd_nxt = c.isn + 1;
	f = toy_lframe_build(c.isn, r->frame);

	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_inject(&c, &f), NET_RX_SUCCESS);
	toy_conn_expect_reply(&c, r->reply, &f,
			      r->queued + (r->child == TOY_CLOSE_WAIT));
	toy_expect_state(test, c.listener, TOY_LISTEN);
	if (r->child != TOY_CLOSE)
		delta.v[TOY_MIB_PASSIVEOPENS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	err = toy_test_accept(test, c.listener, &child);
	if (r->child == TOY_CLOSE) {
		KUNIT_EXPECT_EQ(test, err, -EAGAIN);
		return;
	}
	KUNIT_ASSERT_EQ(test, err, 0);
	toy_expect_state(test, child, r->child);
	c.sock = child;
	KUNIT_EXPECT_EQ(test, toy_conn_unread(&c), (unsigned int)r->queued);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			0);
}

/*
 * The handshake through a listener: the ACK echoing the cookie makes a
 * child in ESTABLISHED with the right sequence numbers and addresses, on
 * the accept queue until accept() takes it.
 */
static void toy_stream_listen_accept(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct sockaddr_toy peer = {}, self = {};
	struct socket *child;
	struct toy_conn c;
	struct toy_snap s;
	u32 cookie;

	toy_listen_start(test, &c, 8);
	cookie = toy_listen_syn(&c);
	/* Stateless: the same SYN again gets the same answer. */
	KUNIT_EXPECT_EQ(test, toy_listen_syn(&c), cookie);

	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, PEER_ISN + 1,
					    cookie + 1, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c);
	delta.v[TOY_MIB_PASSIVEOPENS] = 1;
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			1);

	KUNIT_ASSERT_EQ(test, toy_test_accept(test, c.listener, &child), 0);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			0);
	toy_expect_state(test, child, TOY_ESTABLISHED);
	toy_snap(child, &s);
	KUNIT_EXPECT_EQ(test, s.snd_una, cookie + 1);
	KUNIT_EXPECT_EQ(test, s.snd_nxt, cookie + 1);
	KUNIT_EXPECT_EQ(test, s.write_seq, cookie + 1);
	KUNIT_EXPECT_EQ(test, s.rcv_nxt, PEER_ISN + 1);
	KUNIT_EXPECT_EQ(test, s.copied_seq, PEER_ISN + 1);
	KUNIT_EXPECT_EQ(test, s.snd_wnd, (u32)PEER_WIN * TOY_WINDOW_UNIT);
	KUNIT_EXPECT_EQ(test, kernel_getpeername(child, (struct sockaddr *)&peer),
			(int)sizeof(peer));
	KUNIT_EXPECT_EQ(test, ntohs(peer.stoy_port), PEER);
	KUNIT_EXPECT_EQ(test, peer.stoy_addr, htonl(LO));
	KUNIT_EXPECT_EQ(test, kernel_getsockname(child, (struct sockaddr *)&self),
			(int)sizeof(self));
	KUNIT_EXPECT_EQ(test, ntohs(self.stoy_port), SELF);
	KUNIT_EXPECT_EQ(test, self.stoy_addr, htonl(LO));

	/* The listener has nothing more to give. */
	KUNIT_EXPECT_EQ(test, toy_test_accept(test, c.listener, &child),
			-EAGAIN);
	toy_conn_expect_none(&c);
}

/*
 * A full accept queue (backlog 0 allows one) drops SYNs and even a right
 * final ACK without an answer; accept() makes room again.
 */
static void toy_stream_listen_full(struct kunit *test)
{
	struct toy_kunit_mib before, delta = {};
	struct socket *child;
	struct toy_conn c, c2;
	u32 cookie, cookie2;

	toy_listen_start(test, &c, 0);
	toy_test_blackhole(test, PEER2);
	c2 = c;
	c2.peer = PEER2;
	cookie2 = toy_listen_syn(&c2);

	cookie = toy_listen_syn(&c);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c, TOY_F_ACK, PEER_ISN + 1,
					    cookie + 1, 0), NET_RX_SUCCESS);
	KUNIT_ASSERT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			1);

	toy_kunit_mib_read(toy_kunit_tn(), &before);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c2, TOY_F_SYN, PEER_ISN, 0, 0),
			NET_RX_SUCCESS);
	toy_conn_expect_none(&c2);
	KUNIT_EXPECT_EQ(test, toy_conn_send(&c2, TOY_F_ACK, PEER_ISN + 1,
					    cookie2 + 1, 0), NET_RX_SUCCESS);
	toy_conn_expect_none(&c2);
	KUNIT_EXPECT_EQ(test, (int)READ_ONCE(c.listener->sk->sk_ack_backlog),
			1);
	toy_kunit_expect_mib(test, toy_kunit_tn(), &before, &delta);

	/* Room again: the second client gets through. */
	KUNIT_ASSERT_EQ(test, toy_test_accept(test, c.listener, &child), 0);
	toy_expect_state(test, child, TOY_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, toy_listen_syn(&c2), cookie2);
	KUNIT_ASSERT_EQ(test, toy_conn_send(&c2, TOY_F_ACK, PEER_ISN + 1,
					    cookie2 + 1, 0), NET_RX_SUCCESS);
	KUNIT_ASSERT_EQ(test, toy_test_accept(test, c.listener, &child), 0);
	toy_expect_state(test, child, TOY_ESTABLISHED);
}

/* accept() once the handshake is done, within TOY_KUNIT_WAIT. */
static bool toy_conn_table_accept(struct kunit *test, struct socket *listener,
				  struct socket **child)
{
	unsigned long end = jiffies + TOY_KUNIT_WAIT;

	while (toy_test_accept(test, listener, child)) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(100, 200);
	}
	return true;
}

static int toy_conn_table_send(struct socket *sock, u8 byte)
{
	struct kvec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

	return kernel_sendmsg(sock, &msg, &iov, 1, 1);
}

static bool toy_conn_table_wait_closed(struct socket *sock)
{
	unsigned long end = jiffies + TOY_KUNIT_WAIT;

	while (toy_state(sock) != TOY_CLOSE) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(100, 200);
	}
	return true;
}

/*
 * The connection table (toy_port.c): connections share their listener's
 * port, and each frame reaches its own connection by four-tuple, not the
 * listener and not a neighbour.  A connection that ends leaves the table
 * at once, the others stay.
 */
#define TOY_CONNS	16

static void toy_stream_listen_conn_table(struct kunit *test)
{
	struct socket *listener = toy_test_socket(test);
	struct socket *client[TOY_CONNS], *child[TOY_CONNS];
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	u16 port = toy_test_port(test, TOY_TEST_SELF);
	u8 b;
	int i;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(listener, LO, port), 0);
	KUNIT_ASSERT_EQ(test, kernel_listen(listener, TOY_CONNS), 0);
	for (i = 0; i < TOY_CONNS; i++) {
		client[i] = toy_test_socket(test);
		KUNIT_ASSERT_EQ(test, toy_kunit_connect(client[i], LO, port),
				0);
	}
	for (i = 0; i < TOY_CONNS; i++) {
		KUNIT_ASSERT_TRUE(test, toy_conn_table_accept(test, listener,
							      &child[i]));
		KUNIT_EXPECT_TRUE(test, toy_sk(client[i]->sk)->conn_hashed);
		KUNIT_EXPECT_TRUE(test, toy_sk(child[i]->sk)->conn_hashed);
	}
	KUNIT_EXPECT_FALSE(test, toy_sk(listener->sk)->conn_hashed);

	/* Client i sends byte i; each child must get its own client's. */
	for (i = 0; i < TOY_CONNS; i++) {
		b = i;
		KUNIT_ASSERT_EQ(test, toy_conn_table_send(client[i], b), 1);
	}
	for (i = 0; i < TOY_CONNS; i++) {
		KUNIT_ASSERT_TRUE(test, toy_kunit_wait_queued(child[i], 1));
		KUNIT_ASSERT_EQ(test, toy_kunit_recv(child[i], &b, 1, NULL,
						     MSG_DONTWAIT), 1);
		KUNIT_ASSERT_LT(test, (int)b, TOY_CONNS);
		KUNIT_EXPECT_EQ(test, toy_sk(child[i]->sk)->dport,
				toy_sk(client[b]->sk)->sport);
	}
	KUNIT_EXPECT_EQ(test, skb_queue_len(&listener->sk->sk_receive_queue),
			0U);

	/* Client 0 resets its connection: both ends leave the table. */
	KUNIT_ASSERT_EQ(test, kernel_connect(client[0], &unspec,
					     sizeof(unspec), 0), 0);
	KUNIT_EXPECT_FALSE(test, toy_sk(client[0]->sk)->conn_hashed);
	for (i = 0; i < TOY_CONNS; i++) {
		if (toy_sk(child[i]->sk)->dport != toy_sk(client[0]->sk)->sport)
			continue;
		KUNIT_EXPECT_TRUE(test, toy_conn_table_wait_closed(child[i]));
		KUNIT_EXPECT_FALSE(test, toy_sk(child[i]->sk)->conn_hashed);
	}
	for (i = 1; i < TOY_CONNS; i++)
		KUNIT_EXPECT_TRUE(test, toy_sk(client[i]->sk)->conn_hashed);
}

static struct kunit_case toy_stream_listen_test_cases[] = {
	KUNIT_CASE_PARAM(toy_stream_open, toy_sides_gen_params),
	KUNIT_CASE(toy_stream_refused),
	KUNIT_CASE(toy_stream_listen_accept),
	KUNIT_CASE_PARAM(toy_stream_listen_frame, toy_lrows_gen_params),
	KUNIT_CASE(toy_stream_listen_full),
	KUNIT_CASE(toy_stream_listen_conn_table),
	{}
};

static int toy_stream_listen_test_init(struct kunit *test)
{
	return toy_test_init_ports(test, TOY_KUNIT_LISTEN_PORT);
}

static struct kunit_suite toy_stream_listen_test_suite = {
	.name = "toy_stream_listen",
	.init = toy_stream_listen_test_init,
	.test_cases = toy_stream_listen_test_cases,
};

kunit_test_suite(toy_stream_listen_test_suite);
