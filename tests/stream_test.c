// SPDX-License-Identifier: GPL-2.0
/*
 * stream_test.c - AF_TOY connection-oriented sockets, side by side with
 * TCP on 127.0.0.1 (SOCK_STREAM) and AF_UNIX (SOCK_SEQPACKET).
 *
 * Every TEST_F(stream, ...) runs for the "toy" and the "tcp" variant and
 * asserts the same errno, byte count and exact poll mask on both: an
 * AF_TOY stream socket is meant to behave like a TCP socket on lo, so TCP
 * is the oracle.  Every TEST_F(seqpacket, ...) runs for "toy" and "unix"
 * (AF_UNIX SOCK_SEQPACKET), for the record semantics the two share.
 *
 * The toy variants skip with a reason when af_toy.ko is not loaded or has
 * no stream/seqpacket sockets, so a host run checks the tests against TCP.
 *
 * No fixed sleeps: every wait is poll() or a bounded loop of short pauses
 * until a condition holds (WAIT_MS, 10 s); nothing asserts a duration.
 */
#include <netinet/tcp.h>

#include "stream_fixture.h"

/* ======================================================================== */
/* socket()                                                                 */
/* ======================================================================== */

TEST_F_LOCAL(stream, socket_options)
{
	int s = SOCK(), v;

	ASSERT_OK(getsockopt_int(s, SOL_SOCKET, SO_TYPE, &v));
	ASSERT_EQ(SOCK_STREAM, v);
	ASSERT_OK(getsockopt_int(s, SOL_SOCKET, SO_DOMAIN, &v));
	ASSERT_EQ(self->f.family, v);
	ASSERT_OK(getsockopt_int(s, SOL_SOCKET, SO_PROTOCOL, &v));
	ASSERT_EQ(variant->protocol, v);
	ASSERT_OK(getsockopt_int(s, SOL_SOCKET, SO_ERROR, &v));
	ASSERT_EQ(0, v);
	ASSERT_OK(getsockopt_int(s, SOL_SOCKET, SO_ACCEPTCONN, &v));
	ASSERT_EQ(0, v);
}

TEST_F_LOCAL(stream, socket_nonzero_protocol)
{
	static const int protos[] = { 1 /* ICMP */, IPPROTO_UDP };
	unsigned int i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		TH_LOG("protocol %d", protos[i]);
		ASSERT_ERRNO(socket(self->f.family, SOCK_STREAM, protos[i]),
			     EPROTONOSUPPORT);
	}
}

/* An unconnected TCP socket polls as POLLOUT | POLLHUP (TCP_CLOSE). */
TEST_F_LOCAL(stream, fresh_socket_poll_mask)
{
	int s = SOCK();

	ASSERT_MASK(s, M_FRESH);
	ASSERT_OK(fam_bind(&self->f, s, HERE, 0));
	ASSERT_MASK(s, M_FRESH);
}

TEST_F_LOCAL(stream, getsockname_unbound)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int s = SOCK();

	ASSERT_OK(getsockname(s, SA(&ss), &len));
	ASSERT_EQ(16U, len);
	ASSERT_EQ(self->f.family, sa_family_of(&ss));
	ASSERT_EQ(0, sa_port(&ss));
	ASSERT_EQ(0U, sa_addr(&ss));
}

/* ======================================================================== */
/* bind()                                                                   */
/* ======================================================================== */

TEST_F_LOCAL(stream, bind_ephemeral)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int s = SOCK(), lo, hi;

	ASSERT_OK(read_range(self->f.range_path, &lo, &hi));
	ASSERT_OK(fam_bind(&self->f, s, HERE, 0));
	ASSERT_OK(getsockname(s, SA(&ss), &len));
	ASSERT_EQ(16U, len);
	ASSERT_EQ(self->f.family, sa_family_of(&ss));
	ASSERT_EQ(INADDR_LOOPBACK, sa_addr(&ss));
	ASSERT_LE(lo, sa_port(&ss));
	ASSERT_GE(hi, sa_port(&ss));
}

TEST_F_LOCAL(stream, bind_bad_address)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s = SOCK();

	len = fam_addr(&self->f, &ss, INADDR_LOOPBACK, 0);
	ASSERT_ERRNO(bind(s, SA(&ss), 8), EINVAL);
	((struct sockaddr *)&ss)->sa_family = AF_UNIX;
	ASSERT_ERRNO(bind(s, SA(&ss), len), EAFNOSUPPORT);
	ASSERT_ERRNO(fam_bind(&self->f, s, 0x0a010203 /* 10.1.2.3 */, 0),
		     EADDRNOTAVAIL);
	ASSERT_EQ(0, local_port(s));
}

TEST_F_LOCAL(stream, bind_twice_einval)
{
	int s = SOCK(), c;
	uint16_t port;

	ASSERT_OK(fam_bind(&self->f, s, HERE, 0));
	ASSERT_ERRNO(fam_bind(&self->f, s, HERE, 0), EINVAL);

	/* connect() autobinds: a later bind() is too late */
	LISTENER(&port, 4);
	c = SOCK();
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	ASSERT_ERRNO(fam_bind(&self->f, c, HERE, 0), EINVAL);
}

