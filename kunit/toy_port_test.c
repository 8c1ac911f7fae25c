// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_port": the port table (toy_port.c), driven through
 * kernel sockets in init_net and checked against the table itself.
 *
 * Explicit bind conflicts between wildcard and specific addresses with and
 * without SO_REUSEADDR, rebinding, non-local addresses, malformed
 * addresses, privileged ports, ephemeral ports (inside the range, in the xarray, gone after
 * close), exhaustion of a small range (bind: EADDRINUSE, autobind:
 * EAGAIN), autobind on sendmsg/connect and its undoing by disconnect,
 * separate port spaces per socket type, and per-namespace isolation.
 */

#include <linux/capability.h>
#include <linux/cred.h>

#include "toy_kunit.h"

#define PORT(n)		(TOY_KUNIT_PORT_PORT + (n))
#define ANY		TOY_ADDR_ANY
#define LO		TOY_ADDR_LOOPBACK

/* A range nobody else uses: above the default ephemeral range. */
#define TOY_PORT_TINY_LOW	61010
#define TOY_PORT_TINY_HIGH	61012

/**
 * struct toy_bind_case - two sockets binding the same port
 * @name: description
 * @addr1: first socket's address (host order)
 * @reuse1: SO_REUSEADDR on the first socket
 * @addr2: second socket's address
 * @reuse2: SO_REUSEADDR on the second socket
 * @err: what the second bind() must return
 */
struct toy_bind_case {
	const char *name;
	u32 addr1;
	bool reuse1;
	u32 addr2;
	bool reuse2;
	int err;
};

static const struct toy_bind_case toy_bind_cases[] = {
	{ "any then any", ANY, false, ANY, false, -EADDRINUSE },
	{ "any then loopback", ANY, false, LO, false, -EADDRINUSE },
	{ "loopback then any", LO, false, ANY, false, -EADDRINUSE },
	{ "loopback then loopback", LO, false, LO, false, -EADDRINUSE },
	{ "any then any, both reuse", ANY, true, ANY, true, 0 },
	{ "any then loopback, both reuse", ANY, true, LO, true, 0 },
	{ "loopback then loopback, both reuse", LO, true, LO, true, 0 },
	{ "any then any, first reuses", ANY, true, ANY, false, -EADDRINUSE },
	{ "any then any, second reuses", ANY, false, ANY, true, -EADDRINUSE },
	{ "loopback then any, second reuses", LO, false, ANY, true,
	  -EADDRINUSE },
};

static void toy_bind_case_desc(const struct toy_bind_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_bind, toy_bind_cases, toy_bind_case_desc);

static void toy_port_bind_conflict(struct kunit *test)
{
	const struct toy_bind_case *c = test->param_value;
	struct toy_net *tn = toy_kunit_tn();
	struct socket *s1 = toy_kunit_socket(test);
	struct socket *s2 = toy_kunit_socket(test);
	bool found;

	if (c->reuse1)
		sock_set_reuseaddr(s1->sk);
	if (c->reuse2)
		sock_set_reuseaddr(s2->sk);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(s1, c->addr1, PORT(1)), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(s2, c->addr2, PORT(1)), c->err);

	KUNIT_EXPECT_EQ(test, toy_kunit_sport(s1), PORT(1));
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, PORT(1), s2->sk, &found),
			c->err ? 1 : 2);
	KUNIT_EXPECT_EQ(test, found, !c->err);
	if (c->err) {
		/* A failed bind leaves the socket as it was. */
		KUNIT_EXPECT_EQ(test, toy_kunit_sport(s2), 0);
		KUNIT_EXPECT_EQ(test, toy_sk(s2->sk)->rcv_saddr, 0);
	} else {
		KUNIT_EXPECT_EQ(test, toy_kunit_sport(s2), PORT(1));
		KUNIT_EXPECT_EQ(test, toy_sk(s2->sk)->rcv_saddr,
				htonl(c->addr2));
	}
}

/* A bound socket cannot be bound again, to any port. */
static void toy_port_rebind(struct kunit *test)
{
	struct socket *s = toy_kunit_socket(test);

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(s, LO, PORT(2)), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(s, LO, PORT(3)), -EINVAL);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(s, LO, PORT(2)), -EINVAL);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(s, ANY, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, toy_kunit_sport(s), PORT(2));
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(toy_kunit_tn(), PORT(3),
						   NULL, NULL), -1);
}

