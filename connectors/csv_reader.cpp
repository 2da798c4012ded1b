#include "connectors/csv_reader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

namespace cohortwatch::connectors {
namespace {

// Bytes that end a run of plain text in an unquoted field.
constexpr std::array<bool, 256> kUnquotedStop = [] {
  std::array<bool, 256> stop{};
  stop[static_cast<unsigned char>(',')] = true;
  stop[static_cast<unsigned char>('\n')] = true;
  stop[static_cast<unsigned char>('\r')] = true;
  stop[static_cast<unsigned char>('"')] = true;
  return stop;
}();

// First byte in [p, end) that is a comma, quote, CR or LF; `end` if none. Unrolled because
// unquoted fields are most of the input.
const char* scanUnquoted(const char* p, const char* end) {
  while (end - p >= 4) {
    if (kUnquotedStop[static_cast<unsigned char>(p[0])]) return p;
    if (kUnquotedStop[static_cast<unsigned char>(p[1])]) return p + 1;
    if (kUnquotedStop[static_cast<unsigned char>(p[2])]) return p + 2;
    if (kUnquotedStop[static_cast<unsigned char>(p[3])]) return p + 3;
    p += 4;
  }
  while (p != end && !kUnquotedStop[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

std::size_t countLineBreaks(const char* p, const char* end) {
  std::size_t count = 0;
  while (const void* hit = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
    ++count;
    p = static_cast<const char*>(hit) + 1;
  }
  return count;
}

std::string_view view(const char* begin, const char* end) {
  return {begin, static_cast<std::size_t>(end - begin)};
}

bool isAscii(std::string_view text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  std::uint64_t high = 0;
  for (; end - p >= 8; p += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, sizeof word);
    high |= word;
  }
  for (; p != end; ++p) high |= static_cast<unsigned char>(*p);
  return (high & 0x8080808080808080ULL) == 0;
}

// Physical line on which field `index` (0-based) of a well-formed record starts. In such a record
// quotes only open and close fields or come doubled, so counting them gives the quoting state.
std::size_t fieldStartLine(std::string_view raw, std::size_t record_line, std::size_t index) {
  std::size_t line = record_line;
  std::size_t field = 0;
  bool quoted = false;
  for (const char c : raw) {
    if (field == index) break;
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\n') {
      ++line;
    } else if (c == ',' && !quoted) {
      ++field;
    }
  }
  return line;
}

}  // namespace

std::string_view describe(CsvError error) {
  switch (error) {
    case CsvError::kNone: return "no error";
    case CsvError::kUnterminatedQuote: return "unterminated quoted field";
    case CsvError::kCharacterAfterClosingQuote: return "unexpected character after closing quote";
    case CsvError::kQuoteInUnquotedField: return "quote inside unquoted field";
    case CsvError::kCarriageReturnInUnquotedField: return "carriage return inside unquoted field";
    case CsvError::kInvalidUtf8: return "invalid UTF-8";
    case CsvError::kRecordTooLong: return "record too long";
    case CsvError::kReadFailed: return "read error";
  }
  return "unknown error";
}

std::string CsvRecord::errorMessage() const {
  if (ok()) return {};
  std::string message = "line " + std::to_string(error_line);
  if (error_column != 0) message += ", field " + std::to_string(error_column);
  message += ": ";
  message += describe(error);
  return message;
}

CsvReader::CsvReader(std::istream& in, CsvLimits limits)
    : in_(in), limits_(limits), buffer_(std::max<std::size_t>(limits.block_bytes, 1)) {}

bool CsvReader::next(CsvRecord& record) {
  if (!started_) {
    started_ = true;
    while (size_ < 3 && !eof_) {
      if (!refill()) return reportReadFailure(record);
    }
    if (size_ >= 3 && std::memcmp(buffer_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  }
  for (;;) {
    if (pos_ == size_) {
      if (eof_) return false;
      if (!refill()) return reportReadFailure(record);
      continue;
    }
    // Blank lines are skipped here, so that parseRecord only ever sees a record.
    const char first = buffer_[pos_];
    if (first == '\n') {
      ++pos_;
      ++line_;
      continue;
    }
    if (first == '\r') {
      if (pos_ + 1 == size_) {
        if (eof_) {
          ++pos_;
        } else if (!refill()) {
          return reportReadFailure(record);
        }
        continue;
      }
      if (buffer_[pos_ + 1] == '\n') {
        pos_ += 2;
        ++line_;
        continue;
      }
    }
    if (parseRecord(record)) return true;
    if (size_ - pos_ >= limits_.max_record_bytes) {
      skipOversizedRecord(record);
      return true;
    }
    if (!refill()) return reportReadFailure(record);
  }
}

// Parses the record at pos_ from the buffered bytes. Returns false, changing nothing but
// `record`, when the buffer ends before the record does and more input may follow; the caller
// refills and parses again from the record's start (records rarely straddle a block, so the
// re-parse costs less than carrying resumable state through the hot loop).
bool CsvReader::parseRecord(CsvRecord& record) {
  const char* const begin = buffer_.data() + pos_;
  const char* const end = buffer_.data() + size_;
  const char* p = begin;
  std::size_t lines = 0;  // line breaks passed so far inside this record
  auto& fields = record.fields;
  fields.clear();
  scratch_.clear();
  escaped_.clear();
  record.error = CsvError::kNone;
  record.error_line = 0;
  record.error_column = 0;
  const auto fail = [&](CsvError error, std::size_t field_line) {
    if (record.error != CsvError::kNone) return;
    record.error = error;
    record.error_line = field_line;
    record.error_column = fields.size() + 1;
  };

  for (;;) {  // one field per iteration
    const std::size_t field_line = line_ + lines;
    if (p == end) {
      if (!eof_) return false;
      fields.emplace_back();  // the input ends right after a comma
      break;
    }
    if (*p != '"') {
      const char* const start = p;
      for (;;) {
        p = scanUnquoted(p, end);
        if (p == end) {
          if (!eof_) return false;
          break;
        }
        if (*p == '"') {
          fail(CsvError::kQuoteInUnquotedField, field_line);
          ++p;
          continue;
        }
        if (*p == '\r') {
          if (p + 1 == end) {
            if (!eof_) return false;
            break;  // a lone CR ends the last line
          }
          if (p[1] != '\n') {
            fail(CsvError::kCarriageReturnInUnquotedField, field_line);
            ++p;
            continue;
          }
        }
        break;  // comma or line end
      }
      fields.push_back(view(start, p));
    } else {
      const char* segment = p + 1;  // unescaped text not yet copied to scratch_
      const char* search = segment;
      const std::size_t scratch_begin = scratch_.size();
      bool escaped = false;
      bool closed = false;
      for (;;) {
        const void* hit = std::memchr(search, '"', static_cast<std::size_t>(end - search));
        if (hit == nullptr) {
          if (!eof_) return false;
          lines += countLineBreaks(search, end);
          // Outranks any earlier error: the caller must learn that the rest of the input is gone.
          record.error = CsvError::kNone;
          fail(CsvError::kUnterminatedQuote, field_line);
          p = end;
          break;
        }
        const char* const quote = static_cast<const char*>(hit);
        lines += countLineBreaks(search, quote);
        if (quote + 1 == end && !eof_) return false;  // "" or a closing quote: need the next byte
        if (quote + 1 != end && quote[1] == '"') {
          scratch_.append(segment, quote + 1);
          escaped = true;
          segment = search = quote + 2;
          continue;
        }
        p = quote + 1;
        closed = true;
        break;
      }
      const char* const value_end = closed ? p - 1 : p;
      // After the closing quote only a comma, a line end or the end of input may follow; anything
      // else is reported and skipped up to the end of the field.
      while (closed && p != end) {
        const char c = *p;
        if (c == ',' || c == '\n') break;
        if (c == '\r') {
          if (p + 1 == end) {
            if (!eof_) return false;
            break;
          }
          if (p[1] == '\n') break;
        }
        fail(CsvError::kCharacterAfterClosingQuote, field_line);
        p = scanUnquoted(p + 1, end);
        if (p == end && !eof_) return false;
      }
      if (escaped) {
        scratch_.append(segment, value_end);
        escaped_.push_back({fields.size(), scratch_begin, scratch_.size() - scratch_begin});
        fields.emplace_back();
      } else {
        fields.push_back(view(segment, value_end));
      }
    }
    // p is at the comma or line end that closes the field, or at the end of the whole input.
    if (p != end && *p == ',') {
      ++p;
      continue;
    }
    break;
  }

  const char* next = p;
  if (p != end) {
    // LF, CRLF, or a lone CR as the input's last byte.
    next = (*p == '\r' && p + 1 != end) ? p + 2 : p + 1;
    ++lines;
  }
  for (const EscapedField& field : escaped_) {
    fields[field.index] = std::string_view(scratch_).substr(field.offset, field.length);
  }
  record.line = line_;
  record.raw = view(begin, p);
  pos_ = static_cast<std::size_t>(next - buffer_.data());
  line_ += lines;
  if (record.ok()) checkUtf8(record);
  return true;
}

void CsvReader::checkUtf8(CsvRecord& record) const {
  if (isAscii(record.raw)) return;
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    if (!isValidUtf8(record.fields[i])) {
      record.error = CsvError::kInvalidUtf8;
      record.error_line = fieldStartLine(record.raw, record.line, i);
      record.error_column = i + 1;
      return;
    }
  }
}

// Steps over a record longer than max_record_bytes without keeping it, following the quoting
// just well enough to find where the record ends (the same rules as parseRecord).
void CsvReader::skipOversizedRecord(CsvRecord& record) {
  record.fields.clear();
  record.raw = {};
  record.line = line_;
  record.error = CsvError::kRecordTooLong;
  record.error_line = line_;
  record.error_column = 0;
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted, kCarriageReturn };
  State state = State::kFieldStart;
  std::size_t quote_line = 0;
  for (;;) {
    while (pos_ != size_) {
      const char c = buffer_[pos_++];
      if (state == State::kQuoted) {
        if (c == '"') {
          state = State::kQuoteInQuoted;
        } else if (c == '\n') {
          ++line_;
        }
        continue;
      }
      if ((state == State::kQuoteInQuoted && c == '"') ||
          (state == State::kFieldStart && c == '"')) {
        if (state == State::kFieldStart) quote_line = line_;
        state = State::kQuoted;
        continue;
      }
      if (c == '\n') {
        ++line_;
        return;
      }
      if (c == ',') {
        state = State::kFieldStart;
      } else if (c == '\r') {
        state = State::kCarriageReturn;
      } else {
        state = State::kUnquoted;
      }
    }
    if (eof_) {
      if (state == State::kQuoted) {
        record.error = CsvError::kUnterminatedQuote;
        record.error_line = quote_line;
      }
      return;
    }
    if (!refill()) {
      reportReadFailure(record);
      return;
    }
  }
}

// Moves the unread bytes to the front of the buffer (growing it when one record fills it) and
// reads more. False when the stream failed; end of input just sets eof_.
bool CsvReader::refill() {
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, size_ - pos_);
    size_ -= pos_;
    pos_ = 0;
  }
  if (size_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  const std::size_t wanted = buffer_.size() - size_;
  in_.read(buffer_.data() + size_, static_cast<std::streamsize>(wanted));
  const auto got = static_cast<std::size_t>(in_.gcount());
  size_ += got;
  bytes_read_ += got;
  if (in_.bad()) {
    eof_ = true;
    pos_ = size_;
    return false;
  }
  if (got < wanted) eof_ = true;
  return true;
}

bool CsvReader::reportReadFailure(CsvRecord& record) {
  record.fields.clear();
  record.raw = {};
  record.line = line_;
  record.error = CsvError::kReadFailed;
  record.error_line = line_;
  record.error_column = 0;
  return true;
}

CsvFile::CsvFile(const std::filesystem::path& path, CsvLimits limits)
    : stream_(path, std::ios::binary), reader_(stream_, limits) {}

std::unique_ptr<CsvFile> CsvFile::open(const std::filesystem::path& path, std::string& error,
                                       CsvLimits limits) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "cannot open CSV file '" + path.string() + "': it is a directory";
    return nullptr;
  }
  errno = 0;
  // Not make_unique: the constructor is private.
  std::unique_ptr<CsvFile> file(new CsvFile(path, limits));
  if (!file->stream_.is_open()) {
    const int reason = errno;
    error = "cannot open CSV file '" + path.string() + "'";
    if (reason != 0) error += ": " + std::generic_category().message(reason);
    return nullptr;
  }
  return file;
}

