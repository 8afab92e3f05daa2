// PostingList: the postings of one term, compressed, in a 16-byte object.
//
// A posting is a 32-bit value: a document slot (24 bits) above a low byte
// (the text index's term-frequency code). Values are appended in strictly
// ascending slot order and read back through a Reader that walks forward and
// seeks.
//
// Representation:
// - up to kInline values live inside the object itself: in a large catalogue
//   most terms (syllable pairs above all) occur in one to three documents,
//   and a heap block per such term cost more than its postings;
// - longer lists are a byte stream of blocks of kBlock postings. A block
//   starts with its first slot (4 bytes) and its payload length (2 bytes)
//   (every 8th also with the offset of the block 8 further on);
//   each posting is then a varint of (slot gap << 1 | low byte != 1), and the
//   low byte follows only when it is not 1. The last block is open (length
//   0) and runs to the end of the stream; its length is written when it
//   fills, so an append touches only the end of the stream. In the text index
//   three postings in four are a single body occurrence (code 1), and gaps in
//   long lists are small, so a posting costs one to two bytes instead of four.
//   Seeking hops block headers without decoding them; a block is decoded whole
//   into the reader's buffer.
//
// Not thread-safe; movable, not copyable. A Reader stays valid while its list
// is not modified.
#ifndef TECHMATCH_MATCHING_POSTING_LIST_H_
#define TECHMATCH_MATCHING_POSTING_LIST_H_

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>

namespace techmatch::matching {

class PostingList {
 public:
  using Value = uint32_t;  // slot << 8 | low byte
  static constexpr uint32_t kInline = 3;
  // Postings per block: a seek decodes one block, and hops block headers to
  // reach it; 32 measured faster than 128 (text top-10 at 100k offers 8.5
  // vs 11.4 ms) for 3% more bytes.
  static constexpr uint32_t kBlock = 32;
  static uint32_t SlotOf(Value v) { return v >> 8; }

  PostingList() = default;
  PostingList(PostingList&& other) noexcept { TakeFrom(other); }
  PostingList& operator=(PostingList&& other) noexcept {
    if (this != &other) {
      Release();
      TakeFrom(other);
    }
    return *this;
  }
  PostingList(const PostingList&) = delete;
  PostingList& operator=(const PostingList&) = delete;
  ~PostingList() { Release(); }

  uint32_t size() const { return size_ & ~kExact; }
  bool empty() const { return size() == 0; }

  // Appends `v`, whose slot must be greater than the last value's.
  void push_back(Value v) {
    const uint32_t n = size();
    if (n < kInline) {
      words_[size_++] = v;
      return;
    }
    if (n == kInline) MoveToHeap();
    Append(v);
  }

  // Hints the processor to fetch the memory the next push_back() writes.
  void PrefetchAppend() const {
    if (on_heap()) __builtin_prefetch(stream() + used(), 1);
  }

  // Hints the processor to fetch the start of the heap stream, which a
  // Reader decodes first (nothing for an inline list).
  void PrefetchStream() const {
    if (on_heap()) __builtin_prefetch(stream());
  }

  // The values of an inline list (of at most kInline); empty for a list on
  // the heap. Valid until the list is modified.
  std::span<const Value> InlineValues() const {
    return on_heap() ? std::span<const Value>()
                     : std::span<const Value>(words_, size());
  }

  // Releases spare capacity of the heap stream.
  void ShrinkToFit() {
    if (on_heap() && !(size_ & kExact)) {
      Resize(used() + kScratch);
      size_ |= kExact;
    }
  }

  // Heap bytes held (0 when inline), allocator overhead included.
  size_t HeapBytes() const { return on_heap() ? Allocated() + 16 : 0; }

  // Writes the list to `out` (a SnapshotWriter): its count, then the inline
  // values or the stream with its append scratch. Offsets in the stream are
  // relative, so it loads as it was.
  template <class Writer>
  void SaveTo(Writer& out) const {
    out.Pod(size_);
    if (!on_heap()) {
      out.Bytes(words_, sizeof(Value) * size());
      return;
    }
    out.Pod(used());
    out.Bytes(stream(), used() + kScratch);
  }

  // Replaces the list with one SaveTo() wrote, read from `in` (a
  // SnapshotReader); false when `in` fails (the list is then empty). The
  // stream's contents are trusted: the reader's checksum must be verified
  // before the list is read. The list loads without spare capacity, as
  // after ShrinkToFit(), whatever it held when saved (a server saves an
  // index grown by commits at every stop: loading the spare too held ~180
  // MiB more at a million offers).
  template <class Reader>
  bool LoadFrom(Reader& in) {
    Release();
    uint32_t size = 0;
    if (!in.Pod(&size)) return false;
    const uint32_t n = size & ~kExact;
    if (n <= kInline) {
      if (!in.Bytes(words_, sizeof(Value) * n)) return false;
      size_ = n;
      return true;
    }
    uint32_t used = 0;
    if (!in.Pod(&used)) return false;
    if (used > (1u << 30) || !in.Has(uint64_t{used} + kScratch)) {
      in.Fail("a posting list's length is out of range");
      return false;
    }
    size_ = n | kExact;
    words_[0] = used;
    void* block = std::malloc(Allocated());
    if (block == nullptr) throw std::bad_alloc();
    SetStream(static_cast<uint8_t*>(block));
    if (!in.Bytes(block, used + kScratch)) {
      Release();
      return false;
    }
    return true;
  }

