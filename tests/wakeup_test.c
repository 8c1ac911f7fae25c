// SPDX-License-Identifier: GPL-2.0
/*
 * wakeup_test.c - every blocking call, woken by the event that should
 * wake it, for each AF_TOY socket type.
 *
 * A lost wake-up does not fail a test that never sleeps: it hangs the
 * one that does.  So each test here starts the call in a thread, checks
 * that the thread really is asleep in the kernel (its state in
 * /proc/self/task/TID/stat is 'S'), makes the event happen, and checks
 * that the call returns, with the right result, within WAIT_MS.  Every
 * blocking call also has SO_RCVTIMEO/SO_SNDTIMEO set to twice that, so
 * a lost wake-up shows as a failure, not as a hung suite.
 *
 *   recv       woken by data, by the peer's FIN (0), by shutdown(SHUT_RD)
 *   send       woken when the reader frees room (stream, seqpacket)
 *   accept     woken by a connection
 *   connect    woken when the listener's full queue makes room
 *   poll       POLLIN woken by data, POLLOUT woken by room
 */
#include "stream_fixture.h"

FIXTURE(wake) {
	struct fam f;
	int fds[8];
	int nfds;
};

FIXTURE_VARIANT(wake) {
	int type;
};

FIXTURE_VARIANT_ADD(wake, dgram) { .type = SOCK_DGRAM };
FIXTURE_VARIANT_ADD(wake, stream) { .type = SOCK_STREAM };
FIXTURE_VARIANT_ADD(wake, seqpacket) { .type = SOCK_SEQPACKET };

FIXTURE_SETUP(wake)
{
	self->nfds = 0;
	if (!toy_module_loaded())
		SETUP_SKIP("af_toy.ko is not loaded");
	fam_init(&self->f, true);
}

FIXTURE_TEARDOWN(wake)
{
	while (self->nfds)
		close(self->fds[--self->nfds]);
}

