// SPDX-License-Identifier: GPL-2.0
/*
 * dgram_stress_test.c - AF_TOY datagrams under load, across threads and
 * across network namespaces, side by side with UDP on lo.
 *
 *  - flood: a receiver with a tiny SO_RCVBUF that never reads stays
 *    bounded, and every datagram it could not take is counted as a drop
 *    (per socket in /proc/net/{toy,udp}, per namespace in RcvbufErrors);
 *  - threads: concurrent senders and receivers lose and duplicate nothing;
 *    a reader blocked in recv()/poll() is woken by a send;
 *  - the SNMP counters move by exactly what was sent;
 *  - namespaces: the same port in two namespaces, and no datagram crosses.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <linux/sockios.h>

#include <linux/sock_diag.h>

#include "toy_harness.h"

/* ---- flood ------------------------------------------------------------- */

/* Sum of the "dropped" column of /proc/net/softnet_stat (all CPUs). */
static long long softnet_dropped(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	unsigned int processed, dropped;
	long long sum = 0;
	char line[512];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%x %x", &processed, &dropped) == 2)
			sum += dropped;
	fclose(f);
	return sum;
}

/* UDP's own count, exact and format-free: SO_MEMINFO's SK_MEMINFO_DROPS. */
static long long udp_sock_drops(int fd)
{
	__u32 mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) ||
	    len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		return -1;
	return mem[SK_MEMINFO_DROPS];
}

static long long sock_drops(const struct fam *f, int fd)
{
	struct toy_proc_ent e;

	if (!f->toy)
		return udp_sock_drops(fd);
	if (toy_proc_find(sock_ino(fd), &e))
		return -1;
	return e.drops;
}

#define FLOOD_N		10000
#define FLOOD_SIZE	1000

/* Read everything queued on @fd, checking SIOCINQ before each datagram. */
static void drain(struct __test_metadata *_metadata, int fd,
		  long long *queued, long long *qbytes)
{
	char buf[FLOOD_SIZE + 1];
	int inq;

	for (;;) {
		ASSERT_OK(ioctl(fd, SIOCINQ, &inq));
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0) {
			ASSERT_EQ(EAGAIN, errno);
			ASSERT_EQ(0, inq);
			return;
		}
		ASSERT_EQ(FLOOD_SIZE, inq);
		(*queued)++;
		*qbytes += inq;
	}
}

TEST_F_TIMEOUT(dgram, flood_small_rcvbuf_is_bounded, 300)
{
	char buf[FLOOD_SIZE];
	uint16_t port, mport;
	int r = BOUND(&port), m = BOUND(&mport), s = SOCK();
	int rcvbuf, i, failed = 0;
	long long err0, err1, bl0, bl1, drops, queued = 0, qbytes = 0;
	long long deadline;

	ASSERT_OK(setsockopt_int(r, SOL_SOCKET, SO_RCVBUF, 4096));
	ASSERT_OK(getsockopt_int(r, SOL_SOCKET, SO_RCVBUF, &rcvbuf));
	err0 = fam_snmp(&self->f, "RcvbufErrors");
	bl0 = softnet_dropped();
	ASSERT_LE(0, err0);

	memset(buf, 'f', sizeof(buf));
	for (i = 0; i < FLOOD_N; i++)
		if (fam_sendto(&self->f, s, buf, sizeof(buf), 0,
			       INADDR_LOOPBACK, port) != FLOOD_SIZE)
			failed++;
	ASSERT_EQ(0, failed);
	/* a marker to another socket: once it is there, the flood has
	 * been delivered (or dropped) */
	ASSERT_LEN(fam_sendto(&self->f, s, "m", 1, 0, INADDR_LOOPBACK, mport), 1);
	ASSERT_LEN(recv_wait(m, buf, sizeof(buf), 0), 1);

	/* what is queued is small: read it, datagram by datagram */
	drain(_metadata, r, &queued, &qbytes);
	TH_LOG("rcvbuf %d: %lld datagrams (%lld bytes) were queued",
	       rcvbuf, queued, qbytes);
	ASSERT_LT(0, queued);
	ASSERT_GE(rcvbuf + FLOOD_SIZE, qbytes);

	/* every datagram was queued or dropped (at the socket or, should
	 * the softirq have fallen behind, in the device backlog); wait for
	 * stragglers from another CPU's backlog, bounded */
	deadline = now_ms() + WAIT_MS;
	for (;;) {
		drops = sock_drops(&self->f, r);
		bl1 = softnet_dropped();
		if (queued + drops + (bl1 - bl0) >= FLOOD_N ||
		    now_ms() > deadline)
			break;
		tiny_pause();
		drain(_metadata, r, &queued, &qbytes);
	}
	err1 = fam_snmp(&self->f, "RcvbufErrors");
	TH_LOG("queued %lld, socket drops %lld, RcvbufErrors +%lld, backlog drops +%lld",
	       queued, drops, err1 - err0, bl1 - bl0);
	ASSERT_LT(0, drops);
	ASSERT_EQ(FLOOD_N, queued + drops + (bl1 - bl0));
	/* every socket drop is counted once as a receive-buffer error */
	ASSERT_EQ(drops, err1 - err0);
}

