#include "connectors/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

namespace cohortwatch::connectors {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::size_t kBlock = std::size_t{64} * 1024;  // CsvLimits::block_bytes default

// A record copied out of the reader, so that it can outlive the next() call.
struct Row {
  std::size_t line = 0;
  std::vector<std::string> fields;
  std::string raw;
  CsvError error = CsvError::kNone;
  std::size_t error_line = 0;
  std::size_t error_column = 0;

  friend bool operator==(const Row&, const Row&) = default;
};

// GoogleTest finds the printer by this exact name.
void PrintTo(const Row& row, std::ostream* out) {  // NOLINT(readability-identifier-naming)
  *out << "{line " << row.line << ", fields [";
  for (const auto& field : row.fields) *out << '\'' << field << "' ";
  *out << "], error '" << describe(row.error) << "' at " << row.error_line << ':'
       << row.error_column << '}';
}

std::vector<Row> readAll(std::istream& in, CsvLimits limits = {}) {
  CsvReader reader(in, limits);
  CsvRecord record;
  std::vector<Row> rows;
  while (reader.next(record)) {
    Row row{record.line,        {}, std::string(record.raw), record.error, record.error_line,
            record.error_column};
    row.fields.assign(record.fields.begin(), record.fields.end());
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<Row> readAll(const std::string& text, CsvLimits limits = {}) {
  std::istringstream in(text);
  return readAll(in, limits);
}

std::vector<std::vector<std::string>> fieldsOf(const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(row.fields);
  return out;
}

std::vector<std::size_t> linesOf(const std::vector<Row>& rows) {
  std::vector<std::size_t> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(row.line);
  return out;
}

using Fields = std::vector<std::string>;

// --- Line endings, BOM, final line -----------------------------------------------------------

TEST(CsvReaderTest, ReadsLfTerminatedRecordsWithLineNumbers) {
  const auto rows = readAll("id,name\n1,Ann\n2,Bob\n");
  EXPECT_THAT(fieldsOf(rows),
              ElementsAre(Fields{"id", "name"}, Fields{"1", "Ann"}, Fields{"2", "Bob"}));
  EXPECT_THAT(linesOf(rows), ElementsAre(1, 2, 3));
  for (const auto& row : rows) EXPECT_EQ(row.error, CsvError::kNone);
}

TEST(CsvReaderTest, CrlfIsALineEndingNotPartOfTheLastField) {
  const auto rows = readAll("id,name\r\n1,Ann\r\n");
  EXPECT_THAT(fieldsOf(rows), ElementsAre(Fields{"id", "name"}, Fields{"1", "Ann"}));
  EXPECT_THAT(linesOf(rows), ElementsAre(1, 2));
  EXPECT_EQ(rows[1].raw, "1,Ann");
}

TEST(CsvReaderTest, MixedLineEndings) {
  const auto rows = readAll("a,b\r\nc,d\ne,f\r\n\"g\",h\n");
  EXPECT_THAT(fieldsOf(rows),
              ElementsAre(Fields{"a", "b"}, Fields{"c", "d"}, Fields{"e", "f"}, Fields{"g", "h"}));
  EXPECT_THAT(linesOf(rows), ElementsAre(1, 2, 3, 4));
}

TEST(CsvReaderTest, FinalLineWithoutLineBreak) {
  EXPECT_THAT(fieldsOf(readAll("a,b\nc,d")), ElementsAre(Fields{"a", "b"}, Fields{"c", "d"}));
  EXPECT_THAT(fieldsOf(readAll("a,\"b\"")), ElementsAre(Fields{"a", "b"}));
}

TEST(CsvReaderTest, LoneCarriageReturnAtEndOfInputEndsTheLastLine) {
  EXPECT_THAT(fieldsOf(readAll("a,b\nc,d\r")), ElementsAre(Fields{"a", "b"}, Fields{"c", "d"}));
  EXPECT_THAT(fieldsOf(readAll("a,\"b\"\r")), ElementsAre(Fields{"a", "b"}));
  EXPECT_THAT(fieldsOf(readAll("a,\r")), ElementsAre(Fields{"a", ""}));
  EXPECT_THAT(readAll("\r"), IsEmpty());
}

TEST(CsvReaderTest, StripsLeadingBomOnly) {
  const std::string bom = "\xEF\xBB\xBF";
  const auto rows = readAll(bom + "id,name\n" + bom + "x,y\n");
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].fields[0], "id");
  EXPECT_EQ(rows[0].line, 1U);
  EXPECT_EQ(rows[1].fields[0], bom + "x");  // a BOM later on is data (U+FEFF), not stripped
  EXPECT_EQ(rows[1].error, CsvError::kNone);

  EXPECT_THAT(fieldsOf(readAll("id,name\n")), ElementsAre(Fields{"id", "name"}));
  EXPECT_THAT(readAll(bom), IsEmpty());
  EXPECT_THAT(fieldsOf(readAll(bom + "a")), ElementsAre(Fields{"a"}));
  EXPECT_THAT(fieldsOf(readAll("\xEF\xBB")), ElementsAre(Fields{"\xEF\xBB"}));
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) {
  EXPECT_THAT(readAll(""), IsEmpty());
  EXPECT_THAT(readAll("\n\r\n\n"), IsEmpty());
}

// --- Quoting -------------------------------------------------------------------------------------

TEST(CsvReaderTest, QuotedFieldMayHoldCommas) {
  const auto rows = readAll("\"Smith, John\",42\n");
  EXPECT_THAT(fieldsOf(rows), ElementsAre(Fields{"Smith, John", "42"}));
}

TEST(CsvReaderTest, DoubledQuotesAreUnescaped) {
  const auto rows = readAll("\"say \"\"hi\"\"\",x,\"\"\"\"\n\"\"\"\"\"\",\"a\"\"\"\n");
  EXPECT_THAT(fieldsOf(rows), ElementsAre(Fields{"say \"hi\"", "x", "\""}, Fields{"\"\"", "a\""}));
  EXPECT_EQ(rows[0].raw, "\"say \"\"hi\"\"\",x,\"\"\"\"");
}

TEST(CsvReaderTest, LineBreaksInsideQuotesAreKeptAndCounted) {
  const auto rows = readAll(
      "id,note\n"
      "1,\"line one\nline two\"\n"
      "2,\"a\r\nb\"\r\n"
      "3,\"x\n\ny\",\"p\nq\"\n"
      "4,plain\n");
  EXPECT_THAT(fieldsOf(rows), ElementsAre(Fields{"id", "note"}, Fields{"1", "line one\nline two"},
                                          Fields{"2", "a\r\nb"}, Fields{"3", "x\n\ny", "p\nq"},
                                          Fields{"4", "plain"}));
  EXPECT_THAT(linesOf(rows), ElementsAre(1, 2, 4, 6, 10));
}

TEST(CsvReaderTest, EmptyFields) {
  EXPECT_THAT(fieldsOf(readAll("a,,c\n")), ElementsAre(Fields{"a", "", "c"}));
  EXPECT_THAT(fieldsOf(readAll("a,b,\n")), ElementsAre(Fields{"a", "b", ""}));
  EXPECT_THAT(fieldsOf(readAll("a,b,\r\n")), ElementsAre(Fields{"a", "b", ""}));
  EXPECT_THAT(fieldsOf(readAll("a,b,")), ElementsAre(Fields{"a", "b", ""}));
  EXPECT_THAT(fieldsOf(readAll(",\n")), ElementsAre(Fields{"", ""}));
  EXPECT_THAT(fieldsOf(readAll(",,")), ElementsAre(Fields{"", "", ""}));
}

TEST(CsvReaderTest, EmptyQuotedFields) {
  EXPECT_THAT(fieldsOf(readAll("\"\",x,\"\"\n\"\"\n")),
              ElementsAre(Fields{"", "x", ""}, Fields{""}));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButCounted) {
  const auto rows = readAll("\na,b\n\n\r\nc,d\n\n");
  EXPECT_THAT(fieldsOf(rows), ElementsAre(Fields{"a", "b"}, Fields{"c", "d"}));
  EXPECT_THAT(linesOf(rows), ElementsAre(2, 5));
}

TEST(CsvReaderTest, WhitespaceOnlyLineIsARecord) {
  const auto rows = readAll("a\n \nb\n");
  EXPECT_THAT(fieldsOf(rows), ElementsAre(Fields{"a"}, Fields{" "}, Fields{"b"}));
}

TEST(CsvReaderTest, FieldsOfAReusedRecordAreReplacedNotAppended) {
  std::istringstream in("a,b,c\nd\n");
  CsvReader reader(in);
  CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  EXPECT_EQ(record.fields.size(), 3U);
  ASSERT_TRUE(reader.next(record));
  EXPECT_THAT(record.fields, ElementsAre("d"));
  EXPECT_FALSE(reader.next(record));
  EXPECT_FALSE(reader.next(record));
  EXPECT_EQ(reader.bytesRead(), 8U);
}

// --- Malformed input -----------------------------------------------------------------------------

TEST(CsvReaderTest, UnterminatedQuoteReportsWhereTheFieldOpenedAndEndsTheInput) {
  const auto rows = readAll("id,note\n1,\"x\ny\",\"open\n2,3\n4,5\n");
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].error, CsvError::kNone);
  EXPECT_EQ(rows[1].line, 2U);
  EXPECT_EQ(rows[1].error, CsvError::kUnterminatedQuote);
  EXPECT_EQ(rows[1].error_line, 3U);  // the quote of the third field opens on line 3
  EXPECT_EQ(rows[1].error_column, 3U);

  // It outranks an earlier error in the same record, since it swallowed the rest of the input.
  const auto swallowed = readAll("a\"b,\"open\nmore\n");
  ASSERT_EQ(swallowed.size(), 1U);
  EXPECT_EQ(swallowed[0].error, CsvError::kUnterminatedQuote);
  EXPECT_EQ(swallowed[0].error_column, 2U);

  CsvRecord record;
  record.error = CsvError::kUnterminatedQuote;
  record.error_line = 3;
  record.error_column = 3;
  EXPECT_EQ(record.errorMessage(), "line 3, field 3: unterminated quoted field");
}