/* Only TOY_ADDR_ANY and the local address can be bound. */
static const u32 toy_nonlocal_addrs[] = {
	0x7f000002, 0x7f000000, 0x0a000001, 0x00000001,
};

static void toy_nonlocal_desc(const u32 *addr, char *desc)
{
	__be32 a = htonl(*addr);

	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%pI4", &a);
}

KUNIT_ARRAY_PARAM(toy_nonlocal, toy_nonlocal_addrs, toy_nonlocal_desc);

static void toy_port_bind_nonlocal(struct kunit *test)
{
	const u32 *addr = test->param_value;
	struct socket *s = toy_kunit_socket(test);

	KUNIT_EXPECT_EQ(test, toy_kunit_bind(s, *addr, PORT(4)), -EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, toy_kunit_sport(s), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(toy_kunit_tn(), PORT(4),
						   NULL, NULL), -1);
}

/* Malformed addresses get inet's errnos (toy_check_sockaddr()). */
struct toy_sa_case {
	const char *name;
	int len;
	int family;	/* -1: toy_family */
	int zero_byte;	/* -1: padding all zero */
	int err;
};

static const struct toy_sa_case toy_sa_cases[] = {
	{ "valid", sizeof(struct sockaddr_toy), -1, -1, 0 },
	{ "longer than needed", sizeof(struct sockaddr_storage), -1, -1, 0 },
	{ "one byte short", sizeof(struct sockaddr_toy) - 1, -1, -1, -EINVAL },
	{ "family only", sizeof(__kernel_sa_family_t), -1, -1, -EINVAL },
	{ "AF_INET", sizeof(struct sockaddr_toy), AF_INET, -1, -EAFNOSUPPORT },
	{ "AF_UNSPEC", sizeof(struct sockaddr_toy), AF_UNSPEC, -1,
	  -EAFNOSUPPORT },
	{ "padding byte 0 set", sizeof(struct sockaddr_toy), -1, 0, -EINVAL },
	{ "padding byte 7 set", sizeof(struct sockaddr_toy), -1, 7, -EINVAL },
};

static void toy_sa_case_desc(const struct toy_sa_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_sa, toy_sa_cases, toy_sa_case_desc);

static void toy_port_bind_sockaddr(struct kunit *test)
{
	const struct toy_sa_case *c = test->param_value;
	struct socket *s = toy_kunit_socket(test);
	struct sockaddr_storage ss = {};
	struct sockaddr_toy *sa = (struct sockaddr_toy *)&ss;

	*sa = toy_kunit_sa(LO, PORT(5));
	if (c->family >= 0)
		sa->stoy_family = c->family;
	if (c->zero_byte >= 0)
		sa->stoy_zero[c->zero_byte] = 1;
	KUNIT_EXPECT_EQ(test, kernel_bind(s, (struct sockaddr *)&ss, c->len),
			c->err);
	KUNIT_EXPECT_EQ(test, toy_kunit_sport(s), c->err ? 0 : PORT(5));
}

/*
 * Ports below 1024 need CAP_NET_BIND_SERVICE (in the socket's namespace):
 * bind with the capability dropped from the test's credentials.
 */
struct toy_priv_case {
	const char *name;
	u16 port;
	bool cap;
	int err;
};

static const struct toy_priv_case toy_priv_cases[] = {
	{ "port 80 with the capability", 80, true, 0 },
	{ "port 80 without", 80, false, -EACCES },
	{ "port 1023 without", 1023, false, -EACCES },
	{ "port 1024 without", 1024, false, 0 },
	{ "ephemeral without", 0, false, 0 },
};

static void toy_priv_case_desc(const struct toy_priv_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_priv, toy_priv_cases, toy_priv_case_desc);

static void toy_port_privileged(struct kunit *test)
{
	const struct toy_priv_case *c = test->param_value;
	struct socket *s = toy_kunit_socket(test);
	const struct cred *old;
	struct cred *cred;
	int err;

	cred = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, cred);
	if (!c->cap)
		cap_lower(cred->cap_effective, CAP_NET_BIND_SERVICE);
	/* No assertion may abort the test while the credentials are lent. */
	old = override_creds(cred);
	err = toy_kunit_bind(s, LO, c->port);
	revert_creds(old);
	put_cred(cred);

	KUNIT_EXPECT_EQ(test, err, c->err);
	if (c->port)
		KUNIT_EXPECT_EQ(test, toy_kunit_sport(s), c->err ? 0 : c->port);
}