bool isValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  while (p != end) {
    if (end - p >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, p, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned lead = *p;
    if (lead < 0x80) {
      ++p;
      continue;
    }
    std::ptrdiff_t continuation = 0;
    unsigned second_min = 0x80;
    unsigned second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuation = 2;
      if (lead == 0xE0) second_min = 0xA0;  // overlong
      if (lead == 0xED) second_max = 0x9F;  // UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3;
      if (lead == 0xF0) second_min = 0x90;  // overlong
      if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
    } else {
      return false;  // continuation byte, C0/C1 (overlong), or F5..FF
    }
    if (end - p <= continuation) return false;
    if (p[1] < second_min || p[1] > second_max) return false;
    for (std::ptrdiff_t i = 2; i <= continuation; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += continuation + 1;
  }
  return true;
}

namespace {

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::string lowerAscii(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

}  // namespace

std::optional<CsvHeader> CsvHeader::parse(std::span<const std::string_view> names,
                                          std::string& error) {
  CsvHeader header;
  header.names_.reserve(names.size());
  header.keys_.reserve(names.size());
  for (const std::string_view name : names) {
    const std::string_view clean = trimmed(name);
    std::string key = lowerAscii(clean);
    if (!key.empty()) {
      const auto previous = std::find(header.keys_.begin(), header.keys_.end(), key);
      if (previous != header.keys_.end()) {
        const auto first_column = previous - header.keys_.begin() + 1;
        error = "duplicate column '" + std::string(clean) + "' (columns " +
                std::to_string(first_column) + " and " + std::to_string(header.keys_.size() + 1) +
                ")";
        return std::nullopt;
      }
    }
    header.names_.emplace_back(clean);
    header.keys_.push_back(std::move(key));
  }
  return header;
}

std::optional<std::size_t> CsvHeader::find(std::string_view name) const {
  const std::string key = lowerAscii(trimmed(name));
  if (key.empty()) return std::nullopt;
  const auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it == keys_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - keys_.begin());
}

}  // namespace cohortwatch::connectors
