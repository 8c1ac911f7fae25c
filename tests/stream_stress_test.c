// SPDX-License-Identifier: GPL-2.0
/*
 * stream_stress_test.c - AF_TOY stream sockets under load, side by side
 * with TCP on 127.0.0.1 (the "toy" and "tcp" variants of each test):
 *
 *  - bidirectional: TOY_STREAM_MIB (default 256) MiB each way at once
 *    between two processes over one connection, every byte checked against
 *    a deterministic pseudo-random stream and a running checksum compared
 *    end to end;
 *  - many connections: 128 concurrent clients from 4 processes to one
 *    listener, each exchanging an echo;
 *  - slow reader: the reader blocks on a pipe until the writer has hit
 *    EAGAIN, then drains; nothing is lost;
 *  - a writer killed mid-transfer: the server sees EOF or ECONNRESET and
 *    never hangs; with unread data in the killed side's queue, a reset.
 *
 * The toy variants skip when af_toy.ko is not loaded or has no stream
 * sockets.  No fixed sleeps: every wait is poll() with a bound (WAIT_MS,
 * 10 s, measured as "no progress for that long", not as a total).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <linux/sockios.h>

#include "toy_pattern.h"
#include "toy_util.h"
#include "toy_assert.h"

#define MAX_FDS		32
#define MAX_PIDS	8

/* ---- checksums (the byte patterns are toy_pattern.h's) ----------------- */

/*
 * A running FNV-1a over the stream's 64-bit words, however the stream is
 * cut into reads: bytes that do not complete a word wait in @pend.
 */
struct whash {
	uint64_t h;
	uint64_t pend;
	unsigned int npend;
};

#define WHASH_INIT { .h = 0xcbf29ce484222325ULL }

static void whash_word(struct whash *w, uint64_t x)
{
	w->h ^= x;
	w->h *= 0x100000001b3ULL;
}

static void whash_update(struct whash *w, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n && w->npend) {
		w->pend |= (uint64_t)*p++ << (8 * w->npend);
		n--;
		if (++w->npend == 8) {
			whash_word(w, w->pend);
			w->pend = 0;
			w->npend = 0;
		}
	}
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t x;

		memcpy(&x, p, 8);
		whash_word(w, x);
	}
	while (n--) {
		w->pend |= (uint64_t)*p++ << (8 * w->npend);
		w->npend++;
	}
}

static uint64_t whash_final(const struct whash *w)
{
	struct whash t = *w;

	if (t.npend)
		whash_word(&t, t.pend ^ ((uint64_t)t.npend << 56));
	return t.h;
}

/* ---- the fixture ---------------------------------------------------------- */

FIXTURE(stress) {
	struct fam f;
	int fds[MAX_FDS];
	int nfds;
	pid_t pids[MAX_PIDS];
	int npids;
};

FIXTURE_VARIANT(stress) {
	bool toy;
};

FIXTURE_VARIANT_ADD(stress, toy) {
	.toy = true,
};

FIXTURE_VARIANT_ADD(stress, tcp) {
	.toy = false,
};

FIXTURE_SETUP(stress)
{
	int fd;

	self->nfds = 0;
	self->npids = 0;
	signal(SIGPIPE, SIG_IGN);
	if (variant->toy && !toy_module_loaded())
		SETUP_SKIP("af_toy.ko is not loaded (no %s)", TOY_SYSFS_MODULE);
	fam_init(&self->f, variant->toy);
	fd = socket(self->f.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && variant->toy &&
	    (errno == ESOCKTNOSUPPORT || errno == EAFNOSUPPORT))
		SETUP_SKIP("socket(%d, SOCK_STREAM, 0): %s: af_toy.ko has no stream sockets",
			   self->f.family, strerror(errno));
	ASSERT_LE(0, fd);
	close(fd);
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	for (i = 0; i < self->npids; i++) {
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	}
	for (i = 0; i < self->nfds; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
}

static int track(struct __test_metadata *_metadata,
		 FIXTURE_DATA(stress) *self, int fd)
{
	ASSERT_LE(0, fd);
	ASSERT_GT(MAX_FDS, self->nfds);
	self->fds[self->nfds++] = fd;
	return fd;
}

static void untrack_close(FIXTURE_DATA(stress) *self, int fd)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		if (self->fds[i] == fd)
			self->fds[i] = -1;
	close(fd);
}

