// datapath/core/parser.cc — packet bytes -> FlowKey packet words (see parser.h).
//
// Each step checks the bytes it is about to read against `len` first, and names the
// rule it enforces. Malformed headers end parsing with a named DropReason; unknown
// protocols are not errors (the key just stops at the last known header).
#include "core/parser.h"

#include "core/bytes.h"

#include <cstring>

namespace loom {

namespace {

constexpr uint16_t kEthIp4 = 0x0800, kEthIp6 = 0x86dd, kEthArp = 0x0806;
constexpr uint16_t kTpid8021Q = 0x8100, kTpid8021ad = 0x88a8;
constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmp6 = 58;
constexpr unsigned kMaxIp6Ext = 10;

struct Cursor {
  FlowKey& k;
  void set(Field f, uint64_t v) noexcept { key_set(k, f, U128{0, v}, field_full_mask(f)); }
  void set128(Field f, const uint8_t* p) noexcept {
    key_set(k, f, U128{rd64(p), rd64(p + 8)}, U128{~0ull, ~0ull});
  }
};

// L4 headers. `p` points at the L4 header, `avail` bytes of the datagram remain.
DropReason parse_l4(Cursor& c, uint8_t proto, const uint8_t* p, uint32_t avail, bool v6,
                    Layout& lay) noexcept {
  switch (proto) {
    case kProtoTcp: {
      // RFC 9293 §3.1: 20-byte fixed header; Data Offset (32-bit words) >= 5 and the
      // header it announces must fit in the segment.
      lay.l4_kind = L4::kTcp;
      if (avail < 20) return DropReason::kTcpTruncated;
      const unsigned doff = p[12] >> 4;
      if (doff < 5 || doff * 4u > avail) return DropReason::kTcpBadOffset;
      c.set(Field::kL4Src, rd16(p));
      c.set(Field::kL4Dst, rd16(p + 2));
      c.set(Field::kTcpFlags, rd16(p + 12) & 0x0fff);
      return DropReason::kNone;
    }
    case kProtoUdp: {
      // RFC 768: 8-byte header; Length covers header + data, so 8 <= Length <= what we have.
      lay.l4_kind = L4::kUdp;
      if (avail < 8) return DropReason::kUdpTruncated;
      const uint16_t ulen = rd16(p + 4);
      if (ulen < 8 || ulen > avail) return DropReason::kUdpBadLen;
      c.set(Field::kL4Src, rd16(p));
      c.set(Field::kL4Dst, rd16(p + 2));
      return DropReason::kNone;
    }
    case kProtoIcmp:
      if (v6) break;
      // RFC 792: every message starts with type, code, checksum and 4 more bytes.
      lay.l4_kind = L4::kIcmp4;
      if (avail < 8) return DropReason::kIcmpTruncated;
      c.set(Field::kIcmpType, p[0]);
      c.set(Field::kIcmpCode, p[1]);
      return DropReason::kNone;
    case kProtoIcmp6: {
      if (!v6) break;
      // RFC 4443 §2.1: type, code, checksum, then the body (>= 4 bytes for every type we use).
      lay.l4_kind = L4::kIcmp6;
      if (avail < 8) return DropReason::kIcmpTruncated;
      const uint8_t type = p[0];
      c.set(Field::kIcmpType, type);
      c.set(Field::kIcmpCode, p[1]);
      if ((type == 135 || type == 136) && p[1] == 0) {
        // RFC 4861 §4.3/§4.4: NS/NA carry a 16-byte target after 4 reserved bytes, then
        // options of (type, length in 8-byte units); §4.6: length 0 is invalid.
        if (avail < 24) return DropReason::kIcmpTruncated;
        c.set128(Field::kNdTarget, p + 8);
        uint32_t off = 24;
        while (off < avail) {
          if (avail - off < 2) return DropReason::kNdBadOption;
          const uint32_t olen = uint32_t{p[off + 1]} * 8;
          if (olen == 0 || olen > avail - off) return DropReason::kNdBadOption;
          const uint8_t otype = p[off];
          // Source (1) / Target (2) link-layer address: 6-byte MAC for Ethernet (RFC 4861 §4.6.1).
          if (olen == 8 && otype == 1 && type == 135) c.set(Field::kNdSll, rd48(p + off + 2));
          if (olen == 8 && otype == 2 && type == 136) c.set(Field::kNdTll, rd48(p + off + 2));
          off += olen;
        }
      }
      return DropReason::kNone;
    }
    default:
      break;
  }
  lay.l4_kind = L4::kOther;
  return DropReason::kNone;
}

DropReason parse_ip4(Cursor& c, const uint8_t* p, uint32_t avail, Layout& lay) noexcept {
  // RFC 791 §3.1: the fixed header is 20 bytes.
  if (avail < 20) return DropReason::kIp4Truncated;
  if ((p[0] >> 4) != 4) return DropReason::kIp4BadVersion;
  // IHL counts 32-bit words; the minimum value for a correct header is 5.
  const uint32_t hlen = (p[0] & 0x0f) * 4u;
  if (hlen < 20) return DropReason::kIp4BadIhl;
  if (hlen > avail) return DropReason::kIp4Truncated;  // options run past the frame
  // Total Length covers header + data: at least the header, at most the bytes we have.
  // Anything after it is link-layer padding, not part of the datagram.
  const uint32_t tot = rd16(p + 2);
  if (tot < hlen || tot > avail) return DropReason::kIp4BadTotalLen;
  lay.l3_len = hlen;
  lay.ip_end = lay.l3 + tot;
  c.set(Field::kIpTos, p[1]);
  c.set(Field::kIpTtl, p[8]);
  c.set(Field::kIpProto, p[9]);
  c.set(Field::kIp4Src, rd32(p + 12));
  c.set(Field::kIp4Dst, rd32(p + 16));
  // Flags (MF = bit 13) and Fragment Offset (13 bits, 8-byte units).
  const uint16_t frag = rd16(p + 6);
  const uint16_t off = frag & 0x1fff;
  const bool mf = (frag & 0x2000) != 0;
  uint8_t nf = 0;
  if (mf || off != 0) nf |= kFragAny;
  if (off != 0) nf |= kFragLater;
  c.set(Field::kIpFrag, nf);
  lay.l4 = lay.l3 + hlen;
  if (off != 0) {  // a later fragment carries no L4 header
    lay.l4_kind = L4::kNone;
    return DropReason::kNone;
  }
  return parse_l4(c, p[9], p + hlen, tot - hlen, false, lay);
}

DropReason parse_ip6(Cursor& c, const uint8_t* p, uint32_t avail, Layout& lay) noexcept {
  // RFC 8200 §3: 40-byte fixed header, version 6, Payload Length counts what follows it.
  if (avail < 40) return DropReason::kIp6Truncated;
  if ((p[0] >> 4) != 6) return DropReason::kIp6BadVersion;
  const uint32_t plen = rd16(p + 4);
  // A zero payload length means a jumbogram (RFC 2675), which Ethernet cannot carry.
  if (plen == 0 || 40 + plen > avail) return DropReason::kIp6BadPayloadLen;
  const uint32_t vtcfl = rd32(p);
  c.set(Field::kIpTos, (vtcfl >> 20) & 0xff);
  c.set(Field::kIp6Label, vtcfl & 0xfffff);
  c.set(Field::kIpTtl, p[7]);
  c.set128(Field::kIp6Src, p + 8);
  c.set128(Field::kIp6Dst, p + 24);
  lay.ip_end = lay.l3 + 40 + plen;
  // RFC 8200 §4: walk the extension header chain, each bounded by the payload.
  uint8_t next = p[6];
  uint32_t off = 40;
  const uint32_t end = 40 + plen;
  uint8_t nf = 0;
  bool later = false;
  for (unsigned n = 0;; ++n) {
    if (next != 0 && next != 43 && next != 44 && next != 60 && next != 51) break;
    if (n == kMaxIp6Ext) return DropReason::kIp6ExtTooMany;
    if (end - off < 8) return DropReason::kIp6ExtTruncated;  // every ext header is >= 8 bytes
    const uint8_t* h = p + off;
    uint32_t hl;
    if (next == 44) {
      // §4.5 Fragment header: fixed 8 bytes; offset in the top 13 bits, M flag bit 0.
      hl = 8;
      const uint16_t fo = rd16(h + 2);
      nf |= kFragAny;
      if ((fo & 0xfff8) != 0) {
        nf |= kFragLater;
        later = true;
      }
    } else if (next == 51) {
      hl = (uint32_t{h[1]} + 2) * 4;  // RFC 4302 §2.2: AH length in 4-byte units minus 2
    } else {
      hl = (uint32_t{h[1]} + 1) * 8;  // §4.3/4.4/4.6: Hdr Ext Len in 8-byte units, not counting the first 8
    }
    if (hl > end - off) return DropReason::kIp6ExtTruncated;
    next = h[0];
    off += hl;
  }
  c.set(Field::kIpProto, next);
  c.set(Field::kIpFrag, nf);
  lay.l3_len = off;
  lay.l4 = lay.l3 + off;
  if (later) {
    lay.l4_kind = L4::kNone;
    return DropReason::kNone;
  }
  return parse_l4(c, next, p + off, end - off, true, lay);
}

DropReason parse_arp(Cursor& c, const uint8_t* p, uint32_t avail) noexcept {
  // RFC 826: hrd(2) pro(2) hln(1) pln(1) op(2) sha spa tha tpa; for Ethernet/IPv4 that
  // is 28 bytes with hln = 6 and pln = 4. Other hardware/protocol pairs are not ours.
  if (avail < 8) return DropReason::kArpTruncated;
  if (rd16(p) != 1 || rd16(p + 2) != kEthIp4 || p[4] != 6 || p[5] != 4)
    return DropReason::kArpBadFormat;
  if (avail < 28) return DropReason::kArpTruncated;
  c.set(Field::kArpOp, rd16(p + 6));
  c.set(Field::kArpSha, rd48(p + 8));
  c.set(Field::kArpSpa, rd32(p + 14));
  c.set(Field::kArpTha, rd48(p + 18));
  c.set(Field::kArpTpa, rd32(p + 24));
  return DropReason::kNone;
}

}  // namespace

ParseResult parse_reference(const uint8_t* data, uint32_t len, FlowKey& key) noexcept {
  ParseResult r;
  for (unsigned i = kMetaWords; i < kKeyWords; ++i) key.w[i] = 0;
  Cursor c{key};
  Layout& lay = r.layout;
  // IEEE 802.3: destination, source, EtherType/length = 14 bytes.
  if (data == nullptr || len < 14) {
    r.drop = DropReason::kEthTruncated;
    return r;
  }
  c.set(Field::kEthDst, rd48(data));
  c.set(Field::kEthSrc, rd48(data + 6));
  uint32_t off = 12;
  uint16_t type = rd16(data + off);
  // IEEE 802.1Q / 802.1ad: up to two tags (outer S-tag or C-tag, inner C-tag), 4 bytes each.
  while ((type == kTpid8021Q || type == kTpid8021ad) && lay.vlans < 2) {
    if (len - off < 6) {
      r.drop = DropReason::kVlanTruncated;
      return r;
    }
    const uint16_t tci = rd16(data + off + 2) | kVlanPresent;
    c.set(lay.vlans == 0 ? Field::kVlanTci : Field::kVlanTci2, tci);
    ++lay.vlans;
    off += 4;
    type = rd16(data + off);
  }
  off += 2;
  // Values below 0x0600 are 802.3 lengths (LLC frames): OVS calls that type 0x05ff.
  if (type < 0x0600) type = 0x05ff;
  c.set(Field::kEthType, type);
  lay.l3 = off;
  lay.ip_end = len;
  const uint8_t* p = data + off;
  const uint32_t avail = len - off;
  switch (type) {
    case kEthIp4:
      lay.l3_kind = L3::kIp4;
      r.drop = parse_ip4(c, p, avail, lay);
      break;
    case kEthIp6:
      lay.l3_kind = L3::kIp6;
      r.drop = parse_ip6(c, p, avail, lay);
      break;
    case kEthArp:
      lay.l3_kind = L3::kArp;
      r.drop = parse_arp(c, p, avail);
      break;
    default:
      break;
  }
  return r;
}

// The common frame — untagged Ethernet, IPv4 without options, not a fragment, UDP or TCP —
// in one straight-line pass: whole key words are assembled and stored once (no per-field
// read-modify-write, no zeroing pass first). Every check is the same rule parse_reference
// applies (RFC 791 §3.1, RFC 768, RFC 9293 §3.1); anything else, including every frame one
// of those rules would drop, goes to parse_reference so the drop reasons stay in one place.
// The differential test (parser_test.cc) and the fuzz target compare the two.
ParseResult parse(const uint8_t* data, uint32_t len, FlowKey& key) noexcept {
  // 14 (Ethernet) + 20 (IPv4) + 8 (UDP) is the shortest frame the fast path can take.
  if (data == nullptr || len < 42 || rd16(data + 12) != kEthIp4) return parse_reference(data, len, key);
  // Key words are stored as soon as they are known (fewer live values than assembling
  // all first); a fallback to parse_reference rewrites every packet word anyway. Word
  // layout as in flow.h's kFieldTable (words 16..31); the differential test checks it.
  uint64_t* w = key.w;
  w[16] = rd48(data) | uint64_t{kEthIp4} << 48;
  w[17] = rd48(data + 6);
  const uint8_t* ip = data + 14;
  const uint32_t tot = rd16(ip + 2);
  // Version 4 with IHL 5; Total Length within the frame; neither MF nor an offset.
  if (ip[0] != 0x45 || tot < 28 || tot > len - 14 || (rd16(ip + 6) & 0x3fff) != 0) return parse_reference(data, len, key);
  const uint8_t proto = ip[9];
  w[18] = uint64_t{proto} << 16 | uint64_t{ip[1]} << 24 | uint64_t{ip[8]} << 32;
  w[19] = uint64_t{rd32(ip + 12)} | uint64_t{rd32(ip + 16)} << 32;
  const uint8_t* l4 = ip + 20;
  const uint32_t avail = tot - 20;
  uint64_t w24 = uint64_t{rd16(l4)} | uint64_t{rd16(l4 + 2)} << 16;
  L4 kind;
  if (proto == kProtoUdp) {
    const uint16_t ulen = rd16(l4 + 4);
    if (ulen < 8 || ulen > avail) return parse_reference(data, len, key);
    kind = L4::kUdp;
  } else if (proto == kProtoTcp) {
    if (avail < 20) return parse_reference(data, len, key);
    const unsigned doff = l4[12] >> 4;
    if (doff < 5 || doff * 4u > avail) return parse_reference(data, len, key);
    w24 |= uint64_t{rd16(l4 + 12) & 0x0fffu} << 32;
    kind = L4::kTcp;
  } else {
    return parse_reference(data, len, key);
  }
  w[24] = w24;
  std::memset(&w[20], 0, 4 * sizeof(uint64_t));
  std::memset(&w[25], 0, 7 * sizeof(uint64_t));
  ParseResult r;
  r.layout.l3 = 14;
  r.layout.l4 = 34;
  r.layout.l3_len = 20;
  r.layout.ip_end = 14 + tot;
  r.layout.l3_kind = L3::kIp4;
  r.layout.l4_kind = kind;
  return r;
}

// parse()'s verdict without the key: the same fast-path checks, parse_reference (into a
// scratch key) for everything else. For callers that only need to know whether the core
// would accept the frame (the shell's simple-match shortcut).
DropReason parse_check(const uint8_t* data, uint32_t len) noexcept {
  if (data != nullptr && len >= 42 && rd16(data + 12) == kEthIp4) {
    const uint8_t* ip = data + 14;
    const uint32_t tot = rd16(ip + 2);
    if (ip[0] == 0x45 && tot >= 28 && tot <= len - 14 && (rd16(ip + 6) & 0x3fff) == 0) {
      const uint8_t* l4 = ip + 20;
      const uint32_t avail = tot - 20;
      if (ip[9] == kProtoUdp) {
        const uint16_t ulen = rd16(l4 + 4);
        if (ulen >= 8 && ulen <= avail) return DropReason::kNone;
      } else if (ip[9] == kProtoTcp && avail >= 20) {
        const unsigned doff = l4[12] >> 4;
        if (doff >= 5 && doff * 4u <= avail) return DropReason::kNone;
      }
    }
  }
  FlowKey scratch{KeyUninit{}};
  return parse_reference(data, len, scratch).drop;
}

}  // namespace loom