  // Forward cursor over a list's values.
  class Reader {
   public:
    explicit Reader(const PostingList& list) {
      if (!list.on_heap()) {
        std::memcpy(buffer_, list.words_, sizeof(Value) * list.size());
        count_ = list.size();
        return;
      }
      next_ = list.stream();
      end_ = next_ + list.used();
      DecodeBlock();
    }

    bool done() const { return pos_ >= count_; }
    // The current value; requires !done().
    Value value() const { return buffer_[pos_]; }
    void next() {
      if (++pos_ == count_ && next_ < end_) DecodeBlock();
    }
    // The decoded values from the current one to the end of its block
    // (empty when done()): a caller may look ahead, then Skip() them.
    const Value* buffered_begin() const { return buffer_ + pos_; }
    const Value* buffered_end() const { return buffer_ + count_; }
    // Moves `n` values on; requires n <= buffered_end() - buffered_begin().
    void Skip(uint32_t n) {
      pos_ += n;
      if (pos_ == count_ && next_ < end_) DecodeBlock();
    }
    // Moves to the first value whose slot is >= `slot` (done() when none);
    // never moves backwards.
    void SeekTo(uint32_t slot) {
      if (done() || SlotOf(buffer_[pos_]) >= slot) return;
      if (SlotOf(buffer_[count_ - 1]) < slot) {
        if (next_ == end_) {
          pos_ = count_;
          return;
        }
        // Skip every block whose successor starts at or before `slot`:
        // kStride blocks at a time where a stride header points ahead.
        const uint8_t* block = next_;
        uint32_t index = next_block_;
        while (true) {
          if (index % kStride == 0) {
            uint32_t skip;
            std::memcpy(&skip, block + kBlockHeader, sizeof skip);
            if (skip != 0 && FirstSlot(block + skip) <= slot) {
              block += skip;
              index += kStride;
              continue;
            }
          }
          const uint8_t* after = Following(block, index);
          if (after >= end_ || FirstSlot(after) > slot) break;
          block = after;
          ++index;
        }
        next_ = block;
        next_block_ = index;
        DecodeBlock();
      }
      pos_ = static_cast<uint32_t>(
          std::lower_bound(buffer_ + pos_, buffer_ + count_, slot,
                           [](Value v, uint32_t s) { return SlotOf(v) < s; }) -
          buffer_);
      // The block ended before `slot`: the next block starts after it.
      if (pos_ == count_ && next_ < end_) DecodeBlock();
    }

   private:
    static uint32_t FirstSlot(const uint8_t* block) {
      uint32_t slot;
      std::memcpy(&slot, block, sizeof slot);
      return slot;
    }
    // The block after `block` (the index-th); a length of 0 marks the last,
    // open block.
    const uint8_t* Following(const uint8_t* block, uint32_t index) const {
      uint16_t length;
      std::memcpy(&length, block + 4, sizeof length);
      return length == 0 ? end_ : block + HeaderSize(index) + length;
    }
    void DecodeBlock() {
      const uint8_t* p = next_ + HeaderSize(next_block_);
      const uint8_t* end = Following(next_, next_block_);
      uint32_t slot = FirstSlot(next_);
      uint32_t n = 0;
      while (p < end) {
        uint32_t v = *p++;
        if (v >= 0x80) {
          v &= 0x7F;
          for (int shift = 7;; shift += 7) {
            const uint32_t byte = *p++;
            v |= (byte & 0x7F) << shift;
            if (byte < 0x80) break;
          }
        }
        slot += v >> 1;
        // Branch-free (whether a low byte follows is data, not a pattern
        // the predictor learns): the byte at `p` is always readable, as a
        // block is followed by another block or the stream's scratch.
        const uint32_t has_low = v & 1;
        const uint32_t mask = 0u - has_low;
        const uint32_t low = (uint32_t{*p} & mask) | (1u & ~mask);
        p += has_low;
        buffer_[n++] = slot << 8 | low;
      }
      count_ = n;
      pos_ = 0;
      next_ = end;
      ++next_block_;
    }

    Value buffer_[kBlock];
    uint32_t pos_ = 0;
    uint32_t count_ = 0;
    const uint8_t* next_ = nullptr;  // the block after the buffered one
    uint32_t next_block_ = 0;        // its index in the list
    const uint8_t* end_ = nullptr;
  };

