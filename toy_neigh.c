// SPDX-License-Identifier: GPL-2.0
/*
 * The toy ARP: which link reaches a node.  Layer: below the core
 * (toy_proto.c, which calls in with its per-namespace state), above the
 * buffers and the devices.  In miniature, what net/ipv4/arp.c and
 * net/core/neighbour.c do for IPv4, and what AppleTalk's AARP
 * (net/appletalk/aarp.c) does without the neighbour subsystem.
 *
 * Owns the neighbour cache of a namespace (struct toy_neigh_table in
 * struct toy_net) and the frames of type TOY_TYPE_NEIGH:
 *
 *   who-has  TOY_F_WHO_HAS, saddr = the asker, daddr = the node sought;
 *            broadcast on every link that is up
 *   is-at    TOY_F_IS_AT, saddr = the node that answers; daddr = the asker,
 *            or TOY_ADDR_BROADCAST for an announcement (a link came up,
 *            or the node's address changed), like a gratuitous ARP
 *
 * An entry's life (the states of the kernel's neighbours, fewer of them):
 *
 *   (none) --frame to send--> INCOMPLETE --is-at--> REACHABLE
 *                                  | no answer to
 *                                  | TOY_NEIGH_PROBES who-has
 *                                  v
 *                               FAILED --TOY_NEIGH_FAILED_TIME--> (none)
 *   REACHABLE --TOY_NEIGH_REACHABLE_TIME--> STALE (still used; the next
 *   frame sent asks again, and no answer makes it FAILED)
 *
 * How frames enter: toy_rcv() hands every TOY_TYPE_NEIGH frame to
 * toy_neigh_rcv().  A who-has teaches us the asker (as ARP does) and, if
 * it seeks us, is answered on the link it came in on.  How they leave:
 * toy_xmit() hands every frame for another node to toy_neigh_output(),
 * which sends it on the entry's link, or queues it (at most
 * TOY_NEIGH_QUEUE) until the answer comes.
 *
 * Locking: one spinlock per namespace (toy_neigh_table.lock, BH-safe)
 * guards the table and its entries; no frame is sent while it is held.
 * An entry holds a reference on its link, dropped when the link goes
 * down or away (toy_neigh_flush(), from the core's netdevice notifier).
 * One timer per namespace is the cache's clock: it probes, ages and
 * expires entries, and runs only while the table is not empty.
 *
 * The route cache: a connected socket keeps a counted reference to the
 * entry of its peer (toy_sock.route), as an inet socket keeps its route
 * in sk_dst_cache.  While that entry is REACHABLE, its frames go out on
 * the entry's link without the lock or a lookup.  Anything else (the
 * entry went STALE or FAILED, lost its link, or left the table) sends
 * them the slow way, which finds the entry again and caches it.  So the
 * cache needs no invalidation of its own: an entry that leaves the table
 * says so in its state (TOY_NEIGH_NONE), and is freed, after an RCU
 * grace period, when its last holder lets go.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netdevice.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "af_toy.h"
#include "toy_trace.h"

#define TOY_NEIGH_PROBES		3	/* who-has sent before FAILED */
#define TOY_NEIGH_PROBE_TIME		HZ	/* between two of them */
#define TOY_NEIGH_REACHABLE_TIME	(30 * HZ)
#define TOY_NEIGH_STALE_TIME		(60 * HZ)	/* unused, then gone */
#define TOY_NEIGH_FAILED_TIME		(10 * HZ)
#define TOY_NEIGH_QUEUE			3	/* frames held while asking */
#define TOY_NEIGH_MAX			256	/* entries per namespace */
#define TOY_NEIGH_TICK			(HZ / 4)
#define TOY_NEIGH_ASK_PER_TICK		16	/* who-has sent per tick, at most */

static const char *const toy_neigh_state_names[] = {
	[TOY_NEIGH_INCOMPLETE]	= "INCOMPLETE",
	[TOY_NEIGH_REACHABLE]	= "REACHABLE",
	[TOY_NEIGH_STALE]	= "STALE",
	[TOY_NEIGH_FAILED]	= "FAILED",
};

