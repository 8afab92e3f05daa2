// Writes a generated corpus (see corpus_generator.h) as JSON Lines that
// `techmatch ... import` loads into a running server:
//
//   generate_corpus OUT_DIR OFFERS NEEDS
//   -> OUT_DIR/organizations.jsonl, offers.jsonl, needs.jsonl
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_split.h"
#include "bench/corpus_generator.h"
#include "google/protobuf/util/json_util.h"
#include "techmatch/v1/need.pb.h"
#include "techmatch/v1/offer.pb.h"
#include "techmatch/v1/organization.pb.h"

namespace v1 = techmatch::v1;

namespace {

void Keywords(const std::string& joined, google::protobuf::RepeatedPtrField<std::string>* out) {
  for (absl::string_view k : absl::StrSplit(joined, " . ", absl::SkipEmpty())) {
    out->Add(std::string(k));
  }
}

void WriteLine(std::ofstream& out, const google::protobuf::Message& m) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(m, &json);
  out << json << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: generate_corpus OUT_DIR OFFERS NEEDS\n");
    return 2;
  }
  std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  uint64_t offers = std::strtoull(argv[2], nullptr, 10);
  uint64_t needs = std::strtoull(argv[3], nullptr, 10);
  techmatch::bench::CorpusGenerator generator(42);

  std::ofstream orgs(dir / "organizations.jsonl");
  v1::Organization owner;
  owner.set_external_ref("BENCH-OWNER");
  owner.set_display_name("Benchmark supplier");
  owner.set_kind(v1::Organization::UNIVERSITY);
  owner.set_province("79");
  WriteLine(orgs, owner);
  v1::Organization enterprise = owner;
  enterprise.set_external_ref("BENCH-ENTERPRISE");
  enterprise.set_display_name("Benchmark enterprise");
  enterprise.set_kind(v1::Organization::ENTERPRISE);
  WriteLine(orgs, enterprise);

  std::ofstream offer_out(dir / "offers.jsonl");
  for (uint64_t id = 1; id <= offers; ++id) {
    auto d = generator.Offer(id);
    v1::Offer o;
    o.set_external_ref("GEN-O" + std::to_string(id));
    o.set_owner("organizations/1");
    o.set_title(d.text.title);
    Keywords(d.text.keywords, o.mutable_keywords());
    o.set_description(d.text.body);
    for (const auto& s : d.sectors) o.add_sector_codes(s);
    o.set_trl(d.trl);
    o.mutable_price()->set_min_vnd(d.price_min);
    o.mutable_price()->set_max_vnd(d.price_max);
    o.set_province(d.province);
    for (int mode = 1; mode <= 6; ++mode) {
      if (d.transfer_modes & (1u << mode)) o.add_transfer_modes(static_cast<v1::TransferMode>(mode));
    }
    o.set_state(v1::PUBLISHED);
    WriteLine(offer_out, o);
  }
  std::ofstream need_out(dir / "needs.jsonl");
  for (uint64_t id = 1; id <= needs; ++id) {
    auto d = generator.Need(id);
    v1::Need n;
    n.set_external_ref("GEN-N" + std::to_string(id));
    n.set_enterprise("organizations/2");
    n.set_title(d.text.title);
    Keywords(d.text.keywords, n.mutable_keywords());
    n.set_description(d.text.body);
    for (const auto& s : d.sectors) n.add_sector_codes(s);
    n.set_min_trl(d.min_trl);
    if (d.budget_max) n.set_budget_max_vnd(*d.budget_max);
    n.set_province(d.province);
    n.set_state(v1::PUBLISHED);
    WriteLine(need_out, n);
  }
  std::printf("wrote %llu offers and %llu needs to %s\n",
              static_cast<unsigned long long>(offers),
              static_cast<unsigned long long>(needs), dir.c_str());
  return 0;
}
