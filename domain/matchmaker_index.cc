// Matchmaker, building its index at start-up: the full load from the
// catalog (LoadAll), and the index snapshot (Start, SaveSnapshot, its
// fingerprint and catch-up). The queries and commits are in matchmaker.cc.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>

#include "absl/container/btree_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "domain/matchmaker.h"
#include "google/protobuf/util/time_util.h"
#include "matching/unicode_text.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

namespace v1 = techmatch::v1;
using google::protobuf::util::TimeUtil;

absl::Status Matchmaker::LoadAll(
    const std::function<void(size_t, size_t)>& progress) {
  // Two stages: a reader thread scans RocksDB, converts and analyses the
  // text; this thread indexes each batch on all cores (the reader keeps
  // one of them busy too). Batches pass through a bounded queue so memory
  // stays flat whatever the catalog's size (~3 KB of packed analysed text
  // per record: ~25 MB a batch); larger batches touch each term's list
  // fewer times. (At a million offers a queue of one or two batches made
  // no difference in time; one holds less.)
  struct Item {
    std::variant<matching::OfferDoc, matching::NeedDoc> doc;
    matching::AnalyzedText text;
  };
  using Batch = std::vector<Item>;
  constexpr size_t kBatch = 8192, kQueued = 1;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  // No commit runs during the load (see the header): the index will hold
  // every change up to here.
  applied_sequence_.store(catalog_->last_sequence());
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Batch> queue;
  bool finished = false, stop = false;
  absl::Status scan_status;

  std::thread reader([&] {
    Batch batch;
    auto push = [&] {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return queue.size() < kQueued || stop; });
      if (stop) return false;
      queue.push_back(std::move(batch));
      batch = Batch();
      changed.notify_all();
      return true;
    };
    auto add = [&](auto doc) {
      matching::AnalyzedText text = matcher_.Analyze(doc.text);
      doc.text.Release();
      batch.push_back(Item{std::move(doc), std::move(text)});
      return batch.size() < kBatch || push();
    };
    absl::Status status =
        catalog_->Scan<v1::Offer>(0, [&](const v1::Offer& offer) {
          return add(ToOfferDoc(offer, *reference_));
        });
    if (status.ok()) {
      status = catalog_->Scan<v1::Need>(0, [&](const v1::Need& need) {
        return add(ToNeedDoc(need, *reference_));
      });
    }
    if (status.ok() && !batch.empty()) push();
    std::lock_guard<std::mutex> lock(mu);
    scan_status = status;
    finished = true;
    changed.notify_all();
  });

  size_t offers = 0, needs = 0, next_report = 50000;
  while (true) {
    Batch batch;
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return !queue.empty() || finished; });
      if (queue.empty()) break;
      batch = std::move(queue.front());
      queue.pop_front();
      changed.notify_all();
    }
    // Offers and needs of a batch each go in as one index batch.
    std::vector<matching::OfferDoc> offer_docs;
    std::vector<matching::NeedDoc> need_docs;
    std::vector<matching::AnalyzedText> offer_texts, need_texts;
    for (Item& item : batch) {
      if (auto* offer = std::get_if<matching::OfferDoc>(&item.doc)) {
        offer_docs.push_back(std::move(*offer));
        offer_texts.push_back(std::move(item.text));
      } else {
        need_docs.push_back(std::move(std::get<matching::NeedDoc>(item.doc)));
        need_texts.push_back(std::move(item.text));
      }
    }
    offers += offer_docs.size();
    needs += need_docs.size();
    if (!offer_docs.empty())
      matcher_.UpsertOffers(std::move(offer_docs), offer_texts, threads);
    if (!need_docs.empty())
      matcher_.UpsertNeeds(std::move(need_docs), need_texts, threads);
    if (progress && offers + needs >= next_report) {
      progress(offers, needs);
      next_report += 50000;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
    changed.notify_all();
  }
  reader.join();
  TM_RETURN_IF_ERROR(scan_status);
  // The reader is done: the shrink and the bound refresh are split too.
  matcher_.ShrinkToFit(threads);
  if (progress) progress(offers, needs);
  return absl::OkStatus();
}

