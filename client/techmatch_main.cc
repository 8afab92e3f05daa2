// techmatch: the command-line client of techmatchd.
#include <cstdlib>
#include <iostream>

#include "client/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value == nullptr ? "" : value);
  };
  techmatch::client::CliIo io{&std::cin,
                              &std::cout,
                              &std::cerr,
                              env("TECHMATCH_SERVER"),
                              env("TECHMATCH_API_KEY"),
                              env("TECHMATCH_API_KEY_FILE")};
  return techmatch::client::RunCli(args, io);
}
