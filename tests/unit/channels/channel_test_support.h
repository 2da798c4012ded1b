// What the channel tests share: a review e-mail with everything a real one can have (non-ASCII
// names and subject, text and HTML, a CSV and a PNG attachment, an inline chart), temporary
// folders, and SHA-256 for comparing attachments with what a parser got back.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "channels/message.h"

namespace cohortwatch::channels::testing_support {

namespace fs = std::filesystem;

inline std::string sha256Hex(const std::string& data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4U]);
    out.push_back(kHex[digest[i] & 0x0FU]);
  }
  return out;
}

// Bytes that exercise base64 fully: a PNG signature, then every byte value, `repeat` times.
inline std::string binaryImage(int repeat) {
  std::string data = "\x89PNG\r\n\x1a\n";
  for (int r = 0; r < repeat; ++r) {
    for (int b = 0; b < 256; ++b) data.push_back(static_cast<char>(b));
  }
  return data;
}

// A line longer than SMTP's 998-character limit, which must arrive whole.
inline std::string longLine() {
  std::string line;
  for (int i = 0; i < 150; ++i) line += "cohort" + std::to_string(i) + " ";
  return line;  // about 1200 characters
}

inline EmailMessage reviewEmail() {
  EmailMessage message;
  message.message_id = "<outbox-42.7f3a9c@cohortwatch.test>";
  message.from = {"cohortwatch (YOT alerts)", "alerts@yot.example.org"};
  message.reply_to = Mailbox{"YOT data team", "data@yot.example.org"};
  message.to = {{"Siân Jones", "sian.jones@yot.example.org"},
                {"Zoë Ångström", "zoe.angstrom@yot.example.org"},
                {"Bob \"Duty\" Manager", "bob@yot.example.org"}};
  message.subject =
      "Zoë Ångström — review: 3 children in the 2025Q1 cohort reoffended, follow-up ends in "
      "12 days";
  message.text =
      "Hello Siân,\n"
      "\n"
      "Three children in the 2025Q1 cohort have a proven reoffence.\n"
      ".\n"
      "A line that ends with a space \n"
      "Equals = signs and tabs\tstay as they are.\n" +
      longLine() +
      "\n"
      "— cohortwatch\n";
  message.html =
      "<!DOCTYPE html><html><body><p>Hello Siân,</p><p>Three children in the 2025Q1 cohort "
      "have a proven reoffence.</p><img src=\"cid:chart-1@cohortwatch\" alt=\"chart\"></body>"
      "</html>\n";
  message.attachments.push_back({"review-list.csv", "text/csv",
                                 "reference,index_date,reoffended\r\nC-001,2025-01-14,yes\r\n",
                                 ""});
  message.attachments.push_back({"rates.png", "image/png", binaryImage(12), ""});
  message.attachments.push_back({"chart.png", "image/png", binaryImage(3), "chart-1@cohortwatch"});
  message.date = "Thu, 03 Dec 2026 18:00:00 +0000";
  return message;
}

// Line breaks as Python hands them back (it keeps the CRLF of the wire); compared as LF.
inline std::string unixLines(std::string text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out.push_back(text[i]);
  }
  return out;
}

class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "cohortwatch-channels-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void writeFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

}  // namespace cohortwatch::channels::testing_support
