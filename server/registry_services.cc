#include "server/registry_services.h"

#include "absl/strings/str_cat.h"
#include "base/utf8.h"
#include "server/status_mapping.h"

namespace techmatch::server {

using grpc::ServerContext;
using grpc::Status;
namespace v1 = techmatch::v1;

namespace {

// Reads import chunks until the client half-closes, answering each chunk
// after its records are committed. `import` is the registry call for one
// chunk; `count` tells how many records a chunk holds.
// A stream may not run longer than `max_duration` (the deadline cap).
template <class Request, class ImportFn, class CountFn>
Status ServeImport(
    ServerContext* context,
    grpc::ServerReaderWriter<v1::ImportResponse, Request>* stream,
    absl::Duration max_duration, ImportFn import, CountFn count) {
  Request chunk;
  int64_t next_index = 0;
  int64_t chunk_index = 0;
  const absl::Time end = absl::Now() + max_duration;
  while (stream->Read(&chunk)) {
    if (context->IsCancelled()) return Status::CANCELLED;
    if (absl::Now() > end) {
      return Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                    absl::StrCat("an import stream may last at most ",
                                 absl::FormatDuration(max_duration),
                                 "; the chunks answered so far are committed; "
                                 "continue on a new stream"));
    }
    // Records are checked one by one (a bad one is REJECTED, the others
    // go on); fields unknown to the chunk itself refuse the stream.
    if (!chunk.GetReflection()->GetUnknownFields(chunk).empty()) {
      return Status(grpc::StatusCode::INVALID_ARGUMENT,
                    absl::StrCat("chunk ", chunk_index + 1,
                                 ": holds fields this server's API does not "
                                 "define; the chunks answered before stand"));
    }
    ++chunk_index;
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
    ServerContext* context, const v1::CreateOrganizationRequest* request,
    v1::Organization* response) {
  return auth_->Serve(
      context, "OrganizationService.CreateOrganization", *request,
      [&](const domain::Caller& caller) {
        return Reply(registry_->CreateOrganization(caller, *request), response);
      });
}

Status OrganizationService::GetOrganization(ServerContext* context,
                                            const v1::GetRequest* request,
                                            v1::Organization* response) {
  return auth_->Serve(context, "OrganizationService.GetOrganization", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(
                            registry_->GetOrganization(caller, request->name()),
                            response);
                      });
}

Status OrganizationService::UpdateOrganization(
    ServerContext* context, const v1::UpdateOrganizationRequest* request,
    v1::Organization* response) {
  return auth_->Serve(
      context, "OrganizationService.UpdateOrganization", *request,
      [&](const domain::Caller& caller) {
        return Reply(registry_->UpdateOrganization(caller, *request), response);
      });
}

Status OrganizationService::UpsertOrganization(
    ServerContext* context, const v1::UpsertOrganizationRequest* request,
    v1::UpsertOrganizationResponse* response) {
  return auth_->Serve(
      context, "OrganizationService.UpsertOrganization", *request,
      [&](const domain::Caller& caller) {
        return Reply(registry_->UpsertOrganization(caller, *request), response);
      });
}

Status OrganizationService::ListOrganizations(
    ServerContext* context, const v1::ListOrganizationsRequest* request,
    v1::ListOrganizationsResponse* response) {
  return auth_->Serve(
      context, "OrganizationService.ListOrganizations", *request,
      [&](const domain::Caller& caller) {
        return Reply(registry_->ListOrganizations(caller, *request), response);
      });
}

Status OrganizationService::ImportOrganizations(
    ServerContext* context,
    grpc::ServerReaderWriter<v1::ImportResponse,
                             v1::ImportOrganizationsRequest>* stream) {
  domain::Caller caller;
  Status admitted =
      auth_->Admit(context, "OrganizationService.ImportOrganizations", &caller);
  if (!admitted.ok()) return admitted;
  return ServeImport(
      context, stream, max_stream_duration_,
      [&](const v1::ImportOrganizationsRequest& chunk, int64_t first) {
        return registry_->ImportOrganizations(caller, chunk, first);
      },
      [](const v1::ImportOrganizationsRequest& chunk) {
        return chunk.organizations_size();
      });
}

// ---- offers ----

Status OfferService::CreateOffer(ServerContext* context,
                                 const v1::CreateOfferRequest* request,
                                 v1::Offer* response) {
  return auth_->Serve(context, "OfferService.CreateOffer", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->CreateOffer(caller, *request),
                                     response);
                      });
}

Status OfferService::GetOffer(ServerContext* context,
                              const v1::GetRequest* request,
                              v1::Offer* response) {
  return auth_->Serve(
      context, "OfferService.GetOffer", *request,
      [&](const domain::Caller& caller) {
        return Reply(registry_->GetOffer(caller, request->name()), response);
      });
}

Status OfferService::UpdateOffer(ServerContext* context,
                                 const v1::UpdateOfferRequest* request,
                                 v1::Offer* response) {
  return auth_->Serve(context, "OfferService.UpdateOffer", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->UpdateOffer(caller, *request),
                                     response);
                      });
}

Status OfferService::UpsertOffer(ServerContext* context,
                                 const v1::UpsertOfferRequest* request,
                                 v1::UpsertOfferResponse* response) {
  return auth_->Serve(context, "OfferService.UpsertOffer", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->UpsertOffer(caller, *request),
                                     response);
                      });
}

Status OfferService::PublishOffer(ServerContext* context,
                                  const v1::PublishRequest* request,
                                  v1::Offer* response) {
  return auth_->Serve(context, "OfferService.PublishOffer", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->PublishOffer(caller, *request),
                                     response);
                      });
}

