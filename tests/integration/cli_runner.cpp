#include "cli_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace cohortwatch::integration {

namespace {

// A pipe whose ends close themselves; both ends are close-on-exec, the child gets its copy
// through dup2 in the spawn file actions.
class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_.data(), O_CLOEXEC) != 0) {
      throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    }
  }
  ~Pipe() {
    closeRead();
    closeWrite();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  int readEnd() const { return fds_[0]; }
  int writeEnd() const { return fds_[1]; }
  void closeRead() { closeEnd(0); }
  void closeWrite() { closeEnd(1); }

 private:
  void closeEnd(std::size_t end) {
    if (fds_[end] >= 0) ::close(fds_[end]);
    fds_[end] = -1;
  }
  std::array<int, 2> fds_{-1, -1};
};

class SpawnActions {
 public:
  SpawnActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

std::vector<std::string> childEnvironment(
    const std::vector<std::pair<std::string, std::string>>& additions) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    const std::string name = text.substr(0, text.find('='));
    bool replaced = false;
    for (const auto& [key, value] : additions) replaced = replaced || key == name;
    if (!replaced) env.push_back(std::move(text));
  }
  for (const auto& [key, value] : additions) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& text : strings) result.push_back(text.data());
  result.push_back(nullptr);
  return result;
}

std::string describe(const std::filesystem::path& program, const std::vector<std::string>& args) {
  std::string text = program.filename().string();
  for (const auto& arg : args) text += " " + arg;
  return text;
}

// Reads what is available on `fd` into `sink`; false once the writer has closed its end.
bool drain(int fd, std::string& sink) {
  std::array<char, 65536> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      sink.append(buffer.data(), static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < buffer.size()) return true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return true;
    return false;
  }
}

int exitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

CliResult runProgram(const std::filesystem::path& program, const std::vector<std::string>& args,
                     const CliOptions& options) {
  CliResult result;
  Pipe out_pipe;
  Pipe err_pipe;
  SpawnActions actions;
  ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(actions.get(), out_pipe.writeEnd(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(actions.get(), err_pipe.writeEnd(), STDERR_FILENO);
  if (!options.working_dir.empty()) {
    ::posix_spawn_file_actions_addchdir_np(actions.get(), options.working_dir.c_str());
  }

  std::vector<std::string> argv_strings;
  argv_strings.push_back(program.string());
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  auto argv = pointers(argv_strings);
  auto env_strings = childEnvironment(options.environment);
  auto envp = pointers(env_strings);

  pid_t pid = -1;
  const int spawn_error =
      ::posix_spawn(&pid, program.c_str(), actions.get(), nullptr, argv.data(), envp.data());
  if (spawn_error != 0) {
    ADD_FAILURE() << "cannot start " << program << ": " << std::strerror(spawn_error);
    return result;
  }
  out_pipe.closeWrite();
  err_pipe.closeWrite();
  ::fcntl(out_pipe.readEnd(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_pipe.readEnd(), F_SETFL, O_NONBLOCK);

  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool out_open = true;
  bool err_open = true;
  while ((out_open || err_open) && !result.timed_out) {
    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    if (out_open) fds[count++] = pollfd{out_pipe.readEnd(), POLLIN, 0};
    if (err_open) fds[count++] = pollfd{err_pipe.readEnd(), POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    const int ready = ::poll(fds.data(), count, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      ADD_FAILURE() << "poll: " << std::strerror(errno);
      result.timed_out = true;  // treat as stuck: kill the child below
      break;
    }
    for (nfds_t i = 0; i < count; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if (fds[i].fd == out_pipe.readEnd()) {
        out_open = drain(fds[i].fd, result.out);
      } else {
        err_open = drain(fds[i].fd, result.err);
      }
    }
  }

  int status = 0;
  for (;;) {
    if (result.timed_out) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      ADD_FAILURE() << "waitpid: " << std::strerror(errno);
      return result;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (result.timed_out) {
    ADD_FAILURE() << "timed out after " << options.timeout.count()
                  << " s (killed): " << describe(program, args);
    result.exit_code = -1;
    return result;
  }
  result.exit_code = exitCodeOf(status);
  return result;
}

CliResult runCohortwatch(const std::vector<std::string>& args, const CliOptions& options) {
  return runProgram(cohortwatchBinary(), args, options);
}

std::filesystem::path cohortwatchBinary() {
  return COHORTWATCH_BINARY;
}
std::filesystem::path sourceDir() {
  return COHORTWATCH_SOURCE_DIR;
}

TempDir::TempDir() {
  static std::atomic<unsigned> counter{0};
  std::string test = "test";
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    test = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : test) {
      if (c == '/') c = '_';
    }
  }
  std::random_device random;
  const auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0;; ++attempt) {
    std::ostringstream name;
    name << "cohortwatch-it-" << test << '-' << ::getpid() << '-' << counter++ << '-' << std::hex
         << random();
    path_ = base / name.str();
    std::error_code ec;
    if (std::filesystem::create_directory(path_, ec)) break;
    if (attempt > 100)
      throw std::runtime_error("cannot create a temporary folder under " + base.string());
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string readFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeFile(const std::filesystem::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      result.push_back(text.substr(start));
      break;
    }
    result.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return result;
}

}  // namespace cohortwatch::integration
