#include "matching/text_index.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace techmatch::matching {
namespace {

// Bits per field in a posting's tf code: title 2, keywords 1, body 5.
constexpr uint32_t kTfCap[kFieldCount] = {3, 1, 31};

}  // namespace

TextIndex::TextIndex(const Analyzer* analyzer, Bm25fParams params)
    : analyzer_(analyzer), params_(params) {
  for (int code = 0; code < 256; ++code) {
    decode_[code] = {static_cast<uint8_t>(code >> 6),
                     static_cast<uint8_t>((code >> 5) & 1),
                     static_cast<uint8_t>(code & 31)};
  }
  norms_ = NormsFor(avg_snapshot_);
}

namespace {

// The smallest length of each length code: codes below 64 hold their own
// length, the rest grow geometrically to the uint16 saturation.
constexpr int kExactLengths = 64;
constexpr uint32_t kMaxLength = 65535;

const std::array<uint32_t, 257>& LengthFloors() {
  static const std::array<uint32_t, 257> floors = [] {
    std::array<uint32_t, 257> f{};
    const double ratio =
        std::pow(static_cast<double>(kMaxLength) / kExactLengths,
                 1.0 / (255 - kExactLengths));
    for (int c = 0; c < 256; ++c) {
      f[c] =
          c < kExactLengths
              ? static_cast<uint32_t>(c)
              : static_cast<uint32_t>(std::ceil(
                    kExactLengths * std::pow(ratio, c - kExactLengths) - 1e-9));
    }
    f[255] = kMaxLength;
    f[256] = kMaxLength + 1;
    return f;
  }();
  return floors;
}

}  // namespace

uint8_t TextIndex::LengthCode(uint32_t length) {
  if (length < kExactLengths) return static_cast<uint8_t>(length);
  const auto& floors = LengthFloors();
  auto it = std::upper_bound(floors.begin(), floors.end() - 1,
                             std::min(length, kMaxLength));
  return static_cast<uint8_t>(it - floors.begin() - 1);
}

double TextIndex::CodedLength(uint8_t code) {
  const auto& floors = LengthFloors();
  return (floors[code] + floors[code + 1] - 1) / 2.0;
}

TextIndex::NormTable TextIndex::NormsFor(
    const std::array<double, kFieldCount>& averages) const {
  NormTable table;
  for (int f = 0; f < kFieldCount; ++f) {
    for (int code = 0; code < 256; ++code) {
      const double norm =
          1.0 - params_.b[f] +
          params_.b[f] * CodedLength(static_cast<uint8_t>(code)) / averages[f];
      table[f][code] = static_cast<float>(params_.weight[f] / norm);
    }
  }
  return table;
}

uint8_t TextIndex::Code(std::array<uint32_t, kFieldCount> tf) {
  return static_cast<uint8_t>((std::min(tf[0], kTfCap[0]) << 6) |
                              (std::min(tf[1], kTfCap[1]) << 5) |
                              std::min(tf[2], kTfCap[2]));
}

void TextIndex::SetLengthCodes(uint32_t slot) {
  for (int f = 0; f < kFieldCount; ++f)
    length_codes_[slot][f] = LengthCode(slots_[slot].length[f]);
}

void TextIndex::CheckDrift() {
  if (live_docs_ == 0) return;
  for (int f = 0; f < kFieldCount; ++f) {
    double avg = std::max(1.0, static_cast<double>(total_length_[f]) /
                                   static_cast<double>(live_docs_));
    if (std::abs(avg - avg_snapshot_[f]) > 0.005 * avg_snapshot_[f]) {
      refresh_needed_ = true;
      return;
    }
  }
}

template <class Fn>
void TextIndex::ForTermRanges(unsigned threads, Fn&& fn) const {
  const size_t n = terms_.size();
  threads = static_cast<unsigned>(
      std::clamp<size_t>(threads, 1, std::max<size_t>(n, 1)));
  // Ranges of about equal work (postings, and a little per list). Terms are
  // numbered as first met, so the common ones, which hold most postings,
  // come first: an even split by count left one thread nearly all of it.
  constexpr uint64_t kListCost = 16;
  std::vector<size_t> bounds(threads + 1, n);
  bounds[0] = 0;
  if (threads > 1) {
    uint64_t total = 0;
    for (const TermInfo& t : terms_) total += t.postings.size() + kListCost;
    uint64_t running = 0;
    unsigned next = 1;
    for (size_t i = 0; i < n && next < threads; ++i) {
      running += terms_[i].postings.size() + kListCost;
      while (next < threads && running * threads >= total * next)
        bounds[next++] = i + 1;
    }
  }
  RunWorkers(threads,
             [&](unsigned worker) { fn(bounds[worker], bounds[worker + 1]); });
}

