// gRPC services of the registry API. Each handler is thin: it makes one call
// into domain::Registry and maps the status; validation lives in the domain.
// Thread-safe: the registry they wrap is.
#ifndef TECHMATCH_SERVER_REGISTRY_SERVICES_H_
#define TECHMATCH_SERVER_REGISTRY_SERVICES_H_

#include "domain/registry.h"
#include "techmatch/v1/reference.grpc.pb.h"
#include "techmatch/v1/registry_service.grpc.pb.h"

namespace techmatch::server {

// Largest number of records one import request chunk may carry.
inline constexpr int kMaxImportChunk = 5000;

class OrganizationService final
    : public techmatch::v1::OrganizationService::Service {
 public:
  // `registry` is borrowed and must outlive the service.
  explicit OrganizationService(domain::Registry* registry)
      : registry_(registry) {}

  grpc::Status CreateOrganization(
      grpc::ServerContext*, const techmatch::v1::CreateOrganizationRequest*,
      techmatch::v1::Organization*) override;
  grpc::Status GetOrganization(grpc::ServerContext*,
                               const techmatch::v1::GetRequest*,
                               techmatch::v1::Organization*) override;
  grpc::Status UpdateOrganization(
      grpc::ServerContext*, const techmatch::v1::UpdateOrganizationRequest*,
      techmatch::v1::Organization*) override;
  grpc::Status UpsertOrganization(
      grpc::ServerContext*, const techmatch::v1::UpsertOrganizationRequest*,
      techmatch::v1::UpsertOrganizationResponse*) override;
  grpc::Status ListOrganizations(
      grpc::ServerContext*, const techmatch::v1::ListOrganizationsRequest*,
      techmatch::v1::ListOrganizationsResponse*) override;
  grpc::Status ImportOrganizations(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<techmatch::v1::ImportResponse,
                               techmatch::v1::ImportOrganizationsRequest>*)
      override;

 private:
  domain::Registry* const registry_;
};

class OfferService final : public techmatch::v1::OfferService::Service {
 public:
  explicit OfferService(domain::Registry* registry) : registry_(registry) {}

  grpc::Status CreateOffer(grpc::ServerContext*,
                           const techmatch::v1::CreateOfferRequest*,
                           techmatch::v1::Offer*) override;
  grpc::Status GetOffer(grpc::ServerContext*, const techmatch::v1::GetRequest*,
                        techmatch::v1::Offer*) override;
  grpc::Status UpdateOffer(grpc::ServerContext*,
                           const techmatch::v1::UpdateOfferRequest*,
                           techmatch::v1::Offer*) override;
  grpc::Status UpsertOffer(grpc::ServerContext*,
                           const techmatch::v1::UpsertOfferRequest*,
                           techmatch::v1::UpsertOfferResponse*) override;
  grpc::Status PublishOffer(grpc::ServerContext*,
                            const techmatch::v1::PublishRequest*,
                            techmatch::v1::Offer*) override;
  grpc::Status WithdrawOffer(grpc::ServerContext*,
                             const techmatch::v1::WithdrawRequest*,
                             techmatch::v1::Offer*) override;
  grpc::Status ListOffers(grpc::ServerContext*,
                          const techmatch::v1::ListOffersRequest*,
                          techmatch::v1::ListOffersResponse*) override;
  grpc::Status ImportOffers(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<techmatch::v1::ImportResponse,
                               techmatch::v1::ImportOffersRequest>*) override;

 private:
  domain::Registry* const registry_;
};

class NeedService final : public techmatch::v1::NeedService::Service {
 public:
  explicit NeedService(domain::Registry* registry) : registry_(registry) {}

  grpc::Status CreateNeed(grpc::ServerContext*,
                          const techmatch::v1::CreateNeedRequest*,
                          techmatch::v1::Need*) override;
  grpc::Status GetNeed(grpc::ServerContext*, const techmatch::v1::GetRequest*,
                       techmatch::v1::Need*) override;
  grpc::Status UpdateNeed(grpc::ServerContext*,
                          const techmatch::v1::UpdateNeedRequest*,
                          techmatch::v1::Need*) override;
  grpc::Status UpsertNeed(grpc::ServerContext*,
                          const techmatch::v1::UpsertNeedRequest*,
                          techmatch::v1::UpsertNeedResponse*) override;
  grpc::Status PublishNeed(grpc::ServerContext*,
                           const techmatch::v1::PublishRequest*,
                           techmatch::v1::Need*) override;
  grpc::Status WithdrawNeed(grpc::ServerContext*,
                            const techmatch::v1::WithdrawRequest*,
                            techmatch::v1::Need*) override;
  grpc::Status ListNeeds(grpc::ServerContext*,
                         const techmatch::v1::ListNeedsRequest*,
                         techmatch::v1::ListNeedsResponse*) override;
  grpc::Status ImportNeeds(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<techmatch::v1::ImportResponse,
                               techmatch::v1::ImportNeedsRequest>*) override;

 private:
  domain::Registry* const registry_;
};

class ReferenceService final
    : public techmatch::v1::ReferenceService::Service {
 public:
  // `reference` is borrowed and must outlive the service.
  explicit ReferenceService(const domain::ReferenceData* reference)
      : reference_(reference) {}

  grpc::Status ListSectors(grpc::ServerContext*,
                           const techmatch::v1::ListSectorsRequest*,
                           techmatch::v1::ListSectorsResponse*) override;
  grpc::Status ListProvinces(grpc::ServerContext*,
                             const techmatch::v1::ListProvincesRequest*,
                             techmatch::v1::ListProvincesResponse*) override;
  grpc::Status ResolveProvince(grpc::ServerContext*,
                               const techmatch::v1::ResolveProvinceRequest*,
                               techmatch::v1::Province*) override;

 private:
  const domain::ReferenceData* const reference_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_REGISTRY_SERVICES_H_
