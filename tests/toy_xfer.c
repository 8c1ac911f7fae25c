// SPDX-License-Identifier: GPL-2.0
/*
 * toy_xfer.c - move a verified amount of data over one connection, both
 * ways at once, and say in one line whether every byte arrived exactly
 * once and in order.  netem_test.sh runs it over a lossy toy0,
 * link_test.sh between two network namespaces joined by a toy link.
 *
 *   toy_xfer [-t stream|seqpacket|dgram] [-f toy|inet|unix] [-m MIB]
 *            [-T TIMEOUT_S] [-S STALL_S] [-p PORT] [-r MAX_RECORD]
 *            [-n COUNT] [-l LEN] [-s SEED] [-x INJECT]
 *            [-A ADDR] [-C NSPATH] [-D NSPATH]
 *
 * Where the two ends are: by default both in the caller's network
 * namespace, the server bound to and the client connecting (or sending)
 * to the loopback address (127.0.0.1 for AF_TOY and AF_INET).  -A ADDR, a
 * dotted quad, is the address the client connects or sends to instead
 * (an AF_TOY node address, or an IPv4 address with -f inet), and the
 * server then binds the wildcard address.  -C NSPATH and -D NSPATH (a
 * network namespace file, e.g. /run/netns/n1) put the client's and the
 * server's sockets in that namespace: the thread that creates a socket
 * enters it with setns(CLONE_NEWNET) just for that and returns to the
 * caller's namespace (setns changes only the calling thread's namespace,
 * and a socket stays in the one it was made in).
 *
 * stream, seqpacket: a listener on PORT (0: any free one) of the family,
 * a client connects, the listener accepts, and each end sends MIB MiB
 * while receiving the other's MIB MiB (one poll loop per end, one thread
 * per end).  The data is a pseudo-random stream keyed by the seed and the
 * direction, so the receiver checks every byte where it lands:
 *   - stream: the byte at each offset, with writes and reads of varying
 *     sizes (1 byte .. 256 KiB);
 *   - seqpacket: record i has a length drawn from the seed (1 byte up to
 *     the path's largest record, with that largest size itself often),
 *     starts with its sequence number i (8 bytes, little endian, when it
 *     is that long) and continues with the stream's bytes; the receiver
 *     checks each record's length, sequence number and content.
 *     On AF_TOY the largest record is toy0's MTU (sysfs; with -C, the
 *     client namespace's toy0, by SIOCGIFMTU) less the toy header
 *     (TOY_HDR_LEN from the uapi header), capped at TOY_MAX_PAYLOAD; with
 *     -A, whose path may cross a link of another MTU, it is measured
 *     instead: sends of a bisected size on a throwaway connection until
 *     the largest one that does not fail with EMSGSIZE.  A send one byte
 *     larger must fail with EMSGSIZE, which is checked.
 * Each end shuts its sending side down when it is done and reads to EOF.
 *
 * dgram: COUNT datagrams of LEN bytes (default 2000 x 1000) from one
 * socket to another, each carrying its sequence number and checked
 * content.  Reports how many arrived, how many were corrupt or
 * duplicated, and (AF_TOY) the deltas of the module's drop counters in
 * /proc/net/toy_snmp and toy0's rx_dropped, so that the caller can account
 * for every datagram sent (with -D, the server namespace's counters:
 * /proc/thread-self/net/toy_snmp, or snmp, and the rx drops of all its
 * devices in /proc/thread-self/net/dev).  The receiver stops once
 * received + counted drops reach the number sent, or after STALL_S/10 s
 * of silence (whatever is then missing was dropped somewhere the tool
 * cannot count, e.g. the qdisc: the caller adds that).  It does not fail
 * for what is missing: the caller compares missing= with what it expects.
 *
 * The result is one line on stdout, "toy_xfer key=value ...":
 *   result=pass|fail, seconds, bytes and records each way (c2s: client to
 *   server, s2c: server to client), mismatch=-1 or the first bad offset
 *   (with mismatch_dir and, for seqpacket, mismatch_record), error="...";
 *   with -A also addr=ADDR after the family.  A connection the client
 *   cannot make is reported with the client's own error (e.g. error=
 *   "connect to 10.0.0.9 port 7000: No route to host"), as soon as its
 *   socket reports it.
 * Exit status: 0 pass, 1 fail (mismatch, error, stall), 2 usage, 3 the
 * overall timeout fired, 4 the family is not available (e.g. af_toy.ko is
 * not loaded).
 *
 * It never hangs: every wait is a poll() bounded by the stall limit
 * (STALL_S, default 30 s: ten times TOY_RTO_MAX plus slack for a starved
 * TCG guest) and by the overall deadline (TIMEOUT_S, default 600 s), and
 * alarm(TIMEOUT_S + 10) is the backstop that reports and exits.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/un.h>

#include "toy_pattern.h"
#include "toy_util.h"

#define CHUNK_MAX	(256 * 1024)
#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_TIMEOUT	3
#define EXIT_NOFAM	4

enum xtype { X_STREAM, X_SEQPACKET, X_DGRAM };
enum xfam { F_TOY, F_INET, F_UNIX };

static struct {
	enum xtype type;
	enum xfam fam;
	uint64_t bytes;		/* each way */
	int timeout_s;
	int stall_ms;
	int port;
	int max_record;		/* 0: the path's largest */
	long count;		/* datagrams */
	int dlen;		/* datagram length */
	uint64_t seed;
	long long inject;	/* self-test: flip a bit the client sends */
	bool have_addr;		/* -A: the client's destination ... */
	uint32_t addr;		/* ... in host order */
	const char *client_ns;	/* -C, -D: namespace files, or NULL */
	const char *server_ns;
} opt = {
	.type = X_STREAM,
	.fam = F_TOY,
	.bytes = 64ULL << 20,
	.timeout_s = 600,
	.stall_ms = 30000,
	.count = 2000,
	.dlen = 1000,
	.seed = 1,
	.inject = -1,
};

static const char *type_name[] = { "stream", "seqpacket", "dgram" };
static const char *fam_name[] = { "toy", "inet", "unix" };

static int family_num;		/* the number passed to socket() */
static long long t_start, deadline;
static atomic_bool abort_all;
static char addr_kv[32];	/* " addr=ADDR" with -A, else "" */

/* The network namespaces of -C and -D, and the caller's own; -1: none. */
static int client_ns_fd = -1, server_ns_fd = -1, home_ns_fd = -1;

static double secs_since(long long t0)
{
	return (now_ms() - t0) / 1000.0;
}