/**
 * struct toy_neigh - what we know of one neighbour; guarded by the
 *		      table's lock, but see @dev and @state
 * @node: in toy_neigh_table.entries
 * @addr: its node address; never changes
 * @dev: the link that reaches it, held; NULL while INCOMPLETE or FAILED.
 *	 Written with WRITE_ONCE() under the lock; the route cache reads it
 *	 with READ_ONCE() under RCU, which keeps the device's memory
 * @dev_tracker: for the reference on @dev
 * @state: TOY_NEIGH_*, or TOY_NEIGH_NONE once out of the table; written
 *	   with WRITE_ONCE() under the lock, read locklessly by the cache
 * @refcnt: one for the table while listed, one per socket that caches it
 * @rcu: frees it after the cache's lockless readers are done
 * @probes: who-has sent since it was last confirmed; 0 when not asking
 * @probed: jiffies of the last who-has
 * @updated: jiffies of the last change of @state
 * @queue: frames waiting for the answer (INCOMPLETE only)
 */
struct toy_neigh {
	struct list_head	node;
	__be32			addr;
	struct net_device	*dev;
	netdevice_tracker	dev_tracker;
	u8			state;
	u8			probes;
	unsigned long		probed;
	unsigned long		updated;
	struct sk_buff_head	queue;
	refcount_t		refcnt;
	struct rcu_head		rcu;
};

static struct toy_net *toy_neigh_tn(struct toy_neigh_table *t)
{
	return container_of(t, struct toy_net, neigh);
}

static struct toy_neigh *toy_neigh_lookup(struct toy_neigh_table *t,
					  __be32 addr)
{
	struct toy_neigh *n;

	lockdep_assert_held(&t->lock);
	list_for_each_entry(n, &t->entries, node)
		if (n->addr == addr)
			return n;
	return NULL;
}

static void toy_neigh_arm(struct toy_neigh_table *t)
{
	if (!t->dead && !timer_pending(&t->timer))
		mod_timer(&t->timer, jiffies + TOY_NEIGH_TICK);
}

/* @old: the entry's state so far, TOY_NEIGH_NONE for a new one */
static void toy_neigh_move(struct toy_neigh *n, int old, u8 state)
{
	trace_toy_neigh_state(n->addr, n->dev, old, state);
	WRITE_ONCE(n->state, state);
	n->updated = jiffies;
}

static void toy_neigh_set_state(struct toy_neigh *n, u8 state)
{
	toy_neigh_move(n, n->state, state);
}

/* Forget the link an entry used; called with the lock held. */
static void toy_neigh_drop_dev(struct toy_neigh *n)
{
	struct net_device *dev = n->dev;

	if (dev) {
		WRITE_ONCE(n->dev, NULL);
		netdev_put(dev, &n->dev_tracker);
	}
}

static void toy_neigh_put(struct toy_neigh *n)
{
	if (n && refcount_dec_and_test(&n->refcnt))
		kfree_rcu(n, rcu);
}

/* Take @n out of the table; a socket's route cache may still hold it. */
static void toy_neigh_free(struct toy_neigh_table *t, struct toy_neigh *n)
{
	toy_neigh_set_state(n, TOY_NEIGH_NONE);
	list_del(&n->node);
	t->count--;
	toy_neigh_drop_dev(n);
	skb_queue_purge(&n->queue);
	toy_neigh_put(n);
}

static struct toy_neigh *toy_neigh_create(struct toy_neigh_table *t,
					  __be32 addr)
{
	struct toy_neigh *n;

	if (t->count >= TOY_NEIGH_MAX || t->dead)
		return NULL;
	n = kzalloc(sizeof(*n), GFP_ATOMIC);
	if (!n)
		return NULL;
	n->addr = addr;
	skb_queue_head_init(&n->queue);
	refcount_set(&n->refcnt, 1);
	toy_neigh_move(n, TOY_NEIGH_NONE, TOY_NEIGH_INCOMPLETE);
	list_add(&n->node, &t->entries);
	t->count++;
	toy_neigh_arm(t);
	return n;
}

