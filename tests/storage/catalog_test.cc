#include "storage/catalog.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <functional>
#include <map>

#include "storage/key_codec.h"
#include "techmatch/v1/match_service.pb.h"
#include "tests/test_util.h"

namespace techmatch::storage {
namespace {

using techmatch::v1::ChangeEvent;
using techmatch::v1::Offer;
using techmatch::v1::Organization;

class CatalogTest : public testing::TempDirTest {
 protected:
  std::unique_ptr<Catalog> OpenCatalog() {
    CatalogOptions options;
    options.path = Path("db");
    auto catalog = Catalog::Open(options);
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    return catalog.ok() ? *std::move(catalog) : nullptr;
  }

  static Offer NewOffer(Catalog& catalog, const std::string& ref,
                        techmatch::v1::State state) {
    Offer offer;
    offer.set_name(MakeName(RecordKind::kOffer,
                            catalog.AllocateId(RecordKind::kOffer)));
    offer.set_owner("organizations/3");
    offer.set_external_ref(ref);
    offer.set_title("t");
    offer.set_state(state);
    offer.set_version(1);
    return offer;
  }

  static std::vector<uint64_t> IdsIn(const Catalog& catalog, IndexId index,
                                     uint64_t scope) {
    std::vector<uint64_t> ids;
    EXPECT_TRUE(catalog
                    .ScanIndex(index, scope, 0,
                               [&](uint64_t id) {
                                 ids.push_back(id);
                                 return true;
                               })
                    .ok());
    return ids;
  }
};

TEST_F(CatalogTest, CommitWritesRecordIndexesAndChangeLogTogether) {
  auto catalog = OpenCatalog();
  ASSERT_NE(catalog, nullptr);
  Offer offer = NewOffer(*catalog, "REF-1", techmatch::v1::DRAFT);
  auto events = catalog->Commit(
      {RecordWrite<Offer>{std::nullopt, offer, ChangeEvent::CREATED}},
      absl::FromUnixSeconds(1000));
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].sequence(), 1u);
  EXPECT_EQ((*events)[0].resource(), offer.name());
  EXPECT_EQ(catalog->last_sequence(), 1u);

  auto stored = catalog->Get<Offer>(1);
  ASSERT_OK(stored);
  EXPECT_EQ(stored->title(), "t");
  auto found = catalog->FindByRef(IndexId::kOfferByRef, 3, "REF-1");
  ASSERT_OK(found);
  EXPECT_EQ(found->value_or(0), 1u);
  EXPECT_EQ(IdsIn(*catalog, IndexId::kOfferByOwner, 3),
            std::vector<uint64_t>{1});
  EXPECT_EQ(IdsIn(*catalog, IndexId::kOfferByState, techmatch::v1::DRAFT),
            std::vector<uint64_t>{1});
}

TEST_F(CatalogTest, UpdateReplacesStaleIndexEntries) {
  auto catalog = OpenCatalog();
  ASSERT_NE(catalog, nullptr);
  Offer before = NewOffer(*catalog, "OLD", techmatch::v1::DRAFT);
  ASSERT_OK(catalog->Commit({RecordWrite<Offer>{std::nullopt, before,
                                                ChangeEvent::CREATED}},
                            absl::Now()));
  Offer after = before;
  after.set_external_ref("NEW");
  after.set_state(techmatch::v1::PUBLISHED);
  after.set_version(2);
  ASSERT_OK(catalog->Commit(
      {RecordWrite<Offer>{before, after, ChangeEvent::PUBLISHED}}, absl::Now()));

  EXPECT_FALSE(catalog->FindByRef(IndexId::kOfferByRef, 3, "OLD")->has_value());
  EXPECT_TRUE(catalog->FindByRef(IndexId::kOfferByRef, 3, "NEW")->has_value());
  EXPECT_TRUE(IdsIn(*catalog, IndexId::kOfferByState, techmatch::v1::DRAFT).empty());
  EXPECT_EQ(IdsIn(*catalog, IndexId::kOfferByState, techmatch::v1::PUBLISHED),
            std::vector<uint64_t>{1});
  auto changes = catalog->ReadChanges(0, 10);
  ASSERT_OK(changes);
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[1].type(), ChangeEvent::PUBLISHED);
  EXPECT_EQ((*changes)[1].version(), 2);
}

