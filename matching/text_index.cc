#include "matching/text_index.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <queue>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>

namespace techmatch::matching {
namespace {

// Bits per field in a posting's tf code: title 2, keywords 1, body 5.
constexpr uint32_t kTfCap[kFieldCount] = {3, 1, 31};

// Heap order: the worst hit on top.
struct Worse {
  bool operator()(const TextHit& a, const TextHit& b) const {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  }
};

bool Better(float score, uint64_t id, const TextHit& than) {
  return score != than.score ? score > than.score : id < than.id;
}

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

inline float TextIndex::S(Posting p) const {
  const auto& tf = decode_[p & 0xFF];
  const auto& c = length_codes_[SlotOf(p)];
  return static_cast<float>(tf[0]) * norms_[0][c[0]] +
         static_cast<float>(tf[1]) * norms_[1][c[1]] +
         static_cast<float>(tf[2]) * norms_[2][c[2]];
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

void TextIndex::UpsertBatch(const std::vector<uint64_t>& ids,
                            const std::vector<const AnalyzedText*>& texts,
                            const std::vector<DocAttributes>& attributes,
                            unsigned threads) {
  if (slots_.size() + ids.size() > kMaxSlots) {
    for (uint64_t id : ids) Remove(id);
    Compact();
  }
  if (slots_.size() + ids.size() > kMaxSlots) {
    // Nearly kMaxSlots live documents: index the halves in turn.
    if (ids.size() == 1) throw std::length_error("text index full");
    const size_t half = ids.size() / 2;
    auto part = [&](size_t from, size_t to) {
      UpsertBatch(std::vector<uint64_t>(ids.begin() + from, ids.begin() + to),
                  std::vector<const AnalyzedText*>(texts.begin() + from,
                                                   texts.begin() + to),
                  attributes.empty()
                      ? std::vector<DocAttributes>()
                      : std::vector<DocAttributes>(attributes.begin() + from,
                                                   attributes.begin() + to),
                  threads);
    };
    part(0, half);
    part(half, ids.size());
    return;
  }
  // Occurrences become (term << 32 | slot << 2 | field), generated in slot
  // order, so a stable radix sort on the term keeps each term's slots
  // ascending. Small batches (single commits) are not worth a thread.
  constexpr size_t kDocsPerThread = 256;
  threads = std::min<size_t>(threads,
                             std::max<size_t>(ids.size() / kDocsPerThread, 1));
  // A power of two, so that a term's worker is a mask of its index.
  threads = std::min(std::bit_floor(std::max(threads, 1u)), 16u);
  if (workers_.size() < threads) workers_.resize(threads);
  const uint64_t base = slots_.size();
  auto docs_of = [&](unsigned worker) {
    return std::pair<size_t, size_t>{ids.size() * worker / threads,
                                     ids.size() * (worker + 1) / threads};
  };
  // Pass 1, in parallel: each token's syllable ids by lookup only, and each
  // document's field lengths (which do not depend on the ids).
  std::vector<std::array<uint16_t, kFieldCount>>& lengths = batch_lengths_;
  lengths.resize(ids.size());
  RunWorkers(threads, [&](unsigned worker) {
    BatchWorker& w = workers_[worker];
    w.syllables.clear();
    w.misses.clear();
    w.unknown.clear();
    w.occurrence_count = 0;
    auto lookup = [&](std::string_view text) {
      auto it = syllable_ids_.find(absl::string_view(text.data(), text.size()));
      if (it != syllable_ids_.end()) return it->second;
      w.misses.push_back(static_cast<uint32_t>(w.syllables.size()));
      w.unknown.push_back(text);
      return 0u;
    };
    auto [begin, end] = docs_of(worker);
    for (size_t i = begin; i < end; ++i) {
      for (int f = 0; f < kFieldCount; ++f) {
        uint32_t length = 0;
        bool first = true;
        texts[i]->ForEachToken(
            f, [&](std::string_view folded, std::string_view accented,
                   bool breaks_before) {
              // (An unknown folded form is a miss twice when both are one.)
              w.syllables.push_back(lookup(folded));
              w.syllables.push_back(accented == folded && w.syllables.back()
                                        ? w.syllables.back()
                                        : lookup(accented));
              length += (!first && !breaks_before) ? 4 : 2;
              first = false;
            });
        w.occurrence_count += length;
        lengths[i][f] =
            static_cast<uint16_t>(std::min<uint32_t>(length, 65535));
      }
    }
  });
  // New syllables are interned here, in token order (the ids are those a
  // one-thread pass gives), and the documents take their slots.
  for (unsigned worker = 0; worker < threads; ++worker) {
    BatchWorker& w = workers_[worker];
    for (size_t m = 0; m < w.misses.size(); ++m)
      w.syllables[w.misses[m]] = Intern(w.unknown[m]);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    Remove(ids[i]);  // also an id met earlier in this batch
    AddSlot(Slot{ids[i], attributes.empty() ? DocAttributes() : attributes[i],
                 lengths[i], true});
  }
  // Pass 2, in parallel: every worker writes its documents' term keys and
  // occurrences at its own offset.
  std::vector<uint64_t>& keys = batch_keys_;
  std::vector<uint64_t>& occurrences = batch_occurrences_;
  size_t total = 0;
  for (unsigned worker = 0; worker < threads; ++worker) {
    workers_[worker].offset = total;
    total += workers_[worker].occurrence_count;
  }
  keys.resize(total);
  occurrences.resize(total);
  RunWorkers(threads, [&](unsigned worker) {
    BatchWorker& w = workers_[worker];
    const uint32_t* syllable = w.syllables.data();
    size_t at = w.offset;
    auto emit = [&](uint64_t key, uint64_t occurrence) {
      keys[at] = key;
      occurrences[at] = occurrence;
      ++at;
    };
    auto [begin, end] = docs_of(worker);
    for (size_t i = begin; i < end; ++i) {
      const uint64_t slot = (base + i) << 2;
      for (int f = 0; f < kFieldCount; ++f) {
        const uint64_t occurrence = slot | static_cast<uint64_t>(f);
        uint64_t prev_folded = 0, prev_accented = 0;
        texts[i]->ForEachToken(f, [&](std::string_view, std::string_view,
                                      bool breaks_before) {
          const uint64_t folded = syllable[0], accented = syllable[1];
          syllable += 2;
          emit(folded << 32, occurrence);
          emit((accented << 32) | kAccentedBit, occurrence);
          if (prev_folded != 0 && !breaks_before) {
            emit(prev_folded << 32 | folded, occurrence);
            emit((prev_accented << 32 | accented) | kAccentedBit, occurrence);
          }
          prev_folded = folded;
          prev_accented = accented;
        });
      }
    }
  });
  // Too few occurrences to share (a batch of short documents).
  if (occurrences.size() < (size_t{1} << 14)) threads = 1;
  ResolveTerms(threads);
  // Once the averages have drifted, a refresh recomputes every bound, so a
  // large batch leaves them to it (a bulk load drifts from its first batch
  // to its last: keeping them was wasted work, a norm lookup per posting).
  // A commit's batch keeps them even then (its postings share one
  // document's norms: cheap), so that queries need not wait for the refresh.
  constexpr size_t kKeepBoundsBatch = 64;
  CheckDrift();
  const bool keep_bounds = !refresh_needed_ || ids.size() <= kKeepBoundsBatch;
  if (!keep_bounds) bounds_stale_ = true;
  if (threads == 1) {
    AppendRuns(&occurrences, &workers_[0], keep_bounds);
    return;
  }
  // Each worker owns the terms with index ≡ its number (mod threads): the
  // common terms, which hold most postings, are spread evenly, and no two
  // workers touch the same list. Each takes its occurrences in slot order,
  // so its own stable sort keeps every list ascending.
  const uint64_t mask = threads - 1;
  RunWorkers(threads, [&](unsigned worker) {
    BatchWorker& w = workers_[worker];
    w.own.resize(occurrences.size());
    size_t n = 0;
    for (uint64_t o : occurrences) {  // without a branch: half would miss
      w.own[n] = o;
      n += ((o >> 32) & mask) == worker;
    }
    w.own.resize(n);
    AppendRuns(&w.own, &w, keep_bounds);
  });
}

template <class Fn>
void TextIndex::RunWorkers(unsigned threads, Fn&& fn) {
  std::vector<std::thread> pool;
  unsigned started = 1;
  try {
    for (; started < threads; ++started) pool.emplace_back(fn, started);
  } catch (const std::system_error&) {
    // No thread to be had: the calling thread does the rest.
  }
  fn(0u);
  for (unsigned t = started; t < threads; ++t) fn(t);
  for (std::thread& t : pool) t.join();
}

void TextIndex::ResolveTerms(unsigned threads) {
  // At a million documents the dictionary is far larger than the caches,
  // and waiting on each probe in turn was half the indexing time: probes
  // are prefetched a few keys ahead.
  constexpr size_t kAhead = 16;
  const std::vector<uint64_t>& keys = batch_keys_;
  std::vector<uint64_t>& occurrences = batch_occurrences_;
  auto prefetch = [&](size_t i, size_t end) {
    if (i + kAhead < end && static_cast<uint32_t>(keys[i + kAhead]) != 0)
      term_ids_.Prefetch(keys[i + kAhead]);
  };
  if (threads == 1) {
    for (size_t i = 0; i < keys.size(); ++i) {
      prefetch(i, keys.size());
      occurrences[i] |= uint64_t{TermIndex(keys[i])} << 32;
    }
    return;
  }
  // Known terms are looked up by all workers at once (reads only); the
  // misses are then created here in occurrence order, so new terms get the
  // same indexes as in the one-thread pass.
  RunWorkers(threads, [&](unsigned worker) {
    const size_t begin = keys.size() * worker / threads;
    const size_t end = keys.size() * (worker + 1) / threads;
    std::vector<uint32_t>& misses = workers_[worker].misses;
    misses.clear();
    for (size_t i = begin; i < end; ++i) {
      prefetch(i, end);
      const uint32_t term = KnownTerm(keys[i]);
      if (term == UINT32_MAX) {
        misses.push_back(static_cast<uint32_t>(i));
      } else {
        occurrences[i] |= uint64_t{term} << 32;
      }
    }
  });
  // New terms are numbered in occurrence order, on this thread: each
  // insertion probes the dictionary again, so those probes are prefetched
  // too (some 55,000 new terms a batch at a million offers).
  for (unsigned worker = 0; worker < threads; ++worker) {
    const std::vector<uint32_t>& misses = workers_[worker].misses;
    for (size_t m = 0; m < misses.size(); ++m) {
      if (m + kAhead < misses.size())
        term_ids_.Prefetch(keys[misses[m + kAhead]]);
      occurrences[misses[m]] |= uint64_t{TermIndex(keys[misses[m]])} << 32;
    }
  }
}

void TextIndex::AppendRuns(std::vector<uint64_t>* occurrences,
                           BatchWorker* scratch, bool keep_bounds) {
  const uint32_t term_count = static_cast<uint32_t>(terms_.size());
  std::vector<uint64_t>& sorted = scratch->sorted;
  sorted.resize(occurrences->size());
  constexpr int kDigit = 12;
  for (int shift = 32;
       shift < 64 && (uint64_t{term_count} >> (shift - 32)) != 0;
       shift += kDigit) {
    std::array<uint32_t, (1u << kDigit) + 1> start{};
    for (uint64_t o : *occurrences)
      ++start[((o >> shift) & ((1u << kDigit) - 1)) + 1];
    for (size_t d = 1; d < start.size(); ++d) start[d] += start[d - 1];
    for (uint64_t o : *occurrences)
      sorted[start[(o >> shift) & ((1u << kDigit) - 1)]++] = o;
    occurrences->swap(sorted);
  }
  const std::vector<uint64_t>& occ = *occurrences;
  // One run per term: its list is appended once per (term, slot). The
  // lists' ends are scattered over the heap, so each run prefetches the
  // term entry and then the list end of the runs a few places ahead.
  std::vector<uint32_t>& runs = scratch->runs;  // start of each term's run
  runs.clear();
  for (size_t i = 0; i < occ.size(); ++i) {
    if (i == 0 || (occ[i] >> 32) != (occ[i - 1] >> 32))
      runs.push_back(static_cast<uint32_t>(i));
  }
  runs.push_back(static_cast<uint32_t>(occ.size()));
  auto term_of_run = [&](size_t r) {
    return static_cast<uint32_t>(occ[runs[r]] >> 32);
  };
  constexpr size_t kEntryAhead = 32, kListAhead = 16;
  const size_t run_count = runs.size() - 1;
  for (size_t r = 0; r < run_count; ++r) {
    if (r + kEntryAhead < run_count)
      __builtin_prefetch(&terms_[term_of_run(r + kEntryAhead)], 1);
    if (r + kListAhead < run_count)
      terms_[term_of_run(r + kListAhead)].postings.PrefetchAppend();
    TermInfo& info = terms_[term_of_run(r)];
    for (size_t i = runs[r], end = runs[r + 1]; i < end;) {
      const uint32_t slot =
          static_cast<uint32_t>(occ[i] >> 2) & (kMaxSlots - 1);
      std::array<uint32_t, kFieldCount> counts = {0, 0, 0};
      for (; i < end &&
             (static_cast<uint32_t>(occ[i] >> 2) & (kMaxSlots - 1)) == slot;
           ++i) {
        ++counts[occ[i] & 3];
      }
      const Posting p = slot << 8 | Code(counts);
      info.postings.push_back(p);
      if (keep_bounds) info.max_s = std::max(info.max_s, S(p));
    }
  }
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
  if (inserted) syllables_.emplace_back(syllable);
  return it->second;
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

namespace {
// TopK's window widths, in slots (powers of two).
constexpr uint32_t kMinWindow = 4096;
constexpr uint32_t kMaxWindow = 65536;
}  // namespace

std::vector<TextHit> TextIndex::TopK(const std::vector<QueryTerm>& query,
                                     size_t k, const Accept& accept) const {
  std::vector<TextHit> out;
  if (k == 0 || live_docs_ == 0) return out;
  struct Term {
    const TermInfo* info;
    float weight;  // idf * query weight
    float bound;   // weight * Saturate(max_s)
  };
  std::vector<Term> terms;
  for (const QueryTerm& q : query) {
    const TermInfo* info = Find(q.term);
    if (info == nullptr || info->postings.empty()) continue;
    float weight = IdfOf(*info) * q.weight;
    if (weight <= 0) continue;
    terms.push_back({info, weight, weight * Saturate(info->max_s)});
  }
  if (terms.empty()) return out;
  // Ascending bounds; prefix[i] = sum of bounds of cursors 0..i.
  std::sort(terms.begin(), terms.end(),
            [](const Term& a, const Term& b) { return a.bound < b.bound; });
  struct Cursor {
    explicit Cursor(const Term& t)
        : reader(t.info->postings), weight(t.weight), bound(t.bound) {}
    PostingList::Reader reader;
    float weight;
    float bound;
  };
  thread_local std::vector<Cursor> cursors;
  cursors.clear();
  for (const Term& t : terms) cursors.emplace_back(t);
  const size_t n = cursors.size();
  std::vector<float> prefix(n);
  float running = 0;
  for (size_t i = 0; i < n; ++i)
    prefix[i] = running += cursors[i].bound * 1.0001f;

  std::priority_queue<TextHit, std::vector<TextHit>, Worse> heap;
  float threshold = 0;
  size_t first_essential = 0;
  // Windows of slots: the essential lists are accumulated term-at-a-time
  // into a dense array (no per-document merge of many cursors), then each
  // scored document probes the non-essential lists with MaxScore pruning.
  // A bitmap marks the window's touched slots, so sparse windows cost their
  // postings, not their width.
  //
  // Each window costs a visit to every essential list, so a query of rare
  // terms (a more-like-this query: a few hundred postings each in a million
  // documents) takes wider windows, about 8 postings of its median list per
  // window: at 1M offers full matches ran 4-8% faster with 16K-64K slots than
  // with 4K, and 100-term text queries of common terms 10-35% slower.
  const uint32_t slot_count = static_cast<uint32_t>(slots_.size());
  std::vector<uint32_t> dfs;
  dfs.reserve(n);
  for (const Term& t : terms) dfs.push_back(t.info->postings.size());
  std::nth_element(dfs.begin(), dfs.begin() + n / 2, dfs.end());
  const uint64_t wanted_width =
      uint64_t{slot_count} * 8 / std::max<uint32_t>(dfs[n / 2], 1);
  uint32_t window = kMinWindow;
  while (window < kMaxWindow && window < wanted_width) window *= 2;
  const uint32_t words = window / 64;
  thread_local std::vector<float> acc;
  acc.assign(window, 0.0f);
  std::array<uint64_t, kMaxWindow / 64> touched{};
  struct Survivor {
    uint32_t slot;
    float score;
  };
  // At most one per slot of a window; left uninitialised (only the used
  // front is ever touched).
  thread_local std::unique_ptr<Survivor[]> survivors;
  thread_local uint32_t survivor_capacity = 0;
  if (survivor_capacity < window) {
    survivors.reset(new Survivor[window]);
    survivor_capacity = window;
  }
  for (uint32_t base = 0; base < slot_count && first_essential < n;
       base += window) {
    const uint32_t limit = std::min(base + window, slot_count);
    const size_t window_essential = first_essential;
    // Jump to the next window any essential list reaches.
    uint32_t next = UINT32_MAX;
    for (size_t i = window_essential; i < n; ++i) {
      if (!cursors[i].reader.done())
        next = std::min(next, SlotOf(cursors[i].reader.value()));
    }
    if (next == UINT32_MAX) break;
    if (next >= limit) {
      base = next / window * window - window;
      continue;
    }
    for (size_t i = window_essential; i < n; ++i) {
      PostingList::Reader& r = cursors[i].reader;
      const float weight = cursors[i].weight;
      // A block at a time: the documents' norms (a cache miss each at a
      // million documents) are requested for the whole block before the
      // first is used, so the misses overlap.
      while (!r.done() && SlotOf(r.value()) < limit) {
        const Posting* first = r.buffered_begin();
        const Posting* last = r.buffered_end();
        if (SlotOf(last[-1]) >= limit) {
          last = std::lower_bound(
              first, last, limit,
              [](Posting p, uint32_t s) { return SlotOf(p) < s; });
        }
        for (const Posting* p = first; p != last; ++p) {
          __builtin_prefetch(&length_codes_[SlotOf(*p)]);
        }
        for (const Posting* p = first; p != last; ++p) {
          const uint32_t offset = SlotOf(*p) - base;
          acc[offset] += weight * Saturate(S(*p));
          touched[offset >> 6] |= uint64_t{1} << (offset & 63);
        }
        r.Skip(static_cast<uint32_t>(last - first));
      }
    }
    // Completes the touched documents' scores with the non-essential lists
    // (MaxScore: stops once the rest cannot reach the threshold) and keeps
    // those that may enter the top k. The threshold can only rise, so one
    // read at the window's start prunes safely.
    size_t survivor_count = 0;
    const bool full_before = heap.size() == k;
    const float threshold_before = threshold;
    for (uint32_t word = 0; word < words; ++word) {
      for (uint64_t bits = std::exchange(touched[word], 0); bits != 0;
           bits &= bits - 1) {
        const uint32_t offset =
            word * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
        float score = acc[offset];
        acc[offset] = 0.0f;
        const uint32_t slot = base + offset;
        bool pruned = false;
        for (size_t i = window_essential; i-- > 0;) {
          if (full_before && score + prefix[i] < threshold_before) {
            pruned = true;
            break;
          }
          PostingList::Reader& r = cursors[i].reader;
          r.SeekTo(slot);
          if (!r.done() && SlotOf(r.value()) == slot) {
            score += cursors[i].weight * Saturate(S(r.value()));
          }
        }
        if (pruned || (full_before && score < threshold_before)) continue;
        // The slot is a cache miss at a million documents: requested now,
        // read below.
        __builtin_prefetch(&slots_[slot]);
        survivors[survivor_count++] = {slot, score};
      }
    }
    for (size_t i = 0; i < survivor_count; ++i) {
      const auto [slot, score] = survivors[i];
      const bool full = heap.size() == k;
      if (full && score < threshold) continue;
      const Slot& doc = slots_[slot];
      if (!doc.alive) continue;
      if (full && !Better(score, doc.id, heap.top())) continue;
      if (accept && !accept(doc.id, doc.attributes)) continue;
      heap.push({doc.id, score});
      if (heap.size() > k) heap.pop();
      if (heap.size() == k) {
        threshold = heap.top().score;
        while (first_essential < n && prefix[first_essential] < threshold) {
          ++first_essential;
        }
      }
    }
  }
  out.resize(heap.size());
  for (size_t i = heap.size(); i-- > 0;) {
    out[i] = heap.top();
    heap.pop();
  }
  return out;
}

std::vector<float> TextIndex::Explain(const std::vector<QueryTerm>& query,
                                      uint64_t id) const {
  return std::move(Explain(query, std::vector<uint64_t>{id}).front());
}

std::vector<std::vector<float>> TextIndex::Explain(
    const std::vector<QueryTerm>& query,
    const std::vector<uint64_t>& ids) const {
  std::vector<const TermInfo*> infos;
  infos.reserve(query.size());
  for (const QueryTerm& q : query) infos.push_back(Find(q.term));
  std::vector<std::vector<float>> out(ids.size(),
                                      std::vector<float>(query.size(), 0.0f));
  // Readers only move forward: visit the documents in slot order.
  std::vector<std::pair<uint32_t, size_t>> order;  // (slot, row)
  order.reserve(ids.size());
  for (size_t row = 0; row < ids.size(); ++row) {
    auto doc_it = slot_of_id_.find(ids[row]);
    if (doc_it != slot_of_id_.end()) order.emplace_back(doc_it->second, row);
  }
  std::sort(order.begin(), order.end());
  for (size_t i = 0; i < query.size(); ++i) {
    const TermInfo* info = infos[i];
    if (info == nullptr) continue;
    const float weight = IdfOf(*info) * query[i].weight;
    PostingList::Reader r(info->postings);
    for (const auto& [slot, row] : order) {
      r.SeekTo(slot);
      if (r.done()) break;
      if (SlotOf(r.value()) == slot)
        out[row][i] = weight * Saturate(S(r.value()));
    }
  }
  return out;
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

std::vector<QueryTerm> TextIndex::MoreLikeThis(const FieldTexts& texts,
                                               size_t max_terms) const {
  // Term frequencies by term key, from the same terms Upsert indexes (the
  // title counted twice); terms the index has never seen carry no
  // information and are skipped.
  std::vector<std::pair<uint64_t, uint32_t>> occurrences;  // key, times
  auto syllable = [&](std::string_view text) -> uint64_t {
    auto it = syllable_ids_.find(absl::string_view(text.data(), text.size()));
    return it == syllable_ids_.end() ? 0 : it->second;
  };
  Analyzer::PackedTokens packed;
  auto count_field = [&](const std::string& text, uint32_t times) {
    packed.chars.clear();
    packed.tokens.clear();
    analyzer_->TokenizeInto(text, &packed);
    const std::string_view chars(packed.chars);
    uint64_t prev_folded = 0, prev_accented = 0;
    for (const Analyzer::PackedTokens::Token& t : packed.tokens) {
      uint64_t folded = syllable(chars.substr(t.at, t.folded_size));
      uint64_t accented =
          t.accented_size == 0
              ? folded
              : syllable(chars.substr(t.at + t.folded_size, t.accented_size));
      if (folded != 0) occurrences.emplace_back(folded << 32, times);
      if (accented != 0)
        occurrences.emplace_back(accented << 32 | kAccentedBit, times);
      if (t.breaks_before == 0) {
        if (prev_folded != 0 && folded != 0)
          occurrences.emplace_back(prev_folded << 32 | folded, times);
        if (prev_accented != 0 && accented != 0) {
          occurrences.emplace_back(
              (prev_accented << 32 | accented) | kAccentedBit, times);
        }
      }
      prev_folded = folded;
      prev_accented = accented;
    }
  };
  count_field(texts.title, 2);
  count_field(texts.keywords, 1);
  count_field(texts.body, 1);
  // Each distinct key once; at a million documents the pair dictionary
  // lookups are cache misses, so they are prefetched a few keys ahead.
  std::sort(occurrences.begin(), occurrences.end());
  size_t distinct = 0;
  for (size_t i = 0; i < occurrences.size(); ++i) {
    if (distinct > 0 &&
        occurrences[distinct - 1].first == occurrences[i].first) {
      occurrences[distinct - 1].second += occurrences[i].second;
    } else {
      occurrences[distinct++] = occurrences[i];
    }
  }
  occurrences.resize(distinct);
  constexpr size_t kAhead = 8;
  // The best `max_terms` by tf * idf, ties by term text. Texts are built
  // only for the terms that reach the cut (and those tied at it).
  struct Ranked {
    float weight;  // tf * idf
    uint64_t key;
  };
  // Two passes: the terms' indexes (their entries prefetched as found),
  // then their idf -- each term's entry is a miss too.
  std::vector<uint32_t> term_of(occurrences.size());
  for (size_t i = 0; i < occurrences.size(); ++i) {
    if (i + kAhead < occurrences.size() &&
        static_cast<uint32_t>(occurrences[i + kAhead].first) != 0) {
      term_ids_.Prefetch(occurrences[i + kAhead].first);
    }
    term_of[i] = KnownTerm(occurrences[i].first);
    if (term_of[i] != UINT32_MAX) __builtin_prefetch(&terms_[term_of[i]]);
  }
  std::vector<Ranked> ranked;
  ranked.reserve(occurrences.size());
  for (size_t i = 0; i < occurrences.size(); ++i) {
    if (term_of[i] == UINT32_MAX) continue;
    const auto [key, count] = occurrences[i];
    float idf = IdfOf(terms_[term_of[i]]);
    if (idf > 0) ranked.push_back({static_cast<float>(count) * idf, key});
  }
  const size_t keep = std::min(max_terms, ranked.size());
  std::vector<std::pair<float, std::string>> chosen;
  if (keep > 0) {
    std::nth_element(
        ranked.begin(), ranked.begin() + (keep - 1), ranked.end(),
        [](const Ranked& a, const Ranked& b) { return a.weight > b.weight; });
    const float cut = ranked[keep - 1].weight;
    for (const Ranked& r : ranked) {
      if (r.weight >= cut) chosen.emplace_back(r.weight, TermText(r.key));
    }
  }
  auto better = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::sort(chosen.begin(), chosen.end(), better);
  chosen.resize(keep);
  std::vector<QueryTerm> out;
  out.reserve(keep);
  for (auto& [weight, text] : chosen) out.push_back({std::move(text), 1.0f});
  return out;
}

float TextIndex::QueryWeight(const std::string& term) const {
  if (term.find('_') != std::string::npos) return params_.pair_weight;
  std::string_view body(term);
  if (!body.empty() && body[0] == kAccentedMarker) body.remove_prefix(1);
  if (analyzer_->IsStopword(body)) return params_.stopword_weight;
  return 1.0f;
}

std::vector<QueryTerm> TextIndex::ParseQuery(const std::string& text) const {
  std::vector<std::string> terms;
  analyzer_->QueryTerms(text, &terms);
  std::vector<QueryTerm> out;
  std::unordered_set<std::string> seen;
  for (auto& t : terms) {
    if (!seen.insert(t).second) continue;
    float weight = QueryWeight(t);
    out.push_back({std::move(t), weight});
  }
  return out;
}

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