void TextIndex::RefreshForQueries(unsigned threads) {
  ApplyRefresh(ComputeRefresh(threads));
}

TextIndex::Refresh TextIndex::ComputeRefresh(unsigned threads) const {
  Refresh out;
  for (int f = 0; f < kFieldCount; ++f) {
    out.averages[f] =
        live_docs_ == 0 ? 1.0
                        : std::max(1.0, static_cast<double>(total_length_[f]) /
                                            static_cast<double>(live_docs_));
  }
  out.norms = NormsFor(out.averages);
  out.max_s.resize(terms_.size());
  const NormTable& norms = out.norms;
  const auto& codes = length_codes_;
  auto s_of = [&](Posting p) {
    const auto& tf = decode_[p & 0xFF];
    const auto& c = codes[SlotOf(p)];
    return static_cast<float>(tf[0]) * norms[0][c[0]] +
           static_cast<float>(tf[1]) * norms[1][c[1]] +
           static_cast<float>(tf[2]) * norms[2][c[2]];
  };
  ForTermRanges(threads, [&](size_t begin, size_t end) {
    // Waiting on memory was most of the refresh at a million offers (3.4 s
    // on two threads after the bulk load): each list's stream, and the
    // norms of its documents. A few terms ahead, the stream's head (or an
    // inline list's documents' norms) is requested; within a list, a
    // decoded block's norms are requested before the first is read.
    constexpr size_t kAhead = 8;
    for (size_t t = begin; t < end; ++t) {
      if (t + kAhead < end) {
        const PostingList& ahead = terms_[t + kAhead].postings;
        ahead.PrefetchStream();
        for (Posting p : ahead.InlineValues())
          __builtin_prefetch(&codes[SlotOf(p)]);
      }
      float max_s = 0;
      for (PostingList::Reader r(terms_[t].postings); !r.done();) {
        const Posting* first = r.buffered_begin();
        const Posting* last = r.buffered_end();
        for (const Posting* p = first; p != last; ++p)
          __builtin_prefetch(&codes[SlotOf(*p)]);
        for (const Posting* p = first; p != last; ++p)
          max_s = std::max(max_s, s_of(*p));
        r.Skip(static_cast<uint32_t>(last - first));
      }
      out.max_s[t] = max_s;
    }
  });
  return out;
}

void TextIndex::ApplyRefresh(Refresh refresh) {
  avg_snapshot_ = refresh.averages;
  norms_ = refresh.norms;
  for (size_t t = 0; t < terms_.size(); ++t) terms_[t].max_s = refresh.max_s[t];
  refresh_needed_ = false;
  bounds_stale_ = false;
}

AnalyzedText::AnalyzedText(const Analyzer& analyzer, const FieldTexts& texts) {
  // Folded and accented forms together take at most about twice the text
  // (most Vietnamese syllables carry a mark, so both are kept): one
  // allocation, rarely a second.
  packed_.chars.reserve(
      2 * (texts.title.size() + texts.keywords.size() + texts.body.size()));
  const std::string* fields[kFieldCount] = {&texts.title, &texts.keywords,
                                            &texts.body};
  for (int f = 0; f < kFieldCount; ++f) {
    analyzer.TokenizeInto(*fields[f], &packed_);
    if (packed_.chars.size() > UINT32_MAX)
      throw std::length_error("text too long to index");
    field_begin_[f + 1] = static_cast<uint32_t>(packed_.tokens.size());
  }
}

AnalyzedText TextIndex::Analyze(const FieldTexts& texts) const {
  return AnalyzedText(*analyzer_, texts);
}

void TextIndex::Upsert(uint64_t id, const FieldTexts& texts,
                       DocAttributes attributes) {
  Upsert(id, Analyze(texts), attributes);
}

