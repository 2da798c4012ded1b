// The admin: section: the admin HTTP server's defaults, good values, and the mistakes a user
// makes (a port out of range, a host name for the address, the token written inline).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_loader.h"

namespace cohortwatch::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string allErrors(const LoadResult& result) {
  std::string text;
  for (const auto& error : result.errors) text += error.toString() + "\n";
  return text;
}

TEST(AdminConfigTest, AbsentSectionGivesLoopbackDefaultsWithoutToken) {
  const auto result = loadConfigString("database:\n  path: /tmp/x.db\n", "c.yaml");
  ASSERT_TRUE(result.ok()) << allErrors(result);
  const AdminSettings& admin = result.settings.admin;
  EXPECT_TRUE(admin.enabled);
  EXPECT_EQ(admin.address, "127.0.0.1");
  EXPECT_EQ(admin.port, 9464);
  EXPECT_FALSE(admin.token);
}

TEST(AdminConfigTest, EmptySectionGivesDefaults) {
  const auto result = loadConfigString("admin:\n", "c.yaml");
  ASSERT_TRUE(result.ok()) << allErrors(result);
  EXPECT_EQ(result.settings.admin.port, 9464);
}

TEST(AdminConfigTest, GoodValuesWithTokenFile) {
  const auto result = loadConfigString(R"(admin:
  enabled: false
  address: "::1"
  port: 0
  token_file: /etc/cohortwatch/admin.token
)",
                                       "c.yaml");
  ASSERT_TRUE(result.ok()) << allErrors(result);
  const AdminSettings& admin = result.settings.admin;
  EXPECT_FALSE(admin.enabled);
  EXPECT_EQ(admin.address, "::1");
  EXPECT_EQ(admin.port, 0);
  ASSERT_TRUE(admin.token);
  EXPECT_EQ(admin.token->kind, SecretRef::Kind::kFile);
  EXPECT_EQ(admin.token->location, "/etc/cohortwatch/admin.token");
}

TEST(AdminConfigTest, TokenFromTheEnvironment) {
  const auto result = loadConfigString(
      "admin:\n  address: 0.0.0.0\n  port: 65535\n  token: env:CW_ADMIN\n", "c.yaml");
  ASSERT_TRUE(result.ok()) << allErrors(result);
  ASSERT_TRUE(result.settings.admin.token);
  EXPECT_EQ(result.settings.admin.token->kind, SecretRef::Kind::kEnv);
  EXPECT_EQ(result.settings.admin.token->location, "CW_ADMIN");
  EXPECT_EQ(result.settings.admin.port, 65535);
}

TEST(AdminConfigTest, PortOutOfRangeIsAnErrorAtItsLine) {
  const auto high = loadConfigString("admin:\n  port: 65536\n", "c.yaml");
  EXPECT_THAT(allErrors(high),
              HasSubstr("c.yaml:2:9: admin.port: expected an integer from 0 to 65535"));
  const auto negative = loadConfigString("admin:\n  port: -1\n", "c.yaml");
  EXPECT_THAT(allErrors(negative), HasSubstr("admin.port: expected an integer from 0 to 65535"));
  const auto text = loadConfigString("admin:\n  port: http\n", "c.yaml");
  EXPECT_THAT(allErrors(text), HasSubstr("admin.port: expected an integer"));
}

TEST(AdminConfigTest, InlineTokenIsRefusedWithoutRepeatingIt) {
  const auto result = loadConfigString("admin:\n  token: s3cret-admin-token\n", "c.yaml");
  ASSERT_EQ(result.errors.size(), 1u) << allErrors(result);
  EXPECT_THAT(allErrors(result), HasSubstr("c.yaml:2:10: admin.token: secrets are never inline"));
  EXPECT_THAT(allErrors(result), Not(HasSubstr("s3cret")));
}

TEST(AdminConfigTest, TokenFileAndTokenTogetherAreRefused) {
  const auto result = loadConfigString(
      "admin:\n  token_file: /etc/cohortwatch/admin.token\n  token: env:CW_ADMIN\n", "c.yaml");
  EXPECT_THAT(allErrors(result), HasSubstr("not both"));
}

TEST(AdminConfigTest, AddressMustBeAnIpAddress) {
  const auto result = loadConfigString("admin:\n  address: localhost\n", "c.yaml");
  EXPECT_THAT(allErrors(result),
              HasSubstr("c.yaml:2:12: admin.address: expected an IP address like 127.0.0.1 or "
                        "::1, got \"localhost\""));
}

TEST(AdminConfigTest, UnknownKeyAndWrongTypesAreAllReported) {
  const auto result = loadConfigString("admin:\n  enabled: maybe\n  bind: 127.0.0.1\n", "c.yaml");
  const std::string errors = allErrors(result);
  EXPECT_EQ(result.errors.size(), 2u) << errors;
  EXPECT_THAT(errors, HasSubstr("admin.enabled"));
  EXPECT_THAT(errors, HasSubstr("admin.bind"));
}

}  // namespace
}  // namespace cohortwatch::config
