// The outbox dispatcher on a real SQLite store and a real HTTP receiver: delivered messages are
// marked sent; failures are retried with backoff (never sooner than Retry-After); permanent
// refusals and messages past their maximum age are dead; ids stay stable across retries; and a
// message is attempted only when due.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "channels/dispatcher.h"
#include "channels/outbox_body.h"
#include "tests/support/http_test_server.h"
#include "tracking/clock.h"

namespace cohortwatch::channels {
namespace {

namespace fs = std::filesystem;
using test_support::HttpTestResponse;
using test_support::HttpTestServer;
using Clock = std::chrono::system_clock;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-dispatch-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    settings_.database.path = (dir_ / "cw.db").string();
    settings_.notifications.first_retry_seconds = 30;
    settings_.notifications.max_retry_seconds = 600;
    settings_.notifications.max_age_hours = 1;
    store_ = tracking::openSqliteStore(settings_.database);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void useWebhook(const std::string& url) {
    config::ChannelSettings chat;
    chat.name = "chat";
    chat.kind = config::ChannelSettings::Kind::kWebhook;
    chat.webhook.url = url;
    chat.webhook.timeout_seconds = 5;
    settings_.channels = {chat};
  }

  long queueWebhook(const std::string& payload) {
    tracking::OutboxMessage message;
    message.channel = "chat";
    message.kind = "alert";
    message.subject = "test";
    message.body = encodeWebhookBody(payload);
    auto tx = store_->begin();
    const long id = store_->alerting().enqueue(message);
    tx->commit();
    return id;
  }

  tracking::OutboxMessage row(long id) { return *store_->alerting().outboxMessage(id); }

  fs::path dir_;
  config::Settings settings_;
  std::unique_ptr<tracking::Store> store_;
};

TEST_F(DispatcherTest, BackoffDoublesFromTheFirstRetryUpToTheCap) {
  const Router router(settings_);
  Dispatcher dispatcher(*store_, router, settings_.notifications, "host");
  EXPECT_EQ(dispatcher.backoff(1).count(), 30);
  EXPECT_EQ(dispatcher.backoff(2).count(), 60);
  EXPECT_EQ(dispatcher.backoff(3).count(), 120);
  EXPECT_EQ(dispatcher.backoff(6).count(), 600);
  EXPECT_EQ(dispatcher.backoff(40).count(), 600);
}

TEST_F(DispatcherTest, A500IsRetriedWithTheSameIdAndThenDelivered) {
  HttpTestServer receiver;
  receiver.enqueue({500, {}, "busy", {}, false});
  receiver.enqueue({204, {}, "", {}, false});
  useWebhook(receiver.url("/hook"));
  const Router router(settings_);
  Dispatcher dispatcher(*store_, router, settings_.notifications, "host");
  dispatcher.setJitter([] { return 1.0; });
  const long id = queueWebhook(R"({"n":1})");
  const auto now = Clock::now();

  auto first = dispatcher.deliverDue(now);
  EXPECT_EQ(first.retried, 1);
  EXPECT_EQ(row(id).status, "pending");
  EXPECT_EQ(row(id).attempts, 1);
  EXPECT_EQ(row(id).next_attempt_at, tracking::formatUtc(now + std::chrono::seconds(30)));
  EXPECT_THAT(row(id).last_error, ::testing::HasSubstr("500"));

  // Not due yet: nothing is attempted.
  EXPECT_EQ(dispatcher.deliverDue(now + std::chrono::seconds(10)).retried, 0);
  EXPECT_EQ(receiver.requestCount(), 1u);

  auto second = dispatcher.deliverDue(now + std::chrono::seconds(31));
  EXPECT_EQ(second.sent, 1);
  EXPECT_EQ(row(id).status, "sent");
  EXPECT_EQ(row(id).attempts, 2);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("webhook-id"), requests[1].header("webhook-id"));
  EXPECT_EQ(requests[0].header("webhook-id"), webhookIdFor(row(id)));
  EXPECT_EQ(requests[1].body, R"({"n":1})");
}

