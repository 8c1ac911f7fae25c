#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise toybench rows: medians, spreads, AF_TOY/peer ratios, targets.

    report.py RESULTS.CSV OUTDIR

RESULTS.CSV holds the rows scripts/guest/bench-guest.sh printed
(round,workload,param,family,metric,value).  Prints the table and the
targets on stdout and writes OUTDIR/summary.csv, OUTDIR/targets.csv and
the data files OUTDIR/plot/*.dat that bench/bench.gp draws.  The link_*
workloads (two namespaces: AF_TOY over a toy link, UDP and TCP over a
veth pair) are in the table and summary.csv, not in the plot or targets.

A ratio is the median over rounds of AF_TOY's value divided by the peer's
value *in the same round*: the families of one workload run back to back
in every round, so slow drift of the machine cancels in each quotient.
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

INET = {"dgram": "udp", "pp_dgram": "udp", "scale": "udp", "flood_dgram": "udp",
        "stream": "tcp", "pp_stream": "tcp", "connrate": "tcp", "flood_stream": "tcp",
        "stream_loss1": "tcp", "link_dgram": "udp", "link_stream": "tcp",
        "link_pp_dgram": "udp", "link_pp_stream": "tcp"}

# (workload, metrics shown in the table, higher_is_better)
SHOWN = [
    ("dgram", ["msgs_per_s", "drop_pct", "sent_per_s", "tx_cpu_pct", "rx_cpu_pct",
               "tx_sleeps_per_s"], True),
    ("stream", ["MB_per_s", "tx_cpu_pct", "rx_cpu_pct", "tx_sleeps_per_s"], True),
    ("stream_loss1", ["MB_per_s"], True),
    ("pp_dgram", ["p50_us", "p99_us"], False),
    ("pp_stream", ["p50_us", "p99_us"], False),
    ("connrate", ["conns_per_s"], True),
    ("link_dgram", ["msgs_per_s", "drop_pct", "sent_per_s", "send_errors", "tx_cpu_pct",
                    "rx_cpu_pct", "tx_sleeps_per_s"], True),
    ("link_stream", ["MB_per_s", "tx_cpu_pct", "rx_cpu_pct", "tx_sleeps_per_s"], True),
    ("link_pp_dgram", ["p50_us", "p99_us"], False),
    ("link_pp_stream", ["p50_us", "p99_us"], False),
    ("scale", ["bind_ns", "bind_all_ns", "deliver_ns", "deliver_hot_ns"], False),
    ("flood_dgram", ["slab_delta_kB", "bound_kB", "slab_per_bound", "rmem_per_rcvbuf", "rmem_alloc_kB",
                     "wmem_kB", "accepted_kB", "slab_after_close_kB"], False),
    ("flood_stream", ["slab_delta_kB", "bound_kB", "slab_per_bound", "rmem_per_rcvbuf", "rmem_alloc_kB",
                      "wmem_kB", "slab_after_close_kB"], False),
]

TITLES = {
    "dgram": "datagram throughput",
    "stream": "stream throughput, by write size",
    "stream_loss1": "stream goodput through netem loss 1% (toy0 for AF_TOY, lo for TCP)",
    "pp_dgram": "ping-pong round trip, 64 B datagrams",
    "pp_stream": "ping-pong round trip, 64 B on a stream",
    "connrate": "connect + accept + close",
    "link_dgram": "across a link, datagram throughput (AF_TOY: toy link; UDP: veth pair; "
                  "sender in one namespace, receiver in the other)",
    "link_stream": "across a link, stream throughput (AF_TOY: toy link; TCP: veth pair)",
    "link_pp_dgram": "across a link, ping-pong round trip, 64 B datagrams (toy link; veth pair)",
    "link_pp_stream": "across a link, ping-pong round trip, 64 B on a stream (toy link; veth pair)",
    "scale": "scaling with N bound datagram sockets (ns per operation)",
    "flood_dgram": "memory: 1 KiB datagrams flooding a socket that never reads",
    "flood_stream": "memory: a stream whose reader never reads",
}


def num(v):
    try:
        return float(v)
    except ValueError:
        return None


def load(path):
    meta = {}
    vals = defaultdict(dict)  # (wl, param, fam, metric) -> {round: value}
    failed = []
    with open(path) as f:
        for row in csv.DictReader(f):
            wl, metric = row["workload"], row["metric"]
            if wl == "meta":
                meta[metric] = row["value"]
                continue
            if metric == "failed":
                failed.append((row["round"], wl, row["param"], row["family"]))
                continue
            v = num(row["value"])
            if v is not None:
                vals[(wl, row["param"], row["family"], metric)][int(row["round"])] = v
    return meta, vals, failed


def med(xs):
    return statistics.median(xs) if xs else None


class Stats:
    def __init__(self, vals):
        self.vals = vals

    def get(self, wl, param, fam, metric):
        d = self.vals.get((wl, param, fam, metric), {})
        if not d:
            return None
        xs = list(d.values())
        m = med(xs)
        return {"median": m, "min": min(xs), "max": max(xs), "n": len(xs),
                "spread_pct": 100.0 * (max(xs) - min(xs)) / m if m else 0.0}

    def ratio(self, wl, param, metric, peer):
        a = self.vals.get((wl, param, "toy", metric), {})
        b = self.vals.get((wl, param, peer, metric), {})
        rs = [a[r] / b[r] for r in a if r in b and b[r]]
        if not rs:
            return None
        return {"median": med(rs), "min": min(rs), "max": max(rs), "n": len(rs)}

    def params(self, wl):
        ps = {k[1] for k in self.vals if k[0] == wl}
        return sorted(ps, key=lambda p: (not p.isdigit(), int(p) if p.isdigit() else 0, p))


def fmt(x):
    if x is None:
        return "-"
    a = abs(x)
    if a >= 1e6:
        return "%.3gM" % (x / 1e6)
    if a >= 1e4:
        return "%.3gk" % (x / 1e3)
    if a >= 100:
        return "%.0f" % x
    if a >= 10:
        return "%.1f" % x
    return "%.3g" % x


def cell(s):
    if not s:
        return "-"
    return "%s ±%.0f%%" % (fmt(s["median"]), s["spread_pct"] / 2)


def rcell(r):
    if not r:
        return "-"
    return "%.2fx [%.2f-%.2f]" % (r["median"], r["min"], r["max"])


def table(st, meta, failed):
    lines = []
    lines.append("AF_TOY benchmark: kernel %s, %s CPUs (%s), accelerator %s"
                 % (meta.get("kernel", "?"), meta.get("cpus", "?"),
                    meta.get("cpu_model", "?"), meta.get("accelerator", "?")))
    lines.append("%s rounds of %s s per timed run; cells: median ±half the min-max "
                 "spread; ratio: median [min-max] of per-round AF_TOY/peer"
                 % (meta.get("rounds", "?"), meta.get("duration_s", "?")))
    lines.append("CPUs: throughput %s; ping-pong %s; connection rate %s"
                 % (meta.get("cpus_throughput", "?"), meta.get("cpus_pingpong", "?"),
                    meta.get("cpus_connrate", "?")))
    if meta.get("accelerator", "").startswith("tcg"):
        lines.append("Under TCG absolute numbers mean little (every instruction is "
                     "emulated); the ratios are what to read.")
    if meta.get("accelerator", "").startswith("icount"):
        lines.append("icount: the guest's clock counts instructions (one second is "
                     "10^9 of them, both ends on one CPU), so a rate is per 10^9 "
                     "instructions, 10^9/rate the instructions per message, and the "
                     "host's load does not enter; a sleep still counts its timer's "
                     "length, and pinning does not apply.")
    if meta.get("link"):
        lines.append("Across a link: %s; MTU %s" % (meta["link"], meta.get("link_mtu", "?")))

    def header(peer):
        return "%-16s %-8s %-16s %-16s %-16s %-16s %-20s %-20s" % (
            "workload", "param", "metric", "AF_TOY", peer, "AF_UNIX",
            "TOY/(UDP|TCP)", "TOY/UNIX")
    for wl, metrics, _ in SHOWN:
        params = st.params(wl)
        if not params:
            continue
        lines.append("")
        lines.append("== " + TITLES[wl])
        lines.append(header("UDP/TCP veth" if wl.startswith("link_") else "UDP/TCP lo"))
        for p in params:
            for m in metrics:
                t = st.get(wl, p, "toy", m)
                i = st.get(wl, p, INET[wl], m)
                u = st.get(wl, p, "unix", m)
                if not (t or i or u):
                    continue
                noratio = (m == "drop_pct" or "_cpu_pct" in m or "sleeps" in m
                           or m == "send_errors" or wl.startswith("flood"))
                ri = None if noratio else st.ratio(wl, p, m, INET[wl])
                ru = None if noratio else st.ratio(wl, p, m, "unix")
                lines.append("%-16s %-8s %-16s %-16s %-16s %-16s %-20s %-20s" % (
                    wl, p, m, cell(t), cell(i), cell(u), rcell(ri), rcell(ru)))
        if wl == "dgram":
            for fam in ("toy", "udp", "unix"):
                s = st.get("dgram", "max", fam, "size")
                e = st.get("dgram", "max", fam, "emsgsize")
                if s:
                    lines.append("   largest datagram %s: %d B%s" % (
                        fam, s["median"], " (EMSGSIZE: not sent)" if e else ""))
            lines.append("   AF_UNIX dgram blocks the sender when the receiver's queue "
                         "is full (max_dgram_qlen %s): it never drops, it waits"
                         % meta.get("unix_max_dgram_qlen", "?"))
        if wl == "flood_stream":
            lines.append("   TCP on lo keeps stream payload in page fragments, which Slab does "
                         "not count: for TCP read rmem_alloc/wmem (its own accounting)")
            lines.append("   AF_UNIX stream charges the queued data to the writer (wmem), "
                         "bounded by its sndbuf; bound_kB is rcvbuf + sndbuf")
        if wl == "scale":
            ns = st.get("scale", "100000", "toy", "namespaces")
            if ns:
                lines.append("   AF_TOY has 64k ports per namespace: N > 50 000 uses "
                             "fresh network namespaces of 50 000 sockets each (%d for "
                             "100 000), one socket per port; UDP gets the same "
                             "namespaces" % ns["median"])
    if failed:
        lines.append("")
        lines.append("FAILED runs (round, workload, param, family): " +
                     "; ".join(",".join(f) for f in failed))
    return lines


def growth(st, metric, fam):
    ns = [p for p in st.params("scale") if st.get("scale", p, fam, metric)]
    if len(ns) < 2:
        return None, None, None
    lo, hi = ns[0], ns[-1]
    a = st.get("scale", lo, fam, metric)["median"]
    b = st.get("scale", hi, fam, metric)["median"]
    return (b / a if a else None), lo, hi


def targets(st):
    """(label, value, threshold, sense, met, note); sense '>=' or '<='."""
    out = []

    def ratio_target(label, wl, p, m, peer, thr, sense):
        r = st.ratio(wl, p, m, peer)
        if not r:
            out.append((label, None, thr, sense, None, "no data"))
            return
        v = r["median"]
        met = v >= thr if sense == ">=" else v <= thr
        out.append((label, v, thr, sense, met,
                    "per-round ratios %.2f-%.2f" % (r["min"], r["max"])))

    ratio_target("dgram 64 B msgs/s vs UDP", "dgram", "64", "msgs_per_s", "udp", 1.2, ">=")
    ratio_target("dgram 64 B msgs/s vs UNIX", "dgram", "64", "msgs_per_s", "unix", 0.8, ">=")
    ratio_target("stream 64 KiB MB/s vs TCP", "stream", "65536", "MB_per_s", "tcp", 1.2, ">=")
    ratio_target("stream 64 KiB MB/s vs UNIX", "stream", "65536", "MB_per_s", "unix", 0.8, ">=")
    ratio_target("stream 1 KiB MB/s vs TCP", "stream", "1024", "MB_per_s", "tcp", 1.0, ">=")
    ratio_target("stream goodput, loss 1%, vs TCP", "stream_loss1", "65536", "MB_per_s",
                 "tcp", 1.0, ">=")
    ratio_target("ping-pong p50 vs UDP", "pp_dgram", "64", "p50_us", "udp", 1.0, "<=")
    ratio_target("conn rate vs TCP", "connrate", "-", "conns_per_s", "tcp", 1.0, ">=")
    for metric, label in (("bind_ns", "bind growth"), ("bind_all_ns", "bind growth (all N, cold)"),
                          ("deliver_hot_ns", "demux growth (hot set)"),
                          ("deliver_ns", "demux growth (all N, cold)")):
        g, lo, hi = growth(st, metric, "toy")
        gu, _, _ = growth(st, metric, "udp")
        if g is None:
            out.append((label, None, 1.3, "<=", None, "no data"))
            continue
        out.append(("%s %s->%s" % (label, lo, hi), g, 1.3, "<=", g <= 1.3,
                    "UDP on the same machine: %.2fx" % gu if gu else ""))
    for wl, kind in (("flood_dgram", "dgram"), ("flood_stream", "stream")):
        s = st.get(wl, "1024", "toy", "slab_per_bound")
        if not s:
            continue
        d = st.get(wl, "1024", "toy", "slab_delta_kB")
        b = st.get(wl, "1024", "toy", "bound_kB")
        out.append(("flood %s: Slab growth / buffers" % kind, s["max"], 1.1, "<=",
                     s["max"] <= 1.1,
                     "Slab +%s kB for %s kB of buffers (worst round; 10%% allowed for "
                     "slab rounding and unrelated slab activity)"
                     % (fmt(d["max"]), fmt(b["median"]))))
        r = st.get(wl, "1024", "toy", "rmem_per_rcvbuf")
        rb = st.get(wl, "1024", "toy", "rcvbuf_kB")
        rm = st.get(wl, "1024", "toy", "rmem_alloc_kB")
        if r and rb:
            # one frame (64 KiB) past the limit is how every family admits
            thr = 1 + 64.0 / rb["median"]
            out.append(("flood %s: rcv queue / rcvbuf" % kind, r["max"], round(thr, 3), "<=",
                        r["max"] <= thr,
                        "rmem_alloc %s kB with rcvbuf %s kB (worst round; one 64 KiB frame "
                        "of slack)" % (fmt(rm["max"]), fmt(rb["median"]))))
    return out


def write_summary(st, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "param", "metric", "family", "median", "min", "max",
                    "spread_pct", "rounds", "toy_over_this_median", "toy_over_this_min",
                    "toy_over_this_max"])
        for (wl, p, fam, m) in sorted(st.vals):
            s = st.get(wl, p, fam, m)
            r = st.ratio(wl, p, m, fam) if fam != "toy" else None
            w.writerow([wl, p, m, fam, "%.6g" % s["median"], "%.6g" % s["min"],
                        "%.6g" % s["max"], "%.1f" % s["spread_pct"], s["n"],
                        "%.4f" % r["median"] if r else "", "%.4f" % r["min"] if r else "",
                        "%.4f" % r["max"] if r else ""])


def write_plot_data(st, tg, d):
    os.makedirs(d, exist_ok=True)

    def trio(wl, p, m, scale=1.0):
        cols = []
        for fam in ("toy", INET[wl], "unix"):
            s = st.get(wl, p, fam, m)
            if s:
                cols += ["%g" % (s["median"] * scale), "%g" % (s["min"] * scale),
                         "%g" % (s["max"] * scale)]
            else:
                cols += ["NaN", "NaN", "NaN"]
        return cols

    with open(os.path.join(d, "dgram.dat"), "w") as f:
        for p, label in (("64", "64 B"), ("1024", "1 KiB"), ("max", "max")):
            f.write('"%s" %s\n' % (label, " ".join(trio("dgram", p, "msgs_per_s", 1e-3))))
    with open(os.path.join(d, "stream.dat"), "w") as f:
        for p, label in (("65536", "64 KiB writes"), ("1024", "1 KiB writes")):
            f.write('"%s" %s\n' % (label, " ".join(trio("stream", p, "MB_per_s"))))
    with open(os.path.join(d, "latency.dat"), "w") as f:
        for wl, m, label in (("pp_dgram", "p50_us", "dgram p50"), ("pp_dgram", "p99_us", "dgram p99"),
                             ("pp_stream", "p50_us", "stream p50"),
                             ("pp_stream", "p99_us", "stream p99")):
            f.write('"%s" %s\n' % (label, " ".join(trio(wl, "64", m))))
    with open(os.path.join(d, "conn.dat"), "w") as f:
        f.write('"connections/s" %s\n' % " ".join(trio("connrate", "-", "conns_per_s")))
    with open(os.path.join(d, "memory.dat"), "w") as f:
        for wl, m, label in (("flood_dgram", "slab_per_bound", "dgram: Slab\\n/ rcvbuf"),
                             ("flood_dgram", "rmem_per_rcvbuf", "dgram: rcv queue\\n/ rcvbuf"),
                             ("flood_stream", "slab_per_bound", "stream: Slab\\n/ (rcvbuf+sndbuf)"),
                             ("flood_stream", "rmem_per_rcvbuf", "stream: rcv queue\\n/ rcvbuf")):
            f.write('"%s" %s\n' % (label, " ".join(trio(wl, "1024", m))))
    with open(os.path.join(d, "scale.dat"), "w") as f:
        f.write("# N toy_bind udp_bind toy_deliver udp_deliver toy_hot udp_hot "
                "toy_bind_all udp_bind_all (us, medians)\n")
        for p in st.params("scale"):
            row = [p]
            for m in ("bind_ns", "deliver_ns", "deliver_hot_ns", "bind_all_ns"):
                for fam in ("toy", "udp"):
                    s = st.get("scale", p, fam, m)
                    row.append("%g" % (s["median"] / 1e3) if s else "NaN")
            f.write(" ".join(row) + "\n")
    with open(os.path.join(d, "targets.dat"), "w") as f:
        i = 0
        for label, v, thr, sense, met, _ in tg:
            if v is None:
                continue
            # score >= 1 means met, whichever way the target points
            score = v / thr if sense == ">=" else (thr / v if v > 0 else 100)
            f.write('%d "%s" %g %d "%.2f%s\\n(%s %.3g)"\n' % (
                i, label, score, 1 if met else 0, v,
                "" if "flood" in label else "x", "≥" if sense == ">=" else "≤", thr))
            i += 1


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    meta, vals, failed = load(sys.argv[1])
    st = Stats(vals)
    outdir = sys.argv[2]
    for line in table(st, meta, failed):
        print(line)
    tg = targets(st)
    print("")
    print("== targets (issue)")
    nmet = 0
    for label, v, thr, sense, met, note in tg:
        state = "no data" if met is None else ("MET" if met else "MISSED")
        nmet += bool(met)
        print("%-38s %-8s %s %-5s %-8s %s" % (
            label, "-" if v is None else "%.2f" % v, sense, "%.2f" % thr, state, note))
    print("%d of %d targets met" % (nmet, len(tg)))
    write_summary(st, os.path.join(outdir, "summary.csv"))
    with open(os.path.join(outdir, "targets.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["target", "value", "sense", "threshold", "met", "note"])
        for label, v, thr, sense, met, note in tg:
            w.writerow([label, "" if v is None else "%.4f" % v, sense, thr,
                        "" if met is None else int(met), note])
    write_plot_data(st, tg, os.path.join(outdir, "plot"))
    with open(os.path.join(outdir, "plot", "title.txt"), "w") as f:
        f.write("AF_TOY vs UDP/TCP on lo and AF_UNIX - kernel %s, %s vCPUs, %s - "
                "%s rounds x %s s, medians with min-max bars\n"
                % (meta.get("kernel", "?"), meta.get("cpus", "?"),
                   meta.get("accelerator", "?").split(" ")[0].upper(),
                   meta.get("rounds", "?"), meta.get("duration_s", "?")))


if __name__ == "__main__":
    main()
