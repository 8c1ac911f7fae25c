/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_assert.h - the kselftest harness and the assertions every AF_TOY
 * suite shares: errno-checking ASSERT_ERRNO/ASSERT_OK/ASSERT_LEN that log
 * what came back, exact poll masks, and SETUP_SKIP for the 6.1 harness.
 */
#ifndef TOY_ASSERT_H
#define TOY_ASSERT_H

#include <errno.h>
#include <string.h>

#include "toy_util.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

/*
 * Skip from FIXTURE_SETUP.  The 6.1 harness runs the test body after a
 * SKIP() in setup (it only checks ->passed), so leave the test's child
 * process with the harness's "skipped" exit status instead.
 */
#define SETUP_SKIP(fmt, ...) do {					\
	SKIP(;, fmt, ##__VA_ARGS__);					\
	fflush(NULL);							\
	_exit(255);							\
} while (0)

/* expr must fail with errno err. */
#define ASSERT_ERRNO(expr, err) do {					\
	long __r;							\
	int __e;							\
	errno = 0;							\
	__r = (long)(expr);						\
	__e = errno;							\
	if (__r != -1 || __e != (err))					\
		TH_LOG("%s: got %ld errno %d (%s), want -1 errno %d (%s)", \
		       #expr, __r, __e, strerror(__e), (int)(err),	\
		       strerror(err));					\
	ASSERT_EQ(-1, __r);						\
	ASSERT_EQ((err), __e);						\
} while (0)

/* expr must return 0. */
#define ASSERT_OK(expr) do {						\
	long __r;							\
	errno = 0;							\
	__r = (long)(expr);						\
	if (__r != 0)							\
		TH_LOG("%s: got %ld errno %d (%s)", #expr, __r, errno,	\
		       strerror(errno));				\
	ASSERT_EQ(0, __r);						\
} while (0)

/* expr must return n (a byte count). */
#define ASSERT_LEN(expr, n) do {					\
	long __r;							\
	errno = 0;							\
	__r = (long)(expr);						\
	if (__r != (long)(n))						\
		TH_LOG("%s: got %ld errno %d (%s), want %ld", #expr,	\
		       __r, errno, strerror(errno), (long)(n));		\
	ASSERT_EQ((long)(n), __r);					\
} while (0)

/* Exact poll mask comparison, printed in hex. */
#define ASSERT_MASK(fd, want) do {					\
	int __m = poll_mask(fd);					\
	if (__m != (want))						\
		TH_LOG("poll mask of %s: got %#x, want %#x", #fd, __m,	\
		       (int)(want));					\
	ASSERT_EQ((int)(want), __m);					\
} while (0)

#endif /* TOY_ASSERT_H */
