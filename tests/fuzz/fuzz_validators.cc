// libFuzzer target: the request validators on arbitrary input. The first
// byte picks what is fed the rest:
//   0-2  a binary Offer / Need / Organization (as a gRPC request carries
//        it) through the server's validation; a record it accepts must
//        validate again unchanged;
//   3    a resource name through storage::ParseName (a name it accepts
//        must print back the same);
//   4    a province query through ReferenceData::ResolveProvince;
//   5    an API key through the key parser (bad keys are UNAUTHENTICATED,
//        never a crash).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.h"
#include "domain/audit_log.h"
#include "domain/key_store.h"
#include "domain/validation.h"
#include "google/protobuf/util/message_differencer.h"
#include "storage/catalog.h"
#include "storage/resource_name.h"
#include "tests/fuzz/fuzz_reference.h"

namespace {

namespace v1 = techmatch::v1;
using techmatch::domain::ReferenceData;

using techmatch::fuzz::Check;
using techmatch::fuzz::Reference;

template <class T, class Normalize>
void Validate(const std::string& bytes, Normalize normalize) {
  T record;
  if (!record.ParseFromString(bytes)) return;
  if (!normalize(Reference(), &record).ok()) return;
  T again = record;
  Check(normalize(Reference(), &again).ok());
  Check(google::protobuf::util::MessageDifferencer::Equals(record, again));
}

// A key store over an empty database in a temporary directory, made once.
techmatch::domain::KeyStore& Keys() {
  static techmatch::domain::KeyStore* keys = [] {
    static techmatch::SystemClock clock;
    techmatch::storage::CatalogOptions options;
    options.path = "/tmp/techmatch_fuzz_validators_" + std::to_string(getpid());
    options.sync_writes = false;
    auto* catalog = techmatch::storage::Catalog::Open(options)->release();
    auto* audit = new techmatch::domain::AuditLog(catalog, &clock);
    auto* store =
        techmatch::domain::KeyStore::Open(catalog, audit, &clock)->release();
    (void)store->CreateBootstrapAdmin();
    return store;
  }();
  return *keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      Validate<v1::Offer>(rest, techmatch::domain::NormalizeOffer);
      break;
    case 1:
      Validate<v1::Need>(rest, techmatch::domain::NormalizeNeed);
      break;
    case 2:
      Validate<v1::Organization>(rest,
                                 techmatch::domain::NormalizeOrganization);
      break;
    case 3: {
      auto id = techmatch::storage::ParseName(
          techmatch::storage::RecordKind::kOffer, rest, "name");
      if (id.ok()) {
        Check(techmatch::storage::MakeName(
                  techmatch::storage::RecordKind::kOffer, *id) == rest);
      }
      break;
    }
    case 4:
      (void)Reference().ResolveProvince(rest);
      break;
    default: {
      auto principal = Keys().Authenticate(rest);
      Check(principal.ok() || absl::IsUnauthenticated(principal.status()));
    }
  }
  return 0;
}