/* ---- frames out: who-has and is-at ------------------------------------- */

static void toy_neigh_send(struct toy_net *tn, struct net_device *dev,
			   u8 flags, __be32 saddr, __be32 daddr)
{
	struct toy_flow fl = {
		.type = TOY_TYPE_NEIGH, .flags = flags,
		.saddr = saddr, .daddr = daddr,
	};
	struct sk_buff *skb = toy_skb_alloc_ctl(dev, GFP_ATOMIC);

	if (!skb)
		return;
	toy_skb_push_hdr(skb, &fl);
	TOY_INC_STATS(tn, flags == TOY_F_WHO_HAS ? TOY_MIB_NEIGHOUTREQUESTS :
						   TOY_MIB_NEIGHOUTREPLIES);
	toy_queue_xmit(skb, dev);
}

/* Send @flags about @daddr on every link that is up, or only on @dev. */
static void toy_neigh_send_all(struct toy_net *tn, struct net_device *only,
			       u8 flags, __be32 daddr)
{
	struct net *net = read_pnet(&tn->neigh.net);
	__be32 self = READ_ONCE(tn->node_addr);
	struct net_device *dev;

	if (!self)
		return;	/* no address, nothing to ask or tell */
	rcu_read_lock();
	for_each_netdev_rcu(net, dev)
		if ((!only || dev == only) && toy_link_is_up(dev))
			toy_neigh_send(tn, dev, flags, self, daddr);
	rcu_read_unlock();
}

/**
 * toy_neigh_announce() - tell the neighbours who we are (a gratuitous is-at)
 * @tn: the namespace's AF_TOY state
 * @dev: the link that just came up, or NULL for every link (the node's
 *	 address changed); process context, RTNL held
 */
void toy_neigh_announce(struct toy_net *tn, struct net_device *dev)
{
	toy_neigh_send_all(tn, dev, TOY_F_IS_AT, htonl(TOY_ADDR_BROADCAST));
}

/* Send what waited for @n's answer; @q was taken from it under the lock. */
static void toy_neigh_release_queue(struct net_device *dev,
				    struct sk_buff_head *q)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q)))
		toy_queue_xmit(skb, dev);
}

/* ---- the way out for a frame to another node --------------------------- */

/*
 * The link of the entry a socket cached, if that entry is still the
 * right one and needs nothing done: REACHABLE, for @daddr.  Under RCU.
 */
static struct net_device *toy_neigh_cached_dev(struct toy_neigh __rcu **cache,
					       __be32 daddr)
{
	struct toy_neigh *n = cache ? rcu_dereference(*cache) : NULL;

	if (!n || n->addr != daddr ||
	    READ_ONCE(n->state) != TOY_NEIGH_REACHABLE)
		return NULL;
	return READ_ONCE(n->dev);
}

/* Cache @n, on which the caller took a reference for @cache. */
static void toy_neigh_cache(struct toy_neigh __rcu **cache,
			    struct toy_neigh *n)
{
	toy_neigh_put(unrcu_pointer(xchg(cache, RCU_INITIALIZER(n))));
}

/**
 * toy_neigh_uncache() - let go of a socket's cached route
 * @cache: the socket's toy_sock.route, which nobody else uses any more
 */
void toy_neigh_uncache(struct toy_neigh __rcu **cache)
{
	toy_neigh_put(rcu_replace_pointer(*cache, NULL, true));
}

/**
 * toy_neigh_output() - send a frame to a node on some link
 * @tn: the namespace's AF_TOY state
 * @skb: the frame, header pushed; consumed
 * @daddr: the node it is for, not this one
 * @cache: the sending socket's route cache (toy_sock.route), or NULL if
 *	   the frame is not for its connected peer
 *
 * Sends it on the link that reaches @daddr, or holds it while a who-has
 * asks (the oldest held frame gives way beyond TOY_NEIGH_QUEUE).  Called
 * under RCU, as dev_queue_xmit() is.
 *
 * Return: 0, or -EHOSTUNREACH (the node did not answer lately) or
 * -ENOBUFS (the cache is full).
 */
