// PairTermMap: the text index's dictionary of syllable-pair terms, from a
// non-zero 64-bit pair key to a 32-bit term index.
//
// At a million offers it holds ~7M keys, and a bulk load probes it for every
// pair occurrence (some 180 per offer), most of them cache misses, so it is
// laid out for one memory access per probe: a bucket is one 64-byte cache
// line holding five keys and their values; a key lives in the bucket its
// hash picks or, when that one is full, in the next with room (linear
// probing by bucket); Prefetch() fetches exactly the line a probe reads
// first. Bucket counts are not powers of two (the hash is mapped onto them by
// a multiply-shift), so the load factor stays between 0.5 and 0.75 instead of
// swinging between 0.44 and 0.875.
//
// (absl::flat_hash_map, used before, prefetches the first line of a probe
// group whose 16 slots span four lines: most probes then still missed on the
// slot, 74% of the dictionary's samples in a profile of the 1M rebuild.)
//
// Keys are never removed. Not thread-safe; const calls may run concurrently.
#ifndef TECHMATCH_MATCHING_PAIR_TERM_MAP_H_
#define TECHMATCH_MATCHING_PAIR_TERM_MAP_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace techmatch::matching {

class PairTermMap {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  PairTermMap() = default;
  PairTermMap(PairTermMap&&) noexcept = default;
  PairTermMap& operator=(PairTermMap&&) noexcept = default;

  // The value stored for `key`, or kNone.
  uint32_t Find(uint64_t key) const {
    if (bucket_count_ == 0) return kNone;
    for (size_t b = Home(key);; b = Next(b)) {
      const Bucket& bucket = buckets_[b];
      for (uint32_t i = 0; i < bucket.used; ++i) {
        if (bucket.keys[i] == key) return bucket.values[i];
      }
      if (bucket.used < kPerBucket) return kNone;
    }
  }

  // The value stored for `key` and false; or, when `key` is absent, stores
  // `value` for it and returns (value, true). `key` must not be 0.
  std::pair<uint32_t, bool> FindOrInsert(uint64_t key, uint32_t value) {
    if (bucket_count_ != 0) {
      for (size_t b = Home(key);; b = Next(b)) {
        Bucket& bucket = buckets_[b];
        for (uint32_t i = 0; i < bucket.used; ++i) {
          if (bucket.keys[i] == key) return {bucket.values[i], false};
        }
        if (bucket.used < kPerBucket) break;
      }
    }
    if ((size_ + 1) * 4 > bucket_count_ * kPerBucket * 3) {  // above 0.75
      Rehash(std::max<size_t>(bucket_count_ * 3 / 2, BucketsFor(size_ + 1)));
    }
    Place(key, value);
    ++size_;
    return {value, true};
  }

  // Hints the processor to fetch the line a probe for `key` reads first.
  void Prefetch(uint64_t key) const {
    if (bucket_count_ != 0) __builtin_prefetch(&buckets_[Home(key)]);
  }

  // Makes room for `n` keys in all at a load factor of 0.7 (never shrinks).
  void Reserve(size_t n) {
    if (BucketsFor(n) > bucket_count_) Rehash(BucketsFor(n));
  }

  // Rebuilds the table at a load factor of 0.7 when it holds a third more
  // buckets than that needs (after growth it holds up to twice as many).
  void ShrinkToFit() {
    if (BucketsFor(size_) * 4 < bucket_count_ * 3) Rehash(BucketsFor(size_));
  }

  size_t size() const { return size_; }

  // Bytes of the bucket array.
  size_t MemoryBytes() const { return bucket_count_ * sizeof(Bucket); }

  // Calls fn(key, value) for every entry, in no particular order.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (size_t b = 0; b < bucket_count_; ++b) {
      const Bucket& bucket = buckets_[b];
      for (uint32_t i = 0; i < bucket.used; ++i)
        fn(bucket.keys[i], bucket.values[i]);
    }
  }

 private:
  static constexpr uint32_t kPerBucket = 5;
  struct alignas(64) Bucket {
    uint64_t keys[kPerBucket];
    uint32_t values[kPerBucket];
    uint32_t used;  // entries, filled in order
  };
  static_assert(sizeof(Bucket) == 64);

  // Buckets for `n` keys at a load factor of 0.7.
  static size_t BucketsFor(size_t n) {
    return std::max<size_t>(16,
                            (n * 10 + kPerBucket * 7 - 1) / (kPerBucket * 7));
  }
  // The murmur3 finalizer: pair keys are two small syllable ids side by side,
  // so every bit of the key must reach the top bits the bucket is taken from.
  static uint64_t Mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
  }
  size_t Home(uint64_t key) const {
    return static_cast<size_t>(
        (static_cast<unsigned __int128>(Mix(key)) * bucket_count_) >> 64);
  }
  size_t Next(size_t b) const { return b + 1 == bucket_count_ ? 0 : b + 1; }

  // Stores a key known to be absent; requires a bucket with room.
  void Place(uint64_t key, uint32_t value) {
    size_t b = Home(key);
    while (buckets_[b].used == kPerBucket) b = Next(b);
    Bucket& bucket = buckets_[b];
    bucket.keys[bucket.used] = key;
    bucket.values[bucket.used] = value;
    ++bucket.used;
  }

  void Rehash(size_t bucket_count) {
    std::unique_ptr<Bucket[]> old = std::move(buckets_);
    const size_t old_count = bucket_count_;
    buckets_.reset(new Bucket[bucket_count]);
    bucket_count_ = bucket_count;
    for (size_t b = 0; b < bucket_count; ++b) buckets_[b].used = 0;
    for (size_t b = 0; b < old_count; ++b) {
      const Bucket& bucket = old[b];
      for (uint32_t i = 0; i < bucket.used; ++i)
        Place(bucket.keys[i], bucket.values[i]);
    }
  }

  std::unique_ptr<Bucket[]> buckets_;
  size_t bucket_count_ = 0;
  size_t size_ = 0;
};

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_PAIR_TERM_MAP_H_
