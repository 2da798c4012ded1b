#include "channels/mail_headers.h"

#include <fmt/format.h>
#include <sys/random.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "channels/base64.h"

namespace cohortwatch::channels::mail {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kHex = "0123456789ABCDEF";
// RFC 5322 2.1.1: lines SHOULD be at most 78 characters.
constexpr std::size_t kFoldAt = 78;
// Bytes of UTF-8 per encoded word: 39 bytes are 52 base64 characters, a 64-character word, so
// "Subject: " and one word stay within 78 columns (RFC 2047 allows 75 per word).
constexpr std::size_t kEncodedWordBytes = 39;
constexpr std::size_t kQuotedPrintableLine = 76;

bool isAsciiPrintable(char c) {
  return c >= 0x20 && c < 0x7F;
}

bool needsEncoding(std::string_view text) {
  return !std::all_of(text.begin(), text.end(), isAsciiPrintable) ||
         text.find("=?") != std::string_view::npos;
}

// Control characters (line breaks above all) become spaces: a header value can never start
// another header.
std::string flattenControls(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return out;
}

// The UTF-8 text cut into pieces of at most `limit` bytes, never inside a multi-byte sequence.
std::vector<std::string_view> utf8Chunks(std::string_view text, std::size_t limit) {
  std::vector<std::string_view> chunks;
  while (!text.empty()) {
    std::size_t end = std::min(limit, text.size());
    if (end < text.size()) {
      std::size_t cut = end;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;
      if (cut > 0) end = cut;  // else: not UTF-8 at all; cut anyway rather than loop
    }
    chunks.push_back(text.substr(0, end));
    text.remove_prefix(end);
  }
  return chunks;
}

std::vector<std::string> encodedWords(std::string_view utf8) {
  std::vector<std::string> words;
  for (const auto chunk : utf8Chunks(utf8, kEncodedWordBytes)) {
    words.push_back("=?UTF-8?B?" + encodeBase64(chunk) + "?=");
  }
  return words;
}

// RFC 5322 atext, plus the space between words of a phrase.
bool isPhraseAtomChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~ ").find(c) != std::string_view::npos;
}

std::string phrase(std::string_view name) {
  std::string flat = flattenControls(name);
  if (needsEncoding(flat)) {
    std::string out;
    for (const auto& word : encodedWords(flat)) {
      if (!out.empty()) out += ' ';
      out += word;
    }
    return out;
  }
  if (std::all_of(flat.begin(), flat.end(), isPhraseAtomChar) && flat.front() != ' ' &&
      flat.back() != ' ' && flat.find("  ") == std::string::npos) {
    return flat;
  }
  std::string quoted = "\"";
  for (const char c : flat) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

// Lone LF or CR become CRLF: SMTP requires CRLF, and quoted-printable treats only CRLF as a line
// break (libcurl's encoder would write a bare LF as "=0A", one endless logical line).
std::string toCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += kCrlf;
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += kCrlf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool isToken(std::string_view text) {
  // RFC 2045 token characters: a Content-Type or Content-ID that is not one is replaced.
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c > 0x20 && c < 0x7F &&
           std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
  });
}

std::string safeContentType(std::string_view type) {
  const auto slash = type.find('/');
  if (slash == std::string_view::npos || !isToken(type.substr(0, slash)) ||
      !isToken(type.substr(slash + 1))) {
    return "application/octet-stream";
  }
  return std::string(type);
}

bool isValidContentId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return c > 0x20 && c < 0x7F && c != '<' && c != '>';
  });
}

// Fills `buffer` from the kernel's pool (blocking only until the pool is first initialised at
// boot); false when that cannot be done (getrandom refused by a seccomp filter, say).
bool fillRandom(std::span<unsigned char> buffer) {
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t got = ::getrandom(buffer.data() + filled, buffer.size() - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    filled += static_cast<std::size_t>(got);  // a signal can cut a large request short
  }
  return true;
}

std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (!fillRandom(buffer)) {
    // Uniqueness is what matters here, not secrecy: fall back on the clock.
    const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
    for (std::size_t i = 0; i < bytes; ++i) {
      buffer[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(ticks) >> ((i % 8) * 8));
    }
  }
  std::string out;
  for (const unsigned char b : buffer) {
    out.push_back(kHex[b >> 4U]);
    out.push_back(kHex[b & 0x0FU]);
  }
  return out;
}

