// SPDX-License-Identifier: GPL-2.0
/*
 * toy_socket.c - socket(FAMILY, SOCK_DGRAM, 0), and a datagram to itself
 * over it, for tests/autoload_test.sh (run as nobody: socket() is what
 * autoloads af_toy through its net-pf-N alias).
 *
 *   toy_socket FAMILY
 *
 * The socket is bound to TOY_ADDR_LOOPBACK on an ephemeral port, sends
 * one datagram to that address and must read it back within 10 s.
 * Exit status: 0 it did; 2 socket() failed with EAFNOSUPPORT (no such
 * family registered, after the kernel's attempt to load net-pf-FAMILY);
 * 1 any other failure.  One line on stdout or stderr says what happened.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/toy.h>

int main(int argc, char **argv)
{
	static const char msg[] = "autoloaded";
	struct sockaddr_toy a = { 0 };
	socklen_t len = sizeof(a);
	struct pollfd p;
	char buf[64];
	ssize_t n;
	int fam, s;

	if (argc != 2 || (fam = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: %s FAMILY\n", argv[0]);
		return 1;
	}
	s = socket(fam, SOCK_DGRAM, 0);
	if (s < 0) {
		fprintf(stderr, "socket(%d, SOCK_DGRAM, 0): %s\n", fam,
			strerror(errno));
		return errno == EAFNOSUPPORT ? 2 : 1;
	}
	a.stoy_family = fam;
	a.stoy_addr = htonl(TOY_ADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &len)) {
		fprintf(stderr, "family %d: bind/getsockname: %s\n", fam,
			strerror(errno));
		return 1;
	}
	if (sendto(s, msg, sizeof(msg), 0, (struct sockaddr *)&a,
		   sizeof(a)) != sizeof(msg)) {
		fprintf(stderr, "family %d: sendto: %s\n", fam,
			strerror(errno));
		return 1;
	}
	p.fd = s;
	p.events = POLLIN;
	if (poll(&p, 1, 10000) != 1) {
		fprintf(stderr, "family %d: nothing to read after 10 s\n", fam);
		return 1;
	}
	n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	if (n != sizeof(msg) || memcmp(buf, msg, sizeof(msg))) {
		fprintf(stderr, "family %d: recv: %zd bytes (%s)\n", fam, n,
			n < 0 ? strerror(errno) : "wrong");
		return 1;
	}
	printf("family %d: a datagram to itself on port %u, as uid %u\n", fam,
	       ntohs(a.stoy_port), getuid());
	close(s);
	return 0;
}
