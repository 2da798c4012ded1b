// Writes one CSV file fast: rows are built in a large in-memory buffer and flushed with fwrite in
// big chunks. Output is UTF-8 without BOM, LF line ends, RFC 4180 quoting only where a value needs
// it. Every I/O failure throws std::runtime_error naming the file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "tracking/civil_date.h"

namespace cohortwatch::generator {

class CsvFileWriter {
 public:
  explicit CsvFileWriter(std::filesystem::path path);
  ~CsvFileWriter();
  CsvFileWriter(const CsvFileWriter&) = delete;
  CsvFileWriter& operator=(const CsvFileWriter&) = delete;

  // Any text: quoted (with doubled quotes) when it holds a comma, quote, CR or LF.
  void field(std::string_view text);
  void emptyField() { separate(); }
  void dateField(tracking::Date date);
  // "YYYY-MM-DDTHH:MM:00Z".
  void dateTimeField(tracking::Date date, int minuteOfDay);
  // prefix followed by number zero-padded to at least `width` digits, e.g. P0000042.
  void idField(std::string_view prefix, std::uint64_t number, int width = 7);
  void integerField(std::int64_t value);
  void endRow();

  // Flushes and closes; the destructor closes too but cannot report failure.
  void close();
  const std::filesystem::path& path() const { return path_; }

 private:
  void separate();
  void appendDate(tracking::Date date);
  void appendNumber(std::uint64_t value, int width);
  void flush();

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  bool rowStarted_ = false;
};

}  // namespace cohortwatch::generator
