// Issue 6, "Faults": the outbox end to end, the real binary delivering to a real SMTP server
// (tests/support/smtp_server.py, STARTTLS and AUTH) and a real HTTP receiver on 127.0.0.1. The
// messages are queued as a user checks a channel, with `outbox send-test`, and delivered by `run`:
// an SMTP server absent at first and started later; a receiver answering 500 then 204; 429 with
// Retry-After; 400 (dead, no retries); a receiver and an SMTP server that never answer (timeout,
// retried); and `cohortwatch run` killed with SIGKILL over and over while it sends 1,000 e-mails
// and 1,000 webhooks. The channel-level versions of these are in tests/unit/channels/.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"
#include "source_test_support.h"
#include "tests/support/http_test_server.h"
#include "tests/support/smtp_test_server.h"

namespace cohortwatch::integration {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test_support::HttpTestRequest;
using test_support::HttpTestResponse;
using test_support::HttpTestServer;
using test_support::SmtpTestServer;
using test_support::SmtpTestServerOptions;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

constexpr const char* kRecipient = "duty.manager@yot.example.org";
constexpr const char* kSender = "alerts@yot.example.org";
constexpr const char* kSmtpUser = "cohortwatch";
constexpr const char* kSmtpPassword = "s3cret-pässword";

// ---- configuration ------------------------------------------------------------------------

// Retries after one or two seconds, so that a test waits seconds, not minutes.
std::string configYaml(const TempDir& dir, const std::string& channel_items) {
  return "database:\n  path: \"" + (dir / "cw.db").string() + "\"\nchannels:\n" + channel_items +
         "notifications:\n  first_retry_seconds: 1\n  max_retry_seconds: 2\n";
}

// An smtp channel named "mail" for `server`: STARTTLS required (the default) and AUTH with the
// password in a file, as in production, when the server has TLS; plain otherwise.
std::string smtpChannelYaml(const TempDir& dir, const SmtpTestServer& server,
                            const std::string& url, int timeout_seconds = 10) {
  std::string yaml = "  - name: mail\n    kind: smtp\n    smtp:\n      url: \"" + url +
                     "\"\n      from: " + kSender +
                     "\n      connect_timeout_seconds: 2\n      timeout_seconds: " +
                     std::to_string(timeout_seconds) + "\n";
  if (server.caFile().empty()) {
    yaml += "      require_starttls: false\n";
  } else {
    writeFile(dir / "smtp-password", std::string(kSmtpPassword) + "\n");
    yaml += "      username: " + std::string(kSmtpUser) + "\n      password_file: \"" +
            (dir / "smtp-password").string() + "\"\n      ca_file: \"" + server.caFile().string() +
            "\"\n";
  }
  return yaml;
}

std::string webhookChannelYaml(const std::string& name, const std::string& url,
                               const std::string& extra_keys = "") {
  return "  - name: " + name + "\n    kind: webhook\n    webhook:\n      url: \"" + url +
         "\"\n      style: generic\n" + extra_keys;
}

fs::path writeConfig(const TempDir& dir, const std::string& channel_items) {
  const fs::path config = dir / "cw.yaml";
  writeFile(config, configYaml(dir, channel_items));
  return config;
}

// ---- the binary ---------------------------------------------------------------------------

void queueTestMessages(const fs::path& config, const std::string& to, long count) {
  const auto queued = runCohortwatch({"outbox", "send-test", "--to", to, "--count",
                                      std::to_string(count), "--config", config.string()});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  ASSERT_THAT(queued.out, HasSubstr("queued " + std::to_string(count) + " test message(s)"));
}

CliResult runOnce(const fs::path& config) {
  CliOptions options;
  options.timeout = 180s;
  return runCohortwatch({"run", "--once", "--config", config.string(), "--log-level", "info"},
                        options);
}

// `outbox list --format json`, as a user would look: the rows by id.
std::map<long, json> listOutbox(const fs::path& config) {
  const auto listed = runCohortwatch(
      {"outbox", "list", "--config", config.string(), "--format", "json", "--limit", "100000"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  std::map<long, json> rows;
  for (auto& row : json::parse(listed.out)) rows[row.at("id").get<long>()] = row;
  return rows;
}

// ---- the database -------------------------------------------------------------------------

struct OutboxRow {
  long id = 0;
  std::string channel;
  std::string recipient;
  std::string status;
  int attempts = 0;
  std::string created_at;
  std::string next_attempt_at;
  std::string last_attempt_at;
  std::string last_error;
  bool ambiguous = false;
};

std::vector<OutboxRow> outboxRows(const fs::path& db, const std::string& where = "1") {
  SQLite::Database database(db.string(), SQLite::OPEN_READONLY);
  database.setBusyTimeout(10000);
  SQLite::Statement query(
      database,
      "SELECT id, channel, recipient, status, attempts, created_at, "
      "next_attempt_at, coalesce(last_attempt_at, ''), coalesce(last_error, ''), "
      "ambiguous FROM outbox WHERE " +
          where + " ORDER BY id");
  std::vector<OutboxRow> rows;
  while (query.executeStep()) {
    OutboxRow row;
    row.id = query.getColumn(0).getInt64();
    row.channel = query.getColumn(1).getString();
    row.recipient = query.getColumn(2).getString();
    row.status = query.getColumn(3).getString();
    row.attempts = query.getColumn(4).getInt();
    row.created_at = query.getColumn(5).getString();
    row.next_attempt_at = query.getColumn(6).getString();
    row.last_attempt_at = query.getColumn(7).getString();
    row.last_error = query.getColumn(8).getString();
    row.ambiguous = query.getColumn(9).getInt() != 0;
    rows.push_back(std::move(row));
  }
  return rows;
}

long long pendingCount(const fs::path& db) {
  return queryNumber(db, "SELECT count(*) FROM outbox WHERE status = 'pending'");
}

// Waits until no pending row is due later than now (each retry's backoff has passed), so that
// the next `run --once` attempts them all.
bool waitUntilAllDue(const fs::path& db, std::chrono::milliseconds timeout = 30s) {
  return waitUntil(
      [&] {
        return queryNumber(db,
                           "SELECT count(*) FROM outbox WHERE status = 'pending' AND "
                           "next_attempt_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now')") == 0;
      },
      timeout);
}

// ---- the stable ids (channels/dispatcher.h) -----------------------------------------------

std::string compactTime(const std::string& iso) {
  std::string out;
  for (char c : iso) {
    if (c != '-' && c != ':' && c != 'Z') out += c;
  }
  return out;
}

std::string hostName() {
  std::array<char, HOST_NAME_MAX + 1> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return name.data();
}

std::string expectedMessageId(const OutboxRow& row) {
  return "<cw." + std::to_string(row.id) + "." + compactTime(row.created_at) + "@" + hostName() +
         ">";
}

std::string expectedWebhookId(const OutboxRow& row) {
  return "msg_cw_" + std::to_string(row.id) + "_" + compactTime(row.created_at);
}

// The Message-ID header of a raw message, read without a parser (for a thousand messages; the
// tests that parse use parse_mail.py).
std::string messageIdOf(const std::string& data) {
  for (const auto& line : lines(data)) {
    if (line.empty() || line == "\r") break;  // end of the header
    if (line.size() > 11 && ::strncasecmp(line.c_str(), "Message-ID:", 11) == 0) {
      std::string value = line.substr(11);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
      return value;
    }
  }
  return {};
}

// ---- Standard Webhooks, computed here with OpenSSL (not with the product's code) ----------

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(std::max(length, 0)));
  return out;
}

// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>".
std::string expectedSignature(const std::string& key, const std::string& id,
                              const std::string& timestamp, const std::string& body) {
  const std::string content = id + "." + timestamp + "." + body;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest.data(),
       &size);
  return "v1," + base64(digest.data(), size);
}