/* ---- threads ----------------------------------------------------------- */

#define NTHREADS	4
#define PER_THREAD	500
#define WINDOW		64	/* unacknowledged datagrams per sender */

struct tag {
	uint32_t thread;
	uint32_t seq;
	unsigned char fill[56];
};

struct mt_ctx {
	const struct fam *f;
	uint16_t dport[NTHREADS];	/* where thread i sends */
	int rfd[NTHREADS];		/* where thread i receives (test 2) */
	_Atomic int acked[NTHREADS];	/* datagrams of thread i received */
	int send_errors[NTHREADS];
	int recv_errors[NTHREADS];
	int sport[NTHREADS];
	unsigned char seen[NTHREADS][PER_THREAD];
	int bad;
};

struct mt_arg {
	struct mt_ctx *c;
	int id;
};

static void make_tag(struct tag *t, int thread, int seq)
{
	t->thread = thread;
	t->seq = seq;
	memset(t->fill, (thread * 31 + seq) & 0xff, sizeof(t->fill));
}

static bool tag_ok(const struct tag *t)
{
	unsigned char want = (t->thread * 31 + t->seq) & 0xff;
	size_t i;

	if (t->thread >= NTHREADS || t->seq >= PER_THREAD)
		return false;
	for (i = 0; i < sizeof(t->fill); i++)
		if (t->fill[i] != want)
			return false;
	return true;
}

/* Wait (bounded) until fewer than WINDOW of our datagrams are in flight. */
static bool wait_window(struct mt_ctx *c, int id, int seq)
{
	long long deadline = now_ms() + WAIT_MS;

	while (seq - atomic_load(&c->acked[id]) >= WINDOW) {
		if (now_ms() > deadline)
			return false;
		tiny_pause();
	}
	return true;
}

static void *sender(void *p)
{
	struct mt_arg *a = p;
	struct mt_ctx *c = a->c;
	int s = fam_socket(c->f, SOCK_DGRAM), seq;
	struct tag t;

	if (s < 0 || fam_bind(c->f, s, INADDR_LOOPBACK, 0)) {
		c->send_errors[a->id] = PER_THREAD;
		return NULL;
	}
	c->sport[a->id] = local_port(s);
	for (seq = 0; seq < PER_THREAD; seq++) {
		if (!wait_window(c, a->id, seq)) {
			c->send_errors[a->id] += PER_THREAD - seq;
			break;
		}
		make_tag(&t, a->id, seq);
		if (fam_sendto(c->f, s, &t, sizeof(t), 0, INADDR_LOOPBACK,
			       c->dport[a->id]) != sizeof(t))
			c->send_errors[a->id]++;
	}
	close(s);
	return NULL;
}

/* Account one received datagram; returns false if it is bad. */
static bool account(struct mt_ctx *c, const struct tag *t, ssize_t n,
		    int want_thread)
{
	if (n != sizeof(*t) || !tag_ok(t) ||
	    (want_thread >= 0 && (int)t->thread != want_thread))
		return false;
	if (c->seen[t->thread][t->seq]++)
		return false;			/* duplicate */
	atomic_fetch_add(&c->acked[t->thread], 1);
	return true;
}

