// Issue 4, "Sources": the HTTP source end to end, the real binary pulling from a real HTTP server
// on 127.0.0.1 (port 0, plain http:// as only a test endpoint would be): a failure then a success,
// the conditional and incremental request that follows, 304, a refused token, and the service's
// retries with backoff. Every name and identifier is synthetic.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli_runner.h"
#include "source_test_support.h"
#include "tests/support/http_test_server.h"

namespace cohortwatch::integration {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test_support::HttpTestRequest;
using test_support::HttpTestResponse;
using test_support::HttpTestServer;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

const std::string kPeople =
    "person_id,first_name,last_name,date_of_birth,gender,looked_after,updated_at\n"
    "H1,Ana,Example,2009-04-01,female,false,2025-01-10T09:00:00Z\n"
    "H2,Ben,Sample,2008-11-20,male,true,2025-01-11T09:00:00Z\n"
    "H3,Cas,Test,2010-02-28,other,false,2025-01-12T09:00:00Z\n";

CliResult runOnce(const fs::path& config) {
  CliOptions options;
  options.timeout = std::chrono::seconds(120);
  return runCohortwatch({"run", "--once", "--config", config.string(), "--log-level", "info"},
                        options);
}

json sourceStatus(const fs::path& config, const std::string& name) {
  const auto result = runCohortwatch({"sources", "--config", config.string(), "--format", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (const auto& entry : json::parse(result.out)) {
    if (entry.value("source", "") == name) return entry;
  }
  ADD_FAILURE() << "no source " << name << " in " << result.out;
  return json::object();
}

std::string httpSourceYaml(const std::string& name, const std::string& url,
                           const std::string& extra_http_keys) {
  return "  - name: " + name + "\n    kind: http\n    http:\n      url: \"" + url + "\"\n" +
         extra_http_keys;
}

HttpTestResponse response(int status, std::string body, test_support::HttpHeaders headers = {}) {
  HttpTestResponse answer;
  answer.status = status;
  answer.headers = std::move(headers);
  answer.body = std::move(body);
  return answer;
}

std::string percentDecode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// "YYYY-MM-DDTHH:MM:SSZ" moved by `seconds`.
std::string shiftUtc(const std::string& timestamp, long seconds) {
  std::tm parts{};
  if (::strptime(timestamp.c_str(), "%Y-%m-%dT%H:%M:%SZ", &parts) == nullptr)
    return "bad: " + timestamp;
  const std::time_t moved = ::timegm(&parts) + seconds;
  std::tm out{};
  ::gmtime_r(&moved, &out);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &out);
  return text;
}

std::string nowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm out{};
  ::gmtime_r(&now, &out);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &out);
  return text;
}

// The stored state of a source, without last_run, last_success and requests (which every run
// moves).
std::string stateOf(const fs::path& db, const std::string& source) {
  return dumpQuery(db,
                   "SELECT etag, last_modified, cursor, last_error, files_taken, rows_taken, "
                   "rows_rejected FROM source_state WHERE source = '" +
                       source + "'");
}

