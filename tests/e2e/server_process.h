// Runs the real techmatchd binary as a child process on a loopback port.
#ifndef TECHMATCH_TESTS_E2E_SERVER_PROCESS_H_
#define TECHMATCH_TESTS_E2E_SERVER_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace techmatch::testing {

class ServerProcess {
 public:
  // `data_dir` is the RocksDB directory; logs go to data_dir + ".log".
  // `extra_args` are added to techmatchd's command line.
  explicit ServerProcess(std::string data_dir,
                         std::vector<std::string> extra_args = {})
      : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)) {}
  ~ServerProcess() {
    if (pid_ > 0) Kill(SIGKILL);
  }

  // Starts the server and waits until it has written its port. False when it
  // did not come up within 20 s.
  bool Start() {
    std::string port_file = data_dir_ + ".port";
    std::filesystem::remove(port_file);
    pid_ = fork();
    if (pid_ == 0) {
      std::string log = data_dir_ + ".log";
      FILE* f = std::freopen(log.c_str(), "a", stderr);
      FILE* g = std::freopen(log.c_str(), "a", stdout);
      (void)f;
      (void)g;
      std::vector<std::string> args = {
          TECHMATCHD_PATH, "--data_dir=" + data_dir_, "--listen=127.0.0.1:0",
          "--port_file=" + port_file,
          std::string("--reference_dir=") + TECHMATCH_SOURCE_DIR +
              "/data/reference"};
      args.insert(args.end(), extra_args_.begin(), extra_args_.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(port_file);
      if (in >> port_ && port_ > 0) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Sends `signal` and reaps the process; returns its wait status.
  int Kill(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // The file where the first start wrote the first ADMIN key.
  std::string admin_key_file() const {
    return data_dir_ + "/bootstrap_admin.key";
  }
  // That key ("" when unreadable).
  std::string admin_key() const {
    std::ifstream in(admin_key_file());
    std::string key;
    in >> key;
    return key;
  }
  // The process id, or -1 when not running.
  pid_t pid() const { return pid_; }

 private:
  std::string data_dir_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Runs a shell command; returns its exit code and captures stdout.
inline int RunCommand(const std::string& command, std::string* out) {
  out->clear();
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out->append(buffer, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace techmatch::testing

#endif  // TECHMATCH_TESTS_E2E_SERVER_PROCESS_H_