TEST(CsvReaderTest, CharacterAfterClosingQuoteIsReportedAndReadingResumes) {
  const auto rows = readAll("\"ab\"c,d\nx,y\n1,\"ok\" ,3\r\n\"p\nq\"z,w\nlast\n");
  ASSERT_EQ(rows.size(), 5U);
  EXPECT_EQ(rows[0].error, CsvError::kCharacterAfterClosingQuote);
  EXPECT_EQ(rows[0].error_line, 1U);
  EXPECT_EQ(rows[0].error_column, 1U);
  EXPECT_EQ(rows[0].raw, "\"ab\"c,d");
  EXPECT_EQ(rows[1].error, CsvError::kNone);
  EXPECT_EQ(rows[1].fields, (Fields{"x", "y"}));
  EXPECT_EQ(rows[1].line, 2U);
  EXPECT_EQ(rows[2].error, CsvError::kCharacterAfterClosingQuote);
  EXPECT_EQ(rows[2].error_column, 2U);
  EXPECT_EQ(rows[2].fields.size(), 3U);
  EXPECT_EQ(rows[3].error, CsvError::kCharacterAfterClosingQuote);
  EXPECT_EQ(rows[3].line, 4U);
  EXPECT_EQ(rows[4].fields, (Fields{"last"}));
  EXPECT_EQ(rows[4].line, 6U);
  EXPECT_EQ(rows[4].error, CsvError::kNone);
}

