// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "toy_skb": the frame format (toy_skb.c).
 *
 * A frame built by toy_skb_push_hdr() carries exactly the documented wire
 * header, leaves its checksum to the device (offload), and survives
 * toy_skb_validate(); every malformed frame gets the right verdict.  The
 * malformed frames are cut out of valid ones, so the bytes just past their
 * end (tailroom) would complete a valid frame: a validator that read past
 * the end would accept them.  Paged frames check that nothing assumes a
 * linear buffer.
 */

#include <linux/mm.h>
#include <net/checksum.h>

#include "toy_kunit.h"

#define TOY_SKB_PAYLOAD		64
#define TOY_SKB_SPORT		1234
#define TOY_SKB_DPORT		5678

/* Build the standard test frame with @len payload bytes. */
static struct sk_buff *toy_skb_test_frame(struct kunit *test, size_t len)
{
	struct toy_flow fl = toy_kunit_flow(TOY_SKB_SPORT, TOY_SKB_DPORT);
	u8 payload[TOY_SKB_PAYLOAD];

	KUNIT_ASSERT_LE(test, len, sizeof(payload));
	toy_kunit_fill(payload, len, 1);
	return toy_kunit_frame(test, &fl, payload, len);
}

/*
 * A copy of the linear frame @skb with its bytes from @frag_at on in a
 * page fragment (at an odd offset into the page), as a driver with
 * scatter-gather receive would build it.
 */
static struct sk_buff *toy_skb_test_paged(struct kunit *test,
					  const struct sk_buff *skb,
					  unsigned int frag_at)
{
	unsigned int paged = skb->len - frag_at;
	const unsigned int off = 100;
	struct sk_buff *nskb;
	struct page *page;

	KUNIT_ASSERT_LE(test, frag_at, skb->len);
	KUNIT_ASSERT_LE(test, off + paged, PAGE_SIZE);
	nskb = alloc_skb(frag_at, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, nskb);
	toy_kunit_skb_adopt(test, nskb);
	skb_put_data(nskb, skb->data, frag_at);

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memcpy(page_address(page) + off, skb->data + frag_at, paged);
	skb_add_rx_frag(nskb, 0, page, off, paged, PAGE_SIZE);

	nskb->protocol = skb->protocol;
	nskb->dev = skb->dev;
	KUNIT_ASSERT_TRUE(test, skb_is_nonlinear(nskb));
	return nskb;
}

/* The wire header is laid out exactly as uapi/linux/toy.h documents. */
static void toy_skb_wire_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct toyhdr), TOY_HDR_LEN);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, version), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, type), 1);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, flags), 2);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, reserved), 3);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, sport), 4);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, dport), 6);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, saddr), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, daddr), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, seq), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, ack), 20);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, window), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, len), 26);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, check), 28);
	KUNIT_EXPECT_EQ(test, offsetof(struct toyhdr, reserved2), 30);
	KUNIT_EXPECT_EQ(test, sizeof(struct sockaddr_toy), 16);
}

