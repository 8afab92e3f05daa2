// DocTable: the structured facts of the indexed documents by id, stored
// densely. A hash map holding the documents themselves sized its slots for
// a whole document and kept, at a million offers, over half a gigabyte of
// mostly empty slots; here the map holds 4-byte positions and the documents
// sit in one vector. Not thread-safe (the Matcher's lock guards it).
#ifndef TECHMATCH_MATCHING_DOC_TABLE_H_
#define TECHMATCH_MATCHING_DOC_TABLE_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace techmatch::matching {

// `Doc` has a `uint64_t id`.
template <class Doc>
class DocTable {
 public:
  // The document with `id`, or null. Valid until the next mutation.
  const Doc* Find(uint64_t id) const {
    auto it = position_.find(id);
    return it == position_.end() ? nullptr : &docs_[it->second];
  }

  // Adds or replaces the document with `doc.id`.
  void Upsert(Doc doc) {
    auto [it, inserted] =
        position_.try_emplace(doc.id, static_cast<uint32_t>(docs_.size()));
    if (inserted) {
      docs_.push_back(std::move(doc));
    } else {
      docs_[it->second] = std::move(doc);
    }
  }

  // Removes the document with `id`; no-op when absent. The last document
  // moves into its place.
  void Erase(uint64_t id) {
    auto it = position_.find(id);
    if (it == position_.end()) return;
    const uint32_t at = it->second;
    position_.erase(it);
    if (at + 1 != docs_.size()) {
      docs_[at] = std::move(docs_.back());
      position_[docs_[at].id] = at;
    }
    docs_.pop_back();
  }

  size_t size() const { return docs_.size(); }

  // Every document, in storage order (valid until the next mutation).
  const std::vector<Doc>& all() const { return docs_; }

  // Room for `n` documents without reallocation.
  void Reserve(size_t n) {
    docs_.reserve(n);
    position_.reserve(n);
  }

  // Releases spare capacity (after a bulk load).
  void ShrinkToFit() { docs_.shrink_to_fit(); }

  // Bytes held, `extra(doc)` counting each document's own heap data.
  template <class Extra>
  size_t MemoryBytes(Extra&& extra) const {
    size_t bytes =
        docs_.capacity() * sizeof(Doc) +
        position_.capacity() * (sizeof(std::pair<uint64_t, uint32_t>) + 1);
    for (const Doc& doc : docs_) bytes += extra(doc);
    return bytes;
  }

 private:
  std::vector<Doc> docs_;
  absl::flat_hash_map<uint64_t, uint32_t> position_;
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_DOC_TABLE_H_