// A webhook-signature header holds one or more space-separated signatures; true when one of
// them is `expected`.
bool signatureListHas(const std::string& header, const std::string& expected) {
  std::size_t start = 0;
  while (start <= header.size()) {
    const auto end = header.find(' ', start);
    if (header.substr(start, end == std::string::npos ? std::string::npos : end - start) ==
        expected) {
      return true;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

HttpTestResponse answer(int status, std::string body = {}, test_support::HttpHeaders headers = {}) {
  HttpTestResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

// Counts the requests per webhook-id: how a receiver that dedupes would see the traffic.
class SeenIds {
 public:
  // How many times `id` has been seen, this request included.
  int see(const std::string& id) {
    const std::lock_guard lock(mutex_);
    return ++counts_[id];
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> counts_;
};

// ---- 1. an SMTP server absent at first and started later ----------------------------------

TEST(OutboxDeliveryTest, SmtpServerAbsentAtFirstGetsEveryMessageOnceItIsUp) {
  TempDir dir;
  SmtpTestServerOptions options;
  options.tls = SmtpTestServerOptions::Tls::kStartTls;
  options.username = kSmtpUser;
  options.password = kSmtpPassword;
  options.port = test_support::closedLocalPort();  // nothing listens there yet
  SmtpTestServer server(options);
  const auto config = writeConfig(dir, smtpChannelYaml(dir, server, server.url()));
  constexpr long kCount = 20;
  queueTestMessages(config, kRecipient, kCount);

  const auto absent = runOnce(config);
  ASSERT_EQ(absent.exit_code, 0) << absent.err;
  auto rows = outboxRows(dir / "cw.db");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kCount));
  for (const auto& row : rows) {
    EXPECT_EQ(row.channel, "mail");
    EXPECT_EQ(row.recipient, kRecipient);
    EXPECT_EQ(row.status, "pending") << row.id;
    EXPECT_EQ(row.attempts, 1) << row.id;
    EXPECT_THAT(row.last_error, HasSubstr("127.0.0.1")) << row.id;
    EXPECT_FALSE(row.ambiguous) << row.id;  // nothing was sent: no doubt about it
  }

  server.start();
  ASSERT_EQ(server.port(), options.port);
  ASSERT_TRUE(waitUntilAllDue(dir / "cw.db"));
  const auto started = runOnce(config);
  ASSERT_EQ(started.exit_code, 0) << started.err << "\n" << server.log();

  rows = outboxRows(dir / "cw.db");
  std::set<std::string> expected_ids;
  for (const auto& row : rows) {
    EXPECT_EQ(row.status, "sent") << row.id << ": " << row.last_error;
    EXPECT_EQ(row.attempts, 2) << row.id;
    expected_ids.insert(expectedMessageId(row));
  }
  ASSERT_EQ(expected_ids.size(), static_cast<std::size_t>(kCount));

  // Exactly the 20 messages, each once, each a well-formed message to the recipient.
  const auto mails = server.received();
  ASSERT_EQ(mails.size(), static_cast<std::size_t>(kCount)) << server.log();
  std::multiset<std::string> received_ids;
  std::set<std::string> subjects;
  for (const auto& mail : mails) {
    EXPECT_EQ(mail.mail_from, kSender);
    EXPECT_THAT(mail.rcpt_tos, ::testing::ElementsAre(kRecipient));
    const auto parsed = json::parse(test_support::parseMail(mail.eml));
    EXPECT_THAT(parsed.at("defects"), IsEmpty()) << parsed.dump(1);
    EXPECT_FALSE(parsed.at("bare_lf").get<bool>());
    EXPECT_EQ(parsed.at("to").at(0).at("address"), kRecipient);
    EXPECT_THAT(parsed.at("text").get<std::string>(), HasSubstr("the mail channel works"));
    received_ids.insert(parsed.at("headers").at("Message-ID").get<std::string>());
    subjects.insert(parsed.at("headers").at("Subject").get<std::string>());
  }
  EXPECT_EQ(std::set<std::string>(received_ids.begin(), received_ids.end()), expected_ids);
  for (const auto& id : expected_ids) EXPECT_EQ(received_ids.count(id), 1U) << id;
  EXPECT_EQ(subjects.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(subjects.count("cohortwatch test message 7 of 20"), 1U);

  // Nothing is due any more: another cycle sends nothing again.
  ASSERT_EQ(runOnce(config).exit_code, 0);
  EXPECT_EQ(server.received().size(), static_cast<std::size_t>(kCount));
}

// ---- 2. a receiver that answers 500, then 204 ---------------------------------------------

TEST(OutboxDeliveryTest, WebhookAnswered500ThenIsDeliveredOnRetryWithTheSameIdAndValidSignatures) {
  TempDir dir;
  // A "whsec_" secret as Standard Webhooks hand them out: 24 random bytes, base64 (no padding).
  std::array<unsigned char, 24> key_bytes{};
  ASSERT_EQ(RAND_bytes(key_bytes.data(), static_cast<int>(key_bytes.size())), 1);
  const std::string key(reinterpret_cast<const char*>(key_bytes.data()), key_bytes.size());
  writeFile(dir / "webhook.secret", "whsec_" + base64(key_bytes.data(), key_bytes.size()) + "\n");

  SeenIds seen;
  HttpTestServer receiver([&](const HttpTestRequest& request) {
    const int count = seen.see(request.header("webhook-id").value_or(""));
    return count == 1 ? answer(500, "busy, try again") : answer(204);
  });
  const auto config = writeConfig(
      dir,
      webhookChannelYaml("chat", receiver.url("/hooks/yot"),
                         "      secret_file: \"" + (dir / "webhook.secret").string() + "\"\n"));
  constexpr long kCount = 10;
  queueTestMessages(config, "chat", kCount);

  const auto first = runOnce(config);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (const auto& row : outboxRows(dir / "cw.db")) {
    EXPECT_EQ(row.status, "pending") << row.id;
    EXPECT_EQ(row.attempts, 1) << row.id;
    EXPECT_THAT(row.last_error, HasSubstr("HTTP 500")) << row.id;
  }
  ASSERT_EQ(receiver.requestCount(), static_cast<std::size_t>(kCount));

  ASSERT_TRUE(waitUntilAllDue(dir / "cw.db"));
  const auto second = runOnce(config);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto rows = outboxRows(dir / "cw.db");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kCount));
  for (const auto& row : rows) {
    EXPECT_EQ(row.status, "sent") << row.id << ": " << row.last_error;
    EXPECT_EQ(row.attempts, 2) << row.id;
  }

  // Every message twice (the 500, then the 204), under the same id with the same body; each
  // request signed for its own timestamp with the secret's key.
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), static_cast<std::size_t>(2 * kCount));
  std::map<std::string, std::vector<const HttpTestRequest*>> by_id;
  const long now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.path(), "/hooks/yot");
    EXPECT_THAT(request.header("Content-Type").value_or(""), HasSubstr("application/json"));
    const std::string id = request.header("webhook-id").value_or("");
    const std::string timestamp = request.header("webhook-timestamp").value_or("");
    const std::string signature = request.header("webhook-signature").value_or("");
    ASSERT_FALSE(timestamp.empty()) << id;
    EXPECT_LE(std::abs(std::stol(timestamp) - now), 300) << "webhook-timestamp " << timestamp;
    EXPECT_TRUE(signatureListHas(signature, expectedSignature(key, id, timestamp, request.body)))
        << id << ": " << signature;
    // A signature made with a different key, or over another body, does not verify.
    EXPECT_FALSE(
        signatureListHas(signature, expectedSignature(key + "x", id, timestamp, request.body)));
    by_id[id].push_back(&request);
  }
  std::set<std::string> expected_ids;
  for (const auto& row : rows) expected_ids.insert(expectedWebhookId(row));
  std::set<long> sequences;
  for (const auto& [id, attempts] : by_id) {
    EXPECT_EQ(expected_ids.count(id), 1U) << id;
    ASSERT_EQ(attempts.size(), 2U) << id;
    EXPECT_EQ(attempts[0]->body, attempts[1]->body) << id;
    const auto payload = json::parse(attempts[0]->body);
    EXPECT_EQ(payload.at("schema"), "cohortwatch.test.v1");
    sequences.insert(payload.at("sequence").get<long>());
  }
  EXPECT_EQ(by_id.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(sequences.size(), static_cast<std::size_t>(kCount));
}

