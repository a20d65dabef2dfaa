// datapath/core/bytes.h — unaligned big-endian loads/stores (internal to core).
// Never used with an offset not already checked against the buffer length.
#pragma once

#include <cstdint>
#include <cstring>

namespace loom {

inline uint16_t rd16(const uint8_t* p) noexcept { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t rd32(const uint8_t* p) noexcept {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint64_t rd48(const uint8_t* p) noexcept {
  return uint64_t{rd16(p)} << 32 | rd32(p + 2);
}
inline uint64_t rd64(const uint8_t* p) noexcept { return uint64_t{rd32(p)} << 32 | rd32(p + 4); }
inline void wr16(uint8_t* p, uint16_t v) noexcept { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
inline void wr32(uint8_t* p, uint32_t v) noexcept {
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}
inline void wr48(uint8_t* p, uint64_t v) noexcept { wr16(p, uint16_t(v >> 32)); wr32(p + 2, uint32_t(v)); }
inline void wr64(uint8_t* p, uint64_t v) noexcept { wr32(p, uint32_t(v >> 32)); wr32(p + 4, uint32_t(v)); }

}  // namespace loom