MimePart textPart(std::string_view subtype, std::string_view text) {
  MimePart part;
  part.content_type = fmt::format("text/{}; charset=UTF-8", subtype);
  part.encoding = MimePart::Encoding::kQuotedPrintable;
  part.body = toCrlf(text);
  return part;
}

MimePart filePart(const Attachment& attachment, bool is_inline) {
  MimePart part;
  part.content_type = safeContentType(attachment.content_type);
  part.encoding = MimePart::Encoding::kBase64;
  part.body = attachment.data;
  part.headers.push_back(
      "Content-Disposition: " +
      contentDisposition(is_inline ? "inline" : "attachment", attachment.filename));
  if (is_inline) part.headers.push_back("Content-ID: <" + attachment.content_id + ">");
  return part;
}

void renderPart(const MimePart& part, std::string_view salt, int depth, std::string& out);

std::string boundaryFor(std::string_view salt, int depth) {
  // "=_" never occurs in quoted-printable or base64 output, so the boundary cannot either.
  return fmt::format("=_cw_{}_{}", salt, depth);
}

// Writes the part; the CRLF before the next boundary belongs to the boundary (RFC 2046 5.1.1).
void renderPart(const MimePart& part, std::string_view salt, int depth, std::string& out) {
  if (part.isMultipart()) {
    const std::string boundary = boundaryFor(salt, depth);
    out += fmt::format("Content-Type: {}; boundary=\"{}\"\r\n", part.content_type, boundary);
    for (const auto& header : part.headers) {
      out += header;
      out += kCrlf;
    }
    out += kCrlf;
    for (const auto& child : part.parts) {
      out += "--";
      out += boundary;
      out += kCrlf;
      renderPart(child, salt, depth + 1, out);
      out += kCrlf;
    }
    out += "--";
    out += boundary;
    out += "--";
    return;
  }
  out += "Content-Type: " + part.content_type + "\r\n";
  switch (part.encoding) {
    case MimePart::Encoding::kQuotedPrintable:
      out += "Content-Transfer-Encoding: quoted-printable\r\n";
      break;
    case MimePart::Encoding::kBase64: out += "Content-Transfer-Encoding: base64\r\n"; break;
    case MimePart::Encoding::kNone: break;
  }
  for (const auto& header : part.headers) {
    out += header;
    out += kCrlf;
  }
  out += kCrlf;
  std::string body;
  switch (part.encoding) {
    case MimePart::Encoding::kQuotedPrintable: body = encodeQuotedPrintable(part.body); break;
    case MimePart::Encoding::kBase64: body = encodeBase64Lines(part.body); break;
    case MimePart::Encoding::kNone: body = part.body; break;
  }
  // Base64's last line break is dropped (the CRLF before the boundary ends that line); text keeps
  // its own, as libcurl does, so a text that ends with a line break decodes with it.
  if (part.encoding == MimePart::Encoding::kBase64 && body.ends_with(kCrlf)) {
    body.resize(body.size() - kCrlf.size());
  }
  out += body;
}

}  // namespace

std::string formatDate(std::chrono::system_clock::time_point time) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto whole = std::chrono::floor<std::chrono::seconds>(time);
  const auto day = std::chrono::floor<std::chrono::days>(whole);
  const std::chrono::year_month_day date{day};
  const std::chrono::weekday weekday{day};
  const std::chrono::hh_mm_ss clock{whole - day};
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[weekday.c_encoding()],
                     static_cast<unsigned>(date.day()),
                     kMonths[static_cast<unsigned>(date.month()) - 1],
                     static_cast<int>(date.year()), clock.hours().count(), clock.minutes().count(),
                     clock.seconds().count());
}

bool isValidAddress(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  return std::all_of(address.begin(), address.end(), [](char c) {
    return c > 0x20 && c < 0x7F &&
           std::string_view("<>()[],;:\"\\").find(c) == std::string_view::npos;
  });
}

std::string formatMailbox(const Mailbox& mailbox) {
  if (mailbox.name.empty()) return mailbox.address;
  return phrase(mailbox.name) + " <" + mailbox.address + ">";
}

