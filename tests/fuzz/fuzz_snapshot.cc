// libFuzzer target: Matcher::Load on damaged snapshots. The input edits a
// valid snapshot of a small matcher (XOR bytes at chosen offsets, then maybe
// a cut) and the checksum is recomputed, so the loader's own checks are what
// stands between the edit and memory: every length, count and index it
// reads. Load must fail cleanly or succeed; it must never crash, leak or
// read out of bounds. (A snapshot that passes the checksum is trusted for
// its posting streams, which queries decode: the data directory is trusted;
// see docs/matching.md. So no query is run on what loaded.)
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "matching/matcher.h"
#include "matching/snapshot_io.h"
#include "tests/fuzz/fuzz_reference.h"

using techmatch::fuzz::Check;

namespace {

using techmatch::matching::Matcher;
using techmatch::matching::NeedDoc;
using techmatch::matching::OfferDoc;

std::string TempPath(const char* name) {
  return "/tmp/fuzz_snapshot_" + std::to_string(::getpid()) + "_" + name;
}

// A snapshot of a few offers and needs, without its checksum trailer.
const std::string& ValidSnapshot() {
  static const std::string* bytes = [] {
    Matcher m;
    const char* titles[] = {
        "Máy sấy bơm nhiệt nông sản", "xử lý nước thải 500m3", "IoT PLC HACCP",
        "lò hơi sinh khối trấu",      "cong nghe say",         "Máy sấy lúa"};
    for (uint64_t id = 1; id <= 6; ++id) {
      OfferDoc offer;
      offer.id = id;
      offer.text = {titles[id - 1], "công nghệ . chuyển giao",
                    std::string(titles[id % 6]) + " " + titles[(id + 1) % 6]};
      offer.sectors = {"207", "20701"};
      offer.province = "79";
      offer.published = true;
      m.UpsertOffer(offer);
      NeedDoc need;
      need.id = id;
      need.text = {titles[(id + 2) % 6], "", titles[id - 1]};
      need.budget_max = 1000;
      m.UpsertNeed(need);
    }
    for (uint64_t id = 1; id <= 40; ++id) {  // lists past the inline three
      OfferDoc offer;
      offer.id = 100 + id;
      offer.text = {"máy sấy", "", "máy sấy nông sản công nghệ"};
      m.UpsertOffer(offer);
    }
    m.RemoveOffer(2);
    const std::string path = TempPath("seed");
    auto out = techmatch::matching::SnapshotWriter::Create(path);
    Check(out.ok());
    m.Save(**out);
    Check((*out)->Commit().ok());
    std::ifstream in(path, std::ios::binary);
    auto* s = new std::string(std::istreambuf_iterator<char>(in), {});
    std::remove(path.c_str());
    s->resize(s->size() - 4);
    return s;
  }();
  return *bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes = ValidSnapshot();
  // Each 5 input bytes: a 32-bit offset and a byte to XOR there; a 4-byte
  // tail (when left over) cuts the snapshot at that offset.
  size_t i = 0;
  for (; i + 5 <= size; i += 5) {
    uint32_t at;
    std::memcpy(&at, data + i, 4);
    bytes[at % bytes.size()] ^= static_cast<char>(data[i + 4]);
  }
  if (size - i == 4) {
    uint32_t cut;
    std::memcpy(&cut, data + i, 4);
    bytes.resize(cut % (bytes.size() + 1));
  }
  const uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()),
            static_cast<uInt>(bytes.size())));
  bytes.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  const std::string path = TempPath("input");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  Matcher m;
  auto in = techmatch::matching::SnapshotReader::Open(path);
  Check(in.ok());
  absl::Status loaded = m.Load(**in);
  if (size == 0) Check(loaded.ok());  // the unedited snapshot loads
  std::remove(path.c_str());
  return 0;
}
