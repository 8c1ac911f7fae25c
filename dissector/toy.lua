-- SPDX-License-Identifier: GPL-2.0
--
-- Wireshark/tshark dissector for AF_TOY frames (EtherType 0x88B5).
--
--   tshark -X lua_script:dissector/toy.lua -i toy0
--   tshark -X lua_script:dissector/toy.lua -r capture.pcap -V
--
-- or copy it to ~/.local/lib/wireshark/plugins/.  The layout is struct
-- toyhdr in include/uapi/linux/toy.h: 32 bytes, network byte order,
-- followed by the payload.  The checksum (Internet checksum over header
-- and payload) is verified and flagged when wrong.  The toy ARP's frames
-- (type NEIGH) read "Who has 10.0.0.2? Tell 10.0.0.1" and
-- "10.0.0.2 is at t21" as ARP's do in Wireshark.

local toy = Proto("toy", "AF_TOY")

local TYPES = { [1] = "DGRAM", [2] = "STREAM", [3] = "SEQPACKET", [4] = "NEIGH" }
local TYPE_NEIGH = 4
local WHO_HAS, IS_AT = 0x40, 0x80
local FLAGS = { { 0x02, "SYN" }, { 0x04, "ACK" }, { 0x08, "FIN" },
		{ 0x10, "RST" }, { 0x20, "DSACK" }, { 0x01, "DATA" },
		{ WHO_HAS, "WHO-HAS" }, { IS_AT, "IS-AT" } }
local WINDOW_UNIT = 64
local HDR_LEN = 32

local f = toy.fields
f.version = ProtoField.uint8("toy.version", "Version")
f.type = ProtoField.uint8("toy.type", "Type", base.DEC, TYPES)
f.flags = ProtoField.uint8("toy.flags", "Flags", base.HEX)
f.f_data = ProtoField.bool("toy.flags.data", "DATA", 8, nil, 0x01)
f.f_syn = ProtoField.bool("toy.flags.syn", "SYN", 8, nil, 0x02)
f.f_ack = ProtoField.bool("toy.flags.ack", "ACK", 8, nil, 0x04)
f.f_fin = ProtoField.bool("toy.flags.fin", "FIN", 8, nil, 0x08)
f.f_rst = ProtoField.bool("toy.flags.rst", "RST", 8, nil, 0x10)
f.f_dsack = ProtoField.bool("toy.flags.dsack", "DSACK", 8, nil, 0x20)
f.f_who_has = ProtoField.bool("toy.flags.who_has", "WHO-HAS", 8, nil, WHO_HAS)
f.f_is_at = ProtoField.bool("toy.flags.is_at", "IS-AT", 8, nil, IS_AT)
f.reserved = ProtoField.uint8("toy.reserved", "Reserved")
f.sport = ProtoField.uint16("toy.srcport", "Source port")
f.dport = ProtoField.uint16("toy.dstport", "Destination port")
f.saddr = ProtoField.ipv4("toy.src", "Source node")
f.daddr = ProtoField.ipv4("toy.dst", "Destination node")
f.seq = ProtoField.uint32("toy.seq", "Sequence number")
f.ack = ProtoField.uint32("toy.ack", "Acknowledgment number")
f.window = ProtoField.uint16("toy.window", "Window (units of 64 bytes)")
f.len = ProtoField.uint16("toy.len", "Payload length")
f.check = ProtoField.uint16("toy.checksum", "Checksum", base.HEX)
f.reserved2 = ProtoField.uint16("toy.reserved2", "Reserved")
f.payload = ProtoField.bytes("toy.payload", "Payload")

local e_bad_csum = ProtoExpert.new("toy.checksum.bad", "Bad checksum",
				   expert.group.CHECKSUM, expert.severity.ERROR)
local e_short = ProtoExpert.new("toy.len.short", "Frame shorter than its length field",
				expert.group.MALFORMED, expert.severity.ERROR)
toy.experts = { e_bad_csum, e_short }