TEST_F_TIMEOUT(dgram, threads_many_senders_one_receiver, 300)
{
	struct mt_ctx *c = calloc(1, sizeof(*c));
	struct mt_arg args[NTHREADS];
	pthread_t th[NTHREADS];
	uint16_t port;
	int r = BOUND(&port), i, j, got = 0, bad = 0, v;

	ASSERT_NE(NULL, c);
	c->f = &self->f;
	ASSERT_OK(setsockopt_int(r, SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20));
	ASSERT_OK(getsockopt_int(r, SOL_SOCKET, SO_RCVBUF, &v));
	ASSERT_LE(8 << 20, v);
	for (i = 0; i < NTHREADS; i++) {
		c->dport[i] = port;
		args[i].c = c;
		args[i].id = i;
		ASSERT_OK(pthread_create(&th[i], NULL, sender, &args[i]));
	}
	while (got < NTHREADS * PER_THREAD) {
		struct tag t;
		ssize_t n;

		if (wait_fd(r, POLLIN, WAIT_MS) <= 0)
			break;			/* nothing for 10 s: give up */
		while ((n = recv(r, &t, sizeof(t) + 1, MSG_DONTWAIT)) >= 0) {
			if (account(c, &t, n, -1))
				got++;
			else
				bad++;
		}
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NTHREADS; i++) {
		int missing = 0;

		for (j = 0; j < PER_THREAD; j++)
			missing += !c->seen[i][j];
		if (missing || c->send_errors[i])
			TH_LOG("thread %d: %d send errors, %d missing", i,
			       c->send_errors[i], missing);
		EXPECT_EQ(0, c->send_errors[i]);
		EXPECT_EQ(0, missing);
	}
	TH_LOG("received %d, bad or duplicate %d", got, bad);
	ASSERT_EQ(0, bad);
	ASSERT_EQ(NTHREADS * PER_THREAD, got);
	ASSERT_ERRNO(recv(r, &v, sizeof(v), MSG_DONTWAIT), EAGAIN);
	free(c);
}

/* Thread i sends to receiver i and reads receiver i. */
static void *pair_worker(void *p)
{
	struct mt_arg *a = p;
	struct mt_ctx *c = a->c;
	int id = a->id, s, seq, got = 0;
	struct tag t;

	s = fam_socket(c->f, SOCK_DGRAM);
	if (s < 0 || fam_bind(c->f, s, INADDR_LOOPBACK, 0)) {
		c->send_errors[id] = PER_THREAD;
		return NULL;
	}
	c->sport[id] = local_port(s);
	for (seq = 0; seq < PER_THREAD || got < PER_THREAD;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (seq < PER_THREAD && seq - got < WINDOW) {
			make_tag(&t, id, seq++);
			if (fam_sendto(c->f, s, &t, sizeof(t), 0,
				       INADDR_LOOPBACK, c->dport[id]) !=
			    sizeof(t))
				c->send_errors[id]++;
			continue;
		}
		if (wait_fd(c->rfd[id], POLLIN, WAIT_MS) <= 0)
			break;
		while ((n = recvfrom(c->rfd[id], &t, sizeof(t) + 1,
				     MSG_DONTWAIT, SA(&from), &flen)) >= 0) {
			if (!account(c, &t, n, id) ||
			    sa_port(&from) != c->sport[id])
				c->recv_errors[id]++;
			else
				got++;
			flen = sizeof(from);
		}
	}
	close(s);
	return NULL;
}

TEST_F_TIMEOUT(dgram, threads_pairs_each_get_their_own, 300)
{
	struct mt_ctx *c = calloc(1, sizeof(*c));
	struct mt_arg args[NTHREADS];
	pthread_t th[NTHREADS];
	int i, j;

	ASSERT_NE(NULL, c);
	c->f = &self->f;
	for (i = 0; i < NTHREADS; i++) {
		c->rfd[i] = BOUND(&c->dport[i]);
		ASSERT_OK(setsockopt_int(c->rfd[i], SOL_SOCKET, SO_RCVBUFFORCE,
					 1 << 20));
	}
	for (i = 0; i < NTHREADS; i++) {
		args[i].c = c;
		args[i].id = i;
		ASSERT_OK(pthread_create(&th[i], NULL, pair_worker, &args[i]));
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NTHREADS; i++) {
		int missing = 0;

		for (j = 0; j < PER_THREAD; j++)
			missing += !c->seen[i][j];
		TH_LOG("pair %d: send errors %d, bad %d, missing %d", i,
		       c->send_errors[i], c->recv_errors[i], missing);
		EXPECT_EQ(0, c->send_errors[i]);
		EXPECT_EQ(0, c->recv_errors[i]);
		EXPECT_EQ(0, missing);
	}
	free(c);
}

/* ---- a blocked reader is woken ----------------------------------------- */

struct blocked {
	int fd;
	bool use_poll;
	_Atomic pid_t tid;
	ssize_t ret;
	int err;
	int revents;
	char buf[32];
};

static void *blocked_reader(void *p)
{
	struct blocked *b = p;

	atomic_store(&b->tid, (pid_t)syscall(SYS_gettid));
	if (b->use_poll) {
		struct pollfd pf = { .fd = b->fd, .events = POLLIN };

		b->ret = poll(&pf, 1, 3 * WAIT_MS);
		b->revents = pf.revents;
	} else {
		/* SO_RCVTIMEO bounds this; the wakeup must come first */
		b->ret = recv(b->fd, b->buf, sizeof(b->buf), 0);
	}
	b->err = errno;
	return NULL;
}

