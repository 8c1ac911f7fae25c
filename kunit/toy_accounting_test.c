// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_accounting": socket memory accounting (toy_skb.c,
 * toy_dgram.c), through kernel sockets sending over toy0.
 *
 * A sender's charge (sk_wmem_alloc) ends when toy0 transmits the frame; a
 * receiver is charged (sk_rmem_alloc) exactly the truesize of what it has
 * queued, and nothing once it has read, peeked past, truncated or closed
 * it.  Datagram sizes go from empty to the largest (paged) one.
 */

#include "toy_kunit.h"

#define PORT(n)		(TOY_KUNIT_ACCT_PORT + (n))
#define LO		TOY_ADDR_LOOPBACK

/* The idle value of sk_wmem_alloc: sk_alloc() sets it to one. */
#define TOY_WMEM_IDLE	1

static unsigned int toy_acct_wmem(const struct socket *sock)
{
	return refcount_read(&sock->sk->sk_wmem_alloc);
}

static int toy_acct_rmem(const struct socket *sock)
{
	return atomic_read(&sock->sk->sk_rmem_alloc);
}

/* The sum of the truesize of every queued frame. */
static unsigned int toy_acct_queued_truesize(struct sock *sk)
{
	unsigned int sum = 0;
	struct sk_buff *skb;

	spin_lock_bh(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb)
		sum += skb->truesize;
	spin_unlock_bh(&sk->sk_receive_queue.lock);
	return sum;
}

struct toy_acct_case {
	unsigned int size;	/* payload bytes per datagram */
	unsigned int count;	/* datagrams queued at once */
};

static const struct toy_acct_case toy_acct_cases[] = {
	{ 0, 8 },
	{ 1, 8 },
	{ 100, 8 },
	{ 3000, 8 },
	{ 20000, 4 },		/* beyond SKB_MAX_ALLOC: paged */
	{ TOY_MAX_PAYLOAD, 2 },	/* the largest datagram */
};

static void toy_acct_case_desc(const struct toy_acct_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u x %u bytes", c->count,
		 c->size);
}

KUNIT_ARRAY_PARAM(toy_acct, toy_acct_cases, toy_acct_case_desc);

/*
 * Send a batch, check the charges while it is queued, read it back
 * (contents, order, source) and check that every charge is gone.
 */
static void toy_acct_send_receive(struct kunit *test)
{
	const struct toy_acct_case *c = test->param_value;
	struct toy_kunit_mib before, delta = {};
	struct toy_net *tn = toy_kunit_tn();
	struct socket *tx = toy_kunit_socket(test);
	struct socket *rx = toy_kunit_socket(test);
	struct sockaddr_toy from;
	u8 *out, *in;
	unsigned int i;

	out = kunit_kmalloc(test, c->size + 1, GFP_KERNEL);
	in = kunit_kmalloc(test, c->size + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_ASSERT_NOT_NULL(test, in);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, LO, PORT(1)), 0);
	KUNIT_EXPECT_EQ(test, toy_acct_wmem(tx), TOY_WMEM_IDLE);
	KUNIT_EXPECT_EQ(test, toy_acct_rmem(rx), 0);

	toy_kunit_mib_read(tn, &before);
	for (i = 0; i < c->count; i++) {
		toy_kunit_fill(out, c->size, i);
		KUNIT_ASSERT_EQ(test, toy_kunit_send(tx, LO, PORT(1), out,
						     c->size), (int)c->size);
		/* toy0 orphans the frame when it transmits it. */
		KUNIT_EXPECT_EQ(test, toy_acct_wmem(tx), TOY_WMEM_IDLE);
	}
	KUNIT_ASSERT_TRUE(test, toy_kunit_wait_queued(rx, c->count));
	delta.v[TOY_MIB_OUTDATAGRAMS] = c->count;
	delta.v[TOY_MIB_INDATAGRAMS] = c->count;
	toy_kunit_expect_mib(test, tn, &before, &delta);

	/* Queued: charged exactly what is queued, at least the payload. */
	KUNIT_EXPECT_GT(test, toy_acct_rmem(rx), 0);
	KUNIT_EXPECT_EQ(test, toy_acct_rmem(rx),
			toy_acct_queued_truesize(rx->sk));
	KUNIT_EXPECT_GE(test, toy_acct_rmem(rx), c->count * c->size);

	for (i = 0; i < c->count; i++) {
		KUNIT_ASSERT_EQ(test, toy_kunit_recv(rx, in, c->size + 1, &from,
						     MSG_DONTWAIT),
				(int)c->size);
		toy_kunit_fill(out, c->size, i);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(in, out, c->size), 0,
				    "datagram %u", i);
		KUNIT_EXPECT_EQ(test, ntohs(from.stoy_port),
				toy_kunit_sport(tx));
		KUNIT_EXPECT_EQ(test, from.stoy_addr, htonl(LO));
		KUNIT_EXPECT_EQ(test, toy_acct_rmem(rx),
				toy_acct_queued_truesize(rx->sk));
	}
	KUNIT_EXPECT_EQ(test, toy_acct_rmem(rx), 0);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&rx->sk->sk_receive_queue), 0);
	KUNIT_EXPECT_EQ(test, toy_acct_wmem(tx), TOY_WMEM_IDLE);
	KUNIT_EXPECT_EQ(test, toy_acct_wmem(rx), TOY_WMEM_IDLE);
}

