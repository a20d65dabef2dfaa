// datapath/core/test/packets.cc — see packets.h.
#include "test/packets.h"

#include <algorithm>

namespace loom::testpkt {

namespace {
void put16(Bytes& b, uint16_t v) { b.push_back(uint8_t(v >> 8)); b.push_back(uint8_t(v)); }
void put32(Bytes& b, uint32_t v) { put16(b, uint16_t(v >> 16)); put16(b, uint16_t(v)); }
void put48(Bytes& b, uint64_t v) { put16(b, uint16_t(v >> 32)); put32(b, uint32_t(v)); }
void put64(Bytes& b, uint64_t v) { put32(b, uint32_t(v >> 32)); put32(b, uint32_t(v)); }
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t sum(uint32_t s, const uint8_t* p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) s += get16(p + i);
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(~s);
}
size_t csum_off(uint8_t proto) {
  switch (proto) {
    case 6: return 16;
    case 17: return 6;
    case 1: case 58: return 2;
    default: return 0;
  }
}
}  // namespace

Bytes eth(uint64_t dst, uint64_t src, uint16_t type, const Bytes& payload,
          const std::vector<std::pair<uint16_t, uint16_t>>& vlans) {
  Bytes b;
  put48(b, dst);
  put48(b, src);
  for (auto& [tpid, tci] : vlans) { put16(b, tpid); put16(b, tci); }
  put16(b, type);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint16_t flags, uint16_t win,
          const Bytes& payload, const Bytes& options) {
  Bytes b;
  put16(b, sport); put16(b, dport); put32(b, seq); put32(b, ack);
  Bytes opt = options;
  while (opt.size() % 4) opt.push_back(0);
  const uint16_t doff = uint16_t((20 + opt.size()) / 4);
  put16(b, uint16_t(doff << 12 | (flags & 0x0fff)));
  put16(b, win); put16(b, 0); put16(b, 0);
  b.insert(b.end(), opt.begin(), opt.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes b;
  put16(b, sport); put16(b, dport); put16(b, uint16_t(8 + payload.size())); put16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes icmp4(uint8_t type, uint8_t code, uint32_t rest, const Bytes& payload) {
  Bytes b{type, code, 0, 0};
  put32(b, rest);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes icmp6(uint8_t type, uint8_t code, const Bytes& body) {
  Bytes b(4 + body.size(), 0);  // (sized up front: GCC 12 -O3 warns falsely on insert here)
  b[0] = type;
  b[1] = code;
  std::copy(body.begin(), body.end(), b.begin() + 4);
  return b;
}

Bytes ip4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& l4in, uint8_t ttl, const Bytes& options,
          uint16_t frag, uint8_t tos, uint16_t id) {
  Bytes opt = options;
  while (opt.size() % 4) opt.push_back(0);
  const size_t hl = 20 + opt.size();
  Bytes l4 = l4in;
  const bool first = (frag & 0x1fff) == 0;
  if (first && csum_off(proto) && l4.size() >= csum_off(proto) + 2) {
    uint32_t s = 0;
    if (proto != 1) {  // pseudo-header (RFC 793 / RFC 768); ICMP has none (RFC 792)
      uint8_t ph[12] = {uint8_t(src >> 24), uint8_t(src >> 16), uint8_t(src >> 8), uint8_t(src),
                        uint8_t(dst >> 24), uint8_t(dst >> 16), uint8_t(dst >> 8), uint8_t(dst),
                        0, proto, uint8_t(l4.size() >> 8), uint8_t(l4.size())};
      s = sum(0, ph, 12);
    }
    uint16_t c = fold(sum(s, l4.data(), l4.size()));
    if (proto == 17 && c == 0) c = 0xffff;
    l4[csum_off(proto)] = uint8_t(c >> 8);
    l4[csum_off(proto) + 1] = uint8_t(c);
  }
  Bytes b;
  b.push_back(uint8_t(0x40 | (hl / 4)));
  b.push_back(tos);
  put16(b, uint16_t(hl + l4.size()));
  put16(b, id);
  put16(b, frag);
  b.push_back(ttl);
  b.push_back(proto);
  put16(b, 0);
  put32(b, src);
  put32(b, dst);
  b.insert(b.end(), opt.begin(), opt.end());
  const uint16_t c = fold(sum(0, b.data(), hl));
  b[10] = uint8_t(c >> 8);
  b[11] = uint8_t(c);
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

Bytes ip6(U128 src, U128 dst, uint8_t proto, const Bytes& l4in, uint8_t hop,
          const std::vector<std::pair<uint8_t, Bytes>>& ext) {
  Bytes l4 = l4in;
  if (csum_off(proto) && l4.size() >= csum_off(proto) + 2) {
    Bytes ph;
    put64(ph, src.hi); put64(ph, src.lo); put64(ph, dst.hi); put64(ph, dst.lo);
    put32(ph, uint32_t(l4.size()));
    put32(ph, proto);
    uint16_t c = fold(sum(sum(0, ph.data(), ph.size()), l4.data(), l4.size()));
    if (proto == 17 && c == 0) c = 0xffff;
    l4[csum_off(proto)] = uint8_t(c >> 8);
    l4[csum_off(proto) + 1] = uint8_t(c);
  }
  Bytes exts;
  for (size_t i = 0; i < ext.size(); ++i) {
    const uint8_t next = i + 1 < ext.size() ? ext[i + 1].first : proto;
    Bytes h;
    h.push_back(next);
    h.insert(h.end(), ext[i].second.begin(), ext[i].second.end());
    exts.insert(exts.end(), h.begin(), h.end());
  }
  Bytes b;
  put32(b, 0x60000000);
  put16(b, uint16_t(exts.size() + l4.size()));
  b.push_back(ext.empty() ? proto : ext[0].first);
  b.push_back(hop);
  put64(b, src.hi); put64(b, src.lo); put64(b, dst.hi); put64(b, dst.lo);
  b.insert(b.end(), exts.begin(), exts.end());
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

Bytes arp(uint16_t op, uint64_t sha, uint32_t spa, uint64_t tha, uint32_t tpa) {
  Bytes b;
  put16(b, 1); put16(b, 0x0800); b.push_back(6); b.push_back(4); put16(b, op);
  put48(b, sha); put32(b, spa); put48(b, tha); put32(b, tpa);
  return b;
}

Bytes tcp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
           uint16_t flags, const Bytes& payload) {
  return eth(kMacB, kMacA, 0x0800, ip4(src, dst, 6, tcp(sport, dport, seq, ack, flags, 65535, payload)));
}
Bytes udp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes& payload) {
  return eth(kMacB, kMacA, 0x0800, ip4(src, dst, 17, udp(sport, dport, payload)));
}

bool ip4_csum_ok(const Bytes& f, size_t l3) {
  const size_t hl = (f[l3] & 0x0f) * 4u;
  return fold(sum(0, f.data() + l3, hl)) == 0;
}

bool l4_csum_ok(const Bytes& f, size_t l3) {
  const uint8_t* p = f.data() + l3;
  if ((p[0] >> 4) == 4) {
    const size_t hl = (p[0] & 0x0f) * 4u;
    const size_t tot = get16(p + 2);
    const uint8_t proto = p[9];
    const size_t n = tot - hl;
    uint32_t s = 0;
    if (proto == 17 && get16(p + hl + 6) == 0) return true;
    if (proto != 1) {
      s = sum(s, p + 12, 8);
      s += proto;
      s += uint32_t(n);
    }
    return fold(sum(s, p + hl, n)) == 0;
  }
  const size_t n = get16(p + 4);
  const uint8_t proto = p[6];
  uint32_t s = sum(0, p + 8, 32);
  s += uint32_t(n >> 16) + uint32_t(n & 0xffff);
  s += proto;
  return fold(sum(s, p + 40, n)) == 0;
}

}  // namespace loom::testpkt
