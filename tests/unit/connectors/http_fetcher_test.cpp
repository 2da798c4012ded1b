// The HTTP source's fetcher against a real HTTP server on 127.0.0.1 (tests/support), and a real
// HTTPS one for what only TLS shows: the certificate trusted through ca_file, or not.
#include "connectors/http_fetcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>  // mkdtemp
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "connectors/backoff.h"
#include "tests/support/http_test_server.h"
#include "tests/support/https_test_server.h"

namespace cohortwatch::connectors {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using test_support::closedLocalPort;
using test_support::HttpTestRequest;
using test_support::HttpTestResponse;
using test_support::HttpTestServer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// 2025-03-10 12:00:00 UTC: the injected request time.
const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2025} / 3 / 10} + std::chrono::hours{12};
constexpr const char* kNowCursor = "2025-03-10T12:00:00Z";

std::string readAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeAll(const fs::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
}

std::vector<fs::path> filesIn(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  return files;
}

HttpTestResponse ok(std::string body, test_support::HttpHeaders headers = {}) {
  HttpTestResponse response;
  response.status = 200;
  response.headers = std::move(headers);
  response.headers.emplace_back("Content-Type", "text/csv");
  response.body = std::move(body);
  return response;
}

HttpTestResponse status(int code, std::string body = {}, test_support::HttpHeaders headers = {}) {
  HttpTestResponse response;
  response.status = code;
  response.headers = std::move(headers);
  response.body = std::move(body);
  return response;
}

class HttpFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cohortwatch-http-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    spool_ = root_ / "spool" / "exports";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  config::HttpSource settingsFor(const std::string& target) const {
    config::HttpSource settings;
    settings.url = server_.url(target);
    settings.connect_timeout_seconds = 5;
    settings.timeout_seconds = 30;
    return settings;
  }

  HttpFetcher fetcherFor(config::HttpSource settings) const {
    return {std::move(settings), spool_};
  }

  fs::path secretFile(const std::string& name, const std::string& content) const {
    fs::path file = root_ / name;
    writeAll(file, content);
    return file;
  }

  HttpTestServer server_;
  fs::path root_;
  fs::path spool_;
};

