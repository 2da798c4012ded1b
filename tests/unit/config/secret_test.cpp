// Tests of secrets: how the configuration refers to them (a file or an environment variable,
// never inline) and how they are resolved, including that no error message ever shows a secret.
#include "config/secret.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/yaml_reader.h"

namespace cohortwatch::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---- referring to a secret in the configuration

struct SecretRead {
  std::optional<SecretRef> ref;
  std::vector<ConfigError> errors;
};

// Reads the secret `password` of the map `smtp` in `yaml`, as a channel section would.
SecretRead readPassword(const std::string& yaml) {
  Reader reader("test.yaml");
  const YAML::Node document = YAML::Load(yaml);
  MapReader top = reader.map(Value(document, ""), {"smtp"});
  MapReader smtp = reader.map(top.get("smtp"), {"host", "password", "password_file"});
  SecretRead read;
  read.ref = smtp.secret("password");
  read.errors = reader.takeErrors();
  return read;
}

TEST(SecretReference, FileGivenWithBaseFile) {
  const SecretRead read = readPassword("smtp:\n  password_file: /etc/cohortwatch/smtp.pw\n");
  ASSERT_TRUE(read.errors.empty());
  ASSERT_TRUE(read.ref.has_value());
  EXPECT_EQ(read.ref->kind, SecretRef::Kind::kFile);
  EXPECT_EQ(read.ref->location, "/etc/cohortwatch/smtp.pw");
}

TEST(SecretReference, EnvironmentVariableGivenWithEnvPrefix) {
  const SecretRead read = readPassword("smtp:\n  password: env:SMTP_PASSWORD_2\n");
  ASSERT_TRUE(read.errors.empty());
  ASSERT_TRUE(read.ref.has_value());
  EXPECT_EQ(read.ref->kind, SecretRef::Kind::kEnv);
  EXPECT_EQ(read.ref->location, "SMTP_PASSWORD_2");
}

TEST(SecretReference, NeitherKeyIsNoSecretAndNoError) {
  const SecretRead read = readPassword("smtp:\n  host: mail.example.org\n");
  EXPECT_TRUE(read.errors.empty());
  EXPECT_FALSE(read.ref.has_value());
}

TEST(SecretReference, InlineSecretIsAnErrorThatDoesNotRepeatIt) {
  const SecretRead read = readPassword("smtp:\n  host: mail.example.org\n  password: hunter2\n");
  EXPECT_FALSE(read.ref.has_value());
  ASSERT_EQ(read.errors.size(), 1u);
  const ConfigError& error = read.errors.front();
  EXPECT_EQ(error.toString(),
            "test.yaml:3:13: smtp.password: secrets are never inline: use password_file: FILE or "
            "password: env:NAME");
  EXPECT_THAT(error.toString(), Not(HasSubstr("hunter2")));
}

TEST(SecretReference, BothKeysIsAnError) {
  const SecretRead read =
      readPassword("smtp:\n  password_file: /run/pw\n  password: env:SMTP_PASSWORD\n");
  EXPECT_FALSE(read.ref.has_value());
  ASSERT_EQ(read.errors.size(), 1u);
  EXPECT_EQ(read.errors.front().line, 3);
  EXPECT_EQ(read.errors.front().column, 13);
  EXPECT_EQ(read.errors.front().key_path, "smtp.password");
  EXPECT_EQ(read.errors.front().message,
            "give either password_file: FILE or password: env:NAME, not both");
}

TEST(SecretReference, BadVariableNameIsAnErrorThatDoesNotRepeatIt) {
  for (const std::string value : {"env:", "env:1ST", "env:SMTP-PASSWORD", "env: SMTP"}) {
    SCOPED_TRACE(value);
    const SecretRead read = readPassword("smtp:\n  password: \"" + value + "\"\n");
    EXPECT_FALSE(read.ref.has_value());
    ASSERT_EQ(read.errors.size(), 1u);
    EXPECT_EQ(read.errors.front().line, 2);
    EXPECT_EQ(read.errors.front().key_path, "smtp.password");
    EXPECT_THAT(read.errors.front().message, HasSubstr("expected env:NAME"));
    if (value != "env:") {
      EXPECT_THAT(read.errors.front().toString(), Not(HasSubstr(value)));
    }
  }
}

TEST(SecretReference, NonScalarSecretIsAnError) {
  const SecretRead read = readPassword("smtp:\n  password: [hunter2]\n");
  EXPECT_FALSE(read.ref.has_value());
  ASSERT_EQ(read.errors.size(), 1u);
  EXPECT_EQ(read.errors.front().key_path, "smtp.password");
  EXPECT_THAT(read.errors.front().message, HasSubstr("got a list"));
  EXPECT_THAT(read.errors.front().toString(), Not(HasSubstr("hunter2")));
}

TEST(SecretReference, EmptySecretFileNameIsAnError) {
  const SecretRead read = readPassword("smtp:\n  password_file:\n");
  EXPECT_FALSE(read.ref.has_value());
  ASSERT_EQ(read.errors.size(), 1u);
  EXPECT_EQ(read.errors.front().toString(),
            "test.yaml:2:3: smtp.password_file: expected a non-empty string, got an empty value");
}

// ---- resolving a secret

class SecretFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "cw-secret-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& contents) const {
    const std::filesystem::path path = dir_ / "secret";
    std::ofstream(path, std::ios::binary) << contents;
    return path.string();
  }

  static SecretValue resolveFile(const std::string& path) {
    return resolveSecret(SecretRef{SecretRef::Kind::kFile, path});
  }

  std::filesystem::path dir_;
};

TEST_F(SecretFile, OneTrailingNewlineIsStripped) {
  EXPECT_EQ(resolveFile(write("s3cret\n")).value, "s3cret");
  EXPECT_EQ(resolveFile(write("s3cret\r\n")).value, "s3cret");
  EXPECT_EQ(resolveFile(write("s3cret")).value, "s3cret");
  EXPECT_EQ(resolveFile(write("s3cret\n\n")).value, "s3cret\n");
  EXPECT_EQ(resolveFile(write(" pass word \n")).value, " pass word ");
  EXPECT_TRUE(resolveFile(write("s3cret\n")).error.empty());
}

TEST_F(SecretFile, MissingFileNamesTheFile) {
  const std::string path = (dir_ / "absent").string();
  const SecretValue secret = resolveFile(path);
  EXPECT_FALSE(secret.value.has_value());
  EXPECT_EQ(secret.error, "cannot read secret file " + path + ": No such file or directory");
}

TEST_F(SecretFile, DirectoryIsUnreadable) {
  const SecretValue secret = resolveFile(dir_.string());
  EXPECT_FALSE(secret.value.has_value());
  EXPECT_EQ(secret.error, "cannot read secret file " + dir_.string() + ": Is a directory");
}

TEST_F(SecretFile, UnreadableFileNamesTheFileNotTheSecret) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  const std::string path = write("s3cret\n");
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  const SecretValue secret = resolveFile(path);
  EXPECT_FALSE(secret.value.has_value());
  EXPECT_EQ(secret.error, "cannot read secret file " + path + ": Permission denied");
}

TEST_F(SecretFile, EmptyFileIsAnError) {
  for (const std::string contents : {"", "\n", "\r\n"}) {
    const std::string path = write(contents);
    const SecretValue secret = resolveFile(path);
    EXPECT_FALSE(secret.value.has_value());
    EXPECT_EQ(secret.error, "secret file " + path + " is empty");
  }
}

TEST(SecretEnv, ValueOfTheVariable) {
  ASSERT_EQ(::setenv("COHORTWATCH_TEST_SECRET", "t0ken with spaces\n", 1), 0);
  const SecretValue secret =
      resolveSecret(SecretRef{SecretRef::Kind::kEnv, "COHORTWATCH_TEST_SECRET"});
  ::unsetenv("COHORTWATCH_TEST_SECRET");
  EXPECT_EQ(secret.value, "t0ken with spaces\n");
  EXPECT_TRUE(secret.error.empty());
}

TEST(SecretEnv, UnsetVariableNamesIt) {
  ::unsetenv("COHORTWATCH_TEST_UNSET");
  const SecretValue secret =
      resolveSecret(SecretRef{SecretRef::Kind::kEnv, "COHORTWATCH_TEST_UNSET"});
  EXPECT_FALSE(secret.value.has_value());
  EXPECT_EQ(secret.error, "environment variable COHORTWATCH_TEST_UNSET is not set");
}

TEST(SecretEnv, EmptyVariableIsAnError) {
  ASSERT_EQ(::setenv("COHORTWATCH_TEST_EMPTY", "", 1), 0);
  const SecretValue secret =
      resolveSecret(SecretRef{SecretRef::Kind::kEnv, "COHORTWATCH_TEST_EMPTY"});
  ::unsetenv("COHORTWATCH_TEST_EMPTY");
  EXPECT_FALSE(secret.value.has_value());
  EXPECT_EQ(secret.error, "environment variable COHORTWATCH_TEST_EMPTY is empty");
}

TEST(SecretEnv, EmptyLocationIsAnError) {
  EXPECT_FALSE(resolveSecret(SecretRef{SecretRef::Kind::kEnv, ""}).value.has_value());
  EXPECT_FALSE(resolveSecret(SecretRef{SecretRef::Kind::kFile, ""}).value.has_value());
  EXPECT_FALSE(resolveSecret(SecretRef{SecretRef::Kind::kFile, ""}).error.empty());
}

// ---- the walker's building blocks

TEST(YamlReader, ClosestMatchWithinTwoEdits) {
  const std::vector<std::string_view> known = {"path", "busy_timeout_ms"};
  EXPECT_EQ(closestMatch("pth", known), "path");
  EXPECT_EQ(closestMatch("busy_timout_m", known), "busy_timeout_ms");
  EXPECT_EQ(closestMatch("location", known), std::nullopt);
  EXPECT_EQ(closestMatch("x", std::vector<std::string_view>{"id"}), std::nullopt);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
}

TEST(YamlReader, ItemsOfAListHaveIndexedPaths) {
  Reader reader("t.yaml");
  const YAML::Node document = YAML::Load("recipients: [a@example.org, b@example.org]\n");
  MapReader top = reader.map(Value(document, ""), {"recipients"});
  std::vector<std::string> paths;
  for (const Value& item : reader.items(top.get("recipients"))) {
    paths.push_back(item.path + "=" + reader.string(item).value_or("?"));
  }
  EXPECT_THAT(paths,
              ::testing::ElementsAre("recipients[0]=a@example.org", "recipients[1]=b@example.org"));
  EXPECT_FALSE(reader.hasErrors());
}

}  // namespace
}  // namespace cohortwatch::config
