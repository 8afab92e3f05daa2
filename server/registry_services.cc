#include "server/registry_services.h"

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace techmatch::server {

using grpc::ServerContext;
using grpc::Status;
namespace v1 = techmatch::v1;

namespace {

// Reads import chunks until the client half-closes, answering each chunk
// after its records are committed. `import` is the registry call for one
// chunk; `count` tells how many records a chunk holds.
template <class Request, class ImportFn, class CountFn>
Status ServeImport(ServerContext* context,
                   grpc::ServerReaderWriter<v1::ImportResponse, Request>* stream,
                   ImportFn import, CountFn count) {
  Request chunk;
  int64_t next_index = 0;
  while (stream->Read(&chunk)) {
    if (context->IsCancelled()) return Status::CANCELLED;
    int n = count(chunk);
    if (n > kMaxImportChunk) {
      return Status(grpc::StatusCode::INVALID_ARGUMENT,
                    absl::StrCat("a chunk holds ", n, " records; at most ",
                                 kMaxImportChunk, " are allowed"));
    }
    v1::ImportResponse response = import(chunk, next_index);
    next_index += n;
    if (!stream->Write(response)) break;
  }
  return Status::OK;
}

}  // namespace

// ---- organisations ----

Status OrganizationService::CreateOrganization(
    ServerContext*, const v1::CreateOrganizationRequest* request,
    v1::Organization* response) {
  return Reply(registry_->CreateOrganization(*request), response);
}

Status OrganizationService::GetOrganization(ServerContext*,
                                            const v1::GetRequest* request,
                                            v1::Organization* response) {
  return Reply(registry_->GetOrganization(request->name()), response);
}

Status OrganizationService::UpdateOrganization(
    ServerContext*, const v1::UpdateOrganizationRequest* request,
    v1::Organization* response) {
  return Reply(registry_->UpdateOrganization(*request), response);
}

Status OrganizationService::UpsertOrganization(
    ServerContext*, const v1::UpsertOrganizationRequest* request,
    v1::UpsertOrganizationResponse* response) {
  return Reply(registry_->UpsertOrganization(*request), response);
}

Status OrganizationService::ListOrganizations(
    ServerContext*, const v1::ListOrganizationsRequest* request,
    v1::ListOrganizationsResponse* response) {
  return Reply(registry_->ListOrganizations(*request), response);
}

Status OrganizationService::ImportOrganizations(
    ServerContext* context,
    grpc::ServerReaderWriter<v1::ImportResponse,
                             v1::ImportOrganizationsRequest>* stream) {
  return ServeImport(
      context, stream,
      [&](const v1::ImportOrganizationsRequest& chunk, int64_t first) {
        return registry_->ImportOrganizations(chunk, first);
      },
      [](const v1::ImportOrganizationsRequest& chunk) {
        return chunk.organizations_size();
      });
}

// ---- offers ----

Status OfferService::CreateOffer(ServerContext*,
                                 const v1::CreateOfferRequest* request,
                                 v1::Offer* response) {
  return Reply(registry_->CreateOffer(*request), response);
}

Status OfferService::GetOffer(ServerContext*, const v1::GetRequest* request,
                              v1::Offer* response) {
  return Reply(registry_->GetOffer(request->name()), response);
}

Status OfferService::UpdateOffer(ServerContext*,
                                 const v1::UpdateOfferRequest* request,
                                 v1::Offer* response) {
  return Reply(registry_->UpdateOffer(*request), response);
}

Status OfferService::UpsertOffer(ServerContext*,
                                 const v1::UpsertOfferRequest* request,
                                 v1::UpsertOfferResponse* response) {
  return Reply(registry_->UpsertOffer(*request), response);
}

Status OfferService::PublishOffer(ServerContext*,
                                  const v1::PublishRequest* request,
                                  v1::Offer* response) {
  return Reply(registry_->PublishOffer(*request), response);
}

Status OfferService::WithdrawOffer(ServerContext*,
                                   const v1::WithdrawRequest* request,
                                   v1::Offer* response) {
  return Reply(registry_->WithdrawOffer(*request), response);
}

Status OfferService::ListOffers(ServerContext*,
                                const v1::ListOffersRequest* request,
                                v1::ListOffersResponse* response) {
  return Reply(registry_->ListOffers(*request), response);
}

Status OfferService::ImportOffers(
    ServerContext* context,
    grpc::ServerReaderWriter<v1::ImportResponse, v1::ImportOffersRequest>*
        stream) {
  return ServeImport(
      context, stream,
      [&](const v1::ImportOffersRequest& chunk, int64_t first) {
        return registry_->ImportOffers(chunk, first);
      },
      [](const v1::ImportOffersRequest& chunk) { return chunk.offers_size(); });
}

// ---- needs ----

Status NeedService::CreateNeed(ServerContext*,
                               const v1::CreateNeedRequest* request,
                               v1::Need* response) {
  return Reply(registry_->CreateNeed(*request), response);
}

Status NeedService::GetNeed(ServerContext*, const v1::GetRequest* request,
                            v1::Need* response) {
  return Reply(registry_->GetNeed(request->name()), response);
}

Status NeedService::UpdateNeed(ServerContext*,
                               const v1::UpdateNeedRequest* request,
                               v1::Need* response) {
  return Reply(registry_->UpdateNeed(*request), response);
}

Status NeedService::UpsertNeed(ServerContext*,
                               const v1::UpsertNeedRequest* request,
                               v1::UpsertNeedResponse* response) {
  return Reply(registry_->UpsertNeed(*request), response);
}

Status NeedService::PublishNeed(ServerContext*,
                                const v1::PublishRequest* request,
                                v1::Need* response) {
  return Reply(registry_->PublishNeed(*request), response);
}

Status NeedService::WithdrawNeed(ServerContext*,
                                 const v1::WithdrawRequest* request,
                                 v1::Need* response) {
  return Reply(registry_->WithdrawNeed(*request), response);
}

Status NeedService::ListNeeds(ServerContext*,
                              const v1::ListNeedsRequest* request,
                              v1::ListNeedsResponse* response) {
  return Reply(registry_->ListNeeds(*request), response);
}

Status NeedService::ImportNeeds(
    ServerContext* context,
    grpc::ServerReaderWriter<v1::ImportResponse, v1::ImportNeedsRequest>*
        stream) {
  return ServeImport(
      context, stream,
      [&](const v1::ImportNeedsRequest& chunk, int64_t first) {
        return registry_->ImportNeeds(chunk, first);
      },
      [](const v1::ImportNeedsRequest& chunk) { return chunk.needs_size(); });
}

// ---- reference ----

namespace {

void ToProto(const domain::ProvinceInfo& info, v1::Province* out) {
  out->set_code(info.code);
  out->set_name(info.name);
  out->set_region(info.region_vi);
  out->set_region_en(info.region_en);
  for (const auto& alias : info.aliases) out->add_aliases(alias);
}

}  // namespace

Status ReferenceService::ListSectors(ServerContext*,
                                     const v1::ListSectorsRequest*,
                                     v1::ListSectorsResponse* response) {
  for (const auto& info : reference_->sectors()) {
    v1::Sector* sector = response->add_sectors();
    sector->set_code(info.code);
    sector->set_parent_code(info.parent_code);
    sector->set_name_vi(info.name_vi);
    sector->set_name_en(info.name_en);
  }
  return Status::OK;
}

Status ReferenceService::ListProvinces(ServerContext*,
                                       const v1::ListProvincesRequest*,
                                       v1::ListProvincesResponse* response) {
  for (const auto& info : reference_->provinces()) {
    ToProto(info, response->add_provinces());
  }
  return Status::OK;
}

Status ReferenceService::ResolveProvince(
    ServerContext*, const v1::ResolveProvinceRequest* request,
    v1::Province* response) {
  const domain::ProvinceInfo* info =
      reference_->ResolveProvince(request->query());
  if (info == nullptr) {
    return Status(grpc::StatusCode::NOT_FOUND,
                  absl::StrCat("no province is named \"",
                               request->query().substr(0, 80), "\""));
  }
  ToProto(*info, response);
  return Status::OK;
}

}  // namespace techmatch::server