TEST_F(CatalogTest, CountersSurviveReopen) {
  {
    auto catalog = OpenCatalog();
    ASSERT_NE(catalog, nullptr);
    std::vector<AnyRecordWrite> writes;
    for (int i = 0; i < 3; ++i) {
      writes.push_back(RecordWrite<Offer>{
          std::nullopt, NewOffer(*catalog, "R" + std::to_string(i),
                                 techmatch::v1::DRAFT),
          ChangeEvent::CREATED});
    }
    ASSERT_OK(catalog->Commit(writes, absl::Now()));
  }
  auto catalog = OpenCatalog();
  ASSERT_NE(catalog, nullptr);
  EXPECT_EQ(catalog->last_sequence(), 3u);
  EXPECT_EQ(catalog->AllocateId(RecordKind::kOffer), 4u);
  EXPECT_EQ(catalog->AllocateId(RecordKind::kOrganization), 1u);
  int seen = 0;
  ASSERT_OK(catalog->Scan<Offer>(1, [&](const Offer&) {
    ++seen;
    return true;
  }));
  EXPECT_EQ(seen, 2);  // ids 2 and 3
}

TEST_F(CatalogTest, GetMissingIsNotFound) {
  auto catalog = OpenCatalog();
  ASSERT_NE(catalog, nullptr);
  EXPECT_EQ(catalog->Get<Organization>(9).status().code(),
            absl::StatusCode::kNotFound);
}

// ReadMany decodes in the order asked (repeats included), skips absent ids,
// reads the memtable and table files alike, and decodes into the caller's
// messages, arena-owned ones included.
TEST_F(CatalogTest, ReadManyKeepsOrderAndSkipsGaps) {
  auto catalog = OpenCatalog();
  ASSERT_NE(catalog, nullptr);
  std::vector<AnyRecordWrite> writes;
  for (int i = 0; i < 3; ++i) {
    Offer offer =
        NewOffer(*catalog, "R" + std::to_string(i), techmatch::v1::DRAFT);
    offer.set_title("title " + std::to_string(i));
    writes.push_back(
        RecordWrite<Offer>{std::nullopt, offer, ChangeEvent::CREATED});
  }
  ASSERT_OK(catalog->Commit(writes, absl::Now()));
  ASSERT_OK(catalog->Flush());  // ids 1-3 in a table file
  Offer fourth = NewOffer(*catalog, "R3", techmatch::v1::DRAFT);
  fourth.set_title("title 3");  // id 4, still in the memtable
  ASSERT_OK(catalog->Commit(
      {RecordWrite<Offer>{std::nullopt, fourth, ChangeEvent::CREATED}},
      absl::Now()));

  google::protobuf::Arena arena;
  auto* page = google::protobuf::Arena::CreateMessage<
      techmatch::v1::SearchOffersResponse>(&arena);
  std::vector<size_t> positions;
  ASSERT_OK(catalog->ReadMany<Offer>({4, 9, 1, 3, 1}, [&](size_t i) {
    positions.push_back(i);
    return page->add_results()->mutable_offer();
  }));
  EXPECT_EQ(positions, (std::vector<size_t>{0, 2, 3, 4}));
  ASSERT_EQ(page->results_size(), 4);
  EXPECT_EQ(page->results(0).offer().title(), "title 3");
  EXPECT_EQ(page->results(1).offer().title(), "title 0");
  EXPECT_EQ(page->results(2).offer().title(), "title 2");
  EXPECT_EQ(page->results(3).offer().title(), "title 0");
  EXPECT_EQ(page->results(0).offer().GetArena(), &arena);

  bool called = false;
  ASSERT_OK(catalog->ReadMany<Offer>({}, [&](size_t) -> Offer* {
    called = true;
    return nullptr;
  }));
  EXPECT_FALSE(called);
}

TEST_F(CatalogTest, RefusesOtherFormatVersion) {
  { ASSERT_NE(OpenCatalog(), nullptr); }
  {
    // Rewrite the meta family's format version behind the catalog's back.
    // The families are read from the database itself, as a repair tool would.
    rocksdb::Options options;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, Path("db"), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    size_t meta = names.size();
    for (size_t i = 0; i < names.size(); ++i) {
      families.emplace_back(names[i], rocksdb::ColumnFamilyOptions());
      if (names[i] == ColumnFamilyName(ColumnFamily::kMeta)) meta = i;
    }
    ASSERT_LT(meta, names.size());
    rocksdb::DB* db = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(rocksdb::DB::Open(options, Path("db"), families, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[meta], "format_version",
                        std::string("\0\0\0\x63", 4))
                    .ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  CatalogOptions options;
  options.path = Path("db");
  auto catalog = Catalog::Open(options);
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CatalogTest, SecondOpenOfSameDirectoryFails) {
  auto first = OpenCatalog();
  ASSERT_NE(first, nullptr);
  CatalogOptions options;
  options.path = Path("db");
  EXPECT_FALSE(Catalog::Open(options).ok());
}

}  // namespace
}  // namespace techmatch::storage

