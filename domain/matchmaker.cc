#include "domain/matchmaker.h"

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
#include "google/protobuf/util/time_util.h"
#include "matching/unicode_text.h"
#include "storage/resource_name.h"

namespace techmatch::domain {

namespace v1 = techmatch::v1;
using google::protobuf::util::TimeUtil;

namespace {

int64_t Micros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

std::string JoinPhrases(const google::protobuf::RepeatedPtrField<std::string>& v) {
  std::string out;
  for (const auto& s : v) absl::StrAppend(&out, out.empty() ? "" : " . ", s);
  return out;
}

std::string RegionOf(const std::string& province, const ReferenceData& reference) {
  const ProvinceInfo* info = reference.FindProvince(province);
  return info == nullptr ? "" : info->region_vi;
}

uint64_t IdOf(storage::RecordKind kind, const std::string& name) {
  auto id = storage::ParseName(kind, name, "");
  return id.ok() ? *id : 0;
}

v1::MatchLabel ToProto(matching::Label label) {
  switch (label) {
    case matching::Label::kStrong:
      return v1::STRONG;
    case matching::Label::kPossible:
      return v1::POSSIBLE;
    case matching::Label::kWeak:
      return v1::WEAK;
  }
  return v1::WEAK;
}

void ToProto(const matching::MatchHit& hit, v1::MatchExplanation* out) {
  out->set_text_score(hit.text_score);
  out->set_coverage(hit.coverage);
  out->set_relevance(hit.relevance);
  for (const auto& c : hit.components) {
    v1::ScoreComponent* p = out->add_components();
    p->set_name(c.name);
    p->set_value(c.value);
    p->set_weight(c.weight);
    p->set_contribution(c.contribution);
    p->set_neutral(c.neutral);
    p->set_detail(c.detail);
  }
  for (const auto& t : hit.top_terms) {
    v1::TermShare* p = out->add_top_terms();
    p->set_term(t.term);
    p->set_share(t.share);
    p->set_via(t.via);
    p->set_matched(t.matched);
  }
  for (const auto& f : hit.flags) out->add_flags(f);
}

std::string NextToken(size_t offset, size_t returned, size_t limit,
                      size_t candidates) {
  size_t next = offset + returned;
  if (returned < limit || next >= candidates ||
      next >= static_cast<size_t>(Matchmaker::kMaxDepth)) {
    return "";
  }
  return absl::StrCat("o", next);
}

// Sets a response's best label and, when nothing is better than WEAK, its
// plain "no good match" sentence about `what` ("offer", "need", "result").
template <class Response>
void SetVerdict(const matching::MatchResult& result, const char* what,
                const char* asked, Response* response) {
  response->set_best_label(ToProto(result.best));
  if (result.best != matching::Label::kWeak) return;
  response->set_no_good_match(
      result.candidates == 0
          ? absl::StrCat("No ", what, " shares anything with what ", asked,
                         " asks for: there is no match.")
          : absl::StrCat("No good match: no ", what, " answers what ", asked,
                         " asks for (the best scores ",
                         absl::StrFormat("%.2f", result.best_score),
                         ", WEAK)."));
}

// Appends to `out` the stored records of `hits`, skipping any that
// vanished, each decoded straight into its item (on `out`'s arena, if any).
template <class T, class Item>
absl::Status Hydrate(const storage::Catalog& catalog,
                     const std::vector<matching::MatchHit>& hits,
                     google::protobuf::RepeatedPtrField<Item>* out,
                     T* (Item::*mutable_record)()) {
  std::vector<uint64_t> ids;
  ids.reserve(hits.size());
  for (const auto& hit : hits) ids.push_back(hit.id);
  out->Reserve(out->size() + static_cast<int>(hits.size()));
  return catalog.ReadMany<T>(ids, [&](size_t i) {
    Item* item = out->Add();
    item->set_score(hits[i].score);
    item->set_label(ToProto(hits[i].label));
    ToProto(hits[i], item->mutable_explanation());
    return (item->*mutable_record)();
  });
}

}  // namespace

matching::OfferDoc ToOfferDoc(const v1::Offer& offer,
                              const ReferenceData& reference) {
  matching::OfferDoc d;
  d.id = IdOf(storage::RecordKind::kOffer, offer.name());
  d.text.title = offer.title();
  d.text.keywords = JoinPhrases(offer.keywords());
  d.text.body = absl::StrCat(offer.summary(), "\n", offer.description(), "\n",
                             offer.advantages());
  d.sectors.assign(offer.sector_codes().begin(), offer.sector_codes().end());
  d.trl = offer.trl();
  if (!offer.price().negotiable()) {
    d.price_min = offer.price().min_vnd();
    d.price_max = offer.price().max_vnd();
  }
  d.province = offer.province();
  d.region = RegionOf(offer.province(), reference);
  for (int mode : offer.transfer_modes()) d.transfer_modes |= 1u << mode;
  d.fresh_micros = offer.has_publish_time() ? Micros(offer.publish_time())
                                            : Micros(offer.update_time());
  d.expire_micros = offer.has_expire_time() ? Micros(offer.expire_time()) : 0;
  d.published = offer.state() == v1::PUBLISHED;
  return d;
}

matching::NeedDoc ToNeedDoc(const v1::Need& need,
                            const ReferenceData& reference) {
  matching::NeedDoc d;
  d.id = IdOf(storage::RecordKind::kNeed, need.name());
  d.text.title = need.title();
  d.text.keywords = JoinPhrases(need.keywords());
  d.text.body = need.description();
  d.sectors.assign(need.sector_codes().begin(), need.sector_codes().end());
  d.min_trl = need.min_trl();
  if (need.has_budget_max_vnd() && need.budget_max_vnd() > 0) {
    d.budget_max = need.budget_max_vnd();
  }
  d.province = need.province();
  d.region = RegionOf(need.province(), reference);
  for (int mode : need.preferred_transfer_modes()) d.transfer_modes |= 1u << mode;
  for (int c : need.strict_constraints()) d.strict |= 1u << c;
  d.fresh_micros = need.has_publish_time() ? Micros(need.publish_time())
                                           : Micros(need.update_time());
  d.expire_micros = need.has_expire_time() ? Micros(need.expire_time()) : 0;
  d.published = need.state() == v1::PUBLISHED;
  d.confidential = need.confidentiality() == v1::CONFIDENTIAL;
  return d;
}

Matchmaker::Matchmaker(const storage::Catalog* catalog,
                       const Registry* registry, const ReferenceData* reference,
                       Clock* clock, matching::Weights defaults,
                       size_t candidate_pool)
    : catalog_(catalog),
      registry_(registry),
      reference_(reference),
      clock_(clock),
      defaults_(defaults),
      candidate_pool_(std::max<size_t>(candidate_pool, 10)),
      matcher_(matching::Bm25fParams{}, reference->lexicon()) {}

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
    absl::Status status = catalog_->Scan<v1::Offer>(
        0, [&](const v1::Offer& offer) { return add(ToOfferDoc(offer, *reference_)); });
    if (status.ok()) {
      status = catalog_->Scan<v1::Need>(
          0, [&](const v1::Need& need) { return add(ToNeedDoc(need, *reference_)); });
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

void Matchmaker::OnCommitted(const std::vector<CommittedChange>& changes) {
  for (const CommittedChange& change : changes) {
    if (const auto* offer = std::get_if<v1::Offer>(&change.record)) {
      matcher_.UpsertOffer(ToOfferDoc(*offer, *reference_));
    } else if (const auto* need = std::get_if<v1::Need>(&change.record)) {
      matcher_.UpsertNeed(ToNeedDoc(*need, *reference_));
    }
  }
  if (!changes.empty()) {
    applied_sequence_.store(changes.back().event.sequence());
  }
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
        offers.insert(IdOf(storage::RecordKind::kOffer, name));
      } else if (absl::StartsWith(name, "needs/")) {
        needs.insert(IdOf(storage::RecordKind::kNeed, name));
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

absl::StatusOr<Matchmaker::Page> Matchmaker::PageOptions(
    int page_size, const std::string& token,
    const v1::ScoreWeights* weights) const {
  if (page_size < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  Page page;
  page.options.limit = page_size == 0 ? kDefaultPageSize
                                      : std::min(page_size, kMaxPageSize);
  if (!token.empty()) {
    uint64_t offset = 0;
    if (token[0] != 'o' || !absl::SimpleAtoi(token.substr(1), &offset) ||
        offset >= static_cast<uint64_t>(kMaxDepth)) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this server issued");
    }
    page.offset = offset;
  }
  page.options.offset = page.offset;
  page.options.weights = defaults_;
  page.options.candidate_pool = candidate_pool_;
  page.options.now_micros = absl::ToUnixMicros(clock_->Now());
  if (weights != nullptr) {
    matching::Weights& w = page.options.weights;
    struct Override {
      const char* name;
      bool has;
      double value;
      double* target;
    } overrides[] = {
        {"text", weights->has_text(), weights->text(), &w.text},
        {"sector", weights->has_sector(), weights->sector(), &w.sector},
        {"trl", weights->has_trl(), weights->trl(), &w.trl},
        {"price", weights->has_price(), weights->price(), &w.price},
        {"region", weights->has_region(), weights->region(), &w.region},
        {"transfer", weights->has_transfer(), weights->transfer(), &w.transfer},
        {"freshness", weights->has_freshness(), weights->freshness(), &w.freshness},
    };
    for (const Override& o : overrides) {
      if (!o.has) continue;
      if (!(o.value >= 0 && o.value <= 1)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "weights.", o.name,
            ": must be in [0, 1] (how far the component can lower a score)"));
      }
      *o.target = o.value;
    }
  }
  return page;
}

absl::StatusOr<matching::SearchFilters> Matchmaker::Filters(
    const v1::SearchFilter& filter) const {
  matching::SearchFilters out;
  if (!filter.sector_code().empty()) {
    if (reference_->FindSector(filter.sector_code()) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.sector_code: unknown sector code \"",
          filter.sector_code().substr(0, 40), "\""));
    }
    out.sector_prefix = filter.sector_code();
  }
  if (!filter.province().empty()) {
    const ProvinceInfo* info = reference_->ResolveProvince(filter.province());
    if (info == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.province: unknown province \"", filter.province().substr(0, 80),
          "\""));
    }
    out.province = info->code;
  }
  if (!filter.region().empty()) {
    std::string key = text::LookupKey(filter.region());
    for (const ProvinceInfo& p : reference_->provinces()) {
      if (text::LookupKey(p.region_vi) == key || text::LookupKey(p.region_en) == key) {
        out.region = p.region_vi;
        break;
      }
    }
    if (out.region.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.region: unknown region \"", filter.region().substr(0, 80), "\""));
    }
  }
  if (filter.trl_min() < 0 || filter.trl_min() > 9 || filter.trl_max() < 0 ||
      filter.trl_max() > 9 ||
      (filter.trl_max() > 0 && filter.trl_min() > filter.trl_max())) {
    return absl::InvalidArgumentError(
        "filter.trl_min/trl_max: must be within 1-9 with min <= max");
  }
  out.trl_min = filter.trl_min();
  out.trl_max = filter.trl_max();
  for (int mode : filter.transfer_modes()) {
    if (!v1::TransferMode_IsValid(mode) || mode == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.transfer_modes: unknown value ", mode));
    }
    out.transfer_modes |= 1u << mode;
  }
  if (filter.price_ceiling_vnd() < 0) {
    return absl::InvalidArgumentError(
        "filter.price_ceiling_vnd: must not be negative");
  }
  out.price_ceiling = filter.price_ceiling_vnd();
  return out;
}

