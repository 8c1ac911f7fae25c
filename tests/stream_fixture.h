/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stream_fixture.h - the "stream" fixture shared by the stream suites:
 * every TEST_F(stream, ...) runs once for AF_TOY ("toy") and once for TCP
 * on 127.0.0.1 ("tcp"), the oracle.  Built with TOY_REMOTE
 * (stream_link_test) the variants are "toy_link" and "tcp_veth": the
 * listener on another node (toy_nodes.h), reached at PEER.  Also the
 * /proc readers and small helpers those suites use.
 */
#ifndef STREAM_FIXTURE_H
#define STREAM_FIXTURE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <linux/sockios.h>

#include "toy_pattern.h"
#include "toy_util.h"
#include "toy_nodes.h"
#include "toy_assert.h"

/* Bounded wait for a condition (WAIT_MS); evaluates to whether it held. */
#define WAIT_UNTIL(cond) ({						\
	long long __deadline = now_ms() + WAIT_MS;			\
	bool __ok;							\
	while (!(__ok = (cond)) && now_ms() < __deadline)		\
		tiny_pause();						\
	__ok;								\
})

/*
 * The poll masks of a TCP socket (tcp_poll), which AF_TOY must reproduce.
 * poll_mask() asks for POLL_ALL, so POLLRDHUP is reported when it is set.
 */
#define M_IN	 (POLLIN | POLLRDNORM)
#define M_OUT	 (POLLOUT | POLLWRNORM)
#define M_EOF	 (M_IN | POLLRDHUP)		/* the peer's FIN was read in */
#define M_FRESH	 (M_OUT | POLLHUP)		/* never connected (TCP_CLOSE) */
#define M_CLOSED (M_EOF | M_OUT | POLLHUP)	/* both directions shut down */
#define M_RESET	 (M_CLOSED | POLLERR)		/* reset, error not yet read */

/* A connection still being set up (SYN sent, not answered) reports nothing. */
#define M_CONNECTING 0

#define MAX_FDS		64

/* ---- the fixture -------------------------------------------------------- */

static volatile sig_atomic_t sigpipes;

static inline void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static inline void count_sigpipe(void)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sigpipes = 0;
}

FIXTURE(stream) {
	struct fam f;
	int fds[MAX_FDS];
	int nfds;
};

FIXTURE_VARIANT(stream) {
	bool toy;
	bool remote;		/* the listener on another node */
	int protocol;		/* SO_PROTOCOL */
};

#ifndef TOY_REMOTE
FIXTURE_VARIANT_ADD(stream, toy) {
	.toy = true,
	.protocol = 0,
};

FIXTURE_VARIANT_ADD(stream, tcp) {
	.toy = false,
	.protocol = IPPROTO_TCP,
};
#else
FIXTURE_VARIANT_ADD(stream, toy_link) {
	.toy = true,
	.remote = true,
	.protocol = 0,
};

FIXTURE_VARIANT_ADD(stream, tcp_veth) {
	.toy = false,
	.remote = true,
	.protocol = IPPROTO_TCP,
};
#endif

FIXTURE_SETUP(stream)
{
	char why[128];
	int fd;

	self->nfds = 0;
	count_sigpipe();
	if (variant->toy && !toy_module_loaded())
		SETUP_SKIP("af_toy.ko is not loaded (no %s)", TOY_SYSFS_MODULE);
	fam_init(&self->f, variant->toy);
	fd = socket(self->f.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && variant->toy &&
	    (errno == ESOCKTNOSUPPORT || errno == EAFNOSUPPORT))
		SETUP_SKIP("socket(%d, SOCK_STREAM, 0): %s: af_toy.ko has no stream sockets",
			   self->f.family, strerror(errno));
	if (fd < 0)
		TH_LOG("socket(%d, SOCK_STREAM, 0): %s", self->f.family,
		       strerror(errno));
	ASSERT_LE(0, fd);
	close(fd);
	if (variant->remote && fam_two_nodes(&self->f, why, sizeof(why)))
		SETUP_SKIP("%s", why);
	if (variant->remote && variant->toy)
		ASSERT_OK(fam_nodes_meet(&self->f));
}

FIXTURE_TEARDOWN(stream)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	self->nfds = 0;
}

static inline int track(struct __test_metadata *_metadata,
		 FIXTURE_DATA(stream) *self, int fd)
{
	ASSERT_GT(MAX_FDS, self->nfds);
	self->fds[self->nfds++] = fd;
	return fd;
}

static inline void untrack_close(FIXTURE_DATA(stream) *self, int fd)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		if (self->fds[i] == fd)
			self->fds[i] = -1;
	close(fd);
}

/* A new stream socket (@flags: SOCK_NONBLOCK or 0). */
static inline int new_sock(struct __test_metadata *_metadata,
		    FIXTURE_DATA(stream) *self, int flags)
{
	int fd = fam_socket(&self->f, SOCK_STREAM | flags);

	if (fd < 0)
		TH_LOG("socket(%d, SOCK_STREAM, 0): %s", self->f.family,
		       strerror(errno));
	ASSERT_LE(0, fd);
	return track(_metadata, self, fd);
}

/* A socket listening on PEER:ephemeral (on the peer's node, if it has
 * one of its own); *port gets the port. */
