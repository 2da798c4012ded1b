// One cohortwatch-worker process, as its client in the service sees it. The work that needs the
// heavy libraries (libcurl with its TLS stacks for SMTP, webhooks and HTTP sources; cairo for
// the board report's PNG charts) runs in that separate program, so the long-running service maps
// none of them: its resident memory stays small, and a crash in a TLS stack or an image library
// costs one attempt, not the service.
//
// Contract, in short:
//  - The worker is started (posix_spawn, a socket pair on its stdin and stdout, no other file
//    descriptor) at the first exchange, and ends by itself after kWorkerIdleSeconds without a
//    request; the next exchange starts a new one. One exchange at a time per WorkerProcess (a
//    mutex enforces it); each client object owns its own worker.
//  - exchange() sends one request frame and returns the response's payload. A worker that says it
//    is leaving (idle) without taking the request, or that is gone before the request could be
//    written, is replaced and the request sent again, once: it was not taken.
//  - A worker that ends after taking the request without answering (it crashed, or was killed)
//    is kEnded: the work may or may not have been done. One that does not answer within the
//    deadline is killed: kTimedOut, likewise. A worker that cannot be started is kCannotStart:
//    nothing was done.
//  - The program is found, in order: $COHORTWATCH_WORKER; next to the running executable (the
//    build tree); ../libexec/cohortwatch/ from the executable's folder (an installation, whatever
//    its prefix); the build tree's copy (for the test programs).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace cohortwatch::worker {

inline constexpr int kWorkerIdleSeconds = 10;
inline constexpr const char* kWorkerProgram = "cohortwatch-worker";

// Where the worker program is; empty when it cannot be found (error says where it looked).
std::filesystem::path findWorkerProgram(std::string& error);

class WorkerProcess {
 public:
  enum class Failure { kNone, kCannotStart, kEnded, kTimedOut, kBadResponse };

  struct Outcome {
    Failure failure = Failure::kNone;
    std::string payload;  // kNone: the response after its length prefix (its tag first)
    std::string detail;   // otherwise: one line saying what happened
  };

  WorkerProcess() = default;
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  Outcome exchange(const std::string& request_frame, std::chrono::seconds deadline);

  // The running worker's process id, if one is running (tests, the benchmark).
  std::optional<pid_t> pid() const;

 private:
  enum class Step { kAnswered, kNotTaken, kFailed };
  Step attempt(const std::string& request_frame, std::chrono::steady_clock::time_point deadline,
               Outcome& outcome);
  bool start(std::string& error);
  void stop(bool kill);

  mutable std::mutex mutex_;
  int socket_ = -1;
  int pidfd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace cohortwatch::worker
