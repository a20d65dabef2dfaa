// datapath/core/rewrite.h — in-place header rewrites with checksum updates (internal).
//
// Owns: the byte-level edits set_field, dec_ttl and NAT share: IPv4 header checksum
// and TCP/UDP pseudo-header checksum updates by RFC 1624 (HC' = ~(~HC + ~m + m')), UDP's
// "zero means no checksum" rule (RFC 768) both ways.
// Reads: the packet and its Layout. Called by: executor.cc, conntrack.cc.
// Never: touch bytes outside the Layout's headers (the caller checked l3/l4 kinds).
#pragma once

#include <cstdint>

#include "core/bytes.h"
#include "core/parser.h"

namespace loom {

// One's-complement update of checksum `c` (as stored, big-endian value) when a 16-bit
// word changes from `from` to `to`.
inline uint16_t csum_update16(uint16_t c, uint16_t from, uint16_t to) noexcept {
  uint32_t s = static_cast<uint16_t>(~c) + static_cast<uint32_t>(static_cast<uint16_t>(~from)) + to;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}
inline uint16_t csum_update32(uint16_t c, uint32_t from, uint32_t to) noexcept {
  c = csum_update16(c, static_cast<uint16_t>(from >> 16), static_cast<uint16_t>(to >> 16));
  return csum_update16(c, static_cast<uint16_t>(from), static_cast<uint16_t>(to));
}

// Offset of the L4 checksum for TCP/UDP (and ICMPv6, whose checksum covers the
// pseudo-header), or 0 when there is none to fix.
inline uint32_t l4_csum_offset(const Layout& lay, bool pseudo_only) noexcept {
  switch (lay.l4_kind) {
    case L4::kTcp: return lay.l4 + 16;
    case L4::kUdp: return lay.l4 + 6;
    case L4::kIcmp6: return pseudo_only ? lay.l4 + 2 : 0;
    default: return 0;
  }
}

// Updates the L4 checksum for a changed 16-bit word that is part of the pseudo-header
// (addresses) or of the L4 header itself (ports).
inline void l4_csum_fix16(uint8_t* d, const Layout& lay, uint16_t from, uint16_t to, bool pseudo) noexcept {
  const uint32_t off = l4_csum_offset(lay, pseudo);
  if (off == 0) return;
  const uint16_t c = rd16(d + off);
  if (lay.l4_kind == L4::kUdp && c == 0) return;  // RFC 768: no checksum was computed
  uint16_t n = csum_update16(c, from, to);
  if (lay.l4_kind == L4::kUdp && n == 0) n = 0xffff;  // RFC 768: computed zero is sent as ones
  wr16(d + off, n);
}

inline void set_ip4_addr(uint8_t* d, const Layout& lay, bool dst, uint32_t v) noexcept {
  uint8_t* p = d + lay.l3 + (dst ? 16 : 12);
  const uint32_t old = rd32(p);
  if (old == v) return;
  wr32(p, v);
  wr16(d + lay.l3 + 10, csum_update32(rd16(d + lay.l3 + 10), old, v));
  l4_csum_fix16(d, lay, static_cast<uint16_t>(old >> 16), static_cast<uint16_t>(v >> 16), true);
  l4_csum_fix16(d, lay, static_cast<uint16_t>(old), static_cast<uint16_t>(v), true);
}

inline void set_ip6_addr(uint8_t* d, const Layout& lay, bool dst, uint64_t hi, uint64_t lo) noexcept {
  uint8_t* p = d + lay.l3 + (dst ? 24 : 8);
  uint8_t n[16];
  wr64(n, hi);
  wr64(n + 8, lo);
  for (unsigned i = 0; i < 16; i += 2) {
    const uint16_t from = rd16(p + i), to = rd16(n + i);
    if (from == to) continue;
    wr16(p + i, to);
    l4_csum_fix16(d, lay, from, to, true);
  }
}

inline void set_l4_port(uint8_t* d, const Layout& lay, bool dst, uint16_t v) noexcept {
  if (lay.l4_kind != L4::kTcp && lay.l4_kind != L4::kUdp) return;
  uint8_t* p = d + lay.l4 + (dst ? 2 : 0);
  const uint16_t old = rd16(p);
  if (old == v) return;
  wr16(p, v);
  l4_csum_fix16(d, lay, old, v, false);
}

// Rewrites the 16-bit IPv4 header word at `word_off` (from l3) and fixes the checksum.
inline void set_ip4_word(uint8_t* d, const Layout& lay, uint32_t word_off, uint16_t v) noexcept {
  uint8_t* p = d + lay.l3 + word_off;
  const uint16_t old = rd16(p);
  wr16(p, v);
  wr16(d + lay.l3 + 10, csum_update16(rd16(d + lay.l3 + 10), old, v));
}

// Full one's-complement sum (for building new headers, and for tests).
inline uint32_t csum_add(uint32_t sum, const uint8_t* p, uint32_t n) noexcept {
  for (uint32_t i = 0; i + 1 < n; i += 2) sum += rd16(p + i);
  if (n & 1) sum += uint32_t{p[n - 1]} << 8;
  return sum;
}
inline uint16_t csum_fold(uint32_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace loom