static int wk_track(FIXTURE_DATA(wake) *self, int fd)
{
	struct timeval tv = { .tv_sec = 2 * WAIT_MS / 1000 };

	if (fd >= 0) {
		/* A lost wake-up fails the test instead of hanging it. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		self->fds[self->nfds++] = fd;
	}
	return fd;
}

/* Two connected sockets of the variant's type: *a and *b. */
static void wk_pair(struct __test_metadata *_metadata,
		    FIXTURE_DATA(wake) *self, int type, int *a, int *b)
{
	int l, p;

	*a = wk_track(self, fam_socket(&self->f, type));
	ASSERT_LE(0, *a);
	ASSERT_OK(fam_bind(&self->f, *a, INADDR_LOOPBACK, 0));
	p = local_port(*a);
	if (type == SOCK_DGRAM) {
		*b = wk_track(self, fam_socket(&self->f, type));
		ASSERT_LE(0, *b);
		ASSERT_OK(fam_connect(&self->f, *b, INADDR_LOOPBACK, p));
		ASSERT_OK(fam_connect(&self->f, *a, INADDR_LOOPBACK,
				      local_port(*b)));
		return;
	}
	l = *a;
	/* The accepted socket acknowledges every segment at once, so that
	 * when wk_fill() sees EAGAIN every ACK is in: a delayed one, a tick
	 * later, would free room without any reader and let a send that must
	 * wait go through.
	 */
	ASSERT_OK(setsockopt(l, SOL_TOY, TOY_QUICKACK, &(int){ 1 }, sizeof(int)));
	ASSERT_OK(listen(l, 4));
	*b = wk_track(self, fam_socket(&self->f, type));
	ASSERT_OK(fam_connect(&self->f, *b, INADDR_LOOPBACK, p));
	*a = wk_track(self, accept(l, NULL, NULL));
	ASSERT_LE(0, *a);
}

/* ---- a call in a thread ------------------------------------------------ */

enum wk_op { WK_RECV, WK_SEND, WK_ACCEPT, WK_CONNECT, WK_POLLIN, WK_POLLOUT };

struct wk_call {
	enum wk_op op;
	int fd;
	uint16_t port;		/* WK_CONNECT */
	const struct fam *f;	/* WK_CONNECT */
	size_t len;		/* WK_SEND */
	_Atomic pid_t tid;
	_Atomic bool done;
	long ret;
	int err;
};

static void *wk_thread(void *arg)
{
	struct wk_call *c = arg;
	static char buf[1 << 16];
	struct pollfd p = { .fd = c->fd };

	c->tid = gettid();
	switch (c->op) {
	case WK_RECV:
		c->ret = recv(c->fd, buf, sizeof(buf), 0);
		break;
	case WK_SEND:
		c->ret = send(c->fd, buf, c->len, MSG_NOSIGNAL);
		break;
	case WK_ACCEPT:
		c->ret = accept(c->fd, NULL, NULL);
		break;
	case WK_CONNECT:
		c->ret = fam_connect(c->f, c->fd, INADDR_LOOPBACK, c->port);
		break;
	case WK_POLLIN:
	case WK_POLLOUT:
		p.events = c->op == WK_POLLIN ? POLLIN : POLLOUT;
		c->ret = poll(&p, 1, 2 * WAIT_MS);
		if (c->ret > 0)
			c->ret = p.revents;
		break;
	}
	c->err = errno;
	c->done = true;
	return NULL;
}

/* Start @c and wait until it sleeps in the kernel; returns the thread. */
#define WK_START(c, t) do {						\
	ASSERT_OK(pthread_create(&(t), NULL, wk_thread, &(c)));		\
	ASSERT_TRUE(WAIT_UNTIL((c).tid && task_state((c).tid) == 'S'));	\
	ASSERT_FALSE((c).done);						\
} while (0)

#define WK_JOIN(c, t) ASSERT_OK(join_within((t), NULL, WAIT_MS))

/* Fill @fd's path to its peer until a non-blocking send would block. */
static void wk_fill(struct __test_metadata *_metadata, int fd, int type)
{
	static char buf[1 << 15];
	long long deadline = now_ms() + WAIT_MS;
	size_t n = type == SOCK_SEQPACKET ? 1024 : sizeof(buf);

	while (send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		ASSERT_GT(deadline, now_ms());
	ASSERT_EQ(EAGAIN, errno);
}

/* Read whatever arrives on @fd until *@done, for at most WAIT_MS. */
static void wk_drain(int fd, char *buf, size_t n, _Atomic bool *done)
{
	long long deadline = now_ms() + WAIT_MS;

	while (!*done && now_ms() < deadline)
		if (recv(fd, buf, n, MSG_DONTWAIT) < 0 && errno == EAGAIN)
			wait_fd(fd, POLLIN, 100);
}

/* ---- recv ------------------------------------------------------------- */

TEST_F(wake, recv_woken_by_data)
{
	struct wk_call c = { .op = WK_RECV };
	pthread_t t;
	int a, b;

	wk_pair(_metadata, self, variant->type, &a, &b);
	c.fd = a;
	WK_START(c, t);
	ASSERT_EQ(5, send(b, "hello", 5, 0));
	WK_JOIN(c, t);
	ASSERT_EQ(5, c.ret);
}

TEST_F(wake, recv_woken_by_peer_fin)
{
	struct wk_call c = { .op = WK_RECV };
	pthread_t t;
	int a, b;

	if (variant->type == SOCK_DGRAM)
		SKIP(return, "a datagram socket has no FIN");
	wk_pair(_metadata, self, variant->type, &a, &b);
	c.fd = a;
	WK_START(c, t);
	ASSERT_OK(shutdown(b, SHUT_WR));
	WK_JOIN(c, t);
	ASSERT_EQ(0, c.ret);
}

TEST_F(wake, recv_woken_by_shutdown_rd)
{
	struct wk_call c = { .op = WK_RECV };
	pthread_t t;
	int a, b;

	wk_pair(_metadata, self, variant->type, &a, &b);
	c.fd = a;
	WK_START(c, t);
	ASSERT_OK(shutdown(a, SHUT_RD));
	WK_JOIN(c, t);
	ASSERT_EQ(0, c.ret);
}

/* ---- send ------------------------------------------------------------- */

TEST_F(wake, send_woken_by_reader)
{
	struct wk_call c = { .op = WK_SEND, .len = 1024 };
	static char buf[1 << 16];
	pthread_t t;
	int a, b;

	if (variant->type == SOCK_DGRAM)
		SKIP(return, "a datagram sender never waits for its reader");
	wk_pair(_metadata, self, variant->type, &a, &b);
	wk_fill(_metadata, b, variant->type);
	c.fd = b;
	WK_START(c, t);
	/* The reader drains what comes; the writer must get room. */
	wk_drain(a, buf, sizeof(buf), &c.done);
	WK_JOIN(c, t);
	ASSERT_EQ(1024, c.ret);
}

/* ---- accept and connect ------------------------------------------------ */

TEST_F(wake, accept_woken_by_connect)
{
	struct wk_call c = { .op = WK_ACCEPT };
	int l, s;
	pthread_t t;

	if (variant->type == SOCK_DGRAM)
		SKIP(return, "no accept on a datagram socket");
	l = wk_track(self, fam_socket(&self->f, variant->type));
	ASSERT_OK(fam_bind(&self->f, l, INADDR_LOOPBACK, 0));
	ASSERT_OK(listen(l, 4));
	c.fd = l;
	WK_START(c, t);
	s = wk_track(self, fam_socket(&self->f, variant->type));
	ASSERT_OK(fam_connect(&self->f, s, INADDR_LOOPBACK, local_port(l)));
	WK_JOIN(c, t);
	ASSERT_LE(0, c.ret);
	close(c.ret);
}

/*
 * The listener's queue is full, so the SYN is dropped and connect()
 * sleeps; accepting the queued connection makes room, and the client's
 * retransmitted SYN gets through and wakes it.
 */
TEST_F(wake, connect_woken_when_queue_has_room)
{
	struct wk_call c = { .op = WK_CONNECT };
	int l, first, s;
	pthread_t t;

	if (variant->type == SOCK_DGRAM)
		SKIP(return, "a datagram connect never waits");
	l = wk_track(self, fam_socket(&self->f, variant->type));
	ASSERT_OK(fam_bind(&self->f, l, INADDR_LOOPBACK, 0));
	ASSERT_OK(listen(l, 0));
	first = wk_track(self, fam_socket(&self->f, variant->type));
	ASSERT_OK(fam_connect(&self->f, first, INADDR_LOOPBACK,
			      local_port(l)));
	ASSERT_TRUE(wait_fd(l, POLLIN, WAIT_MS) & POLLIN);	/* full */
	c.fd = wk_track(self, fam_socket(&self->f, variant->type));
	c.f = &self->f;
	c.port = local_port(l);
	WK_START(c, t);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(s);
	WK_JOIN(c, t);
	ASSERT_EQ(0, c.ret);
}

/* ---- poll --------------------------------------------------------------- */

TEST_F(wake, poll_in_woken_by_data)
{
	struct wk_call c = { .op = WK_POLLIN };
	pthread_t t;
	int a, b;

	wk_pair(_metadata, self, variant->type, &a, &b);
	c.fd = a;
	WK_START(c, t);
	ASSERT_EQ(1, send(b, "x", 1, 0));
	WK_JOIN(c, t);
	ASSERT_TRUE(c.ret & POLLIN);
}

TEST_F(wake, poll_out_woken_by_reader)
{
	struct wk_call c = { .op = WK_POLLOUT };
	static char buf[1 << 16];
	pthread_t t;
	int a, b;

	if (variant->type == SOCK_DGRAM)
		SKIP(return, "a datagram socket is writable at once");
	wk_pair(_metadata, self, variant->type, &a, &b);
	wk_fill(_metadata, b, variant->type);
	c.fd = b;
	WK_START(c, t);
	wk_drain(a, buf, sizeof(buf), &c.done);
	WK_JOIN(c, t);
	ASSERT_TRUE(c.ret & POLLOUT);
}

TEST_HARNESS_MAIN