std::string formatUnstructured(std::string_view name, std::string_view utf8_value) {
  const std::string flat = flattenControls(utf8_value);
  std::string out = std::string(name) + ":";
  std::size_t line_start = 0;
  const auto append = [&](std::string_view word) {
    // Each word is preceded by one space; fold (CRLF before that space) when the line would
    // grow past 78 columns and something is already on it.
    const std::size_t line_length = out.size() - line_start;
    if (line_length + 1 + word.size() > kFoldAt && line_length > name.size() + 1 && !word.empty()) {
      out += kCrlf;
      line_start = out.size();
    }
    out += ' ';
    out += word;
  };
  if (needsEncoding(flat)) {
    for (const auto& word : encodedWords(flat)) append(word);
    return out;
  }
  // ASCII: fold only at the spaces there are, keeping every space (a folded line's leading space
  // is the original one).
  std::string_view rest = flat;
  if (rest.empty()) return out + " ";
  // The first word follows "Name:" with the value's own leading spaces kept.
  std::vector<std::string_view> words;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == ' ') {
      words.push_back(rest.substr(start, i - start));
      start = i + 1;
    }
  }
  for (const auto word : words) append(word);
  return out;
}

std::string formatAddressList(std::string_view name, const std::vector<Mailbox>& mailboxes) {
  std::string out = std::string(name) + ":";
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < mailboxes.size(); ++i) {
    const std::string item = formatMailbox(mailboxes[i]) + (i + 1 < mailboxes.size() ? "," : "");
    const std::size_t line_length = out.size() - line_start;
    if (line_length + 1 + item.size() > kFoldAt && i > 0) {
      out += kCrlf;
      line_start = out.size();
    }
    out += ' ';
    out += item;
  }
  return out;
}

std::string contentDisposition(std::string_view disposition, std::string_view filename) {
  std::string out(disposition);
  if (filename.empty()) return out;
  const std::string flat = flattenControls(filename);
  if (std::all_of(flat.begin(), flat.end(), isAsciiPrintable)) {
    out += "; filename=\"";
    for (const char c : flat) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out += "\"";
    return out;
  }
  // RFC 2231 extended value: attr-chars as they are, everything else percent-encoded.
  out += "; filename*=UTF-8''";
  for (const char c : flat) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                       (byte >= '0' && byte <= '9') ||
                       std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    if (plain) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0x0FU]);
    }
  }
  return out;
}

std::string encodeQuotedPrintable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t line_length = 0;
  const auto emit = [&](std::string_view piece) {
    // Soft break when the piece would not fit before the '=' that a soft break needs.
    if (line_length + piece.size() > kQuotedPrintableLine - 1) {
      out += "=\r\n";
      line_length = 0;
    }
    out += piece;
    line_length += piece.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      out += kCrlf;
      line_length = 0;
      ++i;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    const bool at_line_end =
        i + 1 == text.size() || (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n');
    const bool literal =
        (byte > 0x20 && byte < 0x7F && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    // A '.' opening a line is encoded too, so that a line of one dot means nothing to SMTP
    // software that reads the spooled file.
    if (literal && !(c == '.' && line_length == 0)) {
      emit(std::string_view(&text[i], 1));
    } else {
      const std::array<char, 3> encoded = {'=', kHex[byte >> 4U], kHex[byte & 0x0FU]};
      emit(std::string_view(encoded.data(), encoded.size()));
    }
  }
  return out;
}

std::string encodeBase64Lines(std::string_view data) {
  const std::string encoded = encodeBase64(data);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / 38 + 2);
  for (std::size_t at = 0; at < encoded.size(); at += kQuotedPrintableLine) {
    out += std::string_view(encoded).substr(at, kQuotedPrintableLine);
    out += kCrlf;
  }
  return out;
}