// (a) and (b): 500, then 200, then 304.
TEST(SourceHttpTest, ServerErrorThenRowsThenAConditionalIncrementalRequest) {
  TempDir dir;
  HttpTestServer server;
  server.enqueue(response(500, "the export database is down", {{"Content-Type", "text/plain"}}));
  server.enqueue(response(200, kPeople, {{"Content-Type", "text/csv"}, {"ETag", "\"v1\""}}));
  server.enqueue(response(304, "", {{"ETag", "\"v1\""}}));
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  httpSourceYaml("cms", server.url("/export/people.csv"),
                                                 "      interval_seconds: 300\n"
                                                 "      lookback_seconds: 3600\n"));

  const auto failed = runOnce(config);
  EXPECT_EQ(failed.exit_code, 0) << failed.err;
  ASSERT_EQ(server.requestCount(), 1U);
  EXPECT_THAT(failed.err, HasSubstr("HTTP 500"));
  json status = sourceStatus(config, "cms");
  EXPECT_EQ(status.value("kind", ""), "http");
  ASSERT_TRUE(status["last_error"].is_string()) << status.dump();
  EXPECT_THAT(status["last_error"].get<std::string>(), HasSubstr("HTTP 500"));
  EXPECT_EQ(status.value("rows_taken", -1), 0);
  EXPECT_EQ(status.value("requests", -1), 1);
  EXPECT_TRUE(status["last_success"].is_null()) << status.dump();
  EXPECT_EQ(countRows(db, "people"), 0);

  const std::string before = nowUtc();
  const auto taken = runOnce(config);
  const std::string after = nowUtc();
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  ASSERT_EQ(server.requestCount(), 2U);
  {
    const auto request = server.requests()[1];
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.path(), "/export/people.csv");
    EXPECT_EQ(request.query(), "") << "no cursor yet: the first success asks for everything";
    EXPECT_FALSE(request.header("If-None-Match").has_value());
  }
  EXPECT_EQ(dumpQuery(db, "SELECT person_id, looked_after FROM people ORDER BY person_id"),
            "H1|0\nH2|1\nH3|0\n");
  status = sourceStatus(config, "cms");
  EXPECT_TRUE(status["last_error"].is_null()) << status.dump();
  EXPECT_EQ(status.value("rows_taken", -1), 3);
  EXPECT_EQ(status.value("requests", -1), 2);
  EXPECT_TRUE(status["last_success"].is_string()) << status.dump();
  EXPECT_EQ(queryText(db, "SELECT etag FROM source_state WHERE source = 'cms'"), "\"v1\"");
  const std::string cursor = queryText(db, "SELECT cursor FROM source_state WHERE source = 'cms'");
  EXPECT_GE(cursor, shiftUtc(before, -1));  // when the successful request started
  EXPECT_LE(cursor, after);

  // (b) The next run asks "anything since?" conditionally; 304: nothing changes.
  const auto people = dumpPeople(db);
  const auto events = dumpEvents(db);
  const auto state = stateOf(db, "cms");
  const auto unchanged = runOnce(config);
  ASSERT_EQ(unchanged.exit_code, 0) << unchanged.err;
  ASSERT_EQ(server.requestCount(), 3U);
  {
    const auto request = server.requests()[2];
    EXPECT_EQ(request.header("If-None-Match").value_or(""), "\"v1\"");
    EXPECT_EQ(percentDecode(request.query()), "since=" + shiftUtc(cursor, -3600));
  }
  EXPECT_THAT(unchanged.err, HasSubstr("1 request(s), not modified"));
  EXPECT_EQ(dumpPeople(db), people);
  EXPECT_EQ(dumpEvents(db), events);
  EXPECT_EQ(stateOf(db, "cms"), state);
  EXPECT_EQ(sourceStatus(config, "cms").value("requests", -1), 3);
}

// (c) A refused token: a clear error naming where the token comes from (never the token), one
// request per run, and no retries before the next interval.
TEST(SourceHttpTest, RefusedTokenIsAClearErrorWithoutARetryStorm) {
  TempDir dir;
  const std::string token = "s3cr3t-Token-4242-synthetic";
  const auto token_file = dir / "cms.token";
  writeFile(token_file, token + "\n");
  ::chmod(token_file.c_str(), 0600);
  HttpTestServer server([](const HttpTestRequest&) {
    return response(401, "invalid token", {{"WWW-Authenticate", "Bearer"}});
  });
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  httpSourceYaml("cms", server.url("/export/people.csv"),
                                                 "      interval_seconds: 300\n"
                                                 "      auth: bearer\n"
                                                 "      token_file: \"" +
                                                     token_file.string() + "\"\n"));
  for (std::size_t run = 1; run <= 2; ++run) {
    const auto result = runOnce(config);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(server.requestCount(), run) << "exactly one request per run";
    EXPECT_THAT(result.err, HasSubstr("401"));
    EXPECT_THAT(result.err, Not(HasSubstr(token)));
  }
  ASSERT_FALSE(server.requests().empty());
  EXPECT_EQ(server.requests()[0].header("Authorization").value_or(""), "Bearer " + token);
  const json status = sourceStatus(config, "cms");
  ASSERT_TRUE(status["last_error"].is_string()) << status.dump();
  const std::string error = status["last_error"].get<std::string>();
  EXPECT_THAT(error, HasSubstr("HTTP 401"));
  EXPECT_THAT(error, HasSubstr(token_file.string()));
  EXPECT_THAT(error, Not(HasSubstr(token)));
  EXPECT_THAT(status.dump(), Not(HasSubstr(token)));
  EXPECT_EQ(countRows(db, "people"), 0);

  // The service makes one request and then waits for its interval (300 s), not a retry loop.
  BackgroundService service({"run", "--config", config.string(), "--log-level", "info"},
                            dir / "run.log");
  ASSERT_TRUE(waitUntil([&] { return server.requestCount() >= 3; }, 60s)) << service.log();
  std::this_thread::sleep_for(3s);  // time for a retry storm to show
  EXPECT_EQ(service.stop(SIGTERM), 0) << service.log();
  EXPECT_EQ(server.requestCount(), 3U);
  EXPECT_THAT(service.log(), HasSubstr("not retried before the next interval"));
  EXPECT_THAT(service.log(), Not(HasSubstr(token)));
}

