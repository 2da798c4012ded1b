// cohortwatch-worker: does, for the service, the work that needs libcurl and cairo (see
// worker/worker_process.h for why it is a separate program, worker/protocol.h for what it is
// asked). It reads requests on its standard input, a socket its parent made, and answers each on
// its standard output, in order. It ends when the input ends (the service closed it or ended),
// or after kWorkerIdleSeconds with nothing to do, saying so first (kLeaving) so that a request
// that crossed that message is known not to have been taken. Termination signals from the
// terminal or the service manager are ignored: the service ends it by closing the socket once
// the transfer in hand is over (each has libcurl's time limits).
#include <poll.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "channels/smtp_channel.h"
#include "channels/webhook_channel.h"
#include "connectors/http_fetcher.h"
#include "reports/charts.h"
#include "worker/protocol.h"
#include "worker/wire.h"
#include "worker/worker_process.h"

namespace cohortwatch::worker {
namespace {

enum class Input { kRequest, kIdle, kEnd };

bool readFully(int fd, char* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool writeFully(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// kWorkerIdleSeconds, or COHORTWATCH_WORKER_IDLE_SECONDS (1 to 3600) when set: the tests make
// the worker leave sooner.
int idleMilliseconds() {
  if (const char* text = std::getenv("COHORTWATCH_WORKER_IDLE_SECONDS")) {
    const long seconds = std::strtol(text, nullptr, 10);
    if (seconds >= 1 && seconds <= 3600) return static_cast<int>(seconds) * 1000;
  }
  return kWorkerIdleSeconds * 1000;
}

Input nextRequest(std::string& payload) {
  pollfd input{STDIN_FILENO, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&input, 1, idleMilliseconds());
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) return Input::kIdle;
  unsigned char prefix[4];
  if (!readFully(STDIN_FILENO, reinterpret_cast<char*>(prefix), sizeof prefix)) return Input::kEnd;
  payload.resize(frameLength(prefix));
  if (!readFully(STDIN_FILENO, payload.data(), payload.size())) return Input::kEnd;
  return Input::kRequest;
}

// The connections kept between requests: one per settings (a reload can change them).
class Work {
 public:
  std::string answer(const std::string& payload) {
    WireReader reader(payload);
    switch (readRequestKind(reader)) {
      case RequestKind::kSendMail: {
        auto request = readSendMail(reader);
        auto& channel = smtp_[settingsKey(request.settings)];
        if (!channel) channel = std::make_unique<channels::SmtpChannel>(request.settings);
        return encodeResult(channel->send(request.message));
      }
      case RequestKind::kPostWebhook: {
        auto request = readPostWebhook(reader);
        auto& channel = webhooks_[settingsKey(request.settings)];
        if (!channel) channel = std::make_unique<channels::WebhookChannel>(request.settings);
        return encodeResult(channel->send(request.message, request.now));
      }
      case RequestKind::kFetchExport: {
        auto request = readFetchExport(reader);
        auto& fetcher = fetchers_[settingsKey(request.settings) + request.spool_dir];
        if (!fetcher) fetcher = std::make_unique<connectors::HttpFetcher>(request.settings, request.spool_dir);
        return encodeResult(fetcher->fetch(request.state, request.now));
      }
      case RequestKind::kRenderChart: {
        const auto request = readRenderChart(reader);
        return encodePng(reports::renderPng(request.chart, request.width, request.height));
      }
    }
    return encodeFailed("unknown request");
  }

 private:
  std::map<std::string, std::unique_ptr<channels::SmtpChannel>> smtp_;
  std::map<std::string, std::unique_ptr<channels::WebhookChannel>> webhooks_;
  std::map<std::string, std::unique_ptr<connectors::HttpFetcher>> fetchers_;
};

int serve(int answers) {
  Work work;
  std::string payload;
  for (;;) {
    Input input = Input::kEnd;
    try {
      input = nextRequest(payload);
    } catch (const WireError& e) {
      spdlog::error("{}: unreadable request frame: {}", kWorkerProgram, e.what());
      return 1;
    }
    if (input == Input::kEnd) return 0;
    if (input == Input::kIdle) {
      writeFully(answers, encodeLeaving());
      return 0;
    }
    std::string answer;
    try {
      answer = work.answer(payload);
    } catch (const WireError& e) {
      answer = encodeFailed(e.what());
    } catch (const std::exception& e) {
      answer = encodeFailed(e.what());
    }
    if (!writeFully(answers, answer)) return 0;  // the service is gone
  }
}

}  // namespace
}  // namespace cohortwatch::worker

int main() {
  if (::isatty(STDIN_FILENO) != 0) {
    std::fprintf(stderr,
                 "cohortwatch-worker is started by cohortwatch for its network transfers and "
                 "charts; it is not run by hand.\n");
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  // Answers go to a copy of the standard output, and the standard output itself becomes the
  // standard error: nothing a library prints can land in the middle of an answer.
  const int answers = ::dup(STDOUT_FILENO);
  if (answers < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) return 1;
  auto logger = spdlog::stderr_color_mt("cohortwatch-worker");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e cohortwatch-worker %l: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::warn);
  return cohortwatch::worker::serve(answers);
}