namespace techmatch::storage {
namespace {

// Issue 20, item 3: whatever a path lets through, no record larger than
// kMaxRecordBytes is stored, and a commit holding one writes nothing.
TEST_F(CatalogTest, ARecordPastTheSizeBoundIsRefusedWithItsBatch) {
  auto catalog = OpenCatalog();
  ASSERT_NE(catalog, nullptr);
  Offer small = NewOffer(*catalog, "S", techmatch::v1::DRAFT);
  Offer large = NewOffer(*catalog, "L", techmatch::v1::DRAFT);
  large.set_description(std::string(Catalog::kMaxRecordBytes, 'x'));
  auto events = catalog->Commit(
      {RecordWrite<Offer>{std::nullopt, small, ChangeEvent::CREATED},
       RecordWrite<Offer>{std::nullopt, large, ChangeEvent::CREATED}},
      absl::FromUnixSeconds(1000));
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(events.status().message().find(large.name()), std::string::npos);
  EXPECT_EQ(catalog->last_sequence(), 0u);
  EXPECT_TRUE(absl::IsNotFound(catalog->Get<Offer>(1).status()));

  large.set_description(std::string(Catalog::kMaxRecordBytes - 100, 'x'));
  ASSERT_OK(catalog->Commit(
      {RecordWrite<Offer>{std::nullopt, large, ChangeEvent::CREATED}},
      absl::FromUnixSeconds(1000)));
}

}  // namespace
}  // namespace techmatch::storage

namespace techmatch::storage {
namespace {

// Opens the database at `path` behind the catalog's back, as a repair tool
// would, and runs `edit` with the handle of each column family.
void EditRaw(const std::string& path,
             const std::function<void(
                 rocksdb::DB*,
                 std::map<std::string, rocksdb::ColumnFamilyHandle*>&)>& edit) {
  rocksdb::Options options;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) {
    families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, families, &handles, &db).ok());
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
  for (size_t i = 0; i < names.size(); ++i) by_name[names[i]] = handles[i];
  edit(db, by_name);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

// Format 1 keyed need refs by the centre alone (else the enterprise); a
// format-1 database is re-keyed by (centre, enterprise) when opened.
TEST_F(CatalogTest, MigratesFormatOneNeedReferences) {
  techmatch::v1::Need with_centre, without_centre;
  {
    auto catalog = OpenCatalog();
    ASSERT_NE(catalog, nullptr);
    for (auto* need : {&with_centre, &without_centre}) {
      need->set_name(
          MakeName(RecordKind::kNeed, catalog->AllocateId(RecordKind::kNeed)));
      need->set_enterprise("organizations/5");
      need->set_external_ref("N-1");
      need->set_title("t");
      need->set_version(1);
    }
    with_centre.set_centre("organizations/9");
    ASSERT_OK(catalog->Commit(
        {RecordWrite<techmatch::v1::Need>{std::nullopt, with_centre,
                                          ChangeEvent::CREATED},
         RecordWrite<techmatch::v1::Need>{std::nullopt, without_centre,
                                          ChangeEvent::CREATED}},
        absl::Now()));
  }
  const std::string old_centre_key = RefKey(IndexId::kNeedByRef, 9, "N-1");
  const std::string old_enterprise_key = RefKey(IndexId::kNeedByRef, 5, "N-1");
  EditRaw(Path("db"), [&](rocksdb::DB* db, auto& cf) {
    auto* index = cf[std::string(ColumnFamilyName(ColumnFamily::kIndex))];
    ASSERT_TRUE(db->Delete({}, index, NeedRefKey(with_centre)).ok());
    ASSERT_TRUE(db->Delete({}, index, NeedRefKey(without_centre)).ok());
    ASSERT_TRUE(db->Put({}, index, old_centre_key, EncodeU64(1)).ok());
    ASSERT_TRUE(db->Put({}, index, old_enterprise_key, EncodeU64(2)).ok());
    ASSERT_TRUE(db->Put({},
                        cf[std::string(ColumnFamilyName(ColumnFamily::kMeta))],
                        "format_version", std::string("\0\0\0\x01", 4))
                    .ok());
  });
  for (int open = 0; open < 2; ++open) {  // the second open finds format 2
    auto catalog = OpenCatalog();
    ASSERT_NE(catalog, nullptr);
    EXPECT_EQ(catalog->FindByRefKey(NeedRefKey(with_centre))->value_or(0), 1u);
    EXPECT_EQ(catalog->FindByRefKey(NeedRefKey(without_centre))->value_or(0),
              2u);
    EXPECT_FALSE(catalog->FindByRefKey(old_centre_key)->has_value());
    EXPECT_FALSE(catalog->FindByRefKey(old_enterprise_key)->has_value());
  }
}

}  // namespace
}  // namespace techmatch::storage