int toy_neigh_output(struct toy_net *tn, struct sk_buff *skb, __be32 daddr,
		     struct toy_neigh __rcu **cache)
{
	struct toy_neigh_table *t = &tn->neigh;
	struct toy_neigh *n, *keep = NULL;
	struct net_device *dev;
	struct sk_buff *old = NULL;
	bool ask = false;
	int err = 0;

	dev = toy_neigh_cached_dev(cache, daddr);
	if (dev)
		return toy_queue_xmit(skb, dev);

	spin_lock_bh(&t->lock);
	n = toy_neigh_lookup(t, daddr);
	if (!n) {
		n = toy_neigh_create(t, daddr);
		ask = !!n;
	}
	if (!n) {
		err = -ENOBUFS;
	} else if (n->state == TOY_NEIGH_FAILED) {
		err = -EHOSTUNREACH;
	} else if (n->state == TOY_NEIGH_INCOMPLETE) {
		if (skb_queue_len(&n->queue) >= TOY_NEIGH_QUEUE)
			old = __skb_dequeue(&n->queue);
		__skb_queue_tail(&n->queue, skb);
		skb = NULL;
	} else {
		dev = n->dev;
		/* A stale entry is still used, and checked again. */
		ask = n->state == TOY_NEIGH_STALE && !n->probes;
		if (cache && rcu_access_pointer(*cache) != n) {
			refcount_inc(&n->refcnt);
			keep = n;
		}
	}
	if (ask) {
		n->probes = 1;
		n->probed = jiffies;
	}
	spin_unlock_bh(&t->lock);

	if (keep)
		toy_neigh_cache(cache, keep);
	if (ask)
		toy_neigh_send_all(tn, NULL, TOY_F_WHO_HAS, daddr);
	if (old) {
		TOY_INC_STATS(tn, TOY_MIB_NEIGHUNRESOLVEDDROPS);
		kfree_skb_reason(old, SKB_DROP_REASON_NEIGH_QUEUEFULL);
	}
	if (!skb)
		return 0;
	if (err) {
		TOY_INC_STATS(tn, TOY_MIB_NEIGHUNRESOLVEDDROPS);
		kfree_skb_reason(skb, err == -ENOBUFS ?
				 SKB_DROP_REASON_NEIGH_CREATEFAIL :
				 SKB_DROP_REASON_NEIGH_FAILED);
		return err;
	}
	/* The entry's reference may go once we unlock; the device itself
	 * is freed only after an RCU grace period, and we are under RCU.
	 */
	return toy_queue_xmit(skb, dev);
}

/**
 * toy_neigh_route() - can a frame reach @daddr, and how large may it be?
 * @tn: the namespace's AF_TOY state
 * @daddr: a node that is not this one
 * @max_payload: set to what the link's MTU leaves for a payload
 *
 * Creates nothing: the first frame sent does that.  Process context.
 *
 * Return: 0; -EHOSTUNREACH if the node did not answer lately;
 * -ENETUNREACH if this node has no address or no link is up.
 */
int toy_neigh_route(struct toy_net *tn, __be32 daddr,
		    unsigned int *max_payload)
{
	struct toy_neigh_table *t = &tn->neigh;
	unsigned int mtu = 0;
	struct toy_neigh *n;
	int err = -ENETUNREACH;

	if (!READ_ONCE(tn->node_addr))
		return -ENETUNREACH;
	spin_lock_bh(&t->lock);
	n = toy_neigh_lookup(t, daddr);
	if (n && n->state == TOY_NEIGH_FAILED)
		err = -EHOSTUNREACH;
	else if (n && n->dev)
		mtu = READ_ONCE(n->dev->mtu);
	spin_unlock_bh(&t->lock);
	if (err == -EHOSTUNREACH)
		return err;
	/* Not known yet: any link may turn out to be the one. */
	if (!mtu)
		mtu = toy_link_min_mtu(read_pnet(&t->net));
	if (!mtu)
		return -ENETUNREACH;
	if (max_payload)
		*max_payload = min_t(unsigned int, TOY_MAX_PAYLOAD,
				     mtu - TOY_HDR_LEN);
	return 0;
}

