#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""man-errnos.py - the ERRORS section of toy(7) against the module's source.

Usage: scripts/man-errnos.py [-v] [PAGE [FILE.c...]]
       (default: man/toy.7 and every .c file at the top of the tree, which
       are the module's; run by scripts/man-check.sh)

Exit 1, naming each one, if an errno the module can hand to user space is
not a ".TP / .B EXXX" entry of the page's ERRORS section, or if an entry
names an errno the module never produces.  -v lists where each errno
comes from.

What counts as an errno the module produces, found textually in its C
files with comments and strings taken out:
  - every errno name the code uses (-EINVAL returned or stored, EPIPE
    written to sk->sk_err or passed to toy_stream_fail()), except in a
    comparison ("err == -EEXIST", "case -EBUSY:"), which only tests a
    value some other function produced;
  - the errnos of the kernel functions in CORE below, for each one the
    code calls or puts in an ops table: what the socket core returns on
    the module's behalf (sock_no_listen() is EOPNOTSUPP, an interrupted
    wait EINTR, ...);
  - with the kernel-internal codes that user space never sees replaced
    by what it sees (TRANSLATED), or dropped (EXCLUDED), each with the
    reason.
"""
import errno
import glob
import os
import re
import sys

# Kernel functions the module calls whose own errnos reach the caller of
# the system call, with those errnos (Linux 6.1 and 6.12 sources).
CORE = {
    # a blocking call interrupted by a signal: -EINTR, or -ERESTARTSYS
    # without a timeout (see TRANSLATED)
    "sock_intr_errno": ["EINTR"],
    # proto_ops entries for calls AF_TOY does not offer
    "sock_no_socketpair": ["EOPNOTSUPP"],
    "sock_no_accept": ["EOPNOTSUPP"],
    "sock_no_listen": ["EOPNOTSUPP"],
    "sock_no_mmap": ["ENODEV"],
    # copies to and from user memory
    "put_user": ["EFAULT"],
    "skb_copy_datagram_msg": ["EFAULT"],
    "skb_copy_datagram_from_iter": ["EFAULT"],
    # datagram send buffer: shut down, full and non-blocking, interrupted,
    # no memory (alloc_skb_with_frags())
    "sock_alloc_send_pskb": ["EPIPE", "EAGAIN", "EINTR", "ENOBUFS"],
    "alloc_skb_with_frags": ["ENOBUFS"],
    # datagram receive: nothing queued and non-blocking, interrupted
    "skb_recv_datagram": ["EAGAIN", "EINTR"],
    # stream send: not connected, non-blocking, interrupted; buffer full
    "sk_stream_wait_connect": ["EPIPE", "EAGAIN", "EINTR"],
    "sk_stream_wait_memory": ["EPIPE", "EAGAIN", "EINTR"],
    # the device: down (a datagram races ip link set down), or a qdisc
    # dropped the frame (net_xmit_errno())
    "dev_queue_xmit": ["ENETDOWN", "ENOBUFS"],
    # module load: another family has the number
    "sock_register": ["EEXIST"],
    # sysctl writes out of range
    "proc_dointvec_minmax": ["EINVAL"],
    "proc_doulongvec_minmax": ["EINVAL"],
}

# Kernel-internal codes, and what user space sees instead.
TRANSLATED = {
    # The ioctl handlers' "not mine": sock_do_ioctl() then tries the
    # device ioctls (dev_ioctl()), and an ioctl nobody knows is ENOTTY.
    "ENOIOCTLCMD": "ENOTTY",
    # sock_intr_errno() without a timeout: the system call is restarted,
    # or fails with EINTR if the signal handler has no SA_RESTART.
    "ERESTARTSYS": "EINTR",
}

# Codes that appear in the code but never reach user space, and why.
# Empty today: comparisons are skipped above, and every internal code the
# module returns is translated.  Add a code here only with its reason.
EXCLUDED = {
}

# Names that are errnos: the C library's, and the kernel's own
# (include/linux/errno.h), which user space never sees under that name.
KERNEL_ERRNOS = {
    "ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",
    "ERESTART_RESTARTBLOCK", "EPROBE_DEFER", "EOPENSTALE", "ENOPARAM",
    "EBADHANDLE", "ENOTSYNC", "EBADCOOKIE", "ENOTSUPP", "ETOOSMALL",
    "ESERVERFAULT", "EBADTYPE", "EJUKEBOX", "EIOCBQUEUED",
    "ERECALLCONFLICT", "ENOGRACE",
}
ERRNOS = {n for n in dir(errno) if n.startswith("E")} | KERNEL_ERRNOS


def strip(text):
    """Blank out comments, strings and character constants, keeping
    every newline so that line numbers stay right."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'
                  r"'(?:\\.|[^'\\\n])*'", blank, text, flags=re.S)