TEST_F(HttpFetcherTest, NewDataIsStreamedToAPrivateSpoolFile) {
  // A body far larger than curl's buffers, so that it arrives in many pieces.
  std::string body = "person_id,offence_date\n";
  for (int i = 0; i < 50000; ++i) body += "P" + std::to_string(100000 + i) + ",2025-01-15\n";
  server_.enqueue(
      ok(body, {{"ETag", "\"v1\""}, {"Last-Modified", "Mon, 10 Mar 2025 11:00:00 GMT"}}));
  HttpFetcher fetcher = fetcherFor(settingsFor("/export"));

  const FetchResult result = fetcher.fetch({}, kNow);

  ASSERT_EQ(result.outcome, FetchOutcome::kNewData) << result.error;
  EXPECT_EQ(result.http_status, 200);
  EXPECT_THAT(result.error, IsEmpty());
  EXPECT_EQ(result.body_file.parent_path(), spool_);
  EXPECT_EQ(readAll(result.body_file), body);
  EXPECT_EQ(fs::status(result.body_file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(spool_).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(result.next_state,
            (HttpSourceState{"\"v1\"", "Mon, 10 Mar 2025 11:00:00 GMT", kNowCursor}));

  ASSERT_EQ(server_.requestCount(), 1U);
  const HttpTestRequest request = server_.requests()[0];
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/export");  // no cursor yet: no since parameter
  EXPECT_EQ(request.header("Accept"), "text/csv");
  EXPECT_TRUE(std::regex_match(request.header("User-Agent").value_or(""),
                               std::regex(R"(cohortwatch/\d+\.\d+\.\d+)")))
      << request.header("User-Agent").value_or("(none)");
  EXPECT_FALSE(request.header("If-None-Match"));
  EXPECT_FALSE(request.header("If-Modified-Since"));
  EXPECT_FALSE(request.header("Authorization"));
}

TEST_F(HttpFetcherTest, NextRequestIsConditionalAndIncremental) {
  server_.enqueue(ok("person_id\nP1\n",
                     {{"ETag", "\"v1\""}, {"Last-Modified", "Mon, 10 Mar 2025 11:00:00 GMT"}}));
  server_.enqueue(status(304));
  HttpFetcher fetcher = fetcherFor(settingsFor("/export"));  // since, lookback 3600 s by default

  const FetchResult first = fetcher.fetch({}, kNow);
  ASSERT_EQ(first.outcome, FetchOutcome::kNewData) << first.error;
  const FetchResult second = fetcher.fetch(first.next_state, kNow + std::chrono::minutes{5});

  EXPECT_EQ(second.outcome, FetchOutcome::kNotModified) << second.error;
  EXPECT_EQ(second.http_status, 304);
  EXPECT_TRUE(second.body_file.empty());
  EXPECT_EQ(second.next_state, first.next_state);  // nothing to store
  ASSERT_EQ(server_.requestCount(), 2U);
  const HttpTestRequest request = server_.requests()[1];
  EXPECT_EQ(request.header("If-None-Match"), "\"v1\"");
  EXPECT_EQ(request.header("If-Modified-Since"), "Mon, 10 Mar 2025 11:00:00 GMT");
  // The cursor (12:00:00) minus the hour of lookback, percent-encoded.
  EXPECT_EQ(request.target, "/export?since=2025-03-10T11%3A00%3A00Z");
  // Only the kNewData body is left for the caller.
  EXPECT_EQ(filesIn(spool_), std::vector<fs::path>{first.body_file});
}

TEST_F(HttpFetcherTest, SinceParameterIsAppendedToAnExistingQuery) {
  server_.enqueue(ok("person_id\n"));
  config::HttpSource settings = settingsFor("/api/v2/offences?format=csv&team=north");
  settings.since_parameter = "modified after";
  settings.lookback_seconds = 90;
  HttpFetcher fetcher = fetcherFor(settings);

  const FetchResult result = fetcher.fetch({"", "", kNowCursor}, kNow);

  ASSERT_EQ(result.outcome, FetchOutcome::kNewData) << result.error;
  ASSERT_EQ(server_.requestCount(), 1U);
  EXPECT_EQ(server_.requests()[0].target,
            "/api/v2/offences?format=csv&team=north&modified%20after=2025-03-10T11%3A58%3A30Z");
}

TEST_F(HttpFetcherTest, SinceParameterAfterAnEmptyQueryOrBeforeAFragment) {
  server_.enqueue(ok("person_id\n"));
  server_.enqueue(ok("person_id\n"));
  HttpFetcher empty_query = fetcherFor(settingsFor("/export?"));
  HttpFetcher fragment = fetcherFor(settingsFor("/export#latest"));

  EXPECT_EQ(empty_query.fetch({"", "", kNowCursor}, kNow).outcome, FetchOutcome::kNewData);
  EXPECT_EQ(fragment.fetch({"", "", kNowCursor}, kNow).outcome, FetchOutcome::kNewData);

  ASSERT_EQ(server_.requestCount(), 2U);
  EXPECT_EQ(server_.requests()[0].target, "/export?since=2025-03-10T11%3A00%3A00Z");
  EXPECT_EQ(server_.requests()[1].target, "/export?since=2025-03-10T11%3A00%3A00Z");
}

TEST_F(HttpFetcherTest, NoSinceParameterWhenNotConfiguredOrCursorUnreadable) {
  server_.enqueue(ok("person_id\n"));
  server_.enqueue(ok("person_id\n"));
  config::HttpSource without = settingsFor("/export?all=1");
  without.since_parameter.clear();
  HttpFetcher plain = fetcherFor(without);
  HttpFetcher incremental = fetcherFor(settingsFor("/export?all=1"));

  EXPECT_EQ(plain.fetch({"", "", kNowCursor}, kNow).outcome, FetchOutcome::kNewData);
  // A damaged stored cursor means asking for everything again, not failing forever.
  EXPECT_EQ(incremental.fetch({"", "", "yesterday"}, kNow).outcome, FetchOutcome::kNewData);

  ASSERT_EQ(server_.requestCount(), 2U);
  EXPECT_EQ(server_.requests()[0].target, "/export?all=1");
  EXPECT_EQ(server_.requests()[1].target, "/export?all=1");
}

TEST_F(HttpFetcherTest, ServerErrorIsRetriedThenSucceeds) {
  server_.enqueue(status(500, "database unavailable"));
  server_.enqueue(ok("person_id\nP1\n", {{"ETag", "\"v2\""}}));
  HttpFetcher fetcher = fetcherFor(settingsFor("/export"));
  Backoff backoff(seconds{30}, seconds{3600}, 1);
  const HttpSourceState before{"\"v1\"", "", "2025-03-10T11:00:00Z"};

  const FetchResult failed = fetcher.fetch(before, kNow);
  EXPECT_EQ(failed.outcome, FetchOutcome::kRetryable);
  EXPECT_EQ(failed.http_status, 500);
  EXPECT_THAT(failed.error, HasSubstr("HTTP 500 from 127.0.0.1:"));
  EXPECT_THAT(failed.error, HasSubstr("database unavailable"));
  EXPECT_EQ(failed.next_state, before);  // the state does not advance on a failure
  EXPECT_THAT(filesIn(spool_), IsEmpty());
  const seconds wait = backoff.next(failed.retry_after);
  EXPECT_GE(wait, seconds{1});
  EXPECT_LE(wait, seconds{30});

  const FetchResult retried = fetcher.fetch(before, kNow + wait);
  ASSERT_EQ(retried.outcome, FetchOutcome::kNewData) << retried.error;
  EXPECT_EQ(readAll(retried.body_file), "person_id\nP1\n");
  EXPECT_EQ(retried.next_state.etag, "\"v2\"");
  EXPECT_EQ(server_.requestCount(), 2U);
}

TEST_F(HttpFetcherTest, RetryAfterIsReadFromTooManyRequestsAndUnavailable) {
  server_.enqueue(status(429, "slow down", {{"Retry-After", "7"}}));
  // An HTTP-date is taken relative to the request time: 90 s after kNow.
  server_.enqueue(status(503, "", {{"Retry-After", "Mon, 10 Mar 2025 12:01:30 GMT"}}));
  server_.enqueue(status(502));
  HttpFetcher fetcher = fetcherFor(settingsFor("/export"));

  const FetchResult limited = fetcher.fetch({}, kNow);
  EXPECT_EQ(limited.outcome, FetchOutcome::kRetryable);
  EXPECT_EQ(limited.http_status, 429);
  EXPECT_EQ(limited.retry_after, seconds{7});

  const FetchResult unavailable = fetcher.fetch({}, kNow);
  EXPECT_EQ(unavailable.outcome, FetchOutcome::kRetryable);
  EXPECT_EQ(unavailable.retry_after, seconds{90});

  const FetchResult bad_gateway = fetcher.fetch({}, kNow);
  EXPECT_EQ(bad_gateway.outcome, FetchOutcome::kRetryable);
  EXPECT_FALSE(bad_gateway.retry_after);

  Backoff backoff(seconds{1}, seconds{3600}, 1);
  EXPECT_EQ(backoff.next(limited.retry_after), seconds{7});
}

TEST_F(HttpFetcherTest, BearerTokenIsSentFromTheSecretFile) {
  server_.enqueue(ok("person_id\n"));
  server_.enqueue(ok("person_id\n"));
  const fs::path token = secretFile("token", "first-token\n");
  config::HttpSource settings = settingsFor("/export");
  settings.auth = config::HttpSource::Auth::kBearer;
  settings.token = config::SecretRef{config::SecretRef::Kind::kFile, token.string()};
  HttpFetcher fetcher = fetcherFor(settings);

  ASSERT_EQ(fetcher.fetch({}, kNow).outcome, FetchOutcome::kNewData);
  writeAll(token, "rotated-token\n");  // picked up without a restart
  ASSERT_EQ(fetcher.fetch({}, kNow).outcome, FetchOutcome::kNewData);

  ASSERT_EQ(server_.requestCount(), 2U);
  EXPECT_EQ(server_.requests()[0].header("Authorization"), "Bearer first-token");
  EXPECT_EQ(server_.requests()[1].header("Authorization"), "Bearer rotated-token");
}

TEST_F(HttpFetcherTest, BadTokenIsAPermanentFailureWithAClearMessage) {
  // The server echoes the token back; it must still not reach the error text.
  HttpTestServer echoing([](const HttpTestRequest& request) {
    return status(401, "invalid credentials: " + request.header("Authorization").value_or(""),
                  {{"WWW-Authenticate", "Bearer"}});
  });
  const fs::path token = secretFile("token", "s3cr3t-value\n");
  config::HttpSource settings;
  settings.url = echoing.url("/export");
  settings.auth = config::HttpSource::Auth::kBearer;
  settings.token = config::SecretRef{config::SecretRef::Kind::kFile, token.string()};
  HttpFetcher fetcher = fetcherFor(settings);

  const FetchResult result = fetcher.fetch({}, kNow);

  EXPECT_EQ(result.outcome, FetchOutcome::kPermanent);
  EXPECT_EQ(result.http_status, 401);
  EXPECT_THAT(result.error, StartsWith("authentication refused by 127.0.0.1:"));
  EXPECT_THAT(result.error, HasSubstr("check the token in the file " + token.string()));
  EXPECT_THAT(result.error, Not(HasSubstr("s3cr3t-value")));
  EXPECT_FALSE(result.retry_after);
  EXPECT_EQ(echoing.requestCount(), 1U);  // one request per fetch: no retry storm inside
  EXPECT_THAT(filesIn(spool_), IsEmpty());
}

TEST_F(HttpFetcherTest, ForbiddenIsPermanentToo) {
  server_.enqueue(status(403, "not allowed"));
  const FetchResult result = fetcherFor(settingsFor("/export")).fetch({}, kNow);
  EXPECT_EQ(result.outcome, FetchOutcome::kPermanent);
  EXPECT_THAT(result.error, HasSubstr("authentication refused"));
  EXPECT_THAT(result.error, HasSubstr("auth: none"));
}

TEST_F(HttpFetcherTest, BasicAuthIsSent) {
  server_.enqueue(ok("person_id\n"));
  config::HttpSource settings = settingsFor("/export");
  settings.auth = config::HttpSource::Auth::kBasic;
  settings.username = "yot";
  settings.password =
      config::SecretRef{config::SecretRef::Kind::kFile, secretFile("password", "pa:ss\n").string()};

  ASSERT_EQ(fetcherFor(settings).fetch({}, kNow).outcome, FetchOutcome::kNewData);

  ASSERT_EQ(server_.requestCount(), 1U);
  EXPECT_EQ(server_.requests()[0].header("Authorization"), "Basic eW90OnBhOnNz");  // yot:pa:ss
}

TEST_F(HttpFetcherTest, UnreadableSecretIsPermanentAndNamesTheFile) {
  config::HttpSource settings = settingsFor("/export");
  settings.auth = config::HttpSource::Auth::kBearer;
  const std::string missing = (root_ / "no-such-token").string();
  settings.token = config::SecretRef{config::SecretRef::Kind::kFile, missing};

  const FetchResult result = fetcherFor(settings).fetch({}, kNow);

  EXPECT_EQ(result.outcome, FetchOutcome::kPermanent);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_THAT(result.error, HasSubstr("cannot read the bearer token"));
  EXPECT_THAT(result.error, HasSubstr(missing));
  EXPECT_EQ(server_.requestCount(), 0U);
}

TEST_F(HttpFetcherTest, TokenWithALineBreakIsRefusedBeforeSending) {
  config::HttpSource settings = settingsFor("/export");
  settings.auth = config::HttpSource::Auth::kBearer;
  const fs::path token = secretFile("token", "tok3n-secret\nX-Injected: 1\n");
  settings.token = config::SecretRef{config::SecretRef::Kind::kFile, token.string()};

  const FetchResult result = fetcherFor(settings).fetch({}, kNow);

  EXPECT_EQ(result.outcome, FetchOutcome::kPermanent);
  EXPECT_THAT(result.error, HasSubstr(token.string()));
  EXPECT_THAT(result.error, Not(HasSubstr("tok3n-secret")));
  EXPECT_EQ(server_.requestCount(), 0U);
}

TEST_F(HttpFetcherTest, ClientErrorIsPermanentAndRedirectsAreNotFollowed) {
  server_.enqueue(status(404, "no such export"));
  server_.enqueue(status(301, "", {{"Location", "https://elsewhere.example/export?key=abc"}}));
  HttpFetcher fetcher = fetcherFor(settingsFor("/export"));

  const FetchResult missing = fetcher.fetch({}, kNow);
  EXPECT_EQ(missing.outcome, FetchOutcome::kPermanent);
  EXPECT_EQ(missing.error.find("HTTP 404 from 127.0.0.1:"), 0U) << missing.error;
  EXPECT_THAT(missing.error, HasSubstr("no such export"));

  const FetchResult moved = fetcher.fetch({}, kNow);
  EXPECT_EQ(moved.outcome, FetchOutcome::kPermanent);
  EXPECT_EQ(moved.http_status, 301);
  EXPECT_THAT(moved.error, HasSubstr("https://elsewhere.example/export"));
  EXPECT_THAT(moved.error, Not(HasSubstr("key=abc")));
  EXPECT_EQ(server_.requestCount(), 2U);
}

TEST_F(HttpFetcherTest, RequestTimeoutIsRetryable) {
  server_.enqueue(status(408));
  const FetchResult result = fetcherFor(settingsFor("/export")).fetch({}, kNow);
  EXPECT_EQ(result.outcome, FetchOutcome::kRetryable);
  EXPECT_EQ(result.http_status, 408);
}

TEST_F(HttpFetcherTest, NoContentMeansNothingToDo) {
  server_.enqueue(status(204));
  const HttpSourceState state{"", "", kNowCursor};
  const FetchResult result = fetcherFor(settingsFor("/export")).fetch(state, kNow);
  EXPECT_EQ(result.outcome, FetchOutcome::kNotModified);
  EXPECT_EQ(result.next_state, state);
  EXPECT_THAT(filesIn(spool_), IsEmpty());
}

TEST_F(HttpFetcherTest, LongErrorBodyIsTruncated) {
  server_.enqueue(status(500, std::string(10000, 'x') + "\nend"));
  const FetchResult result = fetcherFor(settingsFor("/export")).fetch({}, kNow);
  EXPECT_EQ(result.outcome, FetchOutcome::kRetryable);
  EXPECT_LT(result.error.size(), 400U);
  EXPECT_THAT(result.error, HasSubstr("xxx..."));
  EXPECT_EQ(result.error.find('\n'), std::string::npos);
}

TEST_F(HttpFetcherTest, ConnectionRefusedIsRetryableWithNoStatus) {
  config::HttpSource settings;
  settings.url = "http://127.0.0.1:" + std::to_string(closedLocalPort()) + "/export";
  settings.connect_timeout_seconds = 5;

  const FetchResult result = fetcherFor(settings).fetch({}, kNow);

  EXPECT_EQ(result.outcome, FetchOutcome::kRetryable);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_THAT(result.error, StartsWith("no response from 127.0.0.1:"));
  EXPECT_THAT(filesIn(spool_), IsEmpty());
}

TEST_F(HttpFetcherTest, TlsFailureIsRetryableWithNoStatus) {
  // https:// to a server that only speaks plain HTTP: the TLS handshake fails.
  config::HttpSource settings;
  settings.url = "https://127.0.0.1:" + std::to_string(server_.port()) + "/export";
  settings.connect_timeout_seconds = 5;
  settings.timeout_seconds = 10;

  const FetchResult result = fetcherFor(settings).fetch({}, kNow);

  EXPECT_EQ(result.outcome, FetchOutcome::kRetryable);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_THAT(result.error, StartsWith("no response from 127.0.0.1:"));
}

TEST_F(HttpFetcherTest, SlowServerTimesOutAndIsRetryable) {
  HttpTestResponse slow = ok("person_id\n");
  slow.delay = std::chrono::seconds{20};  // the server's destructor cuts this short
  server_.enqueue(slow);
  config::HttpSource settings = settingsFor("/export");
  settings.timeout_seconds = 1;

  const FetchResult result = fetcherFor(settings).fetch({}, kNow);

  EXPECT_EQ(result.outcome, FetchOutcome::kRetryable);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_THAT(result.error, HasSubstr("timed out"));
}

TEST_F(HttpFetcherTest, SpoolFolderThatCannotBeCreatedIsRetryable) {
  fs::create_directories(root_);
  writeAll(root_ / "blocked", "a file where the folder should be");
  server_.enqueue(ok("person_id\n"));
  HttpFetcher fetcher(settingsFor("/export"), root_ / "blocked" / "spool");

  const FetchResult result = fetcher.fetch({}, kNow);

  EXPECT_EQ(result.outcome, FetchOutcome::kRetryable);
  EXPECT_THAT(result.error, HasSubstr("spool folder"));
  EXPECT_EQ(server_.requestCount(), 0U);
}

// An endpoint whose certificate comes from a CA the system does not know (self-signed here).
class HttpsFetcherTest : public HttpFetcherTest {
 protected:
  static constexpr const char* kExport = "person_id,offence_date\nP100001,2025-01-15\n";

  config::HttpSource httpsSettings() const {
    config::HttpSource settings;
    settings.url = https_.url("/export");
    settings.connect_timeout_seconds = 5;
    settings.timeout_seconds = 30;
    return settings;
  }

  test_support::HttpsTestServer https_{kExport};
};

TEST_F(HttpsFetcherTest, CaFileMakesThePrivateCertificateTrusted) {
  config::HttpSource settings = httpsSettings();
  settings.ca_file = https_.caFile().string();

  const FetchResult result = fetcherFor(settings).fetch({}, kNow);

  ASSERT_EQ(result.outcome, FetchOutcome::kNewData) << result.error << "\n" << https_.log();
  EXPECT_EQ(result.http_status, 200);
  EXPECT_EQ(readAll(result.body_file), kExport);
}

TEST_F(HttpsFetcherTest, WithoutCaFileTheCertificateIsRefused) {
  const FetchResult result = fetcherFor(httpsSettings()).fetch({}, kNow);

  // As every TLS failure: no response, retried with backoff (the header's contract).
  EXPECT_EQ(result.outcome, FetchOutcome::kRetryable);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_THAT(result.error, StartsWith("no response from 127.0.0.1:"));
  EXPECT_THAT(result.error, HasSubstr("SSL certificate problem: self-signed certificate"));
  EXPECT_THAT(filesIn(spool_), IsEmpty());
}

TEST_F(HttpsFetcherTest, WithoutVerificationAnyCertificateIsTaken) {
  config::HttpSource settings = httpsSettings();
  settings.verify_tls = false;

  const FetchResult result = fetcherFor(settings).fetch({}, kNow);

  ASSERT_EQ(result.outcome, FetchOutcome::kNewData) << result.error << "\n" << https_.log();
  EXPECT_EQ(readAll(result.body_file), kExport);
}

TEST(HttpCursor, FormatsAndParsesIso8601Utc) {
  EXPECT_EQ(formatCursor(kNow + std::chrono::milliseconds{999}), kNowCursor);
  EXPECT_EQ(parseCursor(kNowCursor), kNow);
  const auto leap_day = std::chrono::sys_days{std::chrono::year{2024} / 2 / 29} +
                        std::chrono::hours{23} + std::chrono::minutes{59} + seconds{59};
  EXPECT_EQ(formatCursor(leap_day), "2024-02-29T23:59:59Z");
  EXPECT_EQ(parseCursor("2024-02-29T23:59:59Z"), leap_day);
}

TEST(HttpCursor, RejectsAnythingElse) {
  for (const char* text : {"", "2025-03-10", "2025-03-10 12:00:00Z", "2025-03-10T12:00:00",
                           "2025-02-29T00:00:00Z", "2025-03-10T24:00:00Z", "2025-03-10T12:60:00Z",
                           "2025-3-10T12:00:00ZZ", "2025-03-10T12:00:00+01:00"}) {
    EXPECT_FALSE(parseCursor(text)) << text;
  }
}

}  // namespace
}  // namespace cohortwatch::connectors
