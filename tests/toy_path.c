// SPDX-License-Identifier: GPL-2.0
/*
 * toy_path.c - one datagram, or one stream segment, sent and read back by
 * one task, with tracing on only while it happens: the action that
 * scripts/guest/path-trace.sh records with function_graph to draw
 * docs/diagrams/path-dgram.dot and path-stream.dot.
 *
 *   toy_path dgram|stream TRACING_ON
 *
 * TRACING_ON is tracefs's tracing_on file.  "1" is written to it just
 * before the send and "0" just after the data has been read back, so the
 * trace holds that send and that receive and nothing of the set-up.
 *
 * dgram:  a socket bound on toy0's loopback address sends "hello" to
 *         itself and reads it.
 * stream: a listener, a client connected to it and the accepted socket,
 *         all in this task; once the handshake is over, the client sends
 *         "hello" and the accepted socket reads it.  The accepted socket
 *         has TOY_QUICKACK (from its listener), so that it acknowledges
 *         the segment at once, as it would a second one, and the trace
 *         shows the ACK's way back; by default one segment's ACK would
 *         wait for the delayed-ACK timer, outside the trace.
 *
 * One task does both ends so that the path is the same every run: on a
 * loopback the receive softirq runs in the sender's own context as soon
 * as the send enables bottom halves again (lab 1), so the frame has been
 * delivered (and, for a stream, acknowledged) before send() returns.
 * Exit status 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/toy.h>

static const char msg[] = "hello";

static int fail(const char *what)
{
	fprintf(stderr, "toy_path: %s: %s\n", what, strerror(errno));
	return 1;
}

/* tracing: write "1" or "0" to the tracing_on file fd */
static int tracing(int fd, const char *on)
{
	return pwrite(fd, on, 1, 0) == 1 ? 0 : -1;
}

/* a socket of TYPE bound to the loopback address, its name in *a */
static int bound(int type, struct sockaddr_toy *a)
{
	socklen_t len = sizeof(*a);
	int s = socket(AF_TOY, type, 0);

	if (s < 0)
		return -1;
	memset(a, 0, sizeof(*a));
	a->stoy_family = AF_TOY;
	a->stoy_addr = htonl(TOY_ADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)a, sizeof(*a)) ||
	    getsockname(s, (struct sockaddr *)a, &len)) {
		close(s);
		return -1;
	}
	return s;
}

/* read_back: wait (10 s at most) for the message on S and read it */
static int read_back(int s)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	char buf[sizeof(msg)];

	if (poll(&p, 1, 10000) != 1)
		return -1;
	if (recv(s, buf, sizeof(buf), MSG_DONTWAIT) != sizeof(msg) ||
	    memcmp(buf, msg, sizeof(msg))) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

/*
 * exchange: with tracing on, TX sends the message (to TO, or to its peer
 * if TO is NULL) and RX reads it back
 */
static int exchange(int on, int tx, int rx, const struct sockaddr_toy *to)
{
	if (tracing(on, "1"))
		return fail("tracing_on");
	if (sendto(tx, msg, sizeof(msg), 0, (const struct sockaddr *)to,
		   to ? sizeof(*to) : 0) != sizeof(msg))
		return fail("send");
	if (read_back(rx))
		return fail("recv");
	if (tracing(on, "0"))
		return fail("tracing_on");
	return 0;
}

static int one_datagram(int on)
{
	struct sockaddr_toy a;
	int s = bound(SOCK_DGRAM, &a);

	if (s < 0)
		return fail("socket/bind");
	return exchange(on, s, s, &a);
}

static int one_segment(int on)
{
	struct sockaddr_toy a;
	int l = bound(SOCK_STREAM, &a);
	int c, s, one = 1;

	if (l < 0 || setsockopt(l, SOL_TOY, TOY_QUICKACK, &one, sizeof(one)) ||
	    listen(l, 1))
		return fail("listener");
	c = socket(AF_TOY, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		return fail("connect");
	s = accept(l, NULL, NULL);
	if (s < 0)
		return fail("accept");
	return exchange(on, c, s, NULL);
}

int main(int argc, char **argv)
{
	int on;

	if (argc != 3 || (strcmp(argv[1], "dgram") && strcmp(argv[1], "stream"))) {
		fprintf(stderr, "usage: %s dgram|stream TRACING_ON\n", argv[0]);
		return 2;
	}
	on = open(argv[2], O_WRONLY);
	if (on < 0)
		return fail(argv[2]);
	return strcmp(argv[1], "dgram") ? one_segment(on) : one_datagram(on);
}