/* Start a reader thread and wait until it sleeps in the kernel. */
static void start_blocked(struct __test_metadata *_metadata,
			  struct blocked *b, pthread_t *th)
{
	struct timeval tv = { .tv_sec = 3 * WAIT_MS / 1000 };
	long long deadline;
	char st = '?';

	ASSERT_OK(setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_OK(pthread_create(th, NULL, blocked_reader, b));
	deadline = now_ms() + WAIT_MS;
	while (now_ms() < deadline) {
		pid_t tid = atomic_load(&b->tid);

		if (tid && (st = task_state(tid)) == 'S')
			break;
		tiny_pause();
	}
	if (st != 'S')
		TH_LOG("reader thread state %c", st);
	ASSERT_EQ('S', st);
}

TEST_F(dgram, blocked_recv_is_woken)
{
	struct blocked b = { 0 };
	pthread_t th;
	uint16_t port;
	int s = SOCK();
	long long t0;

	b.fd = BOUND(&port);
	start_blocked(_metadata, &b, &th);
	t0 = now_ms();
	ASSERT_LEN(fam_sendto(&self->f, s, "wake up", 7, 0, INADDR_LOOPBACK,
			      port), 7);
	pthread_join(th, NULL);
	TH_LOG("reader returned after %lld ms", now_ms() - t0);
	ASSERT_EQ(7, b.ret);
	ASSERT_EQ(0, memcmp(b.buf, "wake up", 7));
}

TEST_F(dgram, blocked_poll_is_woken)
{
	struct blocked b = { .use_poll = true };
	pthread_t th;
	uint16_t port;
	int s = SOCK();

	b.fd = BOUND(&port);
	start_blocked(_metadata, &b, &th);
	ASSERT_LEN(fam_sendto(&self->f, s, "x", 1, 0, INADDR_LOOPBACK, port), 1);
	pthread_join(th, NULL);
	ASSERT_EQ(1, b.ret);
	ASSERT_EQ(POLLIN, b.revents);
}

/* shutdown(SHUT_RD) wakes a reader blocked on the same socket. */
TEST_F(dgram, blocked_recv_woken_by_shutdown)
{
	struct blocked b = { 0 };
	pthread_t th;
	uint16_t port;
	int r = BOUND(&port);

	(void)r;
	b.fd = SOCK();
	ASSERT_OK(fam_connect(&self->f, b.fd, INADDR_LOOPBACK, port));
	start_blocked(_metadata, &b, &th);
	ASSERT_OK(shutdown(b.fd, SHUT_RD));
	pthread_join(th, NULL);
	ASSERT_EQ(0, b.ret);
}

/*
 * The idiom for stopping a thread blocked on an unconnected UDP socket:
 * shutdown() fails with ENOTCONN, yet marks the socket shut down and wakes
 * the reader, which returns 0 ("hack to wake up other listeners" in
 * inet_shutdown()).
 */
TEST_F(dgram, blocked_recv_unconnected_woken_by_shutdown)
{
	struct blocked b = { 0 };
	pthread_t th;
	uint16_t port;

	b.fd = BOUND(&port);
	start_blocked(_metadata, &b, &th);
	ASSERT_ERRNO(shutdown(b.fd, SHUT_RDWR), ENOTCONN);
	pthread_join(th, NULL);
	ASSERT_EQ(0, b.ret);
	ASSERT_MASK(b.fd, POLL_R | POLLRDHUP | POLLHUP | POLL_W);
}

/* A reader blocked on a connected socket is woken by the refusal. */
TEST_F(dgram, blocked_recv_woken_by_refusal)
{
	struct blocked b = { 0 };
	pthread_t th;
	int port = free_port(&self->f);

	b.fd = SOCK();
	ASSERT_OK(fam_connect(&self->f, b.fd, INADDR_LOOPBACK, port));
	start_blocked(_metadata, &b, &th);
	ASSERT_LEN(send(b.fd, "x", 1, 0), 1);
	pthread_join(th, NULL);
	ASSERT_EQ(-1, b.ret);
	ASSERT_EQ(ECONNREFUSED, b.err);
}

/* ---- SNMP counters ----------------------------------------------------- */

TEST_F(dgram, snmp_counters)
{
	const int n = 20;
	long long in0, out0, np0, in1, out1, np1;
	uint16_t port;
	int r = BOUND(&port), s = SOCK(), i, closed = free_port(&self->f);
	char buf[64];

	in0 = fam_snmp(&self->f, "InDatagrams");
	out0 = fam_snmp(&self->f, "OutDatagrams");
	np0 = fam_snmp(&self->f, "NoPorts");
	ASSERT_LE(0, in0);
	ASSERT_LE(0, out0);
	ASSERT_LE(0, np0);
	for (i = 0; i < n; i++)
		ASSERT_LEN(fam_sendto(&self->f, s, buf, 10, 0, INADDR_LOOPBACK,
				      port), 10);
	for (i = 0; i < n; i++)
		ASSERT_LEN(recv_wait(r, buf, sizeof(buf), 0), 10);
	/* UDP counts InDatagrams when the datagram is read, so read all */
	in1 = fam_snmp(&self->f, "InDatagrams");
	out1 = fam_snmp(&self->f, "OutDatagrams");
	TH_LOG("InDatagrams +%lld, OutDatagrams +%lld", in1 - in0, out1 - out0);
	ASSERT_EQ(n, in1 - in0);
	ASSERT_EQ(n, out1 - out0);

	/* one to a closed port, then one to r: when r has it, the first
	 * has been looked up and counted */
	ASSERT_LEN(fam_sendto(&self->f, s, buf, 1, 0, INADDR_LOOPBACK, closed), 1);
	ASSERT_LEN(fam_sendto(&self->f, s, buf, 1, 0, INADDR_LOOPBACK, port), 1);
	ASSERT_LEN(recv_wait(r, buf, sizeof(buf), 0), 1);
	np1 = fam_snmp(&self->f, "NoPorts");
	ASSERT_EQ(1, np1 - np0);
}

/* ---- network namespaces ------------------------------------------------ */

struct ns_arg {
	struct fam f;
	int port;
	unsigned long parent_ino;
};

struct ns_res {
	int setup;
	int dev_flags;
	int bind_err;
	int send_err;
	int recv_len;
	char data[16];
	int parent_visible;
	int range_lo, range_hi;
};

static void ns_child(void *arg, void *out)
{
	struct ns_arg *a = arg;
	struct ns_res *r = out;
	int rx, tx;

	if (enter_netns(&a->f)) {
		r->setup = errno ? errno : -1;
		return;
	}
	r->dev_flags = a->f.toy ? if_flags(TOY_DEV) : if_flags("lo");
	if (read_range(a->f.range_path, &r->range_lo, &r->range_hi))
		r->range_lo = r->range_hi = -1;
	rx = fam_socket(&a->f, SOCK_DGRAM);
	tx = fam_socket(&a->f, SOCK_DGRAM);
	r->bind_err = fam_bind(&a->f, rx, INADDR_LOOPBACK, a->port) ? errno : 0;
	r->send_err = fam_sendto(&a->f, tx, "in child", 8, 0, INADDR_LOOPBACK,
				 a->port) == 8 ? 0 : errno;
	r->recv_len = recv_wait(rx, r->data, sizeof(r->data), 0);
	if (a->f.toy) {
		struct toy_proc_ent e;

		r->parent_visible = toy_proc_find(a->parent_ino, &e) == 0;
	} else {
		r->parent_visible = udp_proc_drops(a->parent_ino) >= 0;
	}
}

TEST_F(dgram, netns_same_port_isolated)
{
	struct ns_arg a = { .f = self->f };
	struct ns_res r;
	uint16_t port;
	int rx = BOUND(&port), tx = SOCK();
	char buf[16];

	a.port = port;
	a.parent_ino = sock_ino(rx);
	ASSERT_OK(run_in_child(ns_child, &a, &r, sizeof(r)));
	ASSERT_EQ(0, r.setup);
	TH_LOG("flags of %s in the new namespace: %#x",
	       self->f.toy ? TOY_DEV : "lo", r.dev_flags);
	ASSERT_LE(0, r.dev_flags);
	ASSERT_EQ(IFF_UP, r.dev_flags & IFF_UP);
	ASSERT_EQ(32768, r.range_lo);
	ASSERT_EQ(60999, r.range_hi);
	ASSERT_EQ(0, r.bind_err);
	ASSERT_EQ(0, r.send_err);
	ASSERT_EQ(8, r.recv_len);
	ASSERT_EQ(0, memcmp(r.data, "in child", 8));
	ASSERT_EQ(0, r.parent_visible);
	/* nothing crossed into our namespace ... */
	ASSERT_ERRNO(recv(rx, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* ... and our own socket still works */
	ASSERT_LEN(fam_sendto(&self->f, tx, "parent", 6, 0, INADDR_LOOPBACK,
			      port), 6);
	ASSERT_LEN(recv_wait(rx, buf, sizeof(buf), 0), 6);
}

TEST_HARNESS_MAIN