TEST_F_LOCAL(stream, bind_conflict_eaddrinuse)
{
	uint16_t port;
	int a = SOCK(), b = SOCK(), c = SOCK(), l;

	ASSERT_OK(fam_bind(&self->f, a, HERE, 0));
	port = local_port(a);
	ASSERT_ERRNO(fam_bind(&self->f, b, HERE, port), EADDRINUSE);
	ASSERT_ERRNO(fam_bind(&self->f, b, INADDR_ANY, port), EADDRINUSE);

	/* a listener blocks its port even when both sides ask SO_REUSEADDR */
	l = SOCK();
	ASSERT_OK(setsockopt_int(l, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_OK(fam_bind(&self->f, l, HERE, 0));
	ASSERT_OK(listen(l, 4));
	ASSERT_OK(setsockopt_int(c, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_ERRNO(fam_bind(&self->f, c, HERE, local_port(l)),
		     EADDRINUSE);
}

/*
 * The server-restart case: a server whose accepted socket closed first
 * leaves its port in TIME_WAIT.  A new socket cannot bind that port, unless
 * both the old listener and the new socket set SO_REUSEADDR (TCP's rule:
 * the TIME_WAIT socket keeps the old socket's reuse flag).
 */
static void time_wait_on_server_port(struct __test_metadata *_metadata,
				     FIXTURE_DATA(stream) *self, bool reuse,
				     uint16_t *port)
{
	struct pent e;
	uint16_t cport;
	char b;
	int l = SOCK(), c = SOCK(), s;

	if (reuse)
		ASSERT_OK(setsockopt_int(l, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_OK(fam_bind(&self->f, l, HERE, 0));
	ASSERT_OK(listen(l, 4));
	*port = local_port(l);
	ASSERT_OK(fam_connect(&self->f, c, PEER, *port));
	cport = local_port(c);
	s = ACCEPT(l);
	untrack_close(self, l);
	untrack_close(self, s);			/* the server closes first */
	ASSERT_LEN(recv_wait(c, &b, 1, 0), 0);
	untrack_close(self, c);
	if (!WAIT_UNTIL(!proc_find(&self->f, *port, cport, ST_TIME_WAIT, &e)))
		TH_LOG("no TIME_WAIT entry %d -> %d in /proc", *port, cport);
	ASSERT_OK(proc_find(&self->f, *port, cport, ST_TIME_WAIT, &e));
}

TEST_F_LOCAL(stream, reuseaddr_binds_port_in_time_wait)
{
	uint16_t port, cport;
	int n1, n2, c;

	time_wait_on_server_port(_metadata, self, true, &port);
	n1 = SOCK();
	ASSERT_ERRNO(fam_bind(&self->f, n1, HERE, port), EADDRINUSE);
	n2 = SOCK();
	ASSERT_OK(setsockopt_int(n2, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_OK(fam_bind(&self->f, n2, HERE, port));
	ASSERT_OK(listen(n2, 4));
	/* and the new listener works */
	c = SOCK();
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	cport = local_port(c);
	ASSERT_LT(0, cport);
	ACCEPT(n2);
}

TEST_F_LOCAL(stream, reuseaddr_needs_old_socket_reuse_too)
{
	uint16_t port;
	int n;

	time_wait_on_server_port(_metadata, self, false, &port);
	n = SOCK();
	ASSERT_OK(setsockopt_int(n, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_ERRNO(fam_bind(&self->f, n, HERE, port), EADDRINUSE);
}

/*
 * Two sockets sharing a port through SO_REUSEADDR cannot both connect to
 * the same peer: the second connect() is EADDRNOTAVAIL, as TCP's
 * __inet_check_established() says, until the first one's four-tuple is
 * free again; a reset by connect(AF_UNSPEC) frees it at once.
 */
TEST_F_LOCAL(stream, connect_same_four_tuple_eaddrnotavail)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int l = SOCK(), a = SOCK(), b = SOCK();
	uint16_t port, cport;

	ASSERT_OK(fam_bind(&self->f, l, HERE, 0));
	ASSERT_OK(listen(l, 4));
	port = local_port(l);
	ASSERT_OK(setsockopt_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_OK(setsockopt_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_OK(fam_bind(&self->f, a, HERE, 0));
	cport = local_port(a);
	ASSERT_OK(fam_bind(&self->f, b, HERE, cport));
	ASSERT_OK(fam_connect(&self->f, a, PEER, port));
	ASSERT_ERRNO(fam_connect(&self->f, b, PEER, port), EADDRNOTAVAIL);
	ASSERT_OK(connect(a, &unspec, sizeof(unspec)));
	ASSERT_OK(fam_connect(&self->f, b, PEER, port));
	ASSERT_EQ(cport, local_port(b));
}

/* ======================================================================== */
/* listen()                                                                 */
/* ======================================================================== */

/* listen() on an unbound socket picks an ephemeral port on ANY. */
TEST_F_LOCAL(stream, listen_autobinds)
{
	struct sockaddr_storage ss, ss2;
	socklen_t len = sizeof(ss);
	int l = SOCK(), c = SOCK(), s, lo, hi, v;

	ASSERT_OK(read_range(self->f.range_path, &lo, &hi));
	ASSERT_OK(listen(l, 4));
	ASSERT_OK(getsockopt_int(l, SOL_SOCKET, SO_ACCEPTCONN, &v));
	ASSERT_EQ(1, v);
	ASSERT_OK(getsockname(l, SA(&ss), &len));
	ASSERT_EQ(self->f.family, sa_family_of(&ss));
	ASSERT_EQ(INADDR_ANY, sa_addr(&ss));
	ASSERT_LE(lo, sa_port(&ss));
	ASSERT_GE(hi, sa_port(&ss));

	/* reachable at LOOPBACK; the accepted socket has the real address */
	ASSERT_OK(fam_connect(&self->f, c, PEER, sa_port(&ss)));
	s = ACCEPT(l);
	len = sizeof(ss2);
	ASSERT_OK(getsockname(s, SA(&ss2), &len));
	ASSERT_EQ(INADDR_LOOPBACK, sa_addr(&ss2));
	ASSERT_EQ(sa_port(&ss), sa_port(&ss2));
}

TEST_F_LOCAL(stream, listen_twice_and_on_connected)
{
	int c, s, l = PAIR(&c, &s), v;

	ASSERT_OK(listen(l, 8));			/* just a new backlog */
	ASSERT_OK(getsockopt_int(l, SOL_SOCKET, SO_ACCEPTCONN, &v));
	ASSERT_EQ(1, v);
	ASSERT_ERRNO(listen(c, 4), EINVAL);
	ASSERT_ERRNO(listen(s, 4), EINVAL);
	ASSERT_ERRNO(fam_bind(&self->f, l, HERE, 0), EINVAL);
}

/* A listener polls 0 until a connection is ready, then POLLIN. */
TEST_F(stream, listener_poll_mask)
{
	uint16_t port;
	int l = LISTENER(&port, 4), c = SOCK();

	ASSERT_MASK(l, 0);
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	ASSERT_TRUE(wait_fd(l, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_MASK(l, M_IN);
	ACCEPT(l);
	ASSERT_MASK(l, 0);
}

/*
 * Connections beyond the backlog are not refused: their handshake is
 * dropped and retried, and they all complete once the server accepts.
 * How many get in at once differs between stacks, so only completion is
 * asserted.  Each client writes one byte as soon as its connect completes,
 * as a real client would: TCP with syncookies (the default) may consider a
 * connection established whose final ACK the full listener dropped, and
 * only the client's data completes it on the server.  The bound covers
 * TCP's retransmissions at 1, 3, 7 and 15 s.
 */
#define BACKLOG_CLIENTS 8
#define BACKLOG_WAIT_MS 30000

TEST_F_TIMEOUT(stream, backlog_overflow_completes, 120)
{
	struct pollfd p[BACKLOG_CLIENTS + 1];
	int cl[BACKLOG_CLIENTS], sv[BACKLOG_CLIENTS];
	uint16_t port, cport[BACKLOG_CLIENTS];
	bool sent[BACKLOG_CLIENTS] = { false };
	int l = LISTENER(&port, 2), i, j, naccepted = 0, nsent = 0;
	long long deadline = now_ms() + BACKLOG_WAIT_MS;

	for (i = 0; i < BACKLOG_CLIENTS; i++) {
		cl[i] = SOCK_NB();
		ASSERT_ERRNO(fam_connect(&self->f, cl[i], PEER, port),
			     EINPROGRESS);
		cport[i] = local_port(cl[i]);
	}
	while (naccepted < BACKLOG_CLIENTS || nsent < BACKLOG_CLIENTS) {
		long long left = deadline - now_ms();

		if (left <= 0) {
			TH_LOG("after %d ms: %d of %d accepted, %d of %d clients connected",
			       BACKLOG_WAIT_MS, naccepted, BACKLOG_CLIENTS,
			       nsent, BACKLOG_CLIENTS);
			ASSERT_LT(0, left);
		}
		p[0].fd = l;
		p[0].events = POLLIN;
		for (i = 0; i < BACKLOG_CLIENTS; i++) {
			p[i + 1].fd = cl[i];
			p[i + 1].events = sent[i] ? 0 : POLLOUT;
		}
		ASSERT_LE(0, poll(p, BACKLOG_CLIENTS + 1, left));
		if (p[0].revents & POLLIN) {
			sv[naccepted] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
			ASSERT_LE(0, sv[naccepted]);
			track(_metadata, self, sv[naccepted]);
			naccepted++;
		}
		for (i = 0; i < BACKLOG_CLIENTS; i++) {
			char b = 'a' + i;

			if (sent[i] || !p[i + 1].revents)
				continue;
			ASSERT_EQ(POLLOUT, p[i + 1].revents);
			ASSERT_EQ(0, sock_error(cl[i]));
			ASSERT_LEN(send(cl[i], &b, 1, 0), 1);
			sent[i] = true;
			nsent++;
		}
	}
	for (i = 0; i < BACKLOG_CLIENTS; i++) {
		char r;

		for (j = 0; j < BACKLOG_CLIENTS; j++) {
			struct sockaddr_storage pa;
			socklen_t pl = sizeof(pa);

			ASSERT_OK(getpeername(sv[j], SA(&pa), &pl));
			if (sa_port(&pa) == cport[i])
				break;
		}
		ASSERT_GT(BACKLOG_CLIENTS, j);
		ASSERT_LEN(recv_wait(sv[j], &r, 1, 0), 1);
		ASSERT_EQ('a' + i, r);
		ASSERT_MASK(cl[i], M_OUT);
	}
}

/* ======================================================================== */
/* accept()                                                                 */
/* ======================================================================== */

TEST_F_LOCAL(stream, accept_not_listening_einval)
{
	int s = SOCK(), c, a;

	ASSERT_ERRNO(accept(s, NULL, NULL), EINVAL);
	ASSERT_OK(fam_bind(&self->f, s, HERE, 0));
	ASSERT_ERRNO(accept(s, NULL, NULL), EINVAL);
	PAIR(&c, &a);
	ASSERT_ERRNO(accept(c, NULL, NULL), EINVAL);
	ASSERT_ERRNO(accept(a, NULL, NULL), EINVAL);
}

TEST_F_LOCAL(stream, accept_nonblocking_empty_eagain)
{
	uint16_t port;
	int l = LISTENER(&port, 4);

	ASSERT_OK(fcntl(l, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(accept(l, NULL, NULL), EAGAIN);
	ASSERT_ERRNO(accept4(l, NULL, NULL, SOCK_NONBLOCK), EAGAIN);
	ASSERT_MASK(l, 0);
}

TEST_F(stream, accept4_flags)
{
	uint16_t port;
	int l = LISTENER(&port, 4), c1 = SOCK(), c2 = SOCK(), a, b;

	ASSERT_OK(fam_connect(&self->f, c1, PEER, port));
	ASSERT_OK(fam_connect(&self->f, c2, PEER, port));
	ASSERT_TRUE(wait_fd(l, POLLIN, WAIT_MS) & POLLIN);

	/* flags come from accept4(), not from the listener */
	ASSERT_OK(fcntl(l, F_SETFL, O_NONBLOCK));
	a = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, a);
	track(_metadata, self, a);
	ASSERT_TRUE(fcntl(a, F_GETFL) & O_NONBLOCK);
	ASSERT_TRUE(fcntl(a, F_GETFD) & FD_CLOEXEC);
	ASSERT_TRUE(wait_fd(l, POLLIN, WAIT_MS) & POLLIN);
	b = accept(l, NULL, NULL);
	ASSERT_LE(0, b);
	track(_metadata, self, b);
	ASSERT_FALSE(fcntl(b, F_GETFL) & O_NONBLOCK);
	ASSERT_FALSE(fcntl(b, F_GETFD) & FD_CLOEXEC);
	ASSERT_ERRNO(accept(l, NULL, NULL), EAGAIN);
	ASSERT_ERRNO(accept4(l, NULL, NULL, ~(SOCK_NONBLOCK | SOCK_CLOEXEC) & 0x7fffffff),
		     EINVAL);
}

TEST_F(stream, accept_addresses)
{
	struct sockaddr_storage fa, cn, cp, sn, sp, ln;
	socklen_t len;
	uint16_t port;
	int l = LISTENER(&port, 4), c = SOCK(), s;

	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	ASSERT_TRUE(wait_fd(l, POLLIN, WAIT_MS) & POLLIN);
	len = sizeof(fa);
	memset(&fa, 0xa5, sizeof(fa));
	s = accept4(l, SA(&fa), &len, SOCK_CLOEXEC);
	ASSERT_LE(0, s);
	track(_metadata, self, s);
	ASSERT_EQ(16U, len);

	len = sizeof(cn);
	ASSERT_OK(getsockname(c, SA(&cn), &len));
	len = sizeof(cp);
	ASSERT_OK(getpeername(c, SA(&cp), &len));
	ASSERT_EQ(16U, len);
	len = sizeof(sn);
	ASSERT_OK(getsockname(s, SA(&sn), &len));
	len = sizeof(sp);
	ASSERT_OK(getpeername(s, SA(&sp), &len));
	ASSERT_EQ(16U, len);
	len = sizeof(ln);
	ASSERT_OK(getsockname(l, SA(&ln), &len));

	ASSERT_EQ(self->f.family, sa_family_of(&fa));
	ASSERT_TRUE(addr_eq(&fa, &cn));		/* accept()'s address */
	ASSERT_TRUE(addr_eq(&sp, &cn));
	ASSERT_TRUE(addr_eq(&cp, &sn));
	ASSERT_TRUE(addr_eq(&sn, &ln));		/* the listener's port */
	ASSERT_EQ(HERE, sa_addr(&cn));
	ASSERT_EQ(port, sa_port(&sn));
	ASSERT_NE(port, sa_port(&cn));
}

struct acceptor {
	int l;
	int fd;
	int err;
	pid_t tid;
};

static void *acceptor_thread(void *arg)
{
	struct acceptor *a = arg;

	a->tid = gettid();
	a->fd = accept(a->l, NULL, NULL);
	a->err = a->fd < 0 ? errno : 0;
	return NULL;
}

/* A blocking accept() sleeps until a connection arrives. */
TEST_F(stream, accept_blocking_woken_by_connect)
{
	struct acceptor a = { .fd = -1 };
	uint16_t port;
	pthread_t t;
	int c;

	a.l = LISTENER(&port, 4);
	ASSERT_OK(pthread_create(&t, NULL, acceptor_thread, &a));
	ASSERT_TRUE(WAIT_UNTIL(a.tid && task_state(a.tid) == 'S'));
	c = SOCK();
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	ASSERT_OK(join_within(t, NULL, WAIT_MS));
	ASSERT_EQ(0, a.err);
	ASSERT_LE(0, a.fd);
	track(_metadata, self, a.fd);
}

/* ======================================================================== */
/* connect()                                                                */
/* ======================================================================== */

TEST_F(stream, connect_blocking_autobinds)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint16_t port;
	int l = LISTENER(&port, 4), c = SOCK(), lo, hi;

	ASSERT_OK(read_range(self->f.range_path, &lo, &hi));
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	ASSERT_OK(getsockname(c, SA(&ss), &len));
	ASSERT_EQ(HERE, sa_addr(&ss));
	ASSERT_LE(lo, sa_port(&ss));
	ASSERT_GE(hi, sa_port(&ss));
	len = sizeof(ss);
	ASSERT_OK(getpeername(c, SA(&ss), &len));
	ASSERT_EQ(PEER, sa_addr(&ss));
	ASSERT_EQ(port, sa_port(&ss));
	ASSERT_MASK(c, M_OUT);
	ACCEPT(l);
}

TEST_F(stream, connect_connected_eisconn)
{
	uint16_t port2;
	int c, s, l = PAIR(&c, &s);

	LISTENER(&port2, 4);
	ASSERT_ERRNO(fam_connect(&self->f, c, PEER, local_port(l)),
		     EISCONN);
	ASSERT_ERRNO(fam_connect(&self->f, c, PEER, port2), EISCONN);
	ASSERT_ERRNO(fam_connect(&self->f, s, PEER, port2), EISCONN);
}

/* TCP: connect() on a listening socket is EISCONN. */
TEST_F(stream, connect_on_listener_eisconn)
{
	uint16_t port, port2;
	int l = LISTENER(&port, 4);

	LISTENER(&port2, 4);
	ASSERT_ERRNO(fam_connect(&self->f, l, PEER, port2), EISCONN);
}

/* Bad flags, levels and arguments on a connected stream, as TCP answers. */
TEST_F_LOCAL(stream, bad_flags_levels_and_how)
{
	int c, s, v = 0;
	socklen_t len = sizeof(v);
	char b[4];

	PAIR(&c, &s);
	/* no urgent data is pending: tcp_recv_urg() says EINVAL */
	ASSERT_ERRNO(recv(c, b, sizeof(b), MSG_OOB), EINVAL);
	ASSERT_ERRNO(shutdown(c, 7), EINVAL);
	ASSERT_ERRNO(shutdown(c, -1), EINVAL);
	/* an unknown level: ip_getsockopt EOPNOTSUPP, ip_setsockopt ENOPROTOOPT */
	ASSERT_ERRNO(getsockopt(c, 1234, 1, &v, &len), EOPNOTSUPP);
	ASSERT_ERRNO(setsockopt(c, 1234, 1, &v, sizeof(v)), ENOPROTOOPT);
	if (self->f.toy) {
		/* AF_TOY has no urgent data at all (TCP sends it) */
		ASSERT_ERRNO(send(c, "x", 1, MSG_OOB), EOPNOTSUPP);
	}
	/* none of it broke the connection */
	ASSERT_LEN(send(c, "ok", 2, 0), 2);
	ASSERT_LEN(recv(s, b, 2, MSG_WAITALL), 2);
}

/* A non-zero stoy_zero is refused by bind and connect alike. */
TEST_F_LOCAL(stream, padding_must_be_zero)
{
	struct sockaddr_toy a;
	uint16_t port;
	int c = SOCK();

	if (!self->f.toy)
		SKIP(return, "AF_TOY only: sockaddr_in has no such rule");
	LISTENER(&port, 4);
	memset(&a, 0, sizeof(a));
	a.stoy_family = self->f.family;
	a.stoy_port = htons(port);
	a.stoy_addr = htonl(TOY_ADDR_LOOPBACK);
	a.stoy_zero[7] = 1;
	ASSERT_ERRNO(connect(c, SA(&a), sizeof(a)), EINVAL);
	ASSERT_ERRNO(bind(c, SA(&a), sizeof(a)), EINVAL);
	a.stoy_zero[7] = 0;
	ASSERT_OK(connect(c, SA(&a), sizeof(a)));
}

TEST_F_LOCAL(stream, connect_bad_address)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint16_t port;
	int c = SOCK();

	LISTENER(&port, 4);
	len = fam_addr(&self->f, &ss, INADDR_LOOPBACK, port);
	ASSERT_ERRNO(connect(c, SA(&ss), 8), EINVAL);
	((struct sockaddr *)&ss)->sa_family = AF_UNIX;
	ASSERT_ERRNO(connect(c, SA(&ss), len), EAFNOSUPPORT);
	ASSERT_MASK(c, M_FRESH);
	/* the socket is still usable */
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
}

TEST_F(stream, connect_nonblocking)
{
	uint16_t port;
	int l = LISTENER(&port, 4), c = SOCK_NB(), ev;

	ASSERT_ERRNO(fam_connect(&self->f, c, PEER, port),
		     EINPROGRESS);
	ev = wait_fd(c, POLLOUT, WAIT_MS);
	ASSERT_EQ(POLLOUT, ev);
	ASSERT_EQ(0, sock_error(c));
	ASSERT_MASK(c, M_OUT);
	ASSERT_NE(0, local_port(c));
	ACCEPT(l);
}

/*
 * TCP: after a non-blocking connect completes, one more connect() to the
 * same address returns 0 (it finishes the connect: SS_CONNECTING ->
 * SS_CONNECTED); only the next one is EISCONN.
 */
TEST_F(stream, connect_again_after_nonblocking_completes)
{
	uint16_t port;
	int l = LISTENER(&port, 4), c = SOCK_NB();

	ASSERT_ERRNO(fam_connect(&self->f, c, PEER, port),
		     EINPROGRESS);
	ASSERT_TRUE(wait_fd(c, POLLOUT, WAIT_MS) & POLLOUT);
	ASSERT_EQ(0, sock_error(c));
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	ASSERT_ERRNO(fam_connect(&self->f, c, PEER, port), EISCONN);
	ACCEPT(l);
}

/*
 * A connect still in progress: EALREADY, and the socket polls 0.  To hold
 * a handshake open, fill a backlog-1 listener: the first clients complete
 * (TCP admits two), the next one's handshake is dropped and retried.  Once
 * the server accepts, that client completes too.  On a link the first
 * handshake also waits for the toy ARP, and completes a moment later
 * whatever the backlog: one whole connection first makes the peer known.
 */
TEST_F_TIMEOUT(stream, connect_in_progress_ealready, 120)
{
	uint16_t port;
	int l = LISTENER(&port, 1), i, stuck = -1, n = 0, ev, r, e, peer = -1;
	int w = SOCK();
	long long deadline;
	char b = 'x';

	ASSERT_OK(fam_connect(&self->f, w, PEER, port));
	untrack_close(self, ACCEPT(l));
	untrack_close(self, w);
	for (i = 0; i < 16 && stuck < 0; i++) {
		int c = SOCK_NB();

		ASSERT_ERRNO(fam_connect(&self->f, c, PEER, port),
			     EINPROGRESS);
		n++;
		errno = 0;
		r = fam_connect(&self->f, c, PEER, port);
		e = errno;
		TH_LOG("client %d: second connect %d (%s)", i, r,
		       r ? strerror(e) : "ok");
		if (r == -1 && e == EALREADY) {
			stuck = c;
			break;
		}
		/* completed already: 0 on TCP (see the test above) */
		ASSERT_EQ(0, r);
	}
	ASSERT_LE(0, stuck);
	ASSERT_MASK(stuck, M_CONNECTING);
	ASSERT_ERRNO(fam_connect(&self->f, stuck, PEER, port),
		     EALREADY);
	ASSERT_ERRNO(send(stuck, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT), EAGAIN);

	/* accept them all; the dropped handshake is retried and completes */
	deadline = now_ms() + BACKLOG_WAIT_MS;
	for (i = 0; i < n; i++) {
		struct sockaddr_storage pa;
		socklen_t pl = sizeof(pa);

		ev = wait_fd(l, POLLIN, left_ms(deadline));
		if (!(ev & POLLIN))
			TH_LOG("accepted %d of %d", i, n);
		ASSERT_TRUE(ev & POLLIN);
		r = accept4(l, SA(&pa), &pl, SOCK_CLOEXEC);
		ASSERT_LE(0, r);
		track(_metadata, self, r);
		if (sa_port(&pa) == local_port(stuck))
			peer = r;
	}
	ASSERT_LE(0, peer);
	ev = wait_fd(stuck, POLLOUT, left_ms(deadline));
	ASSERT_EQ(POLLOUT, ev);
	ASSERT_MASK(stuck, M_OUT);
	ASSERT_EQ(0, sock_error(stuck));
	ASSERT_LEN(send(stuck, &b, 1, 0), 1);
	ASSERT_LEN(recv_wait(peer, &b, 1, 0), 1);
	ASSERT_EQ('x', b);
}

TEST_F(stream, connect_refused_blocking)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int port = free_stream_port(&self->f), c = SOCK(), b = SOCK(), v;
	uint16_t lport;

	ASSERT_LT(0, port);
	ASSERT_ERRNO(fam_connect(&self->f, c, PEER, port),
		     ECONNREFUSED);
	ASSERT_EQ(0, sock_error(c));
	ASSERT_ERRNO(getpeername(c, SA(&ss), &len), ENOTCONN);
	ASSERT_MASK(c, M_FRESH);

	/* a port that is bound but not listening refuses too */
	ASSERT_OK(fam_bind(&self->f, b, HERE, 0));
	ASSERT_ERRNO(fam_connect(&self->f, c, PEER, local_port(b)),
		     ECONNREFUSED);

	/* and the socket can connect again, to a listener */
	LISTENER(&lport, 4);
	ASSERT_OK(fam_connect(&self->f, c, PEER, lport));
	ASSERT_OK(getsockopt_int(c, SOL_SOCKET, SO_ERROR, &v));
	ASSERT_EQ(0, v);
	ASSERT_MASK(c, M_OUT);
}

TEST_F(stream, connect_refused_nonblocking)
{
	int port = free_stream_port(&self->f), c = SOCK_NB(), ev;
	char b;

	ASSERT_LT(0, port);
	ASSERT_ERRNO(fam_connect(&self->f, c, PEER, port),
		     EINPROGRESS);
	ev = wait_fd(c, POLLOUT, WAIT_MS);
	ASSERT_TRUE(ev & POLLERR);
	ASSERT_MASK(c, M_RESET);
	ASSERT_EQ(ECONNREFUSED, sock_error(c));
	ASSERT_MASK(c, M_CLOSED);
	ASSERT_EQ(0, sock_error(c));
	/* TCP: the failed socket is shut down both ways, so recv() is EOF */
	ASSERT_LEN(recv(c, &b, 1, 0), 0);
	ASSERT_ERRNO(send(c, &b, 1, MSG_NOSIGNAL), EPIPE);
}

/* ======================================================================== */
/* calls on sockets that are not connected                                  */
/* ======================================================================== */

TEST_F_LOCAL(stream, send_unconnected_epipe_sigpipe)
{
	uint16_t port;
	int s = SOCK(), l = LISTENER(&port, 4);

	ASSERT_ERRNO(send(s, "x", 1, 0), EPIPE);
	ASSERT_EQ(1, sigpipes);
	ASSERT_ERRNO(send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
	ASSERT_EQ(1, sigpipes);
	ASSERT_ERRNO(write(s, "x", 1), EPIPE);
	ASSERT_EQ(2, sigpipes);
	ASSERT_OK(fam_bind(&self->f, s, HERE, 0));
	ASSERT_ERRNO(send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
	ASSERT_ERRNO(send(l, "x", 1, 0), EPIPE);
	ASSERT_EQ(3, sigpipes);
}

TEST_F_LOCAL(stream, recv_unconnected_enotconn)
{
	uint16_t port;
	int s = SOCK(), l = LISTENER(&port, 4);
	char b;

	ASSERT_ERRNO(recv(s, &b, 1, 0), ENOTCONN);
	ASSERT_ERRNO(recv(s, &b, 1, MSG_DONTWAIT), ENOTCONN);
	ASSERT_ERRNO(read(s, &b, 1), ENOTCONN);
	ASSERT_ERRNO(recv(l, &b, 1, 0), ENOTCONN);
	ASSERT_ERRNO(recv(l, &b, 1, MSG_DONTWAIT), ENOTCONN);
}

TEST_F_LOCAL(stream, getpeername_unconnected_enotconn)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint16_t port;
	int s = SOCK(), l = LISTENER(&port, 4);

	ASSERT_ERRNO(getpeername(s, SA(&ss), &len), ENOTCONN);
	ASSERT_OK(fam_bind(&self->f, s, HERE, 0));
	ASSERT_ERRNO(getpeername(s, SA(&ss), &len), ENOTCONN);
	ASSERT_ERRNO(getpeername(l, SA(&ss), &len), ENOTCONN);
}

TEST_F_LOCAL(stream, shutdown_unconnected_enotconn)
{
	int s = SOCK(), c, a;

	ASSERT_ERRNO(shutdown(s, SHUT_RD), ENOTCONN);
	ASSERT_ERRNO(shutdown(s, SHUT_WR), ENOTCONN);
	ASSERT_ERRNO(shutdown(s, SHUT_RDWR), ENOTCONN);
	PAIR(&c, &a);
	ASSERT_ERRNO(shutdown(c, 3), EINVAL);
	ASSERT_ERRNO(shutdown(c, -1), EINVAL);
	ASSERT_MASK(c, M_OUT);
}

/* ======================================================================== */
/* the byte stream                                                          */
/* ======================================================================== */

/* Writes are not records: three sends are read at once, one is read in
 * pieces. */
TEST_F(stream, stream_coalesce_and_split)
{
	char buf[10000], got[10000];
	int c, s;

	PAIR(&c, &s);
	ASSERT_LEN(send(c, "abc", 3, 0), 3);
	ASSERT_LEN(send(c, "def", 3, 0), 3);
	ASSERT_LEN(send(c, "ghi", 3, 0), 3);
	ASSERT_TRUE(WAIT_UNTIL(inq(s) == 9));
	ASSERT_LEN(recv(s, got, sizeof(got), 0), 9);
	ASSERT_EQ(0, memcmp(got, "abcdefghi", 9));

	pat_fill(buf, sizeof(buf), 1, 0);
	ASSERT_LEN(send(c, buf, sizeof(buf), 0), sizeof(buf));
	ASSERT_TRUE(WAIT_UNTIL(inq(s) == (int)sizeof(buf)));
	ASSERT_LEN(recv(s, got, 4000, 0), 4000);
	ASSERT_LEN(recv(s, got + 4000, 4000, 0), 4000);
	ASSERT_LEN(recv(s, got + 8000, 4000, 0), 2000);
	ASSERT_EQ(0, memcmp(buf, got, sizeof(buf)));
	ASSERT_ERRNO(recv(s, got, 1, MSG_DONTWAIT), EAGAIN);
}

struct writer {
	int fd;
	size_t total;		/* bytes to write */
	size_t chunk;		/* per send() */
	uint64_t seed;
	bool shut_wr;		/* shutdown(SHUT_WR) when done */
	_Atomic size_t done;
	_Atomic pid_t tid;
	int err;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	char *buf = malloc(w->chunk);

	w->tid = gettid();
	if (!buf) {
		w->err = ENOMEM;
		return NULL;
	}
	while (w->done < w->total) {
		size_t k = w->total - w->done < w->chunk ?
			   w->total - w->done : w->chunk;
		ssize_t r;

		pat_fill(buf, k, w->seed, w->done);
		r = send(w->fd, buf, k, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			w->err = errno;
			break;
		}
		w->done += r;
	}
	if (w->shut_wr && shutdown(w->fd, SHUT_WR) && !w->err)
		w->err = errno;
	free(buf);
	return NULL;
}

/* MSG_WAITALL returns the whole amount, however the writer splits it. */
TEST_F(stream, msg_waitall)
{
	struct writer w = { .total = 100000, .chunk = 1000, .seed = 7 };
	static char got[100000];
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	pthread_t t;
	int c, s;

	PAIR(&c, &s);
	ASSERT_OK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	w.fd = c;
	ASSERT_OK(pthread_create(&t, NULL, writer_thread, &w));
	ASSERT_LEN(recv(s, got, sizeof(got), MSG_WAITALL), sizeof(got));
	ASSERT_OK(join_within(t, NULL, WAIT_MS));
	ASSERT_EQ(0, w.err);
	ASSERT_EQ(-1, pat_check(got, sizeof(got), 7, 0));

	/* ... but EOF ends it early */
	ASSERT_LEN(send(c, got, 500, 0), 500);
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_LEN(recv(s, got, 1000, MSG_WAITALL), 500);
	ASSERT_LEN(recv(s, got, 1000, MSG_WAITALL), 0);
}

TEST_F(stream, msg_peek)
{
	char got[32];
	int c, s;

	PAIR(&c, &s);
	ASSERT_LEN(send(c, "hello world", 11, 0), 11);
	ASSERT_TRUE(WAIT_UNTIL(inq(s) == 11));
	ASSERT_LEN(recv(s, got, 4, MSG_PEEK), 4);
	ASSERT_EQ(0, memcmp(got, "hell", 4));
	ASSERT_LEN(recv(s, got, sizeof(got), MSG_PEEK), 11);
	ASSERT_EQ(11, inq(s));
	ASSERT_LEN(recv(s, got, 5, 0), 5);
	ASSERT_EQ(0, memcmp(got, "hello", 5));
	ASSERT_LEN(recv(s, got, sizeof(got), MSG_PEEK | MSG_DONTWAIT), 6);
	ASSERT_EQ(0, memcmp(got, " world", 6));
	ASSERT_LEN(recv(s, got, sizeof(got), 0), 6);
	ASSERT_EQ(0, memcmp(got, " world", 6));
	ASSERT_ERRNO(recv(s, got, sizeof(got), MSG_PEEK | MSG_DONTWAIT), EAGAIN);
}

TEST_F(stream, msg_dontwait_eagain)
{
	char b;
	int c, s;

	PAIR(&c, &s);
	ASSERT_ERRNO(recv(s, &b, 1, MSG_DONTWAIT), EAGAIN);
	ASSERT_ERRNO(recv(c, &b, 1, MSG_DONTWAIT), EAGAIN);
	ASSERT_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(recv(s, &b, 1, 0), EAGAIN);
	ASSERT_ERRNO(read(s, &b, 1), EAGAIN);
	ASSERT_MASK(s, M_OUT);
}

TEST_F(stream, so_rcvtimeo_eagain)
{
	struct timeval tv = { .tv_usec = 50000 };
	char b;
	int c, s;

	PAIR(&c, &s);
	ASSERT_OK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_ERRNO(recv(s, &b, 1, 0), EAGAIN);
}

/*
 * A buffer recv() cannot write to (a PROT_NONE page): EFAULT, and the
 * bytes stay queued for the next read, as TCP's do.
 */
TEST_F(stream, recv_bad_buffer_efault_keeps_data)
{
	void *bad = no_access_page();
	char buf[16];
	int c, s;

	ASSERT_NE(MAP_FAILED, bad);
	PAIR(&c, &s);
	ASSERT_LEN(send(c, "0123456789", 10, 0), 10);
	ASSERT_EQ(POLLIN, wait_fd(s, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_ERRNO(recv(s, bad, 10, 0), EFAULT);
	ASSERT_LEN(recv(s, buf, sizeof(buf), MSG_DONTWAIT), 10);
	ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
	munmap(bad, 4096);
}

/*
 * A buffer send() cannot read: EFAULT when not a byte could be copied, as
 * TCP's.  When only its first page is readable, TCP copies in chunks of its
 * page fragment: EFAULT, or the chunks before the fault (how many depends
 * on where the fragment was).  Either way nothing past what send() counted
 * reaches the peer: the next byte sent is the next one read.
 */
TEST_F(stream, send_bad_buffer_efault_or_partial)
{
	char *buf, got[4097];
	ssize_t n;
	int c, s;

	buf = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 'x', 4096);
	ASSERT_OK(mprotect(buf + 4096, 4096, PROT_NONE));
	PAIR(&c, &s);
	ASSERT_ERRNO(send(c, buf + 4096, 10, 0), EFAULT);
	n = send(c, buf, 2 * 4096, 0);
	if (n < 0) {
		ASSERT_EQ(EFAULT, errno);
		n = 0;
	}
	ASSERT_LE(n, 4096);
	ASSERT_LEN(send(c, "!", 1, 0), 1);
	ASSERT_LEN(recv(s, got, n + 1, MSG_WAITALL), n + 1);
	ASSERT_EQ(0, memcmp(got, buf, n));
	ASSERT_EQ('!', got[n]);
	munmap(buf, 2 * 4096);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

/* Signal @target until it sets @done: whenever it sleeps, it gets one. */
struct nudger {
	pthread_t target;
	pid_t tid;
	_Atomic bool done;
};

static void *nudge_while_asleep(void *arg)
{
	struct nudger *n = arg;

	while (!n->done && WAIT_UNTIL(n->done || task_state(n->tid) == 'S'))
		if (!n->done)
			pthread_kill(n->target, SIGUSR1);
	return NULL;
}

/*
 * A signal whose handler has no SA_RESTART ends a blocked recv() that has
 * nothing yet with EINTR, as TCP's.  The signal comes whenever the reader
 * is seen asleep, so one lands inside recv(); SO_RCVTIMEO bounds a recv()
 * that misses them all (EAGAIN, which fails the test).
 */
TEST_F(stream, recv_interrupted_by_signal_eintr)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 }, old;
	struct nudger n = { .target = pthread_self(), .tid = gettid() };
	pthread_t t;
	ssize_t r;
	char b;
	int c, s, e;

	PAIR(&c, &s);
	ASSERT_OK(set_rcvtimeo(s, WAIT_MS));
	ASSERT_OK(sigaction(SIGUSR1, &sa, &old));
	ASSERT_OK(pthread_create(&t, NULL, nudge_while_asleep, &n));
	r = recv(s, &b, 1, 0);
	e = errno;
	n.done = true;
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &old, NULL);
	ASSERT_EQ(-1, r);
	ASSERT_EQ(EINTR, e) TH_LOG("recv: %s", strerror(e));
}

/*
 * O_ASYNC: a writer whose send buffer filled up gets SIGIO when the
 * reader makes room (SOCK_WAKE_SPACE), as TCP's does.
 */
TEST_F(stream, o_async_sigio_when_space_returns)
{
	struct timespec ts = { .tv_sec = WAIT_MS / 1000 };
	static char buf[65536];
	sigset_t io, old;
	siginfo_t si;
	int c, s;

	PAIR(&c, &s);
	sigemptyset(&io);
	sigaddset(&io, SIGIO);
	ASSERT_OK(sigprocmask(SIG_BLOCK, &io, &old));
	ASSERT_OK(fcntl(c, F_SETOWN, getpid()));
	/* F_SETSIG: the signal then says why it came (si_code). */
	ASSERT_OK(fcntl(c, F_SETSIG, SIGIO));
	ASSERT_OK(fcntl(c, F_SETFL, O_ASYNC | O_NONBLOCK));
	while (send(c, buf, sizeof(buf), MSG_NOSIGNAL) > 0)
		;
	ASSERT_EQ(EAGAIN, errno);
	/* Only what comes from here on counts. */
	while (sigtimedwait(&io, &si, &(struct timespec){ 0 }) == SIGIO)
		;
	while (recv_wait(s, buf, sizeof(buf), 0) > 0 &&
	       (wait_fd(c, POLLOUT, 0) & POLLOUT) == 0)
		;
	ASSERT_EQ(SIGIO, sigtimedwait(&io, &si, &ts));
	ASSERT_EQ(POLL_OUT, si.si_code);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

TEST_F(stream, siocinq_siocoutq)
{
	char buf[3000], got[3000];
	uint16_t port;
	int c, s, l, f = SOCK();

	ASSERT_EQ(0, inq(f));
	ASSERT_EQ(0, outq(f));
	ASSERT_EQ(0, outq_unsent(f));
	l = PAIR(&c, &s);
	ASSERT_EQ(0, inq(s));
	ASSERT_EQ(0, outq(c));
	pat_fill(buf, sizeof(buf), 3, 0);
	ASSERT_LEN(send(c, buf, sizeof(buf), 0), sizeof(buf));
	if (!WAIT_UNTIL(inq(s) == (int)sizeof(buf)))
		TH_LOG("SIOCINQ %d, want %zu", inq(s), sizeof(buf));
	ASSERT_EQ((int)sizeof(buf), inq(s));
	/* the peer acknowledged it: nothing left unacknowledged */
	if (!WAIT_UNTIL(outq(c) == 0))
		TH_LOG("SIOCOUTQ %d, want 0", outq(c));
	ASSERT_EQ(0, outq(c));
	ASSERT_EQ(0, inq(c));
	ASSERT_LEN(recv(s, got, 1000, 0), 1000);
	ASSERT_EQ(2000, inq(s));
	ASSERT_LEN(recv(s, got + 1000, 2000, 0), 2000);
	ASSERT_EQ(0, inq(s));
	ASSERT_EQ(0, memcmp(buf, got, sizeof(buf)));

	/* a listener has no byte queues */
	ASSERT_ERRNO(ioctl(l, SIOCINQ, &c), EINVAL);
	ASSERT_ERRNO(ioctl(l, SIOCOUTQ, &c), EINVAL);
	ASSERT_ERRNO(ioctl(l, SIOCOUTQNSD, &c), EINVAL);
	(void)port;
}

/* poll() reports POLLIN only once SO_RCVLOWAT bytes are queued. */
TEST_F(stream, so_rcvlowat_poll)
{
	char buf[100], got[200];
	int c, s, v;

	PAIR(&c, &s);
	ASSERT_OK(setsockopt_int(s, SOL_SOCKET, SO_RCVLOWAT, 100));
	ASSERT_OK(getsockopt_int(s, SOL_SOCKET, SO_RCVLOWAT, &v));
	ASSERT_EQ(100, v);
	pat_fill(buf, sizeof(buf), 4, 0);
	ASSERT_LEN(send(c, buf, 50, 0), 50);
	ASSERT_TRUE(WAIT_UNTIL(inq(s) == 50));
	ASSERT_MASK(s, M_OUT);
	ASSERT_LEN(send(c, buf + 50, 50, 0), 50);
	ASSERT_TRUE(wait_fd(s, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_MASK(s, M_IN | M_OUT);
	ASSERT_EQ(100, inq(s));
	ASSERT_LEN(recv(s, got, sizeof(got), MSG_DONTWAIT), 100);
	ASSERT_EQ(0, memcmp(buf, got, 100));
}

/* A blocking recv() sleeps until data arrives. */
struct reader {
	int fd;
	char buf[64];
	ssize_t n;
	int err;
	_Atomic pid_t tid;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	r->tid = gettid();
	r->n = recv(r->fd, r->buf, sizeof(r->buf), 0);
	r->err = r->n < 0 ? errno : 0;
	return NULL;
}

TEST_F(stream, recv_blocking_woken_by_send)
{
	struct reader r = { .n = -2 };
	pthread_t t;
	int c, s;

	PAIR(&c, &s);
	r.fd = s;
	ASSERT_OK(pthread_create(&t, NULL, reader_thread, &r));
	ASSERT_TRUE(WAIT_UNTIL(r.tid && task_state(r.tid) == 'S'));
	ASSERT_LEN(send(c, "wake", 4, 0), 4);
	ASSERT_OK(join_within(t, NULL, WAIT_MS));
	ASSERT_EQ(4, r.n);
	ASSERT_EQ(0, memcmp(r.buf, "wake", 4));
}

/* A blocked recv() returns 0 when the peer shuts down its side. */
TEST_F(stream, recv_blocking_woken_by_fin)
{
	struct reader r = { .n = -2 };
	pthread_t t;
	int c, s;

	PAIR(&c, &s);
	r.fd = s;
	ASSERT_OK(pthread_create(&t, NULL, reader_thread, &r));
	ASSERT_TRUE(WAIT_UNTIL(r.tid && task_state(r.tid) == 'S'));
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_OK(join_within(t, NULL, WAIT_MS));
	ASSERT_EQ(0, r.n);
}

/* ======================================================================== */
/* flow control                                                             */
/* ======================================================================== */

/*
 * A reader that does not read stops a non-blocking writer with EAGAIN;
 * once it drains, every byte arrives intact and nothing more.
 */
TEST_F_TIMEOUT(stream, flow_control_nonblocking_writer, 120)
{
	static char buf[65536];
	size_t total = 0, got = 0;
	const size_t limit = 256 << 20;
	int c, s;

	PAIR(&c, &s);
	ASSERT_OK(fcntl(c, F_SETFL, O_NONBLOCK));
	for (;;) {
		ssize_t r;

		pat_fill(buf, sizeof(buf), 5, total);
		r = send(c, buf, sizeof(buf), 0);
		if (r < 0) {
			ASSERT_EQ(EAGAIN, errno);
			break;
		}
		total += r;
		if (total > limit)
			TH_LOG("wrote %zu bytes without EAGAIN", total);
		ASSERT_GE(limit, total);
	}
	TH_LOG("EAGAIN after %zu bytes", total);
	ASSERT_LT((size_t)0, total);
	ASSERT_LT(0, outq(c));

	while (got < total) {
		ssize_t r = recv_wait(s, buf, sizeof(buf), 0);
		long long bad;

		if (r <= 0)
			TH_LOG("recv after %zu of %zu bytes: %zd (%s)", got,
			       total, r, strerror(errno));
		ASSERT_LT(0, r);
		bad = pat_check(buf, r, 5, got);
		if (bad >= 0)
			TH_LOG("byte %lld differs", bad);
		ASSERT_EQ(-1, bad);
		got += r;
	}
	ASSERT_EQ(total, got);
	ASSERT_TRUE(WAIT_UNTIL(outq(c) == 0));
	ASSERT_ERRNO(recv(s, buf, 1, MSG_DONTWAIT), EAGAIN);
	ASSERT_MASK(c, M_OUT);
}

/* A blocking writer sleeps while the reader does not read. */
/*
 * Read @s to EOF, checking every byte against @w's pattern; all @w->total
 * of them must come.  Each read waits at most WAIT_MS.
 */
static void read_checked(struct __test_metadata *_metadata, int s,
			 const struct writer *w)
{
	static char buf[65536];
	size_t got = 0;

	for (;;) {
		ssize_t r = recv_wait(s, buf, sizeof(buf), 0);
		long long bad;

		if (r < 0)
			TH_LOG("recv after %zu of %zu bytes (%zu written): %s",
			       got, w->total, (size_t)w->done, strerror(errno));
		ASSERT_LE(0, r);
		if (r == 0)
			break;
		bad = pat_check(buf, r, w->seed, got);
		if (bad >= 0)
			TH_LOG("byte %lld differs", bad);
		ASSERT_EQ(-1, bad);
		got += r;
	}
	ASSERT_EQ(w->total, got);
}

TEST_F_TIMEOUT(stream, flow_control_blocking_writer, 120)
{
	struct writer w = { .total = 32 << 20, .chunk = 65536, .seed = 6,
			    .shut_wr = true };
	pthread_t t;
	int c, s;

	PAIR(&c, &s);
	w.fd = c;
	ASSERT_OK(pthread_create(&t, NULL, writer_thread, &w));
	if (!WAIT_UNTIL(w.tid && task_state(w.tid) == 'S'))
		TH_LOG("writer never slept: %zu of %zu bytes written", w.done,
		       w.total);
	ASSERT_EQ('S', task_state(w.tid));
	TH_LOG("writer blocked after %zu bytes", (size_t)w.done);
	ASSERT_GT(w.total, w.done);

	read_checked(_metadata, s, &w);
	ASSERT_OK(join_within(t, NULL, WAIT_MS));
	ASSERT_EQ(0, w.err);
}

/*
 * Write @total bytes on @c from a thread while reading @s to EOF; every
 * byte must arrive, in order, before the test's timeout.
 */
static void carry_all(struct __test_metadata *_metadata, int c, int s,
		      size_t total, uint64_t seed)
{
	struct writer w = { .fd = c, .total = total, .chunk = 16384,
			    .seed = seed, .shut_wr = true };
	pthread_t t;

	ASSERT_OK(pthread_create(&t, NULL, writer_thread, &w));
	read_checked(_metadata, s, &w);
	ASSERT_OK(join_within(t, NULL, WAIT_MS));
	ASSERT_EQ(0, w.err);
}

/*
 * The smallest receive buffer there is (SO_RCVBUF 4096, from the
 * listener): the window shuts after every few segments, yet a megabyte
 * gets through, as over TCP.
 */
TEST_F_TIMEOUT(stream, small_rcvbuf_carries_everything, 120)
{
	uint16_t port;
	int l = LISTENER(&port, 1), c = SOCK(), s;

	ASSERT_OK(setsockopt(l, SOL_SOCKET, SO_RCVBUF, &(int){ 4096 },
			     sizeof(int)));
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	s = ACCEPT(l);
	carry_all(_metadata, c, s, 1 << 20, 7);
}

/*
 * SO_RCVBUF shrunk after the handshake: the window already offered stays
 * offered, and segments sized for it must not be refused for their
 * memory, or the stream stalls for good.
 */
TEST_F_TIMEOUT(stream, rcvbuf_shrunk_after_connect_carries_everything, 120)
{
	int c, s;

	PAIR(&c, &s);
	ASSERT_OK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &(int){ 4096 },
			     sizeof(int)));
	carry_all(_metadata, c, s, 1 << 20, 8);
}

/* SO_SNDTIMEO bounds a blocked send(), which returns what it queued. */
TEST_F_TIMEOUT(stream, so_sndtimeo_partial_write, 60)
{
	struct timeval tv = { .tv_usec = 100000 };
	size_t n = 64 << 20;
	char *buf = malloc(n);
	ssize_t r;
	int c, s;

	ASSERT_NE(NULL, buf);
	PAIR(&c, &s);
	memset(buf, 'z', n);
	ASSERT_OK(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	r = send(c, buf, n, 0);
	TH_LOG("send of %zu bytes returned %zd", n, r);
	ASSERT_LT(0, r);
	ASSERT_GT((ssize_t)n, r);
	free(buf);
}

/* ======================================================================== */
/* shutdown()                                                               */
/* ======================================================================== */

TEST_F(stream, shutdown_wr_sends_fin)
{
	char b[16];
	int c, s;

	PAIR(&c, &s);
	ASSERT_LEN(send(c, "hello", 5, 0), 5);
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_MASK(c, M_OUT);
	ASSERT_TRUE(wait_fd(s, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	ASSERT_MASK(s, M_EOF | M_OUT);
	ASSERT_LEN(recv(s, b, sizeof(b), 0), 5);
	ASSERT_EQ(0, memcmp(b, "hello", 5));
	ASSERT_LEN(recv(s, b, sizeof(b), 0), 0);
	ASSERT_LEN(recv(s, b, sizeof(b), 0), 0);
	ASSERT_MASK(s, M_EOF | M_OUT);

	/* the shut-down side cannot write ... */
	ASSERT_ERRNO(send(c, "x", 1, 0), EPIPE);
	ASSERT_EQ(1, sigpipes);
	ASSERT_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	ASSERT_EQ(1, sigpipes);

	/* ... but still reads what the other side sends */
	ASSERT_LEN(send(s, "back", 4, 0), 4);
	ASSERT_LEN(recv_wait(c, b, sizeof(b), 0), 4);
	ASSERT_EQ(0, memcmp(b, "back", 4));
	ASSERT_MASK(c, M_OUT);

	/* the other side shuts down too: both see everything closed */
	ASSERT_OK(shutdown(s, SHUT_WR));
	ASSERT_TRUE(wait_fd(c, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	ASSERT_LEN(recv(c, b, sizeof(b), 0), 0);
	ASSERT_MASK(c, M_CLOSED);
	ASSERT_MASK(s, M_CLOSED);
	ASSERT_EQ(0, sock_error(c));
	ASSERT_EQ(0, sock_error(s));
}

TEST_F(stream, shutdown_wr_twice)
{
	int c, s;

	PAIR(&c, &s);
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_MASK(c, M_OUT);
}

TEST_F(stream, shutdown_rd)
{
	char b[8];
	int c, s;

	PAIR(&c, &s);
	ASSERT_OK(shutdown(c, SHUT_RD));
	ASSERT_MASK(c, M_EOF | M_OUT);
	ASSERT_LEN(recv(c, b, sizeof(b), 0), 0);
	/* nothing is sent to the peer, and c can still write */
	ASSERT_MASK(s, M_OUT);
	ASSERT_LEN(send(c, "abc", 3, 0), 3);
	ASSERT_LEN(recv_wait(s, b, sizeof(b), 0), 3);
	ASSERT_EQ(0, memcmp(b, "abc", 3));
	ASSERT_MASK(s, M_OUT);
	ASSERT_EQ(0, sock_error(c));
}

TEST_F(stream, shutdown_rdwr)
{
	char b[8];
	int c, s;

	PAIR(&c, &s);
	ASSERT_OK(shutdown(c, SHUT_RDWR));
	ASSERT_MASK(c, M_CLOSED);
	ASSERT_LEN(recv(c, b, sizeof(b), 0), 0);
	ASSERT_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	ASSERT_TRUE(wait_fd(s, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	ASSERT_MASK(s, M_EOF | M_OUT);
	ASSERT_LEN(recv(s, b, sizeof(b), 0), 0);
}

/* ======================================================================== */
/* close() and resets                                                       */
/* ======================================================================== */

/* close() flushes what was written, then the peer sees EOF: no error. */
TEST_F(stream, close_sends_data_then_eof)
{
	char b[8];
	int c, s;

	PAIR(&c, &s);
	ASSERT_LEN(send(s, "bye", 3, 0), 3);
	untrack_close(self, s);
	ASSERT_TRUE(wait_fd(c, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	ASSERT_MASK(c, M_EOF | M_OUT);
	ASSERT_LEN(recv(c, b, sizeof(b), 0), 3);
	ASSERT_EQ(0, memcmp(b, "bye", 3));
	ASSERT_LEN(recv(c, b, sizeof(b), 0), 0);
	ASSERT_EQ(0, sock_error(c));
}

/* Closing with unread data resets the connection: the peer's recv(). */
TEST_F(stream, close_with_unread_data_resets_recv_first)
{
	char b[8];
	int c, s;

	PAIR(&c, &s);
	ASSERT_LEN(send(c, "unread", 6, 0), 6);
	ASSERT_TRUE(WAIT_UNTIL(inq(s) == 6));
	untrack_close(self, s);
	ASSERT_TRUE(wait_fd(c, POLLIN, WAIT_MS) & POLLERR);
	ASSERT_MASK(c, M_RESET);
	ASSERT_ERRNO(recv(c, b, sizeof(b), 0), ECONNRESET);
	ASSERT_MASK(c, M_CLOSED);
	ASSERT_LEN(recv(c, b, sizeof(b), 0), 0);
	ASSERT_EQ(0, sock_error(c));

	/* writing to a reset connection: EPIPE and SIGPIPE */
	ASSERT_ERRNO(send(c, "x", 1, 0), EPIPE);
	ASSERT_EQ(1, sigpipes);
	ASSERT_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	ASSERT_EQ(1, sigpipes);
	ASSERT_ERRNO(write(c, "x", 1), EPIPE);
	ASSERT_EQ(2, sigpipes);
}

/* ... and when the peer writes first: ECONNRESET (no SIGPIPE), then EPIPE. */
TEST_F(stream, close_with_unread_data_resets_send_first)
{
	int c, s;

	PAIR(&c, &s);
	ASSERT_LEN(send(c, "unread", 6, 0), 6);
	ASSERT_TRUE(WAIT_UNTIL(inq(s) == 6));
	untrack_close(self, s);
	ASSERT_TRUE(wait_fd(c, POLLIN, WAIT_MS) & POLLERR);
	ASSERT_ERRNO(send(c, "x", 1, 0), ECONNRESET);
	ASSERT_EQ(0, sigpipes);
	ASSERT_ERRNO(send(c, "x", 1, 0), EPIPE);
	ASSERT_EQ(1, sigpipes);
}

/*
 * Unread data at close resets the connection in FIN_WAIT2 too (the
 * closer had shut its side already; the peer's data came after), as
 * tcp_close() does in any state.  The peer, in CLOSE_WAIT, then reads
 * EPIPE from the reset, as tcp_reset() reports it there.
 */
TEST_F(stream, close_in_fin_wait2_with_unread_data_resets)
{
	char b[8];
	int c, s;

	PAIR(&c, &s);
	ASSERT_OK(shutdown(s, SHUT_WR));
	ASSERT_LEN(recv_wait(c, b, sizeof(b), 0), 0);	/* the FIN came */
	ASSERT_LEN(send(c, "unread", 6, 0), 6);
	ASSERT_TRUE(WAIT_UNTIL(inq(s) == 6));
	untrack_close(self, s);
	ASSERT_TRUE(wait_fd(c, POLLIN, WAIT_MS) & POLLERR);
	ASSERT_EQ(EPIPE, sock_error(c));
}

/* SO_ERROR reports the reset too, once. */
TEST_F(stream, reset_so_error)
{
	int c, s;

	PAIR(&c, &s);
	ASSERT_LEN(send(c, "unread", 6, 0), 6);
	ASSERT_TRUE(WAIT_UNTIL(inq(s) == 6));
	untrack_close(self, s);
	ASSERT_TRUE(wait_fd(c, POLLIN, WAIT_MS) & POLLERR);
	ASSERT_EQ(ECONNRESET, sock_error(c));
	ASSERT_EQ(0, sock_error(c));
	ASSERT_MASK(c, M_CLOSED);
}

/*
 * Writing into a connection the peer has closed: the first write is sent,
 * the closed peer answers it with a reset, and the next write is EPIPE
 * with SIGPIPE (TCP: the reset arrives in CLOSE_WAIT, so the error is
 * EPIPE, not ECONNRESET).
 */
TEST_F(stream, write_after_peer_close_epipe)
{
	char b[8];
	int c, s;

	PAIR(&c, &s);
	untrack_close(self, s);
	ASSERT_TRUE(wait_fd(c, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	ASSERT_LEN(recv(c, b, sizeof(b), 0), 0);
	ASSERT_MASK(c, M_EOF | M_OUT);
	ASSERT_LEN(send(c, "late", 4, 0), 4);
	ASSERT_TRUE(wait_fd(c, 0, WAIT_MS) & POLLERR);
	ASSERT_MASK(c, M_RESET);
	ASSERT_ERRNO(send(c, "x", 1, 0), EPIPE);
	ASSERT_EQ(1, sigpipes);
	ASSERT_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	ASSERT_EQ(1, sigpipes);
	ASSERT_EQ(0, sock_error(c));
	ASSERT_LEN(recv(c, b, sizeof(b), 0), 0);
}

/* A listener closed with connections it never accepted resets them. */
TEST_F(stream, listener_close_resets_unaccepted)
{
	uint16_t port;
	int l = LISTENER(&port, 4), c1 = SOCK(), c2 = SOCK();
	char b[4];

	ASSERT_OK(fam_connect(&self->f, c1, PEER, port));
	ASSERT_OK(fam_connect(&self->f, c2, PEER, port));
	ASSERT_LEN(send(c2, "data", 4, 0), 4);
	ASSERT_TRUE(wait_fd(l, POLLIN, WAIT_MS) & POLLIN);
	untrack_close(self, l);
	ASSERT_TRUE(wait_fd(c1, POLLIN, WAIT_MS) & POLLERR);
	ASSERT_TRUE(wait_fd(c2, POLLIN, WAIT_MS) & POLLERR);
	ASSERT_MASK(c1, M_RESET);
	ASSERT_MASK(c2, M_RESET);
	ASSERT_ERRNO(recv(c1, b, sizeof(b), 0), ECONNRESET);
	ASSERT_ERRNO(recv(c2, b, sizeof(b), 0), ECONNRESET);
	/* the port is free again */
	l = SOCK();
	ASSERT_OK(fam_bind(&self->f, l, HERE, port));
}

/* ======================================================================== */
/* poll and epoll                                                           */
/* ======================================================================== */

TEST_F(stream, poll_masks_connected)
{
	char b[8];
	int c, s;

	PAIR(&c, &s);
	ASSERT_MASK(c, M_OUT);
	ASSERT_MASK(s, M_OUT);
	ASSERT_LEN(send(c, "ab", 2, 0), 2);
	ASSERT_TRUE(wait_fd(s, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_MASK(s, M_IN | M_OUT);
	ASSERT_MASK(c, M_OUT);
	ASSERT_LEN(recv(s, b, sizeof(b), 0), 2);
	ASSERT_MASK(s, M_OUT);
}

static int epoll_events(int ep, int fd, int ms)
{
	struct epoll_event ev[4];
	int n = epoll_wait(ep, ev, 4, ms), i;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (ev[i].data.fd == fd)
			return ev[i].events;
	return 0;
}

/* Wait up to WAIT_MS for an epoll event on @fd that includes @want. */
static int epoll_wait_for(int ep, int fd, uint32_t want)
{
	long long deadline = now_ms() + WAIT_MS;
	int e;

	do {
		e = epoll_events(ep, fd, 100);
		if (e < 0 || (e & want) == want)
			return e;
	} while (now_ms() < deadline);
	return e;
}

TEST_F(stream, epoll_events)
{
	struct epoll_event ev = { 0 };
	uint16_t port;
	int l = LISTENER(&port, 4), c = SOCK(), s, ep, s2;
	char b[8];

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	track(_metadata, self, ep);

	/* a listener: EPOLLIN when a connection waits */
	ev.events = EPOLLIN;
	ev.data.fd = l;
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
	ASSERT_EQ(0, epoll_events(ep, l, 0));
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	ASSERT_EQ(EPOLLIN, epoll_wait_for(ep, l, EPOLLIN));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	track(_metadata, self, s);
	ASSERT_EQ(0, epoll_events(ep, l, 0));

	/* a connected socket, level-triggered */
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	ev.data.fd = s;
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
	ASSERT_EQ(EPOLLOUT, epoll_events(ep, s, 0));
	ASSERT_LEN(send(c, "x", 1, 0), 1);
	ASSERT_EQ(EPOLLIN | EPOLLOUT, epoll_wait_for(ep, s, EPOLLIN));
	ASSERT_EQ(EPOLLIN | EPOLLOUT, epoll_events(ep, s, 0));
	ASSERT_LEN(recv(s, b, sizeof(b), 0), 1);
	ASSERT_EQ(EPOLLOUT, epoll_events(ep, s, 0));
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_EQ(EPOLLIN | EPOLLOUT | EPOLLRDHUP,
		  epoll_wait_for(ep, s, EPOLLRDHUP));
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL));

	/* edge-triggered: one event per arrival, not per poll */
	ASSERT_OK(shutdown(s, SHUT_WR));
	PAIR(&c, &s2);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = s2;
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, s2, &ev));
	ASSERT_EQ(0, epoll_events(ep, s2, 0));
	ASSERT_LEN(send(c, "1", 1, 0), 1);
	ASSERT_EQ(EPOLLIN, epoll_wait_for(ep, s2, EPOLLIN));
	ASSERT_EQ(0, epoll_events(ep, s2, 0));
	ASSERT_LEN(send(c, "2", 1, 0), 1);
	ASSERT_EQ(EPOLLIN, epoll_wait_for(ep, s2, EPOLLIN));
	ASSERT_TRUE(WAIT_UNTIL(inq(s2) == 2));
}

/* ======================================================================== */
/* Nagle's algorithm: TOY_NODELAY (TCP_NODELAY) and MSG_MORE                */
/* ======================================================================== */

static inline int nodelay_level(const struct fam *f)
{
	return f->toy ? SOL_TOY : IPPROTO_TCP;
}

static inline int nodelay_name(const struct fam *f)
{
	return f->toy ? TOY_NODELAY : TCP_NODELAY;
}

/*
 * With option @opt at @lvl set to 1 on a listener, the socket it accepts
 * starts with 1, and the client that connected keeps its default 0.
 */
static void expect_inherited(struct __test_metadata *_metadata,
			     FIXTURE_DATA(stream) *self, int lvl, int opt)
{
	int l, c, a, v;
	uint16_t port;

	l = LISTENER(&port, 4);
	ASSERT_OK(setsockopt_int(l, lvl, opt, 1));
	c = SOCK();
	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	a = ACCEPT(l);
	ASSERT_OK(getsockopt_int(a, lvl, opt, &v));
	ASSERT_EQ(1, v);
	ASSERT_OK(getsockopt_int(c, lvl, opt, &v));
	ASSERT_EQ(0, v);
}

/*
 * TOY_NODELAY is TCP_NODELAY: off by default, any non-zero int turns it
 * on, a value shorter than an int is EINVAL, an unknown option of the
 * level ENOPROTOOPT, a short buffer gets the first bytes, and an accepted
 * socket inherits its listener's.
 */
TEST_F_LOCAL(stream, nodelay_option)
{
	int lvl = nodelay_level(&self->f), opt = nodelay_name(&self->f);
	int s = SOCK(), v;
	socklen_t len;
	short sh = 1;
	char b = 0;

	ASSERT_OK(getsockopt_int(s, lvl, opt, &v));
	ASSERT_EQ(0, v);
	ASSERT_OK(setsockopt_int(s, lvl, opt, 7));
	ASSERT_OK(getsockopt_int(s, lvl, opt, &v));
	ASSERT_EQ(1, v);
	len = 1;
	ASSERT_OK(getsockopt(s, lvl, opt, &b, &len));
	ASSERT_EQ(1U, len);
	ASSERT_EQ(1, b);
	ASSERT_OK(setsockopt_int(s, lvl, opt, 0));
	ASSERT_OK(getsockopt_int(s, lvl, opt, &v));
	ASSERT_EQ(0, v);
	ASSERT_ERRNO(setsockopt(s, lvl, opt, &sh, sizeof(sh)), EINVAL);
	ASSERT_ERRNO(setsockopt(s, lvl, opt, (void *)8, sizeof(int)), EFAULT);
	ASSERT_ERRNO(setsockopt_int(s, lvl, 9999, 1), ENOPROTOOPT);
	ASSERT_ERRNO(getsockopt_int(s, lvl, 9999, &v), ENOPROTOOPT);
	expect_inherited(_metadata, self, lvl, opt);
}

/*
 * TOY_QUICKACK is TCP_QUICKACK's number and values: any non-zero int
 * turns it on, 0 off, a value shorter than an int is EINVAL.  Unlike
 * TCP's, which is on until the connection looks interactive and is not
 * inherited, AF_TOY's is off by default, stays as set, and an accepted
 * socket inherits its listener's (toy.7).
 */
TEST_F_LOCAL(stream, quickack_option)
{
	int lvl = nodelay_level(&self->f);
	int opt = self->f.toy ? TOY_QUICKACK : TCP_QUICKACK;
	int s = SOCK(), v;
	short sh = 1;

	ASSERT_OK(setsockopt_int(s, lvl, opt, 7));
	ASSERT_OK(getsockopt_int(s, lvl, opt, &v));
	ASSERT_EQ(1, v);
	ASSERT_OK(setsockopt_int(s, lvl, opt, 0));
	ASSERT_OK(getsockopt_int(s, lvl, opt, &v));
	ASSERT_EQ(0, v);
	ASSERT_ERRNO(setsockopt(s, lvl, opt, &sh, sizeof(sh)), EINVAL);
	ASSERT_ERRNO(setsockopt(s, lvl, opt, (void *)8, sizeof(int)), EFAULT);
	if (!self->f.toy)
		return;

	ASSERT_OK(getsockopt_int(SOCK(), lvl, opt, &v));
	ASSERT_EQ(0, v);
	expect_inherited(_metadata, self, lvl, opt);
}

/*
 * MSG_MORE holds a short segment back even with nothing in flight: the
 * bytes stay unsent (SIOCOUTQNSD) until a send without the flag, which
 * sends them and its own at once.
 */
TEST_F_LOCAL(stream, msg_more_holds_until_next_send)
{
	char buf[150], got[150];
	int c, s;

	PAIR(&c, &s);
	pat_fill(buf, sizeof(buf), 11, 0);
	ASSERT_LEN(send(c, buf, 100, MSG_MORE), 100);
	ASSERT_EQ(100, outq_unsent(c));
	ASSERT_EQ(100, outq(c));
	ASSERT_LEN(send(c, buf + 100, 50, 0), 50);
	ASSERT_EQ(0, outq_unsent(c));
	ASSERT_LEN(recv(s, got, sizeof(got), MSG_WAITALL), sizeof(got));
	ASSERT_EQ(0, memcmp(buf, got, sizeof(buf)));
}

/*
 * Bytes held by MSG_MORE are not held for ever when no send follows:
 * the timer sends them (TCP's probe timer does, after about 200 ms).
 */
TEST_F_LOCAL(stream, msg_more_alone_is_sent_in_time)
{
	char buf[100], got[100];
	int c, s;

	PAIR(&c, &s);
	pat_fill(buf, sizeof(buf), 12, 0);
	ASSERT_LEN(send(c, buf, sizeof(buf), MSG_MORE), sizeof(buf));
	ASSERT_TRUE(wait_fd(s, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_LEN(recv(s, got, sizeof(got), MSG_WAITALL), sizeof(got));
	ASSERT_EQ(0, memcmp(buf, got, sizeof(buf)));
	ASSERT_EQ(0, outq_unsent(c));
}

/* Put "netem delay" on the device the test's frames cross (toy0 or lo). */
static inline int nagle_delay(const struct fam *f, bool on)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd),
		 on ? "tc qdisc replace dev %s root netem delay 2s" :
		      "tc qdisc del dev %s root 2>/dev/null",
		 f->toy ? "toy0" : "lo");
	return system(cmd);
}

/*
 * Nagle proper: while a segment is unacknowledged (netem delays every
 * frame by 2 s, so the round trip is 4 s), a second short write waits
 * unsent; with TOY_NODELAY it goes at once.  Every byte arrives either
 * way.  Needs root and the VM: it puts netem on toy0 or lo.
 */
TEST_F_LOCAL(stream, nagle_holds_short_write_while_unacked)
{
	int lvl = nodelay_level(&self->f), opt = nodelay_name(&self->f);
	char buf[40], got[40];
	int c, s, held, sent;

	if (geteuid() || !getenv("AF_TOY_VM"))
		SKIP(return, "needs root in the VM: it puts netem on %s",
		     self->f.toy ? "toy0" : "lo");
	PAIR(&c, &s);
	pat_fill(buf, sizeof(buf), 13, 0);
	ASSERT_EQ(0, nagle_delay(&self->f, true));
	/* Nagle on: the second write waits for the first one's ACK. */
	EXPECT_EQ(10, send(c, buf, 10, 0));
	EXPECT_EQ(10, send(c, buf + 10, 10, 0));
	held = outq_unsent(c);
	/* TOY_NODELAY on: it goes while the first two are in flight. */
	EXPECT_EQ(0, setsockopt_int(c, lvl, opt, 1));
	EXPECT_EQ(20, send(c, buf + 20, 20, 0));
	sent = outq_unsent(c);
	EXPECT_EQ((ssize_t)sizeof(got),
		  recv(s, got, sizeof(got), MSG_WAITALL));
	nagle_delay(&self->f, false);
	ASSERT_EQ(10, held);
	ASSERT_EQ(0, sent);
	ASSERT_EQ(0, memcmp(buf, got, sizeof(buf)));
}

/* ======================================================================== */
/* /proc/net/toy (AF_TOY) and /proc/net/tcp (TCP): the same state numbers   */
/* ======================================================================== */

TEST_F_LOCAL(stream, proc_states)
{
	struct pent e;
	uint16_t port, cport;
	char buf[100];
	int l = LISTENER(&port, 4), c = SOCK(), s;

	ASSERT_OK(proc_find(&self->f, port, 0, -1, &e));
	ASSERT_EQ(ST_LISTEN, e.st);
	ASSERT_STREQ("STREAM", e.type);
	if (variant->toy)
		ASSERT_EQ(sock_ino(l), e.ino);

	ASSERT_OK(fam_connect(&self->f, c, PEER, port));
	cport = local_port(c);
	s = ACCEPT(l);
	ASSERT_OK(proc_find(&self->f, cport, port, -1, &e));
	ASSERT_EQ(ST_ESTABLISHED, e.st);
	ASSERT_EQ(sock_ino(c), e.ino);
	ASSERT_STREQ("STREAM", e.type);
	ASSERT_OK(proc_find(&self->f, port, cport, -1, &e));
	ASSERT_EQ(ST_ESTABLISHED, e.st);
	ASSERT_EQ(sock_ino(s), e.ino);

	/* unread bytes show in rx_queue (TCP: exactly the byte count) */
	memset(buf, 'q', sizeof(buf));
	ASSERT_LEN(send(c, buf, sizeof(buf), 0), sizeof(buf));
	ASSERT_TRUE(WAIT_UNTIL(inq(s) == (int)sizeof(buf)));
	ASSERT_OK(proc_find(&self->f, port, cport, -1, &e));
	TH_LOG("rx_queue with %zu bytes unread: %u", sizeof(buf), e.rxq);
	ASSERT_LE(sizeof(buf), e.rxq);
	ASSERT_LEN(recv(s, buf, sizeof(buf), 0), sizeof(buf));
	ASSERT_TRUE(WAIT_UNTIL(!proc_find(&self->f, port, cport, -1, &e) &&
			       e.rxq == 0));
	ASSERT_TRUE(WAIT_UNTIL(!proc_find(&self->f, cport, port, -1, &e) &&
			       e.txq == 0));

	/* half close: FIN_WAIT2 and CLOSE_WAIT */
	ASSERT_OK(shutdown(c, SHUT_WR));
	if (!WAIT_UNTIL(!proc_find(&self->f, cport, port, ST_FIN_WAIT2, &e)))
		TH_LOG("client: state %#x, want FIN_WAIT2",
		       proc_find(&self->f, cport, port, -1, &e) ? 0 : e.st);
	ASSERT_OK(proc_find(&self->f, cport, port, ST_FIN_WAIT2, &e));
	ASSERT_TRUE(WAIT_UNTIL(!proc_find(&self->f, port, cport,
					  ST_CLOSE_WAIT, &e)));

	/* the active closer ends in TIME_WAIT */
	untrack_close(self, s);
	if (!WAIT_UNTIL(!proc_find(&self->f, cport, port, ST_TIME_WAIT, &e)))
		TH_LOG("client: state %#x, want TIME_WAIT",
		       proc_find(&self->f, cport, port, -1, &e) ? 0 : e.st);
	ASSERT_OK(proc_find(&self->f, cport, port, ST_TIME_WAIT, &e));
	/* and the passive closer is gone once its FIN is acknowledged */
	ASSERT_TRUE(WAIT_UNTIL(proc_find(&self->f, port, cport, -1, &e)));
}

/*
 * An orphan in FIN_WAIT2 (closed after its FIN was acknowledged, the peer
 * still open) is forgotten after 10 s, as TCP's after tcp_fin_timeout:
 * a peer that never closes cannot pin it.  Waited for with tenfold
 * headroom.
 */
TEST_F_TIMEOUT(stream, orphan_in_fin_wait2_goes_after_fin_timeout, 300)
{
	long long deadline;
	uint16_t cport, sport;
	struct pent e;
	char b;
	int c, s;

	if (!variant->toy)
		SKIP(return, "TCP's limit is net.ipv4.tcp_fin_timeout, 60 s");
	PAIR(&c, &s);
	cport = local_port(c);
	sport = local_port(s);
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_LEN(recv_wait(s, &b, 1, 0), 0);	/* s has the FIN */
	ASSERT_TRUE(WAIT_UNTIL(!proc_find(&self->f, cport, sport,
					  ST_FIN_WAIT2, &e)));
	untrack_close(self, c);
	deadline = now_ms() + 10 * 10000;
	while (!proc_find(&self->f, cport, sport, -1, &e) &&
	       now_ms() < deadline)
		tiny_pause();
	ASSERT_NE(0, proc_find(&self->f, cport, sport, -1, &e))
		TH_LOG("the orphan is still there, state %#x", e.st);
}

/* ======================================================================== */
/* SOCK_SEQPACKET: AF_TOY and AF_UNIX                                       */
/* ======================================================================== */

FIXTURE(seqpacket) {
	struct fam f;
	int fds[MAX_FDS];
	int nfds;
};

FIXTURE_VARIANT(seqpacket) {
	bool toy;
	bool remote;		/* the listener on another node */
	int max_record;		/* larger records are EMSGSIZE; 0: no check */
};

#ifndef TOY_REMOTE
FIXTURE_VARIANT_ADD(seqpacket, toy) {
	.toy = true,
	.max_record = TOY_MAX_PAYLOAD,
};

FIXTURE_VARIANT_ADD(seqpacket, unix) {
	.toy = false,
	.max_record = 0,	/* AF_UNIX's limit is the send buffer */
};
#else
/* AF_UNIX has no other node: across a link the toy runs alone. */
FIXTURE_VARIANT_ADD(seqpacket, toy_link) {
	.toy = true,
	.remote = true,
	.max_record = NODE_LINK_PAYLOAD,	/* a record is never split */
};
#endif

FIXTURE_SETUP(seqpacket)
{
	char why[128];
	int fd;

	self->nfds = 0;
	count_sigpipe();
	if (variant->toy && !toy_module_loaded())
		SETUP_SKIP("af_toy.ko is not loaded (no %s)", TOY_SYSFS_MODULE);
	fam_init(&self->f, variant->toy);
	if (!variant->toy)
		self->f.family = AF_UNIX;
	fd = socket(self->f.family, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 && variant->toy &&
	    (errno == ESOCKTNOSUPPORT || errno == EAFNOSUPPORT))
		SETUP_SKIP("socket(%d, SOCK_SEQPACKET, 0): %s: af_toy.ko has no seqpacket sockets",
			   self->f.family, strerror(errno));
	ASSERT_LE(0, fd);
	close(fd);
	if (variant->remote && fam_two_nodes(&self->f, why, sizeof(why)))
		SETUP_SKIP("%s", why);
}

FIXTURE_TEARDOWN(seqpacket)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
}

static int sp_track(struct __test_metadata *_metadata,
		    FIXTURE_DATA(seqpacket) *self, int fd)
{
	ASSERT_LE(0, fd);
	ASSERT_GT(MAX_FDS, self->nfds);
	self->fds[self->nfds++] = fd;
	return fd;
}

/* A connected SOCK_SEQPACKET pair through listen/connect/accept. */
static void sp_pair(struct __test_metadata *_metadata,
		    FIXTURE_DATA(seqpacket) *self, int *c, int *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int l = sp_track(_metadata, self,
			 self->f.toy ? fam_peer_socket(&self->f, SOCK_SEQPACKET) :
			 socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));

	if (self->f.toy) {
		ASSERT_OK(fam_bind(&self->f, l, PEER, 0));
	} else {
		sa_family_t af = AF_UNIX;

		/* an autobound abstract name */
		ASSERT_OK(bind(l, (struct sockaddr *)&af, sizeof(af)));
	}
	ASSERT_OK(listen(l, 4));
	ASSERT_OK(getsockname(l, SA(&ss), &len));
	*c = sp_track(_metadata, self,
		      socket(self->f.family, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
	ASSERT_OK(connect(*c, SA(&ss), len));
	ASSERT_TRUE(wait_fd(l, POLLIN, WAIT_MS) & POLLIN);
	*s = sp_track(_metadata, self, accept4(l, NULL, NULL, SOCK_CLOEXEC));
}

TEST_F(seqpacket, socket_type)
{
	int c, s, v;

	ASSERT_ERRNO(socket(self->f.family, SOCK_SEQPACKET, IPPROTO_TCP),
		     EPROTONOSUPPORT);
	sp_pair(_metadata, self, &c, &s);
	ASSERT_OK(getsockopt_int(c, SOL_SOCKET, SO_TYPE, &v));
	ASSERT_EQ(SOCK_SEQPACKET, v);
	ASSERT_OK(getsockopt_int(s, SOL_SOCKET, SO_TYPE, &v));
	ASSERT_EQ(SOCK_SEQPACKET, v);
	ASSERT_OK(getsockopt_int(s, SOL_SOCKET, SO_DOMAIN, &v));
	ASSERT_EQ(self->f.family, v);
}

/* Two sends are two receives, even with room for both. */
TEST_F(seqpacket, boundaries_preserved)
{
	char b[100];
	int c, s;

	sp_pair(_metadata, self, &c, &s);
	ASSERT_LEN(send(c, "abc", 3, 0), 3);
	ASSERT_LEN(send(c, "defgh", 5, 0), 5);
	ASSERT_LEN(send(c, "i", 1, 0), 1);
	ASSERT_LEN(recv_wait(s, b, sizeof(b), MSG_PEEK), 3);
	ASSERT_LEN(recv_wait(s, b, sizeof(b), 0), 3);
	ASSERT_EQ(0, memcmp(b, "abc", 3));
	ASSERT_LEN(recv_wait(s, b, sizeof(b), 0), 5);
	ASSERT_EQ(0, memcmp(b, "defgh", 5));
	ASSERT_LEN(recv_wait(s, b, sizeof(b), 0), 1);
	ASSERT_EQ('i', b[0]);
	ASSERT_ERRNO(recv(s, b, sizeof(b), MSG_DONTWAIT), EAGAIN);
}

/* A short buffer truncates the record (MSG_TRUNC) and loses its rest. */
TEST_F(seqpacket, short_buffer_truncates)
{
	struct msghdr mh = { 0 };
	struct iovec iov;
	char b[100];
	int c, s;

	sp_pair(_metadata, self, &c, &s);
	ASSERT_LEN(send(c, "0123456789", 10, 0), 10);
	ASSERT_LEN(send(c, "xy", 2, 0), 2);
	ASSERT_TRUE(wait_fd(s, POLLIN, WAIT_MS) & POLLIN);
	iov.iov_base = b;
	iov.iov_len = 4;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	ASSERT_LEN(recvmsg(s, &mh, 0), 4);
	ASSERT_TRUE(mh.msg_flags & MSG_TRUNC);
	ASSERT_EQ(0, memcmp(b, "0123", 4));
	iov.iov_len = sizeof(b);
	mh.msg_flags = 0;
	ASSERT_LEN(recvmsg(s, &mh, MSG_DONTWAIT), 2);
	ASSERT_FALSE(mh.msg_flags & MSG_TRUNC);
	ASSERT_EQ(0, memcmp(b, "xy", 2));

	/* MSG_TRUNC as a flag: the record's real length */
	ASSERT_LEN(send(c, "0123456789", 10, 0), 10);
	ASSERT_LEN(recv_wait(s, b, 4, MSG_TRUNC), 10);
	ASSERT_ERRNO(recv(s, b, sizeof(b), MSG_DONTWAIT), EAGAIN);
}

TEST_F(seqpacket, largest_record)
{
	/* 65503 (1468 across a link); AF_UNIX takes that too */
	const size_t max = variant->max_record ?: TOY_MAX_PAYLOAD;
	static char buf[70000], got[70000];
	int c, s;

	sp_pair(_metadata, self, &c, &s);
	pat_fill(buf, sizeof(buf), 9, 0);
	ASSERT_LEN(send(c, buf, max, 0), max);
	ASSERT_LEN(recv_wait(s, got, sizeof(got), 0), max);
	ASSERT_EQ(0, memcmp(buf, got, max));
	if (!variant->max_record)
		return;
	ASSERT_ERRNO(send(c, buf, variant->max_record + 1, 0), EMSGSIZE);
	ASSERT_ERRNO(send(c, buf, sizeof(buf), MSG_DONTWAIT), EMSGSIZE);
	ASSERT_ERRNO(recv(s, got, sizeof(got), MSG_DONTWAIT), EAGAIN);
}

TEST_F(seqpacket, many_records_in_order)
{
	static char buf[300], got[300];
	int c, s, i;

	sp_pair(_metadata, self, &c, &s);
	for (i = 1; i <= 200; i++) {
		pat_fill(buf, i, 10, i * 1000);
		ASSERT_LEN(send(c, buf, i, 0), i);
	}
	for (i = 1; i <= 200; i++) {
		ASSERT_LEN(recv_wait(s, got, sizeof(got), 0), i);
		ASSERT_EQ(-1, pat_check(got, i, 10, i * 1000));
	}
}

TEST_F(seqpacket, eof_after_records)
{
	char b[16];
	int c, s;

	sp_pair(_metadata, self, &c, &s);
	ASSERT_LEN(send(c, "one", 3, 0), 3);
	ASSERT_LEN(send(c, "two", 3, 0), 3);
	ASSERT_OK(shutdown(c, SHUT_WR));
	ASSERT_LEN(recv_wait(s, b, sizeof(b), 0), 3);
	ASSERT_LEN(recv_wait(s, b, sizeof(b), 0), 3);
	ASSERT_EQ(0, memcmp(b, "two", 3));
	ASSERT_LEN(recv_wait(s, b, sizeof(b), 0), 0);
	/* the other direction still works */
	ASSERT_LEN(send(s, "back", 4, 0), 4);
	ASSERT_LEN(recv_wait(c, b, sizeof(b), 0), 4);
	ASSERT_ERRNO(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
}

TEST_F(seqpacket, proc_type)
{
	struct pent e;
	int c, s;

	if (!variant->toy)
		SKIP(return, "AF_TOY only: /proc/net/toy");
	sp_pair(_metadata, self, &c, &s);
	ASSERT_OK(proc_find(&self->f, local_port(c), local_port(s), -1, &e));
	ASSERT_EQ(ST_ESTABLISHED, e.st);
	ASSERT_STREQ("SEQPACKET", e.type);
	ASSERT_EQ(sock_ino(c), e.ino);
}

TEST_HARNESS_MAIN