/* ---- sizes (the byte patterns are toy_pattern.h's) ------------------- */

/* A small deterministic generator for sizes. */
static uint64_t rnd_next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return mix64(*state);
}

/* Keys of the two directions' data, and of their size sequences. */
static uint64_t dir_key(int dir)		/* 0: c2s, 1: s2c */
{
	return opt.seed * 4 + dir;
}

/* ---- seqpacket records -------------------------------------------------- */

/* Length of record @i of direction @key, before the total caps it. */
static size_t rec_len(uint64_t key, uint64_t i, size_t max)
{
	uint64_t r = mix64(mix64(key ^ 0x5eed5eed00000000ULL) + i);

	switch (r & 7) {
	case 0:
		return max;				/* the largest, often */
	case 1:
		return 1 + (r >> 8) % (max < 64 ? max : 64);	/* tiny */
	default:
		return 1 + (r >> 8) % max;
	}
}

/* Fill record @i (@len bytes, at stream offset @off) of direction @key. */
static void rec_fill(unsigned char *buf, size_t len, uint64_t key,
		     uint64_t i, uint64_t off)
{
	pat_fill(buf, len, key, off);
	if (len >= 8) {
		int b;

		for (b = 0; b < 8; b++)
			buf[b] = i >> (8 * b);
	}
}

/*
 * Check a received record against record @i: -1 if it is right, else the
 * offset inside it of the first wrong byte (the length is checked by the
 * caller).  *seq gets the sequence number it carries, or -1.
 */
static long long rec_check(const unsigned char *buf, size_t len, uint64_t key,
			   uint64_t i, uint64_t off, long long *seq)
{
	long long bad;

	*seq = -1;
	if (len >= 8) {
		uint64_t s = 0;
		int b;

		for (b = 7; b >= 0; b--)
			s = (s << 8) | buf[b];
		*seq = s;
		if (s != i) {
			for (b = 0; b < 8; b++)
				if (buf[b] != (unsigned char)(i >> (8 * b)))
					return b;
		}
		bad = pat_check(buf + 8, len - 8, key, off + 8);
		return bad < 0 ? -1 : bad - (long long)off;
	}
	bad = pat_check(buf, len, key, off);
	return bad < 0 ? -1 : bad - (long long)off;
}

/* ---- one end of the connection --------------------------------------------- */

struct end {
	const char *name;	/* "client" / "server" */
	const char *rx_dir;	/* direction it receives: "s2c" / "c2s" */
	int fd;
	uint64_t tx_key, rx_key;
	size_t max_record;

	/* progress, read by the alarm handler and main */
	_Atomic uint64_t sent, rcvd;
	_Atomic uint64_t tx_records, rx_records;
	bool tx_done, rx_eof;

	long long bad_off;	/* stream offset of the first wrong byte */
	long long bad_record;	/* its record (seqpacket), or -1 */
	int err;		/* errno of the failure, 0 if none */
	char msg[256];
	pthread_t thread;
};

static struct end ends[2];	/* [0] client, [1] server */

static void end_fail(struct end *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e->err)
		return;
	e->err = err ? err : EPROTO;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	atomic_store(&abort_all, true);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Stream receive: check the bytes where they land. */
static void rx_stream(struct end *e, unsigned char *buf, uint64_t *rs)
{
	size_t want = 1 + rnd_next(rs) % CHUNK_MAX;
	uint64_t r = e->rcvd;
	long long bad;
	ssize_t k;

	if (want < 4096 && (want & 15))	/* mostly large reads */
		want = CHUNK_MAX;
	k = recv(e->fd, buf, want, 0);
	if (k < 0) {
		if (errno != EAGAIN && errno != EINTR)
			end_fail(e, errno, "%s recv after %llu bytes: %s",
				 e->rx_dir, (unsigned long long)r,
				 strerror(errno));
		return;
	}
	if (k == 0) {
		e->rx_eof = true;
		if (r != opt.bytes) {
			e->bad_off = r;
			end_fail(e, EPROTO, "%s EOF after %llu of %llu bytes",
				 e->rx_dir, (unsigned long long)r,
				 (unsigned long long)opt.bytes);
		}
		return;
	}
	if (r + k > opt.bytes) {
		e->bad_off = opt.bytes;
		end_fail(e, EPROTO, "%s: %llu bytes received, more than %llu",
			 e->rx_dir, (unsigned long long)(r + k),
			 (unsigned long long)opt.bytes);
		return;
	}
	bad = pat_check(buf, k, e->rx_key, r);
	if (bad >= 0) {
		e->bad_off = bad;
		end_fail(e, EPROTO, "%s: byte %llu differs (read of %zd at %llu)",
			 e->rx_dir, (unsigned long long)bad, k,
			 (unsigned long long)r);
		return;
	}
	e->rcvd = r + k;
}

