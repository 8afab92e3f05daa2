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
//   starts with its first slot (4 bytes) and its payload length (2 bytes);
//   each posting is then a varint of (slot gap << 1 | low byte != 1), and the
//   low byte follows only when it is not 1. In the text index three postings
//   in four are a single body occurrence (code 1), and gaps in long lists
//   are small, so a posting costs one to two bytes instead of four. Seeking
//   hops block headers without decoding them; a block is decoded whole into
//   the reader's buffer.
//
// Not thread-safe; movable, not copyable. A Reader stays valid while its list
// is not modified.
#ifndef TECHMATCH_MATCHING_POSTING_LIST_H_
#define TECHMATCH_MATCHING_POSTING_LIST_H_

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace techmatch::matching {

class PostingList {
 public:
  using Value = uint32_t;  // slot << 8 | low byte
  static constexpr uint32_t kInline = 3;
  static constexpr uint32_t kBlock = 128;
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

  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Appends `v`, whose slot must be greater than the last value's.
  void push_back(Value v) {
    if (size_ < kInline) {
      words_[size_++] = v;
      return;
    }
    if (size_ == kInline) MoveToHeap();
    Append(v);
    ++size_;
  }

  // Releases spare capacity of the heap stream.
  void ShrinkToFit() {
    if (on_heap() && header()->capacity != used()) {
      Reallocate(used());
    }
  }

  // Heap bytes held (0 when inline), allocator overhead included.
  size_t HeapBytes() const {
    return on_heap() ? sizeof(Header) + header()->capacity + 16 : 0;
  }

  // Forward cursor over a list's values.
  class Reader {
   public:
    explicit Reader(const PostingList& list) {
      if (!list.on_heap()) {
        std::memcpy(buffer_, list.words_, sizeof(Value) * list.size_);
        count_ = list.size_;
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
    // Moves to the first value whose slot is >= `slot` (done() when none);
    // never moves backwards.
    void SeekTo(uint32_t slot) {
      if (done() || SlotOf(buffer_[pos_]) >= slot) return;
      if (SlotOf(buffer_[count_ - 1]) < slot) {
        if (next_ == end_) {
          pos_ = count_;
          return;
        }
        // Skip every block whose successor starts at or before `slot`.
        for (const uint8_t* after = Following(next_);
             after < end_ && FirstSlot(after) <= slot;
             after = Following(after)) {
          next_ = after;
        }
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
    static const uint8_t* Following(const uint8_t* block) {
      uint16_t length;
      std::memcpy(&length, block + 4, sizeof length);
      return block + kBlockHeader + length;
    }
    void DecodeBlock() {
      const uint8_t* p = next_ + kBlockHeader;
      const uint8_t* end = Following(next_);
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
        const uint32_t low = (v & 1) ? *p++ : 1;
        buffer_[n++] = slot << 8 | low;
      }
      count_ = n;
      pos_ = 0;
      next_ = end;
    }

    Value buffer_[kBlock];
    uint32_t pos_ = 0;
    uint32_t count_ = 0;
    const uint8_t* next_ = nullptr;  // the block after the buffered one
    const uint8_t* end_ = nullptr;
  };

 private:
  static constexpr uint32_t kBlockHeader = 6;  // first slot, payload length
  static constexpr uint32_t kMaxPosting = 6;   // 4-byte varint + low byte
  struct Header {
    uint32_t capacity;    // stream bytes allocated
    uint32_t last_slot;   // of the last value
    uint32_t last_block;  // offset of the last block's header
  };

  // Inline: words_[0..size_) are the values. On the heap: words_[0] is the
  // stream's used bytes and words_[1..2] hold the block's address.
  bool on_heap() const { return size_ > kInline; }
  uint32_t used() const { return words_[0]; }
  Header* header() const {
    Header* block;
    std::memcpy(&block, &words_[1], sizeof block);
    return block;
  }
  uint8_t* stream() const { return reinterpret_cast<uint8_t*>(header() + 1); }
  void SetBlock(Header* block) {
    std::memcpy(&words_[1], &block, sizeof block);
  }

  void MoveToHeap() {
    Value inline_values[kInline];
    std::memcpy(inline_values, words_, sizeof inline_values);
    constexpr uint32_t kFirst = kBlockHeader + (kInline + 1) * 4;
    void* block = std::malloc(sizeof(Header) + kFirst);
    if (block == nullptr) throw std::bad_alloc();
    SetBlock(static_cast<Header*>(block));
    header()->capacity = kFirst;
    words_[0] = 0;
    for (uint32_t i = 0; i < kInline; ++i) {
      size_ = i;  // Append() starts a block at multiples of kBlock
      Append(inline_values[i]);
    }
    size_ = kInline;
  }

  void Reallocate(uint32_t capacity) {
    void* moved = std::realloc(header(), sizeof(Header) + capacity);
    if (moved == nullptr) throw std::bad_alloc();
    SetBlock(static_cast<Header*>(moved));
    header()->capacity = capacity;
  }

  // Encodes `v` at the end of the stream (size_ not yet counting it).
  void Append(Value v) {
    if (used() + kBlockHeader + kMaxPosting > header()->capacity) {
      Reallocate(std::max(2 * header()->capacity,
                          used() + kBlockHeader + kMaxPosting));
    }
    Header* h = header();
    uint8_t* s = stream();
    uint32_t at = used();
    const uint32_t slot = SlotOf(v);
    uint32_t gap = 0;
    if (size_ % kBlock == 0) {
      h->last_block = at;
      const uint16_t empty = 0;
      std::memcpy(s + at, &slot, 4);
      std::memcpy(s + at + 4, &empty, 2);
      at += kBlockHeader;
    } else {
      gap = slot - h->last_slot;
    }
    const uint32_t start = at;
    const uint32_t low = v & 0xFF;
    uint32_t code = gap << 1 | (low != 1 ? 1u : 0u);
    while (code >= 0x80) {
      s[at++] = static_cast<uint8_t>(code | 0x80);
      code >>= 7;
    }
    s[at++] = static_cast<uint8_t>(code);
    if (low != 1) s[at++] = static_cast<uint8_t>(low);
    uint16_t length;
    std::memcpy(&length, s + h->last_block + 4, 2);
    length = static_cast<uint16_t>(length + (at - start));
    std::memcpy(s + h->last_block + 4, &length, 2);
    h->last_slot = slot;
    words_[0] = at;
  }

  void Release() {
    if (on_heap()) std::free(header());
    size_ = 0;
  }
  void TakeFrom(PostingList& other) {
    size_ = other.size_;
    std::memcpy(words_, other.words_, sizeof words_);
    other.size_ = 0;
  }

  uint32_t size_ = 0;
  Value words_[kInline] = {};
};

static_assert(sizeof(PostingList) == 16);

}  // namespace techmatch::matching

#endif  // TECHMATCH_MATCHING_POSTING_LIST_H_
