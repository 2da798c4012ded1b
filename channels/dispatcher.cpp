#include "channels/dispatcher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "channels/file_channel.h"
#include "channels/outbox_body.h"
#include "tracking/clock.h"

namespace cohortwatch::channels {

namespace {

using Clock = std::chrono::system_clock;
using Kind = config::ChannelSettings::Kind;

// "2026-12-03T18:00:00Z" -> "20261203T180000".
std::string compactTime(std::string_view iso) {
  std::string out;
  for (char c : iso) {
    if (c != '-' && c != ':' && c != 'Z') out += c;
  }
  return out;
}

}  // namespace

std::string messageIdFor(const tracking::OutboxMessage& message, std::string_view host_name) {
  return fmt::format("<cw.{}.{}@{}>", message.id, compactTime(message.created_at),
                     host_name.empty() ? "cohortwatch.invalid" : host_name);
}

std::string webhookIdFor(const tracking::OutboxMessage& message) {
  return fmt::format("msg_cw_{}_{}", message.id, compactTime(message.created_at));
}

Dispatcher::Dispatcher(tracking::Store& store, const Router& router,
                       const config::NotificationSettings& settings, std::string host_name)
    : store_(store), router_(router), settings_(settings), host_name_(std::move(host_name)) {
  jitter_ = [engine = std::mt19937_64(std::random_device{}())]() mutable {
    return std::uniform_real_distribution<double>(0.5, 1.0)(engine);
  };
}

Dispatcher::~Dispatcher() = default;

std::chrono::seconds Dispatcher::backoff(int attempts) const {
  const long first = settings_.first_retry_seconds;
  const long cap = settings_.max_retry_seconds;
  long delay = first;
  for (int i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  return std::chrono::seconds(std::min(delay, cap));
}

Delivery Dispatcher::attempt(const tracking::OutboxMessage& message, Clock::time_point now) {
  const auto* channel = router_.channel(message.channel);
  if (channel == nullptr) {
    return Delivery::retry(fmt::format("no channel named \"{}\" in the configuration (restore it, or retry the "
                         "message once it is there)",
                         message.channel));
  }
  if (!message.recipient.empty()) {
    auto content = decodeEmailBody(message.body);
    if (!content) return Delivery::dead("the stored message is damaged (not an e-mail body)");
    EmailMessage email;
    email.message_id = messageIdFor(message, host_name_);
    email.to.push_back({"", message.recipient});
    email.subject = std::move(content->subject);
    email.text = std::move(content->text);
    email.html = std::move(content->html);
    email.attachments = std::move(content->attachments);
    if (channel->kind == Kind::kSmtp) {
      email.from = {channel->smtp.from_name, channel->smtp.from_address};
      if (!channel->smtp.reply_to.empty()) email.reply_to = Mailbox{"", channel->smtp.reply_to};
      auto& smtp = smtp_[channel->name];
      if (!smtp) smtp = std::make_unique<worker::RemoteSmtpChannel>(channel->smtp);
      return smtp->send(email);
    }
    if (channel->kind == Kind::kFile) {
      email.from = {"cohortwatch", "cohortwatch@localhost"};
      auto& file = files_[channel->name];
      if (!file) file = std::make_unique<FileChannel>(channel->file);
      return file->sendEmail(email);
    }
    return Delivery::dead("an e-mail queued for a webhook channel");
  }
  auto payload = decodeWebhookBody(message.body);
  if (!payload) return Delivery::dead("the stored message is damaged (not a webhook body)");
  const WebhookMessage webhook{webhookIdFor(message), std::move(*payload)};
  if (channel->kind == Kind::kWebhook) {
    auto& sender = webhooks_[channel->name];
    if (!sender) sender = std::make_unique<worker::RemoteWebhookChannel>(channel->webhook);
    return sender->send(webhook, now);
  }
  if (channel->kind == Kind::kFile) {
    auto& file = files_[channel->name];
    if (!file) file = std::make_unique<FileChannel>(channel->file);
    return file->sendWebhook(webhook);
  }
  return Delivery::dead("a webhook message queued for an smtp channel");
}

DispatchSummary Dispatcher::deliverDue(Clock::time_point now, int limit) {
  DispatchSummary summary;
  auto& outbox = store_.alerting();
  const std::string now_text = tracking::formatUtc(now);
  for (const auto& message : outbox.dueMessages(now_text, limit)) {
    Delivery delivery;
    try {
      delivery = attempt(message, now);
    } catch (const std::exception& e) {  // a channel that cannot even start (e.g. no memory)
      delivery = Delivery::retry(e.what());
    }
    const int attempts = message.attempts + 1;
    if (delivery.status == Delivery::Status::kDelivered) {
      outbox.recordAttempt(message.id, "sent", now_text, "", "", delivery.ambiguous);
      ++summary.sent;
      spdlog::info("outbox: message {} ({}) sent through {} after {} attempt(s)", message.id,
                   message.kind, message.channel, attempts);
      continue;
    }
    std::string status = "dead";
    std::string next;
    std::string error = delivery.detail;
    if (delivery.status == Delivery::Status::kRetry) {
      auto delay = std::chrono::duration_cast<std::chrono::seconds>(
          backoff(attempts) * std::clamp(jitter_(), 0.5, 1.0));
      if (delivery.retry_after) delay = std::max(delay, *delivery.retry_after);
      const auto created = tracking::parseUtc(message.created_at).value_or(now);
      if (now + delay <= created + std::chrono::hours(settings_.max_age_hours)) {
        status = "pending";
        next = tracking::formatUtc(now + delay);
      } else {
        error = fmt::format("gave up after {} attempts over {} hours: {}", attempts,
                            settings_.max_age_hours, delivery.detail);
      }
    }
    outbox.recordAttempt(message.id, status, now_text, next, error, delivery.ambiguous);
    if (status == "pending") {
      ++summary.retried;
      // The same failure for every message of a channel (its server is down) is logged once,
      // then every ten minutes with the number of lines held back.
      long suppressed = 0;
      if (log_limiter_.allow(message.channel, delivery.detail, suppressed)) {
        spdlog::warn("outbox: message {} through {} not delivered ({}); attempt {} at {}{}",
                     message.id, message.channel, delivery.detail, attempts + 1, next,
                     suppressed > 0 ? fmt::format(" ({} similar line(s) not logged)", suppressed)
                                    : std::string());
      }
    } else {
      ++summary.dead;
      spdlog::error("outbox: message {} through {} is dead: {}", message.id, message.channel, error);
    }
  }
  return summary;
}

std::optional<Clock::time_point> Dispatcher::nextDue() {
  const auto next = store_.alerting().nextAttemptAt();
  if (!next) return std::nullopt;
  return tracking::parseUtc(*next);
}

}  // namespace cohortwatch::channels