/* ---- frames in: who-has and is-at -------------------------------------- */

/*
 * @addr is on @dev: make its entry REACHABLE (creating it if @create) and
 * send what it held.  Called in softirq, under RCU.
 */
static void toy_neigh_learn(struct toy_net *tn, __be32 addr,
			    struct net_device *dev, bool create)
{
	struct toy_neigh_table *t = &tn->neigh;
	struct sk_buff_head q;
	struct toy_neigh *n;

	__skb_queue_head_init(&q);
	spin_lock_bh(&t->lock);
	/*
	 * A frame still in flight from a link that went down: learning it
	 * would keep a reference that toy_neigh_flush() has already passed.
	 * The link stops running before the flush takes this lock, so the
	 * test is exact here.
	 */
	if (!netif_running(dev))
		goto out;
	n = toy_neigh_lookup(t, addr);
	if (!n && create)
		n = toy_neigh_create(t, addr);
	if (!n)
		goto out;
	if (n->dev != dev) {
		toy_neigh_drop_dev(n);
		netdev_hold(dev, &n->dev_tracker, GFP_ATOMIC);
		WRITE_ONCE(n->dev, dev);
	}
	toy_neigh_set_state(n, TOY_NEIGH_REACHABLE);
	n->probes = 0;
	skb_queue_splice_init(&n->queue, &q);
out:
	spin_unlock_bh(&t->lock);
	toy_neigh_release_queue(dev, &q);
}

/**
 * toy_neigh_rcv() - a who-has or an is-at arrived (softirq)
 * @tn: the namespace it arrived in
 * @skb: the validated frame, header pulled; consumed
 *
 * Called by toy_rcv().  Only links carry these: toy0 is this node alone.
 *
 * Return: NET_RX_SUCCESS or NET_RX_DROP.
 */
int toy_neigh_rcv(struct toy_net *tn, struct sk_buff *skb)
{
	__be32 self = READ_ONCE(tn->node_addr);
	struct net_device *dev = skb->dev;
	struct toy_flow fl;

	toy_skb_flow(skb, &fl);
	if (!toy_link_is(dev) || !toy_addr_is_unicast(fl.saddr) ||
	    fl.saddr == self || fl.sport || fl.dport || skb->len ||
	    (fl.flags != TOY_F_WHO_HAS && fl.flags != TOY_F_IS_AT)) {
		TOY_INC_STATS(tn, TOY_MIB_HDRERRORS);
		TOY_INC_STATS(tn, TOY_MIB_INERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_INVALID_PROTO);
		return NET_RX_DROP;
	}
	if (fl.flags == TOY_F_WHO_HAS) {
		TOY_INC_STATS(tn, TOY_MIB_NEIGHINREQUESTS);
		/* Whoever asks for us is about to talk to us: learn it. */
		toy_neigh_learn(tn, fl.saddr, dev, self && fl.daddr == self);
		if (self && fl.daddr == self)
			toy_neigh_send(tn, dev, TOY_F_IS_AT, self, fl.saddr);
	} else {
		TOY_INC_STATS(tn, TOY_MIB_NEIGHINREPLIES);
		/* An answer to us creates the entry; an announcement only
		 * updates one we have, as ARP's arp_accept=0 does.
		 */
		toy_neigh_learn(tn, fl.saddr, dev, self && fl.daddr == self);
	}
	consume_skb(skb);
	return NET_RX_SUCCESS;
}

/* ---- the clock: probes, ageing, expiry --------------------------------- */

/*
 * One entry's tick; returns true if a who-has for it is due (only if
 * @can_ask: otherwise it waits for the next tick).
 */
