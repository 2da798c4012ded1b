// The directory source: which files are complete, and where taken and unreadable files go.
#include "connectors/directory_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "connectors/content_hash.h"

namespace cohortwatch::connectors {
namespace {

namespace fs = std::filesystem;

class DirectorySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cw-dir-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    settings_.path = dir_.string();
    settings_.settle_seconds = 5;
    settings_.watch = false;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content, int age_seconds = 60) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << content;
    fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::seconds(age_seconds));
    return path;
  }

  static std::vector<std::string> names(const std::vector<ExportFile>& files) {
    std::vector<std::string> out;
    for (const auto& file : files) out.push_back(file.name);
    return out;
  }

  fs::path dir_;
  config::DirectorySource settings_;
};

TEST_F(DirectorySourceTest, SettledFilesMatchingThePatternsAreCompleteOldestFirst) {
  write("b.csv", "x", 100);
  write("a.csv", "x", 200);
  write("fresh.csv", "x", 1);       // written a second ago: not settled
  write("notes.txt", "x", 100);     // not a pattern
  write(".hidden.csv", "x", 100);   // temporary files of copy tools
  fs::create_directories(dir_ / "sub.csv");
  DirectorySource source(settings_);
  EXPECT_EQ(names(source.completeFiles()), (std::vector<std::string>{"a.csv", "b.csv"}));
}

TEST_F(DirectorySourceTest, AFileThatChangedSinceTheLastScanIsLeftForLater) {
  DirectorySource source(settings_);
  write("growing.csv", "part one\n", 100);
  ASSERT_EQ(source.completeFiles().size(), 1u);  // first sight, old enough
  // It grows (as a slow copy would), keeping an old mtime: not complete until unchanged again.
  std::ofstream(dir_ / "growing.csv", std::ios::app) << "part two\n";
  fs::last_write_time(dir_ / "growing.csv", fs::file_time_type::clock::now() - std::chrono::seconds(100));
  EXPECT_TRUE(source.completeFiles().empty());
  EXPECT_EQ(source.completeFiles().size(), 1u);
}

TEST_F(DirectorySourceTest, MarkerModeWaitsForTheDoneFile) {
  settings_.completion = config::DirectorySource::Completion::kMarker;
  DirectorySource source(settings_);
  write("export.csv", "x", 100);
  EXPECT_TRUE(source.completeFiles().empty());
  write("export.csv.done", "", 0);
  EXPECT_EQ(names(source.completeFiles()), std::vector<std::string>{"export.csv"});
}

TEST_F(DirectorySourceTest, TakenFileAndMarkerMoveToProcessedWithoutOverwriting) {
  settings_.completion = config::DirectorySource::Completion::kMarker;
  DirectorySource source(settings_);
  write("export.csv", "first", 100);
  write("export.csv.done", "");
  source.markTaken(source.completeFiles().at(0));
  EXPECT_TRUE(fs::exists(dir_ / "processed/export.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "processed/export.csv.done"));
  EXPECT_FALSE(fs::exists(dir_ / "export.csv"));

  write("export.csv", "second", 100);
  write("export.csv.done", "");
  source.markTaken(source.completeFiles().at(0));
  std::ifstream second(dir_ / "processed/export.csv.1");
  std::string content((std::istreambuf_iterator<char>(second)), {});
  EXPECT_EQ(content, "second");
  EXPECT_TRUE(source.completeFiles().empty());  // processed/ is not scanned
}

TEST_F(DirectorySourceTest, KeepModeLeavesTheFileInPlace) {
  settings_.after_taking = config::DirectorySource::AfterTaking::kKeep;
  DirectorySource source(settings_);
  write("export.csv", "x", 100);
  source.markTaken(source.completeFiles().at(0));
  EXPECT_TRUE(fs::exists(dir_ / "export.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "processed"));
  EXPECT_TRUE(source.completeFiles().empty());  // not offered again while unchanged
  write("export.csv", "changed", 100);
  EXPECT_EQ(source.completeFiles().size(), 1u);
}

TEST_F(DirectorySourceTest, UnreadableFileGoesToRejectedWithTheReason) {
  DirectorySource source(settings_);
  write("bad.csv", "x", 100);
  source.markRejected(source.completeFiles().at(0), "missing required column(s): person_id");
  EXPECT_TRUE(fs::exists(dir_ / "rejected/bad.csv"));
  std::ifstream note(dir_ / "rejected/bad.csv.error.txt");
  std::string content((std::istreambuf_iterator<char>(note)), {});
  EXPECT_NE(content.find("missing required column(s): person_id"), std::string::npos);
  EXPECT_TRUE(source.completeFiles().empty());
}

TEST_F(DirectorySourceTest, InotifySignalsANewFile) {
  settings_.watch = true;
  DirectorySource source(settings_);
  ASSERT_GE(source.watchDescriptor(), 0);
  std::array<char, 4096> buffer{};
  EXPECT_EQ(::read(source.watchDescriptor(), buffer.data(), buffer.size()), -1);  // nothing yet
  write("new.csv", "x");
  EXPECT_GT(::read(source.watchDescriptor(), buffer.data(), buffer.size()), 0);
  source.drainEvents();
}

TEST(ContentHashTest, Sha256OfKnownText) {
  EXPECT_EQ(sha256OfText("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string error;
  EXPECT_FALSE(sha256OfFile("/nonexistent/file.csv", error));
  EXPECT_NE(error.find("/nonexistent/file.csv"), std::string::npos);
}

}  // namespace
}  // namespace cohortwatch::connectors
