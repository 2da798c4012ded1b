// worker/protocol.h and worker/wire.h: every field of every request and result survives the trip
// (set to something other than its default, so a field the encoder forgets is seen), and a frame
// that is cut short or damaged is a WireError, never a crash or a half-read request.
#include "worker/protocol.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace cohortwatch::worker {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// The payload of a frame (what follows the length prefix), checking the prefix on the way.
std::string payloadOf(const std::string& frame) {
  EXPECT_GE(frame.size(), 4U);
  unsigned char prefix[4];
  for (int i = 0; i < 4; ++i) prefix[i] = static_cast<unsigned char>(frame[static_cast<std::size_t>(i)]);
  EXPECT_EQ(frameLength(prefix), frame.size() - 4);
  return frame.substr(4);
}

SendMailRequest mailRequest() {
  SendMailRequest r;
  r.settings.url = "smtps://mail.example.org:465";
  r.settings.require_starttls = false;
  r.settings.username = "cohortwatch";
  r.settings.password = config::SecretRef{config::SecretRef::Kind::kEnv, "SMTP_PASSWORD"};
  r.settings.from_address = "cw@yot.example.org";
  r.settings.from_name = "Cohort watch";
  r.settings.reply_to = "team@yot.example.org";
  r.settings.verify_tls = false;
  r.settings.ca_file = "/etc/cw/ca.pem";
  r.settings.connect_timeout_seconds = 3;
  r.settings.timeout_seconds = 7;
  r.message.message_id = "<cw.1.x@host>";
  r.message.from = {"Cohort watch", "cw@yot.example.org"};
  r.message.reply_to = channels::Mailbox{"Team", "team@yot.example.org"};
  r.message.to = {{"", "a@yot.example.org"}, {"B", "b@yot.example.org"}};
  r.message.subject = "Digest \xc3\xa9";
  r.message.text = "text";
  r.message.html = "<p>html</p>";
  r.message.attachments = {{"list.csv", "text/csv", std::string("a\0b", 3), ""},
                           {"chart.png", "image/png", "\x89PNG", "chart@cw"}};
  r.message.date = "Fri, 04 Dec 2026 18:00:00 +0000";
  return r;
}

TEST(WorkerProtocol, AMailRequestKeepsEveryField) {
  const auto sent = mailRequest();
  const std::string payload_reader = payloadOf(encodeRequest(sent));
  WireReader reader(payload_reader);
  ASSERT_EQ(readRequestKind(reader), RequestKind::kSendMail);
  const auto got = readSendMail(reader);
  EXPECT_EQ(got.settings.url, sent.settings.url);
  EXPECT_EQ(got.settings.require_starttls, false);
  EXPECT_EQ(got.settings.username, "cohortwatch");
  ASSERT_TRUE(got.settings.password.has_value());
  EXPECT_EQ(*got.settings.password, *sent.settings.password);
  EXPECT_EQ(got.settings.from_address, sent.settings.from_address);
  EXPECT_EQ(got.settings.from_name, sent.settings.from_name);
  EXPECT_EQ(got.settings.reply_to, sent.settings.reply_to);
  EXPECT_EQ(got.settings.verify_tls, false);
  EXPECT_EQ(got.settings.ca_file, sent.settings.ca_file);
  EXPECT_EQ(got.settings.connect_timeout_seconds, 3);
  EXPECT_EQ(got.settings.timeout_seconds, 7);
  EXPECT_EQ(settingsKey(got.settings), settingsKey(sent.settings));
  EXPECT_EQ(got.message.message_id, sent.message.message_id);
  EXPECT_EQ(got.message.from.name, "Cohort watch");
  EXPECT_EQ(got.message.from.address, "cw@yot.example.org");
  ASSERT_TRUE(got.message.reply_to.has_value());
  EXPECT_EQ(got.message.reply_to->address, "team@yot.example.org");
  ASSERT_EQ(got.message.to.size(), 2U);
  EXPECT_EQ(got.message.to[1].name, "B");
  EXPECT_EQ(got.message.to[1].address, "b@yot.example.org");
  EXPECT_EQ(got.message.subject, sent.message.subject);
  EXPECT_EQ(got.message.text, "text");
  EXPECT_EQ(got.message.html, "<p>html</p>");
  ASSERT_EQ(got.message.attachments.size(), 2U);
  EXPECT_EQ(got.message.attachments[0].data, std::string("a\0b", 3));
  EXPECT_EQ(got.message.attachments[1].filename, "chart.png");
  EXPECT_EQ(got.message.attachments[1].content_type, "image/png");
  EXPECT_EQ(got.message.attachments[1].content_id, "chart@cw");
  EXPECT_EQ(got.message.date, sent.message.date);
}