static bool toy_neigh_tick(struct toy_net *tn, struct toy_neigh *n,
			   unsigned long now, bool can_ask)
{
	if (n->probes && time_after_eq(now, n->probed + TOY_NEIGH_PROBE_TIME)) {
		if (n->probes < TOY_NEIGH_PROBES) {
			if (!can_ask)
				return false;
			n->probes++;
			n->probed = now;
			return true;
		}
		/* Nobody answered: the queued frames are undeliverable. */
		TOY_INC_STATS(tn, TOY_MIB_NEIGHRESOLVEFAILED);
		while (!skb_queue_empty(&n->queue)) {
			TOY_INC_STATS(tn, TOY_MIB_NEIGHUNRESOLVEDDROPS);
			kfree_skb_reason(__skb_dequeue(&n->queue),
					 SKB_DROP_REASON_NEIGH_FAILED);
		}
		n->probes = 0;
		toy_neigh_drop_dev(n);
		toy_neigh_set_state(n, TOY_NEIGH_FAILED);
	} else if (n->state == TOY_NEIGH_REACHABLE &&
		   time_after_eq(now, n->updated + TOY_NEIGH_REACHABLE_TIME)) {
		toy_neigh_set_state(n, TOY_NEIGH_STALE);
	}
	return false;
}

static bool toy_neigh_expired(const struct toy_neigh *n, unsigned long now)
{
	if (n->state == TOY_NEIGH_FAILED)
		return time_after_eq(now, n->updated + TOY_NEIGH_FAILED_TIME);
	if (n->state == TOY_NEIGH_STALE && !n->probes)
		return time_after_eq(now, n->updated + TOY_NEIGH_STALE_TIME);
	return false;
}

static void toy_neigh_timer(struct timer_list *timer)
{
	struct toy_neigh_table *t = from_timer(t, timer, timer);
	struct toy_net *tn = toy_neigh_tn(t);
	__be32 ask[TOY_NEIGH_ASK_PER_TICK];
	struct toy_neigh *n, *tmp;
	unsigned long now = jiffies;
	unsigned int i, nask = 0;

	spin_lock_bh(&t->lock);
	list_for_each_entry_safe(n, tmp, &t->entries, node) {
		if (toy_neigh_tick(tn, n, now, nask < ARRAY_SIZE(ask)))
			ask[nask++] = n->addr;
		else if (toy_neigh_expired(n, now))
			toy_neigh_free(t, n);
	}
	if (t->count && !t->dead)
		mod_timer(&t->timer, now + TOY_NEIGH_TICK);
	spin_unlock_bh(&t->lock);

	for (i = 0; i < nask; i++)
		toy_neigh_send_all(tn, NULL, TOY_F_WHO_HAS, ask[i]);
}

/* ---- links going away -------------------------------------------------- */

/**
 * toy_neigh_flush() - forget the neighbours reached through @dev
 * @tn: the namespace's AF_TOY state
 * @dev: a link that went down, lost its carrier, or is going away; NULL
 *	 for every entry
 *
 * Their next frame asks again, on whatever links are up then.
 */
void toy_neigh_flush(struct toy_net *tn, const struct net_device *dev)
{
	struct toy_neigh_table *t = &tn->neigh;
	struct toy_neigh *n, *tmp;

	spin_lock_bh(&t->lock);
	list_for_each_entry_safe(n, tmp, &t->entries, node)
		if (!dev || n->dev == dev)
			toy_neigh_free(t, n);
	spin_unlock_bh(&t->lock);
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_neigh_flush);

/* ---- /proc/net/toy_neigh ----------------------------------------------- */

/**
 * toy_neigh_seq_show() - the cache, one line per neighbour
 * @seq: /proc/net/toy_neigh of the namespace
 * @tn: its AF_TOY state
 *
 * Return: 0.
 */
int toy_neigh_seq_show(struct seq_file *seq, struct toy_net *tn)
{
	struct toy_neigh_table *t = &tn->neigh;
	unsigned long now = jiffies;
	struct toy_neigh *n;

	seq_printf(seq, "%-15s %-15s %-10s %4s %s\n",
		   "Address", "Device", "State", "Age", "Queued");
	spin_lock_bh(&t->lock);
	list_for_each_entry(n, &t->entries, node)
		seq_printf(seq, "%-15pI4 %-15s %-10s %4lu %u\n", &n->addr,
			   n->dev ? n->dev->name : "-",
			   toy_neigh_state_names[n->state],
			   (now - n->updated) / HZ, skb_queue_len(&n->queue));
	spin_unlock_bh(&t->lock);
	return 0;
}

