// The sources: section: directory and http sources, their defaults, and every error kind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_loader.h"

namespace cohortwatch::config {
namespace {

using ::testing::HasSubstr;

std::string allErrors(const LoadResult& result) {
  std::string text;
  for (const auto& error : result.errors) text += error.toString() + "\n";
  return text;
}

TEST(SourcesConfigTest, DirectoryAndHttpSourcesWithDefaults) {
  const auto result = loadConfigString(R"(sources:
  - name: childview
    kind: directory
    directory:
      path: /srv/exports/childview
  - name: core-plus
    kind: http
    mapping: canonical
    http:
      url: https://example.org/export?format=csv
      auth: bearer
      token_file: /etc/cohortwatch/core.token
)",
                                       "c.yaml");
  ASSERT_TRUE(result.ok()) << allErrors(result);
  ASSERT_EQ(result.settings.sources.size(), 2u);
  const auto& dir = result.settings.sources[0];
  EXPECT_EQ(dir.kind, SourceSettings::Kind::kDirectory);
  EXPECT_EQ(dir.mapping, "canonical");
  EXPECT_EQ(dir.directory.path, "/srv/exports/childview");
  EXPECT_EQ(dir.directory.patterns, std::vector<std::string>{"*.csv"});
  EXPECT_EQ(dir.directory.completion, DirectorySource::Completion::kSettle);
  EXPECT_EQ(dir.directory.settle_seconds, 10);
  EXPECT_EQ(dir.directory.after_taking, DirectorySource::AfterTaking::kMove);
  const auto& http = result.settings.sources[1];
  EXPECT_EQ(http.kind, SourceSettings::Kind::kHttp);
  EXPECT_EQ(http.http.auth, HttpSource::Auth::kBearer);
  ASSERT_TRUE(http.http.token);
  EXPECT_EQ(http.http.token->kind, SecretRef::Kind::kFile);
  EXPECT_EQ(http.http.token->location, "/etc/cohortwatch/core.token");
  EXPECT_TRUE(http.http.verify_tls);
  EXPECT_EQ(http.http.since_parameter, "since");
}

TEST(SourcesConfigTest, EveryMistakeIsReportedWithLineAndKey) {
  const auto result = loadConfigString(R"(sources:
  - name: a
    kind: ftp
  - name: a
    kind: directory
    directory:
      completion: whenever
  - name: web
    kind: http
    http:
      url: ftp://example.org
      auth: bearer
      token: hunter2
)",
                                       "c.yaml");
  const std::string errors = allErrors(result);
  EXPECT_THAT(errors, HasSubstr("c.yaml:3:11: sources[0].kind: expected one of directory, http"));
  EXPECT_THAT(errors, HasSubstr("c.yaml:4:11: sources[1].name: duplicate source name \"a\" (first given on line 2)"));
  EXPECT_THAT(errors, HasSubstr("sources[1].directory: missing required key 'path'"));
  EXPECT_THAT(errors, HasSubstr("c.yaml:7:19: sources[1].directory.completion: expected one of settle, marker"));
  EXPECT_THAT(errors, HasSubstr("c.yaml:11:12: sources[2].http.url: expected an https://"));
  EXPECT_THAT(errors, HasSubstr("sources[2].http.token: secrets are never inline"));
  EXPECT_THAT(errors, ::testing::Not(HasSubstr("hunter2")));
}

TEST(SourcesConfigTest, KindNeedsItsSection) {
  const auto result = loadConfigString("sources:\n  - name: a\n    kind: directory\n", "c.yaml");
  EXPECT_THAT(allErrors(result), HasSubstr("missing required section 'directory'"));
  const auto basic = loadConfigString(
      "sources:\n  - name: b\n    kind: http\n    http:\n      url: https://x.example\n      auth: basic\n",
      "c.yaml");
  EXPECT_THAT(allErrors(basic), HasSubstr("auth: basic needs username"));
}

}  // namespace
}  // namespace cohortwatch::config
