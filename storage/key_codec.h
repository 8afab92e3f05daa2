// Fixed-width big-endian integer encoding for RocksDB keys: byte order equals
// numeric order, so iterators walk ids and sequences in ascending order.
#ifndef TECHMATCH_STORAGE_KEY_CODEC_H_
#define TECHMATCH_STORAGE_KEY_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace techmatch::storage {

// Appends `v` as 8 big-endian bytes.
void AppendU64(std::string* out, uint64_t v);

// Appends `v` as 4 big-endian bytes.
void AppendU32(std::string* out, uint32_t v);

// Appends one byte.
inline void AppendU8(std::string* out, uint8_t v) {
  out->push_back(static_cast<char>(v));
}

// 8 big-endian bytes of `v`.
std::string EncodeU64(uint64_t v);

// Reads 8 big-endian bytes at `offset`; nullopt when `in` is too short.
std::optional<uint64_t> DecodeU64(absl::string_view in, size_t offset = 0);

// Reads 4 big-endian bytes at `offset`; nullopt when `in` is too short.
std::optional<uint32_t> DecodeU32(absl::string_view in, size_t offset = 0);

// Maps a signed time in microseconds to an unsigned key component that sorts
// in the same order (the sign bit is flipped).
inline uint64_t OrderedMicros(int64_t micros) {
  return static_cast<uint64_t>(micros) ^ (uint64_t{1} << 63);
}

}  // namespace techmatch::storage

#endif  // TECHMATCH_STORAGE_KEY_CODEC_H_