TEST(CsvReaderTest, QuoteInsideUnquotedFieldIsAnError) {
  const auto rows = readAll("a,b\"c\nd,e\n5\" screen,x\n");
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].error, CsvError::kQuoteInUnquotedField);
  EXPECT_EQ(rows[0].error_column, 2U);
  EXPECT_EQ(rows[0].error_line, 1U);
  EXPECT_EQ(rows[1].fields, (Fields{"d", "e"}));
  EXPECT_EQ(rows[1].error, CsvError::kNone);
  EXPECT_EQ(rows[2].error, CsvError::kQuoteInUnquotedField);
  EXPECT_EQ(rows[2].line, 3U);
  EXPECT_EQ(rows[2].error_column, 1U);
}

TEST(CsvReaderTest, BareCarriageReturnInsideUnquotedFieldIsAnError) {
  const auto rows = readAll("a\rb,c\nd\n");
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].error, CsvError::kCarriageReturnInUnquotedField);
  EXPECT_EQ(rows[0].error_column, 1U);
  EXPECT_EQ(rows[1].fields, (Fields{"d"}));
  EXPECT_EQ(rows[1].line, 2U);
}

TEST(CsvReaderTest, InvalidUtf8IsFlaggedWithLineAndField) {
  const auto rows = readAll(
      "name,town\n"
      "Zo\xC3\xAB,Leeds\n"
      "ok,\xFF\xFE"
      "bad\n"
      "\"multi\nline\",\"caf\xC3\n\"\n"
      "fine,again\n");
  ASSERT_EQ(rows.size(), 5U);
  EXPECT_EQ(rows[1].error, CsvError::kNone);
  EXPECT_EQ(rows[1].fields[0], "Zo\xC3\xAB");
  EXPECT_EQ(rows[2].error, CsvError::kInvalidUtf8);
  EXPECT_EQ(rows[2].line, 3U);
  EXPECT_EQ(rows[2].error_line, 3U);
  EXPECT_EQ(rows[2].error_column, 2U);
  EXPECT_EQ(rows[3].error, CsvError::kInvalidUtf8);
  EXPECT_EQ(rows[3].line, 4U);
  EXPECT_EQ(rows[3].error_line, 5U);  // the second field starts on the record's second line
  EXPECT_EQ(rows[3].error_column, 2U);
  EXPECT_EQ(rows[4].error, CsvError::kNone);
  EXPECT_EQ(rows[4].line, 7U);
}

