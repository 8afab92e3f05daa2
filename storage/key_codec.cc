#include "storage/key_codec.h"

namespace techmatch::storage {

void AppendU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

void AppendU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

std::string EncodeU64(uint64_t v) {
  std::string out;
  out.reserve(8);
  AppendU64(&out, v);
  return out;
}

std::optional<uint64_t> DecodeU64(absl::string_view in, size_t offset) {
  if (in.size() < offset + 8) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<uint8_t>(in[offset + i]);
  }
  return v;
}

std::optional<uint32_t> DecodeU32(absl::string_view in, size_t offset) {
  if (in.size() < offset + 4) return std::nullopt;
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    v = (v << 8) | static_cast<uint8_t>(in[offset + i]);
  }
  return v;
}

}  // namespace techmatch::storage
