// The sources: section: directory and http sources, their defaults, and every error kind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>  // mkdtemp
#include <filesystem>
#include <fstream>
#include <string>

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
  EXPECT_EQ(http.http.ca_file, "");  // the system's CAs
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

// An http source on an endpoint whose certificate comes from an internal CA; its bundle is
// checked when the configuration is read.
class HttpSourceCaFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cohortwatch-ca-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(folder_, ignored);
  }

  static LoadResult load(const std::string& ca_file) {
    return loadConfigString(R"(sources:
  - name: cms
    kind: http
    http:
      url: https://cms.internal.example/export
      ca_file: )" + ca_file + "\n",
                            "c.yaml");
  }

  std::filesystem::path folder_;
};

TEST_F(HttpSourceCaFileTest, ReadableBundleIsKept) {
  const std::filesystem::path bundle = folder_ / "cms-ca.pem";
  std::ofstream(bundle) << "-----BEGIN CERTIFICATE-----\n";

  const auto result = load(bundle.string());

  ASSERT_TRUE(result.ok()) << allErrors(result);
  ASSERT_EQ(result.settings.sources.size(), 1u);
  EXPECT_EQ(result.settings.sources[0].http.ca_file, bundle.string());
  EXPECT_TRUE(result.settings.sources[0].http.verify_tls);
}

TEST_F(HttpSourceCaFileTest, MissingBundleIsAnErrorNamingTheKey) {
  const std::string missing = (folder_ / "no-such-ca.pem").string();

  const auto result = load(missing);

  ASSERT_FALSE(result.ok());
  EXPECT_THAT(allErrors(result), HasSubstr("c.yaml:6:16: sources[0].http.ca_file: cannot read " +
                                           missing + ": no such file"));
}

TEST_F(HttpSourceCaFileTest, FolderIsNotABundle) {
  const auto result = load(folder_.string());

  EXPECT_THAT(allErrors(result), HasSubstr("sources[0].http.ca_file: cannot read " +
                                           folder_.string() + ": not a file"));
}

}  // namespace
}  // namespace cohortwatch::config
