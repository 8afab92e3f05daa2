// The gRPC services end to end over an in-process channel, and the CLI
// against a server on a loopback port.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "client/cli.h"
#include "server/decode_errors.h"
#include "server/techmatch_server.h"
#include "techmatch/v1/reference.grpc.pb.h"
#include "techmatch/v1/registry_service.grpc.pb.h"
#include "tests/test_util.h"

namespace techmatch::server {
namespace {

namespace v1 = techmatch::v1;

class ServiceTest : public testing::TempDirTest {
 protected:
  void Start(const std::string& listen = "",
             const std::function<void(ServerOptions*)>& adjust = nullptr) {
    ServerOptions options;
    options.data_dir = Path("db");
    options.reference_dir = testing::ReferenceDir();
    options.listen_address = listen;
    if (adjust) adjust(&options);
    auto server = TechmatchServer::Start(options, &clock_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel = server_->InProcessChannel();
    orgs_ = v1::OrganizationService::NewStub(channel);
    offers_ = v1::OfferService::NewStub(channel);
    needs_ = v1::NeedService::NewStub(channel);
    reference_ = v1::ReferenceService::NewStub(channel);
  }
  void TearDown() override {
    server_.reset();
    TempDirTest::TearDown();
  }

  // Sends the first ADMIN key, created by Start() on the new directory.
  void Authorize(grpc::ClientContext* context) const {
    context->AddMetadata("authorization", "Bearer " + server_->bootstrap_key());
  }

  // Creates an organisation as admin; returns its name ("" on failure).
  std::string CreateOrg(
      const std::string& display_name = "Viện",
      v1::Organization::Kind kind = v1::Organization::RESEARCH_INSTITUTE) {
    grpc::ClientContext c;
    Authorize(&c);
    v1::CreateOrganizationRequest create;
    *create.mutable_organization() = testing::MakeOrg(display_name, kind);
    v1::Organization org;
    EXPECT_TRUE(orgs_->CreateOrganization(&c, create, &org).ok());
    return org.name();
  }

  // Creates an offer of `owner` as admin.
  void CreateOffer(const std::string& owner, const std::string& title) {
    grpc::ClientContext c;
    Authorize(&c);
    v1::CreateOfferRequest create;
    *create.mutable_offer() = testing::MakeOffer(owner, title);
    v1::Offer offer;
    EXPECT_TRUE(offers_->CreateOffer(&c, create, &offer).ok());
  }

  // Runs the CLI in-process with the admin key; returns the exit code and
  // fills out/err.
  int Cli(const std::vector<std::string>& args, const std::string& stdin_text,
          std::string* out, std::string* err) const {
    std::istringstream in(stdin_text);
    std::ostringstream o, e;
    client::CliIo io{&in, &o, &e, "", server_->bootstrap_key(), ""};
    int code = client::RunCli(args, io);
    *out = o.str();
    *err = e.str();
    return code;
  }

  SystemClock clock_;
  std::unique_ptr<TechmatchServer> server_;
  std::unique_ptr<v1::OrganizationService::Stub> orgs_;
  std::unique_ptr<v1::OfferService::Stub> offers_;
  std::unique_ptr<v1::NeedService::Stub> needs_;
  std::unique_ptr<v1::ReferenceService::Stub> reference_;
};

// The index snapshot: written after the first start's rebuild, again by the
// housekeeping thread once enough changes were committed, and read by the
// next start.
TEST_F(ServiceTest, IndexSnapshotIsRefreshedAfterEnoughChanges) {
  auto adjust = [](ServerOptions* options) {
    options->snapshot_every_changes = 3;
    options->expiry_interval = absl::Milliseconds(20);
  };
  Start("", adjust);
  EXPECT_FALSE(server_->index_load().from_snapshot);
  EXPECT_EQ(server_->index_load().snapshot_skipped, "no snapshot");
  const std::string snapshot = Path("db") + "/match_index.snapshot";
  ASSERT_TRUE(std::filesystem::exists(snapshot));
  const auto first_size = std::filesystem::file_size(snapshot);
  const std::string org = CreateOrg();
  CreateOffer(org, "Máy sấy bơm nhiệt");
  CreateOffer(org, "Lò hơi sinh khối");
  // Three changes: the next housekeeping round writes a snapshot.
  for (int i = 0;
       i < 250 && server_->matchmaker()->changes_since_snapshot() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server_->matchmaker()->changes_since_snapshot(), 0u);
  EXPECT_GT(std::filesystem::file_size(snapshot), first_size);

  server_.reset();
  Start("", adjust);
  EXPECT_TRUE(server_->index_load().from_snapshot)
      << server_->index_load().snapshot_skipped;
  EXPECT_EQ(server_->matchmaker()->matcher().offer_count(), 2u);
  EXPECT_EQ(server_->matchmaker()->changes_since_snapshot(), 0u);
}

// A snapshot that cannot be written (here: its temporary path is a
// directory) is logged, never fatal, and retried only after as many
// changes again, not at every housekeeping round.
TEST_F(ServiceTest, FailedSnapshotsAreRetriedAfterAsManyChanges) {
  std::filesystem::create_directories(Path("db") + "/match_index.snapshot.tmp");
  Start("", [](ServerOptions* options) {
    options->snapshot_every_changes = 2;
    options->expiry_interval = absl::Milliseconds(10);
  });
  EXPECT_EQ(server_->snapshot_failures(), 1u);  // the one after the rebuild
  auto failures_after_a_while = [&](uint64_t expected) {
    for (int i = 0; i < 250 && server_->snapshot_failures() < expected; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Many housekeeping rounds more: no further attempt.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return server_->snapshot_failures();
  };
  const std::string org = CreateOrg();
  CreateOffer(org, "Máy sấy");  // two changes: one attempt
  EXPECT_EQ(failures_after_a_while(2), 2u);
  CreateOffer(org, "Máy sấy");  // three: not yet
  EXPECT_EQ(failures_after_a_while(2), 2u);
  CreateOffer(org, "Máy sấy");  // four: the retry
  EXPECT_EQ(failures_after_a_while(3), 3u);
  EXPECT_TRUE(server_->matchmaker()->changes_since_snapshot() >= 4u);
  std::filesystem::remove(Path("db") + "/match_index.snapshot.tmp");
}

TEST_F(ServiceTest, CreateGetAndErrorCodes) {
  Start();
  const std::string org = CreateOrg("Trường ĐH", v1::Organization::UNIVERSITY);
  ASSERT_FALSE(org.empty());

  grpc::ClientContext c2;

  Authorize(&c2);
  v1::CreateOfferRequest create;
  *create.mutable_offer() = testing::MakeOffer(org, "Máy sấy");
  create.mutable_offer()->set_trl(11);
  v1::Offer offer;
  grpc::Status status = offers_->CreateOffer(&c2, create, &offer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("offer.trl", 0), 0u)
      << status.error_message();

  grpc::ClientContext c3;

  Authorize(&c3);
  v1::GetRequest get;
  get.set_name("offers/12345");
  EXPECT_EQ(offers_->GetOffer(&c3, get, &offer).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c4;
  Authorize(&c4);
  get.set_name("offerz/1");
  EXPECT_EQ(offers_->GetOffer(&c4, get, &offer).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext c5;

  Authorize(&c5);
  create.mutable_offer()->set_trl(8);
  ASSERT_TRUE(offers_->CreateOffer(&c5, create, &offer).ok());
  grpc::ClientContext c6;
  Authorize(&c6);
  v1::UpdateOfferRequest update;
  update.mutable_offer()->set_name(offer.name());
  update.mutable_offer()->set_title("x");
  update.mutable_offer()->set_version(offer.version() + 5);
  update.mutable_update_mask()->add_paths("title");
  EXPECT_EQ(offers_->UpdateOffer(&c6, update, &offer).error_code(),
            grpc::StatusCode::ABORTED);
}

TEST_F(ServiceTest, OversizedMessagesAreRefusedAndNothingIsWritten) {
  Start();
  grpc::ClientContext context;
  Authorize(&context);
  v1::CreateOfferRequest create;
  *create.mutable_offer() = testing::MakeOffer("organizations/1", "x");
  create.mutable_offer()->set_description(std::string(17 << 20, 'a'));
  v1::Offer offer;
  grpc::Status status = offers_->CreateOffer(&context, create, &offer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  // Within the message limit but over the field limit: INVALID_ARGUMENT.
  grpc::ClientContext c2;
  Authorize(&c2);
  create.mutable_offer()->set_description(std::string(20001, 'a'));
  status = offers_->CreateOffer(&c2, create, &offer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("offer.description", 0), 0u);
  grpc::ClientContext c3;
  Authorize(&c3);
  v1::ListOffersRequest list;
  v1::ListOffersResponse page;
  ASSERT_TRUE(offers_->ListOffers(&c3, list, &page).ok());
  EXPECT_EQ(page.offers_size(), 0);
}

TEST_F(ServiceTest, StreamingImportAnswersEveryChunk) {
  Start();
  const std::string org = CreateOrg();
  ASSERT_FALSE(org.empty());

  grpc::ClientContext context;

  Authorize(&context);
  auto stream = offers_->ImportOffers(&context);
  int64_t accepted = 0, rejected = 0;
  for (int chunk = 0; chunk < 3; ++chunk) {
    v1::ImportOffersRequest request;
    for (int i = 0; i < 10; ++i) {
      v1::Offer offer =
          testing::MakeOffer(org, "Công nghệ " + std::to_string(i));
      offer.set_external_ref("C" + std::to_string(chunk) + "-" + std::to_string(i));
      if (i == 4) offer.set_trl(0);  // one bad record per chunk
      *request.add_offers() = offer;
    }
    ASSERT_TRUE(stream->Write(request));
    v1::ImportResponse response;
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_EQ(response.results_size(), 10);
    EXPECT_EQ(response.results(0).index(), chunk * 10);
    for (const auto& r : response.results()) {
      (r.outcome() == v1::ImportResult::REJECTED ? rejected : accepted)++;
    }
    EXPECT_EQ(response.results(4).outcome(), v1::ImportResult::REJECTED);
    EXPECT_EQ(response.results(4).error_code(), "INVALID_ARGUMENT");
  }
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(accepted, 27);
  EXPECT_EQ(rejected, 3);

  grpc::ClientContext c2;

  Authorize(&c2);
  v1::ListOffersRequest list;
  list.set_page_size(100);
  v1::ListOffersResponse page;
  ASSERT_TRUE(offers_->ListOffers(&c2, list, &page).ok());
  EXPECT_EQ(page.offers_size(), 27);
}

TEST_F(ServiceTest, ReferenceService) {
  Start();
  grpc::ClientContext c1;
  Authorize(&c1);
  v1::ResolveProvinceRequest request;
  request.set_query("ben tre");
  v1::Province province;
  ASSERT_TRUE(reference_->ResolveProvince(&c1, request, &province).ok());
  EXPECT_EQ(province.name(), "Vĩnh Long");
  grpc::ClientContext c2;
  Authorize(&c2);
  request.set_query("Gotham");
  EXPECT_EQ(reference_->ResolveProvince(&c2, request, &province).error_code(),
            grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c3;
  Authorize(&c3);
  v1::ListSectorsResponse sectors;
  ASSERT_TRUE(reference_->ListSectors(&c3, {}, &sectors).ok());
  EXPECT_GT(sectors.sectors_size(), 40);
}

TEST_F(ServiceTest, CliDrivesTheServerOverLoopback) {
  Start("127.0.0.1:0");
  std::string server = "--server=127.0.0.1:" + std::to_string(server_->port());
  std::string out, err;
  ASSERT_EQ(Cli({server, "health"}, "", &out, &err), 0) << err;
  EXPECT_EQ(out, "SERVING\n");

  std::string orgs =
      R"({"external_ref":"U1","display_name":"ĐH Cần Thơ","kind":"UNIVERSITY","province":"can tho"})"
      "\n"
      R"({"display_name":"Bad","kind":"NOPE","province":"can tho"})"
      "\n";
  EXPECT_EQ(Cli({server, "org", "import", "-"}, orgs, &out, &err), 1);
  EXPECT_NE(err.find("1 created"), std::string::npos) << err;
  EXPECT_NE(err.find("1 rejected"), std::string::npos) << err;
  EXPECT_NE(err.find("line 2"), std::string::npos) << err;

  std::string offer =
      R"({"external_ref":"O1","owner":"organizations/1","title":"Công nghệ sấy lạnh","description":"Sấy lạnh trái cây","sector_codes":["211"],"trl":7,"state":"PUBLISHED"})";
  ASSERT_EQ(Cli({server, "offer", "upsert", "-"}, offer, &out, &err), 0) << err;
  EXPECT_NE(out.find("CREATED offers/1"), std::string::npos) << out;
  ASSERT_EQ(Cli({server, "offer", "upsert", "-"}, offer, &out, &err), 0) << err;
  EXPECT_NE(out.find("UNCHANGED offers/1"), std::string::npos) << out;

  ASSERT_EQ(Cli({server, "offer", "list", "--state=PUBLISHED"}, "", &out, &err), 0);
  EXPECT_NE(out.find("Công nghệ sấy lạnh"), std::string::npos) << out;
  ASSERT_EQ(Cli({server, "--json", "offer", "get", "1"}, "", &out, &err), 0);
  EXPECT_NE(out.find("\"external_ref\": \"O1\""), std::string::npos) << out;

  EXPECT_EQ(Cli({server, "offer", "get", "99"}, "", &out, &err), 1);
  EXPECT_NE(err.find("NOT_FOUND"), std::string::npos) << err;
  EXPECT_EQ(Cli({server, "offer", "frobnicate"}, "", &out, &err), 2);
  ASSERT_EQ(Cli({server, "offer", "withdraw", "offers/1"}, "", &out, &err), 0);
  ASSERT_EQ(Cli({server, "offer", "export"}, "", &out, &err), 0);
  EXPECT_NE(out.find("\"WITHDRAWN\""), std::string::npos) << out;
}

}  // namespace
}  // namespace techmatch::server

namespace techmatch::server {
namespace {

// Issue 20, item 9: a request gRPC cannot decode answered INTERNAL with an
// empty message. It answers INVALID_ARGUMENT naming the field (invalid
// UTF-8) or the message type expected (bytes that are no message).
TEST_F(ServiceTest, UndecodableRequestsAreInvalidArgumentNamingTheField) {
  Start();
  const std::string org = CreateOrg();
  grpc::ClientContext c1;
  Authorize(&c1);
  v1::CreateOfferRequest create;
  *create.mutable_offer() = testing::MakeOffer(org, "Máy sấy");
  create.mutable_offer()->set_title("M\xE1y s\xFF");  // Latin-1, not UTF-8
  v1::Offer offer;
  grpc::Status status = offers_->CreateOffer(&c1, create, &offer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("offer.title: is not valid UTF-8", 0),
            0u)
      << status.error_message();

  // Bytes that are no protobuf message at all (a truncated field).
  grpc::GenericStub stub(server_->InProcessChannel());
  grpc::ClientContext c2;
  Authorize(&c2);
  const char garbage[] =
      "\x0A\x7F\x01";  // field 1, 127 bytes announced, 1 sent
  grpc::Slice slice(garbage, sizeof(garbage) - 1);
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&c2, "/techmatch.v1.OfferService/CreateOffer",
                 grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  status = done.get_future().get();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("techmatch.v1.CreateOfferRequest"),
            std::string::npos)
      << status.error_message();

  // On an import stream: the chunk answered before stands; the status names
  // the chunk that did not decode.
  grpc::ClientContext c3;
  Authorize(&c3);
  auto stream = offers_->ImportOffers(&c3);
  v1::ImportOffersRequest chunk;
  *chunk.add_offers() = testing::MakeOffer(org, "Lò hơi");
  ASSERT_TRUE(stream->Write(chunk));
  v1::ImportResponse answer;
  ASSERT_TRUE(stream->Read(&answer));
  EXPECT_EQ(answer.results(0).outcome(), v1::ImportResult::CREATED);
  chunk.mutable_offers(0)->set_summary("t\xC3");  // cut in a character
  stream->Write(chunk);
  stream->WritesDone();
  while (stream->Read(&answer)) {
  }
  status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("message 2 of the stream: "
                                        "offers[].summary: is not valid UTF-8"),
            std::string::npos)
      << status.error_message();

  EXPECT_EQ(
      FieldPathIn("techmatch.v1.UpdateOfferRequest", "techmatch.v1.Need.title"),
      "");
  EXPECT_EQ(
      FieldPathIn("techmatch.v1.NoSuchRequest", "techmatch.v1.Offer.title"),
      "");
  EXPECT_EQ(FieldPathIn("techmatch.v1.ImportOffersRequest",
                        "techmatch.v1.Offer.keywords"),
            "offers[].keywords[]");
}

}  // namespace
}  // namespace techmatch::server

namespace techmatch::server {
namespace {

// Issue 20, item 7: Timestamps past 9999-12-31 were accepted and then made
// exports write truncated JSON lines, exiting 0. Every request Timestamp is
// checked against protobuf's JSON range, and a CLI writer that fails exits
// non-zero.
TEST_F(ServiceTest, TimestampsOutsideTheJsonRangeAreRefused) {
  Start();
  const std::string org = CreateOrg();
  constexpr int64_t kPastMax = 253402300800;  // 10000-01-01T00:00:00Z
  grpc::ClientContext c1;
  Authorize(&c1);
  v1::CreateOfferRequest create;
  *create.mutable_offer() = testing::MakeOffer(org, "Máy sấy");
  create.mutable_offer()->mutable_expire_time()->set_seconds(kPastMax);
  v1::Offer offer;
  grpc::Status status = offers_->CreateOffer(&c1, create, &offer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(
      status.error_message().rfind("offer.expire_time: must lie between", 0),
      0u)
      << status.error_message();

  create.mutable_offer()->clear_expire_time();
  grpc::ClientContext c2;
  Authorize(&c2);
  ASSERT_TRUE(offers_->CreateOffer(&c2, create, &offer).ok());
  grpc::ClientContext c3;
  Authorize(&c3);
  v1::PublishRequest publish;
  publish.set_name(offer.name());
  publish.mutable_expire_time()->set_seconds(1'800'000'000);
  publish.mutable_expire_time()->set_nanos(1'000'000'000);  // one too many
  status = offers_->PublishOffer(&c3, publish, &offer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("expire_time: must lie between", 0),
            0u)
      << status.error_message();

  grpc::ClientContext c4;
  Authorize(&c4);
  v1::CreateNeedRequest need;
  *need.mutable_need() =
      testing::MakeNeed(CreateOrg("DN", v1::Organization::ENTERPRISE), "Cần");
  need.mutable_need()->mutable_deadline()->set_seconds(-62135596801);  // year 0
  v1::Need out;
  status = needs_->CreateNeed(&c4, need, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("need.deadline"), std::string::npos)
      << status.error_message();
}

// A server (an older build, or a faulty one) answering a record whose
// create_time JSON cannot express.
class FarFutureOrganizations final : public v1::OrganizationService::Service {
  grpc::Status GetOrganization(grpc::ServerContext*,
                               const v1::GetRequest* request,
                               v1::Organization* response) override {
    response->set_name(request->name());
    response->set_display_name("Viện");
    response->mutable_create_time()->set_seconds(253402300800);  // year 10000
    return grpc::Status::OK;
  }
};

TEST(CliOutputTest, ACliWriterThatFailsExitsNonZero) {
  FarFutureOrganizations service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto run = [&](std::vector<std::string> args, std::string* out,
                 std::string* err) {
    args.insert(args.begin(), "--server=127.0.0.1:" + std::to_string(port));
    std::istringstream in;
    std::ostringstream o, e;
    client::CliIo io{&in, &o, &e, "", "tmk_1_x", ""};
    const int code = client::RunCli(args, io);
    *out = o.str();
    *err = e.str();
    return code;
  };
  std::string out, err;
  EXPECT_EQ(run({"org", "get", "organizations/1", "--json"}, &out, &err), 1);
  EXPECT_NE(err.find("cannot write Organization as JSON"), std::string::npos)
      << err;
  EXPECT_EQ(out.find('{'), std::string::npos) << out;  // no partial line
  EXPECT_EQ(run({"org", "get", "organizations/1"}, &out, &err), 1);
  EXPECT_NE(out.find("out of range"), std::string::npos) << out;
  server->Shutdown();
}

}  // namespace
}  // namespace techmatch::server

namespace techmatch::server {
namespace {

// A tmpfs of `mib` MiB mounted at `dir` for one test (needs the right to
// mount: root in the CI machine and here). Unmounted on destruction.
class SmallFilesystem {
 public:
  SmallFilesystem(const std::string& dir, int mib) : dir_(dir) {
    std::filesystem::create_directories(dir);
    const std::string command =
        "mount -t tmpfs -o size=" + std::to_string(mib) + "m tmpfs " + dir +
        " 2>/dev/null";
    mounted_ = std::system(command.c_str()) == 0;
  }
  ~SmallFilesystem() {
    if (mounted_) (void)!std::system(("umount -l " + dir_).c_str());
  }
  bool mounted() const { return mounted_; }
  // Writes a file until the filesystem is full; returns its path.
  std::string Fill() const {
    const std::string path = dir_ + "/filler";
    FILE* f = std::fopen(path.c_str(), "wb");
    std::string block(1 << 16, 'x');
    while (f != nullptr &&
           std::fwrite(block.data(), 1, block.size(), f) == block.size() &&
           std::fflush(f) == 0) {
    }
    if (f != nullptr) std::fclose(f);
    return path;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Issue 20, item 8: after the disk filled up, writes kept failing until a
// restart, health stayed SERVING and the alert engine logged every 200 ms.
// Now a write that fails answers UNAVAILABLE with nothing written, health
// turns NOT_SERVING, and once space returns the database resumes by itself:
// health SERVING, writes accepted, every acknowledged record there.
TEST_F(ServiceTest, WritesRecoverWhenTheDiskHasSpaceAgain) {
  // Larger than RocksDB's own margin: it resumes once 64 MiB are free.
  SmallFilesystem disk(Path("small"), 256);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (not root?): the disk-full "
                    "recovery test needs a small filesystem of its own";
  }
  ServerOptions options;
  options.data_dir = Path("small") + "/db";
  options.reference_dir = testing::ReferenceDir();
  options.listen_address = "127.0.0.1:0";
  options.index_snapshot = false;
  options.limits.per_key.rate = 0;  // this test is about the disk
  auto started = TechmatchServer::Start(options, &clock_);
  ASSERT_TRUE(started.ok()) << started.status();
  server_ = *std::move(started);
  auto channel = server_->InProcessChannel();
  orgs_ = v1::OrganizationService::NewStub(channel);
  offers_ = v1::OfferService::NewStub(channel);
  const std::string address =
      "--server=127.0.0.1:" + std::to_string(server_->port());
  auto health = [&] {
    std::string out, err;
    Cli({address, "health"}, "", &out, &err);
    return out;
  };
  auto create = [&](const std::string& name, v1::Organization* out) {
    grpc::ClientContext c;
    Authorize(&c);
    v1::CreateOrganizationRequest request;
    *request.mutable_organization() =
        testing::MakeOrg(name, v1::Organization::UNIVERSITY);
    return orgs_->CreateOrganization(&c, request, out);
  };
  auto wait_for = [&](const std::string& status) {
    for (int i = 0; i < 100 && health() != status + "\n"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return health();
  };
  v1::Organization before;
  ASSERT_TRUE(create("Trước", &before).ok());
  EXPECT_EQ(health(), "SERVING\n");

  const std::string filler = disk.Fill();
  v1::Organization ignored;
  grpc::Status failed;
  // RocksDB's write-ahead log holds preallocated space (~70 MB): large
  // offers until it is used up and a write fails.
  std::string long_text;
  for (int i = 0; i < 19000; ++i) long_text += "ệ";
  for (int i = 0; i < 3000 && failed.ok(); ++i) {
    grpc::ClientContext c;
    Authorize(&c);
    v1::CreateOfferRequest request;
    *request.mutable_offer() =
        testing::MakeOffer(before.name(), "Đầy " + std::to_string(i));
    request.mutable_offer()->set_description(long_text);
    v1::Offer offer;
    failed = offers_->CreateOffer(&c, request, &offer);
  }
  ASSERT_FALSE(failed.ok()) << "the disk never filled";
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE)
      << failed.error_message();
  EXPECT_NE(failed.error_message().find("retry later"), std::string::npos)
      << failed.error_message();
  EXPECT_EQ(wait_for("NOT_SERVING"), "NOT_SERVING\n");
  // Still failing while full, and quickly.
  EXPECT_EQ(create("Vẫn đầy", &ignored).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  std::filesystem::remove(filler);
  EXPECT_EQ(wait_for("SERVING"), "SERVING\n");
  v1::Organization after;
  grpc::Status recovered = create("Sau", &after);
  ASSERT_TRUE(recovered.ok()) << recovered.error_message();
  grpc::ClientContext c;
  Authorize(&c);
  v1::ListOrganizationsRequest list;
  list.set_page_size(1000);
  v1::ListOrganizationsResponse page;
  ASSERT_TRUE(orgs_->ListOrganizations(&c, list, &page).ok());
  std::set<std::string> names;
  for (const auto& org : page.organizations()) names.insert(org.display_name());
  EXPECT_TRUE(names.count("Trước"));
  EXPECT_TRUE(names.count("Sau"));
  EXPECT_FALSE(names.count("Vẫn đầy"));
  server_.reset();
}

}  // namespace
}  // namespace techmatch::server