def source_errnos(files):
    """{errno: ["file:line (how)", ...]} for what the code can return."""
    found = {}

    def add(name, where):
        found.setdefault(name, []).append(where)

    for path in files:
        code = strip(open(path).read())
        name = os.path.basename(path)
        for m in re.finditer(r"\b(E[A-Z0-9_]+)\b", code):
            err = m.group(1)
            if err not in ERRNOS:
                continue
            before = code[:m.start()].rstrip()
            if before.endswith("-"):
                before = before[:-1].rstrip()
            if before.endswith(("==", "!=")) or \
               re.search(r"\bcase$", before):
                continue	# a test of someone else's value
            line = code.count("\n", 0, m.start()) + 1
            add(err, f"{name}:{line}")
        for func, errs in CORE.items():
            for m in re.finditer(r"\b%s\b" % func, code):
                line = code.count("\n", 0, m.start()) + 1
                for err in errs:
                    add(err, f"{name}:{line} ({func})")

    for err, seen in list(found.items()):
        if err in TRANSLATED:
            for where in seen:
                add(TRANSLATED[err], f"{where} ({err})")
            del found[err]
        elif err in EXCLUDED:
            del found[err]
    return found


def page_errnos(page):
    """{errno: line} for the ".TP" entries of the ERRORS section."""
    entries = {}
    section = None
    tagged = False
    for num, line in enumerate(open(page), 1):
        line = line.rstrip("\n")
        m = re.match(r"\.SH\s+(.*)", line)
        if m:
            section = m.group(1).strip('"')
            continue
        if section != "ERRORS":
            continue
        if line == ".TP":
            tagged = True
            continue
        if tagged and re.match(r"\.BR?\s", line):
            for word in re.findall(r"\bE[A-Z0-9_]+\b", line):
                if word in ERRNOS:
                    entries.setdefault(word, num)
        tagged = False
    return entries


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    page = os.path.relpath(args[0] if args else
                           os.path.join(top, "man", "toy.7"))
    files = args[1:] or sorted(glob.glob(os.path.join(top, "*.c")))

    src = source_errnos(files)
    doc = page_errnos(page)
    if not doc:
        print(f"{page}: no .TP/.B EXXX entries in an ERRORS section")
        return 1
    if verbose:
        for err in sorted(src):
            print(f"{err}: {', '.join(src[err])}")

    bad = 0
    for err in sorted(set(src) - set(doc)):
        print(f"{err}: the module returns it ({', '.join(src[err][:3])}"
              f"{', ...' if len(src[err]) > 3 else ''}) but {page}'s "
              "ERRORS does not list it")
        bad += 1
    for err in sorted(set(doc) - set(src)):
        print(f"{err}: {page}:{doc[err]} lists it under ERRORS, but the "
              "module never returns it")
        bad += 1
    if bad:
        return 1
    print(f"{len(doc)} errnos, the same in ERRORS and in the source")
    return 0


if __name__ == "__main__":
    sys.exit(main())