// ---- 3. 429 with Retry-After, and 400 -----------------------------------------------------

TEST(OutboxDeliveryTest, Http429WaitsForRetryAfterAnd400IsDeadWithoutRetries) {
  TempDir dir;
  constexpr int kRetryAfterSeconds = 4;  // longer than any backoff here (at most 2 s)
  SeenIds seen;
  HttpTestServer receiver([&](const HttpTestRequest& request) {
    if (request.path() == "/refusing") return answer(400, "unknown channel id");
    const int count = seen.see(request.header("webhook-id").value_or(""));
    if (count == 1) {
      return answer(429, "slow down", {{"Retry-After", std::to_string(kRetryAfterSeconds)}});
    }
    return answer(204);
  });
  const auto config =
      writeConfig(dir, webhookChannelYaml("limited", receiver.url("/limited")) +
                           webhookChannelYaml("refusing", receiver.url("/refusing")));
  queueTestMessages(config, "limited", 3);
  queueTestMessages(config, "refusing", 3);

  const auto first = runOnce(config);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(receiver.requestCount(), 6U);
  auto listed = listOutbox(config);
  ASSERT_EQ(listed.size(), 6U);
  for (const auto& [id, row] : listed) {
    EXPECT_EQ(row.at("attempts"), 1) << row.dump();
    if (row.at("channel") == "limited") {
      EXPECT_EQ(row.at("status"), "pending") << row.dump();
      EXPECT_THAT(row.at("last_error").get<std::string>(), HasSubstr("HTTP 429")) << row.dump();
      EXPECT_FALSE(row.at("next_attempt_at").is_null()) << row.dump();
    } else {
      EXPECT_EQ(row.at("status"), "dead") << row.dump();
      EXPECT_THAT(row.at("last_error").get<std::string>(), HasSubstr("HTTP 400")) << row.dump();
      EXPECT_THAT(row.at("last_error").get<std::string>(), HasSubstr("unknown channel id"));
    }
  }
  // The next attempt is no sooner than the server asked, although the backoff is shorter.
  for (const auto& row : outboxRows(dir / "cw.db", "channel = 'limited'")) {
    EXPECT_EQ(
        queryNumber(dir / "cw.db",
                    "SELECT strftime('%s', next_attempt_at) - strftime('%s', last_attempt_at) FROM "
                    "outbox WHERE id = " +
                        std::to_string(row.id)),
        kRetryAfterSeconds)
        << row.next_attempt_at << " after " << row.last_attempt_at;
  }

  ASSERT_TRUE(waitUntilAllDue(dir / "cw.db"));
  const auto second = runOnce(config);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  listed = listOutbox(config);
  for (const auto& [id, row] : listed) {
    if (row.at("channel") == "limited") {
      EXPECT_EQ(row.at("status"), "sent") << row.dump();
      EXPECT_EQ(row.at("attempts"), 2) << row.dump();
    } else {
      // Dead stays dead: not attempted again.
      EXPECT_EQ(row.at("status"), "dead") << row.dump();
      EXPECT_EQ(row.at("attempts"), 1) << row.dump();
    }
  }
  const auto requests = receiver.requests();
  EXPECT_EQ(std::count_if(requests.begin(), requests.end(),
                          [](const auto& r) { return r.path() == "/refusing"; }),
            3);
  EXPECT_EQ(std::count_if(requests.begin(), requests.end(),
                          [](const auto& r) { return r.path() == "/limited"; }),
            6);
}

