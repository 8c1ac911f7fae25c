/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_example.h - what the two example programs share: the family number
 * in use, and a server's address from the command line.
 */
#ifndef TOY_EXAMPLE_H
#define TOY_EXAMPLE_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/toy.h>

/*
 * AF_TOY, or the number the module was loaded with (family=), which it
 * shows in /sys/module/af_toy/parameters/family.
 */
static inline int toy_family(void)
{
	FILE *f = fopen("/sys/module/af_toy/parameters/family", "r");
	int family = AF_TOY;

	if (f) {
		if (fscanf(f, "%d", &family) != 1)
			family = AF_TOY;
		fclose(f);
	}
	return family;
}

/*
 * The server's address: "PORT" is this node (127.0.0.1), "A.B.C.D:PORT"
 * another node, as "ip link set toy0 address A.B.C.D" named it there.
 */
static inline struct sockaddr_toy toy_dest(int family, const char *arg)
{
	struct sockaddr_toy a = {
		.stoy_family = family,
		.stoy_addr = htonl(TOY_ADDR_LOOPBACK),
	};
	const char *colon = strchr(arg, ':');
	char host[16];

	if (colon && (size_t)(colon - arg) < sizeof(host)) {
		memcpy(host, arg, colon - arg);
		host[colon - arg] = '\0';
		if (inet_pton(AF_INET, host, &a.stoy_addr) != 1) {
			fprintf(stderr, "not an address: %s\n", host);
			exit(2);
		}
		arg = colon + 1;
	}
	a.stoy_port = htons(atoi(arg));
	return a;
}

#endif /* TOY_EXAMPLE_H */