/* Seqpacket receive: one record per call, its length, number and bytes. */
static void rx_seqpacket(struct end *e, unsigned char *buf)
{
	uint64_t i = e->rx_records, r = e->rcvd;
	struct iovec iov = { .iov_base = buf, .iov_len = e->max_record + 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t len;
	long long bad, seq;
	ssize_t k;

	k = recvmsg(e->fd, &mh, 0);
	if (k < 0) {
		if (errno != EAGAIN && errno != EINTR)
			end_fail(e, errno, "%s recv of record %llu: %s",
				 e->rx_dir, (unsigned long long)i,
				 strerror(errno));
		return;
	}
	if (k == 0) {	/* no empty records are sent: this is EOF */
		e->rx_eof = true;
		if (r != opt.bytes) {
			e->bad_off = r;
			e->bad_record = i;
			end_fail(e, EPROTO, "%s EOF after %llu of %llu bytes (%llu records)",
				 e->rx_dir, (unsigned long long)r,
				 (unsigned long long)opt.bytes,
				 (unsigned long long)i);
		}
		return;
	}
	len = rec_len(e->rx_key, i, e->max_record);
	if (len > opt.bytes - r)
		len = opt.bytes - r;
	if (r >= opt.bytes) {
		e->bad_off = r;
		e->bad_record = i;
		end_fail(e, EPROTO, "%s: record %llu (%zd bytes) after all %llu bytes",
			 e->rx_dir, (unsigned long long)i, k,
			 (unsigned long long)opt.bytes);
		return;
	}
	bad = rec_check(buf, k, e->rx_key, i, r, &seq);
	if ((size_t)k != len || (mh.msg_flags & MSG_TRUNC) || bad >= 0) {
		e->bad_off = r + (bad >= 0 ? bad : 0);
		e->bad_record = i;
		end_fail(e, EPROTO,
			 "%s: record %llu at offset %llu: %zd bytes%s (want %zu), sequence %lld, first wrong byte %lld",
			 e->rx_dir, (unsigned long long)i,
			 (unsigned long long)r, k,
			 (mh.msg_flags & MSG_TRUNC) ? " MSG_TRUNC" : "",
			 len, seq, bad);
		return;
	}
	e->rcvd = r + k;
	e->rx_records = i + 1;
}

struct txstate {
	unsigned char *buf;
	size_t len, off;	/* the write in progress */
	uint64_t rs;		/* sizes */
};

static void tx_some(struct end *e, struct txstate *t)
{
	uint64_t s = e->sent;
	ssize_t k;

	if (t->off == t->len) {		/* the next write */
		uint64_t left = opt.bytes - s;

		if (opt.type == X_SEQPACKET) {
			uint64_t i = e->tx_records;

			t->len = rec_len(e->tx_key, i, e->max_record);
			if (t->len > left)
				t->len = left;
			rec_fill(t->buf, t->len, e->tx_key, i, s);
		} else {
			t->len = 1 + rnd_next(&t->rs) % CHUNK_MAX;
			if (t->len < 4096 && (t->len & 7))
				t->len = CHUNK_MAX;	/* mostly large */
			if (t->len > left)
				t->len = left;
			pat_fill(t->buf, t->len, e->tx_key, s);
		}
		/* the self-test: the client sends one wrong bit */
		if (opt.inject >= 0 && e->tx_key == dir_key(0) &&
		    (uint64_t)opt.inject >= s &&
		    (uint64_t)opt.inject < s + t->len)
			t->buf[opt.inject - s] ^= 0x10;
		t->off = 0;
	}
	k = send(e->fd, t->buf + t->off, t->len - t->off, MSG_NOSIGNAL);
	if (k < 0) {
		if (errno != EAGAIN && errno != EINTR)
			end_fail(e, errno, "%s send after %llu bytes: %s",
				 e->name, (unsigned long long)s,
				 strerror(errno));
		return;
	}
	if (opt.type == X_SEQPACKET) {
		if ((size_t)k != t->len) {
			end_fail(e, EPROTO, "%s: record %llu: send of %zu returned %zd",
				 e->name, (unsigned long long)e->tx_records,
				 t->len, k);
			return;
		}
		e->tx_records++;
	}
	t->off += k;
	e->sent = s + k;
	if (e->sent == opt.bytes) {
		if (shutdown(e->fd, SHUT_WR)) {
			end_fail(e, errno, "%s shutdown: %s", e->name,
				 strerror(errno));
			return;
		}
		e->tx_done = true;
	}
}

static void *pump(void *arg)
{
	struct end *e = arg;
	struct txstate t = { .rs = e->tx_key * 7 + 3 };
	uint64_t rs = e->rx_key * 11 + 5;
	size_t bufsz = opt.type == X_SEQPACKET ? e->max_record + 1 : CHUNK_MAX;
	unsigned char *rx = malloc(bufsz);
	long long last_tx = now_ms(), last_rx = last_tx;

	t.buf = malloc(bufsz);
	if (!rx || !t.buf || set_nonblock(e->fd)) {
		end_fail(e, errno ? errno : ENOMEM, "%s: setup: %s", e->name,
			 strerror(errno ? errno : ENOMEM));
		goto out;
	}
	if (opt.bytes == 0) {
		if (shutdown(e->fd, SHUT_WR))
			end_fail(e, errno, "%s shutdown: %s", e->name,
				 strerror(errno));
		e->tx_done = true;
	}
	while (!(e->tx_done && e->rx_eof) && !atomic_load(&abort_all)) {
		struct pollfd p = {
			.fd = e->fd,
			.events = (e->rx_eof ? 0 : POLLIN) |
				  (e->tx_done ? 0 : POLLOUT),
		};
		long long now = now_ms(), wait;
		uint64_t s0 = e->sent, r0 = e->rcvd;
		bool r0eof = e->rx_eof;
		int n;

		if (now >= deadline) {
			end_fail(e, ETIMEDOUT, "%s: overall timeout of %d s",
				 e->name, opt.timeout_s);
			break;
		}
		if (!e->tx_done && now - last_tx > opt.stall_ms) {
			end_fail(e, ETIMEDOUT, "%s: no send progress for %d ms after %llu bytes",
				 e->name, opt.stall_ms,
				 (unsigned long long)e->sent);
			break;
		}
		if (!e->rx_eof && now - last_rx > opt.stall_ms) {
			end_fail(e, ETIMEDOUT, "%s: nothing received for %d ms after %llu bytes",
				 e->rx_dir, opt.stall_ms,
				 (unsigned long long)e->rcvd);
			break;
		}
		/* short enough to notice the other end's failure */
		wait = 250;
		n = poll(&p, 1, (int)wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			end_fail(e, errno, "%s poll: %s", e->name,
				 strerror(errno));
			break;
		}
		if (n == 0)
			continue;
		if (!e->rx_eof && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
			if (opt.type == X_SEQPACKET)
				rx_seqpacket(e, rx);
			else
				rx_stream(e, rx, &rs);
		}
		if (!e->err && !e->tx_done &&
		    (p.revents & (POLLOUT | POLLERR | POLLHUP)))
			tx_some(e, &t);
		now = now_ms();
		if (e->sent != s0)
			last_tx = now;
		if (e->rcvd != r0 || e->rx_eof != r0eof)
			last_rx = now;
	}
out:
	free(rx);
	free(t.buf);
	return NULL;
}

/* ---- network namespaces --------------------------------------------------------- */

/*
 * Move the calling thread into the namespace @fd (-1: stay).  Only this
 * thread moves; a socket it creates belongs to that namespace for good.
 * Returns 0, or an errno with @err saying what failed.
 */
static int ns_enter(int fd, const char *what, char *err, size_t errlen)
{
	int e;

	if (fd < 0 || !setns(fd, CLONE_NEWNET))
		return 0;
	e = errno;
	snprintf(err, errlen, "setns to the %s namespace: %s", what,
		 strerror(e));
	return e;
}

/* Back to the caller's namespace, after ns_enter(). */
static void ns_leave(int fd)
{
	if (fd < 0 || home_ns_fd < 0)
		return;
	if (setns(home_ns_fd, CLONE_NEWNET)) {
		/* nothing sensible is left to do: /proc would lie */
		fprintf(stderr, "toy_xfer: setns back home: %s\n",
			strerror(errno));
		exit(EXIT_FAIL);
	}
}

/* socket() in the namespace @fd (-1: this thread's); sets errno. */
static int socket_in(int fd, const char *what, int type, char *err,
		     size_t errlen)
{
	int s, e = ns_enter(fd, what, err, errlen);

	if (e) {
		errno = e;
		return -1;
	}
	s = socket(family_num, type, 0);
	e = errno;
	ns_leave(fd);
	errno = e;
	return s;
}

/* ---- sockets ----------------------------------------------------------------- */

/*
 * The address of the server: where it binds (@peer false) and where the
 * client connects or sends to (@peer true).  The loopback address both
 * ways, unless -A names the client's destination: the server then binds
 * the wildcard address.
 */
static socklen_t make_addr(struct sockaddr_storage *ss, int port, bool peer)
{
	uint32_t a = !opt.have_addr ? INADDR_LOOPBACK :
		     peer ? opt.addr : INADDR_ANY;

	memset(ss, 0, sizeof(*ss));
	switch (opt.fam) {
	case F_TOY: {
		struct sockaddr_toy *st = (struct sockaddr_toy *)ss;

		st->stoy_family = family_num;
		st->stoy_port = htons(port);
		st->stoy_addr = htonl(opt.have_addr ? a : TOY_ADDR_LOOPBACK);
		return sizeof(*st);
	}
	case F_INET: {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(a);
		return sizeof(*sin);
	}
	case F_UNIX: {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;
		int n;

		sun->sun_family = AF_UNIX;
		/* abstract: nothing to clean up */
		n = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
			     "toy_xfer.%d.%d", (int)getpid(), port);
		return offsetof(struct sockaddr_un, sun_path) + 1 + n;
	}
	}
	return 0;
}