// (d) The service retries a 503 with backoff (honouring Retry-After) and takes the rows.
TEST(SourceHttpTest, ServiceRetriesUnavailableServerWithBackoffThenTakesTheRows) {
  TempDir dir;
  std::atomic<int> answered{0};
  HttpTestServer server([&](const HttpTestRequest&) {
    const int n = answered++;
    if (n < 2) return response(503, "busy", {{"Retry-After", "1"}});
    if (n == 2) return response(200, kPeople, {{"Content-Type", "text/csv"}, {"ETag", "\"v7\""}});
    return response(304, "", {{"ETag", "\"v7\""}});
  });
  const auto db = dir / "cw.db";
  const auto config = writeConfig(dir / "cw.yaml", db,
                                  httpSourceYaml("cms", server.url("/export/people.csv"),
                                                 "      interval_seconds: 10\n"
                                                 "      max_backoff_seconds: 2\n"));
  BackgroundService service({"run", "--config", config.string(), "--log-level", "info"},
                            dir / "run.log");
  ASSERT_TRUE(service.waitForLog("cohortwatch started", 60s)) << service.log();
  const bool taken = waitUntil([&] { return countRows(db, "people") == 3; }, 60s);
  EXPECT_TRUE(taken) << service.log();
  EXPECT_EQ(service.stop(SIGTERM), 0) << service.log();
  EXPECT_GE(server.requestCount(), 3U);
  EXPECT_LE(server.requestCount(), 4U) << service.log();
  const std::string log = service.log();
  EXPECT_THAT(log, HasSubstr("HTTP 503"));
  EXPECT_THAT(log, HasSubstr("retrying in"));
  const json status = sourceStatus(config, "cms");
  EXPECT_TRUE(status["last_error"].is_null()) << status.dump();
  EXPECT_EQ(status.value("rows_taken", -1), 3);
  EXPECT_EQ(status.value("requests", -1), static_cast<int>(server.requestCount()));
}

// One endpoint per kind of file: offences polled before the child they refer to has come from
// the people endpoint are rejected ("kept and retried once the child arrives"); once the people
// endpoint has brought the child they must be taken without anyone running `rejected retry`,
// even though the offences endpoint has nothing new (304) to send again.
TEST(SourceHttpTest, RowsRejectedForAChildAnotherEndpointBringsAreTakenLater) {
  TempDir dir;
  HttpTestServer server([](const HttpTestRequest& request) {
    const bool conditional = request.header("If-None-Match").has_value();
    if (request.path() == "/offences.csv") {
      if (conditional) return response(304, "", {{"ETag", "\"o1\""}});
      return response(200, "offence_id,person_id,offence_date\nHF1,H1,2024-05-01\n",
                      {{"ETag", "\"o1\""}});
    }
    if (conditional) return response(304, "", {{"ETag", "\"p1\""}});
    return response(200, kPeople, {{"ETag", "\"p1\""}});
  });
  const auto db = dir / "cw.db";
  const auto config = writeConfig(
      dir / "cw.yaml", db,
      httpSourceYaml("cms-offences", server.url("/offences.csv"), "      interval_seconds: 300\n") +
          httpSourceYaml("cms-people", server.url("/people.csv"), "      interval_seconds: 300\n"));
  for (int run = 0; run < 3; ++run) {
    const auto result = runOnce(config);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  ASSERT_EQ(server.requestCount(), 6U);
  EXPECT_EQ(countRows(db, "people"), 3);
  EXPECT_EQ(countRows(db, "offences"), 1) << "the offence waits for a retry that never comes";
  EXPECT_EQ(queryNumber(db, "SELECT count(*) FROM rejected_rows WHERE resolved_at IS NULL"), 0);
}

}  // namespace
}  // namespace cohortwatch::integration