/* push_hdr() writes every field; validate() accepts and pulls it. */
static void toy_skb_round_trip(struct kunit *test)
{
	struct toy_flow fl = toy_kunit_flow(TOY_SKB_SPORT, TOY_SKB_DPORT);
	u8 payload[TOY_SKB_PAYLOAD], frame[TOY_HDR_LEN + TOY_SKB_PAYLOAD];
	const struct toyhdr *th;
	struct sk_buff *skb;
	u8 *data;

	fl.saddr = htonl(0x0a000001);	/* the header carries any address */
	toy_kunit_fill(payload, sizeof(payload), 1);
	skb = toy_kunit_frame(test, &fl, payload, sizeof(payload));

	/* After the push: data and network header at the toy header. */
	KUNIT_EXPECT_EQ(test, skb->len, TOY_HDR_LEN + sizeof(payload));
	KUNIT_EXPECT_PTR_EQ(test, skb_network_header(skb), skb->data);
	KUNIT_EXPECT_EQ(test, skb->protocol, htons(ETH_P_TOY));
	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_NONE);
	KUNIT_EXPECT_GE(test, skb_headroom(skb),
			LL_RESERVED_SPACE(toy_kunit_dev()));

	th = (const struct toyhdr *)skb->data;
	KUNIT_EXPECT_EQ(test, th->version, TOY_VERSION);
	KUNIT_EXPECT_EQ(test, th->type, TOY_TYPE_DGRAM);
	KUNIT_EXPECT_EQ(test, th->flags, TOY_F_DATA);
	KUNIT_EXPECT_EQ(test, th->reserved, 0);
	KUNIT_EXPECT_EQ(test, th->sport, htons(TOY_SKB_SPORT));
	KUNIT_EXPECT_EQ(test, th->dport, htons(TOY_SKB_DPORT));
	KUNIT_EXPECT_EQ(test, th->saddr, htonl(0x0a000001));
	KUNIT_EXPECT_EQ(test, th->daddr, htonl(TOY_ADDR_LOOPBACK));
	KUNIT_EXPECT_EQ(test, th->seq, 0);
	KUNIT_EXPECT_EQ(test, th->ack, 0);
	KUNIT_EXPECT_EQ(test, th->window, 0);
	KUNIT_EXPECT_EQ(test, th->len, htons(sizeof(payload)));
	KUNIT_EXPECT_EQ(test, th->reserved2, 0);
	/* The byte order on the wire, independently of the struct. */
	KUNIT_EXPECT_EQ(test, skb->data[4], TOY_SKB_SPORT >> 8);
	KUNIT_EXPECT_EQ(test, skb->data[5], TOY_SKB_SPORT & 0xff);
	KUNIT_EXPECT_EQ(test, skb->data[15], 1);	/* 127.0.0.1 */
	KUNIT_EXPECT_EQ(test, skb->data[27], sizeof(payload));
	/* The Internet checksum over header (check = 0) and payload. */
	memcpy(frame, skb->data, sizeof(frame));
	((struct toyhdr *)frame)->check = 0;
	KUNIT_EXPECT_EQ(test, th->check, ip_compute_csum(frame, sizeof(frame)));

	data = skb->data + TOY_HDR_LEN;
	KUNIT_ASSERT_EQ(test, toy_skb_validate(skb), TOY_RX_OK);
	KUNIT_EXPECT_PTR_EQ(test, skb->data, data);
	KUNIT_EXPECT_EQ(test, skb->len, sizeof(payload));
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, payload, sizeof(payload)), 0);
	KUNIT_EXPECT_PTR_EQ(test, (u8 *)toy_hdr(skb), data - TOY_HDR_LEN);
	KUNIT_EXPECT_PTR_EQ(test, skb_transport_header(skb), data);
	KUNIT_EXPECT_EQ(test, toy_hdr(skb)->sport, htons(TOY_SKB_SPORT));
}