TEST(CsvReaderTest, RecordLongerThanTheLimitIsSkippedWithoutBuffering) {
  CsvLimits limits;
  limits.block_bytes = 16;
  limits.max_record_bytes = 64;
  const std::string long_plain(200, 'x');
  const std::string long_quoted =
      "\"" + std::string(100, 'q') + "\n\"\"," + std::string(100, 'r') + "\r\n\"";
  const auto rows =
      readAll("a,b\n" + long_plain + ",1\n" + "c,d\n" + long_quoted + ",2\r\ne,f\n", limits);
  ASSERT_EQ(rows.size(), 5U);
  EXPECT_EQ(rows[0].fields, (Fields{"a", "b"}));
  EXPECT_EQ(rows[1].error, CsvError::kRecordTooLong);
  EXPECT_EQ(rows[1].line, 2U);
  EXPECT_THAT(rows[1].fields, IsEmpty());
  EXPECT_EQ(rows[2].fields, (Fields{"c", "d"}));
  EXPECT_EQ(rows[2].line, 3U);
  EXPECT_EQ(rows[3].error, CsvError::kRecordTooLong);
  EXPECT_EQ(rows[3].line, 4U);
  EXPECT_EQ(rows[4].fields, (Fields{"e", "f"}));
  EXPECT_EQ(rows[4].line, 7U);  // the skipped record spans lines 4 to 6

  const auto unterminated = readAll("a\n\"" + std::string(300, 'z') + "\nmore\n", limits);
  ASSERT_EQ(unterminated.size(), 2U);
  EXPECT_EQ(unterminated[1].error, CsvError::kUnterminatedQuote);
  EXPECT_EQ(unterminated[1].error_line, 2U);
}

// A stream that delivers `good` bytes and then fails as a broken disk or pipe would.
class FailingBuffer : public std::streambuf {
 public:
  explicit FailingBuffer(std::string good) : good_(std::move(good)) {
    setg(good_.data(), good_.data(), good_.data() + good_.size());
  }

 protected:
  int_type underflow() override { throw std::runtime_error("disk on fire"); }

 private:
  std::string good_;
};

