// TextIndex, the snapshot: Save() and Load() (format in snapshot_io.h).
#include <algorithm>

#include "matching/text_index.h"

namespace techmatch::matching {
namespace {

// 2: field lengths as one-byte codes, norms from a table (no norm array).
constexpr uint32_t kIndexFormat = 2;

// The parameters a saved index was built with, as raw floats.
std::vector<float> ParamsOf(const Bm25fParams& p) {
  std::vector<float> v = {p.k1, p.pair_weight, p.stopword_weight};
  v.insert(v.end(), p.weight.begin(), p.weight.end());
  v.insert(v.end(), p.b.begin(), p.b.end());
  return v;
}

}  // namespace

void TextIndex::Save(SnapshotWriter& out) const {
  out.Pod(kIndexFormat);
  out.PodVector(ParamsOf(params_));
  out.Pod<uint64_t>(syllables_.size());
  for (const std::string& syllable : syllables_) out.String(syllable);
  // The pair dictionary in term order, not the map's (which differs
  // between two maps of the same content): equal indexes save equal bytes.
  std::vector<uint64_t> key_of_term(terms_.size(), 0);
  term_ids_.ForEach(
      [&](uint64_t key, uint32_t term) { key_of_term[term] = key; });
  out.Pod<uint64_t>(term_ids_.size());
  for (uint32_t term = 0; term < key_of_term.size(); ++term) {
    if (key_of_term[term] == 0) continue;  // a single syllable's term
    out.Pod(key_of_term[term]);
    out.Pod(term);
  }
  out.PodVector(unigram_terms_);
  out.Pod<uint64_t>(terms_.size());
  for (const TermInfo& info : terms_) {
    out.Pod(info.max_s);
    info.postings.SaveTo(out);
  }
  out.Pod<uint64_t>(slots_.size());
  for (const Slot& slot : slots_) {
    out.Pod(slot.id);
    out.Pod(slot.attributes.flags);
    out.Pod(slot.attributes.stamp);
    out.Pod(slot.length);
    out.Pod<uint8_t>(slot.alive ? 1 : 0);
  }
  out.Pod(total_length_);
  out.Pod(avg_snapshot_);
  out.Pod<uint64_t>(live_docs_);
  out.Pod<uint64_t>(dead_docs_);
  out.Pod<uint8_t>(NeedsRefresh() ? 1 : 0);
}

bool TextIndex::Load(SnapshotReader& in) {
  uint32_t format = 0;
  if (!in.Pod(&format)) return false;
  if (format != kIndexFormat) {
    in.Fail("text index of another format");
    return false;
  }
  std::vector<float> params;
  if (!in.PodVector(&params)) return false;
  if (params != ParamsOf(params_)) {
    in.Fail("text index built with other BM25F parameters");
    return false;
  }
  uint64_t n = 0;
  if (!in.Length(&n, sizeof(uint64_t))) return false;
  syllables_.resize(n);
  syllable_ids_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (!in.String(&syllables_[i])) return false;
    if (!syllable_ids_.try_emplace(syllables_[i], i + 1).second) {
      in.Fail("text index repeats a syllable");
      return false;
    }
    AddVariant(static_cast<uint32_t>(i + 1));
  }
  if (!in.Length(&n, sizeof(uint64_t) + sizeof(uint32_t))) return false;
  term_ids_.Reserve(n);
  std::vector<std::pair<uint64_t, uint32_t>> pairs(n);
  for (auto& [key, term] : pairs) {
    if (!in.Pod(&key) || !in.Pod(&term)) return false;
  }
  for (const auto& [key, term] : pairs) {
    if (static_cast<uint32_t>(key) == 0 ||
        !term_ids_.FindOrInsert(key, term).second) {
      in.Fail("text index holds a malformed or repeated pair");
      return false;
    }
  }
  if (!in.PodVector(&unigram_terms_)) return false;
  if (!in.Length(&n, sizeof(float) + sizeof(uint32_t))) return false;
  terms_.resize(n);
  for (TermInfo& info : terms_) {
    if (!in.Pod(&info.max_s) || !info.postings.LoadFrom(in)) return false;
  }
  for (const auto& [key, term] : pairs) {
    if (term >= terms_.size()) {
      in.Fail("text index names a term it does not hold");
      return false;
    }
  }
  for (uint32_t term : unigram_terms_) {
    if (term != UINT32_MAX && term >= terms_.size()) {
      in.Fail("text index names a term it does not hold");
      return false;
    }
  }
  if (!in.Length(&n, 8)) return false;
  if (n > kMaxSlots) {
    in.Fail("text index has too many slots");
    return false;
  }
  slots_.resize(n);
  slot_of_id_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    Slot& slot = slots_[i];
    uint8_t alive = 0;
    if (!in.Pod(&slot.id) || !in.Pod(&slot.attributes.flags) ||
        !in.Pod(&slot.attributes.stamp) || !in.Pod(&slot.length) ||
        !in.Pod(&alive)) {
      return false;
    }
    slot.alive = alive != 0;
    if (slot.alive && !slot_of_id_.try_emplace(slot.id, i).second) {
      in.Fail("text index holds a document twice");
      return false;
    }
  }
  length_codes_.resize(slots_.size());
  for (uint32_t i = 0; i < slots_.size(); ++i) SetLengthCodes(i);
  uint64_t live = 0, dead = 0;
  uint8_t refresh = 0;
  if (!in.Pod(&total_length_) || !in.Pod(&avg_snapshot_) || !in.Pod(&live) ||
      !in.Pod(&dead) || !in.Pod(&refresh)) {
    return false;
  }
  if (live != slot_of_id_.size() || live + dead != slots_.size()) {
    in.Fail("text index document counts do not add up");
    return false;
  }
  live_docs_ = live;
  dead_docs_ = dead;
  // (Saved as one flag: a due refresh loads as one whose bounds are stale.)
  refresh_needed_ = bounds_stale_ = refresh != 0;
  norms_ = NormsFor(avg_snapshot_);
  return true;
}

}  // namespace techmatch::matching
