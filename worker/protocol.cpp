#include "worker/protocol.h"

#include <bit>
#include <cstdint>
#include <optional>

namespace cohortwatch::worker {

namespace {

using std::chrono::system_clock;

void putTime(WireWriter& out, system_clock::time_point time) {
  out.putInt(std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count());
}
system_clock::time_point getTime(WireReader& in) {
  return system_clock::time_point(
      std::chrono::duration_cast<system_clock::duration>(std::chrono::nanoseconds(in.getInt())));
}

void putSecret(WireWriter& out, const std::optional<config::SecretRef>& secret) {
  out.putBool(secret.has_value());
  if (!secret) return;
  out.putEnum(secret->kind);
  out.putString(secret->location);
}
std::optional<config::SecretRef> getSecret(WireReader& in) {
  if (!in.getBool()) return std::nullopt;
  config::SecretRef secret;
  secret.kind = in.getEnum(config::SecretRef::Kind::kEnv);
  secret.location = in.getString();
  return secret;
}

void putMailbox(WireWriter& out, const channels::Mailbox& mailbox) {
  out.putString(mailbox.name);
  out.putString(mailbox.address);
}
channels::Mailbox getMailbox(WireReader& in) {
  channels::Mailbox mailbox;
  mailbox.name = in.getString();
  mailbox.address = in.getString();
  return mailbox;
}

// A count of repeated items: never more than the bytes left could hold.
std::size_t getCount(WireReader& in) {
  const std::int64_t count = in.getInt();
  if (count < 0 || count > static_cast<std::int64_t>(kMaxFrameBytes)) throw WireError("bad count");
  return static_cast<std::size_t>(count);
}

void putOptionalSeconds(WireWriter& out, const std::optional<std::chrono::seconds>& value) {
  out.putBool(value.has_value());
  if (value) out.putInt(value->count());
}
std::optional<std::chrono::seconds> getOptionalSeconds(WireReader& in) {
  if (!in.getBool()) return std::nullopt;
  return std::chrono::seconds(in.getInt());
}

void putSettings(WireWriter& out, const config::SmtpChannelSettings& s) {
  out.putString(s.url);
  out.putBool(s.require_starttls);
  out.putString(s.username);
  putSecret(out, s.password);
  out.putString(s.from_address);
  out.putString(s.from_name);
  out.putString(s.reply_to);
  out.putBool(s.verify_tls);
  out.putString(s.ca_file);
  out.putInt(s.connect_timeout_seconds);
  out.putInt(s.timeout_seconds);
}

void putSettings(WireWriter& out, const config::WebhookChannelSettings& s) {
  out.putString(s.url);
  out.putEnum(s.style);
  putSecret(out, s.secret);
  out.putBool(s.verify_tls);
  out.putString(s.ca_file);
  out.putInt(s.connect_timeout_seconds);
  out.putInt(s.timeout_seconds);
}

void putSettings(WireWriter& out, const config::HttpSource& s) {
  out.putString(s.url);
  out.putInt(s.interval_seconds);
  out.putEnum(s.auth);
  putSecret(out, s.token);
  out.putString(s.username);
  putSecret(out, s.password);
  out.putBool(s.verify_tls);
  out.putString(s.ca_file);
  out.putInt(s.connect_timeout_seconds);
  out.putInt(s.timeout_seconds);
  out.putString(s.since_parameter);
  out.putInt(s.lookback_seconds);
  out.putInt(s.max_backoff_seconds);
}

WireWriter startResult() {
  WireWriter out;
  out.putEnum(ResponseTag::kResult);
  return out;
}

}  // namespace

std::string settingsKey(const config::SmtpChannelSettings& settings) {
  WireWriter out;
  putSettings(out, settings);
  return out.frame();
}
std::string settingsKey(const config::WebhookChannelSettings& settings) {
  WireWriter out;
  putSettings(out, settings);
  return out.frame();
}
std::string settingsKey(const config::HttpSource& settings) {
  WireWriter out;
  putSettings(out, settings);
  return out.frame();
}

std::string encodeRequest(const SendMailRequest& request) {
  WireWriter out;
  out.putEnum(RequestKind::kSendMail);
  putSettings(out, request.settings);
  const auto& m = request.message;
  out.putString(m.message_id);
  putMailbox(out, m.from);
  out.putBool(m.reply_to.has_value());
  if (m.reply_to) putMailbox(out, *m.reply_to);
  out.putInt(static_cast<std::int64_t>(m.to.size()));
  for (const auto& mailbox : m.to) putMailbox(out, mailbox);
  out.putString(m.subject);
  out.putString(m.text);
  out.putString(m.html);
  out.putInt(static_cast<std::int64_t>(m.attachments.size()));
  for (const auto& a : m.attachments) {
    out.putString(a.filename);
    out.putString(a.content_type);
    out.putString(a.data);
    out.putString(a.content_id);
  }
  out.putString(m.date);
  return out.frame();
}

std::string encodeRequest(const PostWebhookRequest& request) {
  WireWriter out;
  out.putEnum(RequestKind::kPostWebhook);
  putSettings(out, request.settings);
  out.putString(request.message.id);
  out.putString(request.message.payload);
  putTime(out, request.now);
  return out.frame();
}

std::string encodeRequest(const FetchExportRequest& request) {
  WireWriter out;
  out.putEnum(RequestKind::kFetchExport);
  putSettings(out, request.settings);
  out.putString(request.spool_dir);
  out.putString(request.state.etag);
  out.putString(request.state.last_modified);
  out.putString(request.state.cursor);
  putTime(out, request.now);
  return out.frame();
}

std::string encodeRequest(const RenderChartRequest& request) {
  WireWriter out;
  out.putEnum(RequestKind::kRenderChart);
  const auto& c = request.chart;
  out.putEnum(c.kind);
  out.putString(c.title);
  out.putString(c.x_label);
  out.putString(c.y_label);
  out.putString(c.y_unit);
  out.putInt(static_cast<std::int64_t>(c.categories.size()));
  for (const auto& category : c.categories) out.putString(category);
  out.putInt(static_cast<std::int64_t>(c.series.size()));
  for (const auto& series : c.series) {
    out.putString(series.name);
    out.putInt(static_cast<std::int64_t>(series.points.size()));
    for (const auto& point : series.points) {
      out.putBool(point.has_value());
      if (!point) continue;
      // The value's bits: exact, whatever the double.
      out.putInt(std::bit_cast<std::int64_t>(point->value));
      out.putBool(point->provisional);
    }
    out.putEnum(series.style);
    out.putBool(series.markers);
  }
  out.putInt(request.width);
  out.putInt(request.height);
  return out.frame();
}

RequestKind readRequestKind(WireReader& reader) {
  return reader.getEnum(RequestKind::kRenderChart);
}

SendMailRequest readSendMail(WireReader& in) {
  SendMailRequest request;
  auto& s = request.settings;
  s.url = in.getString();
  s.require_starttls = in.getBool();
  s.username = in.getString();
  s.password = getSecret(in);
  s.from_address = in.getString();
  s.from_name = in.getString();
  s.reply_to = in.getString();
  s.verify_tls = in.getBool();
  s.ca_file = in.getString();
  s.connect_timeout_seconds = in.getInt32();
  s.timeout_seconds = in.getInt32();
  auto& m = request.message;
  m.message_id = in.getString();
  m.from = getMailbox(in);
  if (in.getBool()) m.reply_to = getMailbox(in);
  for (std::size_t n = getCount(in); n > 0; --n) m.to.push_back(getMailbox(in));
  m.subject = in.getString();
  m.text = in.getString();
  m.html = in.getString();
  for (std::size_t n = getCount(in); n > 0; --n) {
    channels::Attachment a;
    a.filename = in.getString();
    a.content_type = in.getString();
    a.data = in.getString();
    a.content_id = in.getString();
    m.attachments.push_back(std::move(a));
  }
  m.date = in.getString();
  in.expectEnd();
  return request;
}

PostWebhookRequest readPostWebhook(WireReader& in) {
  PostWebhookRequest request;
  auto& s = request.settings;
  s.url = in.getString();
  s.style = in.getEnum(config::WebhookStyle::kSlack);
  s.secret = getSecret(in);
  s.verify_tls = in.getBool();
  s.ca_file = in.getString();
  s.connect_timeout_seconds = in.getInt32();
  s.timeout_seconds = in.getInt32();
  request.message.id = in.getString();
  request.message.payload = in.getString();
  request.now = getTime(in);
  in.expectEnd();
  return request;
}

FetchExportRequest readFetchExport(WireReader& in) {
  FetchExportRequest request;
  auto& s = request.settings;
  s.url = in.getString();
  s.interval_seconds = in.getInt32();
  s.auth = in.getEnum(config::HttpSource::Auth::kBasic);
  s.token = getSecret(in);
  s.username = in.getString();
  s.password = getSecret(in);
  s.verify_tls = in.getBool();
  s.ca_file = in.getString();
  s.connect_timeout_seconds = in.getInt32();
  s.timeout_seconds = in.getInt32();
  s.since_parameter = in.getString();
  s.lookback_seconds = in.getInt32();
  s.max_backoff_seconds = in.getInt32();
  request.spool_dir = in.getString();
  request.state.etag = in.getString();
  request.state.last_modified = in.getString();
  request.state.cursor = in.getString();
  request.now = getTime(in);
  in.expectEnd();
  return request;
}

RenderChartRequest readRenderChart(WireReader& in) {
  RenderChartRequest request;
  auto& c = request.chart;
  c.kind = in.getEnum(reports::ChartKind::kBar);
  c.title = in.getString();
  c.x_label = in.getString();
  c.y_label = in.getString();
  c.y_unit = in.getString();
  for (std::size_t n = getCount(in); n > 0; --n) c.categories.push_back(in.getString());
  for (std::size_t n = getCount(in); n > 0; --n) {
    reports::ChartSeries series;
    series.name = in.getString();
    for (std::size_t p = getCount(in); p > 0; --p) {
      if (!in.getBool()) {
        series.points.emplace_back(std::nullopt);
        continue;
      }
      reports::ChartPoint point;
      point.value = std::bit_cast<double>(in.getInt());
      point.provisional = in.getBool();
      series.points.emplace_back(point);
    }
    series.style = in.getEnum(reports::LineStyle::kDashed);
    series.markers = in.getBool();
    c.series.push_back(std::move(series));
  }
  request.width = in.getInt32();
  request.height = in.getInt32();
  in.expectEnd();
  return request;
}

std::string encodeResult(const channels::Delivery& delivery) {
  WireWriter out = startResult();
  out.putEnum(delivery.status);
  out.putString(delivery.detail);
  putOptionalSeconds(out, delivery.retry_after);
  out.putBool(delivery.ambiguous);
  return out.frame();
}

std::string encodeResult(const connectors::FetchResult& result) {
  WireWriter out = startResult();
  out.putEnum(result.outcome);
  out.putInt(result.http_status);
  out.putString(result.body_file.string());
  out.putString(result.next_state.etag);
  out.putString(result.next_state.last_modified);
  out.putString(result.next_state.cursor);
  out.putString(result.error);
  putOptionalSeconds(out, result.retry_after);
  return out.frame();
}

std::string encodePng(std::string_view png) {
  WireWriter out = startResult();
  out.putString(png);
  return out.frame();
}

std::string encodeLeaving() {
  WireWriter out;
  out.putEnum(ResponseTag::kLeaving);
  return out.frame();
}

std::string encodeFailed(std::string_view reason) {
  WireWriter out;
  out.putEnum(ResponseTag::kFailed);
  out.putString(reason);
  return out.frame();
}

ResponseTag readResponseTag(WireReader& reader) { return reader.getEnum(ResponseTag::kFailed); }

channels::Delivery readDelivery(WireReader& in) {
  channels::Delivery delivery;
  delivery.status = in.getEnum(channels::Delivery::Status::kDead);
  delivery.detail = in.getString();
  delivery.retry_after = getOptionalSeconds(in);
  delivery.ambiguous = in.getBool();
  in.expectEnd();
  return delivery;
}

connectors::FetchResult readFetchResult(WireReader& in) {
  connectors::FetchResult result;
  result.outcome = in.getEnum(connectors::FetchOutcome::kPermanent);
  result.http_status = static_cast<long>(in.getInt());
  result.body_file = in.getString();
  result.next_state.etag = in.getString();
  result.next_state.last_modified = in.getString();
  result.next_state.cursor = in.getString();
  result.error = in.getString();
  result.retry_after = getOptionalSeconds(in);
  in.expectEnd();
  return result;
}

std::string readPng(WireReader& in) {
  std::string png = in.getString();
  in.expectEnd();
  return png;
}

}  // namespace cohortwatch::worker