/* The port a socket is bound to (AF_TOY and AF_INET share the layout). */
static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (opt.fam == F_UNIX)
		return opt.port;
	if (getsockname(fd, SA(&ss), &len))
		return -1;
	return sa_port(&ss);
}

static int sock_type(void)
{
	switch (opt.type) {
	case X_STREAM:
		return SOCK_STREAM;
	case X_SEQPACKET:
		return SOCK_SEQPACKET;
	default:
		return SOCK_DGRAM;
	}
}

static void out_line(const char *result, const char *extra)
{
	printf("toy_xfer type=%s family=%s%s%s result=%s\n",
	       type_name[opt.type], fam_name[opt.fam], addr_kv, extra, result);
	fflush(stdout);
}

static void on_alarm(int sig)
{
	char line[512];
	int n;

	(void)sig;
	n = snprintf(line, sizeof(line),
		     "toy_xfer type=%s family=%s%s seconds=%.3f c2s_bytes=%llu s2c_bytes=%llu mismatch=-1 error=\"alarm: overall timeout %d s\" result=fail\n",
		     type_name[opt.type], fam_name[opt.fam], addr_kv,
		     secs_since(t_start),
		     (unsigned long long)ends[1].rcvd,
		     (unsigned long long)ends[0].rcvd, opt.timeout_s);
	if (write(STDOUT_FILENO, line, n) < 0)
		_exit(EXIT_TIMEOUT);
	_exit(EXIT_TIMEOUT);
}

/* Wait for @fd to become readable/writable within the stall limit. */
static bool wait_ready(int fd, short ev)
{
	int r = wait_fd(fd, ev, opt.stall_ms);

	return r > 0 && (r & ev);
}


/* " ADDR" of -A for messages, or "" */
static const char *dest_str(void)
{
	static char buf[24];
	struct in_addr a = { .s_addr = htonl(opt.addr) };

	if (!opt.have_addr)
		return "";
	snprintf(buf, sizeof(buf), " %s", inet_ntoa(a));
	return buf;
}

/*
 * Wait until the listener @l has a connection to accept.  A client error
 * (@c reports POLLERR, or POLLOUT with SO_ERROR set) ends the wait early:
 * returns 0 when @l is ready, else an errno (ETIMEDOUT after the stall
 * limit) with *cerr the client's error or 0.
 */
static int wait_accept(int l, int c, int *cerr)
{
	long long end = now_ms() + opt.stall_ms;
	bool watch_c = true;

	*cerr = 0;
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = l, .events = POLLIN },
			{ .fd = watch_c ? c : -1, .events = POLLOUT },
		};
		long long left = end - now_ms();
		int n;

		if (left < 0)
			left = 0;
		n = poll(p, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return ETIMEDOUT;
		if (p[0].revents & POLLIN)
			return 0;
		if (p[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
			int e = sock_error(c);

			if (e || (p[1].revents & (POLLERR | POLLHUP))) {
				*cerr = e > 0 ? e : ECONNABORTED;
				return *cerr;
			}
			watch_c = false;	/* connected: wait for @l only */
		}
	}
}

/*
 * A connected pair: *c the client (non-blocking), *s the accepted end.
 * Returns 0, or an errno with @err describing the failure.
 */
static int connect_pair(int *c, int *s, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t alen;
	int l, port, e = 0, cerr;

	*c = *s = -1;
	err[0] = 0;
	l = socket_in(server_ns_fd, "server", sock_type() | SOCK_CLOEXEC, err,
		      errlen);
	if (l < 0) {
		e = errno;
		if (!err[0])
			snprintf(err, errlen, "socket(%d, %s): %s", family_num,
				 type_name[opt.type], strerror(e));
		return e;
	}
	if (opt.fam == F_INET)
		setsockopt_int(l, SOL_SOCKET, SO_REUSEADDR, 1);
	alen = make_addr(&ss, opt.port, false);
	if (bind(l, SA(&ss), alen) || listen(l, 4) ||
	    (port = bound_port(l)) <= 0) {
		e = errno;
		snprintf(err, errlen, "bind/listen on port %d: %s", opt.port,
			 strerror(e));
		close(l);
		return e ? e : EINVAL;
	}
	*c = socket_in(client_ns_fd, "client",
		       sock_type() | SOCK_CLOEXEC | SOCK_NONBLOCK, err, errlen);
	alen = make_addr(&ss, port, true);
	if (*c < 0 || (connect(*c, SA(&ss), alen) && errno != EINPROGRESS)) {
		e = errno;
		if (*c >= 0 || !err[0])
			snprintf(err, errlen, "connect to%s port %d: %s",
				 dest_str(), port, strerror(e));
		close(l);
		return e ? e : EINVAL;
	}
	/* The server accepts before either side sends: a connection that
	 * only the client believes in (its last handshake frame lost) shows
	 * here, as it would to a server that speaks first.  A client whose
	 * connect fails says so at once.
	 */
	e = wait_accept(l, *c, &cerr);
	if (cerr) {
		snprintf(err, errlen, "connect to%s port %d: %s", dest_str(),
			 port, strerror(cerr));
		close(l);
		return cerr;
	}
	if (e) {
		snprintf(err, errlen,
			 "accept: no connection on port %d within %d ms (client: %s)",
			 port, opt.stall_ms,
			 (wait_fd(*c, POLLOUT, 0) & POLLOUT) ?
			 "connected" : "connecting");
		close(l);
		return ETIMEDOUT;
	}
	*s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (*s < 0) {
		e = errno;
		snprintf(err, errlen, "accept: %s", strerror(e));
		close(l);
		return e;
	}
	if (!wait_ready(*c, POLLOUT) || (e = sock_error(*c)) != 0) {
		e = e > 0 ? e : ETIMEDOUT;
		snprintf(err, errlen,
			 "connect to port %d: %s (accepted, but not connected within %d ms)",
			 port, strerror(e), opt.stall_ms);
		close(l);
		return e;
	}
	close(l);
	return 0;
}