/* One byte over the largest datagram: refused before anything happens. */
static void toy_acct_too_big(struct kunit *test)
{
	struct socket *tx = toy_kunit_socket(test);
	u8 *out;

	out = kunit_kzalloc(test, TOY_MAX_PAYLOAD + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, LO, PORT(2), out,
					     TOY_MAX_PAYLOAD + 1), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, toy_acct_wmem(tx), TOY_WMEM_IDLE);
	KUNIT_EXPECT_EQ(test, toy_kunit_sport(tx), 0);
}

/* A datagram nobody receives still returns the sender's charge. */
static void toy_acct_undeliverable(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *tx = toy_kunit_socket(test);
	struct toy_kunit_mib before;
	unsigned long noports;
	u8 out[500] = {};

	KUNIT_ASSERT_EQ(test, toy_kunit_port_users(tn, PORT(3), NULL, NULL),
			-1);
	toy_kunit_mib_read(tn, &before);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(tx, LO, PORT(3), out,
					     sizeof(out)), (int)sizeof(out));
	KUNIT_EXPECT_EQ(test, toy_acct_wmem(tx), TOY_WMEM_IDLE);
	noports = before.v[TOY_MIB_NOPORTS] + 1;
	KUNIT_EXPECT_EQ(test, toy_kunit_wait_mib(tn, TOY_MIB_NOPORTS, noports),
			noports);
}

/* Closing a socket with datagrams queued frees them (no leak, no WARN). */
static void toy_acct_close_with_queued(struct kunit *test)
{
	struct socket *tx = toy_kunit_socket(test);
	struct socket *rx = toy_kunit_socket(test);
	u8 out[1000] = {};
	int i;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, LO, PORT(4)), 0);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, toy_kunit_send(tx, LO, PORT(4), out,
						     sizeof(out)),
				(int)sizeof(out));
	KUNIT_ASSERT_TRUE(test, toy_kunit_wait_queued(rx, 4));
	KUNIT_EXPECT_GT(test, toy_acct_rmem(rx), 0);
	toy_kunit_close(test, rx);

	/* The port is free again and the sender owes nothing. */
	rx = toy_kunit_socket(test);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(rx, LO, PORT(4)), 0);
	KUNIT_EXPECT_EQ(test, toy_acct_wmem(tx), TOY_WMEM_IDLE);
}

/* MSG_PEEK leaves the charge; a truncated read releases all of it. */
static void toy_acct_peek_and_truncate(struct kunit *test)
{
	struct socket *tx = toy_kunit_socket(test);
	struct socket *rx = toy_kunit_socket(test);
	u8 out[300], in[300];
	struct kvec iov = { .iov_base = in, .iov_len = 10 };
	struct msghdr msg = {};
	int charged;

	toy_kunit_fill(out, sizeof(out), 3);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(rx, LO, PORT(5)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_send(tx, LO, PORT(5), out, sizeof(out)),
			(int)sizeof(out));
	KUNIT_ASSERT_TRUE(test, toy_kunit_wait_queued(rx, 1));
	charged = toy_acct_rmem(rx);
	KUNIT_EXPECT_GT(test, charged, 0);

	KUNIT_EXPECT_EQ(test, toy_kunit_recv(rx, in, sizeof(in), NULL,
					     MSG_PEEK | MSG_DONTWAIT),
			(int)sizeof(out));
	KUNIT_EXPECT_EQ(test, toy_acct_rmem(rx), charged);

	/* 10 of 300 bytes: MSG_TRUNC reported, the rest discarded. */
	KUNIT_EXPECT_EQ(test, kernel_recvmsg(rx, &msg, &iov, 1, 10,
					     MSG_DONTWAIT), 10);
	KUNIT_EXPECT_TRUE(test, msg.msg_flags & MSG_TRUNC);
	KUNIT_EXPECT_EQ(test, memcmp(in, out, 10), 0);
	KUNIT_EXPECT_EQ(test, toy_acct_rmem(rx), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(rx, in, sizeof(in), NULL,
					     MSG_DONTWAIT), -EAGAIN);

	/* With MSG_TRUNC in the flags, the real length is returned. */
	KUNIT_ASSERT_EQ(test, toy_kunit_send(tx, LO, PORT(5), out, sizeof(out)),
			(int)sizeof(out));
	KUNIT_ASSERT_TRUE(test, toy_kunit_wait_queued(rx, 1));
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(rx, in, 10, NULL,
					     MSG_TRUNC | MSG_DONTWAIT),
			(int)sizeof(out));
	KUNIT_EXPECT_EQ(test, toy_acct_rmem(rx), 0);
}

static struct kunit_case toy_accounting_test_cases[] = {
	KUNIT_CASE_PARAM(toy_acct_send_receive, toy_acct_gen_params),
	KUNIT_CASE(toy_acct_too_big),
	KUNIT_CASE(toy_acct_undeliverable),
	KUNIT_CASE(toy_acct_close_with_queued),
	KUNIT_CASE(toy_acct_peek_and_truncate),
	{}
};

static struct kunit_suite toy_accounting_test_suite = {
	.name = "toy_accounting",
	.test_cases = toy_accounting_test_cases,
};

kunit_test_suite(toy_accounting_test_suite);
