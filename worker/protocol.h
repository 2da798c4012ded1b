// What the service asks of cohortwatch-worker and what it answers (the bytes: worker/wire.h).
// One request per frame, answered by one response frame, in order:
//   request  = kind, then the kind's fields
//   response = tag (kResult: the kind's result follows; kLeaving: the worker was about to end
//              because it had been idle, and did not take the request; kFailed: the request could
//              not be read, a reason follows)
// The fields are those of the settings and messages the work needs, all of them: a field added to
// one of those structs must be added here too (tests/unit/worker/protocol_test.cpp round-trips
// every field, set to something other than its default).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "channels/message.h"
#include "config/settings.h"
#include "connectors/http_fetcher.h"
#include "reports/charts.h"
#include "worker/wire.h"

namespace cohortwatch::worker {

enum class RequestKind { kSendMail, kPostWebhook, kFetchExport, kRenderChart };
enum class ResponseTag { kResult, kLeaving, kFailed };

struct SendMailRequest {
  config::SmtpChannelSettings settings;
  channels::EmailMessage message;
};

struct PostWebhookRequest {
  config::WebhookChannelSettings settings;
  channels::WebhookMessage message;
  std::chrono::system_clock::time_point now;
};

struct FetchExportRequest {
  config::HttpSource settings;
  std::string spool_dir;
  connectors::HttpSourceState state;
  std::chrono::system_clock::time_point now;
};

struct RenderChartRequest {
  reports::Chart chart;
  int width = reports::kDefaultChartWidth;
  int height = reports::kDefaultChartHeight;
};

// Requests, as frames.
std::string encodeRequest(const SendMailRequest& request);
std::string encodeRequest(const PostWebhookRequest& request);
std::string encodeRequest(const FetchExportRequest& request);
std::string encodeRequest(const RenderChartRequest& request);

// The worker's side: the kind, then the request of that kind (WireError when malformed).
RequestKind readRequestKind(WireReader& reader);
SendMailRequest readSendMail(WireReader& reader);
PostWebhookRequest readPostWebhook(WireReader& reader);
FetchExportRequest readFetchExport(WireReader& reader);
RenderChartRequest readRenderChart(WireReader& reader);

// The bytes of a channel's or source's settings: equal keys, equal settings (the worker keeps
// one connection per settings and makes a new one when they change, e.g. after a reload).
std::string settingsKey(const config::SmtpChannelSettings& settings);
std::string settingsKey(const config::WebhookChannelSettings& settings);
std::string settingsKey(const config::HttpSource& settings);

// Responses, as frames.
std::string encodeResult(const channels::Delivery& delivery);
std::string encodeResult(const connectors::FetchResult& result);
std::string encodePng(std::string_view png);
std::string encodeLeaving();
std::string encodeFailed(std::string_view reason);

// The service's side: the tag, then (kResult) the result of the kind it asked for, or (kFailed)
// the reason.
ResponseTag readResponseTag(WireReader& reader);
channels::Delivery readDelivery(WireReader& reader);
connectors::FetchResult readFetchResult(WireReader& reader);
std::string readPng(WireReader& reader);

}  // namespace cohortwatch::worker
