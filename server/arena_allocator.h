// ArenaMessageAllocator: a grpc::MessageAllocator for a callback unary
// method that puts each call's request and response on one protobuf arena.
// Building a match response takes about a thousand small allocations (the
// ten records decoded from the catalogue, the explanations' components,
// terms and strings); on the arena they are pointer bumps in a few large
// blocks, all freed at once when gRPC releases the call, instead of a
// thousand malloc/free pairs spread over gRPC's threads.
//
// The handler must build the response in place (arena-owned messages copy,
// not move, across arenas); see domain::Matchmaker's in-place calls.
//
// Thread-safety: AllocateMessages() may be called from any thread (it
// touches no shared state). The allocator must outlive the server.
#ifndef TECHMATCH_SERVER_ARENA_ALLOCATOR_H_
#define TECHMATCH_SERVER_ARENA_ALLOCATOR_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <cstddef>

namespace techmatch::server {

template <class Request, class Response>
class ArenaMessageAllocator final
    : public grpc::MessageAllocator<Request, Response> {
 public:
  // Each call's arena starts with a block of `first_block_bytes` (enough
  // for a typical call, so that it takes one block) and grows by blocks of
  // up to `max_block_bytes`.
  explicit ArenaMessageAllocator(size_t first_block_bytes = 32 << 10,
                                 size_t max_block_bytes = 128 << 10) {
    options_.start_block_size = first_block_bytes;
    options_.max_block_size = max_block_bytes;
  }

  // A fresh arena with an empty request and response on it; gRPC calls
  // Release() on the holder when the call is done, which frees them all.
  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    return new Holder(options_);
  }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    explicit Holder(const google::protobuf::ArenaOptions& options)
        : arena_(options) {
      this->set_request(
          google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(
          google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    google::protobuf::Arena arena_;
  };

  google::protobuf::ArenaOptions options_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_ARENA_ALLOCATOR_H_
