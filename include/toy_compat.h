/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toy_compat.h - the kernel API differences between 6.1 and 6.12, in one
 * place.  Each TOY_HAVE_* macro is set by Kbuild after probing the headers
 * of the kernel being built against (Debian backports features, so the
 * version number alone is not a reliable guide).
 */
#ifndef _TOY_COMPAT_H
#define _TOY_COMPAT_H

#include <linux/netdevice.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/sock.h>

/* 6.10 moved the protocol memory helpers (sk_memory_allocated(), the
 * sk_*mem_schedule() family) out of sock.h into their own header.
 */
#ifdef TOY_HAVE_PROTO_MEMORY_H
#include <net/proto_memory.h>
#endif

/* 6.12 moved "lockless transmit" from NETIF_F_LLTX to dev->lltx. */
static inline void toy_dev_set_lltx(struct net_device *dev)
{
#ifdef TOY_HAVE_DEV_LLTX
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

/* 6.12 moved NETIF_F_NETNS_LOCAL to dev->netns_immutable (or _local). */
static inline void toy_dev_set_netns_local(struct net_device *dev)
{
#if defined(TOY_HAVE_NETNS_IMMUTABLE)
	dev->netns_immutable = true;
#elif defined(TOY_HAVE_NETNS_LOCAL)
	dev->netns_local = true;
#else
	dev->features |= NETIF_F_NETNS_LOCAL;
#endif
}

/* 6.11 made sysctl tables const and sized rather than terminated. */
#ifdef TOY_HAVE_CONST_CTL_TABLE
#define toy_ctl_table const struct ctl_table
#else
#define toy_ctl_table struct ctl_table
#endif

static inline struct ctl_table_header *
toy_register_net_sysctl(struct net *net, const char *path,
			struct ctl_table *table, size_t n)
{
#ifdef TOY_HAVE_SYSCTL_SZ
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/*
 * About 6.15 packed rtnl_link_ops.newlink()'s namespaces and attributes
 * into struct rtnl_newlink_params.  toy_link_newlink() is written with
 * these three names: its arguments, the namespace "link DEV" is looked up
 * in (the requester's, or link-netns's), and the IFLA_* attributes.
 */
#ifdef TOY_HAVE_RTNL_NEWLINK_PARAMS
#define TOY_NEWLINK_ARGS	struct net_device *dev,			\
				struct rtnl_newlink_params *params,	\
				struct netlink_ext_ack *extack
#define toy_newlink_src_net()	rtnl_newlink_link_net(params)
#define toy_newlink_tb()	(params->tb)
#else
#define TOY_NEWLINK_ARGS	struct net *src_net, struct net_device *dev, \
				struct nlattr *tb[], struct nlattr *data[], \
				struct netlink_ext_ack *extack
#define toy_newlink_src_net()	(src_net)
#define toy_newlink_tb()	(tb)
#endif

#endif /* _TOY_COMPAT_H */