/* Port 0: a port of the ephemeral range, in the table until close. */
static void toy_port_ephemeral(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *s = toy_kunit_socket(test);
	u32 range = READ_ONCE(tn->port_range);
	struct sockaddr_toy sa;
	bool found;
	u16 port;

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(s, ANY, 0), 0);
	port = toy_kunit_sport(s);
	KUNIT_EXPECT_GE(test, port, range & 0xffff);
	KUNIT_EXPECT_LE(test, port, range >> 16);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, port, s->sk, &found), 1);
	KUNIT_EXPECT_TRUE(test, found);

	/* getsockname() reports it. */
	KUNIT_EXPECT_EQ(test, kernel_getsockname(s, (struct sockaddr *)&sa),
			(int)sizeof(sa));
	KUNIT_EXPECT_EQ(test, sa.stoy_family, toy_family);
	KUNIT_EXPECT_EQ(test, ntohs(sa.stoy_port), port);
	KUNIT_EXPECT_EQ(test, sa.stoy_addr, htonl(ANY));

	/* Erased at close (the entry itself is freed after RCU). */
	toy_kunit_close(test, s);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, port, NULL, NULL), -1);
}

/* Port 0 with the local address: ephemeral port, specific address. */
static void toy_port_ephemeral_loopback(struct kunit *test)
{
	struct socket *s = toy_kunit_socket(test);

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(s, LO, 0), 0);
	KUNIT_EXPECT_NE(test, toy_kunit_sport(s), 0);
	KUNIT_EXPECT_EQ(test, toy_sk(s->sk)->rcv_saddr, htonl(LO));
}

/* Ephemeral ports are never shared, even with SO_REUSEADDR. */
static void toy_port_ephemeral_distinct(struct kunit *test)
{
	struct socket *s[8];
	int i, j;

	for (i = 0; i < ARRAY_SIZE(s); i++) {
		s[i] = toy_kunit_socket(test);
		sock_set_reuseaddr(s[i]->sk);
		KUNIT_ASSERT_EQ(test, toy_kunit_bind(s[i], ANY, 0), 0);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, toy_kunit_sport(s[i]),
					toy_kunit_sport(s[j]));
	}
}

/* One entry per port, shared by its sockets, erased with the last one. */
static void toy_port_shared_entry(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *s1 = toy_kunit_socket(test);
	struct socket *s2 = toy_kunit_socket(test);
	bool found;

	sock_set_reuseaddr(s1->sk);
	sock_set_reuseaddr(s2->sk);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(s1, ANY, PORT(6)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(s2, LO, PORT(6)), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, PORT(6), NULL, NULL), 2);

	toy_kunit_close(test, s1);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, PORT(6), s2->sk, &found),
			1);
	KUNIT_EXPECT_TRUE(test, found);
	toy_kunit_close(test, s2);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, PORT(6), NULL, NULL), -1);
}

/* A released port can be bound again at once (no TIME_WAIT). */
static void toy_port_reuse_after_close(struct kunit *test)
{
	struct socket *s = toy_kunit_socket(test);

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(s, LO, PORT(7)), 0);
	toy_kunit_close(test, s);
	s = toy_kunit_socket(test);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(s, LO, PORT(7)), 0);
}

/*
 * A three-port range: three binds to port 0 get its three ports, the
 * fourth fails with EADDRINUSE; an autobind (sendmsg, connect) fails with
 * EAGAIN, as inet_autobind() does; a released port is found again.
 */
