#include "server/build_id.h"

#include <elf.h>
#include <link.h>

#include <cstring>

namespace techmatch {
namespace {

// Scans the PT_NOTE segments of the first object dl_iterate_phdr reports
// (the main program) for NT_GNU_BUILD_ID.
int FromNotes(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::string*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    const auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr +
                                                           segment.p_vaddr);
    const unsigned char* end = p + segment.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, p, sizeof note);
      const unsigned char* name = p + sizeof note;
      const unsigned char* desc = name + ((note.n_namesz + 3) & ~3u);
      const unsigned char* next = desc + ((note.n_descsz + 3) & ~3u);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0) {
        static constexpr char kHex[] = "0123456789abcdef";
        for (uint32_t j = 0; j < note.n_descsz; ++j) {
          out->push_back(kHex[desc[j] >> 4]);
          out->push_back(kHex[desc[j] & 15]);
        }
        return 1;
      }
      p = next;
    }
  }
  return 1;  // only the main program
}

}  // namespace

std::string ExecutableBuildId() {
  std::string id;
  dl_iterate_phdr(FromNotes, &id);
  return id;
}

}  // namespace techmatch