// ---- 5. servers that accept the connection and never answer --------------------------------

TEST(OutboxDeliveryTest, ReceiverThatNeverAnswersTimesOutAndIsRetriedOnceItAnswers) {
  TempDir dir;
  std::atomic<bool> hung{true};
  HttpTestServer receiver([&](const HttpTestRequest&) {
    HttpTestResponse response = answer(204);
    // Far longer than the channel waits; the server's destructor cuts it short.
    if (hung) response.delay = 10min;
    return response;
  });
  const auto config = writeConfig(
      dir, webhookChannelYaml("chat", receiver.url("/hook"),
                              "      connect_timeout_seconds: 1\n      timeout_seconds: 1\n"));
  queueTestMessages(config, "chat", 2);

  const auto started = std::chrono::steady_clock::now();
  const auto first = runOnce(config);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);  // it gave up, it did not hang
  for (const auto& row : outboxRows(dir / "cw.db")) {
    EXPECT_EQ(row.status, "pending") << row.id;
    EXPECT_EQ(row.attempts, 1) << row.id;
    EXPECT_THAT(row.last_error, HasSubstr("timed out")) << row.id;
    // The whole request went out: the receiver may have taken it.
    EXPECT_TRUE(row.ambiguous) << row.id;
  }
  EXPECT_EQ(receiver.requestCount(), 2U);

  hung = false;  // the receiver is fixed
  ASSERT_TRUE(waitUntilAllDue(dir / "cw.db"));
  const auto second = runOnce(config);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  for (const auto& row : outboxRows(dir / "cw.db")) {
    EXPECT_EQ(row.status, "sent") << row.id << ": " << row.last_error;
    EXPECT_EQ(row.attempts, 2) << row.id;
  }
  // Each message twice, the repeat with the same id and body: a receiver can drop it.
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 4U);
  std::map<std::string, std::set<std::string>> bodies;
  for (const auto& request : requests)
    bodies[request.header("webhook-id").value_or("")].insert(request.body);
  EXPECT_EQ(bodies.size(), 2U);
  for (const auto& [id, seen_bodies] : bodies) EXPECT_EQ(seen_bodies.size(), 1U) << id;
}

