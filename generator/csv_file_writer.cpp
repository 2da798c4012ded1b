#include "generator/csv_file_writer.h"

#include <array>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace cohortwatch::generator {

namespace {

constexpr std::size_t kFlushAt = std::size_t{4} << 20;  // 4 MiB per fwrite

std::string ioError(std::string_view what, const std::filesystem::path& path, int error) {
  std::string message(what);
  message += ' ';
  message += path.string();
  message += ": ";
  message += error != 0 ? std::generic_category().message(error) : std::string("I/O error");
  return message;
}

bool needsQuoting(std::string_view text) {
  return text.find_first_of(",\"\r\n") != std::string_view::npos;
}

}  // namespace

CsvFileWriter::CsvFileWriter(std::filesystem::path path) : path_(std::move(path)) {
  file_ = std::fopen(path_.string().c_str(), "wb");
  if (file_ == nullptr) throw std::runtime_error(ioError("cannot open", path_, errno));
  buffer_.reserve(kFlushAt + 4096);
}

CsvFileWriter::~CsvFileWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void CsvFileWriter::separate() {
  if (rowStarted_) buffer_ += ',';
  rowStarted_ = true;
}

void CsvFileWriter::field(std::string_view text) {
  separate();
  if (!needsQuoting(text)) {
    buffer_ += text;
    return;
  }
  buffer_ += '"';
  for (const char c : text) {
    if (c == '"') buffer_ += '"';
    buffer_ += c;
  }
  buffer_ += '"';
}

void CsvFileWriter::appendNumber(std::uint64_t value, int width) {
  std::array<char, 24> digits{};
  int count = 0;
  do {
    digits[static_cast<std::size_t>(count++)] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (int pad = count; pad < width; ++pad) buffer_ += '0';
  while (count > 0) buffer_ += digits[static_cast<std::size_t>(--count)];
}

void CsvFileWriter::appendDate(tracking::Date date) {
  const auto ymd = date.ymd();
  const int year = static_cast<int>(ymd.year());
  if (year < 0) buffer_ += '-';
  appendNumber(static_cast<std::uint64_t>(year < 0 ? -year : year), 4);
  buffer_ += '-';
  appendNumber(static_cast<unsigned>(ymd.month()), 2);
  buffer_ += '-';
  appendNumber(static_cast<unsigned>(ymd.day()), 2);
}

void CsvFileWriter::dateField(tracking::Date date) {
  separate();
  appendDate(date);
}

void CsvFileWriter::dateTimeField(tracking::Date date, int minuteOfDay) {
  separate();
  appendDate(date);
  buffer_ += 'T';
  appendNumber(static_cast<std::uint64_t>(minuteOfDay / 60), 2);
  buffer_ += ':';
  appendNumber(static_cast<std::uint64_t>(minuteOfDay % 60), 2);
  buffer_ += ":00Z";
}

void CsvFileWriter::idField(std::string_view prefix, std::uint64_t number, int width) {
  separate();
  buffer_ += prefix;
  appendNumber(number, width);
}

void CsvFileWriter::integerField(std::int64_t value) {
  separate();
  if (value < 0) buffer_ += '-';
  appendNumber(
      value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value), 1);
}

void CsvFileWriter::endRow() {
  buffer_ += '\n';
  rowStarted_ = false;
  if (buffer_.size() >= kFlushAt) flush();
}

void CsvFileWriter::flush() {
  if (buffer_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    throw std::runtime_error(ioError("cannot write", path_, errno));
  }
  buffer_.clear();
}

void CsvFileWriter::close() {
  if (file_ == nullptr) return;
  flush();
  std::FILE* file = file_;
  file_ = nullptr;
  if (std::fclose(file) != 0) throw std::runtime_error(ioError("cannot write", path_, errno));
}

}  // namespace cohortwatch::generator
