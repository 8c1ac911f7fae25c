/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * AF_TOY - a teaching socket address family.
 *
 * This is the user ABI: the only header a program needs to talk to
 * af_toy.ko.  It deliberately mirrors <netinet/in.h> so that what a
 * student knows about sockaddr_in carries over.
 *
 * The family number is borrowed: the kernel cannot grow past AF_MAX, so a
 * module must use a slot no in-tree family registers.  22 (AF_SNA) is
 * defined but never registered by any kernel from 6.1 to 6.18.  The module
 * parameter "family=" overrides it; the number actually in use is always
 * readable from /sys/module/af_toy/parameters/family.
 */
#ifndef _UAPI_LINUX_TOY_H
#define _UAPI_LINUX_TOY_H

#include <linux/types.h>
#include <linux/socket.h>

#define AF_TOY			22
#define PF_TOY			AF_TOY

/* Node addresses, host byte order: use htonl() when filling stoy_addr. */
#define TOY_ADDR_ANY		0x00000000U
#define TOY_ADDR_LOOPBACK	0x7f000001U
#define TOY_ADDR_BROADCAST	0xffffffffU

#define TOY_PORT_ANY		0

/* Ports below this need CAP_NET_BIND_SERVICE, as for UDP and TCP. */
#define TOY_PROT_SOCK		1024

/*
 * Socket options of AF_TOY's streams: setsockopt(fd, SOL_TOY, ...), as
 * TCP's are setsockopt(fd, IPPROTO_TCP, ...).  The level is a number no
 * kernel from 6.1 to 6.18 gives a SOL_* (the highest is SOL_VSOCK, 287).
 */
#define SOL_TOY			299

/* int: 1 sends a small segment at once, as TCP_NODELAY; 0 (the default)
 * holds it while data is unacknowledged (Nagle's algorithm, RFC 896).
 */
#define TOY_NODELAY		1

/* int: 1 acknowledges every segment of data at once; 0 (the default)
 * may delay an acknowledgment a few ms, as TCP does (RFC 1122 4.2.3.2).
 * TCP_QUICKACK's number; unlike TCP_QUICKACK, the setting stays.
 */
#define TOY_QUICKACK		12

/**
 * struct sockaddr_toy - an AF_TOY socket address (16 bytes, like sockaddr_in)
 * @stoy_family: AF_TOY (or the number the module was loaded with)
 * @stoy_port: port, network byte order; 0 asks for an ephemeral port
 * @stoy_addr: node address, network byte order
 * @stoy_zero: padding; must be zero, or the call fails with EINVAL
 */
struct sockaddr_toy {
	__kernel_sa_family_t	stoy_family;
	__be16			stoy_port;
	__be32			stoy_addr;
	__u8			stoy_zero[8];
};

/*
 * The wire format, for dissectors and for the curious.  Every frame on a
 * toy device carries EtherType ETH_P_TOY and starts with this header, all
 * fields in network byte order.  The checksum is the Internet checksum
 * over the header (with @check zero) and the payload.  AF_TOY leaves it
 * to the device (checksum offload), so a capture on a toy device shows
 * @check zero unless the offload is off ("ethtool -K toy0 tx off"); a
 * computed checksum is never zero.
 */
#define ETH_P_TOY		0x88B5	/* ETH_P_802_EX1, local experimental */
#define TOY_VERSION		1

/* toyhdr.type: which port space (socket type) the frame belongs to */
#define TOY_TYPE_DGRAM		1
#define TOY_TYPE_STREAM		2
#define TOY_TYPE_SEQPACKET	3
/* ...or none: the toy ARP, which asks which link reaches a node */
#define TOY_TYPE_NEIGH		4

/* toyhdr.flags */
#define TOY_F_DATA		0x01	/* carries payload for a socket */
#define TOY_F_SYN		0x02
#define TOY_F_ACK		0x04
#define TOY_F_FIN		0x08
#define TOY_F_RST		0x10	/* on a datagram: "port unreachable" */
/* streams: this ACK answers a segment that was all duplicate (D-SACK) */
#define TOY_F_DSACK		0x20
/*
 * TOY_TYPE_NEIGH frames carry one of these and no ports or payload.
 * who-has: saddr asks, on every link, which node is daddr;
 * is-at:   saddr is here: the answer to daddr, or an announcement to
 *          TOY_ADDR_BROADCAST when a link comes up or the address changes.
 */
#define TOY_F_WHO_HAS		0x40
#define TOY_F_IS_AT		0x80

struct toyhdr {
	__u8	version;	/* TOY_VERSION */
	__u8	type;		/* TOY_TYPE_* */
	__u8	flags;		/* TOY_F_* */
	__u8	reserved;	/* must be zero (a hop limit, once frames
				 * are forwarded between nodes)
				 */
	__be16	sport;
	__be16	dport;
	__be32	saddr;
	__be32	daddr;
	__be32	seq;		/* streams: sequence number */
	__be32	ack;		/* streams: acknowledgment number */
	__be16	window;		/* streams: receive window, TOY_WINDOW_UNIT bytes */
	__be16	len;		/* payload bytes after this header */
	__sum16	check;
	__be16	reserved2;	/* must be zero */
};

#define TOY_HDR_LEN		32
/* The window field counts units of this many bytes (up to 4 MiB). */
#define TOY_WINDOW_UNIT		64
/* The largest datagram payload: a frame must fit a 16-bit length. */
#define TOY_MAX_PAYLOAD		(0xFFFF - TOY_HDR_LEN)

#endif /* _UAPI_LINUX_TOY_H */