TEST(OutboxDeliveryTest, SmtpServerThatNeverAnswersTimesOutAndIsRetriedOnItsReplacement) {
  TempDir dir;
  auto hung = std::make_unique<test_support::SilentListener>();  // connects, never greets
  SmtpTestServerOptions options;
  options.port = hung->port();
  SmtpTestServer replacement(options);  // plain SMTP, later on the same port
  const auto config =
      writeConfig(dir, smtpChannelYaml(dir, replacement, replacement.url(), /*timeout=*/1));
  queueTestMessages(config, kRecipient, 1);

  const auto first = runOnce(config);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto rows = outboxRows(dir / "cw.db");
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].status, "pending");
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_THAT(rows[0].last_error, ::testing::ContainsRegex("[Tt]ime.?out|timed out"))
      << rows[0].last_error;

  hung.reset();
  replacement.start();
  ASSERT_EQ(replacement.port(), options.port);
  ASSERT_TRUE(waitUntilAllDue(dir / "cw.db"));
  const auto second = runOnce(config);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  rows = outboxRows(dir / "cw.db");
  EXPECT_EQ(rows[0].status, "sent") << rows[0].last_error << "\n" << replacement.log();
  EXPECT_EQ(rows[0].attempts, 2);
  ASSERT_EQ(replacement.received().size(), 1U);
  EXPECT_EQ(messageIdOf(replacement.received()[0].data), expectedMessageId(rows[0]));
}

