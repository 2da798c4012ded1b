// windows-1252 exports converted to UTF-8 as they are read: the whole code page including
// 0x80-0x9F, the five undefined bytes, a BOM that says the file is UTF-8 after all, streaming
// across block boundaries, and the reverse conversion used to write such exports.
#include "connectors/text_encoding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "connectors/csv_reader.h"

namespace cohortwatch::connectors {
namespace {

std::string decodeStream(const std::string& bytes) {
  std::istringstream source(bytes);
  Windows1252Istream in(source);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(Windows1252, PoundAccentsAndUmlautsBecomeUtf8) {
  // "£5 Zoë Müller José" as a windows-1252 export writes it.
  EXPECT_EQ(decodeStream("\xA3"
                         "5 Zo\xEB M\xFCller Jos\xE9"),
            "£5 Zoë Müller José");
  EXPECT_EQ(windows1252ToUtf8("\xA3\xE9\xFC"), "£éü");
}

TEST(Windows1252, TheBytes80To9FAreTheCodePageNotControls) {
  struct Case {
    unsigned char byte;
    const char* utf8;
  };
  for (const Case& c :
       {Case{0x80, "€"}, Case{0x82, "‚"}, Case{0x83, "ƒ"}, Case{0x84, "„"}, Case{0x85, "…"},
        Case{0x86, "†"}, Case{0x87, "‡"}, Case{0x88, "ˆ"}, Case{0x89, "‰"}, Case{0x8A, "Š"},
        Case{0x8B, "‹"}, Case{0x8C, "Œ"}, Case{0x8E, "Ž"}, Case{0x91, "‘"}, Case{0x92, "’"},
        Case{0x93, "“"}, Case{0x94, "”"}, Case{0x95, "•"}, Case{0x96, "–"}, Case{0x97, "—"},
        Case{0x98, "˜"}, Case{0x99, "™"}, Case{0x9A, "š"}, Case{0x9B, "›"}, Case{0x9C, "œ"},
        Case{0x9E, "ž"}, Case{0x9F, "Ÿ"}}) {
    EXPECT_EQ(windows1252ToUtf8(std::string(1, static_cast<char>(c.byte))), c.utf8)
        << std::hex << static_cast<int>(c.byte);
  }
  EXPECT_EQ(windows1252CodePoint(0x80), U'\u20AC');
  EXPECT_EQ(windows1252CodePoint(0xA0), U'\u00A0');
  EXPECT_EQ(windows1252CodePoint(0xFF), U'\u00FF');
  EXPECT_EQ(windows1252CodePoint(0x41), U'A');
}

TEST(Windows1252, TheFiveUndefinedBytesBecomeReplacementCharactersAndAreCounted) {
  std::istringstream source(
      "a\x81"
      "b\x8D\x8F\x90\x9D"
      "c");
  Windows1252Istream in(source);
  std::ostringstream out;
  out << in.rdbuf();
  EXPECT_EQ(out.str(),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "c");
  EXPECT_EQ(in.decoder().replacements(), 5u);
  EXPECT_FALSE(in.decoder().passThrough());
}

TEST(Windows1252, EveryByteGivesValidUtf8) {
  std::string all;
  for (int byte = 1; byte < 256; ++byte) all += static_cast<char>(byte);
  const std::string decoded = decodeStream(all);
  EXPECT_TRUE(isValidUtf8(decoded));
  EXPECT_EQ(decoded, windows1252ToUtf8(all));
}

TEST(Windows1252, AUtf8ByteOrderMarkMeansTheFileIsUtf8) {
  const std::string utf8 = "\xEF\xBB\xBFname\nJos\xC3\xA9\n";
  std::istringstream source(utf8);
  Windows1252Istream in(source);
  std::ostringstream out;
  out << in.rdbuf();
  EXPECT_EQ(out.str(), utf8);  // unchanged, BOM included (the CSV reader strips it)
  EXPECT_TRUE(in.decoder().passThrough());
}

TEST(Windows1252, StreamsAcrossBlockBoundariesInSmallReads) {
  // Well over one 16 KiB block, with multi-byte results on both sides of each boundary.
  std::string bytes;
  for (int i = 0; i < 50'000; ++i) bytes += (i % 3 == 0) ? '\x80' : (i % 3 == 1 ? 'x' : '\xE9');
  std::istringstream source(bytes);
  Windows1252Istream in(source);
  std::string decoded;
  char chunk[7];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    decoded.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  EXPECT_EQ(decoded, windows1252ToUtf8(bytes));
  EXPECT_EQ(decoded.size(), 16'667u * 3 + 16'667u + 16'666u * 2);
}

TEST(Windows1252, TheCsvReaderReadsTheDecodedText) {
  std::istringstream source(
      "name,note\r\n\"Ren\xE9"
      "e\",\x93quoted\x94 \x80"
      "10\r\n");
  Windows1252Istream in(source);
  CsvReader reader(in);
  CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  ASSERT_TRUE(reader.next(record));
  ASSERT_TRUE(record.ok()) << record.errorMessage();
  ASSERT_EQ(record.fields.size(), 2u);
  EXPECT_EQ(record.fields[0], "Renée");
  EXPECT_EQ(record.fields[1], "“quoted” €10");
  EXPECT_FALSE(reader.next(record));
}

TEST(Windows1252, EmptyInputIsEmpty) {
  EXPECT_EQ(decodeStream(""), "");
  EXPECT_EQ(windows1252ToUtf8(""), "");
}

TEST(Utf8ToWindows1252, RoundTripsEverythingTheCodePageHolds) {
  std::string all;
  for (int byte = 1; byte < 256; ++byte) {
    if (byte == 0x81 || byte == 0x8D || byte == 0x8F || byte == 0x90 || byte == 0x9D) continue;
    all += static_cast<char>(byte);
  }
  EXPECT_EQ(utf8ToWindows1252(windows1252ToUtf8(all)), all);
  EXPECT_EQ(utf8ToWindows1252("£5 – “Zoë”"),
            "\xA3"
            "5 \x96 \x93Zo\xEB\x94");
}

TEST(Utf8ToWindows1252, WhatItCannotHoldBecomesTheReplacement) {
  EXPECT_EQ(utf8ToWindows1252("Łukasz"), "?ukasz");
  EXPECT_EQ(utf8ToWindows1252("日本", '_'), "__");
  EXPECT_EQ(utf8ToWindows1252("😀"), "?");
  EXPECT_EQ(utf8ToWindows1252("a\xFF"
                              "b"),
            "a?b");                                   // invalid UTF-8
  EXPECT_EQ(utf8ToWindows1252("a\xC3"), "a?");        // truncated sequence
  EXPECT_EQ(utf8ToWindows1252("\xC0\xAF"), "??");     // overlong
  EXPECT_EQ(utf8ToWindows1252("\xEF\xBF\xBD"), "?");  // U+FFFD has no byte
}

}  // namespace
}  // namespace cohortwatch::connectors