/* A control frame (no payload) from toy_skb_alloc_ctl() round-trips. */
static void toy_skb_ctl_round_trip(struct kunit *test)
{
	struct toy_flow fl = toy_kunit_flow(TOY_SKB_SPORT, TOY_SKB_DPORT);
	struct sk_buff *skb;

	fl.flags = TOY_F_RST;
	skb = toy_skb_alloc_ctl(toy_kunit_dev(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	toy_kunit_skb_adopt(test, skb);
	KUNIT_EXPECT_EQ(test, skb->len, 0);
	KUNIT_EXPECT_GE(test, skb_headroom(skb),
			LL_RESERVED_SPACE(toy_kunit_dev()) + TOY_HDR_LEN);
	toy_skb_push_hdr(skb, &fl);
	KUNIT_EXPECT_EQ(test, skb->len, TOY_HDR_LEN);
	KUNIT_EXPECT_EQ(test, toy_hdr(skb)->len, 0);
	KUNIT_ASSERT_EQ(test, toy_skb_validate(skb), TOY_RX_OK);
	KUNIT_EXPECT_EQ(test, skb->len, 0);
	KUNIT_EXPECT_EQ(test, toy_hdr(skb)->flags, TOY_F_RST);
}

/*
 * The checksum is left to the device: check zero, CHECKSUM_PARTIAL from the
 * header on.  Summed when something must (skb_checksum_help(), as the core
 * does for a device without offload and netem before it corrupts a byte),
 * it is the Internet checksum, and a byte changed after that is caught.  A
 * frame never summed never left the host: it is trusted as it is.
 */
static void toy_skb_checksum_offload(struct kunit *test)
{
	struct toy_flow fl = toy_kunit_flow(TOY_SKB_SPORT, TOY_SKB_DPORT);
	u8 payload[TOY_SKB_PAYLOAD], frame[TOY_HDR_LEN + TOY_SKB_PAYLOAD];
	const struct toyhdr *th;
	struct sk_buff *skb;

	toy_kunit_fill(payload, sizeof(payload), 1);
	skb = toy_kunit_frame_offloaded(test, &fl, payload, sizeof(payload));
	th = (const struct toyhdr *)skb->data;
	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
	KUNIT_EXPECT_PTR_EQ(test, skb_checksum_start(skb), skb->data);
	KUNIT_EXPECT_EQ(test, skb->csum_offset, offsetof(struct toyhdr, check));
	KUNIT_EXPECT_EQ(test, th->check, 0);
	memcpy(frame, skb->data, sizeof(frame));

	KUNIT_ASSERT_EQ(test, skb_checksum_help(skb), 0);
	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_NONE);
	KUNIT_EXPECT_EQ(test, th->check, ip_compute_csum(frame, sizeof(frame)));
	skb->data[sizeof(frame) - 1] ^= 0x01;
	KUNIT_EXPECT_EQ(test, toy_skb_validate(skb), TOY_RX_BAD_CSUM);

	skb = toy_kunit_frame_offloaded(test, &fl, payload, sizeof(payload));
	KUNIT_EXPECT_EQ(test, toy_skb_validate(skb), TOY_RX_OK);
	KUNIT_EXPECT_EQ(test, memcmp(skb->data, payload, sizeof(payload)), 0);
}

/* ---- malformed and unusual frames --------------------------------------- */

/**
 * struct toy_skb_case - a frame derived from a valid one
 * @name: description
 * @payload: payload bytes of the valid frame
 * @field: header field (or payload byte) to change
 * @value: the new value (an XOR mask for the checksum and payload)
 * @fix_csum: recompute the checksum after the change, so that only the
 *	      change itself can make the frame invalid
 * @resize: > 0: append that many junk bytes; < 0: cut that many off the
 *	    end (they stay in the tailroom as bait)
 * @paged: move the bytes from @frag_at on into a page fragment
 * @frag_at: see @paged
 * @verdict: what toy_skb_validate() must say
 */
struct toy_skb_case {
	const char *name;
	unsigned int payload;
	enum toy_kunit_field field;
	u32 value;
	bool fix_csum;
	int resize;
	bool paged;
	unsigned int frag_at;
	enum toy_rx_verdict verdict;
};

#define PL	TOY_SKB_PAYLOAD

static const struct toy_skb_case toy_skb_cases[] = {
	{ "valid", PL, .verdict = TOY_RX_OK },
	{ "valid, empty payload", 0, .verdict = TOY_RX_OK },
	{ "valid, type STREAM", PL, TOY_FIELD_TYPE, TOY_TYPE_STREAM, true,
	  .verdict = TOY_RX_OK },
	{ "valid, type SEQPACKET", PL, TOY_FIELD_TYPE, TOY_TYPE_SEQPACKET, true,
	  .verdict = TOY_RX_OK },
	{ "valid, every known flag", PL, TOY_FIELD_FLAGS, 0x1f, true,
	  .verdict = TOY_RX_OK },
	{ "version 0", PL, TOY_FIELD_VERSION, 0, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "version 2", PL, TOY_FIELD_VERSION, 2, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "version 255", PL, TOY_FIELD_VERSION, 255, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "type 0", PL, TOY_FIELD_TYPE, 0, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "type 4 (NEIGH) with DATA, not WHO_HAS or IS_AT", PL, TOY_FIELD_TYPE,
	  TOY_TYPE_NEIGH, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "type 5", PL, TOY_FIELD_TYPE, 5, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "type 255", PL, TOY_FIELD_TYPE, 255, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "unknown flag 0x40", PL, TOY_FIELD_FLAGS, TOY_F_DATA | 0x40, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "unknown flag 0x80", PL, TOY_FIELD_FLAGS, TOY_F_DATA | 0x80, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "reserved 0x01", PL, TOY_FIELD_RESERVED, 0x01, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "reserved 0x80", PL, TOY_FIELD_RESERVED, 0x80, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "reserved2 0x0001", PL, TOY_FIELD_RESERVED2, 0x0001, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "reserved2 0x8000", PL, TOY_FIELD_RESERVED2, 0x8000, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "len one more than the payload", PL, TOY_FIELD_LEN, PL + 1, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "last payload byte cut off", PL, .resize = -1,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "half the payload cut off", PL, .resize = -PL / 2,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "len 65535 on a short frame", PL, TOY_FIELD_LEN, 0xffff, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "len 65535, no payload", 0, TOY_FIELD_LEN, 0xffff, true,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "checksum field corrupted", PL, TOY_FIELD_CHECK, 0x0001,
	  .verdict = TOY_RX_BAD_CSUM },
	{ "header field changed after checksum", PL, TOY_FIELD_SPORT, 9,
	  .verdict = TOY_RX_BAD_CSUM },
	{ "payload corrupted", PL, TOY_FIELD_PAYLOAD, 0x40,
	  .verdict = TOY_RX_BAD_CSUM },
	{ "excess trailing bytes trimmed", PL, .resize = 7,
	  .verdict = TOY_RX_OK },
	{ "excess trailing bytes, empty payload", 0, .resize = 3,
	  .verdict = TOY_RX_OK },
	{ "paged: whole frame in a fragment", PL, .paged = true,
	  .frag_at = 0, .verdict = TOY_RX_OK },
	{ "paged: header split", PL, .paged = true, .frag_at = 10,
	  .verdict = TOY_RX_OK },
	{ "paged: payload in a fragment", PL, .paged = true,
	  .frag_at = TOY_HDR_LEN, .verdict = TOY_RX_OK },
	{ "paged: payload corrupted", PL, TOY_FIELD_PAYLOAD, 0x40,
	  .paged = true, .frag_at = TOY_HDR_LEN, .verdict = TOY_RX_BAD_CSUM },
	{ "paged: excess trailing bytes trimmed", PL, .resize = 7,
	  .paged = true, .frag_at = TOY_HDR_LEN, .verdict = TOY_RX_OK },
	{ "paged: truncated header", PL, .resize = -(PL + 12),
	  .paged = true, .frag_at = 0, .verdict = TOY_RX_BAD_HEADER },
	{ "paged: last payload byte cut off", PL, .resize = -1,
	  .paged = true, .frag_at = TOY_HDR_LEN,
	  .verdict = TOY_RX_BAD_HEADER },
	{ "paged: len 65535", PL, TOY_FIELD_LEN, 0xffff, true, .paged = true,
	  .frag_at = 0, .verdict = TOY_RX_BAD_HEADER },
	{ "paged: reserved 0x01", PL, TOY_FIELD_RESERVED, 0x01, true,
	  .paged = true, .frag_at = 0, .verdict = TOY_RX_BAD_HEADER },
};

#undef PL

static void toy_skb_case_desc(const struct toy_skb_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(toy_skb_case, toy_skb_cases, toy_skb_case_desc);

static void toy_skb_validate_case(struct kunit *test)
{
	const struct toy_skb_case *c = test->param_value;
	u8 expect[TOY_SKB_PAYLOAD], got[TOY_SKB_PAYLOAD];
	struct sk_buff *skb;

	skb = toy_skb_test_frame(test, c->payload);
	toy_kunit_set_field(skb, c->field, c->value);
	if (c->fix_csum)
		toy_kunit_fix_csum(skb);
	if (c->resize > 0)
		memset(skb_put(skb, c->resize), 0xa5, c->resize);
	else if (c->resize < 0)
		skb_trim(skb, skb->len + c->resize);
	if (c->paged)
		skb = toy_skb_test_paged(test, skb, c->frag_at);

	KUNIT_ASSERT_EQ(test, toy_skb_validate(skb), c->verdict);
	if (c->verdict != TOY_RX_OK)
		return;

	/* Accepted: header pulled, trailing bytes trimmed, payload intact. */
	KUNIT_EXPECT_EQ(test, skb->len, c->payload);
	KUNIT_EXPECT_EQ(test, skb->data - skb_network_header(skb), TOY_HDR_LEN);
	KUNIT_EXPECT_PTR_EQ(test, skb_transport_header(skb), skb->data);
	KUNIT_EXPECT_EQ(test, toy_hdr(skb)->len, htons(c->payload));
	KUNIT_EXPECT_EQ(test, toy_hdr(skb)->version, TOY_VERSION);
	toy_kunit_fill(expect, c->payload, 1);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, got, c->payload), 0);
	KUNIT_EXPECT_EQ(test, memcmp(got, expect, c->payload), 0);
}