absl::StatusOr<Matchmaker::SearchSetup> Matchmaker::PrepareSearch(
    const v1::SearchRequest& request) const {
  if (request.query().size() > 2000 || !text::IsValidUtf8(request.query())) {
    return absl::InvalidArgumentError(
        "query: must be valid UTF-8 of at most 2000 bytes");
  }
  SearchSetup setup;
  TM_ASSIGN_OR_RETURN(setup.page,
                      PageOptions(request.page_size(), request.page_token(), nullptr));
  TM_ASSIGN_OR_RETURN(setup.filters, Filters(request.filter()));
  // A search scores text relevance, with freshness to order near ties.
  setup.page.options.weights =
      matching::Weights{1, 0, 0, 0, 0, 0, defaults_.freshness};
  return setup;
}

absl::Status Matchmaker::OffersForNeed(
    const Caller& caller, const v1::MatchOffersForNeedRequest& request,
    v1::MatchOffersForNeedResponse* response) const {
  TM_ASSIGN_OR_RETURN(uint64_t id, storage::ParseName(storage::RecordKind::kNeed,
                                                      request.need(), "need"));
  TM_ASSIGN_OR_RETURN(Page page, PageOptions(request.page_size(), request.page_token(),
                                             request.has_weights() ? &request.weights()
                                                                   : nullptr));
  TM_ASSIGN_OR_RETURN(
      v1::Need need,
      registry_->GetNeed(caller,
                         storage::MakeName(storage::RecordKind::kNeed, id)));
  matching::MatchResult result =
      matcher_.OffersForNeed(ToNeedDoc(need, *reference_), page.options);
  TM_RETURN_IF_ERROR(Hydrate<v1::Offer>(*catalog_, result.hits,
                                        response->mutable_matches(),
                                        &v1::OfferMatch::mutable_offer));
  for (auto& t : result.query_terms) response->add_query_terms(std::move(t));
  SetVerdict(result, "offer", "the need", response);
  response->set_next_page_token(NextToken(
      page.offset, result.hits.size(), page.options.limit, result.candidates));
  return absl::OkStatus();
}