/*
 * The largest record a seqpacket connection takes, measured: bisect with
 * sends on a throwaway connection that nobody reads (its buffers take the
 * ~17 probes of at most 64 KiB).  -1 if that fails (@err says why).
 */
static long long probe_max_record(char *err, size_t errlen)
{
	static char buf[65536];
	long long lo = 1, hi = sizeof(buf);
	int pc, ps;

	if (connect_pair(&pc, &ps, err, errlen))
		return -1;
	while (lo < hi) {
		long long mid = (lo + hi + 1) / 2;
		ssize_t k;

		if (!wait_ready(pc, POLLOUT))
			break;
		k = send(pc, buf, mid, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k == mid)
			lo = mid;
		else if (k < 0 && errno == EMSGSIZE)
			hi = mid - 1;
		else
			break;
	}
	close(pc);
	close(ps);
	if (lo != hi) {
		snprintf(err, errlen, "EMSGSIZE probe failed");
		return -1;
	}
	return lo;
}

/* toy0's MTU in the client's namespace (-C), by SIOCGIFMTU, or -1. */
static long long client_toy0_mtu(void)
{
	struct ifreq ifr;
	char err[128];
	int fd, e = ns_enter(client_ns_fd, "client", err, sizeof(err));

	if (e)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ns_leave(client_ns_fd);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, TOY_DEV, IFNAMSIZ - 1);
	e = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	return e ? -1 : ifr.ifr_mtu;
}

/* The largest seqpacket record of the path, or -1 (@err says why). */
static long long path_max_record(char *err, size_t errlen)
{
	long long mtu;

	if (opt.fam != F_TOY)
		return 65503;	/* the same as AF_TOY on toy0, to compare */
	if (opt.have_addr)	/* perhaps across a link: measure it */
		return probe_max_record(err, errlen);
	if (client_ns_fd >= 0)
		mtu = client_toy0_mtu();
	else
		mtu = read_ull_file("/sys/class/net/" TOY_DEV "/mtu");
	if (mtu <= 0) {
		if (client_ns_fd >= 0)
			snprintf(err, errlen,
				 "cannot read %s's MTU in the client namespace",
				 TOY_DEV);
		else
			snprintf(err, errlen, "cannot read /sys/class/net/%s/mtu",
				 TOY_DEV);
		return -1;
	}
#ifdef TOY_HDR_LEN
	mtu -= TOY_HDR_LEN;
	return mtu < TOY_MAX_PAYLOAD ? mtu : TOY_MAX_PAYLOAD;
#else
	/* No header size in the uapi header: measure it. */
	return probe_max_record(err, errlen);
#endif
}

/* Keep a message one double-quoted token. */
static void quote(char *dst, size_t n, const char *src)
{
	size_t j = 0;

	for (; *src && j < n - 1; src++)
		dst[j++] = *src == '"' ? '\'' : *src;
	dst[j] = 0;
}