namespace {

constexpr char kSnapshotMagic[8] = {'T', 'M', 'I', 'N', 'D', 'E', 'X', '\n'};
constexpr uint32_t kSnapshotFormat = 3;  // 3: index fingerprint, not build id

}  // namespace

std::string Matchmaker::IndexFingerprint() const {
  const auto& provinces = reference_->provinces();
  const std::string first = provinces.empty() ? "" : provinces.front().code;
  const std::string last = provinces.empty() ? "" : provinces.back().code;
  matching::Matcher sample;
  v1::Offer offer;
  offer.set_name("offers/1");
  offer.set_title(
      "Công nghệ SẤY lạnh nông sản: máy sấy bơm nhiệt 500kg/mẻ (HACCP, IoT)");
  offer.add_keywords("sấy thăng hoa");
  offer.add_keywords("hoà tan, hòa tan");
  offer.set_summary(
      "Xử lý nước thải thủy sản 500 m3/ngày đêm; PLC, cảm biến pH 6.5-8.5.");
  // Combining marks (NFD), Đ, an emoji, control characters, Latin-1.
  offer.set_description(
      "Ho\u0300a tie\u0302\u0301t kiệm Đường 😀 tab\tvà dòng\n"
      "CO2 ISO-9001 v2.1 café");
  offer.set_advantages("Tiết kiệm 30% điện năng. cong nghe say khong dau");
  offer.add_sector_codes("C10");
  offer.add_sector_codes("C28.2");
  offer.set_trl(7);
  offer.mutable_price()->set_min_vnd(1'500'000'000);
  offer.mutable_price()->set_max_vnd(3'000'000'000);
  offer.set_province(first);
  offer.add_transfer_modes(v1::LICENSE);
  offer.add_transfer_modes(v1::TRAINING);
  offer.mutable_publish_time()->set_seconds(1'700'000'000);
  offer.mutable_expire_time()->set_seconds(1'900'000'000);
  offer.set_state(v1::PUBLISHED);
  v1::Offer plain;
  plain.set_name("offers/2");
  plain.set_title("may say nong san");
  plain.mutable_price()->set_negotiable(true);
  plain.mutable_update_time()->set_seconds(1'600'000'000);
  plain.set_state(v1::DRAFT);
  v1::Need need;
  need.set_name("needs/3");
  need.set_title("Cần quy trình xử lý nước thải chế biến tôm");
  need.add_keywords("nước thải");
  need.set_description(
      "Công suất 500 m3/ngày; ngân sách 2 tỷ đồng. Ưu tiên chuyển giao tại "
      "chỗ.");
  need.add_sector_codes("E37");
  need.set_min_trl(6);
  need.set_budget_max_vnd(2'000'000'000);
  need.set_province(last);
  need.add_preferred_transfer_modes(v1::ASSIGNMENT);
  need.add_strict_constraints(v1::STRICT_MIN_TRL);
  need.add_strict_constraints(v1::STRICT_BUDGET);
  need.mutable_publish_time()->set_seconds(1'700'000'500);
  need.set_state(v1::PUBLISHED);
  need.set_confidentiality(v1::CONFIDENTIAL);
  sample.UpsertOffer(ToOfferDoc(offer, *reference_));
  sample.UpsertOffer(ToOfferDoc(plain, *reference_));
  sample.UpsertNeed(ToNeedDoc(need, *reference_));
  std::unique_ptr<matching::SnapshotWriter> out =
      matching::SnapshotWriter::InMemory();
  sample.Save(*out);
  return out->memory();
}

std::string Matchmaker::ReferenceFingerprint() const {
  std::string out;
  for (const ProvinceInfo& p : reference_->provinces()) {
    absl::StrAppend(&out, p.code, "\t", p.region_vi, "\n");
  }
  return out;
}

absl::StatusOr<std::string> Matchmaker::ChangeAt(uint64_t sequence) const {
  if (sequence == 0) return std::string();
  TM_ASSIGN_OR_RETURN(std::vector<v1::ChangeEvent> changes,
                      catalog_->ReadChanges(sequence - 1, 1));
  if (changes.empty() || changes[0].sequence() != sequence) {
    return absl::FailedPreconditionError(
        absl::StrCat("the catalog has no change-log entry ", sequence));
  }
  return changes[0].SerializeAsString();
}

absl::StatusOr<uint64_t> Matchmaker::SaveSnapshot(
    const IndexSnapshotOptions& snapshot) const {
  if (snapshot.path.empty() || snapshot.fingerprint.empty()) {
    return absl::FailedPreconditionError(
        "index snapshots are off (no path or no fingerprint)");
  }
  // Read before the matcher's state: that state holds at least this change
  // (later ones are re-read harmlessly at the next start).
  const uint64_t sequence = applied_sequence_.load();
  TM_ASSIGN_OR_RETURN(std::string change, ChangeAt(sequence));
  TM_ASSIGN_OR_RETURN(std::unique_ptr<matching::SnapshotWriter> out,
                      matching::SnapshotWriter::Create(snapshot.path));
  out->Bytes(kSnapshotMagic, sizeof kSnapshotMagic);
  out->Pod(kSnapshotFormat);
  out->String(snapshot.fingerprint);
  out->String(ReferenceFingerprint());
  out->Pod(sequence);
  out->String(change);
  out->Pod<uint64_t>(matcher_.offer_count() + matcher_.need_count());
  matcher_.Save(*out);
  const uint64_t bytes = out->written();
  TM_RETURN_IF_ERROR(out->Commit());
  snapshot_sequence_.store(sequence);
  return bytes;
}

absl::Status Matchmaker::LoadSnapshot(const IndexSnapshotOptions& snapshot,
                                      LoadReport* report) {
  TM_ASSIGN_OR_RETURN(std::unique_ptr<matching::SnapshotReader> in,
                      matching::SnapshotReader::Open(snapshot.path));
  char magic[sizeof kSnapshotMagic] = {};
  uint32_t format = 0;
  std::string fingerprint, reference, change;
  uint64_t sequence = 0, records = 0;
  if (!in->Bytes(magic, sizeof magic) ||
      std::memcmp(magic, kSnapshotMagic, sizeof magic) != 0 ||
      !in->Pod(&format) || format != kSnapshotFormat ||
      !in->String(&fingerprint) || !in->String(&reference) ||
      !in->Pod(&sequence) || !in->String(&change) || !in->Pod(&records)) {
    return absl::FailedPreconditionError(
        "not an index snapshot of this format");
  }
  if (fingerprint != snapshot.fingerprint) {
    return absl::FailedPreconditionError(
        "written by a build that indexes differently (its index fingerprint "
        "differs: analysis, record conversion or index format changed)");
  }
  if (reference != ReferenceFingerprint()) {
    return absl::FailedPreconditionError(
        "written with other reference data (provinces or regions changed)");
  }
  if (sequence > catalog_->last_sequence()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "taken at change ", sequence, ", past the catalog's last change ",
        catalog_->last_sequence(), " (another or a restored database?)"));
  }
  // Catching up re-reads each changed record on one thread (~160 us each
  // at a million offers, against ~70 us of wall time per record for the
  // two-stage full load): past a quarter of the index, rebuilding is faster.
  const uint64_t behind = catalog_->last_sequence() - sequence;
  if (behind > std::max<uint64_t>(snapshot.catch_up_always, records / 4)) {
    return absl::FailedPreconditionError(
        absl::StrCat("taken ", behind, " changes ago (", records,
                     " records): a full rebuild is faster"));
  }
  absl::StatusOr<std::string> ours = ChangeAt(sequence);
  if (!ours.ok()) return ours.status();
  if (*ours != change) {
    return absl::FailedPreconditionError(absl::StrCat(
        "change ", sequence, " differs from the catalog's (another history)"));
  }
  TM_RETURN_IF_ERROR(matcher_.Load(*in));
  report->from_snapshot = true;
  report->snapshot_sequence = sequence;
  snapshot_sequence_.store(sequence);
  return absl::OkStatus();
}

absl::Status Matchmaker::CatchUp(uint64_t after, LoadReport* report) {
  absl::btree_set<uint64_t> offers, needs;
  constexpr size_t kRead = 4096;
  while (true) {
    TM_ASSIGN_OR_RETURN(std::vector<v1::ChangeEvent> changes,
                        catalog_->ReadChanges(after, kRead));
    for (const v1::ChangeEvent& change : changes) {
      after = change.sequence();
      ++report->changes_after;
      const std::string& name = change.resource();
      if (absl::StartsWith(name, "offers/")) {
        offers.insert(storage::ParseName(storage::RecordKind::kOffer, name, "")
                          .value_or(0));
      } else if (absl::StartsWith(name, "needs/")) {
        needs.insert(storage::ParseName(storage::RecordKind::kNeed, name, "")
                         .value_or(0));
      }
    }
    if (changes.size() < kRead) break;
  }
  // Each named record as it stands now (whatever happened in between),
  // through the same batch path as a full load.
  constexpr size_t kBatch = 1024;
  auto reread = [&](const absl::btree_set<uint64_t>& ids, auto tag, auto to_doc,
                    auto upsert, auto remove) -> absl::Status {
    using Record = typename decltype(tag)::type;
    using Doc = decltype(to_doc(Record()));
    std::vector<Doc> docs;
    std::vector<matching::AnalyzedText> texts;
    auto flush = [&] {
      upsert(std::move(docs), texts);
      docs.clear();
      texts.clear();
    };
    for (uint64_t id : ids) {
      if (id == 0) continue;
      ++report->records_reread;
      absl::StatusOr<Record> record = catalog_->Get<Record>(id);
      if (absl::IsNotFound(record.status())) {
        remove(id);
        continue;
      }
      TM_RETURN_IF_ERROR(record.status());
      Doc doc = to_doc(*record);
      texts.push_back(matcher_.Analyze(doc.text));
      doc.text.Release();
      docs.push_back(std::move(doc));
      if (docs.size() == kBatch) flush();
    }
    if (!docs.empty()) flush();
    return absl::OkStatus();
  };
  TM_RETURN_IF_ERROR(reread(
      offers, std::type_identity<v1::Offer>(),
      [&](const v1::Offer& o) { return ToOfferDoc(o, *reference_); },
      [&](std::vector<matching::OfferDoc> d,
          const std::vector<matching::AnalyzedText>& t) {
        matcher_.UpsertOffers(std::move(d), t);
      },
      [&](uint64_t id) { matcher_.RemoveOffer(id); }));
  TM_RETURN_IF_ERROR(reread(
      needs, std::type_identity<v1::Need>(),
      [&](const v1::Need& n) { return ToNeedDoc(n, *reference_); },
      [&](std::vector<matching::NeedDoc> d,
          const std::vector<matching::AnalyzedText>& t) {
        matcher_.UpsertNeeds(std::move(d), t);
      },
      [&](uint64_t id) { matcher_.RemoveNeed(id); }));
  applied_sequence_.store(after);
  return absl::OkStatus();
}

absl::StatusOr<LoadReport> Matchmaker::Start(
    const IndexSnapshotOptions& snapshot,
    const std::function<void(size_t, size_t)>& progress) {
  LoadReport report;
  if (snapshot.path.empty() || snapshot.fingerprint.empty()) {
    report.snapshot_skipped = "snapshots are off";
  } else {
    absl::Status loaded = LoadSnapshot(snapshot, &report);
    if (loaded.ok()) {
      // From here the matcher holds the snapshot: a catalog that cannot be
      // read is an error, not a reason to rebuild.
      TM_RETURN_IF_ERROR(CatchUp(report.snapshot_sequence, &report));
      const unsigned threads =
          std::max(1u, std::thread::hardware_concurrency());
      if (report.records_reread > 0) matcher_.ShrinkToFit(threads);
    } else {
      report.snapshot_skipped = absl::IsNotFound(loaded)
                                    ? "no snapshot"
                                    : std::string(loaded.message());
    }
  }
  if (!report.from_snapshot) TM_RETURN_IF_ERROR(LoadAll(progress));
  report.offers = matcher_.offer_count();
  report.needs = matcher_.need_count();
  if (report.from_snapshot && progress) progress(report.offers, report.needs);
  return report;
}

}  // namespace techmatch::domain