#ifdef TOY_KUNIT
/**
 * toy_neigh_kunit_state() - what the cache knows of @addr, for KUnit
 * @tn: the namespace's AF_TOY state
 * @addr: a node address
 * @dev: set to the entry's link (NULL if none)
 * @queued: set to the number of frames it holds
 *
 * Return: the entry's enum toy_neigh_state, or TOY_NEIGH_NONE.
 */
int toy_neigh_kunit_state(struct toy_net *tn, __be32 addr,
			  const struct net_device **dev, unsigned int *queued)
{
	struct toy_neigh *n;
	int state = TOY_NEIGH_NONE;

	spin_lock_bh(&tn->neigh.lock);
	n = toy_neigh_lookup(&tn->neigh, addr);
	if (n) {
		state = n->state;
		*dev = n->dev;
		*queued = skb_queue_len(&n->queue);
	}
	spin_unlock_bh(&tn->neigh.lock);
	return state;
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_neigh_kunit_state);

/**
 * toy_neigh_kunit_cached() - does a socket's route cache hold @addr's
 *			      entry, the one in the table now?  For KUnit
 * @tn: the namespace's AF_TOY state
 * @sk: the socket
 * @addr: a node address
 *
 * Return: true if it does.
 */
bool toy_neigh_kunit_cached(struct toy_net *tn, struct sock *sk, __be32 addr)
{
	struct toy_neigh *n;
	bool cached;

	spin_lock_bh(&tn->neigh.lock);
	n = toy_neigh_lookup(&tn->neigh, addr);
	cached = n && rcu_access_pointer(toy_sk(sk)->route) == n;
	spin_unlock_bh(&tn->neigh.lock);
	return cached;
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_neigh_kunit_cached);

/**
 * toy_neigh_kunit_age() - make @addr's entry @age older, for KUnit
 * @tn: the namespace's AF_TOY state
 * @addr: a node address
 * @age: jiffies to move its clocks back by
 *
 * The next tick then sees the entry as a real one of that age would be
 * seen, so the suite checks ageing and expiry without waiting a minute.
 *
 * Return: whether the cache has an entry for @addr.
 */
bool toy_neigh_kunit_age(struct toy_net *tn, __be32 addr, unsigned long age)
{
	struct toy_neigh *n;
	bool found;

	spin_lock_bh(&tn->neigh.lock);
	n = toy_neigh_lookup(&tn->neigh, addr);
	found = n;
	if (found) {
		n->updated -= age;
		n->probed -= age;
	}
	spin_unlock_bh(&tn->neigh.lock);
	return found;
}
EXPORT_SYMBOL_IF_TOY_KUNIT(toy_neigh_kunit_age);
#endif

/* ---- per namespace ----------------------------------------------------- */

/**
 * toy_neigh_table_init() - an empty cache for a new namespace
 * @tn: its AF_TOY state
 * @net: the namespace
 */
void toy_neigh_table_init(struct toy_net *tn, struct net *net)
{
	struct toy_neigh_table *t = &tn->neigh;

	spin_lock_init(&t->lock);
	INIT_LIST_HEAD(&t->entries);
	timer_setup(&t->timer, toy_neigh_timer, 0);
	write_pnet(&t->net, net);
}

/**
 * toy_neigh_table_exit() - empty the cache of a namespace that is going
 * @tn: its AF_TOY state
 *
 * Every link of the namespace is gone by now, so no entry holds one.
 */
void toy_neigh_table_exit(struct toy_net *tn)
{
	struct toy_neigh_table *t = &tn->neigh;

	spin_lock_bh(&t->lock);
	t->dead = true;
	spin_unlock_bh(&t->lock);
	del_timer_sync(&t->timer);
	toy_neigh_flush(tn, NULL);
}