static int run_connected(void)
{
	char err[512] = "", q[300], extra[2048];
	struct end *bad = NULL;
	long long maxrec = 0, t0;
	int c, s, i, e;
	double secs;

	t0 = now_ms();
	e = connect_pair(&c, &s, err, sizeof(err));
	if (e) {
		quote(q, sizeof(q), err);
		snprintf(extra, sizeof(extra), " error=\"%s\"", q);
		out_line("fail", extra);
		return (e == EAFNOSUPPORT || e == ESOCKTNOSUPPORT ||
			e == EPROTONOSUPPORT) ? EXIT_NOFAM : EXIT_FAIL;
	}

	if (opt.type == X_SEQPACKET) {
		maxrec = path_max_record(err, sizeof(err));
		if (maxrec <= 0) {
			quote(q, sizeof(q), err);
			snprintf(extra, sizeof(extra), " error=\"%s\"", q);
			out_line("fail", extra);
			return EXIT_FAIL;
		}
		if (opt.max_record > 0 && opt.max_record < maxrec)
			maxrec = opt.max_record;
		/* the path's limit is exact: one byte more is EMSGSIZE */
		if (opt.fam == F_TOY && !opt.max_record) {
			static char big[TOY_MAX_PAYLOAD + 2];
			ssize_t k = -1;

			errno = 0;
			if (maxrec + 1 <= (long long)sizeof(big))
				k = send(c, big, maxrec + 1,
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (maxrec + 1 <= (long long)sizeof(big) &&
			    (k != -1 || errno != EMSGSIZE)) {
				snprintf(extra, sizeof(extra),
					 " max_record=%lld mismatch=-1 error=\"a record of %lld bytes: send returned %zd (%s), not EMSGSIZE\"",
					 maxrec, maxrec + 1, k,
					 k < 0 ? strerror(errno) : "sent");
				out_line("fail", extra);
				return EXIT_FAIL;
			}
		}
	}

	for (i = 0; i < 2; i++) {
		struct end *en = &ends[i];

		en->name = i ? "server" : "client";
		en->rx_dir = i ? "c2s" : "s2c";
		en->fd = i ? s : c;
		en->tx_key = dir_key(i);
		en->rx_key = dir_key(!i);
		en->max_record = maxrec;
		en->bad_off = -1;
		en->bad_record = -1;
	}
	for (i = 0; i < 2; i++) {
		int r = pthread_create(&ends[i].thread, NULL, pump, &ends[i]);

		if (r) {
			end_fail(&ends[i], r, "pthread_create: %s", strerror(r));
			ends[i].thread = 0;
		}
	}
	for (i = 0; i < 2; i++)
		if (ends[i].thread)
			pthread_join(ends[i].thread, NULL);
	secs = secs_since(t0);
	close(c);
	close(s);

	/* report a corrupt byte in preference to its consequences */
	for (i = 0; i < 2; i++)
		if (ends[i].err && (!bad || (ends[i].bad_off >= 0 &&
					     bad->bad_off < 0)))
			bad = &ends[i];
	err[0] = 0;
	if (bad) {
		quote(q, sizeof(q), bad->msg);
		snprintf(err, sizeof(err),
			 " mismatch_dir=%s mismatch_record=%lld error=\"%s\"",
			 bad->rx_dir, bad->bad_record, q);
	}
	snprintf(extra, sizeof(extra),
		 " mib=%g seconds=%.3f c2s_bytes=%llu s2c_bytes=%llu c2s_records=%llu s2c_records=%llu max_record=%lld mbit_s=%.1f mismatch=%lld%s",
		 opt.bytes / 1048576.0, secs,
		 (unsigned long long)ends[1].rcvd,
		 (unsigned long long)ends[0].rcvd,
		 (unsigned long long)ends[1].rx_records,
		 (unsigned long long)ends[0].rx_records,
		 maxrec,
		 secs > 0 ? (ends[0].rcvd + ends[1].rcvd) * 8 / secs / 1e6 : 0.0,
		 bad ? bad->bad_off : -1LL, err);
	if (!bad && ends[0].rcvd == opt.bytes && ends[1].rcvd == opt.bytes &&
	    ends[0].rx_eof && ends[1].rx_eof) {
		out_line("pass", extra);
		return 0;
	}
	out_line("fail", extra);
	return EXIT_FAIL;
}

/* ---- datagrams ----------------------------------------------------------------- */

/* The drop counters a datagram can end in, per family. */
struct dg_counters {
	long long in_errors, csum_errors, hdr_errors, rcvbuf_errors;
	long long rx_dropped;
};

/*
 * The receive drops of every device of the calling thread's namespace
 * (the "drop" column of /proc/thread-self/net/dev), or -1.
 */
static long long ns_rx_dropped(void)
{
	FILE *f = fopen("/proc/thread-self/net/dev", "r");
	char line[512];
	long long sum = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		unsigned long long drop;

		/* "  name: bytes packets errs drop ..." */
		if (colon && sscanf(colon + 1, "%*u %*u %*u %llu", &drop) == 1)
			sum += drop;
	}
	fclose(f);
	return sum;
}

/*
 * With -D these are the server namespace's counters, and the calling
 * thread must be in it: /proc/net is the namespace of the process's
 * first thread, /proc/thread-self/net that of the caller.
 */
static void dg_counters(struct dg_counters *k)
{
	bool ns = server_ns_fd >= 0;
	const char *path = opt.fam == F_TOY ?
		(ns ? "/proc/thread-self/net/toy_snmp" : TOY_PROC_SNMP) :
		(ns ? "/proc/thread-self/net/snmp" : "/proc/net/snmp");
	const char *pfx = opt.fam == F_TOY ? "Toy:" : "Udp:";

	k->in_errors = snmp_get(path, pfx, "InErrors");
	k->csum_errors = snmp_get(path, pfx, "InCsumErrors");
	k->hdr_errors = opt.fam == F_TOY ? snmp_get(path, pfx, "HdrErrors") : 0;
	k->rcvbuf_errors = snmp_get(path, pfx, "RcvbufErrors");
	if (ns) {
		k->rx_dropped = ns_rx_dropped();
		return;
	}
	k->rx_dropped = read_ull_file(opt.fam == F_TOY ?
				      "/sys/class/net/" TOY_DEV "/statistics/rx_dropped" :
				      "/sys/class/net/lo/statistics/rx_dropped");
}

/* What the kernel has counted as dropped on the receive side since @k0. */
static long long dg_counted(const struct dg_counters *k0)
{
	struct dg_counters k;

	dg_counters(&k);
	/* InErrors includes the checksum, header and buffer errors */
	return (k.in_errors - k0->in_errors) + (k.rx_dropped - k0->rx_dropped);
}

struct dg_rx {
	int fd;
	unsigned char *seen;
	_Atomic long sent;	/* set by the sender */
	atomic_bool send_done;
	struct dg_counters k0;
	long delivered, ok, corrupt, dup;
	long long first_bad_seq;
	int err;
	char msg[200];
};

static void *dg_receiver(void *arg)
{
	struct dg_rx *d = arg;
	unsigned char *buf = malloc(opt.dlen + 1);
	int idle_ms = opt.stall_ms / 10;
	long long last = now_ms();
	uint64_t key = dir_key(2);

	if (!buf) {
		d->err = ENOMEM;
		return NULL;
	}
	/* for dg_counted(): stays there, this thread ends with the run */
	d->err = ns_enter(server_ns_fd, "server", d->msg, sizeof(d->msg));
	if (d->err) {
		free(buf);
		return NULL;
	}
	for (;;) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		long long now = now_ms();
		int n;

		if (atomic_load(&d->send_done)) {
			long sent = atomic_load(&d->sent);

			if (d->ok + d->corrupt >= sent)
				break;
			/* everything accounted for: no need to wait */
			if (d->ok + d->corrupt + dg_counted(&d->k0) >= sent)
				break;
			if (now - last > idle_ms)
				break;
		} else if (now - last > opt.stall_ms) {
			d->err = ETIMEDOUT;
			snprintf(d->msg, sizeof(d->msg),
				 "nothing received for %d ms while sending",
				 opt.stall_ms);
			break;
		}
		if (now >= deadline) {
			d->err = ETIMEDOUT;
			snprintf(d->msg, sizeof(d->msg), "overall timeout");
			break;
		}
		n = poll(&p, 1, 100);
		if (n <= 0) {
			if (n < 0 && errno != EINTR) {
				d->err = errno;
				snprintf(d->msg, sizeof(d->msg), "poll: %s",
					 strerror(errno));
				break;
			}
			continue;
		}
		while (true) {
			ssize_t k = recv(d->fd, buf, opt.dlen + 1, MSG_DONTWAIT);
			long long seq = -1;
			bool good;

			if (k < 0) {
				if (errno != EAGAIN && errno != EINTR) {
					d->err = errno;
					snprintf(d->msg, sizeof(d->msg),
						 "recv: %s", strerror(errno));
				}
				break;
			}
			last = now_ms();
			d->delivered++;
			good = k == opt.dlen;
			if (good) {
				uint64_t s = 0;
				int b;

				for (b = 7; b >= 0; b--)
					s = (s << 8) | buf[b];
				good = s < (uint64_t)opt.count &&
				       rec_check(buf, k, key, s,
						 s * opt.dlen, &seq) < 0;
			}
			if (!good) {
				if (d->first_bad_seq < 0)
					d->first_bad_seq = seq >= 0 ? seq : 0;
				d->corrupt++;
			} else if (d->seen[seq]) {
				d->dup++;
			} else {
				d->seen[seq] = 1;
				d->ok++;
			}
		}
		if (d->err)
			break;
	}
	free(buf);
	return NULL;
}

