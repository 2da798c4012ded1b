// The example export layouts written by `generate --layout`, read back through the shipped example
// mapping profiles (config/mappings/*.yaml, loaded as a configuration would load them): the
// canonical records must be exactly the canonical layout's rows for the same seed, and the invalid
// rows must stay invalid once mapped.
#include "generator/export_layouts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "connectors/canonical_import.h"
#include "connectors/export_mapping.h"
#include "connectors/text_encoding.h"
#include "generator/csv_file_writer.h"
#include "generator/synthetic_cohort.h"
#include "tracking/store.h"

namespace cohortwatch::generator {
namespace {

namespace fs = std::filesystem;
using connectors::ExportReader;
using connectors::RecordKind;

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("cw-layouts-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

GeneratorSummary generateIn(const fs::path& dir, ExportLayout layout, double dirty_rate = 0.0) {
  GeneratorOptions options;
  options.out_dir = dir.string();
  options.children = 400;
  options.from = *tracking::Date::parse("2022-01-01");
  options.to = *tracking::Date::parse("2025-06-30");
  options.seed = 2026;
  options.dirty_rate = dirty_rate;
  options.layout = layout;
  return generateCohortFiles(options);
}

// The shipped profile, loaded through a configuration file that names it, as a user would.
config::MappingProfile shippedProfile(const std::string& name) {
  const std::string yaml = "mappings:\n  " + name +
                           ":\n    file: " + std::string(COHORTWATCH_SOURCE_DIR) +
                           "/config/mappings/" + name + ".yaml\n";
  const config::LoadResult result = config::loadConfigString(yaml, "test.yaml");
  for (const auto& error : result.errors) ADD_FAILURE() << error.toString();
  return result.settings.mappings.at(name);
}

using Record = std::pair<RecordKind, std::vector<std::string>>;

struct Mapped {
  std::vector<Record> records;  // in file order, every kind
  std::vector<std::string> row_errors;
  std::size_t rows = 0;
};

// Every record of every file in `dir`, through `profile` (nullptr: canonical). Each record is
// checked to carry every canonical column of its kind.
Mapped mapFolder(const fs::path& dir, const config::MappingProfile* profile) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  Mapped mapped;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    ExportReader reader(in, file.filename().string(), profile);
    EXPECT_EQ(reader.error(), "") << file;
    for (RecordKind kind : reader.kinds()) {
      EXPECT_EQ(reader.providedColumns(kind), connectors::canonicalColumns(kind)) << file;
    }
    connectors::MappedRow row;
    while (reader.next(row)) {
      ++mapped.rows;
      if (!row.error.empty()) {
        mapped.row_errors.push_back(file.filename().string() + ":" + std::to_string(row.line) +
                                    ": " + row.error);
      }
      for (auto& record : row.records) mapped.records.emplace_back(record.kind, record.fields);
    }
  }
  return mapped;
}

std::set<Record> distinct(const std::vector<Record>& records) {
  return {records.begin(), records.end()};
}

// What a windows-1252 export can hold of a canonical value (Ł becomes ?).
std::set<Record> throughWindows1252(const std::set<Record>& records) {
  std::set<Record> converted;
  for (auto [kind, fields] : records) {
    for (auto& field : fields) {
      field = connectors::windows1252ToUtf8(connectors::utf8ToWindows1252(field));
    }
    converted.emplace(kind, std::move(fields));
  }
  return converted;
}

std::size_t countKind(const std::set<Record>& records, RecordKind kind) {
  return static_cast<std::size_t>(std::count_if(
      records.begin(), records.end(), [&](const Record& record) { return record.first == kind; }));
}

class ExportLayoutsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    canonical_dir_ = new TempDir("canonical");
    summary_ = generateIn(canonical_dir_->path(), ExportLayout::kCanonical);
    const Mapped mapped = mapFolder(canonical_dir_->path(), nullptr);
    EXPECT_THAT(mapped.row_errors, ::testing::IsEmpty());
    canonical_ = new std::set<Record>(distinct(mapped.records));
  }
  static void TearDownTestSuite() {
    delete canonical_;
    delete canonical_dir_;
  }

  static TempDir* canonical_dir_;
  static GeneratorSummary summary_;
  static std::set<Record>* canonical_;
};

TempDir* ExportLayoutsTest::canonical_dir_ = nullptr;
GeneratorSummary ExportLayoutsTest::summary_;
std::set<Record>* ExportLayoutsTest::canonical_ = nullptr;

TEST_F(ExportLayoutsTest, CanonicalLayoutHasEveryGeneratedRecord) {
  EXPECT_EQ(countKind(*canonical_, RecordKind::kPeople), static_cast<std::size_t>(summary_.people));
  EXPECT_EQ(countKind(*canonical_, RecordKind::kOffences),
            static_cast<std::size_t>(summary_.offences));
  EXPECT_EQ(countKind(*canonical_, RecordKind::kOutcomes),
            static_cast<std::size_t>(summary_.outcomes));
  // The data set exercises what the layouts must carry.
  auto hasValue = [&](std::string_view text) {
    return std::any_of(canonical_->begin(), canonical_->end(), [&](const Record& record) {
      return std::find(record.second.begin(), record.second.end(), text) != record.second.end();
    });
  };
  EXPECT_TRUE(hasValue("release_from_custody"));
  EXPECT_TRUE(hasValue("Criminal damage, value under £5,000"));
  EXPECT_TRUE(hasValue("Łukasz"));
}

