// TextIndex, bulk inversion: UpsertBatch and its parallel passes.
#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

#include "matching/text_index.h"

namespace techmatch::matching {

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

}  // namespace techmatch::matching
