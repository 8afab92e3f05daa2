#include "domain/change_feed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/domain/domain_stack.h"
#include "tests/test_util.h"

namespace techmatch::domain {
namespace {

namespace v1 = techmatch::v1;

class ChangeFeedTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    stack_.Open(Path("db"), /*sync_writes=*/false);
    feed_ = std::make_unique<ChangeFeed>(stack_.catalog(), stack_.registry(),
                                         stack_.connections());
    centre_ = Org("Trung tâm", v1::Organization::REGIONAL_CENTRE, "");
    mine_ = Org("Công ty A", v1::Organization::ENTERPRISE, centre_);
    theirs_ = Org("Công ty B", v1::Organization::ENTERPRISE, "");
  }

  std::string Org(const std::string& name, v1::Organization::Kind kind,
                  const std::string& parent) {
    return stack_.Org(name, kind, parent);
  }

  std::string Need(const std::string& enterprise, bool published,
                   bool confidential) {
    v1::CreateNeedRequest request;
    *request.mutable_need() =
        testing::MakeNeed(enterprise, "Nhu cầu xử lý nước");
    if (published) request.mutable_need()->set_state(v1::PUBLISHED);
    if (confidential)
      request.mutable_need()->set_confidentiality(v1::CONFIDENTIAL);
    return stack_.registry()->CreateNeed(testing::Admin(), request)->name();
  }

  Caller As(const std::string& org, v1::Role role,
            v1::Organization::Kind kind) {
    Caller caller;
    caller.principal.key = "apiKeys/x";
    caller.principal.organization = org;
    caller.principal.role = role;
    caller.principal.org_kind = kind;
    return caller;
  }

  // Everything the feed sends `caller` after `after`, without following.
  std::vector<v1::FeedEvent> Read(const Caller& caller, uint64_t after) {
    std::vector<v1::FeedEvent> out;
    EXPECT_OK(feed_->Stream(
        caller, after, false,
        [&](const v1::FeedEvent& e) {
          out.push_back(e);
          return true;
        },
        [] { return false; }));
    return out;
  }

  SystemClock clock_;
  testing::DomainStack stack_{&clock_};
  std::unique_ptr<ChangeFeed> feed_;
  std::string centre_, mine_, theirs_;
};

TEST_F(ChangeFeedTest, SendsWhatTheCallerMaySeeInCommitOrderAndResumes) {
  std::string my_draft = Need(mine_, false, false);
  std::string their_draft = Need(theirs_, false, false);
  std::string their_public = Need(theirs_, true, false);
  std::string their_secret = Need(theirs_, true, true);
  Caller me = As(mine_, v1::ENTERPRISE, v1::Organization::ENTERPRISE);

  std::vector<v1::FeedEvent> all = Read(me, 0);
  std::vector<std::string> resources;
  uint64_t previous = 0;
  for (const auto& e : all) {
    EXPECT_GT(e.change().sequence(), previous);  // commit order
    previous = e.change().sequence();
    resources.push_back(e.change().resource());
    EXPECT_NE(e.record_case(), v1::FeedEvent::RECORD_NOT_SET);
  }
  // Three organisations, my draft, their public need; not their draft or
  // their confidential need.
  EXPECT_EQ(resources, (std::vector<std::string>{centre_, mine_, theirs_,
                                                 my_draft, their_public}));
  // The admin sees everything.
  EXPECT_EQ(Read(testing::Admin(), 0).size(), 7u);

  // Resuming after the third event gives the rest, and later changes.
  uint64_t cursor = all[2].change().sequence();
  v1::UpdateNeedRequest update;
  update.mutable_need()->set_name(my_draft);
  update.mutable_need()->set_min_trl(5);
  ASSERT_OK(stack_.registry()->UpdateNeed(testing::Admin(), update));
  std::vector<v1::FeedEvent> rest = Read(me, cursor);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].change().resource(), my_draft);
  EXPECT_EQ(rest[2].change().resource(), my_draft);
  EXPECT_EQ(rest[2].change().type(), v1::ChangeEvent::UPDATED);
  EXPECT_EQ(rest[2].need().min_trl(), 5);
  (void)their_draft;
  (void)their_secret;
}

TEST_F(ChangeFeedTest, FollowDeliversNewCommitsAsTheyHappen) {
  Caller me = As(mine_, v1::ENTERPRISE, v1::Organization::ENTERPRISE);
  uint64_t start = stack_.catalog()->last_sequence();
  std::atomic<bool> stop{false};
  std::vector<std::string> seen;
  std::mutex mu;
  std::thread watcher([&] {
    EXPECT_OK(feed_->Stream(
        me, start, true,
        [&](const v1::FeedEvent& e) {
          std::lock_guard<std::mutex> lock(mu);
          seen.push_back(e.change().resource());
          return seen.size() < 2;
        },
        [&] { return stop.load(); }, absl::Milliseconds(5)));
  });
  std::string first = Need(mine_, true, false);
  Need(theirs_, false, false);  // not visible to me
  std::string second = Need(mine_, false, true);
  watcher.join();  // ends when emit has had two events
  stop = true;
  EXPECT_EQ(seen, (std::vector<std::string>{first, second}));
}

}  // namespace
}  // namespace techmatch::domain
