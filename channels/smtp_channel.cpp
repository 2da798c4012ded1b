#include "channels/smtp_channel.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "channels/mail_headers.h"
#include "worker/curl_easy.h"

namespace cohortwatch::channels {

namespace {

using Status = Delivery::Status;

// How much of a server reply goes into a detail.
constexpr std::size_t kReplyBytes = 200;

using worker::appendLine;
using worker::CurlList;

struct MimeDeleter {
  void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};
using MimeHandle = std::unique_ptr<curl_mime, MimeDeleter>;

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

// One line of text for a detail: controls flattened, cut at a UTF-8 boundary.
std::string oneLine(std::string_view text, std::size_t limit) {
  std::string out(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  bool cut = false;
  if (out.size() > limit) {
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0U) == 0x80U) --end;
    out.resize(end);
    cut = true;
  }
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  if (cut) out += "...";
  return out;
}

// "host:port" of the configured URL, for details (the URL itself could carry credentials).
std::string hostOf(const std::string& url_text) {
  const std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (!url || curl_url_set(url.get(), CURLUPART_URL, url_text.c_str(), 0) != CURLUE_OK) {
    return "the SMTP server";
  }
  const auto part = [&](CURLUPart which) -> std::string {
    char* raw = nullptr;
    if (curl_url_get(url.get(), which, &raw, CURLU_DEFAULT_PORT) != CURLUE_OK || raw == nullptr) {
      return {};
    }
    std::string value(raw);
    curl_free(raw);
    return value;
  };
  const std::string host = part(CURLUPART_HOST);
  const std::string port = part(CURLUPART_PORT);
  if (host.empty()) return "the SMTP server";
  return port.empty() ? host : host + ":" + port;
}

std::string schemeOf(const std::string& url) {
  const auto colon = url.find("://");
  if (colon == std::string::npos) return {};
  std::string scheme = url.substr(0, colon);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return scheme;
}

// What libcurl's verbose trace showed of the SMTP dialogue: which command each reply answered,
// which recipients were refused, and whether the message data had been sent. Only command verbs
// are kept from what was sent (the lines after AUTH carry credentials).
struct Dialogue {
  struct Reply {
    std::string command;  // the command it answered: "GREETING", "EHLO", "MAIL", "RCPT", "DATA"...
    int code = 0;
    std::string text;  // the whole final line, e.g. "550 5.1.1 No such user"
  };
  struct Refusal {
    std::string address;
    int code = 0;
    std::string text;
  };

  std::string command = "GREETING";
  std::string recipient;  // of the RCPT TO in flight
  std::optional<Reply> last_reply;
  std::vector<Refusal> refused;
  bool data_started = false;        // DATA answered 354: the message data follows
  std::optional<Reply> data_reply;  // the reply to the message data, once it came
  // libcurl says QUIT when it closes a connection after a failure: what the server answers to
  // that says nothing about the message.
  bool quitting = false;

  void sent(std::string_view line) {
    static constexpr std::array<std::string_view, 10> kVerbs = {
        "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "QUIT", "NOOP"};
    const std::string_view verb = line.substr(0, line.find_first_of(" \r\n"));
    if (std::find(kVerbs.begin(), kVerbs.end(), verb) == kVerbs.end()) return;  // credentials
    if (verb == "QUIT") quitting = true;
    if (quitting) return;
    command = std::string(verb);
    if (command == "RCPT") {
      const auto open = line.find('<');
      const auto close = line.find('>', open == std::string_view::npos ? 0 : open);
      recipient = open != std::string_view::npos && close != std::string_view::npos
                      ? std::string(line.substr(open + 1, close - open - 1))
                      : std::string();
    }
  }

  void received(std::string_view line) {
    if (quitting) return;
    // Only the final line of a reply counts: "250 ok", not "250-SIZE ...".
    if (line.size() < 3 ||
        !std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; })) {
      return;
    }
    if (line.size() > 3 && line[3] != ' ' && line[3] != '\r' && line[3] != '\n') return;
    Reply reply;
    reply.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    reply.text = oneLine(line, kReplyBytes);
    if (command == "DATA" && data_started) {
      reply.command = "the message data";
      data_reply = reply;
    } else {
      reply.command = command;
      if (command == "DATA" && reply.code == 354) data_started = true;
      if (command == "RCPT" && reply.code >= 400) {
        refused.push_back(Refusal{recipient, reply.code, reply.text});
      }
    }
    last_reply = std::move(reply);
  }
};