static int run_dgram(void)
{
	struct sockaddr_storage ss;
	struct dg_counters k1;
	struct dg_rx d = { .first_bad_seq = -1 };
	unsigned char *buf = malloc(opt.dlen);
	char extra[1024], q[256], nserr[128] = "";
	long enobufs = 0, i;
	socklen_t alen;
	int rx, tx = -1, port, err = 0;
	long long t0;
	pthread_t th;
	double secs;

	d.seen = calloc(opt.count, 1);
	rx = socket_in(server_ns_fd, "server", SOCK_DGRAM | SOCK_CLOEXEC,
		       nserr, sizeof(nserr));
	if (rx >= 0)
		tx = socket_in(client_ns_fd, "client",
			       SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			       nserr, sizeof(nserr));
	if (!buf || !d.seen || rx < 0 || tx < 0) {
		err = errno;
		if (nserr[0])
			snprintf(q, sizeof(q), "setup: %s", nserr);
		else
			snprintf(q, sizeof(q), "setup: %s", strerror(err));
		snprintf(extra, sizeof(extra), " error=\"%s\"", q);
		out_line("fail", extra);
		return err == EAFNOSUPPORT ? EXIT_NOFAM : EXIT_FAIL;
	}
	/* room for every datagram: a slow reader must not be the loss */
	if (setsockopt_int(rx, SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20))
		setsockopt_int(rx, SOL_SOCKET, SO_RCVBUF, 64 << 20);
	alen = make_addr(&ss, opt.port, false);
	if (bind(rx, SA(&ss), alen) || (port = bound_port(rx)) <= 0 ||
	    (alen = make_addr(&ss, port, true),
	     connect(tx, SA(&ss), alen))) {
		snprintf(q, sizeof(q), "bind/connect%s: %s", dest_str(),
			 strerror(errno));
		snprintf(extra, sizeof(extra), " error=\"%s\"", q);
		out_line("fail", extra);
		return EXIT_FAIL;
	}
	d.fd = rx;
	if (ns_enter(server_ns_fd, "server", nserr, sizeof(nserr))) {
		snprintf(extra, sizeof(extra), " error=\"%s\"", nserr);
		out_line("fail", extra);
		return EXIT_FAIL;
	}
	dg_counters(&d.k0);
	ns_leave(server_ns_fd);
	t0 = now_ms();
	err = pthread_create(&th, NULL, dg_receiver, &d);
	if (err) {
		snprintf(extra, sizeof(extra), " error=\"pthread_create: %s\"",
			 strerror(err));
		out_line("fail", extra);
		return EXIT_FAIL;
	}
	for (i = 0; i < opt.count && !err; ) {
		ssize_t k;

		rec_fill(buf, opt.dlen, dir_key(2), i, (uint64_t)i * opt.dlen);
		if (i == opt.inject)	/* the self-test */
			buf[opt.dlen - 1] ^= 0x10;
		k = send(tx, buf, opt.dlen, MSG_NOSIGNAL);
		if (k == opt.dlen) {
			atomic_store(&d.sent, ++i);
			continue;
		}
		if (k < 0 && errno == ENOBUFS) {
			/* dropped by the qdisc (counted there): resend */
			enobufs++;
		} else if (k >= 0 || (errno != EAGAIN && errno != EINTR)) {
			err = k < 0 ? errno : EPROTO;
			break;
		}
		if (!wait_ready(tx, POLLOUT) || now_ms() >= deadline) {
			err = ETIMEDOUT;
			break;
		}
	}
	atomic_store(&d.send_done, true);
	pthread_join(th, NULL);
	secs = secs_since(t0);
	if (ns_enter(server_ns_fd, "server", nserr, sizeof(nserr)))
		k1 = d.k0;	/* no deltas: it worked a moment ago */
	else
		dg_counters(&k1);
	ns_leave(server_ns_fd);
	close(rx);
	close(tx);

	q[0] = 0;
	if (err)
		snprintf(q, sizeof(q), "send of datagram %ld: %s", i,
			 strerror(err));
	else if (d.err)
		snprintf(q, sizeof(q), "receiver: %s", d.msg);
	else if (d.corrupt)
		snprintf(q, sizeof(q), "%ld corrupt datagrams delivered",
			 d.corrupt);
	snprintf(extra, sizeof(extra),
		 " count=%ld len=%d seconds=%.3f sent=%ld send_enobufs=%ld delivered=%ld ok=%ld corrupt=%ld dup=%ld missing=%ld in_errors=%lld in_csum_errors=%lld hdr_errors=%lld rcvbuf_errors=%lld rx_dropped=%lld unaccounted=%lld mismatch=%lld%s%s%s",
		 opt.count, opt.dlen, secs, (long)d.sent, enobufs,
		 d.delivered, d.ok, d.corrupt, d.dup, (long)d.sent - d.ok,
		 k1.in_errors - d.k0.in_errors,
		 k1.csum_errors - d.k0.csum_errors,
		 k1.hdr_errors - d.k0.hdr_errors,
		 k1.rcvbuf_errors - d.k0.rcvbuf_errors,
		 k1.rx_dropped - d.k0.rx_dropped,
		 (long long)d.sent - d.ok - d.corrupt -
		 (k1.in_errors - d.k0.in_errors) -
		 (k1.rx_dropped - d.k0.rx_dropped),
		 d.first_bad_seq >= 0 ? d.first_bad_seq * opt.dlen : -1LL,
		 q[0] ? " error=\"" : "", q, q[0] ? "\"" : "");
	free(buf);
	free(d.seen);
	if (err || d.err || d.corrupt) {
		out_line("fail", extra);
		return EXIT_FAIL;
	}
	out_line("pass", extra);
	return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: toy_xfer [-t stream|seqpacket|dgram] [-f toy|inet|unix] [-m MIB]\n"
		"                [-T TIMEOUT_S] [-S STALL_S] [-p PORT] [-r MAX_RECORD]\n"
		"                [-n COUNT] [-l LEN] [-s SEED] [-x INJECT]\n"
		"                [-A ADDR] [-C NSPATH] [-D NSPATH]\n"
		"  -t  socket type (default stream)\n"
		"  -f  family: toy (AF_TOY, number from %s), inet (127.0.0.1), unix\n"
		"  -m  MiB each way, stream and seqpacket (default 64; fractions allowed)\n"
		"  -T  overall limit in seconds (default 600); alarm backstop 10 s later\n"
		"  -S  longest wait without progress, seconds (default 30)\n"
		"  -p  port of the listener / receiver (default 0: any free one)\n"
		"  -r  largest seqpacket record (default: the path's, toy0 MTU - header)\n"
		"  -n  datagrams to send in dgram mode (default 2000)\n"
		"  -l  datagram length, >= 8 (default 1000)\n"
		"  -s  seed of the data (default 1)\n"
		"  -x  self-test: the client flips a bit of its byte N (dgram: of\n"
		"      datagram N), which the receiver must report\n"
		"  -A  the address the client connects or sends to, a dotted quad\n"
		"      (default the loopback address; with -A the server binds the\n"
		"      wildcard address); toy and inet only\n"
		"  -C  make the client's socket in the network namespace NSPATH\n"
		"      (e.g. /run/netns/n1)\n"
		"  -D  make the server's socket in the network namespace NSPATH\n"
		"Prints one line \"toy_xfer key=value ... result=pass|fail\".\n"
		"Exit: 0 pass, 1 fail, 2 usage, 3 timeout, 4 family unavailable.\n",
		TOY_SYSFS_FAMILY);
}

