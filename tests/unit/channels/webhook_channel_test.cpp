// The webhook channel against a real HTTP receiver on 127.0.0.1 (tests/support), which checks the
// Standard Webhooks signature with its own HMAC, computed here with OpenSSL.
#include "channels/webhook_channel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <chrono>
#include <mutex>
#include <string>

#include "tests/support/http_test_server.h"
#include "tests/support/smtp_test_server.h"  // SilentListener
#include "tests/unit/channels/channel_test_support.h"

namespace cohortwatch::channels {
namespace {

using namespace std::chrono_literals;
using test_support::HttpTestRequest;
using test_support::HttpTestResponse;
using test_support::HttpTestServer;
using Status = Delivery::Status;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

// 2025-03-10 12:00:00 UTC: the injected send time.
const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2025} / 3 / 10} + std::chrono::hours{12};
constexpr long kNowUnix = 1741608000;

// The receiver's key; the channel is given it as a "whsec_" secret, base64.
const std::string kKey = "an example signing key, 32 bytes";
constexpr const char* kSecret = "whsec_YW4gZXhhbXBsZSBzaWduaW5nIGtleSwgMzIgYnl0ZXM=";

const WebhookMessage kMessage{"msg_outbox-42", R"({"alert":"reoffending","cohort":"2025Q1"})"};

HttpTestResponse respond(int status, std::string body = {},
                         test_support::HttpHeaders headers = {}) {
  HttpTestResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

// The receiver's side of Standard Webhooks, independent of the channel's code.
std::string expectedSignature(const std::string& id, const std::string& timestamp,
                              const std::string& body) {
  const std::string content = id + "." + timestamp + "." + body;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest.data(),
       &size);
  std::array<unsigned char, 64> encoded{};
  const int length = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(size));
  return "v1," + std::string(reinterpret_cast<const char*>(encoded.data()),
                             static_cast<std::size_t>(length));
}

class WebhookChannelTest : public ::testing::Test {
 protected:
  config::WebhookChannelSettings settingsFor(const std::string& url, bool signed_ = true) {
    config::WebhookChannelSettings settings;
    settings.url = url;
    if (signed_) {
      const auto secret_file = folder_.path() / "webhook-secret";
      testing_support::writeFile(secret_file, std::string(kSecret) + "\n");
      settings.secret = config::SecretRef{config::SecretRef::Kind::kFile, secret_file.string()};
    }
    settings.connect_timeout_seconds = 1;
    settings.timeout_seconds = 2;
    return settings;
  }

  testing_support::TempFolder folder_;
};

