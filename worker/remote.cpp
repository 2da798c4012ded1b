#include "worker/remote.h"

#include <spdlog/spdlog.h>

#include "worker/protocol.h"

namespace cohortwatch::worker {

namespace {

using std::chrono::seconds;

// The worker's own time limits (libcurl's), plus a margin for starting it and for the answer:
// past this, the worker is taken to be stuck and stopped.
seconds deadlineFor(int connect_timeout_seconds, int timeout_seconds) {
  return seconds(std::max(connect_timeout_seconds, 0) + std::max(timeout_seconds, 0) + 30);
}

// What a failed exchange means for a message: nothing sent when the worker never started, else
// perhaps sent.
channels::Delivery undelivered(const WorkerProcess::Outcome& outcome) {
  channels::Delivery delivery = channels::Delivery::retry(outcome.detail);
  delivery.ambiguous = outcome.failure == WorkerProcess::Failure::kEnded ||
                       outcome.failure == WorkerProcess::Failure::kTimedOut;
  return delivery;
}

template <typename Read>
auto readResult(const WorkerProcess::Outcome& outcome, Read read) {
  WireReader reader(outcome.payload);
  readResponseTag(reader);  // kResult: exchange() has checked it
  return read(reader);
}

// A channel's delivery from the worker's answer: the worker's own verdict, or a retry when the
// exchange failed, perhaps sent (ambiguous) when the answer does not parse.
channels::Delivery deliveryOf(const WorkerProcess::Outcome& outcome) {
  if (outcome.failure != WorkerProcess::Failure::kNone) return undelivered(outcome);
  try {
    return readResult(outcome, readDelivery);
  } catch (const WireError& e) {
    auto delivery = channels::Delivery::retry(std::string("the worker's answer did not parse: ") + e.what());
    delivery.ambiguous = true;
    return delivery;
  }
}

}  // namespace

channels::Delivery RemoteSmtpChannel::send(const channels::EmailMessage& message) {
  return deliveryOf(process_.exchange(encodeRequest(SendMailRequest{settings_, message}),
                                     deadlineFor(settings_.connect_timeout_seconds,
                                                 settings_.timeout_seconds)));
}

channels::Delivery RemoteWebhookChannel::send(const channels::WebhookMessage& message,
                                              std::chrono::system_clock::time_point now) {
  return deliveryOf(process_.exchange(encodeRequest(PostWebhookRequest{settings_, message, now}),
                                     deadlineFor(settings_.connect_timeout_seconds,
                                                 settings_.timeout_seconds)));
}

connectors::FetchResult RemoteHttpFetcher::fetch(const connectors::HttpSourceState& state,
                                                 std::chrono::system_clock::time_point now_utc) {
  const auto outcome = process_.exchange(
      encodeRequest(FetchExportRequest{settings_, spool_dir_.string(), state, now_utc}),
      deadlineFor(settings_.connect_timeout_seconds, settings_.timeout_seconds));
  connectors::FetchResult failed;
  failed.outcome = connectors::FetchOutcome::kRetryable;
  failed.next_state = state;
  if (outcome.failure != WorkerProcess::Failure::kNone) {
    failed.error = outcome.detail;
    return failed;
  }
  try {
    return readResult(outcome, readFetchResult);
  } catch (const WireError& e) {
    failed.error = std::string("the worker's answer did not parse: ") + e.what();
    return failed;
  }
}

std::string ChartRasteriser::renderPng(const reports::Chart& chart, int width, int height) {
  const auto outcome = process_.exchange(encodeRequest(RenderChartRequest{chart, width, height}), seconds(60));
  if (outcome.failure != WorkerProcess::Failure::kNone) {
    spdlog::warn("chart not drawn: {}", outcome.detail);
    return {};
  }
  try {
    return readResult(outcome, readPng);
  } catch (const WireError& e) {
    spdlog::warn("chart not drawn: the worker's answer did not parse: {}", e.what());
    return {};
  }
}

}  // namespace cohortwatch::worker