int main(int argc, char **argv)
{
	int o, ret;

	while ((o = getopt(argc, argv, "t:f:m:T:S:p:r:n:l:s:x:A:C:D:h")) != -1) {
		switch (o) {
		case 't':
			if (!strcmp(optarg, "stream"))
				opt.type = X_STREAM;
			else if (!strcmp(optarg, "seqpacket"))
				opt.type = X_SEQPACKET;
			else if (!strcmp(optarg, "dgram"))
				opt.type = X_DGRAM;
			else
				goto bad;
			break;
		case 'f':
			if (!strcmp(optarg, "toy"))
				opt.fam = F_TOY;
			else if (!strcmp(optarg, "inet") || !strcmp(optarg, "tcp"))
				opt.fam = F_INET;
			else if (!strcmp(optarg, "unix"))
				opt.fam = F_UNIX;
			else
				goto bad;
			break;
		case 'm': {
			double m = strtod(optarg, NULL);

			if (m < 0)
				goto bad;
			opt.bytes = (uint64_t)(m * 1048576.0);
			break;
		}
		case 'T':
			opt.timeout_s = atoi(optarg);
			if (opt.timeout_s <= 0)
				goto bad;
			break;
		case 'S':
			opt.stall_ms = atoi(optarg) * 1000;
			if (opt.stall_ms <= 0)
				goto bad;
			break;
		case 'p':
			opt.port = atoi(optarg);
			if (opt.port < 0 || opt.port > 65535)
				goto bad;
			break;
		case 'r':
			opt.max_record = atoi(optarg);
			if (opt.max_record <= 0)
				goto bad;
			break;
		case 'n':
			opt.count = atol(optarg);
			if (opt.count <= 0)
				goto bad;
			break;
		case 'l':
			opt.dlen = atoi(optarg);
			if (opt.dlen < 8)
				goto bad;
			break;
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'x':
			opt.inject = strtoll(optarg, NULL, 0);
			break;
		case 'A': {
			struct in_addr a;

			if (inet_pton(AF_INET, optarg, &a) != 1)
				goto bad;
			opt.have_addr = true;
			opt.addr = ntohl(a.s_addr);
			snprintf(addr_kv, sizeof(addr_kv), " addr=%s",
				 inet_ntoa(a));
			break;
		}
		case 'C':
			opt.client_ns = optarg;
			break;
		case 'D':
			opt.server_ns = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (opt.type == X_SEQPACKET && opt.fam == F_INET) {
		fprintf(stderr, "toy_xfer: AF_INET has no SOCK_SEQPACKET (without SCTP)\n");
		return EXIT_USAGE;
	}
	if (opt.have_addr && opt.fam == F_UNIX) {
		fprintf(stderr, "toy_xfer: -A needs -f toy or -f inet\n");
		return EXIT_USAGE;
	}
	if (opt.client_ns || opt.server_ns) {
		const char *bad_ns = NULL;

		home_ns_fd = open("/proc/thread-self/ns/net",
				  O_RDONLY | O_CLOEXEC);
		if (home_ns_fd < 0)
			bad_ns = "/proc/thread-self/ns/net";
		if (!bad_ns && opt.client_ns &&
		    (client_ns_fd = open(opt.client_ns,
					 O_RDONLY | O_CLOEXEC)) < 0)
			bad_ns = opt.client_ns;
		if (!bad_ns && opt.server_ns &&
		    (server_ns_fd = open(opt.server_ns,
					 O_RDONLY | O_CLOEXEC)) < 0)
			bad_ns = opt.server_ns;
		if (bad_ns) {
			fprintf(stderr, "toy_xfer: %s: %s\n", bad_ns,
				strerror(errno));
			return EXIT_USAGE;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	switch (opt.fam) {
	case F_TOY:
		/* never make a host kernel autoload a module */
		if (!toy_module_loaded()) {
			out_line("fail", " error=\"af_toy.ko is not loaded\"");
			return EXIT_NOFAM;
		}
		family_num = toy_family();
		break;
	case F_INET:
		family_num = AF_INET;
		break;
	case F_UNIX:
		family_num = AF_UNIX;
		if (!opt.port)	/* a "port" only names the abstract address */
			opt.port = 1;
		break;
	}
	t_start = now_ms();
	deadline = t_start + opt.timeout_s * 1000LL;
	signal(SIGALRM, on_alarm);
	alarm(opt.timeout_s + 10);

	ret = opt.type == X_DGRAM ? run_dgram() : run_connected();
	alarm(0);
	return ret;
bad:
	usage(stderr);
	return EXIT_USAGE;
}
