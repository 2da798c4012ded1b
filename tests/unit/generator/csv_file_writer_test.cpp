// The generator's CSV writer: RFC 4180 quoting only where needed, canonical date and id formats,
// and I/O failures reported with the file's path.
#include "generator/csv_file_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace cohortwatch::generator {
namespace {

namespace fs = std::filesystem;

fs::path scratchFile(const std::string& name) {
  return fs::temp_directory_path() /
         ("cohortwatch-csv-" + name + "-" + std::to_string(::getpid()) + ".csv");
}

std::string readBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(CsvFileWriterTest, QuotesOnlyValuesThatNeedIt) {
  const fs::path path = scratchFile("quoting");
  {
    CsvFileWriter writer(path);
    writer.field("O'Brien");
    writer.field("Zoë");
    writer.field("Criminal damage, value under £5,000");
    writer.field("Alexander \"Alex\"");
    writer.field("two\nlines");
    writer.field("carriage\rreturn");
    writer.emptyField();
    writer.endRow();
    writer.close();
  }
  EXPECT_EQ(readBytes(path),
            "O'Brien,Zoë,\"Criminal damage, value under £5,000\",\"Alexander \"\"Alex\"\"\","
            "\"two\nlines\",\"carriage\rreturn\",\n");
  fs::remove(path);
}

TEST(CsvFileWriterTest, WritesDatesTimesIdsAndNumbersCanonically) {
  const fs::path path = scratchFile("formats");
  {
    CsvFileWriter writer(path);
    writer.dateField(*tracking::Date::parse("2024-02-29"));
    writer.dateTimeField(*tracking::Date::parse("2025-03-04"), 10 * 60 + 15);
    writer.idField("P", 42);
    writer.idField("O", 123'456'789);
    writer.integerField(-7);
    writer.integerField(0);
    writer.endRow();
    writer.close();
  }
  EXPECT_EQ(readBytes(path), "2024-02-29,2025-03-04T10:15:00Z,P0000042,O123456789,-7,0\n");
  fs::remove(path);
}

TEST(CsvFileWriterTest, FlushesLargeOutputCompletely) {
  const fs::path path = scratchFile("large");
  constexpr int kRows = 300'000;  // well over one 4 MiB buffer
  {
    CsvFileWriter writer(path);
    for (int i = 0; i < kRows; ++i) {
      writer.idField("P", static_cast<std::uint64_t>(i));
      writer.field("some text to fill the buffer");
      writer.endRow();
    }
    writer.close();
  }
  const std::string bytes = readBytes(path);
  EXPECT_EQ(bytes.size(), static_cast<std::size_t>(kRows) * 38);
  EXPECT_EQ(bytes.substr(bytes.size() - 38), "P0299999,some text to fill the buffer\n");
  fs::remove(path);
}

TEST(CsvFileWriterTest, NamesThePathWhenTheFileCannotBeOpened) {
  const fs::path path = fs::temp_directory_path() / "cohortwatch-no-such-dir" / "people.csv";
  try {
    CsvFileWriter writer(path);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr(path.string()));
  }
}

}  // namespace
}  // namespace cohortwatch::generator