Status OfferService::WithdrawOffer(ServerContext* context,
                                   const v1::WithdrawRequest* request,
                                   v1::Offer* response) {
  return auth_->Serve(context, "OfferService.WithdrawOffer", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->WithdrawOffer(caller, *request),
                                     response);
                      });
}

Status OfferService::ListOffers(ServerContext* context,
                                const v1::ListOffersRequest* request,
                                v1::ListOffersResponse* response) {
  return auth_->Serve(context, "OfferService.ListOffers", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->ListOffers(caller, *request),
                                     response);
                      });
}

Status OfferService::ImportOffers(
    ServerContext* context,
    grpc::ServerReaderWriter<v1::ImportResponse, v1::ImportOffersRequest>*
        stream) {
  domain::Caller caller;
  Status admitted = auth_->Admit(context, "OfferService.ImportOffers", &caller);
  if (!admitted.ok()) return admitted;
  return ServeImport(
      context, stream, max_stream_duration_,
      [&](const v1::ImportOffersRequest& chunk, int64_t first) {
        return registry_->ImportOffers(caller, chunk, first);
      },
      [](const v1::ImportOffersRequest& chunk) { return chunk.offers_size(); });
}

// ---- needs ----

Status NeedService::CreateNeed(ServerContext* context,
                               const v1::CreateNeedRequest* request,
                               v1::Need* response) {
  return auth_->Serve(context, "NeedService.CreateNeed", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->CreateNeed(caller, *request),
                                     response);
                      });
}

Status NeedService::GetNeed(ServerContext* context,
                            const v1::GetRequest* request, v1::Need* response) {
  return auth_->Serve(
      context, "NeedService.GetNeed", *request,
      [&](const domain::Caller& caller) {
        return Reply(registry_->GetNeed(caller, request->name()), response);
      });
}

Status NeedService::UpdateNeed(ServerContext* context,
                               const v1::UpdateNeedRequest* request,
                               v1::Need* response) {
  return auth_->Serve(context, "NeedService.UpdateNeed", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->UpdateNeed(caller, *request),
                                     response);
                      });
}

Status NeedService::UpsertNeed(ServerContext* context,
                               const v1::UpsertNeedRequest* request,
                               v1::UpsertNeedResponse* response) {
  return auth_->Serve(context, "NeedService.UpsertNeed", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->UpsertNeed(caller, *request),
                                     response);
                      });
}

Status NeedService::PublishNeed(ServerContext* context,
                                const v1::PublishRequest* request,
                                v1::Need* response) {
  return auth_->Serve(context, "NeedService.PublishNeed", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->PublishNeed(caller, *request),
                                     response);
                      });
}

Status NeedService::WithdrawNeed(ServerContext* context,
                                 const v1::WithdrawRequest* request,
                                 v1::Need* response) {
  return auth_->Serve(context, "NeedService.WithdrawNeed", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->WithdrawNeed(caller, *request),
                                     response);
                      });
}

Status NeedService::ListNeeds(ServerContext* context,
                              const v1::ListNeedsRequest* request,
                              v1::ListNeedsResponse* response) {
  return auth_->Serve(context, "NeedService.ListNeeds", *request,
                      [&](const domain::Caller& caller) {
                        return Reply(registry_->ListNeeds(caller, *request),
                                     response);
                      });
}

Status NeedService::ImportNeeds(
    ServerContext* context,
    grpc::ServerReaderWriter<v1::ImportResponse, v1::ImportNeedsRequest>*
        stream) {
  domain::Caller caller;
  Status admitted = auth_->Admit(context, "NeedService.ImportNeeds", &caller);
  if (!admitted.ok()) return admitted;
  return ServeImport(
      context, stream, max_stream_duration_,
      [&](const v1::ImportNeedsRequest& chunk, int64_t first) {
        return registry_->ImportNeeds(caller, chunk, first);
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

Status ReferenceService::ListSectors(ServerContext* context,
                                     const v1::ListSectorsRequest*,
                                     v1::ListSectorsResponse* response) {
  domain::Caller caller;
  Status admitted =
      auth_->Admit(context, "ReferenceService.ListSectors", &caller);
  if (!admitted.ok()) return admitted;
  for (const auto& info : reference_->sectors()) {
    v1::Sector* sector = response->add_sectors();
    sector->set_code(info.code);
    sector->set_parent_code(info.parent_code);
    sector->set_name_vi(info.name_vi);
    sector->set_name_en(info.name_en);
  }
  return Status::OK;
}

Status ReferenceService::ListProvinces(ServerContext* context,
                                       const v1::ListProvincesRequest*,
                                       v1::ListProvincesResponse* response) {
  domain::Caller caller;
  Status admitted =
      auth_->Admit(context, "ReferenceService.ListProvinces", &caller);
  if (!admitted.ok()) return admitted;
  for (const auto& info : reference_->provinces()) {
    ToProto(info, response->add_provinces());
  }
  return Status::OK;
}

Status ReferenceService::ResolveProvince(
    ServerContext* context, const v1::ResolveProvinceRequest* request,
    v1::Province* response) {
  domain::Caller caller;
  Status admitted =
      auth_->Admit(context, "ReferenceService.ResolveProvince", &caller);
  if (!admitted.ok()) return admitted;
  const domain::ProvinceInfo* info =
      reference_->ResolveProvince(request->query());
  if (info == nullptr) {
    return Status(grpc::StatusCode::NOT_FOUND,
                  absl::StrCat("no province is named \"",
                               Echo(request->query(), 80), "\""));
  }
  ToProto(*info, response);
  return Status::OK;
}

}  // namespace techmatch::server