/* A header cut short at every length: the rest of it is in the tailroom. */
static const unsigned int toy_skb_trunc_lens[TOY_HDR_LEN] = {
	 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

static void toy_skb_trunc_desc(const unsigned int *len, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u header bytes", *len);
}

KUNIT_ARRAY_PARAM(toy_skb_trunc, toy_skb_trunc_lens, toy_skb_trunc_desc);

static void toy_skb_truncated_header(struct kunit *test)
{
	const unsigned int *len = test->param_value;
	struct sk_buff *skb;

	skb = toy_skb_test_frame(test, 0);
	skb_trim(skb, *len);
	KUNIT_EXPECT_EQ(test, toy_skb_validate(skb), TOY_RX_BAD_HEADER);
	KUNIT_EXPECT_EQ(test, skb->len, *len);
}

static struct kunit_case toy_skb_test_cases[] = {
	KUNIT_CASE(toy_skb_wire_layout),
	KUNIT_CASE(toy_skb_round_trip),
	KUNIT_CASE(toy_skb_ctl_round_trip),
	KUNIT_CASE(toy_skb_checksum_offload),
	KUNIT_CASE_PARAM(toy_skb_validate_case, toy_skb_case_gen_params),
	KUNIT_CASE_PARAM(toy_skb_truncated_header, toy_skb_trunc_gen_params),
	{}
};

static struct kunit_suite toy_skb_test_suite = {
	.name = "toy_skb",
	.test_cases = toy_skb_test_cases,
};

kunit_test_suite(toy_skb_test_suite);