TEST(WorkerProtocol, ChangedSettingsHaveAnotherKey) {
  auto a = mailRequest().settings;
  auto b = a;
  b.timeout_seconds = 8;
  EXPECT_NE(settingsKey(a), settingsKey(b));
}

TEST(WorkerProtocol, AWebhookRequestKeepsEveryField) {
  PostWebhookRequest sent;
  sent.settings.url = "https://chat.example.org/hook";
  sent.settings.style = config::WebhookStyle::kTeams;
  sent.settings.secret = config::SecretRef{config::SecretRef::Kind::kFile, "/run/cw/hook"};
  sent.settings.verify_tls = false;
  sent.settings.ca_file = "/ca.pem";
  sent.settings.connect_timeout_seconds = 4;
  sent.settings.timeout_seconds = 9;
  sent.message = {"msg_cw_1", "{\"text\":\"x\"}"};
  sent.now = system_clock::time_point(std::chrono::nanoseconds(1'796'410'197'555'094'470));
  const std::string payload_reader = payloadOf(encodeRequest(sent));
  WireReader reader(payload_reader);
  ASSERT_EQ(readRequestKind(reader), RequestKind::kPostWebhook);
  const auto got = readPostWebhook(reader);
  EXPECT_EQ(got.settings.url, sent.settings.url);
  EXPECT_EQ(got.settings.style, config::WebhookStyle::kTeams);
  EXPECT_EQ(*got.settings.secret, *sent.settings.secret);
  EXPECT_FALSE(got.settings.verify_tls);
  EXPECT_EQ(got.settings.ca_file, "/ca.pem");
  EXPECT_EQ(got.settings.connect_timeout_seconds, 4);
  EXPECT_EQ(got.settings.timeout_seconds, 9);
  EXPECT_EQ(got.message.id, "msg_cw_1");
  EXPECT_EQ(got.message.payload, sent.message.payload);
  EXPECT_EQ(got.now, sent.now);
}

