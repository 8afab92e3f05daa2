// The domain on a real catalog, as the server composes it, for the domain
// tests: catalog, audit log, registry, a loaded matchmaker observing the
// registry, and the connection book. Reopenable, to test what survives a restart.
#ifndef TECHMATCH_TESTS_DOMAIN_DOMAIN_STACK_H_
#define TECHMATCH_TESTS_DOMAIN_DOMAIN_STACK_H_

#include <memory>
#include <string>

#include "domain/audit_log.h"
#include "domain/connection_book.h"
#include "domain/matchmaker.h"
#include "domain/registry.h"
#include "storage/catalog.h"
#include "tests/test_util.h"

namespace techmatch::testing {

class DomainStack {
 public:
  // Loads the repository's reference data. `clock` is borrowed and must
  // outlive the stack.
  explicit DomainStack(Clock* clock)
      : reference_(LoadReference()), clock_(clock) {}
  ~DomainStack() { Close(); }

  // Opens (or reopens, after Close) the catalog at `path`.
  void Open(const std::string& path, bool sync_writes = false) {
    Close();
    storage::CatalogOptions options;
    options.path = path;
    options.sync_writes = sync_writes;
    auto catalog = storage::Catalog::Open(options);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = *std::move(catalog);
    audit_ = std::make_unique<domain::AuditLog>(catalog_.get(), clock_);
    registry_ = std::make_unique<domain::Registry>(
        catalog_.get(), reference_.get(), audit_.get(), clock_);
    matchmaker_ = std::make_unique<domain::Matchmaker>(
        catalog_.get(), registry_.get(), reference_.get(), clock_,
        matching::Weights());
    ASSERT_TRUE(matchmaker_->LoadAll(nullptr).ok());
    registry_->AddObserver(matchmaker_.get());
    connections_ = std::make_unique<domain::ConnectionBook>(
        catalog_.get(), registry_.get(), matchmaker_.get(), audit_.get(), clock_);
  }

  // Releases everything, the catalog last.
  void Close() {
    connections_.reset();
    matchmaker_.reset();
    registry_.reset();
    audit_.reset();
    catalog_.reset();
  }

  // Creates an organisation as admin; returns its name.
  std::string Org(const std::string& name,
                  techmatch::v1::Organization::Kind kind,
                  const std::string& parent,
                  const std::string& province = "Đồng Nai") {
    techmatch::v1::CreateOrganizationRequest request;
    *request.mutable_organization() = MakeOrg(name, kind, province);
    request.mutable_organization()->set_parent(parent);
    auto org = registry_->CreateOrganization(Admin(), request);
    EXPECT_TRUE(org.ok()) << org.status();
    return org.ok() ? org->name() : "";
  }

  const domain::ReferenceData* reference() const { return reference_.get(); }
  storage::Catalog* catalog() { return catalog_.get(); }
  domain::AuditLog* audit() { return audit_.get(); }
  domain::Registry* registry() { return registry_.get(); }
  domain::Matchmaker* matchmaker() { return matchmaker_.get(); }
  domain::ConnectionBook* connections() { return connections_.get(); }

 private:
  std::unique_ptr<domain::ReferenceData> reference_;
  Clock* clock_;
  std::unique_ptr<storage::Catalog> catalog_;
  std::unique_ptr<domain::AuditLog> audit_;
  std::unique_ptr<domain::Registry> registry_;
  std::unique_ptr<domain::Matchmaker> matchmaker_;
  std::unique_ptr<domain::ConnectionBook> connections_;
};

}  // namespace techmatch::testing

#endif  // TECHMATCH_TESTS_DOMAIN_DOMAIN_STACK_H_