-- The Internet checksum of @tvb from 0 to @len: 0 when the stored one is right.
local function csum(tvb, len)
	local sum = 0
	for i = 0, len - 2, 2 do
		sum = sum + tvb(i, 2):uint()
	end
	if len % 2 == 1 then
		sum = sum + tvb(len - 1, 1):uint() * 256
	end
	while sum > 0xffff do
		sum = bit32.band(sum, 0xffff) + bit32.rshift(sum, 16)
	end
	return bit32.band(bit32.bnot(sum), 0xffff)
end

local function flag_names(flags)
	local names = {}
	for _, fl in ipairs(FLAGS) do
		if bit32.band(flags, fl[1]) ~= 0 then
			names[#names + 1] = fl[2]
		end
	end
	return table.concat(names, ",")
end

function toy.dissector(tvb, pinfo, tree)
	if tvb:len() < HDR_LEN then
		return 0
	end
	pinfo.cols.protocol = "TOY"

	local ttype = tvb(1, 1):uint()
	local flags = tvb(2, 1):uint()
	local sport, dport = tvb(4, 2):uint(), tvb(6, 2):uint()
	local seq, ack = tvb(16, 4):uint(), tvb(20, 4):uint()
	local window, len = tvb(24, 2):uint(), tvb(26, 2):uint()

	local t = tree:add(toy, tvb(0, HDR_LEN + math.min(len, tvb:len() - HDR_LEN)))
	t:add(f.version, tvb(0, 1))
	t:add(f.type, tvb(1, 1))
	local ft = t:add(f.flags, tvb(2, 1))
	ft:append_text(" (" .. flag_names(flags) .. ")")
	ft:add(f.f_syn, tvb(2, 1))
	ft:add(f.f_ack, tvb(2, 1))
	ft:add(f.f_fin, tvb(2, 1))
	ft:add(f.f_rst, tvb(2, 1))
	ft:add(f.f_dsack, tvb(2, 1))
	ft:add(f.f_data, tvb(2, 1))
	ft:add(f.f_who_has, tvb(2, 1))
	ft:add(f.f_is_at, tvb(2, 1))
	t:add(f.reserved, tvb(3, 1))
	t:add(f.sport, tvb(4, 2))
	t:add(f.dport, tvb(6, 2))
	t:add(f.saddr, tvb(8, 4))
	t:add(f.daddr, tvb(12, 4))
	t:add(f.seq, tvb(16, 4))
	t:add(f.ack, tvb(20, 4))
	t:add(f.window, tvb(24, 2)):append_text(" = " .. window * WINDOW_UNIT .. " bytes")
	local fl = t:add(f.len, tvb(26, 2))
	local fc = t:add(f.check, tvb(28, 2))
	t:add(f.reserved2, tvb(30, 2))

	if HDR_LEN + len > tvb:len() then
		fl:add_proto_expert_info(e_short)
	else
		if csum(tvb, HDR_LEN + len) == 0 then
			fc:append_text(" [correct]")
		elseif tvb(28, 2):uint() == 0 then
			-- The sender left it to the device (offload), and a toy
			-- device never sums: a computed checksum is never 0.
			fc:append_text(" [not computed: offloaded]")
		else
			fc:append_text(" [incorrect]")
			fc:add_proto_expert_info(e_bad_csum)
		end
		if len > 0 then
			t:add(f.payload, tvb(HDR_LEN, len))
		end
	end

	if ttype == TYPE_NEIGH then
		local src, dst = tostring(tvb(8, 4):ipv4()), tostring(tvb(12, 4):ipv4())
		if flags == WHO_HAS then
			pinfo.cols.info = string.format("Who has %s? Tell %s", dst, src)
		elseif dst == "255.255.255.255" then
			pinfo.cols.info = string.format("%s is here (announcement)", src)
		else
			pinfo.cols.info = string.format("%s is here, tell %s", src, dst)
		end
		return HDR_LEN + len
	end

	local info = string.format("%s %d -> %d [%s]", TYPES[ttype] or "?",
				   sport, dport, flag_names(flags))
	if ttype ~= 1 then
		info = info .. string.format(" seq=%u ack=%u win=%u", seq, ack,
					     window * WINDOW_UNIT)
	end
	pinfo.cols.info = info .. " len=" .. len
	return HDR_LEN + len
end

DissectorTable.get("ethertype"):add(0x88B5, toy)