TEST(WorkerProtocol, AFetchRequestKeepsEveryField) {
  FetchExportRequest sent;
  sent.settings.url = "https://cms.example.org/export?x=1";
  sent.settings.interval_seconds = 60;
  sent.settings.auth = config::HttpSource::Auth::kBasic;
  sent.settings.token = config::SecretRef{config::SecretRef::Kind::kEnv, "TOKEN"};
  sent.settings.username = "user";
  sent.settings.password = config::SecretRef{config::SecretRef::Kind::kFile, "/pw"};
  sent.settings.verify_tls = false;
  sent.settings.ca_file = "/etc/cw/cms-ca.pem";
  sent.settings.connect_timeout_seconds = 2;
  sent.settings.timeout_seconds = 5;
  sent.settings.since_parameter = "changed_since";
  sent.settings.lookback_seconds = 10;
  sent.settings.max_backoff_seconds = 20;
  sent.spool_dir = "/var/lib/cohortwatch/spool/cms";
  sent.state = {"\"etag\"", "Fri, 04 Dec 2026 18:00:00 GMT", "2026-12-04T18:00:00Z"};
  sent.now = system_clock::time_point(seconds(1'796'000'000));
  const std::string payload_reader = payloadOf(encodeRequest(sent));
  WireReader reader(payload_reader);
  ASSERT_EQ(readRequestKind(reader), RequestKind::kFetchExport);
  const auto got = readFetchExport(reader);
  EXPECT_EQ(got.settings.url, sent.settings.url);
  EXPECT_EQ(got.settings.interval_seconds, 60);
  EXPECT_EQ(got.settings.auth, config::HttpSource::Auth::kBasic);
  EXPECT_EQ(*got.settings.token, *sent.settings.token);
  EXPECT_EQ(got.settings.username, "user");
  EXPECT_EQ(*got.settings.password, *sent.settings.password);
  EXPECT_FALSE(got.settings.verify_tls);
  EXPECT_EQ(got.settings.ca_file, "/etc/cw/cms-ca.pem");
  EXPECT_EQ(got.settings.connect_timeout_seconds, 2);
  EXPECT_EQ(got.settings.timeout_seconds, 5);
  EXPECT_EQ(got.settings.since_parameter, "changed_since");
  EXPECT_EQ(got.settings.lookback_seconds, 10);
  EXPECT_EQ(got.settings.max_backoff_seconds, 20);
  EXPECT_EQ(got.spool_dir, sent.spool_dir);
  EXPECT_EQ(got.state, sent.state);
  EXPECT_EQ(got.now, sent.now);
  // The worker keeps one fetcher per settings: another CA bundle is another fetcher.
  EXPECT_EQ(settingsKey(got.settings), settingsKey(sent.settings));
  auto other_ca = sent.settings;
  other_ca.ca_file = "/etc/cw/other-ca.pem";
  EXPECT_NE(settingsKey(other_ca), settingsKey(sent.settings));
}

TEST(WorkerProtocol, AChartKeepsGapsProvisionalPointsAndExactValues) {
  RenderChartRequest sent;
  sent.chart.kind = reports::ChartKind::kBar;
  sent.chart.title = "Binary rate";
  sent.chart.x_label = "Cohort";
  sent.chart.y_label = "Proven reoffending";
  sent.chart.y_unit = "%";
  sent.chart.categories = {"2025Q1", "2025Q2", "2025Q3"};
  reports::ChartSeries series;
  series.name = "YOT";
  series.points = {reports::ChartPoint{33.333333333333336, false}, std::nullopt,
                   reports::ChartPoint{0.1, true}};
  series.style = reports::LineStyle::kDashed;
  series.markers = false;
  sent.chart.series = {series};
  sent.width = 640;
  sent.height = 320;
  const std::string payload_reader = payloadOf(encodeRequest(sent));
  WireReader reader(payload_reader);
  ASSERT_EQ(readRequestKind(reader), RequestKind::kRenderChart);
  const auto got = readRenderChart(reader);
  EXPECT_EQ(got.chart.kind, reports::ChartKind::kBar);
  EXPECT_EQ(got.chart.title, "Binary rate");
  EXPECT_EQ(got.chart.x_label, "Cohort");
  EXPECT_EQ(got.chart.y_label, "Proven reoffending");
  EXPECT_EQ(got.chart.y_unit, "%");
  EXPECT_EQ(got.chart.categories, sent.chart.categories);
  ASSERT_EQ(got.chart.series.size(), 1U);
  const auto& s = got.chart.series[0];
  EXPECT_EQ(s.name, "YOT");
  ASSERT_EQ(s.points.size(), 3U);
  EXPECT_EQ(s.points[0]->value, 33.333333333333336);  // bit for bit
  EXPECT_FALSE(s.points[0]->provisional);
  EXPECT_FALSE(s.points[1].has_value());
  EXPECT_TRUE(s.points[2]->provisional);
  EXPECT_EQ(s.style, reports::LineStyle::kDashed);
  EXPECT_FALSE(s.markers);
  EXPECT_EQ(got.width, 640);
  EXPECT_EQ(got.height, 320);
}

TEST(WorkerProtocol, ResultsKeepEveryField) {
  channels::Delivery delivery = channels::Delivery::retry("429 from chat.example.org");
  delivery.retry_after = seconds(120);
  delivery.ambiguous = true;
  {
    const std::string payload_reader = payloadOf(encodeResult(delivery));
    WireReader reader(payload_reader);
    ASSERT_EQ(readResponseTag(reader), ResponseTag::kResult);
    const auto got = readDelivery(reader);
    EXPECT_EQ(got.status, channels::Delivery::Status::kRetry);
    EXPECT_EQ(got.detail, delivery.detail);
    EXPECT_EQ(got.retry_after, seconds(120));
    EXPECT_TRUE(got.ambiguous);
  }
  connectors::FetchResult fetched;
  fetched.outcome = connectors::FetchOutcome::kNewData;
  fetched.http_status = 200;
  fetched.body_file = "/spool/cms/body-1.csv";
  fetched.next_state = {"\"e2\"", "lm", "2026-12-04T18:00:00Z"};
  fetched.error = "none";
  fetched.retry_after = seconds(5);
  {
    const std::string payload_reader = payloadOf(encodeResult(fetched));
    WireReader reader(payload_reader);
    ASSERT_EQ(readResponseTag(reader), ResponseTag::kResult);
    const auto got = readFetchResult(reader);
    EXPECT_EQ(got.outcome, connectors::FetchOutcome::kNewData);
    EXPECT_EQ(got.http_status, 200);
    EXPECT_EQ(got.body_file, fetched.body_file);
    EXPECT_EQ(got.next_state, fetched.next_state);
    EXPECT_EQ(got.error, "none");
    EXPECT_EQ(got.retry_after, seconds(5));
  }
  {
    const std::string payload_reader = payloadOf(encodePng(std::string("\x89PNG\0x", 6)));
    WireReader reader(payload_reader);
    ASSERT_EQ(readResponseTag(reader), ResponseTag::kResult);
    EXPECT_EQ(readPng(reader), std::string("\x89PNG\0x", 6));
  }
  {
    const std::string payload_reader = payloadOf(encodeLeaving());
    WireReader reader(payload_reader);
    EXPECT_EQ(readResponseTag(reader), ResponseTag::kLeaving);
  }
  {
    const std::string payload_reader = payloadOf(encodeFailed("bad enum"));
    WireReader reader(payload_reader);
    EXPECT_EQ(readResponseTag(reader), ResponseTag::kFailed);
    EXPECT_EQ(reader.getString(), "bad enum");
  }
}

TEST(WorkerProtocol, EveryCutShortRequestIsAWireError) {
  const std::string payload = payloadOf(encodeRequest(mailRequest()));
  for (std::size_t size = 0; size < payload.size(); ++size) {
    WireReader reader(std::string_view(payload).substr(0, size));
    EXPECT_THROW(
        {
          readRequestKind(reader);
          readSendMail(reader);
        },
        WireError)
        << "cut at " << size;
  }
  // One byte too many is an error too.
  const std::string longer_payload = payload + "x";
  WireReader longer(longer_payload);
  readRequestKind(longer);
  EXPECT_THROW(readSendMail(longer), WireError);
}

TEST(WorkerProtocol, DamagedFieldsAreWireErrors) {
  WireWriter bad_kind;
  bad_kind.putInt(17);
  const std::string payload_kind_reader = payloadOf(bad_kind.frame());
  WireReader kind_reader(payload_kind_reader);
  EXPECT_THROW(readRequestKind(kind_reader), WireError);

  WireWriter bad_bool;
  bad_bool.putInt(2);
  const std::string payload_bool_reader = payloadOf(bad_bool.frame());
  WireReader bool_reader(payload_bool_reader);
  EXPECT_THROW(bool_reader.getBool(), WireError);

  WireWriter huge_string;
  huge_string.putInt(std::numeric_limits<std::int64_t>::max());
  const std::string payload_string_reader = payloadOf(huge_string.frame());
  WireReader string_reader(payload_string_reader);
  EXPECT_THROW(string_reader.getString(), WireError);

  WireWriter negative_string;
  negative_string.putInt(-1);
  const std::string payload_negative_reader = payloadOf(negative_string.frame());
  WireReader negative_reader(payload_negative_reader);
  EXPECT_THROW(negative_reader.getString(), WireError);

  WireWriter wide_int;
  wide_int.putInt(std::int64_t{1} << 40);
  const std::string payload_int_reader = payloadOf(wide_int.frame());
  WireReader int_reader(payload_int_reader);
  EXPECT_THROW(int_reader.getInt32(), WireError);

  const unsigned char too_long[4] = {0xff, 0xff, 0xff, 0xff};
  EXPECT_THROW(frameLength(too_long), WireError);
}

}  // namespace
}  // namespace cohortwatch::worker