TEST(CsvReaderTest, ReadFailureIsReportedNotMistakenForEndOfInput) {
  FailingBuffer buffer("a,b\nc,d\n");
  std::istream in(&buffer);
  CsvReader reader(in);
  CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  EXPECT_EQ(record.error, CsvError::kReadFailed);
  EXPECT_FALSE(reader.next(record));
}

// --- Block boundaries ----------------------------------------------------------------------------

// Rows of the form "pad,xxxx\n" that make exactly `bytes` bytes (bytes >= 5).
std::string padding(std::size_t bytes) {
  std::string out;
  while (bytes > 0) {
    const std::size_t row = std::min<std::size_t>(bytes, 1000);
    const std::size_t take = (bytes - row != 0 && bytes - row < 5) ? row - 5 : row;
    out += "pad," + std::string(take - 5, 'x') + "\n";
    bytes -= take;
  }
  return out;
}

TEST(CsvReaderTest, QuotedFieldStraddlingTheBlockBoundary) {
  // The quoted field opens before byte 65536 and its doubled quote and CRLF sit on the boundary.
  const std::string field = "\"before\"\"\r\nafter\"";
  for (std::size_t shift = 0; shift < field.size(); ++shift) {
    const std::string head = padding(kBlock - 2 - shift);  // the record starts with "1,"
    std::string input = head;
    input += "1," + field + ",z\r\n2,end\n";
    const std::size_t pad_rows =
        static_cast<std::size_t>(std::count(head.begin(), head.end(), '\n'));
    const auto rows = readAll(input);
    ASSERT_EQ(rows.size(), pad_rows + 2) << "shift " << shift;
    EXPECT_EQ(rows[pad_rows].fields, (Fields{"1", "before\"\r\nafter", "z"})) << "shift " << shift;
    EXPECT_EQ(rows[pad_rows].line, pad_rows + 1);
    EXPECT_EQ(rows[pad_rows + 1].fields, (Fields{"2", "end"}));
    EXPECT_EQ(rows[pad_rows + 1].line, pad_rows + 3);
    EXPECT_EQ(rows[pad_rows + 1].error, CsvError::kNone);
  }
}

TEST(CsvReaderTest, CrlfSplitAcrossTheBlockBoundary) {
  // Byte 65535 is the CR and byte 65536, the first of the second block, its LF.
  const std::string head = padding(kBlock - 4);
  const std::string input = head + "a,b\r\n\r\nc,d\r\n";
  ASSERT_EQ(input[kBlock - 1], '\r');
  ASSERT_EQ(input[kBlock], '\n');
  const std::size_t pad_rows = static_cast<std::size_t>(std::count(head.begin(), head.end(), '\n'));
  const auto rows = readAll(input);
  ASSERT_EQ(rows.size(), pad_rows + 2);
  EXPECT_EQ(rows[pad_rows].fields, (Fields{"a", "b"}));
  EXPECT_EQ(rows[pad_rows + 1].fields, (Fields{"c", "d"}));
  EXPECT_EQ(rows[pad_rows + 1].line, pad_rows + 3);

  // The same with the CR ending a blank line.
  const std::string blank = padding(kBlock - 1) + "\r\nx\n";
  ASSERT_EQ(blank[kBlock - 1], '\r');
  const auto blank_rows = readAll(blank);
  EXPECT_EQ(blank_rows.back().fields, (Fields{"x"}));
  EXPECT_EQ(blank_rows.back().line, blank_rows.size() + 1);
}

TEST(CsvReaderTest, RecordLargerThanOneBlock) {
  const std::string big(3 * kBlock + 17, 'b');
  const auto rows = readAll("h\n\"" + big + "\nB\",x\n" + big + ",y\nlast\n");
  ASSERT_EQ(rows.size(), 4U);
  EXPECT_EQ(rows[1].fields, (Fields{big + "\nB", "x"}));
  EXPECT_EQ(rows[2].fields, (Fields{big, "y"}));
  EXPECT_EQ(rows[2].line, 4U);
  EXPECT_EQ(rows[3].line, 5U);
}

