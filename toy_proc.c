// SPDX-License-Identifier: GPL-2.0
/*
 * AF_TOY's files in /proc: /proc/net/toy (every socket),
 * /proc/net/toy_snmp (the counters) and /proc/sys/net/toy (the sysctls).
 * Layer: beside the stack, read-only on its state except for the
 * sysctls; the analogue of net/ipv4/proc.c and sysctl_net_ipv4.c.
 *
 * Owns the only tables of counter names and state names, which the
 * white-box tests print too.  It reads struct toy_net's socket list and
 * counters, and the stream protocol's global limits (toy_stream_mem.c).
 *
 * How it is set up: af_toy_init() registers toy_proc_net_ops, whose init
 * runs for each namespace after the core's (toy_proto.c) and the port
 * tables'; the global limits are registered in init_net only, so that
 * the owner of another namespace cannot raise them.
 *
 * Locking: the socket list is walked under its sklist_lock; a socket's
 * fields are read with READ_ONCE(), as the receive path does.
 */

#include <linux/net.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "af_toy.h"
#include "toy_stream.h"

/* ---- /proc/net/toy_snmp ------------------------------------------------ */

/* The counters' names in /proc/net/toy_snmp; the KUnit suites print them too. */
TOY_VISIBLE_IF_KUNIT const char *const toy_mib_names[TOY_MIB_MAX] = {
	[TOY_MIB_INDATAGRAMS]	= "InDatagrams",
	[TOY_MIB_NOPORTS]	= "NoPorts",
	[TOY_MIB_INERRORS]	= "InErrors",
	[TOY_MIB_OUTDATAGRAMS]	= "OutDatagrams",
	[TOY_MIB_RCVBUFERRORS]	= "RcvbufErrors",
	[TOY_MIB_SNDBUFERRORS]	= "SndbufErrors",
	[TOY_MIB_INCSUMERRORS]	= "InCsumErrors",
	[TOY_MIB_HDRERRORS]	= "HdrErrors",
	[TOY_MIB_ACTIVEOPENS]	= "ActiveOpens",
	[TOY_MIB_PASSIVEOPENS]	= "PassiveOpens",
	[TOY_MIB_RETRANSSEGS]	= "RetransSegs",
	[TOY_MIB_BACKLOGDROPS]	= "BacklogDrops",
	[TOY_MIB_WINDOWDROPS]	= "WindowDrops",
	[TOY_MIB_OFOQUEUE]	= "OfoQueue",
	[TOY_MIB_OFODROPS]	= "OfoDrops",
	[TOY_MIB_OFOPRUNED]	= "OfoPruned",
	[TOY_MIB_FASTRETRANS]	= "FastRetrans",
	[TOY_MIB_TIMEOUTS]	= "Timeouts",
	[TOY_MIB_SPURIOUSRETRANS] = "SpuriousRetrans",
	[TOY_MIB_ABORTONMEMORY]	= "AbortOnMemory",
	[TOY_MIB_INADDRERRORS]	= "InAddrErrors",
	[TOY_MIB_NEIGHOUTREQUESTS] = "NeighOutRequests",
	[TOY_MIB_NEIGHOUTREPLIES] = "NeighOutReplies",
	[TOY_MIB_NEIGHINREQUESTS] = "NeighInRequests",
	[TOY_MIB_NEIGHINREPLIES] = "NeighInReplies",
	[TOY_MIB_NEIGHRESOLVEFAILED] = "NeighResolveFailed",
	[TOY_MIB_NEIGHUNRESOLVEDDROPS] = "NeighUnresolvedDrops",
};
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_mib_names);

static unsigned long toy_mib_sum(struct toy_net *tn, int item)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(tn->mib, cpu)->mibs[item];
	return sum;
}

/* /proc/net/toy_neigh: the neighbour cache, drawn by toy_neigh.c. */
static int toy_neigh_show(struct seq_file *seq, void *v)
{
	return toy_neigh_seq_show(seq, toy_pernet(seq_file_single_net(seq)));
}

static int toy_snmp_show(struct seq_file *seq, void *v)
{
	struct toy_net *tn = toy_pernet(seq_file_single_net(seq));
	int i;

	seq_puts(seq, "Toy:");
	for (i = 0; i < TOY_MIB_MAX; i++)
		seq_printf(seq, " %s", toy_mib_names[i]);
	seq_puts(seq, "\nToy:");
	for (i = 0; i < TOY_MIB_MAX; i++)
		seq_printf(seq, " %lu", toy_mib_sum(tn, i));
	seq_putc(seq, '\n');
	return 0;
}