TEST(StandardWebhookSignature, MatchesTheSpecificationsExample) {
  // The example of the Standard Webhooks reference libraries.
  const auto key = webhookSigningKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(standardWebhookSignature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                     R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(StandardWebhookSignature, SecretsWithoutThePrefixAreUsedAsTheyAre) {
  EXPECT_THAT(webhookSigningKey("plain secret"), Optional(std::string("plain secret")));
  EXPECT_THAT(webhookSigningKey(kSecret), Optional(kKey));
  EXPECT_EQ(webhookSigningKey("whsec_not base64!"), std::nullopt);
}

TEST_F(WebhookChannelTest, DeliversASignedPayload) {
  std::mutex mutex;
  std::string verdict = "no request";
  HttpTestServer server([&](const HttpTestRequest& request) {
    const std::lock_guard lock(mutex);
    const auto id = request.header("webhook-id");
    const auto timestamp = request.header("webhook-timestamp");
    const auto signature = request.header("webhook-signature");
    if (!id || !timestamp || !signature) {
      verdict = "missing headers";
    } else if (*signature != expectedSignature(*id, *timestamp, request.body)) {
      verdict = "bad signature " + *signature;
    } else {
      verdict = "ok";
    }
    return respond(verdict == "ok" ? 204 : 401);
  });
  WebhookChannel channel(settingsFor(server.url("/hooks/cohortwatch")));

  const Delivery delivery = channel.send(kMessage, kNow);

  EXPECT_EQ(delivery.status, Status::kDelivered) << delivery.detail;
  {
    const std::lock_guard lock(mutex);
    EXPECT_EQ(verdict, "ok");
  }
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path(), "/hooks/cohortwatch");
  EXPECT_EQ(requests[0].body, kMessage.payload);
  EXPECT_EQ(requests[0].header("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].header("webhook-id"), kMessage.id);
  EXPECT_EQ(requests[0].header("webhook-timestamp"), std::to_string(kNowUnix));
}

TEST_F(WebhookChannelTest, TheIdStaysTheSameAcrossRetries) {
  HttpTestServer server;
  server.enqueue(respond(503));
  server.enqueue(respond(200));
  WebhookChannel channel(settingsFor(server.url()));

  EXPECT_EQ(channel.send(kMessage, kNow).status, Status::kRetry);
  EXPECT_EQ(channel.send(kMessage, kNow + 30s).status, Status::kDelivered);

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].header("webhook-id"), requests[1].header("webhook-id"));
  EXPECT_EQ(requests[1].header("webhook-timestamp"), std::to_string(kNowUnix + 30));
}

TEST_F(WebhookChannelTest, NoSecretNoSignature) {
  HttpTestServer server;
  server.enqueue(respond(200));
  WebhookChannel channel(settingsFor(server.url(), /*signed_=*/false));

  EXPECT_EQ(channel.send(kMessage, kNow).status, Status::kDelivered);

  ASSERT_EQ(server.requestCount(), 1U);
  EXPECT_EQ(server.requests()[0].header("webhook-signature"), std::nullopt);
  EXPECT_EQ(server.requests()[0].header("webhook-id"), kMessage.id);
}

TEST_F(WebhookChannelTest, ServerErrorsAndTimeoutsAreRetried) {
  for (const int status : {500, 502, 503, 408}) {
    HttpTestServer server;
    server.enqueue(respond(status, "busy"));
    const Delivery delivery = WebhookChannel(settingsFor(server.url())).send(kMessage, kNow);
    EXPECT_EQ(delivery.status, Status::kRetry) << status;
    EXPECT_THAT(delivery.detail, HasSubstr(std::to_string(status)));
    EXPECT_EQ(delivery.retry_after, std::nullopt);
  }
}

TEST_F(WebhookChannelTest, TooManyRequestsHonoursRetryAfter) {
  HttpTestServer server;
  server.enqueue(respond(429, "slow down", {{"Retry-After", "7"}}));
  // An HTTP-date is taken relative to the send's time: 90 seconds after kNow.
  server.enqueue(respond(503, "", {{"Retry-After", "Mon, 10 Mar 2025 12:01:30 GMT"}}));
  WebhookChannel channel(settingsFor(server.url()));

  const Delivery seconds = channel.send(kMessage, kNow);
  EXPECT_EQ(seconds.status, Status::kRetry);
  EXPECT_EQ(seconds.retry_after, 7s);

  const Delivery date = channel.send(kMessage, kNow);
  EXPECT_EQ(date.status, Status::kRetry);
  EXPECT_EQ(date.retry_after, 90s);
}

TEST_F(WebhookChannelTest, ClientErrorIsDeadAtOnceWithTheStartOfTheBody) {
  HttpTestServer server;
  std::string body = "invalid payload:\r\nfield \"cohort\" unknown\x01; ";
  body += std::string(500, 'x');
  server.enqueue(respond(400, body));
  WebhookChannel channel(settingsFor(server.url()));

  const Delivery delivery = channel.send(kMessage, kNow);

  EXPECT_EQ(delivery.status, Status::kDead);
  EXPECT_THAT(delivery.detail, HasSubstr("HTTP 400"));
  EXPECT_THAT(delivery.detail, HasSubstr("invalid payload:  field \"cohort\" unknown"));
  EXPECT_EQ(delivery.detail.find_first_of("\r\n\x01"), std::string::npos);
  EXPECT_LT(delivery.detail.size(), 300U);
  EXPECT_EQ(server.requestCount(), 1U);
}

TEST_F(WebhookChannelTest, RedirectsAreNotFollowedAndAreDead) {
  HttpTestServer server;
  server.enqueue(respond(301, "", {{"Location", server.url("/elsewhere")}}));
  WebhookChannel channel(settingsFor(server.url()));

  const Delivery delivery = channel.send(kMessage, kNow);

  EXPECT_EQ(delivery.status, Status::kDead);
  EXPECT_THAT(delivery.detail, HasSubstr("301"));
  EXPECT_EQ(server.requestCount(), 1U);
}

TEST_F(WebhookChannelTest, RefusedConnectionIsRetried) {
  const auto port = test_support::closedLocalPort();
  WebhookChannel channel(settingsFor("http://127.0.0.1:" + std::to_string(port) + "/hook"));

  const Delivery delivery = channel.send(kMessage, kNow);

  EXPECT_EQ(delivery.status, Status::kRetry);
  EXPECT_FALSE(delivery.ambiguous);
  EXPECT_THAT(delivery.detail, HasSubstr("127.0.0.1"));
}

TEST_F(WebhookChannelTest, ReceiverThatNeverAnswersTimesOutAndIsRetried) {
  test_support::SilentListener silent;
  auto settings = settingsFor("http://127.0.0.1:" + std::to_string(silent.port()) + "/hook");
  settings.timeout_seconds = 1;
  WebhookChannel channel(settings);

  const auto start = std::chrono::steady_clock::now();
  const Delivery delivery = channel.send(kMessage, kNow);

  EXPECT_EQ(delivery.status, Status::kRetry);
  // The request went out and no answer came: the receiver may have taken it.
  EXPECT_TRUE(delivery.ambiguous) << delivery.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(WebhookChannelTest, UnreadableSecretIsRetriedAndNothingIsSent) {
  HttpTestServer server;
  auto settings = settingsFor(server.url());
  settings.secret->location = (folder_.path() / "missing-secret").string();

  const Delivery delivery = WebhookChannel(settings).send(kMessage, kNow);

  EXPECT_EQ(delivery.status, Status::kRetry);
  EXPECT_THAT(delivery.detail, HasSubstr("missing-secret"));
  EXPECT_EQ(server.requestCount(), 0U);
}

TEST_F(WebhookChannelTest, SecretEchoedByTheReceiverIsRedacted) {
  HttpTestServer server;
  server.enqueue(respond(422, std::string("bad signature for secret ") + kSecret));
  WebhookChannel channel(settingsFor(server.url()));

  const Delivery delivery = channel.send(kMessage, kNow);

  EXPECT_EQ(delivery.status, Status::kDead);
  EXPECT_THAT(delivery.detail, Not(HasSubstr(kSecret)));
  EXPECT_THAT(delivery.detail, HasSubstr("[redacted]"));
}

}  // namespace
}  // namespace cohortwatch::channels
