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
 */
#ifndef TOY_HARNESS_H
#define TOY_HARNESS_H

#include "toy_util.h"
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
	int max_payload;	/* largest datagram payload */
	int protocol;		/* SO_PROTOCOL */
	int pad_errno;		/* bind with non-zero padding */
};

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

FIXTURE_SETUP(dgram)
{
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

/* A new socket bound to LOOPBACK:0; *port gets its port. */
static inline int new_bound(struct __test_metadata *_metadata,
			    FIXTURE_DATA(dgram) *self, uint16_t *port)
{
	int fd = new_sock(_metadata, self);
	int p;

	ASSERT_OK(fam_bind(&self->f, fd, INADDR_LOOPBACK, 0));
	p = local_port(fd);
	ASSERT_LT(0, p);
	if (port)
		*port = p;
	return fd;
}

#define SOCK()		new_sock(_metadata, self)
#define BOUND(p)	new_bound(_metadata, self, p)

#endif /* TOY_HARNESS_H */
