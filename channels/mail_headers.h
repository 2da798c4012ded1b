// The one description of an e-mail that both the SMTP channel and the file channel render: the
// header fields (RFC 5322, non-ASCII text as RFC 2047 encoded words, folded) and the MIME layout
// (which multiparts, which parts, which transfer encodings). SMTP hands the layout to libcurl's
// MIME API; the file channel writes the same layout itself, so the spooled .eml and the message
// on the wire are the same message. Nothing here touches the network or the disk.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "channels/message.h"

namespace cohortwatch::channels::mail {

// RFC 5322 date-time in UTC: "Thu, 03 Dec 2026 18:00:00 +0000".
std::string formatDate(std::chrono::system_clock::time_point time);

// A plain ASCII addr-spec as we accept it: local@domain, printable ASCII, no whitespace, no
// characters that would need quoting or could end the header ("<>()[],;:\"" and controls).
bool isValidAddress(std::string_view address);

// "Name <address>", the name as a phrase: ASCII names as atoms or a quoted-string, others as
// RFC 2047 encoded words ("=?UTF-8?B?...?="); just "address" when the name is empty.
// The address must already be valid.
std::string formatMailbox(const Mailbox& mailbox);

// A complete header field "Name: value" for unstructured text (Subject): ASCII text folded at
// spaces near 78 columns; text with non-ASCII bytes, control characters or "=?" as RFC 2047
// B-encoded words of at most 75 characters, never splitting a UTF-8 sequence, one per folded
// line. Line breaks in the value become spaces (no header injection).
std::string formatUnstructured(std::string_view name, std::string_view utf8_value);

// A complete "Name: a, b, c" header field for an address list, folded between mailboxes.
std::string formatAddressList(std::string_view name, const std::vector<Mailbox>& mailboxes);

// Content-Disposition value for a file name: `attachment; filename="x.csv"`, or with RFC 2231
// `filename*=UTF-8''...` when the name is not plain printable ASCII.
std::string contentDisposition(std::string_view disposition, std::string_view filename);

// Quoted-printable (RFC 2045 6.7) of text whose line breaks are CRLF: lines of at most 76
// characters (soft breaks), '=' and bytes outside printable ASCII as =XX, trailing white space
// encoded; it ends with a line break only when the text does. Used by the file channel; SMTP uses
// libcurl's own encoder.
std::string encodeQuotedPrintable(std::string_view text);
// Base64 in lines of 76 characters, each ended by CRLF.
std::string encodeBase64Lines(std::string_view data);

// One node of the MIME tree.
struct MimePart {
  enum class Encoding { kNone, kQuotedPrintable, kBase64 };
  // Leaves: the full value, e.g. "text/plain; charset=UTF-8". Multiparts: "multipart/mixed",
  // without a boundary (the renderer chooses one).
  std::string content_type;
  Encoding encoding = Encoding::kNone;  // leaves only
  std::vector<std::string> headers;     // more complete fields: Content-Disposition, Content-ID
  std::string body;                     // leaves: the raw (unencoded) bytes
  std::vector<MimePart> parts;          // non-empty: a multipart

  bool isMultipart() const { return !parts.empty(); }
};

// The message as it is sent. The root is always a multipart (libcurl's MIME API can only make
// multipart messages): multipart/mixed when there are attachments (or for a text-only message,
// a mixed with the one text part), else multipart/alternative (text + HTML). HTML with inline
// images is a multipart/related of the HTML and the images.
struct ComposedMail {
  // Complete header fields in order, possibly folded (CRLF + space): Date, From, Reply-To, To,
  // Subject, Message-ID, MIME-Version. The root's Content-Type is the renderer's to add.
  std::vector<std::string> headers;
  MimePart root;
  std::string envelope_from;             // MAIL FROM
  std::vector<std::string> envelope_to;  // RCPT TO, one per recipient
  std::string message_id;                // "<...>", as in the header
};

// Sender and Reply-To used when the message does not carry its own (the SMTP channel's
// settings); empty: none.
struct MailDefaults {
  std::string from_name;
  std::string from_address;
  std::string reply_to;
};

struct ComposeResult {
  ComposedMail mail;
  std::string error;  // non-empty: the message cannot be sent as it stands (no recipient, ...)
};

// Builds the message. Text and HTML get CRLF line breaks; the message's date, or `now` when it
// has none; its Message-ID, or a random one when it has none (then a retry would carry another:
// the dispatcher is expected to set it).
ComposeResult composeMail(const EmailMessage& message, const MailDefaults& defaults,
                          std::chrono::system_clock::time_point now);

// The whole message as RFC 5322 text with CRLF line breaks, the MIME tree written with the
// encodings it names: what the file channel spools.
std::string renderMail(const ComposedMail& mail);

}  // namespace cohortwatch::channels::mail