TEST_F(DispatcherTest, RetryAfterIsHonouredAndA400IsDeadAtOnce) {
  HttpTestServer receiver([](const test_support::HttpTestRequest& request) {
    if (request.body == R"({"n":1})") return HttpTestResponse{429, {{"Retry-After", "900"}}, "", {}, false};
    return HttpTestResponse{400, {}, "bad payload", {}, false};
  });
  useWebhook(receiver.url("/hook"));
  const Router router(settings_);
  Dispatcher dispatcher(*store_, router, settings_.notifications, "host");
  dispatcher.setJitter([] { return 1.0; });
  const long limited = queueWebhook(R"({"n":1})");
  const long refused = queueWebhook(R"({"n":2})");
  const auto now = Clock::now();
  const auto summary = dispatcher.deliverDue(now);
  EXPECT_EQ(summary.retried, 1);
  EXPECT_EQ(summary.dead, 1);
  // 900 s asked for, more than the 30 s backoff (and within the one-hour maximum age).
  EXPECT_EQ(row(limited).next_attempt_at, tracking::formatUtc(now + std::chrono::seconds(900)));
  EXPECT_EQ(row(refused).status, "dead");
  EXPECT_THAT(row(refused).last_error, ::testing::HasSubstr("400"));
  // The dead one is never attempted again by itself.
  dispatcher.deliverDue(now + std::chrono::hours(2));
  EXPECT_EQ(row(refused).attempts, 1);
}

TEST_F(DispatcherTest, AMessageThatWouldOutliveItsMaximumAgeIsDead) {
  useWebhook("http://127.0.0.1:" + std::to_string(test_support::closedLocalPort()) + "/hook");
  const Router router(settings_);
  Dispatcher dispatcher(*store_, router, settings_.notifications, "host");
  dispatcher.setJitter([] { return 1.0; });
  const long id = queueWebhook("{}");
  // Refused connections: retried while the next attempt is within the hour, then dead.
  auto now = Clock::now();
  int attempts = 0;
  while (row(id).status == "pending" && attempts < 20) {
    const auto due = tracking::parseUtc(row(id).next_attempt_at).value_or(now);
    now = std::max(now, due);
    dispatcher.deliverDue(now);
    ++attempts;
  }
  EXPECT_EQ(row(id).status, "dead");
  EXPECT_THAT(row(id).last_error, ::testing::HasSubstr("gave up after"));
  // Attempts at 0, 30, 90, 210, 450, 930, 1530, 2130, 2730 and 3330 s; the next would be at
  // 3930 s, past the hour: the tenth attempt's failure makes it dead.
  EXPECT_EQ(row(id).attempts, 10);
}

TEST_F(DispatcherTest, AnEmailWithNoServerGoesToTheSpoolAsAnEmlFile) {
  const Router router(settings_);  // no channels: the built-in spool beside the database
  Dispatcher dispatcher(*store_, router, settings_.notifications, "host.example");
  tracking::OutboxMessage message;
  message.channel = router.emailChannel();
  message.recipient = "manager@yot.example.org";
  message.kind = "alert";
  message.subject = "Hello";
  message.body = encodeEmailBody({"Hello", "text part", "<p>html part</p>", {}});
  long id = 0;
  {
    auto tx = store_->begin();
    id = store_->alerting().enqueue(message);
    tx->commit();
  }
  EXPECT_EQ(dispatcher.deliverDue(Clock::now()).sent, 1);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir_ / "spool")) files.push_back(entry.path());
  ASSERT_EQ(files.size(), 1u);
  std::ifstream in(files[0]);
  const std::string eml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(eml, ::testing::HasSubstr("Message-ID: " + messageIdFor(row(id), "host.example")));
  EXPECT_THAT(eml, ::testing::HasSubstr("To: manager@yot.example.org"));
}

}  // namespace
}  // namespace cohortwatch::channels
