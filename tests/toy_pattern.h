/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_pattern.h - the byte streams the transfer tests send: byte @off of
 * stream @seed is a function of the two alone, so a receiver checks every
 * byte whatever sizes the stream was written and read in.
 */
#ifndef TOY_PATTERN_H
#define TOY_PATTERN_H

#include <stdint.h>
#include <string.h>

/* SplitMix64's finaliser: a cheap, well-mixed 64-bit hash. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The bytes [off, off + n) of the pseudo-random stream @seed. */
static inline void pat_fill(void *buf, size_t n, uint64_t seed, uint64_t off)
{
	uint64_t key = mix64(seed);
	unsigned char *p = buf;

	while (n) {
		uint64_t w = mix64(key ^ (off >> 3));
		unsigned int i = off & 7;

		if (i == 0 && n >= 8) {
			memcpy(p, &w, 8);
			p += 8;
			off += 8;
			n -= 8;
			continue;
		}
		for (; i < 8 && n; i++, n--, off++)
			*p++ = w >> (8 * i);
	}
}

/* The stream offset of the first byte of @buf (which should hold
 * [off, off + n) of stream @seed) that differs, or -1.
 */
static inline long long pat_check(const void *buf, size_t n, uint64_t seed,
				  uint64_t off)
{
	unsigned char want[16384];
	const unsigned char *p = buf;
	size_t done = 0;

	while (done < n) {
		size_t k = n - done < sizeof(want) ? n - done : sizeof(want);

		pat_fill(want, k, seed, off + done);
		if (memcmp(want, p + done, k)) {
			size_t i;

			for (i = 0; i < k; i++)
				if (want[i] != p[done + i])
					return off + done + i;
		}
		done += k;
	}
	return -1;
}

#endif /* TOY_PATTERN_H */