/* fork() a child that dies with the test; the teardown reaps it. */
static pid_t spawn(struct __test_metadata *_metadata,
		   FIXTURE_DATA(stress) *self)
{
	pid_t pid;

	ASSERT_GT(MAX_PIDS, self->npids);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		return 0;
	}
	self->pids[self->npids++] = pid;
	return pid;
}

/* Reap child @pid within @ms; its exit status, or -1. */
static int reap(FIXTURE_DATA(stress) *self, pid_t pid, int ms)
{
	long long deadline = now_ms() + ms;
	int status, i;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 || now_ms() > deadline)
			return -1;
		tiny_pause();
	}
	for (i = 0; i < self->npids; i++)
		if (self->pids[i] == pid)
			self->pids[i] = 0;
	return status;
}

static int listener(struct __test_metadata *_metadata,
		    FIXTURE_DATA(stress) *self, uint16_t *port, int backlog)
{
	int fd = track(_metadata, self,
		       fam_socket(&self->f, SOCK_STREAM));

	ASSERT_OK(fam_bind(&self->f, fd, INADDR_LOOPBACK, 0));
	ASSERT_OK(listen(fd, backlog));
	*port = local_port(fd);
	return fd;
}

/* A connected pair; the listener is closed. */
static void pair(struct __test_metadata *_metadata,
		 FIXTURE_DATA(stress) *self, int *c, int *s)
{
	uint16_t port;
	int l = listener(_metadata, self, &port, 4);

	*c = track(_metadata, self, fam_socket(&self->f, SOCK_STREAM));
	ASSERT_OK(fam_connect(&self->f, *c, INADDR_LOOPBACK, port));
	ASSERT_TRUE(wait_fd(l, POLLIN, WAIT_MS) & POLLIN);
	*s = track(_metadata, self, accept4(l, NULL, NULL, SOCK_CLOEXEC));
	untrack_close(self, l);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Read a fixed-size result from a child's pipe within @ms. */
static int read_result(int fd, void *res, size_t n, int ms)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r;

		if (!(wait_fd(fd, POLLIN, ms) & (POLLIN | POLLHUP)))
			return -1;
		r = read(fd, (char *)res + got, n - got);
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

/* ======================================================================== */
/* both directions at once                                                  */
/* ======================================================================== */

#define XFER_CHUNK	(256 * 1024)

struct xfer {
	uint64_t sent, rcvd;
	uint64_t tx_hash, rx_hash;
	long long bad_off;	/* first corrupt byte received, or -1 */
	int err;		/* errno of the failure, 0 if none */
	char msg[160];
};

/*
 * Send @n bytes of stream @tx_seed and receive @n bytes of stream @rx_seed
 * on @fd at the same time (one non-blocking poll loop), then expect EOF.
 */
static void pump(int fd, uint64_t n, uint64_t tx_seed, uint64_t rx_seed,
		 struct xfer *x)
{
	struct whash th = WHASH_INIT, rh = WHASH_INIT;
	char *tx = malloc(XFER_CHUNK), *rx = malloc(XFER_CHUNK);
	size_t txlen = 0, txoff = 0;
	bool shut = false, eof = false;

	memset(x, 0, sizeof(*x));
	x->bad_off = -1;
	if (!tx || !rx || set_nonblock(fd)) {
		x->err = errno ?: ENOMEM;
		snprintf(x->msg, sizeof(x->msg), "setup failed");
		goto out;
	}
	if (n == 0) {
		shutdown(fd, SHUT_WR);
		shut = true;
	}
	while (!eof || !shut) {
		struct pollfd p = {
			.fd = fd,
			.events = (eof ? 0 : POLLIN) | (shut ? 0 : POLLOUT),
		};
		int r = poll(&p, 1, WAIT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			x->err = r ? errno : ETIMEDOUT;
			snprintf(x->msg, sizeof(x->msg),
				 "no progress for %d ms (events %#x)", WAIT_MS,
				 p.events);
			goto out;
		}
		if (!eof && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
			ssize_t k = recv(fd, rx, XFER_CHUNK, 0);

			if (k > 0) {
				if (x->rcvd + k > n) {
					x->err = EPROTO;
					snprintf(x->msg, sizeof(x->msg),
						 "%llu bytes received, more than %llu",
						 (unsigned long long)(x->rcvd + k),
						 (unsigned long long)n);
					goto out;
				}
				if (x->bad_off < 0)
					x->bad_off = pat_check(rx, k, rx_seed,
							       x->rcvd);
				whash_update(&rh, rx, k);
				x->rcvd += k;
			} else if (k == 0) {
				eof = true;
				if (x->rcvd != n) {
					x->err = EPROTO;
					snprintf(x->msg, sizeof(x->msg),
						 "EOF after %llu of %llu bytes",
						 (unsigned long long)x->rcvd,
						 (unsigned long long)n);
					goto out;
				}
			} else if (errno != EAGAIN && errno != EINTR) {
				x->err = errno;
				snprintf(x->msg, sizeof(x->msg), "recv: %s",
					 strerror(errno));
				goto out;
			}
		}
		if (!shut && (p.revents & POLLOUT)) {
			ssize_t k;

			if (txoff == txlen) {
				txlen = n - x->sent < XFER_CHUNK ?
					n - x->sent : XFER_CHUNK;
				txoff = 0;
				pat_fill(tx, txlen, tx_seed, x->sent);
				whash_update(&th, tx, txlen);
			}
			k = send(fd, tx + txoff, txlen - txoff, MSG_NOSIGNAL);
			if (k > 0) {
				txoff += k;
				x->sent += k;
				if (x->sent == n) {
					if (shutdown(fd, SHUT_WR)) {
						x->err = errno;
						snprintf(x->msg, sizeof(x->msg),
							 "shutdown: %s",
							 strerror(errno));
						goto out;
					}
					shut = true;
				}
			} else if (k < 0 && errno != EAGAIN && errno != EINTR) {
				x->err = errno;
				snprintf(x->msg, sizeof(x->msg), "send: %s",
					 strerror(errno));
				goto out;
			}
		}
	}
out:
	x->tx_hash = whash_final(&th);
	x->rx_hash = whash_final(&rh);
	free(tx);
	free(rx);
}

static uint64_t stream_bytes(void)
{
	const char *e = getenv("TOY_STREAM_MIB");
	long long mib = e && *e ? strtoll(e, NULL, 0) : 256;

	if (mib < 0)
		mib = 0;
	return (uint64_t)mib << 20;
}

TEST_F_TIMEOUT(stress, bidirectional_transfer, 3600)
{
	struct xfer px, cx;
	uint64_t n = stream_bytes();
	long long t0 = now_ms(), ms;
	int c, s, pfd[2], status, rr;
	pid_t pid;

	pair(_metadata, self, &c, &s);
	ASSERT_OK(pipe2(pfd, O_CLOEXEC));
	track(_metadata, self, pfd[0]);
	track(_metadata, self, pfd[1]);
	TH_LOG("%llu MiB each way", (unsigned long long)(n >> 20));
	pid = spawn(_metadata, self);
	if (pid == 0) {
		close(s);
		pump(c, n, 2, 1, &cx);
		_exit(write(pfd[1], &cx, sizeof(cx)) == sizeof(cx) ? 0 : 1);
	}
	untrack_close(self, c);
	untrack_close(self, pfd[1]);
	pump(s, n, 1, 2, &px);
	ms = now_ms() - t0;
	if (px.err)	/* let the client see it too, not wait for data */
		shutdown(s, SHUT_RDWR);
	rr = read_result(pfd[0], &cx, sizeof(cx), 2 * WAIT_MS);
	status = reap(self, pid, WAIT_MS);
	if (px.err)
		TH_LOG("server: %s (sent %llu, received %llu)", px.msg,
		       (unsigned long long)px.sent, (unsigned long long)px.rcvd);
	if (rr)
		TH_LOG("no result from the client process (status %#x)", status);
	else if (cx.err)
		TH_LOG("client: %s (sent %llu, received %llu)", cx.msg,
		       (unsigned long long)cx.sent, (unsigned long long)cx.rcvd);
	if (px.bad_off >= 0 || (!rr && cx.bad_off >= 0))
		TH_LOG("corrupt byte at offset %lld (server rx) / %lld (client rx)",
		       px.bad_off, cx.bad_off);
	ASSERT_EQ(0, px.err);
	ASSERT_EQ(0, rr);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, cx.err);
	ASSERT_EQ(-1, px.bad_off);
	ASSERT_EQ(-1, cx.bad_off);
	ASSERT_EQ(n, px.sent);
	ASSERT_EQ(n, px.rcvd);
	ASSERT_EQ(n, cx.sent);
	ASSERT_EQ(n, cx.rcvd);
	ASSERT_EQ(px.tx_hash, cx.rx_hash);
	ASSERT_EQ(cx.tx_hash, px.rx_hash);
	TH_LOG("%llu MiB each way in %lld ms (checksums %016llx %016llx)",
	       (unsigned long long)(n >> 20), ms,
	       (unsigned long long)px.tx_hash, (unsigned long long)cx.tx_hash);
}

