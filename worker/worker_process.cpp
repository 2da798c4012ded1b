#include "worker/worker_process.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "worker/protocol.h"
#include "worker/wire.h"

extern char** environ;

#ifndef COHORTWATCH_WORKER_BUILT
#error "COHORTWATCH_WORKER_BUILT must be defined by the build (worker/CMakeLists.txt)"
#endif

namespace cohortwatch::worker {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

bool isProgram(const fs::path& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0 && fs::is_regular_file(path);
}

int millisecondsUntil(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, 60'000));
}

// Writes all of `bytes`; false when the peer is gone (EPIPE, ECONNRESET) or the deadline passes.
bool sendAll(int socket, std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(socket, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd fd{socket, POLLOUT, 0};
      if (Clock::now() >= deadline) return false;
      ::poll(&fd, 1, millisecondsUntil(deadline));
      continue;
    }
    return false;
  }
  return true;
}

enum class ReadResult { kDone, kEnd, kTimedOut, kError };

// Reads exactly `size` bytes into `out`; kEnd when the peer closed before the first of them.
ReadResult readExactly(int socket, char* out, std::size_t size, Clock::time_point deadline,
                       bool& got_any) {
  std::size_t done = 0;
  while (done < size) {
    pollfd fd{socket, POLLIN, 0};
    const int ready = ::poll(&fd, 1, millisecondsUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ReadResult::kError;
    if (ready == 0) {
      if (Clock::now() >= deadline) return ReadResult::kTimedOut;
      continue;
    }
    const ssize_t n = ::recv(socket, out + done, size - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ReadResult::kError;
    if (n == 0) return ReadResult::kEnd;
    done += static_cast<std::size_t>(n);
    got_any = true;
  }
  return ReadResult::kDone;
}

}  // namespace

fs::path findWorkerProgram(std::string& error) {
  if (const char* configured = std::getenv("COHORTWATCH_WORKER"); configured && *configured) {
    if (isProgram(configured)) return configured;
    error = fmt::format("COHORTWATCH_WORKER names {}, which is not an executable file", configured);
    return {};
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(self.parent_path() / kWorkerProgram);
    candidates.push_back(self.parent_path().parent_path() / "libexec" / "cohortwatch" / kWorkerProgram);
  }
  candidates.emplace_back(COHORTWATCH_WORKER_BUILT);
  for (const auto& candidate : candidates) {
    if (isProgram(candidate)) return candidate;
  }
  std::string looked;
  for (const auto& candidate : candidates) looked += (looked.empty() ? "" : ", ") + candidate.string();
  error = fmt::format("{} not found (looked at {}; COHORTWATCH_WORKER can name it)", kWorkerProgram,
                      looked);
  return {};
}

WorkerProcess::~WorkerProcess() { stop(false); }

std::optional<pid_t> WorkerProcess::pid() const {
  std::lock_guard lock(mutex_);
  if (socket_ < 0) return std::nullopt;
  return pid_;
}

bool WorkerProcess::start(std::string& error) {
  const fs::path program = findWorkerProgram(error);
  if (program.empty()) return false;
  std::array<int, 2> pair{-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
    error = fmt::format("cannot make a socket pair for {}: {}", kWorkerProgram, std::strerror(errno));
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pair[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pair[1], STDOUT_FILENO);
  // Nothing else of the service's (its database, its listening socket) reaches the worker.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int signal : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGCHLD}) sigaddset(&defaults, signal);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string program_text = program.string();
  std::array<char*, 2> argv{program_text.data(), nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, program_text.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(pair[1]);
  if (spawned != 0) {
    ::close(pair[0]);
    error = fmt::format("cannot start {}: {}", program_text, std::strerror(spawned));
    return false;
  }
  socket_ = pair[0];
  pid_ = pid;
  // A pidfd, so that killing a worker that hangs can never hit another process that reused the
  // number after the worker was reaped.
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  // The worker ends by itself when idle; this thread reaps it then, so no zombie lingers.
  std::thread([pid] {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }).detach();
  return true;
}

void WorkerProcess::stop(bool kill) {
  if (socket_ < 0) return;
  if (kill) {
    if (pidfd_ >= 0) {
      ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
    } else {
      ::kill(pid_, SIGKILL);
    }
  }
  // Closing the socket is the end of the worker's input: an idle worker ends at once.
  ::close(socket_);
  if (pidfd_ >= 0) ::close(pidfd_);
  socket_ = -1;
  pidfd_ = -1;
  pid_ = -1;
}

WorkerProcess::Step WorkerProcess::attempt(const std::string& request_frame,
                                           Clock::time_point deadline, Outcome& outcome) {
  if (socket_ < 0) {
    std::string error;
    if (!start(error)) {
      outcome = {Failure::kCannotStart, {}, error};
      return Step::kFailed;
    }
  }
  if (!sendAll(socket_, request_frame, deadline)) {
    // Gone before it could read the request (it left, idle): nothing was taken.
    if (Clock::now() < deadline) {
      stop(false);
      return Step::kNotTaken;
    }
    stop(true);
    outcome = {Failure::kTimedOut, {}, fmt::format("{} did not take the request in time", kWorkerProgram)};
    return Step::kFailed;
  }
  unsigned char prefix[4];
  bool got_any = false;
  ReadResult read = readExactly(socket_, reinterpret_cast<char*>(prefix), sizeof prefix, deadline, got_any);
  std::string payload;
  if (read == ReadResult::kDone) {
    try {
      payload.resize(frameLength(prefix));
    } catch (const WireError& e) {
      stop(true);
      outcome = {Failure::kBadResponse, {}, fmt::format("{} answered badly: {}", kWorkerProgram, e.what())};
      return Step::kFailed;
    }
    read = readExactly(socket_, payload.data(), payload.size(), deadline, got_any);
  }
  if (read == ReadResult::kTimedOut) {
    stop(true);
    outcome = {Failure::kTimedOut, {},
               fmt::format("{} did not answer in time and was stopped", kWorkerProgram)};
    return Step::kFailed;
  }
  if (read != ReadResult::kDone) {
    stop(true);
    outcome = {Failure::kEnded, {},
               fmt::format("{} ended before answering (it may have done the work)", kWorkerProgram)};
    return Step::kFailed;
  }
  try {
    WireReader reader(payload);
    const ResponseTag tag = readResponseTag(reader);
    if (tag == ResponseTag::kLeaving) {
      stop(false);
      return Step::kNotTaken;
    }
    if (tag == ResponseTag::kFailed) {
      outcome = {Failure::kBadResponse, {},
                 fmt::format("{} could not read the request: {}", kWorkerProgram, reader.getString())};
      return Step::kFailed;
    }
  } catch (const WireError& e) {
    stop(true);
    outcome = {Failure::kBadResponse, {}, fmt::format("{} answered badly: {}", kWorkerProgram, e.what())};
    return Step::kFailed;
  }
  outcome = {Failure::kNone, std::move(payload), {}};
  return Step::kAnswered;
}

WorkerProcess::Outcome WorkerProcess::exchange(const std::string& request_frame,
                                               std::chrono::seconds deadline) {
  std::lock_guard lock(mutex_);
  const Clock::time_point until = Clock::now() + deadline;
  Outcome outcome;
  // A worker leaving just as the request arrives did not take it: one more, new worker.
  for (int tries = 0; tries < 2; ++tries) {
    if (attempt(request_frame, until, outcome) != Step::kNotTaken) return outcome;
  }
  return {Failure::kEnded, {}, fmt::format("{} ended twice without taking the request", kWorkerProgram)};
}

}  // namespace cohortwatch::worker
