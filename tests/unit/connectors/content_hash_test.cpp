// An export's identity: SHA-256 pinned to the FIPS 180-2 vectors, for text and for files (one
// longer than the reader's 64 KiB buffer, so the hash is carried across reads).
#include "connectors/content_hash.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace cohortwatch::connectors {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kTwoBlocks =
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr const char* kMillionA =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

TEST(ContentHash, TextMatchesFips180Vectors) {
  EXPECT_EQ(sha256OfText("abc"), kAbc);
  EXPECT_EQ(sha256OfText(""), kEmpty);
  EXPECT_EQ(sha256OfText(std::string_view()), kEmpty);
  EXPECT_EQ(sha256OfText("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), kTwoBlocks);
  EXPECT_EQ(sha256OfText(std::string(1'000'000, 'a')), kMillionA);
}

class ContentHashFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cw-hash-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content) {
    const fs::path file = dir_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

  fs::path dir_;
};

TEST_F(ContentHashFileTest, FileMatchesFips180Vectors) {
  std::string error;
  EXPECT_EQ(sha256OfFile(write("abc.csv", "abc"), error), kAbc);
  EXPECT_EQ(sha256OfFile(write("empty.csv", ""), error), kEmpty);
  EXPECT_EQ(sha256OfFile(write("million.csv", std::string(1'000'000, 'a')), error), kMillionA);
  EXPECT_EQ(error, "");
}

TEST_F(ContentHashFileTest, UnreadableFileNamesItself) {
  std::string error;
  EXPECT_EQ(sha256OfFile(dir_ / "missing.csv", error), std::nullopt);
  EXPECT_NE(error.find("missing.csv"), std::string::npos);
}

}  // namespace
}  // namespace cohortwatch::connectors