 private:
  static constexpr uint32_t kBlockHeader = 6;  // first slot, payload length
  // Every kStride-th block's header also holds the byte offset of the block
  // kStride further on (0 until it exists), so a long seek hops over
  // kStride headers at once.
  static constexpr uint32_t kStride = 8;
  static uint32_t HeaderSize(uint32_t block) {
    return block % kStride == 0 ? kBlockHeader + 4 : kBlockHeader;
  }
  static constexpr uint32_t kMaxAppend = kBlockHeader + 4 + 6;  // + varint, low
  // Past the stream's used bytes: the last slot, the offset of the open
  // block and of the last stride block, so that an append touches only the
  // end of the stream.
  static constexpr uint32_t kScratch = 12;
  // On size_: the block is exactly used() + kScratch bytes (after a shrink);
  // otherwise its size is Growth(used()).
  static constexpr uint32_t kExact = 1u << 31;

  // The block size for `used` bytes: powers of two up to kDoublingLimit,
  // then multiples of 1/16 of the size's power of two, so that a large list
  // carries at most ~1/8 spare. (Doubling left common-term lists, shrunk
  // after a load, up to twice their size again at their first append: at a
  // million offers 44k updates grew the index by a fifth.) A large list
  // grows every 1/16 of its size, rarely: a common term gains a few
  // kilobytes a batch.
  static uint32_t Growth(uint32_t used) {
    const uint32_t need = used + kMaxAppend + kScratch;
    if (need <= kDoublingLimit) {
      uint32_t bytes = 32;
      while (bytes < need) bytes *= 2;
      return bytes;
    }
    const uint32_t step = std::bit_floor(need) / 16;
    return (need + step - 1) / step * step;
  }
  static constexpr uint32_t kDoublingLimit = 64 << 10;
  uint32_t Allocated() const {
    return (size_ & kExact) ? used() + kScratch : Growth(used());
  }

  // Inline: words_[0..size()) are the values. On the heap: words_[0] is the
  // stream's used bytes and words_[1..2] hold the block's address.
  bool on_heap() const { return size() > kInline; }
  uint32_t used() const { return words_[0]; }
  uint8_t* stream() const {
    uint8_t* block;
    std::memcpy(&block, &words_[1], sizeof block);
    return block;
  }
  void SetStream(uint8_t* block) {
    std::memcpy(&words_[1], &block, sizeof block);
  }
  void Resize(uint32_t bytes) {
    void* moved = std::realloc(stream(), bytes);
    if (moved == nullptr) throw std::bad_alloc();
    SetStream(static_cast<uint8_t*>(moved));
  }

  void MoveToHeap() {
    Value inline_values[kInline];
    std::memcpy(inline_values, words_, sizeof inline_values);
    void* block = std::malloc(Growth(0));
    if (block == nullptr) throw std::bad_alloc();
    SetStream(static_cast<uint8_t*>(block));
    words_[0] = 0;
    size_ = 0;
    for (Value v : inline_values) Append(v);
  }

  // Encodes `v` at the end of the stream.
  void Append(Value v) {
    if (size_ & kExact) {
      size_ &= ~kExact;
      Resize(Growth(used()));
    }
    uint8_t* s = stream();
    const uint32_t start = used();
    uint32_t scratch[3];  // last slot, open block, last stride block
    std::memcpy(scratch, s + start, sizeof scratch);
    const uint32_t slot = SlotOf(v);
    uint32_t at = start;
    uint32_t gap = 0;
    if (size_ % kBlock == 0) {
      const uint32_t index = size_ / kBlock;
      scratch[1] = at;
      const uint16_t open = 0;
      std::memcpy(s + at, &slot, 4);
      std::memcpy(s + at + 4, &open, 2);
      if (index % kStride == 0) {
        const uint32_t none = 0;
        std::memcpy(s + at + kBlockHeader, &none, 4);
        if (index != 0) {  // the previous stride block points here
          const uint32_t skip = at - scratch[2];
          std::memcpy(s + scratch[2] + kBlockHeader, &skip, 4);
        }
        scratch[2] = at;
      }
      at += HeaderSize(index);
    } else {
      gap = slot - scratch[0];
    }
    const uint32_t low = v & 0xFF;
    uint32_t code = gap << 1 | (low != 1 ? 1u : 0u);
    while (code >= 0x80) {
      s[at++] = static_cast<uint8_t>(code | 0x80);
      code >>= 7;
    }
    s[at++] = static_cast<uint8_t>(code);
    if (low != 1) s[at++] = static_cast<uint8_t>(low);
    if (++size_ % kBlock == 0) {  // the block is complete: close it
      const auto length = static_cast<uint16_t>(at - scratch[1] -
                                                HeaderSize(size_ / kBlock - 1));
      std::memcpy(s + scratch[1] + 4, &length, 2);
    }
    scratch[0] = slot;
    std::memcpy(s + at, scratch, sizeof scratch);
    words_[0] = at;
    if (Growth(at) != Growth(start)) Resize(Growth(at));
  }

  void Release() {
    if (on_heap()) std::free(stream());
    size_ = 0;
  }
  void TakeFrom(PostingList& other) {
    size_ = other.size_;
    std::memcpy(words_, other.words_, sizeof words_);
    other.size_ = 0;
  }

  uint32_t size_ = 0;  // values, and kExact
  Value words_[kInline] = {};
};

static_assert(sizeof(PostingList) == 16);

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_POSTING_LIST_H_
