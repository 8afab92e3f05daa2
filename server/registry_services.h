// gRPC services of the registry API. Each handler is thin: it admits the
// call (Authenticator), makes one call into domain::Registry with the
// caller and maps the status; validation and access rules live in the
// domain.
// Thread-safe: the registry they wrap is.
#ifndef TECHMATCH_SERVER_REGISTRY_SERVICES_H_
#define TECHMATCH_SERVER_REGISTRY_SERVICES_H_

#include "absl/time/time.h"
#include "domain/registry.h"
#include "server/authenticator.h"
#include "techmatch/v1/reference.grpc.pb.h"
#include "techmatch/v1/registry_service.grpc.pb.h"

namespace techmatch::server {

// Largest number of records one import request chunk may carry.
inline constexpr int kMaxImportChunk = 5000;

class OrganizationService final
    : public techmatch::v1::OrganizationService::Service {
 public:
  // Borrowed pointers; both must outlive the service. Import streams end
  // with DEADLINE_EXCEEDED after `max_stream_duration`.
  OrganizationService(domain::Registry* registry, Authenticator* auth,
                      absl::Duration max_stream_duration)
      : registry_(registry),
        auth_(auth),
        max_stream_duration_(max_stream_duration) {}

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
  Authenticator* const auth_;
  const absl::Duration max_stream_duration_;
};

class OfferService final : public techmatch::v1::OfferService::Service {
 public:
  // As OrganizationService.
  OfferService(domain::Registry* registry, Authenticator* auth,
               absl::Duration max_stream_duration)
      : registry_(registry),
        auth_(auth),
        max_stream_duration_(max_stream_duration) {}

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
  Authenticator* const auth_;
  const absl::Duration max_stream_duration_;
};

class NeedService final : public techmatch::v1::NeedService::Service {
 public:
  // As OrganizationService.
  NeedService(domain::Registry* registry, Authenticator* auth,
              absl::Duration max_stream_duration)
      : registry_(registry),
        auth_(auth),
        max_stream_duration_(max_stream_duration) {}

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
  Authenticator* const auth_;
  const absl::Duration max_stream_duration_;
};

class ReferenceService final
    : public techmatch::v1::ReferenceService::Service {
 public:
  // Borrowed pointers; both must outlive the service.
  ReferenceService(const domain::ReferenceData* reference, Authenticator* auth)
      : reference_(reference), auth_(auth) {}

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
  Authenticator* const auth_;
};

}  // namespace techmatch::server

#endif  // TECHMATCH_SERVER_REGISTRY_SERVICES_H_