std::vector<std::pair<uint64_t, double>> Matchmaker::NeedCandidates(
    const v1::Offer& offer, double min_score) const {
  std::vector<std::pair<uint64_t, double>> out;
  absl::StatusOr<Page> page = PageOptions(kMaxPageSize, "", nullptr);
  if (!page.ok()) return out;
  page->options.explain = false;
  page->options.include_confidential = true;
  page->options.limit = kMaxDepth;
  page->options.min_score = min_score;
  for (const auto& hit :
       matcher_.NeedsForOffer(ToOfferDoc(offer, *reference_), page->options)
           .hits) {
    out.emplace_back(hit.id, hit.score);
  }
  return out;
}

std::vector<std::pair<uint64_t, double>> Matchmaker::OfferCandidates(
    const v1::Need& need, double min_score) const {
  std::vector<std::pair<uint64_t, double>> out;
  absl::StatusOr<Page> page = PageOptions(kMaxPageSize, "", nullptr);
  if (!page.ok()) return out;
  page->options.explain = false;
  page->options.limit = kMaxDepth;
  page->options.min_score = min_score;
  for (const auto& hit :
       matcher_.OffersForNeed(ToNeedDoc(need, *reference_), page->options)
           .hits) {
    out.emplace_back(hit.id, hit.score);
  }
  return out;
}