ComposeResult composeMail(const EmailMessage& message, const MailDefaults& defaults,
                          std::chrono::system_clock::time_point now) {
  ComposeResult result;
  ComposedMail& mail = result.mail;
  const auto fail = [&](std::string error) {
    result.error = std::move(error);
    return result;
  };

  Mailbox from = message.from;
  if (from.address.empty()) from = Mailbox{defaults.from_name, defaults.from_address};
  if (from.address.empty()) return fail("the message has no sender address (from_address)");
  if (!isValidAddress(from.address)) return fail("the sender address is not a valid address");
  if (message.to.empty()) return fail("the message has no recipient");
  for (std::size_t i = 0; i < message.to.size(); ++i) {
    if (!isValidAddress(message.to[i].address)) {
      return fail(
          fmt::format("recipient {} of {} is not a valid address", i + 1, message.to.size()));
    }
    mail.envelope_to.push_back(message.to[i].address);
  }
  // The envelope sender is the configured one when there is one (the account the relay lets us
  // send as); the From header is the message's own.
  mail.envelope_from = defaults.from_address.empty() ? from.address : defaults.from_address;
  if (!isValidAddress(mail.envelope_from)) {
    return fail("the configured from_address is not a valid address");
  }

  std::optional<Mailbox> reply_to = message.reply_to;
  if (!reply_to && !defaults.reply_to.empty()) reply_to = Mailbox{"", defaults.reply_to};
  if (reply_to && !isValidAddress(reply_to->address)) {
    return fail("the reply-to address is not a valid address");
  }

  mail.message_id = message.message_id;
  if (mail.message_id.empty()) {
    mail.message_id =
        "<cohortwatch." + randomHex(16) + from.address.substr(from.address.rfind('@')) + ">";
  }
  if (!mail.message_id.starts_with('<')) mail.message_id = "<" + mail.message_id + ">";
  const std::string_view id_inside =
      std::string_view(mail.message_id).substr(1, mail.message_id.size() - 2);
  if (!mail.message_id.ends_with('>') || id_inside.find('@') == std::string_view::npos ||
      !isValidContentId(id_inside)) {
    return fail("the Message-ID is not of the form <left@right>");
  }

  std::string date = flattenControls(message.date);
  if (date.empty()) date = formatDate(now);

  mail.headers.push_back("Date: " + date);
  mail.headers.push_back("From: " + formatMailbox(from));
  if (reply_to) mail.headers.push_back("Reply-To: " + formatMailbox(*reply_to));
  mail.headers.push_back(formatAddressList("To", message.to));
  mail.headers.push_back(formatUnstructured("Subject", message.subject));
  mail.headers.push_back("Message-ID: " + mail.message_id);
  mail.headers.emplace_back("MIME-Version: 1.0");

  // The readable body: text, or text and HTML as alternatives, the HTML with its inline images.
  std::vector<const Attachment*> inline_images;
  std::vector<const Attachment*> files;
  for (const auto& attachment : message.attachments) {
    if (attachment.content_id.empty() || message.html.empty()) {
      files.push_back(&attachment);
    } else if (!isValidContentId(attachment.content_id)) {
      return fail("an inline attachment's content id is not valid");
    } else {
      inline_images.push_back(&attachment);
    }
  }
  MimePart body;
  if (message.html.empty()) {
    body = textPart("plain", message.text);
  } else {
    MimePart html = textPart("html", message.html);
    if (!inline_images.empty()) {
      MimePart related;
      related.content_type = "multipart/related";
      related.parts.push_back(std::move(html));
      for (const Attachment* image : inline_images) {
        related.parts.push_back(filePart(*image, /*is_inline=*/true));
      }
      html = std::move(related);
    }
    body.content_type = "multipart/alternative";
    body.parts.push_back(textPart("plain", message.text));
    body.parts.push_back(std::move(html));
  }

  if (files.empty() && body.isMultipart()) {
    mail.root = std::move(body);
  } else {
    mail.root.content_type = "multipart/mixed";
    mail.root.parts.push_back(std::move(body));
    for (const Attachment* file : files) {
      mail.root.parts.push_back(filePart(*file, /*is_inline=*/false));
    }
  }
  return result;
}

std::string renderMail(const ComposedMail& mail) {
  // Boundaries differ per message (a message quoted inside another never clashes) and per level.
  const std::string salt = randomHex(8);
  std::string out;
  for (const auto& header : mail.headers) {
    out += header;
    out += kCrlf;
  }
  renderPart(mail.root, salt, 0, out);
  out += kCrlf;
  return out;
}

}  // namespace cohortwatch::channels::mail