/* ======================================================================== */
/* many connections to one listener                                         */
/* ======================================================================== */

#define CONN_PROCS	4
#define CONN_PER_PROC	32
#define CONN_TOTAL	(CONN_PROCS * CONN_PER_PROC)
#define ECHO_LEN	100

struct child_err {
	int code;
	char msg[200];
};

/* One client process: connect all its sockets, then echo on each. */
static int echo_clients(const struct fam *f, uint16_t port, int id,
			struct child_err *e)
{
	int fds[CONN_PER_PROC], i;
	char buf[ECHO_LEN], got[ECHO_LEN];

	for (i = 0; i < CONN_PER_PROC; i++) {
		fds[i] = fam_socket(f, SOCK_STREAM);
		if (fds[i] < 0 ||
		    fam_connect(f, fds[i], INADDR_LOOPBACK, port)) {
			snprintf(e->msg, sizeof(e->msg),
				 "client %d.%d: socket/connect: %s", id, i,
				 strerror(errno));
			return 1;
		}
	}
	for (i = 0; i < CONN_PER_PROC; i++) {
		pat_fill(buf, ECHO_LEN, 100 + id * CONN_PER_PROC + i, 0);
		if (send(fds[i], buf, ECHO_LEN, MSG_NOSIGNAL) != ECHO_LEN) {
			snprintf(e->msg, sizeof(e->msg), "client %d.%d: send: %s",
				 id, i, strerror(errno));
			return 2;
		}
	}
	for (i = 0; i < CONN_PER_PROC; i++) {
		size_t n = 0;

		while (n < ECHO_LEN) {
			ssize_t r = recv_wait(fds[i], got + n, ECHO_LEN - n, 0);

			if (r <= 0) {
				snprintf(e->msg, sizeof(e->msg),
					 "client %d.%d: echo after %zu bytes: %s",
					 id, i, n, r ? strerror(errno) : "EOF");
				return 3;
			}
			n += r;
		}
		if (pat_check(got, ECHO_LEN, 100 + id * CONN_PER_PROC + i, 0) >= 0) {
			snprintf(e->msg, sizeof(e->msg),
				 "client %d.%d: echo differs", id, i);
			return 4;
		}
	}
	for (i = 0; i < CONN_PER_PROC; i++)
		close(fds[i]);
	return 0;
}

