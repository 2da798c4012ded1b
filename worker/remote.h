// The service's handles on the work done in cohortwatch-worker (worker/worker_process.h): the
// same calls as channels::SmtpChannel, channels::WebhookChannel, connectors::HttpFetcher and
// reports::renderPng, each answered by the real one in the worker. What a worker failure means
// for each:
//  - sending (e-mail, webhook): a worker that cannot start is kRetry; one that ended or was
//    stopped after taking the message is kRetry and ambiguous (the message may have gone).
//  - fetching: kRetryable, with the reason as the error.
//  - drawing: no PNG (the board report goes without that chart, as when cairo fails).
// Each object owns its own worker, so their calls run in parallel like the lanes that make them.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "channels/message.h"
#include "config/settings.h"
#include "connectors/http_fetcher.h"
#include "reports/charts.h"
#include "worker/worker_process.h"

namespace cohortwatch::worker {

class RemoteSmtpChannel {
 public:
  explicit RemoteSmtpChannel(config::SmtpChannelSettings settings) : settings_(std::move(settings)) {}
  channels::Delivery send(const channels::EmailMessage& message);
  std::optional<pid_t> workerPid() const { return process_.pid(); }

 private:
  config::SmtpChannelSettings settings_;
  WorkerProcess process_;
};

class RemoteWebhookChannel {
 public:
  explicit RemoteWebhookChannel(config::WebhookChannelSettings settings) : settings_(std::move(settings)) {}
  channels::Delivery send(const channels::WebhookMessage& message,
                          std::chrono::system_clock::time_point now);

 private:
  config::WebhookChannelSettings settings_;
  WorkerProcess process_;
};

class RemoteHttpFetcher {
 public:
  RemoteHttpFetcher(config::HttpSource settings, std::filesystem::path spool_dir)
      : settings_(std::move(settings)), spool_dir_(std::move(spool_dir)) {}
  connectors::FetchResult fetch(const connectors::HttpSourceState& state,
                                std::chrono::system_clock::time_point now_utc);

 private:
  config::HttpSource settings_;
  std::filesystem::path spool_dir_;
  WorkerProcess process_;
};

// Draws charts to PNG in a worker kept for the life of this object (a report's charts, one
// after the other); the worker ends when the object goes.
class ChartRasteriser {
 public:
  // The PNG bytes, or empty as reports::renderPng (and when the worker fails: logged).
  std::string renderPng(const reports::Chart& chart, int width, int height);

 private:
  WorkerProcess process_;
};

}  // namespace cohortwatch::worker