uint32_t TextIndex::TermIndex(uint64_t key) {
  const uint32_t second = static_cast<uint32_t>(key);
  if (second == 0) {
    const size_t at =
        ((key & ~kAccentedBit) >> 32) * 2 + ((key & kAccentedBit) ? 1 : 0);
    if (at >= unigram_terms_.size())
      unigram_terms_.resize(std::max(at + 1, unigram_terms_.size() * 2),
                            UINT32_MAX);
    uint32_t& term = unigram_terms_[at];
    if (term == UINT32_MAX) {
      term = static_cast<uint32_t>(terms_.size());
      terms_.emplace_back();
    }
    return term;
  }
  auto [term, inserted] =
      term_ids_.FindOrInsert(key, static_cast<uint32_t>(terms_.size()));
  if (inserted) terms_.emplace_back();
  return term;
}

uint32_t TextIndex::AddSlot(const Slot& slot) {
  const uint32_t index = static_cast<uint32_t>(slots_.size());
  for (int f = 0; f < kFieldCount; ++f) total_length_[f] += slot.length[f];
  slots_.push_back(slot);
  length_codes_.emplace_back();
  SetLengthCodes(index);
  slot_of_id_[slot.id] = index;
  ++live_docs_;
  return index;
}

void TextIndex::Upsert(uint64_t id, const AnalyzedText& analyzed,
                       DocAttributes attributes) {
  UpsertBatch({id}, {&analyzed}, {attributes});
}

void TextIndex::Remove(uint64_t id) {
  auto it = slot_of_id_.find(id);
  if (it == slot_of_id_.end()) return;
  Slot& slot = slots_[it->second];
  for (int f = 0; f < kFieldCount; ++f) total_length_[f] -= slot.length[f];
  slot.alive = false;
  slot_of_id_.erase(it);
  --live_docs_;
  ++dead_docs_;
  CheckDrift();
}

bool TextIndex::NeedsCompaction() const {
  return dead_docs_ > 64 && dead_docs_ * 4 > slots_.size();
}

void TextIndex::Compact() {
  std::vector<uint32_t> remap(slots_.size(), UINT32_MAX);
  std::vector<Slot> slots;
  slots.reserve(live_docs_);
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i].alive) continue;
    remap[i] = static_cast<uint32_t>(slots.size());
    slots.push_back(slots_[i]);
  }
  for (TermInfo& info : terms_) {
    PostingList kept;
    for (PostingList::Reader r(info.postings); !r.done(); r.next()) {
      const uint32_t to = remap[SlotOf(r.value())];
      if (to != UINT32_MAX) kept.push_back(to << 8 | (r.value() & 0xFF));
    }
    kept.ShrinkToFit();
    info.postings = std::move(kept);
  }
  slots_ = std::move(slots);
  length_codes_.resize(slots_.size());
  for (uint32_t i = 0; i < slots_.size(); ++i) SetLengthCodes(i);
  slot_of_id_.clear();
  for (uint32_t i = 0; i < slots_.size(); ++i) slot_of_id_[slots_[i].id] = i;
  dead_docs_ = 0;
  RefreshForQueries();
}

void TextIndex::ShrinkToFit(unsigned threads) {
  ForTermRanges(threads, [this](size_t begin, size_t end) {
    for (size_t t = begin; t < end; ++t) terms_[t].postings.ShrinkToFit();
  });
  terms_.shrink_to_fit();
  term_ids_.ShrinkToFit();
  slots_.shrink_to_fit();
  length_codes_.shrink_to_fit();
  std::vector<uint64_t>().swap(batch_keys_);
  std::vector<uint64_t>().swap(batch_occurrences_);
  std::vector<std::array<uint16_t, kFieldCount>>().swap(batch_lengths_);
  std::vector<BatchWorker>().swap(workers_);
}

uint32_t TextIndex::Intern(std::string_view syllable) {
  auto [it, inserted] = syllable_ids_.try_emplace(
      std::string(syllable), static_cast<uint32_t>(syllable_ids_.size() + 1));
  if (inserted) {
    syllables_.emplace_back(syllable);
    AddVariant(it->second);
  }
  return it->second;
}

void TextIndex::AddVariant(uint32_t id) {
  const std::string& syllable = syllables_[id - 1];
  std::vector<std::string> folded = analyzer_->FoldedTokens(syllable);
  if (folded.size() != 1) return;
  variants_[folded[0]].push_back(id);
}

