// datapath/core/fuzz/seeds.cc — writes a starting corpus for loomcore_fuzz: well-formed
// frames (built by test/packets.h) for every in_port branch of the fuzz pipeline, so the
// fuzzer starts deep (decap, NAT, ND, extension headers) instead of at Ethernet.
// Usage: loomcore_seeds <dir>
#include <cstdio>
#include <string>
#include <vector>

#include "test/packets.h"

using namespace loom;
using namespace loom::testpkt;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <dir>\n", argv[0]);
    return 2;
  }
  const U128 a6{0x20010db800000000ull, 1}, b6{0x20010db800000000ull, 2};
  const uint32_t A = ip(10, 0, 0, 1), B = ip(10, 0, 0, 2);
  Bytes vx = udp(50000, 4789, Bytes{0x08, 0, 0, 0, 0, 0, 5, 0});
  const Bytes inner = tcp4(A, B, 1, 2, 3, 4, 0x02);
  vx.insert(vx.end(), inner.begin(), inner.end());
  Bytes gv = udp(50000, 6081, Bytes{0x02, 0x40, 0x65, 0x58, 0, 0, 5, 0, 0x01, 0x02, 0x80, 0x01, 0, 1, 0, 2});
  gv.insert(gv.end(), inner.begin(), inner.end());
  const std::vector<Bytes> frames = {
      tcp4(A, B, 40000, 80, 1, 0, 0x02),
      udp4(A, B, 1000, 53, Bytes(8, 1)),
      eth(kMacB, kMacA, 0x0800, ip4(A, B, 1, icmp4(8, 0, 0x00010001, Bytes(8, 0)))),
      eth(kMacB, kMacA, 0x0800, ip4(B, A, 1, icmp4(3, 3, 0, ip4(A, B, 17, udp(1000, 53, Bytes(4, 0)))))),
      eth(0xffffffffffffull, kMacA, 0x0806, arp(1, kMacA, A, 0, B)),
      eth(kMacB, kMacA, 0x0800, ip4(ip(192, 168, 0, 1), ip(192, 168, 0, 2), 17, vx)),
      eth(kMacB, kMacA, 0x0800, ip4(ip(192, 168, 0, 1), ip(192, 168, 0, 2), 17, gv)),
      eth(kMacB, kMacA, 0x86dd, ip6(a6, b6, 17, udp(1, 2, Bytes(4, 0)), 64, {{0, Bytes(7, 0)}, {44, Bytes{0, 0, 1, 0, 0, 0, 1}}})),
      eth(0x333300000001ull, kMacA, 0x86dd,
          ip6(a6, b6, 58, icmp6(135, 0, Bytes{0, 0, 0, 0, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1, 2, 0, 0, 0, 0, 1}), 255)),
      eth(kMacB, kMacA, 0x0800, ip4(A, B, 17, udp(1, 2)), {{0x88a8, 1}, {0x8100, 2}}),
  };
  int n = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    for (uint8_t port = 0; port < 5; ++port) {
      const std::string path = std::string(argv[1]) + "/seed-" + std::to_string(i) + "-" + std::to_string(port);
      FILE* f = std::fopen(path.c_str(), "wb");
      if (f == nullptr) return 1;
      std::fputc(port, f);
      std::fwrite(frames[i].data(), 1, frames[i].size(), f);
      std::fclose(f);
      ++n;
    }
  }
  std::printf("%d seeds\n", n);
  return 0;
}
