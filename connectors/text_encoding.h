// Text encodings of case-management exports. Many UK systems still write windows-1252 (the
// Windows "ANSI" code page: £ is 0xA3, é 0xE9, € 0x80); cohortwatch works in UTF-8, so such a file
// is converted as it is read, streaming, in constant memory.
//
// Contract:
//  - Every byte maps to one code point of the windows-1252 table (WHATWG / Microsoft best fit),
//    including 0x80-0x9F (€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ). The five bytes
//    the code page leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become U+FFFD REPLACEMENT
//    CHARACTER and are counted, so that a caller can warn about a file that is probably not
//    windows-1252.
//  - A stream that starts with the UTF-8 byte order mark (EF BB BF) is UTF-8 whatever was
//    declared, and passes through unchanged (BOM included: the CSV reader strips it).
//  - utf-8 input needs no decoder and is read as it is.
#pragma once

#include <array>
#include <cstddef>
#include <istream>
#include <streambuf>
#include <string>
#include <string_view>

namespace cohortwatch::connectors {

// Reads windows-1252 from `source` and hands out UTF-8.
class Windows1252Decoder : public std::streambuf {
 public:
  explicit Windows1252Decoder(std::streambuf& source);

  // Undefined bytes replaced by U+FFFD so far.
  std::size_t replacements() const { return replacements_; }
  // True once the stream turned out to start with a UTF-8 byte order mark.
  bool passThrough() const { return pass_through_; }

 protected:
  // std::streambuf
  int_type underflow() override;

 private:
  static constexpr std::size_t kBlock = 16 * 1024;

  std::streambuf& source_;
  std::array<char, kBlock> in_{};
  std::array<char, kBlock * 3> out_{};  // every byte becomes at most three UTF-8 bytes
  bool started_ = false;
  bool pass_through_ = false;
  std::size_t replacements_ = 0;
};

// An istream over another istream's bytes, converted from windows-1252 to UTF-8.
class Windows1252Istream : public std::istream {
 public:
  explicit Windows1252Istream(std::istream& source);
  const Windows1252Decoder& decoder() const { return decoder_; }

 private:
  Windows1252Decoder decoder_;
};

// The code point of one windows-1252 byte (U+FFFD for the five undefined bytes).
char32_t windows1252CodePoint(unsigned char byte);

// Whole-string conversions, for tests and for writing exports.
std::string windows1252ToUtf8(std::string_view bytes);
// UTF-8 to windows-1252: a character the code page cannot hold (e.g. Ł) becomes `replacement`, as
// a system exporting in windows-1252 would write it; so does invalid UTF-8, byte by byte.
std::string utf8ToWindows1252(std::string_view text, char replacement = '?');

}  // namespace cohortwatch::connectors