/* ---- /proc/net/toy ----------------------------------------------------- */

static void *toy_seq_start(struct seq_file *seq, loff_t *pos)
	__acquires(&toy_pernet(seq_file_net(seq))->sklist_lock)
{
	struct toy_net *tn = toy_pernet(seq_file_net(seq));

	spin_lock_bh(&tn->sklist_lock);
	return seq_hlist_start_head(&tn->sklist, *pos);
}

static void *toy_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct toy_net *tn = toy_pernet(seq_file_net(seq));

	return seq_hlist_next(v, &tn->sklist, pos);
}

static void toy_seq_stop(struct seq_file *seq, void *v)
	__releases(&toy_pernet(seq_file_net(seq))->sklist_lock)
{
	struct toy_net *tn = toy_pernet(seq_file_net(seq));

	spin_unlock_bh(&tn->sklist_lock);
}

static const char *const toy_type_names[] = {
	[TOY_TYPE_DGRAM]	= "DGRAM",
	[TOY_TYPE_STREAM]	= "STREAM",
	[TOY_TYPE_SEQPACKET]	= "SEQPACKET",
};

/* The state names (TCP's, as ss and netstat print them); tests print them too. */
static const char *const toy_state_names[] = {
	[TOY_ESTABLISHED]	= "ESTABLISHED",
	[TOY_SYN_SENT]		= "SYN_SENT",
	[TOY_FIN_WAIT1]		= "FIN_WAIT1",
	[TOY_FIN_WAIT2]		= "FIN_WAIT2",
	[TOY_TIME_WAIT]		= "TIME_WAIT",
	[TOY_CLOSE]		= "CLOSE",
	[TOY_CLOSE_WAIT]	= "CLOSE_WAIT",
	[TOY_LAST_ACK]		= "LAST_ACK",
	[TOY_LISTEN]		= "LISTEN",
	[TOY_CLOSING]		= "CLOSING",
};

/**
 * toy_state_name() - the name of a socket state
 * @state: TOY_*
 *
 * Static except in KUnit builds.
 *
 * Return: its name, as /proc/net/toy shows it, or "?".
 */
TOY_VISIBLE_IF_KUNIT const char *toy_state_name(int state)
{
	if ((unsigned int)state >= ARRAY_SIZE(toy_state_names) ||
	    !toy_state_names[state])
		return "?";
	return toy_state_names[state];
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_state_name);

static int toy_seq_show(struct seq_file *seq, void *v)
{
	const struct toy_sock *ts;
	struct sock *sk;

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "  sl  local_address rem_address   st tx_queue:rx_queue   uid    inode drops type state\n");
		return 0;
	}
	sk = sk_entry(v);
	ts = toy_sk(sk);
	seq_printf(seq, "%4lld: %08X:%04X %08X:%04X %02X %08X:%08X %5u %8lu %5u %s %s\n",
		   seq->index - 1,
		   ntohl(READ_ONCE(ts->rcv_saddr)), ntohs(READ_ONCE(ts->sport)),
		   ntohl(READ_ONCE(ts->daddr)), ntohs(READ_ONCE(ts->dport)),
		   READ_ONCE(sk->sk_state),
		   sk_wmem_alloc_get(sk), sk_rmem_alloc_get(sk),
		   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
		   sock_i_ino(sk), atomic_read(&sk->sk_drops),
		   toy_type_names[toy_type_of(sk)],
		   toy_state_name(READ_ONCE(sk->sk_state)));
	return 0;
}

static const struct seq_operations toy_seq_ops = {
	.start	= toy_seq_start,
	.next	= toy_seq_next,
	.stop	= toy_seq_stop,
	.show	= toy_seq_show,
};

/* ---- /proc/sys/net/toy ------------------------------------------------- */

static int toy_port_range_max = 65535;

static int toy_port_range_handler(toy_ctl_table *table, int write,
				  void *buffer, size_t *lenp, loff_t *ppos)
{
	struct toy_net *tn = table->data;
	u32 low, high;
	int range[2];
	struct ctl_table tmp = {
		.data	= range,
		.maxlen	= sizeof(range),
		.mode	= table->mode,
		.extra1	= SYSCTL_ONE,
		.extra2	= &toy_port_range_max,
	};
	int err;

	toy_port_range(tn, &low, &high);
	range[0] = low;
	range[1] = high;
	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!write || err)
		return err;
	if (range[1] < range[0])
		return -EINVAL;
	WRITE_ONCE(tn->port_range, (u32)range[1] << 16 | range[0]);
	return 0;
}

