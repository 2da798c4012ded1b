// The outbox dispatcher: delivers the messages that are due, one attempt each, and records the
// result in the outbox row: sent; pending again after an exponential backoff with jitter (never
// sooner than a server's Retry-After); or dead, when the channel says it can never be delivered
// or the message would be older than max_age_hours at its next attempt. Dead rows stay visible
// (`cohortwatch outbox list --status dead`) and can be retried by hand.
//
// Each attempt's result is committed on its own right after the attempt, so a crash loses at most
// the knowledge of one attempt: that message is sent again on restart (an e-mail may then arrive
// twice, once; webhooks carry the same webhook-id, so receivers can drop the repeat). The
// Message-ID and webhook-id derive from the row, so a repeat is recognisable as one.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "channels/message.h"
#include "channels/routing.h"
#include "tracking/log_limiter.h"
#include "tracking/store.h"
#include "worker/remote.h"

namespace cohortwatch::channels {

class FileChannel;

struct DispatchSummary {
  long sent = 0;
  long retried = 0;  // failed, scheduled again
  long dead = 0;
};

class Dispatcher {
 public:
  Dispatcher(tracking::Store& store, const Router& router,
             const config::NotificationSettings& settings, std::string host_name);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Attempts every message due at `now` (at most `limit`), oldest first.
  DispatchSummary deliverDue(std::chrono::system_clock::time_point now, int limit = 500);

  // When the next pending message is due, if any.
  std::optional<std::chrono::system_clock::time_point> nextDue();

  // The delay before attempt number `attempts + 1` after `attempts` failures, before jitter:
  // first_retry_seconds doubled per failure, capped at max_retry_seconds.
  std::chrono::seconds backoff(int attempts) const;

  // Replaces the jitter source (tests): returns a factor in [0.5, 1].
  void setJitter(std::function<double()> jitter) { jitter_ = std::move(jitter); }

 private:
  Delivery attempt(const tracking::OutboxMessage& message, std::chrono::system_clock::time_point now);

  tracking::Store& store_;
  const Router& router_;
  const config::NotificationSettings& settings_;
  std::string host_name_;
  // E-mail and webhooks go through cohortwatch-worker (worker/remote.h), one per channel.
  std::map<std::string, std::unique_ptr<worker::RemoteSmtpChannel>> smtp_;
  std::map<std::string, std::unique_ptr<worker::RemoteWebhookChannel>> webhooks_;
  std::map<std::string, std::unique_ptr<FileChannel>> files_;
  std::function<double()> jitter_;
  tracking::LogLimiter log_limiter_;
};

// The stable ids of an outbox row's message: "<cw.42.20261203T180000@host>" and
// "msg_cw_42_20261203T180000".
std::string messageIdFor(const tracking::OutboxMessage& message, std::string_view host_name);
std::string webhookIdFor(const tracking::OutboxMessage& message);

}  // namespace cohortwatch::channels
