/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_module.h - which af_toy.ko is loaded, and loading it again, for the
 * tests that unload and reload the module (rmmod_test.c, toy_storm.c).
 *
 * TOY_KO names the .ko, or a ':'-separated list of candidates; the one
 * whose GNU build-id is the loaded module's is the one to reload, so that
 * a module built for another kernel or from other sources is never loaded
 * in place of the one under test.
 */
#ifndef TOY_MODULE_H
#define TOY_MODULE_H

#include <sys/utsname.h>

#include "toy_util.h"

/* The last .ko read_ko() read (init_module() can load it from here). */
static char ko_buf[16 << 20];

/* Read a .ko into ko_buf; returns its length or -1. */
static inline ssize_t read_ko(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len = 0, r;

	if (fd < 0)
		return -1;
	while (len < (ssize_t)sizeof(ko_buf) - 1 &&
	       (r = read(fd, ko_buf + len, sizeof(ko_buf) - 1 - len)) > 0)
		len += r;
	close(fd);
	return len;
}

/*
 * Is @path the module that is loaded?  The loaded module's GNU build-id
 * note (/sys/module/af_toy/notes/.note.gnu.build-id) must appear in the
 * file.  Without that note, fall back to the kernel release the .ko was
 * built for ("vermagic=RELEASE ..."), so that a module for another kernel
 * is never loaded in place of the one under test.
 * Returns NULL if it matches, else why not.
 */
static inline const char *ko_mismatch(const char *path, char *why, size_t n)
{
	char note[256], *p;
	ssize_t len = read_ko(path), nlen;
	struct utsname u;
	size_t i;
	int fd;

	if (len < 0) {
		snprintf(why, n, "%s: %s", path, strerror(errno));
		return why;
	}
	fd = open(TOY_SYSFS_MODULE "/notes/.note.gnu.build-id", O_RDONLY);
	if (fd >= 0) {
		nlen = read(fd, note, sizeof(note));
		close(fd);
		if (nlen > 16) {
			if (memmem(ko_buf, len, note, nlen))
				return NULL;
			snprintf(why, n, "%s is not the loaded build (build-id)",
				 path);
			return why;
		}
	}
	uname(&u);
	p = memmem(ko_buf, len, "vermagic=", 9);
	if (!p) {
		snprintf(why, n, "%s: no vermagic", path);
		return why;
	}
	p += 9;
	for (i = 0; p + i < ko_buf + len && p[i] && p[i] != ' '; i++)
		;
	if (i != strlen(u.release) || strncmp(p, u.release, i)) {
		snprintf(why, n, "%s is built for %.*s, this is %s", path,
			 (int)i, p, u.release);
		return why;
	}
	return NULL;
}

/*
 * The TOY_KO candidate that is the loaded module, copied into @path; or
 * NULL, with the last candidate's reason in @why.
 */
static inline const char *find_ko(char *path, size_t n, char *why,
				  size_t whyn)
{
	const char *env = getenv("TOY_KO");
	char list[4096], *tok, *save = NULL;

	snprintf(why, whyn, "TOY_KO is unset");
	snprintf(list, sizeof(list), "%s", env ? env : "");
	for (tok = strtok_r(list, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		if (!ko_mismatch(tok, why, whyn)) {
			snprintf(path, n, "%s", tok);
			return path;
		}
	}
	return NULL;
}

/* finit_module() of @path with @params; 0 or -1 with errno. */
static inline int load_module(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret;
}

#endif /* TOY_MODULE_H */