int onTrace(CURL* /*handle*/, curl_infotype type, char* data, std::size_t size, void* user) {
  auto& dialogue = *static_cast<Dialogue*>(user);
  const std::string_view text(data, size);
  if (type == CURLINFO_HEADER_OUT) {
    // One or more command lines.
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = text.find('\n', start);
      dialogue.sent(text.substr(start, end == std::string_view::npos ? text.npos : end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  } else if (type == CURLINFO_HEADER_IN) {
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = text.find('\n', start);
      dialogue.received(
          text.substr(start, end == std::string_view::npos ? text.npos : end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  return 0;
}

std::string_view encoderName(mail::MimePart::Encoding encoding) {
  switch (encoding) {
    case mail::MimePart::Encoding::kQuotedPrintable: return "quoted-printable";
    case mail::MimePart::Encoding::kBase64: return "base64";
    case mail::MimePart::Encoding::kNone: return {};
  }
  return {};
}

// The children of `multipart` as parts of `mime`, recursively.
CURLcode addParts(CURL* curl, curl_mime* mime, const mail::MimePart& multipart) {
  for (const auto& child : multipart.parts) {
    curl_mimepart* part = curl_mime_addpart(mime);
    if (part == nullptr) return CURLE_OUT_OF_MEMORY;
    CURLcode code = curl_mime_type(part, child.content_type.c_str());
    if (code != CURLE_OK) return code;
    if (child.isMultipart()) {
      MimeHandle sub(curl_mime_init(curl));
      if (!sub) return CURLE_OUT_OF_MEMORY;
      if ((code = addParts(curl, sub.get(), child)) != CURLE_OK) return code;
      if ((code = curl_mime_subparts(part, sub.get())) != CURLE_OK) return code;
      (void)sub.release();  // owned by the part now
    } else {
      if ((code = curl_mime_data(part, child.body.data(), child.body.size())) != CURLE_OK) {
        return code;
      }
      if (const auto encoder = encoderName(child.encoding); !encoder.empty()) {
        if ((code = curl_mime_encoder(part, std::string(encoder).c_str())) != CURLE_OK) {
          return code;
        }
      }
    }
    if (!child.headers.empty()) {
      CurlList headers;
      for (const auto& header : child.headers) {
        if (!appendLine(headers, header)) return CURLE_OUT_OF_MEMORY;
      }
      if ((code = curl_mime_headers(part, headers.get(), 1)) != CURLE_OK) return code;
      (void)headers.release();
    }
  }
  return CURLE_OK;
}

Delivery outcome(Status status, std::string detail, bool ambiguous = false) {
  Delivery delivery;
  delivery.status = status;
  delivery.detail = std::move(detail);
  delivery.ambiguous = ambiguous;
  return delivery;
}

std::string describeSecret(const config::SecretRef& ref) {
  return ref.kind == config::SecretRef::Kind::kFile
             ? fmt::format("the file {}", ref.location)
             : fmt::format("the environment variable {}", ref.location);
}

}  // namespace

struct SmtpChannel::Impl {
  config::SmtpChannelSettings settings;
  std::string host;
  worker::CurlHandle handle;
  worker::CurlErrorBuffer error_buffer{};

  Delivery send(const EmailMessage& message);
  Delivery classify(CURLcode code, const Dialogue& dialogue) const;
};

SmtpChannel::SmtpChannel(config::SmtpChannelSettings settings) : impl_(std::make_unique<Impl>()) {
  impl_->handle = worker::newCurlHandle();
  impl_->settings = std::move(settings);
  impl_->host = hostOf(impl_->settings.url);
}

SmtpChannel::~SmtpChannel() = default;
SmtpChannel::SmtpChannel(SmtpChannel&&) noexcept = default;
SmtpChannel& SmtpChannel::operator=(SmtpChannel&&) noexcept = default;

Delivery SmtpChannel::send(const EmailMessage& message) {
  return impl_->send(message);
}

Delivery SmtpChannel::Impl::send(const EmailMessage& message) {
  const std::string scheme = schemeOf(settings.url);
  if (scheme != "smtp" && scheme != "smtps") {
    // A configuration error: kept and retried, so that a corrected configuration delivers it.
    return outcome(Status::kRetry, "the SMTP channel's url must start with smtp:// or smtps://");
  }

  const mail::MailDefaults defaults{settings.from_name, settings.from_address, settings.reply_to};
  mail::ComposeResult composed =
      mail::composeMail(message, defaults, std::chrono::system_clock::now());
  if (!composed.error.empty()) return outcome(Status::kDead, composed.error);
  const mail::ComposedMail& mail = composed.mail;

  std::string password;
  if (settings.password) {
    config::SecretValue secret = config::resolveSecret(*settings.password);
    if (!secret.value) {
      return outcome(Status::kRetry,
                     fmt::format("cannot read the SMTP password ({}); the message is kept and "
                                 "retried once it can be read: {}",
                                 describeSecret(*settings.password), secret.error));
    }
    password = std::move(*secret.value);
  }


  CURL* curl = handle.get();
  // Reset, not a new handle: the connection and TLS session are kept between sends.
  curl_easy_reset(curl);

  CurlList headers;
  CurlList recipients;
  bool built = appendLine(headers, "Content-Type: " + mail.root.content_type);
  for (const auto& header : mail.headers) built = built && appendLine(headers, header);
  for (const auto& address : mail.envelope_to)
    built = built && appendLine(recipients, "<" + address + ">");
  const MimeHandle mime(curl_mime_init(curl));
  CURLcode code = built && mime ? addParts(curl, mime.get(), mail.root) : CURLE_OUT_OF_MEMORY;
  if (code != CURLE_OK) {
    return outcome(Status::kRetry,
                   fmt::format("cannot build the message: {}", curl_easy_strerror(code)));
  }
  const std::string mail_from = "<" + mail.envelope_from + ">";

  Dialogue dialogue;
  worker::setCommonOptions(curl, worker::connectionOf(settings), error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                   static_cast<long>(settings.timeout_seconds));
  if (scheme == "smtp") {
    curl_easy_setopt(
        curl, CURLOPT_USE_SSL,
        static_cast<long>(settings.require_starttls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  }
  if (!settings.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
  // Deliver to the recipients the server takes even when it refuses some (see the header).
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime.get());
  // The trace is how the replies are matched with their commands; nothing of it is printed.
  curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, onTrace);
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &dialogue);
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);

  code = curl_easy_perform(curl);

  // The handle keeps pointers to these until the next reset; detach them now that they are done.
  curl_easy_setopt(curl, CURLOPT_MIMEPOST, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(curl, CURLOPT_PASSWORD, "");
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 0L);

  Delivery delivery = classify(code, dialogue);
  if (!password.empty()) {
    for (auto at = delivery.detail.find(password); at != std::string::npos;
         at = delivery.detail.find(password, at)) {
      delivery.detail.replace(at, password.size(), "[redacted]");
    }
  }
  return delivery;
}

Delivery SmtpChannel::Impl::classify(CURLcode code, const Dialogue& dialogue) const {
  const std::string curl_error = error_buffer[0] != '\0' ? oneLine(error_buffer.data(), 300)
                                                         : std::string(curl_easy_strerror(code));
  const auto refusals = [&] {
    std::string text;
    for (const auto& refusal : dialogue.refused) {
      if (!text.empty()) text += "; ";
      text += fmt::format("{} ({})", refusal.address, refusal.text);
    }
    return text;
  };

  if (code == CURLE_OK) {
    const std::string reply = dialogue.data_reply ? dialogue.data_reply->text : "accepted";
    if (dialogue.refused.empty())
      return outcome(Status::kDelivered, fmt::format("{}: {}", host, reply));
    spdlog::warn("smtp channel {}: message delivered to all but {} recipient(s), refused: {}", host,
                 dialogue.refused.size(), refusals());
    return outcome(Status::kDelivered, fmt::format("{}: {}; refused recipients, not retried: {}",
                                                   host, reply, refusals()));
  }

  // The server's reply to the message data decides, when there was one.
  if (dialogue.data_reply) {
    const auto& reply = *dialogue.data_reply;
    if (reply.code >= 500) {
      return outcome(Status::kDead,
                     fmt::format("{}: the message was refused: {}", host, reply.text));
    }
    return outcome(Status::kRetry,
                   fmt::format("{}: the message was not taken: {}", host, reply.text));
  }
  if (dialogue.data_started) {
    return outcome(Status::kRetry,
                   fmt::format("{}: the connection failed after the message data was sent and "
                               "before the server's reply; it may have been delivered: {}",
                               host, curl_error),
                   /*ambiguous=*/true);
  }

  switch (code) {
    case CURLE_USE_SSL_FAILED:
      return outcome(Status::kRetry,
                     fmt::format("{}: the server does not offer STARTTLS and require_starttls is "
                                 "set, so nothing was sent; the message is kept and retried (fix "
                                 "the server, or use smtps://)",
                                 host));
    case CURLE_LOGIN_DENIED:
      return outcome(
          Status::kRetry,
          fmt::format("{}: authentication refused ({}): check the username and the "
                      "password; the message is kept and retried",
                      host, dialogue.last_reply ? dialogue.last_reply->text : curl_error));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return outcome(Status::kRetry,
                     fmt::format("the SMTP channel's url is not usable: {}", curl_error));
    default: break;
  }

  if (dialogue.last_reply && dialogue.last_reply->code >= 400) {
    const auto& reply = *dialogue.last_reply;
    if (reply.command == "RCPT") {
      // Every recipient was refused (some would have let the message through).
      const bool all_permanent =
          std::all_of(dialogue.refused.begin(), dialogue.refused.end(),
                      [](const Dialogue::Refusal& refusal) { return refusal.code >= 500; });
      return outcome(all_permanent ? Status::kDead : Status::kRetry,
                     fmt::format("{}: every recipient was refused: {}", host, refusals()));
    }
    if (reply.code == 530 || reply.command == "AUTH") {
      // "Authentication required": the settings lack a username, or the server offers no AUTH
      // over this connection.
      return outcome(Status::kRetry,
                     fmt::format("{}: the server requires authentication ({}): check the "
                                 "username and the password; the message is kept and retried",
                                 host, reply.text));
    }
    if (reply.command == "MAIL" && reply.code >= 500) {
      // Almost always about the configured from address, which the operator can fix: every
      // message would die until then, so keep them (they still die at the outbox's max age).
      return outcome(Status::kRetry,
                     fmt::format("{}: the sender was refused: {}: check smtp.from; the message "
                                 "is kept and retried",
                                 host, reply.text));
    }
    return outcome(Status::kRetry,
                   fmt::format("{}: {} answered {}", host, reply.command, reply.text));
  }
  // No connection, a timeout, a TLS failure, a dropped connection before the data.
  return outcome(Status::kRetry, fmt::format("{}: not delivered: {}", host, curl_error));
}

}  // namespace cohortwatch::channels
