#include "connectors/text_encoding.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace cohortwatch::connectors {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// 0x80-0x9F (0xFFFD where windows-1252 defines nothing); every other byte is the code point of
// the same value (ISO 8859-1).
constexpr std::array<char32_t, 32> kHighControls = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80-87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,  // 88-8F
    0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90-97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,  // 98-9F
};

// Appends the UTF-8 form of `code_point` (below U+10000) at `out`; returns the bytes written.
std::size_t putUtf8(char32_t code_point, char* out) {
  if (code_point < 0x80) {
    out[0] = static_cast<char>(code_point);
    return 1;
  }
  if (code_point < 0x800) {
    out[0] = static_cast<char>(0xC0 | (code_point >> 6));
    out[1] = static_cast<char>(0x80 | (code_point & 0x3F));
    return 2;
  }
  out[0] = static_cast<char>(0xE0 | (code_point >> 12));
  out[1] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
  out[2] = static_cast<char>(0x80 | (code_point & 0x3F));
  return 3;
}

// The byte that stands for `code_point` in windows-1252, if any.
std::optional<unsigned char> windows1252Byte(char32_t code_point) {
  if (code_point < 0x80 || (code_point >= 0xA0 && code_point <= 0xFF)) {
    return static_cast<unsigned char>(code_point);
  }
  if (code_point == kReplacement) return std::nullopt;
  for (std::size_t i = 0; i < kHighControls.size(); ++i) {
    if (kHighControls[i] == code_point) return static_cast<unsigned char>(0x80 + i);
  }
  return std::nullopt;
}

// Decodes one UTF-8 sequence at `pos` (advancing it); nullopt for an invalid one (one byte taken).
std::optional<char32_t> nextCodePoint(std::string_view text, std::size_t& pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  char32_t code_point = 0;
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    ++pos;
    return std::nullopt;
  }
  if (pos + length > text.size()) {
    ++pos;
    return std::nullopt;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) {
      ++pos;
      return std::nullopt;
    }
    code_point = (code_point << 6) | (next & 0x3F);
  }
  static constexpr std::array<char32_t, 5> kMinimum = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMinimum[length] || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    ++pos;
    return std::nullopt;
  }
  pos += length;
  return code_point;
}

}  // namespace

char32_t windows1252CodePoint(unsigned char byte) {
  if (byte >= 0x80 && byte <= 0x9F) return kHighControls[byte - 0x80u];
  return byte;
}

Windows1252Decoder::Windows1252Decoder(std::streambuf& source) : source_(source) {}

Windows1252Decoder::int_type Windows1252Decoder::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  const std::streamsize got = source_.sgetn(in_.data(), static_cast<std::streamsize>(in_.size()));
  if (got <= 0) return traits_type::eof();
  const auto count = static_cast<std::size_t>(got);
  if (!started_) {
    started_ = true;
    pass_through_ = count >= 3 && std::memcmp(in_.data(), "\xEF\xBB\xBF", 3) == 0;
  }
  if (pass_through_) {
    std::copy_n(in_.data(), count, out_.data());
    setg(out_.data(), out_.data(), out_.data() + count);
    return traits_type::to_int_type(out_[0]);
  }
  std::size_t written = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto byte = static_cast<unsigned char>(in_[i]);
    if (byte < 0x80) {
      out_[written++] = static_cast<char>(byte);
      continue;
    }
    const char32_t code_point = windows1252CodePoint(byte);
    if (code_point == kReplacement) ++replacements_;
    written += putUtf8(code_point, out_.data() + written);
  }
  setg(out_.data(), out_.data(), out_.data() + written);
  return traits_type::to_int_type(out_[0]);
}

Windows1252Istream::Windows1252Istream(std::istream& source)
    : std::istream(nullptr), decoder_(*source.rdbuf()) {
  rdbuf(&decoder_);
}

std::string windows1252ToUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::array<char, 3> buffer{};
  for (char c : bytes) {
    const std::size_t length =
        putUtf8(windows1252CodePoint(static_cast<unsigned char>(c)), buffer.data());
    out.append(buffer.data(), length);
  }
  return out;
}

std::string utf8ToWindows1252(std::string_view text, char replacement) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const std::optional<char32_t> code_point = nextCodePoint(text, pos);
    const std::optional<unsigned char> byte =
        code_point ? windows1252Byte(*code_point) : std::nullopt;
    out += byte ? static_cast<char>(*byte) : replacement;
  }
  return out;
}

}  // namespace cohortwatch::connectors