static void toy_port_exhaustion(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *s[3], *extra, *unbound;
	u16 port, freed;
	u8 byte = 0;
	int i;

	for (port = TOY_PORT_TINY_LOW; port <= TOY_PORT_TINY_HIGH; port++)
		KUNIT_ASSERT_EQ_MSG(test, toy_kunit_port_users(tn, port, NULL,
							       NULL), -1,
				    "port %u is in use", port);
	toy_kunit_set_port_range(test, tn, TOY_PORT_TINY_LOW,
				 TOY_PORT_TINY_HIGH);

	for (i = 0; i < ARRAY_SIZE(s); i++) {
		s[i] = toy_kunit_socket(test);
		KUNIT_ASSERT_EQ(test, toy_kunit_bind(s[i], ANY, 0), 0);
		port = toy_kunit_sport(s[i]);
		KUNIT_EXPECT_GE(test, port, TOY_PORT_TINY_LOW);
		KUNIT_EXPECT_LE(test, port, TOY_PORT_TINY_HIGH);
	}
	KUNIT_EXPECT_NE(test, toy_kunit_sport(s[0]), toy_kunit_sport(s[1]));
	KUNIT_EXPECT_NE(test, toy_kunit_sport(s[0]), toy_kunit_sport(s[2]));
	KUNIT_EXPECT_NE(test, toy_kunit_sport(s[1]), toy_kunit_sport(s[2]));

	extra = toy_kunit_socket(test);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(extra, ANY, 0), -EADDRINUSE);
	KUNIT_EXPECT_EQ(test, toy_kunit_sport(extra), 0);

	unbound = toy_kunit_socket(test);
	KUNIT_EXPECT_EQ(test, toy_kunit_send(unbound, LO, PORT(8), &byte, 1),
			-EAGAIN);
	KUNIT_EXPECT_EQ(test, toy_kunit_connect(unbound, LO, PORT(8)), -EAGAIN);
	KUNIT_EXPECT_EQ(test, toy_kunit_sport(unbound), 0);
	/* An explicit port outside the range is still fine. */
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(unbound, ANY, PORT(8)), 0);

	freed = toy_kunit_sport(s[1]);
	toy_kunit_close(test, s[1]);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(extra, ANY, 0), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_sport(extra), freed);
}

/* sendmsg() on an unbound socket binds it to an ephemeral wildcard port. */
static void toy_port_autobind_sendmsg(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *s = toy_kunit_socket(test);
	u8 byte = 0;
	bool found;

	KUNIT_EXPECT_EQ(test, toy_kunit_send(s, LO, PORT(9), &byte, 1), 1);
	KUNIT_ASSERT_NE(test, toy_kunit_sport(s), 0);
	KUNIT_EXPECT_EQ(test, toy_sk(s->sk)->rcv_saddr, htonl(ANY));
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, toy_kunit_sport(s),
						   s->sk, &found), 1);
	KUNIT_EXPECT_TRUE(test, found);
	KUNIT_EXPECT_EQ(test, s->sk->sk_userlocks & SOCK_BINDPORT_LOCK, 0);
}

/*
 * connect() autobinds and fixes the local address, like UDP; disconnect
 * (AF_UNSPEC) undoes what was not bound explicitly.
 */
static void toy_port_connect_disconnect(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *auto_s = toy_kunit_socket(test);
	struct socket *bound = toy_kunit_socket(test);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	u16 port;

	KUNIT_ASSERT_EQ(test, toy_kunit_connect(auto_s, LO, PORT(10)), 0);
	port = toy_kunit_sport(auto_s);
	KUNIT_ASSERT_NE(test, port, 0);
	KUNIT_EXPECT_EQ(test, toy_sk(auto_s->sk)->rcv_saddr, htonl(LO));
	KUNIT_EXPECT_EQ(test, auto_s->sk->sk_state, TOY_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, kernel_connect(auto_s, &unspec, sizeof(unspec),
					     0), 0);
	KUNIT_EXPECT_EQ(test, auto_s->sk->sk_state, TOY_CLOSE);
	KUNIT_EXPECT_EQ(test, toy_kunit_sport(auto_s), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, port, NULL, NULL), -1);

	/* Explicit port, wildcard address: the port stays, address ANY. */
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(bound, ANY, PORT(11)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_connect(bound, LO, PORT(10)), 0);
	KUNIT_EXPECT_EQ(test, toy_sk(bound->sk)->rcv_saddr, htonl(LO));
	KUNIT_EXPECT_EQ(test, kernel_connect(bound, &unspec, sizeof(unspec), 0),
			0);
	KUNIT_EXPECT_EQ(test, toy_kunit_sport(bound), PORT(11));
	KUNIT_EXPECT_EQ(test, toy_sk(bound->sk)->rcv_saddr, htonl(ANY));
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, PORT(11), NULL, NULL),
			1);
}