// ---- 4. kill -9 of the dispatcher, over and over, while it sends ---------------------------

// The number of messages per channel: COHORTWATCH_TEST_KILL_MESSAGES, default 1,000.
long killLoopMessages() {
  const char* configured = std::getenv("COHORTWATCH_TEST_KILL_MESSAGES");
  if (configured == nullptr || *configured == '\0') return 1000;
  return std::max(1L, std::atol(configured));
}

TEST(OutboxDeliveryTest, KilledOverAndOverWhileSendingEveryMessageArrivesAndRepeatsAreCounted) {
  TempDir dir;
  const long count = killLoopMessages();
  SmtpTestServer smtp;  // plain SMTP: the crash is what is under test, not TLS
  smtp.start();
  std::atomic<long> webhook_requests{0};
  HttpTestServer receiver([&](const HttpTestRequest&) {
    ++webhook_requests;
    return answer(204);
  });
  const auto config = writeConfig(dir, smtpChannelYaml(dir, smtp, smtp.url()) +
                                           webhookChannelYaml("chat", receiver.url("/hook")));
  queueTestMessages(config, kRecipient, count);
  queueTestMessages(config, "chat", count);
  ASSERT_EQ(pendingCount(dir / "cw.db"), 2 * count);

  // The service (which dispatches at start) killed with SIGKILL after 50 to 400 ms, again and
  // again, until nothing is pending.
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> lifetime_ms(50, 400);
  constexpr int kMaxRuns = 200;
  int runs = 0;
  int kills = 0;
  const auto started = std::chrono::steady_clock::now();
  // Runs in a row that delivered nothing: many more than a slow start explains means a service
  // that does not deliver the backlog at all (the assertion after the loop says so).
  constexpr int kMaxIdleRuns = 40;
  int idle_runs = 0;
  long long pending = pendingCount(dir / "cw.db");
  // On a slow machine (a sanitizer build, a loaded CI runner) the service may need most of
  // 400 ms just to start: each run in a row that delivered nothing lets the next live longer
  // (up to 8 times), so that the kills still land while messages are being sent.
  int slowness = 1;
  while (pending > 0 && runs < kMaxRuns && idle_runs < kMaxIdleRuns) {
    ++runs;
    BackgroundService service({"run", "--config", config.string(), "--log-level", "info"},
                              dir / ("run-" + std::to_string(runs) + ".log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(slowness * lifetime_ms(random)));
    if (service.running()) {
      service.kill();
      ++kills;
    } else {
      ADD_FAILURE() << "the service exited by itself:\n" << service.log();
      break;
    }
    const long long left = pendingCount(dir / "cw.db");
    idle_runs = left < pending ? 0 : idle_runs + 1;
    slowness = left < pending ? slowness : std::min(8, slowness * 2);
    pending = left;
  }
  const auto killed_for = std::chrono::steady_clock::now() - started;
  const long long left_after_kills = pendingCount(dir / "cw.db");
  // The service itself delivers what was pending when it started (after a crash too), not only
  // messages its own cycle queued: the killed runs did most of the work.
  EXPECT_LT(left_after_kills, count) << "the restarted service hardly delivered the backlog";
  // Whatever the kills left (nothing, unless the cap was reached) is delivered by `run --once`,
  // which attempts at most one batch (500 messages) per run: as many runs as that takes.
  for (long last_runs = 0;
       last_runs == 0 || (pendingCount(dir / "cw.db") > 0 && last_runs <= 2 * count / 500 + 1);
       ++last_runs) {
    const auto last = runOnce(config);
    ASSERT_EQ(last.exit_code, 0) << last.err;
  }

  EXPECT_EQ(pendingCount(dir / "cw.db"), 0);
  const auto rows = outboxRows(dir / "cw.db");
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(2 * count));
  std::set<std::string> message_ids;
  std::set<std::string> webhook_ids;
  for (const auto& row : rows) {
    EXPECT_EQ(row.status, "sent") << row.id << ": " << row.last_error;
    (row.recipient.empty() ? webhook_ids : message_ids)
        .insert(row.recipient.empty() ? expectedWebhookId(row) : expectedMessageId(row));
  }
  ASSERT_EQ(message_ids.size(), static_cast<std::size_t>(count));
  ASSERT_EQ(webhook_ids.size(), static_cast<std::size_t>(count));

  // E-mail: every Message-ID arrived; a repeat is one the crash caught between the server's
  // acceptance and the commit of "sent".
  const auto mails = smtp.received();
  std::map<std::string, int> mail_counts;
  for (const auto& mail : mails) ++mail_counts[messageIdOf(mail.data)];
  long mail_repeats = 0;
  for (const auto& [id, times] : mail_counts) {
    EXPECT_EQ(message_ids.count(id), 1U) << "an e-mail nobody queued: " << id;
    mail_repeats += times - 1;
  }
  for (const auto& id : message_ids)
    EXPECT_EQ(mail_counts.count(id), 1U) << "never arrived: " << id;

  // Webhooks: every webhook-id arrived; a repeat carries the same id and the same body, so a
  // receiver that dedupes on the id (as Standard Webhooks ask) takes each message once.
  std::map<std::string, std::vector<std::string>> webhook_bodies;
  for (const auto& request : receiver.requests()) {
    webhook_bodies[request.header("webhook-id").value_or("")].push_back(request.body);
  }
  long webhook_repeats = 0;
  for (const auto& [id, bodies] : webhook_bodies) {
    EXPECT_EQ(webhook_ids.count(id), 1U) << "a webhook nobody queued: " << id;
    for (const auto& body : bodies) EXPECT_EQ(body, bodies.front()) << id;
    webhook_repeats += static_cast<long>(bodies.size()) - 1;
  }
  for (const auto& id : webhook_ids)
    EXPECT_EQ(webhook_bodies.count(id), 1U) << "never arrived: " << id;

  // Each kill interrupts at most one delivery in flight.
  EXPECT_LE(mail_repeats + webhook_repeats, kills);
  EXPECT_GT(kills, 1) << "the loop did not kill the service while it was sending";
  const double seconds = std::chrono::duration<double>(killed_for).count();
  RecordProperty("messages_per_channel", static_cast<int>(count));
  RecordProperty("runs", runs);
  RecordProperty("kills", kills);
  RecordProperty("pending_after_kills", static_cast<int>(left_after_kills));
  RecordProperty("email_repeats", static_cast<int>(mail_repeats));
  RecordProperty("webhook_repeats", static_cast<int>(webhook_repeats));
  std::cout << "[ kill -9 ] " << count << " e-mails and " << count << " webhooks; " << runs
            << " runs, " << kills << " killed, in " << seconds << " s; " << left_after_kills
            << " left for the last run --once; e-mails received " << mails.size() << " ("
            << mail_repeats << " repeated), webhook requests " << webhook_requests.load() << " ("
            << webhook_repeats << " repeated)\n";
}

}  // namespace
}  // namespace cohortwatch::integration