TEST_F_TIMEOUT(stress, many_connections_echo, 600)
{
	struct epoll_event ev, evs[64];
	uint16_t port, peers[CONN_TOTAL];
	int l = listener(_metadata, self, &port, CONN_TOTAL);
	int ep, epfd[2], i, j, naccepted = 0, nclosed = 0;
	long long last = now_ms();
	pid_t pid[CONN_PROCS];

	ep = track(_metadata, self, epoll_create1(EPOLL_CLOEXEC));
	ASSERT_OK(pipe2(epfd, O_CLOEXEC));
	track(_metadata, self, epfd[0]);
	track(_metadata, self, epfd[1]);
	ASSERT_OK(set_nonblock(l));
	ev.events = EPOLLIN;
	ev.data.fd = l;
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));

	for (i = 0; i < CONN_PROCS; i++) {
		pid[i] = spawn(_metadata, self);
		if (pid[i] == 0) {
			struct child_err e = { 0 };

			close(l);
			close(ep);
			e.code = echo_clients(&self->f, port, i, &e);
			if (e.code && write(epfd[1], &e, sizeof(e)) < 0)
				_exit(100);
			_exit(e.code);
		}
	}
	untrack_close(self, epfd[1]);

	/* the server: accept, echo, close on EOF */
	while (nclosed < CONN_TOTAL) {
		int n = epoll_wait(ep, evs, 64, 1000);

		if (n < 0 && errno == EINTR)
			continue;
		ASSERT_LE(0, n);
		if (n == 0) {
			struct child_err e;

			if (wait_fd(epfd[0], POLLIN, 0) & POLLIN &&
			    read(epfd[0], &e, sizeof(e)) == sizeof(e))
				TH_LOG("%s", e.msg);
			if (now_ms() - last > WAIT_MS)
				TH_LOG("no progress for %d ms: %d accepted, %d closed",
				       WAIT_MS, naccepted, nclosed);
			ASSERT_GE(WAIT_MS, now_ms() - last);
			continue;
		}
		last = now_ms();
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char buf[4096];
			ssize_t r;

			if (fd == l) {
				struct sockaddr_storage ss;
				socklen_t len = sizeof(ss);
				int a = accept4(l, SA(&ss), &len,
						SOCK_CLOEXEC | SOCK_NONBLOCK);

				if (a < 0) {
					ASSERT_EQ(EAGAIN, errno);
					continue;
				}
				ASSERT_GT(CONN_TOTAL, naccepted);
				peers[naccepted++] = sa_port(&ss);
				ev.events = EPOLLIN;
				ev.data.fd = a;
				ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
				continue;
			}
			r = recv(fd, buf, sizeof(buf), 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r < 0)
				TH_LOG("server recv: %s", strerror(errno));
			ASSERT_LE(0, r);
			if (r == 0) {
				close(fd);	/* also leaves the epoll set */
				nclosed++;
				continue;
			}
			ASSERT_EQ(r, send(fd, buf, r, MSG_NOSIGNAL));
		}
	}
	ASSERT_EQ(CONN_TOTAL, naccepted);
	for (i = 0; i < CONN_TOTAL; i++)
		for (j = i + 1; j < CONN_TOTAL; j++)
			ASSERT_NE(peers[i], peers[j]);
	for (i = 0; i < CONN_PROCS; i++) {
		int st = reap(self, pid[i], WAIT_MS);

		if (!WIFEXITED(st) || WEXITSTATUS(st))
			TH_LOG("client process %d: status %#x", i, st);
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

/* ======================================================================== */
/* a slow reader                                                            */
/* ======================================================================== */

#define SLOW_TOTAL	(16 << 20)

struct slow_report {
	uint64_t at_eagain;	/* bytes written when send() first said EAGAIN */
	int outq;		/* SIOCOUTQ then */
	uint64_t total;
	int err;
	char msg[128];
};

/*
 * The writer: a non-blocking socket, written until EAGAIN; then it tells
 * the reader (which has read nothing so far) and writes the rest as room
 * appears.
 */
static void slow_writer(int fd, int notify, struct slow_report *r)
{
	static char buf[65536];
	uint64_t off = 0;
	bool told = false;

	memset(r, 0, sizeof(*r));
	if (set_nonblock(fd)) {
		r->err = errno;
		return;
	}
	while (off < SLOW_TOTAL) {
		size_t k = SLOW_TOTAL - off < sizeof(buf) ?
			   SLOW_TOTAL - off : sizeof(buf);
		ssize_t n;

		pat_fill(buf, k, 11, off);
		n = send(fd, buf, k, MSG_NOSIGNAL);
		if (n > 0) {
			off += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN) {
			r->err = errno;
			snprintf(r->msg, sizeof(r->msg), "send: %s",
				 strerror(errno));
			break;
		}
		if (!told) {
			r->at_eagain = off;
			if (ioctl(fd, SIOCOUTQ, &r->outq))
				r->outq = -1;
			if (write(notify, "E", 1) != 1) {
				r->err = errno;
				break;
			}
			told = true;
		}
		if (!(wait_fd(fd, POLLOUT, WAIT_MS) & POLLOUT)) {
			r->err = ETIMEDOUT;
			snprintf(r->msg, sizeof(r->msg),
				 "no room for %d ms after %llu bytes", WAIT_MS,
				 (unsigned long long)off);
			break;
		}
	}
	r->total = off;
	if (!r->err && shutdown(fd, SHUT_WR))
		r->err = errno;
}

TEST_F_TIMEOUT(stress, slow_reader, 600)
{
	static char buf[65536];
	struct slow_report rep;
	uint64_t got = 0;
	int c, s, np[2], rp[2], inq = -1, st;
	char e;
	pid_t pid;

	pair(_metadata, self, &c, &s);
	ASSERT_OK(pipe2(np, O_CLOEXEC));
	ASSERT_OK(pipe2(rp, O_CLOEXEC));
	track(_metadata, self, np[0]);
	track(_metadata, self, rp[0]);
	pid = spawn(_metadata, self);
	if (pid == 0) {
		close(s);
		slow_writer(c, np[1], &rep);
		_exit(write(rp[1], &rep, sizeof(rep)) == sizeof(rep) ? 0 : 1);
	}
	close(np[1]);
	close(rp[1]);
	untrack_close(self, c);

	/* block, reading nothing, until the writer is stopped by EAGAIN */
	ASSERT_TRUE(wait_fd(np[0], POLLIN, 3 * WAIT_MS) & POLLIN);
	ASSERT_EQ(1, read(np[0], &e, 1));
	ASSERT_OK(ioctl(s, SIOCINQ, &inq));
	TH_LOG("writer got EAGAIN: reader has %d bytes queued", inq);
	ASSERT_LT(0, inq);

	for (;;) {
		ssize_t r = recv_wait(s, buf, sizeof(buf), 0);
		long long bad;

		if (r < 0)
			TH_LOG("recv after %llu bytes: %s",
			       (unsigned long long)got, strerror(errno));
		ASSERT_LE(0, r);
		if (r == 0)
			break;
		bad = pat_check(buf, r, 11, got);
		if (bad >= 0)
			TH_LOG("byte %lld differs", bad);
		ASSERT_EQ(-1, bad);
		got += r;
	}
	ASSERT_OK(read_result(rp[0], &rep, sizeof(rep), WAIT_MS));
	st = reap(self, pid, WAIT_MS);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (rep.err)
		TH_LOG("writer: %s", rep.msg);
	ASSERT_EQ(0, rep.err);
	TH_LOG("EAGAIN after %llu bytes with SIOCOUTQ %d",
	       (unsigned long long)rep.at_eagain, rep.outq);
	ASSERT_LT((uint64_t)0, rep.at_eagain);
	ASSERT_LT(0, rep.outq);
	ASSERT_EQ((uint64_t)SLOW_TOTAL, rep.total);
	ASSERT_EQ((uint64_t)SLOW_TOTAL, got);
}

/* ======================================================================== */
/* a writer killed mid-transfer                                             */
/* ======================================================================== */

/* Write the stream @seed forever (blocking), until killed. */
static void __attribute__((noreturn)) endless_writer(int fd, uint64_t seed)
{
	static char buf[65536];
	uint64_t off = 0;

	for (;;) {
		ssize_t n;

		pat_fill(buf, sizeof(buf), seed, off);
		n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n < 0)
			_exit(errno == EINTR ? 0 : 1);
		off += n;
	}
}