v1::MatchLabel Matchmaker::LabelOf(double score) const {
  return ToProto(matching::LabelOf(score, matcher_.relevance()));
}

absl::StatusOr<v1::OfferMatch> Matchmaker::ScorePair(
    const v1::Need& need, const v1::Offer& offer) const {
  TM_ASSIGN_OR_RETURN(
      uint64_t id,
      storage::ParseName(storage::RecordKind::kOffer, offer.name(), "offer"));
  TM_ASSIGN_OR_RETURN(Page page, PageOptions(1, "", nullptr));
  std::optional<matching::MatchHit> hit =
      matcher_.ExplainPair(ToNeedDoc(need, *reference_), id, page.options);
  if (!hit.has_value()) {
    return absl::NotFoundError(
        absl::StrCat(offer.name(), " is not in the match index"));
  }
  v1::OfferMatch out;
  *out.mutable_offer() = offer;
  out.set_score(hit->score);
  out.set_label(ToProto(hit->label));
  ToProto(*hit, out.mutable_explanation());
  return out;
}

absl::Status Matchmaker::NeedsForOffer(
    const Caller& caller, const v1::MatchNeedsForOfferRequest& request,
    v1::MatchNeedsForOfferResponse* response) const {
  TM_ASSIGN_OR_RETURN(uint64_t id, storage::ParseName(storage::RecordKind::kOffer,
                                                      request.offer(), "offer"));
  TM_ASSIGN_OR_RETURN(Page page, PageOptions(request.page_size(), request.page_token(),
                                             request.has_weights() ? &request.weights()
                                                                   : nullptr));
  TM_ASSIGN_OR_RETURN(
      v1::Offer offer,
      registry_->GetOffer(caller,
                          storage::MakeName(storage::RecordKind::kOffer, id)));
  matching::MatchResult result =
      matcher_.NeedsForOffer(ToOfferDoc(offer, *reference_), page.options);
  TM_RETURN_IF_ERROR(Hydrate<v1::Need>(*catalog_, result.hits,
                                       response->mutable_matches(),
                                       &v1::NeedMatch::mutable_need));
  for (auto& t : result.query_terms) response->add_query_terms(std::move(t));
  SetVerdict(result, "published need", "the offer", response);
  response->set_next_page_token(NextToken(
      page.offset, result.hits.size(), page.options.limit, result.candidates));
  return absl::OkStatus();
}

absl::Status Matchmaker::SearchOffers(
    const v1::SearchRequest& request,
    v1::SearchOffersResponse* response) const {
  TM_ASSIGN_OR_RETURN(SearchSetup setup, PrepareSearch(request));
  Page& page = setup.page;
  const matching::SearchFilters& filters = setup.filters;
  matching::MatchResult result =
      matcher_.SearchOffers(request.query(), filters, page.options);
  TM_RETURN_IF_ERROR(Hydrate<v1::Offer>(*catalog_, result.hits,
                                        response->mutable_results(),
                                        &v1::OfferMatch::mutable_offer));
  SetVerdict(result, "offer", "the query", response);
  response->set_next_page_token(NextToken(
      page.offset, result.hits.size(), page.options.limit, result.candidates));
  return absl::OkStatus();
}

absl::Status Matchmaker::SearchNeeds(const v1::SearchRequest& request,
                                     v1::SearchNeedsResponse* response) const {
  TM_ASSIGN_OR_RETURN(SearchSetup setup, PrepareSearch(request));
  Page& page = setup.page;
  const matching::SearchFilters& filters = setup.filters;
  matching::MatchResult result =
      matcher_.SearchNeeds(request.query(), filters, page.options);
  TM_RETURN_IF_ERROR(Hydrate<v1::Need>(*catalog_, result.hits,
                                       response->mutable_results(),
                                       &v1::NeedMatch::mutable_need));
  SetVerdict(result, "need", "the query", response);
  response->set_next_page_token(NextToken(
      page.offset, result.hits.size(), page.options.limit, result.candidates));
  return absl::OkStatus();
}

}  // namespace techmatch::domain