static struct ctl_table toy_sysctl_template[] = {
	{
		.procname	= "local_port_range",
		.maxlen		= sizeof(int) * 2,
		.mode		= 0644,
		.proc_handler	= toy_port_range_handler,
	},
	{ }
};

/*
 * Limits for the whole machine, in init_net only, as tcp_mem is: the
 * owner of a network namespace (any user, through unshare -Urn) must not
 * be able to raise them.  The data lives in toy_stream_mem.c.
 */
static long toy_mem_min[3];

static int toy_buf_min = SZ_4K;

static struct ctl_table toy_sysctl_global[] = {
	{
		.procname	= "toy_mem",
		.data		= toy_sysctl_mem,
		.maxlen		= sizeof(toy_sysctl_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
		.extra1		= toy_mem_min,
	},
	{
		.procname	= "toy_rmem",
		.data		= toy_sysctl_rmem,
		.maxlen		= sizeof(toy_sysctl_rmem),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_buf_min,
	},
	{
		.procname	= "toy_wmem",
		.data		= toy_sysctl_wmem,
		.maxlen		= sizeof(toy_sysctl_wmem),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &toy_buf_min,
	},
	{
		.procname	= "max_orphans",
		.data		= &toy_sysctl_max_orphans,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
	},
	{
		.procname	= "orphan_retries",
		.data		= &toy_sysctl_orphan_retries,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE_HUNDRED,
	},
	{ }
};

static struct ctl_table_header *toy_sysctl_global_hdr;

static int toy_sysctl_init(struct net *net, struct toy_net *tn)
{
	struct ctl_table *table;

	table = kmemdup(toy_sysctl_template, sizeof(toy_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[0].data = tn;
	tn->sysctl = toy_register_net_sysctl(net, "net/toy", table,
					     ARRAY_SIZE(toy_sysctl_template) - 1);
	if (!tn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	if (net_eq(net, &init_net)) {
		size_t n = ARRAY_SIZE(toy_sysctl_global) - 1;

		toy_sysctl_global_hdr = toy_register_net_sysctl(net, "net/toy",
								toy_sysctl_global,
								n);
		if (!toy_sysctl_global_hdr) {
			unregister_net_sysctl_table(tn->sysctl);
			kfree(table);
			return -ENOMEM;
		}
	}
	return 0;
}

static void toy_sysctl_exit(struct toy_net *tn)
{
	const struct ctl_table *table = tn->sysctl->ctl_table_arg;

	if (tn == toy_pernet(&init_net) && toy_sysctl_global_hdr) {
		unregister_net_sysctl_table(toy_sysctl_global_hdr);
		toy_sysctl_global_hdr = NULL;
	}
	unregister_net_sysctl_table(tn->sysctl);
	kfree(table);
}

/* ---- per-namespace setup ----------------------------------------------- */

/* A new namespace's /proc/net/toy* and sysctls. */
static int __net_init toy_proc_net_init(struct net *net)
{
	struct toy_net *tn = toy_pernet(net);
	int err;

	err = toy_sysctl_init(net, tn);
	if (err)
		return err;
	err = -ENOMEM;
	if (!proc_create_net("toy", 0444, net->proc_net, &toy_seq_ops,
			     sizeof(struct seq_net_private)))
		goto out_sysctl;
	if (!proc_create_net_single("toy_snmp", 0444, net->proc_net,
				    toy_snmp_show, NULL))
		goto out_proc;
	if (!proc_create_net_single("toy_neigh", 0444, net->proc_net,
				    toy_neigh_show, NULL))
		goto out_snmp;
	return 0;

out_snmp:
	remove_proc_entry("toy_snmp", net->proc_net);
out_proc:
	remove_proc_entry("toy", net->proc_net);
out_sysctl:
	toy_sysctl_exit(tn);
	return err;
}

static void __net_exit toy_proc_net_exit(struct net *net)
{
	remove_proc_entry("toy_neigh", net->proc_net);
	remove_proc_entry("toy_snmp", net->proc_net);
	remove_proc_entry("toy", net->proc_net);
	toy_sysctl_exit(toy_pernet(net));
}

/* /proc and sysctl of each namespace; registered after toy_port_net_ops. */
struct pernet_operations toy_proc_net_ops = {
	.init	= toy_proc_net_init,
	.exit	= toy_proc_net_exit,
};
