/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_harness.h - the "dgram" fixture shared by the side-by-side tests.
 *
 * Every TEST_F(dgram, ...) runs twice: once on AF_TOY ("toy" variant) and
 * once on UDP over 127.0.0.1 ("udp" variant), and expects the same result
 * from both.  Where the two families are meant to differ, the variant
 * carries the expected value and the difference is named in the test.
 *
 * When af_toy.ko is not loaded (a run on the host), the toy variant is
 * skipped with a reason and the udp variant still runs.
 *
 * Define TOY_ONLY before including this file for AF_TOY-only tests.
 * Built with TOY_REMOTE (dgram_link_test), the variants are "toy_link"
 * and "udp_veth" instead: the same tests with the peer on another node
 * (toy_nodes.h); PEER_BOUND() makes a receiver there, at PEER.
 */
#ifndef TOY_HARNESS_H
#define TOY_HARNESS_H

#include "toy_util.h"
#include "toy_nodes.h"
/* The harness is copied verbatim from the kernel; it is not -Wextra clean. */
#include "toy_assert.h"

#define MAX_FDS 32

FIXTURE(dgram) {
	struct fam f;
	int fds[MAX_FDS];
	int nfds;
};

FIXTURE_VARIANT(dgram) {
	bool toy;
	bool remote;		/* the peer on another node (toy_nodes.h) */
	int max_payload;	/* largest datagram payload */
	int protocol;		/* SO_PROTOCOL */
	int pad_errno;		/* bind with non-zero padding */
};

#ifndef TOY_REMOTE
FIXTURE_VARIANT_ADD(dgram, toy) {
	.toy = true,
	.max_payload = TOY_MAX_PAYLOAD,
	.protocol = 0,
	.pad_errno = EINVAL,		/* stoy_zero must be zero */
};

#ifndef TOY_ONLY
FIXTURE_VARIANT_ADD(dgram, udp) {
	.toy = false,
	.max_payload = UDP_MAX_PAYLOAD,
	.protocol = IPPROTO_UDP,
	.pad_errno = 0,			/* UDP ignores sin_zero */
};
#endif
#else
/* A toy link does not fragment: a datagram must fit the link's MTU. */
FIXTURE_VARIANT_ADD(dgram, toy_link) {
	.toy = true,
	.remote = true,
	.max_payload = NODE_LINK_PAYLOAD,
	.protocol = 0,
	.pad_errno = EINVAL,
};

/* IPv4 fragments a datagram larger than the veth's MTU. */
FIXTURE_VARIANT_ADD(dgram, udp_veth) {
	.toy = false,
	.remote = true,
	.max_payload = UDP_MAX_PAYLOAD,
	.protocol = IPPROTO_UDP,
	.pad_errno = 0,
};
#endif

FIXTURE_SETUP(dgram)
{
	char why[128];
	int fd;

	self->nfds = 0;
	if (variant->toy && !toy_module_loaded())
		SETUP_SKIP("af_toy.ko is not loaded (no %s)", TOY_SYSFS_MODULE);
	fam_init(&self->f, variant->toy);
	fd = fam_socket(&self->f, SOCK_DGRAM);
	if (fd < 0 && errno == EAFNOSUPPORT)
		SETUP_SKIP("socket(%d, SOCK_DGRAM, 0): EAFNOSUPPORT",
			   self->f.family);
	ASSERT_LE(0, fd);
	close(fd);
	if (variant->remote && fam_two_nodes(&self->f, why, sizeof(why)))
		SETUP_SKIP("%s", why);
	if (variant->remote && variant->toy)
		ASSERT_OK(fam_nodes_meet(&self->f));
}

FIXTURE_TEARDOWN(dgram)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	self->nfds = 0;
}

/* Remember an fd so that teardown closes it even if an assertion fails. */
static inline int track_fd(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dgram) *self, int fd)
{
	ASSERT_GT(MAX_FDS, self->nfds);
	self->fds[self->nfds++] = fd;
	return fd;
}

/* Close a tracked fd early (e.g. to free its port). */
static inline void untrack_close(FIXTURE_DATA(dgram) *self, int fd)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		if (self->fds[i] == fd)
			self->fds[i] = -1;
	close(fd);
}

/* A new unbound datagram socket. */
static inline int new_sock(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dgram) *self)
{
	int fd = fam_socket(&self->f, SOCK_DGRAM);

	if (fd < 0)
		TH_LOG("socket(%d, SOCK_DGRAM, 0): %s", self->f.family,
		       strerror(errno));
	ASSERT_LE(0, fd);
	return track_fd(_metadata, self, fd);
}

/* Bind @fd to @addr:0; *port gets its port. */
static inline int bind_any_port(struct __test_metadata *_metadata,
				FIXTURE_DATA(dgram) *self, int fd,
				uint32_t addr, uint16_t *port)
{
	int p;

	ASSERT_OK(fam_bind(&self->f, fd, addr, 0));
	p = local_port(fd);
	ASSERT_LT(0, p);
	if (port)
		*port = p;
	return fd;
}

/* A new socket bound to HERE:0 (loopback, or this node's address). */
static inline int new_bound(struct __test_metadata *_metadata,
			    FIXTURE_DATA(dgram) *self, uint16_t *port)
{
	return bind_any_port(_metadata, self, new_sock(_metadata, self),
			     self->f.here, port);
}

/* A new socket on the peer's node, bound to PEER:0. */
static inline int new_peer_bound(struct __test_metadata *_metadata,
				 FIXTURE_DATA(dgram) *self, uint16_t *port)
{
	int fd = fam_peer_socket(&self->f, SOCK_DGRAM);

	ASSERT_LE(0, fd);
	track_fd(_metadata, self, fd);
	return bind_any_port(_metadata, self, fd, self->f.peer, port);
}

#define SOCK()		new_sock(_metadata, self)
#define BOUND(p)	new_bound(_metadata, self, p)
#define PEER_BOUND(p)	new_peer_bound(_metadata, self, p)
#define HERE		(self->f.here)
#define PEER		(self->f.peer)

#endif /* TOY_HARNESS_H */
