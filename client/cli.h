// The techmatch command-line client: parses a command line, calls the
// techmatchd API, prints a readable table (or JSON with --json).
//
//   techmatch [--server=HOST:PORT] [--json] [--timeout=SECONDS] NOUN VERB ...
//
// Run `techmatch help` for every command. The server address comes from
// --server, else $TECHMATCH_SERVER, else 127.0.0.1:50051. The API key comes
// from $TECHMATCH_API_KEY, else --key-file, else $TECHMATCH_API_KEY_FILE
// (never from a command-line value, which other users could read in the
// process list). --tls-ca turns TLS on; --tls-cert/--tls-key add a client
// certificate (mutual TLS).
#ifndef TECHMATCH_CLIENT_CLI_H_
#define TECHMATCH_CLIENT_CLI_H_

#include <iosfwd>
#include <string>
#include <vector>

namespace techmatch::client {

// Where the CLI reads and writes; injected so tests can drive it.
struct CliIo {
  std::istream* in;
  std::ostream* out;
  std::ostream* err;
  // Value of $TECHMATCH_SERVER (empty when unset).
  std::string server_from_env;
  // Value of $TECHMATCH_API_KEY: the API key sent with every call.
  std::string api_key_from_env;
  // Value of $TECHMATCH_API_KEY_FILE: a file holding the key (used when
  // $TECHMATCH_API_KEY and --key-file are absent).
  std::string api_key_file_from_env;
};

// Exit codes: 0 success; 1 a call failed or records were rejected (the gRPC
// code and message are printed on err); 2 the command line is wrong.
int RunCli(const std::vector<std::string>& args, const CliIo& io);

}  // namespace techmatch::client

#endif  // TECHMATCH_CLIENT_CLI_H_