float TextIndex::FoldClarity(std::string_view folded_syllable) const {
  auto it = variants_.find(
      absl::string_view(folded_syllable.data(), folded_syllable.size()));
  if (it == variants_.end() || it->second.size() < 2) return 1.0f;
  double total = 0, squares = 0;
  for (uint32_t id : it->second) {
    const uint32_t term = KnownTerm((uint64_t{id} << 32) | kAccentedBit);
    if (term == UINT32_MAX) continue;
    const double df = terms_[term].postings.size();
    total += df;
    squares += df * df;
  }
  return total > 0 ? static_cast<float>(squares / (total * total)) : 1.0f;
}

bool TextIndex::KeyOf(std::string_view term, uint64_t* key) const {
  bool accented = !term.empty() && term[0] == kAccentedMarker;
  if (accented) term.remove_prefix(1);
  size_t underscore = term.find('_');
  std::string_view first = term.substr(0, underscore);
  auto a = syllable_ids_.find(absl::string_view(first.data(), first.size()));
  if (a == syllable_ids_.end()) return false;
  uint64_t b_id = 0;
  if (underscore != std::string_view::npos) {
    std::string_view second = term.substr(underscore + 1);
    auto b =
        syllable_ids_.find(absl::string_view(second.data(), second.size()));
    if (b == syllable_ids_.end()) return false;
    b_id = b->second;
  }
  *key = (static_cast<uint64_t>(a->second) << 32) | b_id |
         (accented ? kAccentedBit : 0);
  return true;
}

const TextIndex::TermInfo* TextIndex::Find(std::string_view term) const {
  uint64_t key = 0;
  if (!KeyOf(term, &key)) return nullptr;
  const uint32_t index = KnownTerm(key);
  return index == UINT32_MAX ? nullptr : &terms_[index];
}

float TextIndex::IdfOf(const TermInfo& info) const {
  double n = static_cast<double>(slots_.size());
  double df = static_cast<double>(info.postings.size());
  if (df == 0) return 0;
  return static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
}

float TextIndex::Idf(std::string_view term) const {
  const TermInfo* info = Find(term);
  return info == nullptr ? 0 : IdfOf(*info);
}

uint32_t TextIndex::KnownTerm(uint64_t key) const {
  if (static_cast<uint32_t>(key) == 0) {
    const size_t at =
        ((key & ~kAccentedBit) >> 32) * 2 + ((key & kAccentedBit) ? 1 : 0);
    return at < unigram_terms_.size() ? unigram_terms_[at] : UINT32_MAX;
  }
  return term_ids_.Find(key);
}

std::string TextIndex::TermText(uint64_t key) const {
  std::string out;
  if (key & kAccentedBit) out += kAccentedMarker;
  out += syllables_[((key & ~kAccentedBit) >> 32) - 1];
  if (uint32_t second = static_cast<uint32_t>(key); second != 0) {
    out += '_';
    out += syllables_[second - 1];
  }
  return out;
}

size_t TextIndex::MemoryBytes() const {
  size_t bytes =
      slots_.capacity() * sizeof(Slot) +
      length_codes_.capacity() * sizeof(length_codes_[0]) +
      slot_of_id_.capacity() * (sizeof(std::pair<uint64_t, uint32_t>) + 1) +
      terms_.capacity() * sizeof(TermInfo);
  for (const TermInfo& info : terms_) bytes += info.postings.HeapBytes();
  bytes += term_ids_.MemoryBytes();
  bytes += unigram_terms_.capacity() * sizeof(uint32_t);
  for (const auto& [syllable, id] : syllable_ids_)
    bytes += syllable.capacity() + 48;
  bytes += (batch_keys_.capacity() + batch_occurrences_.capacity()) *
               sizeof(uint64_t) +
           batch_lengths_.capacity() * sizeof(batch_lengths_[0]);
  for (const BatchWorker& w : workers_) {
    bytes +=
        (w.own.capacity() + w.sorted.capacity()) * sizeof(uint64_t) +
        (w.runs.capacity() + w.misses.capacity() + w.syllables.capacity()) *
            sizeof(uint32_t) +
        w.unknown.capacity() * sizeof(void*);
  }
  return bytes;
}

}  // namespace techmatch::matching
