#include "server/arena_allocator.h"

#include <gtest/gtest.h>

#include "techmatch/v1/match_service.pb.h"

namespace techmatch::server {
namespace {

namespace v1 = techmatch::v1;

// Each call gets an empty request and response of its own on one arena,
// and whatever is built into them is freed with the holder.
TEST(ArenaMessageAllocator, GivesEachCallItsOwnArena) {
  ArenaMessageAllocator<v1::MatchOffersForNeedRequest,
                        v1::MatchOffersForNeedResponse>
      allocator(1024, 4096);
  auto* first = allocator.AllocateMessages();
  auto* second = allocator.AllocateMessages();
  ASSERT_NE(first->request()->GetArena(), nullptr);
  EXPECT_EQ(first->request()->GetArena(), first->response()->GetArena());
  EXPECT_NE(first->response()->GetArena(), second->response()->GetArena());
  EXPECT_EQ(first->request()->ByteSizeLong(), 0u);
  EXPECT_EQ(first->response()->ByteSizeLong(), 0u);

  // Far more than the first block: the arena grows, and sub-messages built
  // in place live on it.
  first->request()->set_need("needs/1");
  for (int i = 0; i < 200; ++i) {
    v1::OfferMatch* match = first->response()->add_matches();
    match->mutable_offer()->set_title(std::string(100, 'x'));
    match->mutable_explanation()->add_flags("near-miss TRL");
  }
  EXPECT_EQ(first->response()->matches(199).offer().GetArena(),
            first->response()->GetArena());
  EXPECT_EQ(first->response()->matches_size(), 200);
  first->Release();
  second->Release();
}

}  // namespace
}  // namespace techmatch::server
