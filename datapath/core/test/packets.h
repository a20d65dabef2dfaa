// datapath/core/test/packets.h — hand-built packets for tests and the bench.
//
// Owns: builders for Ethernet (+VLAN tags), IPv4 (options, fragments), IPv6 (extension
// headers), TCP/UDP/ICMP/ICMPv6/ARP, all with correct checksums, and checksum checkers.
// Built byte by byte from the RFC layouts, independently of the parser, so tests
// compare the core against an independent construction.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/flow.h"

namespace loom::testpkt {

using Bytes = std::vector<uint8_t>;

constexpr uint64_t kMacA = 0x020000000001ull, kMacB = 0x020000000002ull;
constexpr uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) { return a << 24 | b << 16 | c << 8 | d; }

Bytes eth(uint64_t dst, uint64_t src, uint16_t type, const Bytes& payload,
          const std::vector<std::pair<uint16_t, uint16_t>>& vlans = {});  // (tpid, tci), outer first
Bytes tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint16_t flags, uint16_t win = 65535,
          const Bytes& payload = {}, const Bytes& options = {});
Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload = {});
Bytes icmp4(uint8_t type, uint8_t code, uint32_t rest, const Bytes& payload = {});
Bytes icmp6(uint8_t type, uint8_t code, const Bytes& body);
// Computes the header checksum and the TCP/UDP/ICMP checksum of `l4`.
Bytes ip4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& l4, uint8_t ttl = 64,
          const Bytes& options = {}, uint16_t frag = 0, uint8_t tos = 0, uint16_t id = 1);
// ext: (header type, body without the next-header byte); the builder fills next header
// and length fields. Computes the TCP/UDP/ICMPv6 checksum.
Bytes ip6(U128 src, U128 dst, uint8_t proto, const Bytes& l4, uint8_t hop = 64,
          const std::vector<std::pair<uint8_t, Bytes>>& ext = {});
Bytes arp(uint16_t op, uint64_t sha, uint32_t spa, uint64_t tha, uint32_t tpa);

// Frame = eth(..., ip4(...)). Convenience.
Bytes tcp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
           uint16_t flags, const Bytes& payload = {});
Bytes udp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes& payload = {});

// Checks on a frame with an IPv4 or IPv6 header after `l3` bytes.
bool ip4_csum_ok(const Bytes& f, size_t l3);
bool l4_csum_ok(const Bytes& f, size_t l3);

}  // namespace loom::testpkt
