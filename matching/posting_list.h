// PostingList: the postings of one term, a growable array of 32-bit values
// in 16 bytes. Up to kInline values live inside the object itself: in a large
// catalogue most terms (syllable pairs above all) occur in one to three
// documents, and a heap block per such term cost more than its postings (at
// a million offers, 5 of the 6.7 million terms). Longer lists live in one
// heap block. Not thread-safe; movable, not copyable.
#ifndef TECHMATCH_MATCHING_POSTING_LIST_H_
#define TECHMATCH_MATCHING_POSTING_LIST_H_

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace techmatch::matching {

class PostingList {
 public:
  using Value = uint32_t;
  static constexpr uint32_t kInline = 3;

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
  const Value* data() const { return on_heap() ? heap() : words_; }
  Value* data() { return on_heap() ? heap() : words_; }
  const Value* begin() const { return data(); }
  const Value* end() const { return data() + size_; }
  Value& operator[](uint32_t i) { return data()[i]; }
  Value back() const { return data()[size_ - 1]; }
  void set_back(Value v) { data()[size_ - 1] = v; }

  // Appends `v`; the heap block doubles when full.
  void push_back(Value v) {
    if (size_ < kInline) {
      words_[size_++] = v;
      return;
    }
    if (size_ == kInline) {
      Value* block = Allocate(8);
      std::memcpy(block, words_, sizeof(Value) * kInline);
      SetHeap(block, 8);
    } else if (size_ == capacity()) {
      SetHeap(Reallocate(heap(), 2 * size_), 2 * size_);
    }
    heap()[size_++] = v;
  }

  // Keeps the first `n` values (n <= size()) in a block of exactly that
  // size, or inline.
  void Truncate(uint32_t n) {
    if (!on_heap()) {
      size_ = n;
      return;
    }
    Value* old = heap();
    if (n <= kInline) {
      std::memcpy(words_, old, sizeof(Value) * n);
      std::free(old);
    } else {
      SetHeap(Reallocate(old, n), n);  // shrinks in place
    }
    size_ = n;
  }

  // Releases spare capacity.
  void ShrinkToFit() {
    if (on_heap() && capacity() != size_) Truncate(size_);
  }

  // Heap bytes held (0 when inline).
  size_t HeapBytes() const {
    return on_heap() ? sizeof(Value) * capacity() + 16 : 0;
  }

 private:
  // Inline: words_[0..size_) are the values. On the heap: words_[0] is the
  // capacity and words_[1..2] hold the block's address.
  bool on_heap() const { return size_ > kInline; }
  uint32_t capacity() const { return words_[0]; }
  Value* heap() const {
    Value* block;
    std::memcpy(&block, &words_[1], sizeof block);
    return block;
  }
  void SetHeap(Value* block, uint32_t capacity) {
    words_[0] = capacity;
    std::memcpy(&words_[1], &block, sizeof block);
  }
  static Value* Allocate(uint32_t n) {
    void* block = std::malloc(sizeof(Value) * n);
    if (block == nullptr) throw std::bad_alloc();
    return static_cast<Value*>(block);
  }
  // realloc: a large block grows by remapping its pages rather than copying
  // them, and a shrink stays where it is.
  static Value* Reallocate(Value* block, uint32_t n) {
    void* moved = std::realloc(block, sizeof(Value) * n);
    if (moved == nullptr) throw std::bad_alloc();
    return static_cast<Value*>(moved);
  }
  void Release() {
    if (on_heap()) std::free(heap());
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
