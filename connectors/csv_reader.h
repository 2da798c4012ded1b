// Streaming RFC 4180 CSV reader for the exports that sources pull in: reads any std::istream in
// fixed blocks (memory bounded by the block and the longest record, never the file), and turns
// malformed input into per-record error values, never exceptions, so a caller can reject one row
// and carry on with the next.
//
// Contract, in short:
//  - UTF-8 with or without a leading BOM (stripped); records end at LF or CRLF, and a lone CR at
//    the very end of the input. Quoted fields may hold commas, doubled quotes ("" -> ") and line
//    breaks, which are kept verbatim (LF or CRLF) in the value. Completely empty lines are skipped
//    but still counted. `a,b,` has three fields; the last line needs no line break.
//  - CsvRecord::line is the 1-based physical line (counted by LF) on which the record starts, so
//    records after a multi-line quoted field report the line a text editor shows; the header is
//    the record on line 1 (after any leading blank lines).
//  - At most one error per record: the first structural problem, otherwise the first field that
//    is not valid UTF-8. A malformed record is still returned (fields best effort, `raw` exact)
//    and reading resumes at the end of that record, i.e. the next line break outside a quoted
//    field. An unterminated quote consumes the rest of the input, so it is the last record and
//    its error outranks any earlier one in that record.
//  - The reader does not check the field count: compare `fields.size()` with CsvHeader::size(),
//    because whether a short row is an error or an export quirk is the caller's policy.
//  - Field views (and `raw`) point into the reader's buffers and stay valid until the next call
//    to next(); copy what must outlive that. Reusing one CsvRecord keeps steady-state reading
//    free of allocations.
#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cohortwatch::connectors {

enum class CsvError {
  kNone,
  kUnterminatedQuote,              // a quoted field still open at the end of the input
  kCharacterAfterClosingQuote,     // "ab"c
  kQuoteInUnquotedField,           // ab"c (RFC 4180 requires such fields to be quoted)
  kCarriageReturnInUnquotedField,  // a CR that is neither part of CRLF nor the last byte
  kInvalidUtf8,
  kRecordTooLong,  // longer than CsvLimits::max_record_bytes; skipped unread
  kReadFailed,     // the stream reported an I/O error; reading stops
};

// Short human text for an error ("unterminated quoted field", "invalid UTF-8", ...).
std::string_view describe(CsvError error);

struct CsvRecord {
  std::size_t line = 0;  // physical line on which the record starts (1-based)
  std::vector<std::string_view> fields;
  std::string_view raw;  // the record's exact bytes, without its line terminator
  CsvError error = CsvError::kNone;
  std::size_t error_line = 0;    // physical line on which the offending field starts
  std::size_t error_column = 0;  // 1-based field number; 0 when the error concerns the record

  bool ok() const { return error == CsvError::kNone; }
  // "line 7, field 2: unexpected character after closing quote"; empty when ok().
  std::string errorMessage() const;
};

struct CsvLimits {
  std::size_t block_bytes = 64 * 1024;  // bytes requested from the stream per read
  // A record longer than this is reported as kRecordTooLong and skipped without buffering it,
  // so that a stray quote in a huge export cannot make the reader hold the whole file.
  std::size_t max_record_bytes = 4 * 1024 * 1024;
};

class CsvReader {
 public:
  explicit CsvReader(std::istream& in, CsvLimits limits = {});
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `record`; false at the end of the input (and after a read
  // failure or an unterminated quote has been reported). Malformed records come back with
  // record.error set.
  bool next(CsvRecord& record);

  // Bytes taken from the stream so far (BOM included), for progress reporting.
  std::size_t bytesRead() const { return bytes_read_; }

 private:
  // Where one record's escaped fields ("" inside quotes) live in scratch_.
  struct EscapedField {
    std::size_t index;
    std::size_t offset;
    std::size_t length;
  };

  bool parseRecord(CsvRecord& record);
  void checkUtf8(CsvRecord& record) const;
  void skipOversizedRecord(CsvRecord& record);
  bool refill();
  bool reportReadFailure(CsvRecord& record);

  std::istream& in_;
  CsvLimits limits_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;   // start of the next unread record in buffer_
  std::size_t size_ = 0;  // bytes of buffer_ holding data
  std::size_t line_ = 1;  // physical line at pos_
  std::size_t bytes_read_ = 0;
  bool started_ = false;
  bool eof_ = false;
  std::string scratch_;  // unescaped values of quoted fields with doubled quotes
  std::vector<EscapedField> escaped_;
};

// A CsvReader over a file it owns. open() returns nullptr and sets `error` (naming the path and
// the reason) when the file cannot be opened for reading.
class CsvFile {
 public:
  static std::unique_ptr<CsvFile> open(const std::filesystem::path& path, std::string& error,
                                       CsvLimits limits = {});
  CsvReader& reader() { return reader_; }

 private:
  CsvFile(const std::filesystem::path& path, CsvLimits limits);

  std::ifstream stream_;
  CsvReader reader_;
};

// Strict UTF-8: no overlong forms, surrogates, or code points above U+10FFFF.
bool isValidUtf8(std::string_view text);

// Column lookup by header name: names are trimmed of spaces and tabs and matched without regard
// to ASCII case. Empty names are allowed (an export's trailing comma) but cannot be looked up.
class CsvHeader {
 public:
  // nullopt with `error` set when two columns share a name ("duplicate column 'id' (columns 1
  // and 4)").
  static std::optional<CsvHeader> parse(std::span<const std::string_view> names,
                                        std::string& error);

  std::optional<std::size_t> find(std::string_view name) const;
  std::size_t size() const { return names_.size(); }
  // Trimmed names as written, in column order.
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::vector<std::string> keys_;  // lower-cased names_, same order
};

}  // namespace cohortwatch::connectors
