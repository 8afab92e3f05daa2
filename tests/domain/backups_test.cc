#include "domain/backups.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "domain/registry.h"
#include "storage/backup.h"
#include "tests/domain/domain_stack.h"
#include "tests/test_util.h"

namespace techmatch::domain {
namespace {

namespace v1 = techmatch::v1;

class BackupsTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    stack_.Open(Path("db"), /*sync_writes=*/true);
    backups_ = std::make_unique<Backups>(stack_.catalog(), Path("backups"),
                                         stack_.audit());
    v1::CreateOrganizationRequest org;
    *org.mutable_organization() =
        testing::MakeOrg("Viện", v1::Organization::RESEARCH_INSTITUTE);
    owner_ =
        stack_.registry()->CreateOrganization(testing::Admin(), org)->name();
  }

  SystemClock clock_;
  testing::DomainStack stack_{&clock_};
  std::unique_ptr<Backups> backups_;
  std::string owner_;
};

TEST_F(BackupsTest, BackupDuringWritesRestoresToAConsistentState) {
  // Writers create and update offers while backups are taken.
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};
  std::thread writer([&] {
    std::string last;
    for (int i = 0; !stop.load(); ++i) {
      if (i % 3 == 2 && !last.empty()) {
        v1::UpdateOfferRequest update;
        update.mutable_offer()->set_name(last);
        update.mutable_offer()->set_summary("sửa lần " + std::to_string(i));
        if (stack_.registry()->UpdateOffer(testing::Admin(), update).ok())
          ++acknowledged;
        continue;
      }
      v1::CreateOfferRequest create;
      *create.mutable_offer() =
          testing::MakeOffer(owner_, "Công nghệ " + std::to_string(i));
      auto offer = stack_.registry()->CreateOffer(testing::Admin(), create);
      if (offer.ok()) {
        last = offer->name();
        ++acknowledged;
      }
    }
  });
  while (acknowledged.load() < 50)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::vector<uint32_t> ids;
  for (int b = 0; b < 3; ++b) {
    auto backup = backups_->Create(testing::Admin());
    ASSERT_OK(backup);
    ids.push_back(backup->id());
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  stop = true;
  writer.join();
  auto listed = backups_->List(testing::Admin());
  ASSERT_OK(listed);
  ASSERT_EQ(listed->backups_size(), 3);

  uint64_t previous_sequence = 0;
  for (uint32_t id : ids) {
    ASSERT_OK(backups_->Verify(testing::Admin(), id));
    v1::RestoreBackupRequest request;
    request.set_id(id);
    request.set_target_dir(Path("restored-" + std::to_string(id)));
    auto restored = backups_->Restore(testing::Admin(), request);
    ASSERT_OK(restored);
    EXPECT_GT(restored->offers(), 0u);
    EXPECT_EQ(restored->organizations(), 1u);
    // Later backups hold more history.
    EXPECT_GE(restored->last_change_sequence(), previous_sequence);
    previous_sequence = restored->last_change_sequence();

    // The copy is one point of the commit order: every change-log entry's
    // record is there at that version or the one the log ends with, every
    // record is in the log, and every offer has its owner index entry.
    storage::CatalogOptions options;
    options.path = request.target_dir();
    auto copy = storage::Catalog::Open(options);
    ASSERT_OK(copy);
    auto changes = (*copy)->ReadChanges(0, 1000000);
    ASSERT_OK(changes);
    ASSERT_EQ(changes->size(), (*copy)->last_sequence());
    std::map<std::string, int64_t> last_version;
    for (size_t i = 0; i < changes->size(); ++i) {
      EXPECT_EQ((*changes)[i].sequence(), i + 1);  // no gap
      last_version[(*changes)[i].resource()] = (*changes)[i].version();
    }
    uint64_t offers_seen = 0;
    ASSERT_OK((*copy)->Scan<v1::Offer>(0, [&](const v1::Offer& offer) {
      ++offers_seen;
      EXPECT_EQ(last_version[offer.name()], offer.version()) << offer.name();
      return true;
    }));
    EXPECT_EQ(offers_seen, restored->offers());
    uint64_t indexed = 0;
    ASSERT_OK((*copy)->ScanIndex(
        storage::IndexId::kOfferByOwner,
        storage::ParseName(storage::RecordKind::kOrganization, owner_, "owner")
            .value(),
        0, [&](uint64_t) {
          ++indexed;
          return true;
        }));
    EXPECT_EQ(indexed, offers_seen);
  }
  // A restore never overwrites data.
  v1::RestoreBackupRequest again;
  again.set_id(ids.front());
  again.set_target_dir(Path("restored-" + std::to_string(ids.front())));
  EXPECT_EQ(backups_->Restore(testing::Admin(), again).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(BackupsTest, OnlyAdminsAndADamagedBackupIsFound) {
  Caller reader;
  reader.principal.key = "apiKeys/9";
  reader.principal.role = v1::CENTRE_OPERATOR;
  EXPECT_EQ(backups_->Create(reader).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto backup = backups_->Create(testing::Admin());
  ASSERT_OK(backup);
  EXPECT_EQ(backups_->Verify(testing::Admin(), 99).status().code(),
            absl::StatusCode::kNotFound);
  // Damage one file of the backup (a table file, else for a tiny database
  // the WAL copy): verification says DATA_LOSS.
  auto damage_first = [&](const std::string& extension) {
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(Path("backups"))) {
      if (entry.is_regular_file() && entry.path().extension() == extension) {
        std::fstream f(entry.path(),
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(10);
        f.put('\x5a');
        return true;
      }
    }
    return false;
  };
  bool damaged = damage_first(".sst") || damage_first(".log");
  ASSERT_TRUE(damaged);
  EXPECT_EQ(backups_->Verify(testing::Admin(), backup->id()).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace techmatch::domain
