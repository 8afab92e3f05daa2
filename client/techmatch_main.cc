// techmatch: the command-line client of techmatchd.
#include <cstdlib>
#include <iostream>

#include "client/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env = std::getenv("TECHMATCH_SERVER");
  techmatch::client::CliIo io{&std::cin, &std::cout, &std::cerr,
                              env == nullptr ? "" : env};
  return techmatch::client::RunCli(args, io);
}