TEST_F(ExportLayoutsTest, ChildviewStyleExportMapsBackToTheCanonicalRows) {
  TempDir dir("childview");
  const GeneratorSummary summary = generateIn(dir.path(), ExportLayout::kChildviewStyleExample);
  EXPECT_EQ(summary.people, summary_.people);
  EXPECT_TRUE(fs::exists(dir.path() / "clients.csv"));
  EXPECT_TRUE(fs::exists(dir.path() / "disposals.csv"));

  // windows-1252 on disk: £ is the single byte 0xA3.
  std::ifstream offences(dir.path() / "offences.csv", std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(offences), {}};
  EXPECT_NE(bytes.find("value under \xA3"
                       "5,000"),
            std::string::npos);
  EXPECT_EQ(bytes.find("\xC2\xA3"), std::string::npos);

  const config::MappingProfile profile = shippedProfile("childview_style_example");
  const Mapped mapped = mapFolder(dir.path(), &profile);
  EXPECT_THAT(mapped.row_errors, ::testing::IsEmpty());
  EXPECT_EQ(mapped.records.size(), canonical_->size());  // one record per row, nothing repeated
  EXPECT_EQ(distinct(mapped.records), throughWindows1252(*canonical_));
}

TEST_F(ExportLayoutsTest, WideStyleExportMapsBackToTheCanonicalRows) {
  TempDir dir("wide");
  generateIn(dir.path(), ExportLayout::kWideStyleExample);
  EXPECT_TRUE(fs::exists(dir.path() / "young_people.csv"));
  EXPECT_TRUE(fs::exists(dir.path() / "offence_outcomes.csv"));

  const config::MappingProfile profile = shippedProfile("wide_style_example");
  const Mapped mapped = mapFolder(dir.path(), &profile);
  EXPECT_THAT(mapped.row_errors, ::testing::IsEmpty());
  EXPECT_EQ(distinct(mapped.records), *canonical_);
  // An offence with two outcomes is on two rows, so wide rows repeat some offences.
  EXPECT_GT(mapped.records.size(), canonical_->size());
}

// Invalid rows written in a layout must still be refused once mapped and validated: a row error
// from the mapping, or a record the canonical import rejects. Valid rows are all taken.
class InvalidRowsStayInvalid : public ::testing::TestWithParam<ExportLayout> {};

TEST_P(InvalidRowsStayInvalid, EveryInvalidRowIsRefusedAndEveryValidOneTaken) {
  const ExportLayout layout = GetParam();
  TempDir dir(std::string("dirty-") + std::string(toString(layout)));
  const fs::path exports = dir.path() / "exports";
  const GeneratorSummary summary = generateIn(exports, layout, 0.04);
  ASSERT_GT(summary.dirty_rows, 20);

  const config::MappingProfile profile = layout == ExportLayout::kCanonical
                                             ? config::MappingProfile{}
                                             : shippedProfile(std::string(toString(layout)));
  const Mapped mapped = mapFolder(exports, layout == ExportLayout::kCanonical ? nullptr : &profile);

  // The mapped records, written as canonical files and imported.
  const fs::path canonical = dir.path() / "canonical";
  fs::create_directories(canonical);
  std::vector<fs::path> files;
  for (RecordKind kind : {RecordKind::kPeople, RecordKind::kOffences, RecordKind::kOutcomes}) {
    files.push_back(canonical / (std::string(connectors::toString(kind)) + ".csv"));
    CsvFileWriter out(files.back());
    for (const auto& column : connectors::canonicalColumns(kind)) out.field(column);
    out.endRow();
    for (const auto& [record_kind, fields] : mapped.records) {
      if (record_kind != kind) continue;
      for (const auto& field : fields) out.field(field);
      out.endRow();
    }
    out.close();
  }
  config::DatabaseSettings database;
  database.path = (dir.path() / "cw.db").string();
  auto store = tracking::openSqliteStore(database);
  config::MethodologySettings methodology;
  connectors::CanonicalImporter importer(*store, methodology, *tracking::Date::parse("2025-06-30"),
                                         "test");
  long rejected = 0;
  long inserted = 0;
  for (const auto& result : importer.importFiles(files)) {
    EXPECT_EQ(result.error, "") << result.file;
    rejected += result.rejected;
    inserted += result.inserted;
  }
  // Every valid record is in the store (a wide file's repeated offences are taken unchanged).
  EXPECT_EQ(inserted, summary.people + summary.offences + summary.outcomes);
  // Every dirty row is refused once: by the mapping, or as at least one rejected record (a wide
  // row of an invalid outcome gives an offence and an outcome, both rejected).
  const auto refused = static_cast<long>(mapped.row_errors.size()) + rejected;
  EXPECT_GE(refused, summary.dirty_rows);
  if (layout != ExportLayout::kWideStyleExample) {
    EXPECT_EQ(refused, summary.dirty_rows);
  }
  // And none of them becomes valid later.
  EXPECT_EQ(importer.retryRejected().taken, 0);
}

INSTANTIATE_TEST_SUITE_P(Layouts, InvalidRowsStayInvalid,
                         ::testing::Values(ExportLayout::kCanonical,
                                           ExportLayout::kChildviewStyleExample,
                                           ExportLayout::kWideStyleExample),
                         [](const auto& test) { return std::string(toString(test.param)); });

TEST(ExportLayoutNames, ParseAndPrint) {
  for (ExportLayout layout : {ExportLayout::kCanonical, ExportLayout::kChildviewStyleExample,
                              ExportLayout::kWideStyleExample}) {
    EXPECT_EQ(parseExportLayout(toString(layout)), layout);
  }
  EXPECT_EQ(parseExportLayout("childview"), std::nullopt);
  EXPECT_EQ(exportLayoutNames(), "canonical, childview_style_example, wide_style_example");
}

}  // namespace
}  // namespace cohortwatch::generator