static inline int new_listener(struct __test_metadata *_metadata,
			FIXTURE_DATA(stream) *self, uint16_t *port,
			int backlog)
{
	int fd = fam_peer_socket(&self->f, SOCK_STREAM), p;

	ASSERT_LE(0, fd);
	track(_metadata, self, fd);
	ASSERT_OK(fam_bind(&self->f, fd, self->f.peer, 0));
	ASSERT_OK(listen(fd, backlog));
	p = local_port(fd);
	ASSERT_LT(0, p);
	*port = p;
	return fd;
}

/* Accept one connection, waiting for it at most WAIT_MS. */
static inline int accept_wait(struct __test_metadata *_metadata,
		       FIXTURE_DATA(stream) *self, int l, int flags)
{
	int ev = wait_fd(l, POLLIN, WAIT_MS), fd;

	if (!(ev & POLLIN))
		TH_LOG("listener not readable: revents %#x", ev);
	ASSERT_TRUE(ev & POLLIN);
	fd = accept4(l, NULL, NULL, flags | SOCK_CLOEXEC);
	if (fd < 0)
		TH_LOG("accept4: %s", strerror(errno));
	ASSERT_LE(0, fd);
	return track(_metadata, self, fd);
}

/* A connected pair: *c the client, *s the accepted socket.  Returns the
 * listener (still open). */
static inline int new_pair(struct __test_metadata *_metadata,
		    FIXTURE_DATA(stream) *self, int *c, int *s)
{
	uint16_t port;
	int l = new_listener(_metadata, self, &port, 16);

	*c = new_sock(_metadata, self, 0);
	ASSERT_OK(fam_connect(&self->f, *c, self->f.peer, port));
	*s = accept_wait(_metadata, self, l, 0);
	return l;
}

#define SOCK()			new_sock(_metadata, self, 0)
#define SOCK_NB()		new_sock(_metadata, self, SOCK_NONBLOCK)
#define LISTENER(p, backlog)	new_listener(_metadata, self, p, backlog)
#define ACCEPT(l)		accept_wait(_metadata, self, l, 0)
#define PAIR(c, s)		new_pair(_metadata, self, c, s)
#define HERE			(self->f.here)
#define PEER			(self->f.peer)

static inline int inq(int fd)
{
	int v = -1;

	if (ioctl(fd, SIOCINQ, &v))
		return -1;
	return v;
}

static inline int outq(int fd)
{
	int v = -1;

	if (ioctl(fd, SIOCOUTQ, &v))
		return -1;
	return v;
}

/* Bytes queued but never sent (SIOCOUTQNSD). */
static inline int outq_unsent(int fd)
{
	int v = -1;

	if (ioctl(fd, SIOCOUTQNSD, &v))
		return -1;
	return v;
}

/* A stream port nobody at PEER is bound to right now (bound once,
 * released). */
static inline int free_stream_port(const struct fam *f)
{
	int fd = fam_peer_socket(f, SOCK_STREAM), p;

	if (fd < 0)
		return -1;
	if (fam_bind(f, fd, f->peer, 0)) {
		close(fd);
		return -1;
	}
	p = local_port(fd);
	close(fd);
	return p;
}

/* Milliseconds until @deadline, at least 0. */
static inline int left_ms(long long deadline)
{
	long long left = deadline - now_ms();

	return left > 0 ? left : 0;
}

static inline bool addr_eq(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b)
{
	return !memcmp(a, b, 16);
}

static inline int join_within(pthread_t t, void **ret, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, ret, &ts);
}

/* ---- /proc/net/toy and /proc/net/tcp ------------------------------------ */

/* TCP's state numbers, which /proc/net/toy uses too. */
#define ST_ESTABLISHED	0x01U
#define ST_FIN_WAIT2	0x05U
#define ST_TIME_WAIT	0x06U
#define ST_CLOSE_WAIT	0x08U
#define ST_LISTEN	0x0AU
#define ST_ANY		(-1)

struct pent {
	unsigned int lport, rport, st, txq, rxq;
	unsigned long ino;
	char type[32];
};

/*
 * Find the line of the socket lport -> rport (host order; rport 0 for a
 * listener) in state @st (-1: any) in /proc/net/toy or /proc/net/tcp.
 * TIME_WAIT entries have inode 0 in /proc/net/tcp, so match by ports.
 */
static inline int proc_find(const struct fam *f, int lport, int rport, long st,
		     struct pent *e)
{
	FILE *fp = fopen(f->toy ? TOY_PROC_SOCKETS : "/proc/net/tcp", "r");
	char line[512];
	int ret = -1;

	if (!fp)
		return -1;
	if (!fgets(line, sizeof(line), fp)) {
		fclose(fp);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		struct pent t;
		int n;

		memset(&t, 0, sizeof(t));
		if (f->toy) {
			n = sscanf(line, " %*u: %*x:%x %*x:%x %x %x:%x %*u %lu %*u %31s",
				   &t.lport, &t.rport, &t.st, &t.txq, &t.rxq,
				   &t.ino, t.type);
			if (n != 7)
				continue;
		} else {
			n = sscanf(line, " %*u: %*x:%x %*x:%x %x %x:%x %*x:%*x %*x %*u %*u %lu",
				   &t.lport, &t.rport, &t.st, &t.txq, &t.rxq,
				   &t.ino);
			if (n != 6)
				continue;
			strcpy(t.type, "STREAM");
		}
		if ((int)t.lport != lport || (int)t.rport != rport)
			continue;
		if (st >= 0 && (long)t.st != st)
			continue;
		*e = t;
		ret = 0;
		break;
	}
	fclose(fp);
	return ret;
}

#endif /* STREAM_FIXTURE_H */