TEST(CsvReaderTest, ResultsDoNotDependOnTheBlockSize) {
  // Every tricky input read with the default 64 KiB block must read the same with blocks so small
  // that a boundary falls at every position of every construct.
  const std::vector<std::string> inputs = {
      "\xEF\xBB\xBFid,name\r\n1,\"a,b\"\r\n\r\n2,\"say \"\"hi\"\"\"\n3,\"x\r\ny\",\n",
      "a,b,\n,\"\",\"\"\"\"\n\"\"\r",
      "\"ab\"c,d\r\nx,y\ne\"f,g\nh\ri,j\n\"k\"\r",
      "n,Zo\xC3\xAB\n\"m\n\",\"\xC3\"\nlast",
      "1,\"open\r\n2,3\r\n",
      "\r\n\n\xEF\xBB\xBF,\r",
  };
  for (const auto& input : inputs) {
    const auto expected = readAll(input);
    for (std::size_t block = 1; block <= 9; ++block) {
      CsvLimits limits;
      limits.block_bytes = block;
      EXPECT_EQ(readAll(input, limits), expected) << "block " << block << " input " << input;
    }
  }
}

// --- Volume --------------------------------------------------------------------------------------

// Generates "id,name,amount" rows on the fly, so the test streams a million rows without holding
// them; every 7th name is quoted with a comma and a doubled quote, every 11th row ends in CRLF.
class GeneratedRows : public std::streambuf {
 public:
  explicit GeneratedRows(std::size_t rows) : rows_(rows) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    chunk_.clear();
    if (!header_written_) {
      chunk_ = "id,name,amount\n";
      header_written_ = true;
    }
    while (chunk_.size() < 4096 && next_ < rows_) {
      const std::size_t i = next_++;
      chunk_ += std::to_string(i);
      chunk_ += i % 7 == 0 ? R"(,"Doe, ""J""",)" : ",name" + std::to_string(i % 100) + ",";
      chunk_ += std::to_string(i * 31 % 1000);
      chunk_ += i % 11 == 0 ? "\r\n" : "\n";
    }
    if (chunk_.empty()) return traits_type::eof();
    setg(chunk_.data(), chunk_.data(), chunk_.data() + chunk_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::size_t rows_;
  std::size_t next_ = 0;
  bool header_written_ = false;
  std::string chunk_;
};

TEST(CsvReaderTest, MillionGeneratedRowsReadCorrectly) {
  constexpr std::size_t kRows = 1'000'000;
  GeneratedRows source(kRows);
  std::istream in(&source);
  CsvReader reader(in);
  CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  ASSERT_THAT(record.fields, ElementsAre("id", "name", "amount"));

  std::size_t rows = 0;
  std::size_t bad = 0;
  std::uint64_t checksum = 0;
  std::uint64_t expected_checksum = 0;
  std::size_t last_line = 0;
  while (reader.next(record)) {
    const std::size_t i = rows++;
    if (!record.ok() || record.fields.size() != 3 || record.fields[0] != std::to_string(i) ||
        record.fields[1] != (i % 7 == 0 ? "Doe, \"J\"" : "name" + std::to_string(i % 100))) {
      ++bad;
      continue;
    }
    checksum += std::stoull(std::string(record.fields[2])) + record.line;
    expected_checksum += i * 31 % 1000 + i + 2;
    last_line = record.line;
  }
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(bad, 0U);
  EXPECT_EQ(checksum, expected_checksum);
  EXPECT_EQ(last_line, kRows + 1);
}

// --- Files ---------------------------------------------------------------------------------------

TEST(CsvFileTest, ReadsAFile) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("csv_reader_test_" +
                     std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << "\xEF\xBB\xBFid,name\r\n1,\"Ann\"\r\n";
  }
  std::string error;
  auto file = CsvFile::open(path, error);
  ASSERT_NE(file, nullptr) << error;
  CsvRecord record;
  ASSERT_TRUE(file->reader().next(record));
  EXPECT_THAT(record.fields, ElementsAre("id", "name"));
  ASSERT_TRUE(file->reader().next(record));
  EXPECT_THAT(record.fields, ElementsAre("1", "Ann"));
  EXPECT_FALSE(file->reader().next(record));
  file.reset();
  std::filesystem::remove(path);
}

TEST(CsvFileTest, MissingFileIsAClearError) {
  std::string error;
  EXPECT_EQ(CsvFile::open("/nonexistent/dir/offences.csv", error), nullptr);
  EXPECT_THAT(error, HasSubstr("/nonexistent/dir/offences.csv"));
  EXPECT_THAT(error, HasSubstr("No such file or directory"));

  error.clear();
  EXPECT_EQ(CsvFile::open(std::filesystem::temp_directory_path(), error), nullptr);
  EXPECT_THAT(error, HasSubstr("directory"));
}

// --- UTF-8 ---------------------------------------------------------------------------------------

TEST(IsValidUtf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(isValidUtf8("Zo\xC3\xAB"));                 // ë
  EXPECT_TRUE(isValidUtf8("\xE2\x82\xAC 5"));             // €
  EXPECT_TRUE(isValidUtf8("\xF0\x9D\x84\x9E"));           // U+1D11E
  EXPECT_TRUE(isValidUtf8("\xF4\x8F\xBF\xBF"));           // U+10FFFF
  EXPECT_TRUE(isValidUtf8("\xEF\xBB\xBF"));               // U+FEFF
  EXPECT_TRUE(isValidUtf8(std::string_view("a\0b", 3)));  // NUL is a character
}

TEST(IsValidUtf8Test, RejectsMalformedText) {
  EXPECT_FALSE(isValidUtf8("\xFF"));
  EXPECT_FALSE(isValidUtf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(isValidUtf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(isValidUtf8("\xC1\xBF"));          // overlong
  EXPECT_FALSE(isValidUtf8("\xE0\x80\x80"));      // overlong
  EXPECT_FALSE(isValidUtf8("\xF0\x80\x80\x80"));  // overlong
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));  // truncated
  EXPECT_FALSE(
      isValidUtf8("\xC3"
                  "a"));  // bad continuation
  EXPECT_FALSE(isValidUtf8("long ascii prefix \xE2\x28\xA1 tail"));
}

// --- Header --------------------------------------------------------------------------------------

TEST(CsvHeaderTest, FindsColumnsCaseInsensitivelyAfterTrimming) {
  const std::vector<std::string_view> names = {"Person_ID", " Offence Date\t", "outcome", ""};
  std::string error;
  const auto header = CsvHeader::parse(names, error);
  ASSERT_TRUE(header.has_value()) << error;
  EXPECT_EQ(header->size(), 4U);
  EXPECT_EQ(header->find("person_id"), 0U);
  EXPECT_EQ(header->find("PERSON_ID"), 0U);
  EXPECT_EQ(header->find("offence date"), 1U);
  EXPECT_EQ(header->find(" Outcome "), 2U);
  EXPECT_EQ(header->find("missing"), std::nullopt);
  EXPECT_EQ(header->find(""), std::nullopt);
  EXPECT_THAT(header->names(), ElementsAre("Person_ID", "Offence Date", "outcome", ""));
}

TEST(CsvHeaderTest, DuplicateNamesAreAnError) {
  const std::vector<std::string_view> names = {"id", "name", " ID "};
  std::string error;
  EXPECT_EQ(CsvHeader::parse(names, error), std::nullopt);
  EXPECT_THAT(error, HasSubstr("duplicate column 'ID' (columns 1 and 3)"));

  const std::vector<std::string_view> empties = {"a", "", "b", ""};
  EXPECT_TRUE(CsvHeader::parse(empties, error).has_value());
}

TEST(CsvHeaderTest, BuiltFromTheFirstRecordOfABomFile) {
  std::istringstream in(
      "\xEF\xBB\xBF"
      "Id,Name\n7,Ann\n");
  CsvReader reader(in);
  CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  std::string error;
  const auto header = CsvHeader::parse(record.fields, error);
  ASSERT_TRUE(header.has_value()) << error;
  ASSERT_TRUE(reader.next(record));
  ASSERT_EQ(record.fields.size(), header->size());
  EXPECT_EQ(record.fields[*header->find("name")], "Ann");
  EXPECT_EQ(record.fields[*header->find("id")], "7");
}

}  // namespace
}  // namespace cohortwatch::connectors
