// The techmatch CLI's parts (internal to client/): the parsed command line,
// the Cli class whose commands are spread over cli*.cc by concern, and the
// helpers they share. Only client/ includes this; the public entry point is
// client/cli.h.
//   cli.cc              command line, connection, errors, output; help, ref,
//                       health, whoami; dispatch
//   cli_records.cc      org / offer / need: create ... import, export
//   cli_match.cc        match, search, alerts
//   cli_connections.cc  connection
//   cli_admin.cc        key, audit, admin (backups), feed, report
#ifndef TECHMATCH_CLIENT_CLI_INTERNAL_H_
#define TECHMATCH_CLIENT_CLI_INTERNAL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/cli.h"
#include "client/record_json.h"
#include "client/report_format.h"
#include "client/table.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "techmatch/v1/access.grpc.pb.h"
#include "techmatch/v1/admin.grpc.pb.h"
#include "techmatch/v1/alert.grpc.pb.h"
#include "techmatch/v1/connection.grpc.pb.h"
#include "techmatch/v1/feed.grpc.pb.h"
#include "techmatch/v1/match_service.grpc.pb.h"
#include "techmatch/v1/reference.grpc.pb.h"
#include "techmatch/v1/registry_service.grpc.pb.h"
#include "techmatch/v1/report.grpc.pb.h"

namespace techmatch::client::internal {

namespace v1 = techmatch::v1;
using google::protobuf::Message;
using google::protobuf::util::JsonPrintOptions;
using google::protobuf::util::TimeUtil;

// The help text (`techmatch help`).
extern const char kUsage[];

// A parsed command line: positional words, --key=value options, --flags.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::set<std::string> flags;

  std::string Get(const std::string& key) const {
    auto it = options.find(key);
    return it == options.end() ? "" : it->second;
  }
};

// Splits "--key=value", "--key value" and boolean "--flag"; the rest is
// positional. Returns an error message for a dangling "--key".
std::optional<std::string> ParseArgs(const std::vector<std::string>& raw,
                                     Args* args);

// One run of the CLI: the command in `args`, with `io`'s streams and
// environment.
class Cli {
 public:
  Cli(const Args& args, const CliIo& io) : args_(args), io_(io) {}

  int Run();

 private:
  // org / offer / need commands (cli_records.cc).
  int RunRecordCommand(const std::string& noun, const std::string& verb);
  template <class Traits>
  int RunRecords(const std::string& verb);
  int RunReference();
  int RunHealth();
  int RunWhoAmI();
  int RunKey();
  int RunAudit();
  int RunConnection();
  int RunAdmin();
  int RunFeed();
  int RunReport();
  int RunAlerts();
  void PrintConnection(const v1::Connection& c) const;
  // The API key to send, or empty (a key file that cannot be read is
  // reported on err).
  std::string ApiKey() const;
  int RunMatch();
  int RunSearch();
  // Matches or search results, as a table or (--explain) each with its
  // breakdown; then the response's "no good match" sentence, if any, and
  // the next page's token.
  template <class Item>
  void PrintMatches(const google::protobuf::RepeatedPtrField<Item>& items,
                    const std::string& next_token,
                    const std::string& no_good_match);

  std::unique_ptr<grpc::ClientContext> NewContext(bool streaming = false) const;
  std::shared_ptr<grpc::Channel> channel();
  int Fail(const grpc::Status& status, const std::string& what) const;
  int Usage(const std::string& message) const;
  bool json() const { return args_.flags.count("json") > 0; }
  std::ostream& out() const { return *io_.out; }
  std::ostream& err() const { return *io_.err; }
  // Reads FILE or "-" (stdin) whole.
  std::optional<std::string> ReadInput(const std::string& path) const;
  // Parses `text` as a T record (client/record_json.h); false, with the
  // reason on err, when it is not one.
  template <class T>
  bool ParseJson(const std::string& text, T* message,
                 const std::string& where) const {
    absl::Status status = ParseRecordJson(text, message);
    if (!status.ok()) {
      err() << "techmatch: " << where << ": not a valid "
            << T::descriptor()->name() << " in JSON: " << status.message()
            << "\n";
      return false;
    }
    return true;
  }
  // Write `message` to out(). A message that cannot be written (a value
  // out of JSON's range) is reported on err and marks the output failed.
  void PrintJson(const Message& message, bool pretty) const;
  void PrintRecord(const Message& message) const;

  // The command's exit code, made 1 when it exited 0 but its output
  // failed (a record not written, or the stream refusing output).
  int Finish(int code) const;
  int Dispatch();

  const Args& args_;
  mutable bool output_failed_ = false;
  const CliIo& io_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A file's whole content without surrounding blanks; *ok false when it
// cannot be read.
std::string ReadFileTrimmed(const std::string& path, bool* ok);
// "42" -> "offers/42" for `collection` "offers"; a full name unchanged.
std::string Normalized(const std::string& collection, const std::string& name);
// An RFC 3339 time; false when `text` is not one.
bool ParseTimestamp(const std::string& text, google::protobuf::Timestamp* out);
// 0.42 -> "42%".
std::string Percent(double share);
// Three decimals.
std::string Fixed(double v);
// STRONG / POSSIBLE / WEAK ("" when unset).
std::string LabelName(v1::MatchLabel label);

}  // namespace techmatch::client::internal

#endif  // TECHMATCH_CLIENT_CLI_INTERNAL_H_