/* Each socket type has its own port space, as UDP and TCP do. */
static void toy_port_per_type(struct kunit *test)
{
	struct toy_net *tn = toy_kunit_tn();
	struct socket *dgram = toy_kunit_socket(test);
	struct socket *stream = toy_kunit_socket_type(test, &init_net,
						      SOCK_STREAM);
	struct socket *seqpacket = toy_kunit_socket_type(test, &init_net,
							 SOCK_SEQPACKET);
	struct socket *dgram2 = toy_kunit_socket(test);

	KUNIT_ASSERT_EQ(test, toy_kunit_bind(dgram, LO, PORT(13)), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(stream, LO, PORT(13)), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(seqpacket, LO, PORT(13)), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_bind(dgram2, LO, PORT(13)),
			-EADDRINUSE);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, PORT(13), NULL, NULL),
			1);
}

/* Each namespace has its own port table. */
static void toy_port_netns_isolation(struct kunit *test)
{
	struct net *net = toy_kunit_other_net(test);
	struct toy_net *tn = toy_kunit_tn(), *tn2;
	struct socket *s, *s2, *tx;
	u8 buf[8] = "netns", got[8];
	bool found;

	tn2 = toy_pernet(net);
	KUNIT_ASSERT_PTR_NE(test, tn2, tn);
	KUNIT_EXPECT_PTR_NE(test, tn2->dev, tn->dev);
	KUNIT_EXPECT_PTR_EQ(test, dev_net(tn2->dev), net);

	s = toy_kunit_socket(test);
	s2 = toy_kunit_socket_net(test, net);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(s, LO, PORT(12)), 0);
	KUNIT_ASSERT_EQ(test, toy_kunit_bind(s2, LO, PORT(12)), 0);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, PORT(12), s->sk, &found),
			1);
	KUNIT_EXPECT_TRUE(test, found);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn2, PORT(12), s2->sk,
						   &found), 1);
	KUNIT_EXPECT_TRUE(test, found);

	/* A datagram sent in init_net reaches only init_net's socket. */
	tx = toy_kunit_socket(test);
	KUNIT_ASSERT_EQ(test, toy_kunit_send(tx, LO, PORT(12), buf,
					     sizeof(buf)), (int)sizeof(buf));
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(s, got, sizeof(got), NULL, 0),
			(int)sizeof(buf));
	KUNIT_EXPECT_EQ(test, toy_kunit_recv(s2, got, sizeof(got), NULL,
					     MSG_DONTWAIT), -EAGAIN);

	toy_kunit_close(test, s2);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn2, PORT(12), NULL, NULL),
			-1);
	KUNIT_EXPECT_EQ(test, toy_kunit_port_users(tn, PORT(12), NULL, NULL), 1);
}

static struct kunit_case toy_port_test_cases[] = {
	KUNIT_CASE_PARAM(toy_port_bind_conflict, toy_bind_gen_params),
	KUNIT_CASE(toy_port_rebind),
	KUNIT_CASE_PARAM(toy_port_bind_nonlocal, toy_nonlocal_gen_params),
	KUNIT_CASE_PARAM(toy_port_bind_sockaddr, toy_sa_gen_params),
	KUNIT_CASE_PARAM(toy_port_privileged, toy_priv_gen_params),
	KUNIT_CASE(toy_port_ephemeral),
	KUNIT_CASE(toy_port_ephemeral_loopback),
	KUNIT_CASE(toy_port_ephemeral_distinct),
	KUNIT_CASE(toy_port_shared_entry),
	KUNIT_CASE(toy_port_reuse_after_close),
	KUNIT_CASE(toy_port_exhaustion),
	KUNIT_CASE(toy_port_autobind_sendmsg),
	KUNIT_CASE(toy_port_connect_disconnect),
	KUNIT_CASE(toy_port_per_type),
	KUNIT_CASE(toy_port_netns_isolation),
	{}
};

static struct kunit_suite toy_port_test_suite = {
	.name = "toy_port",
	.test_cases = toy_port_test_cases,
};

kunit_test_suite(toy_port_test_suite);