/* A bounded wait until SIOCOUTQ is 0 (the peer has everything). */
static bool outq_drains(int fd, int *oq)
{
	long long deadline = now_ms() + WAIT_MS;

	do {
		if (ioctl(fd, SIOCOUTQ, oq))
			return false;
		if (*oq == 0)
			return true;
		tiny_pause();
	} while (now_ms() < deadline);
	return false;
}

/*
 * The server reads at least @before bytes, the writer is SIGKILLed, and
 * the server goes on reading: each wait is bounded, so a hang fails.
 * Returns 0 for EOF, else the errno that ended the stream.
 */
static int kill_writer_midway(struct __test_metadata *_metadata,
			      FIXTURE_DATA(stress) *self, bool unread,
			      uint64_t *total)
{
	static char buf[65536];
	uint64_t got = 0, before = 1 << 20;
	int c, s, st, end = -1;
	pid_t pid;

	pair(_metadata, self, &c, &s);
	if (unread) {
		int oq = -1;

		/* data the writer will never read: its close must reset */
		memset(buf, 'u', 1000);
		ASSERT_EQ(1000, send(s, buf, 1000, 0));
		ASSERT_TRUE(outq_drains(s, &oq));
	}
	pid = spawn(_metadata, self);
	if (pid == 0) {
		close(s);
		endless_writer(c, 12);
	}
	untrack_close(self, c);

	while (got < before) {
		ssize_t r = recv_wait(s, buf, sizeof(buf), 0);

		ASSERT_LT(0, r);
		ASSERT_EQ(-1, pat_check(buf, r, 12, got));
		got += r;
	}
	ASSERT_OK(kill(pid, SIGKILL));
	st = reap(self, pid, WAIT_MS);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	for (;;) {
		ssize_t r = recv_wait(s, buf, sizeof(buf), 0);

		if (r < 0 && errno == ETIMEDOUT)
			TH_LOG("the server hangs: nothing for %d ms after %llu bytes",
			       WAIT_MS, (unsigned long long)got);
		if (r <= 0) {
			end = r == 0 ? 0 : errno;
			break;
		}
		ASSERT_EQ(-1, pat_check(buf, r, 12, got));
		got += r;
	}
	*total = got;
	return end;
}

TEST_F_TIMEOUT(stress, killed_writer, 300)
{
	uint64_t total;
	int end = kill_writer_midway(_metadata, self, false, &total);

	TH_LOG("after %llu bytes: %s", (unsigned long long)total,
	       end ? strerror(end) : "EOF");
	ASSERT_TRUE(end == 0 || end == ECONNRESET);
}

/* With unread data in the killed writer's queue, its close is a reset. */
TEST_F_TIMEOUT(stress, killed_writer_with_unread_data_resets, 300)
{
	uint64_t total;
	int end = kill_writer_midway(_metadata, self, true, &total);

	TH_LOG("after %llu bytes: %s", (unsigned long long)total,
	       end ? strerror(end) : "EOF");
	ASSERT_EQ(ECONNRESET, end);
}

TEST_HARNESS_MAIN
