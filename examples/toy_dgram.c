// SPDX-License-Identifier: GPL-2.0
/*
 * toy_dgram - the smallest useful AF_TOY program: a datagram echo server
 * and its client.
 *
 *   toy_dgram server PORT COUNT          echo COUNT datagrams back, then exit
 *   toy_dgram client [ADDR:]PORT MSG...  send each MSG, print the echo
 *
 * ADDR is another node's address (default: this node, 127.0.0.1).
 *
 * The address family is read from /sys/module/af_toy/parameters/family,
 * so the program works whatever family= the module was loaded with.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/toy.h>

#include "toy_example.h"

/* The server listens on every address of this node: ANY. */
static struct sockaddr_toy toy_addr(int family, unsigned int port)
{
	struct sockaddr_toy a = {
		.stoy_family = family,
		.stoy_port = htons(port),
		.stoy_addr = htonl(TOY_ADDR_ANY),
	};
	return a;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int server(int family, unsigned int port, int count)
{
	struct sockaddr_toy me = toy_addr(family, port), peer;
	socklen_t plen;
	char buf[2048];
	ssize_t n;
	int s;

	s = socket(family, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	if (bind(s, (struct sockaddr *)&me, sizeof(me)) < 0)
		die("bind");
	printf("server: bound to port %u, echoing %d datagrams\n", port, count);
	fflush(stdout);
	while (count-- > 0) {
		plen = sizeof(peer);
		n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
			     &plen);
		if (n < 0)
			die("recvfrom");
		printf("server: %zd bytes from %s:%u: %.*s\n", n,
		       inet_ntoa(*(struct in_addr *)&peer.stoy_addr),
		       ntohs(peer.stoy_port), (int)n, buf);
		fflush(stdout);
		if (sendto(s, buf, n, 0, (struct sockaddr *)&peer, plen) < 0)
			die("sendto");
	}
	close(s);
	return 0;
}

static int client(int family, const char *dest, char **msgs, int nmsgs)
{
	struct sockaddr_toy srv = toy_dest(family, dest), me;
	socklen_t mlen = sizeof(me);
	char buf[2048];
	ssize_t n;
	int i, s;

	s = socket(family, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	/* connect() picks the peer, autobinds, and filters replies. */
	if (connect(s, (struct sockaddr *)&srv, sizeof(srv)) < 0)
		die("connect");
	if (getsockname(s, (struct sockaddr *)&me, &mlen) < 0)
		die("getsockname");
	printf("client: bound to port %u\n", ntohs(me.stoy_port));
	for (i = 0; i < nmsgs; i++) {
		if (send(s, msgs[i], strlen(msgs[i]), 0) < 0)
			die("send");
		n = recv(s, buf, sizeof(buf), 0);
		if (n < 0)
			die("recv");
		printf("client: echo: %.*s\n", (int)n, buf);
	}
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	int family = toy_family();

	if (argc >= 4 && !strcmp(argv[1], "server"))
		return server(family, atoi(argv[2]), atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "client"))
		return client(family, argv[2], argv + 3, argc - 3);
	fprintf(stderr, "usage: %s server PORT COUNT | client [ADDR:]PORT MSG...\n",
		argv[0]);
	return 2;
}
