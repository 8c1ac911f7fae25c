// SPDX-License-Identifier: GPL-2.0
/*
 * toy_stream - an AF_TOY byte-stream echo server and its client.
 *
 *   toy_stream server PORT COUNT    accept COUNT connections, echo each
 *                                   until the client shuts down sending
 *   toy_stream client [ADDR:]PORT MSG...
 *                                   connect, send each MSG, read the
 *                                   echo, then shutdown(SHUT_WR) and wait
 *                                   for the server's end of stream
 *
 * ADDR is another node's address (default: this node, 127.0.0.1).
 *
 * A stream has no message boundaries, so both sides loop until they have
 * what they expect: the server until read() returns 0 (the client's FIN),
 * the client until it has as many bytes back as it sent.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/toy.h>

#include "toy_example.h"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int server(int family, unsigned int port, int count)
{
	struct sockaddr_toy me = {
		.stoy_family = family,
		.stoy_port = htons(port),
		.stoy_addr = htonl(TOY_ADDR_ANY),
	}, peer;
	socklen_t plen;
	char buf[4096];
	ssize_t n;
	int l, c;

	l = socket(family, SOCK_STREAM, 0);
	if (l < 0)
		die("socket");
	if (bind(l, (struct sockaddr *)&me, sizeof(me)) < 0)
		die("bind");
	if (listen(l, 8) < 0)
		die("listen");
	printf("server: listening on port %u\n", port);
	fflush(stdout);
	while (count-- > 0) {
		plen = sizeof(peer);
		c = accept(l, (struct sockaddr *)&peer, &plen);
		if (c < 0)
			die("accept");
		printf("server: connection from %s:%u\n",
		       inet_ntoa(*(struct in_addr *)&peer.stoy_addr),
		       ntohs(peer.stoy_port));
		fflush(stdout);
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, n) != n)
				die("write");
		if (n < 0)
			die("read");
		printf("server: client closed its side; closing\n");
		fflush(stdout);
		close(c);
	}
	close(l);
	return 0;
}

static int client(int family, const char *dest, char **msgs, int nmsgs)
{
	struct sockaddr_toy srv = toy_dest(family, dest);
	char buf[4096];
	size_t len, got;
	ssize_t n;
	int i, s;

	s = socket(family, SOCK_STREAM, 0);
	if (s < 0)
		die("socket");
	if (connect(s, (struct sockaddr *)&srv, sizeof(srv)) < 0)
		die("connect");
	for (i = 0; i < nmsgs; i++) {
		len = strlen(msgs[i]);
		if (write(s, msgs[i], len) != (ssize_t)len)
			die("write");
		/* The echo may come back in pieces: read until it is all in. */
		for (got = 0; got < len; got += n) {
			n = read(s, buf + got, sizeof(buf) - got);
			if (n <= 0)
				die("read");
		}
		printf("client: echo: %.*s\n", (int)got, buf);
	}
	shutdown(s, SHUT_WR);
	n = read(s, buf, sizeof(buf));
	printf("client: after shutdown, read returns %zd (end of stream)\n", n);
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
