// E-mail by SMTP with libcurl: one attempt per send(), the message laid out by mail::composeMail
// and built with libcurl's MIME API (its quoted-printable and base64 encoders). The dispatcher
// decides what to do with the Delivery; this only says what happened.
//
// Contract, in short:
//  - smtp:// with require_starttls: STARTTLS or nothing is sent (CURLUSESSL_ALL); without it, TLS
//    when offered (CURLUSESSL_TRY). smtps://: TLS from the first byte. Certificates are verified
//    (against ca_file when set) unless verify_tls is false.
//  - The password is read at each send (a rotated file is picked up). A secret that cannot be read
//    is kRetry, not kDead: the operator can fix the file, and the message should survive that.
//  - Envelope: MAIL FROM is the configured from_address (else the message's From); RCPT TO for
//    every recipient. From and Reply-To headers are the message's, else the settings'.
//  - Several recipients: the message goes to those the server accepts. When the server refuses
//    some but not all (RCPT answered 4xx/5xx), the message is delivered to the others, the result
//    is kDelivered and its detail names the refused addresses with the server's reply: a retry
//    would send it twice to everyone who already has it. A refused recipient is not retried here
//    (a per-recipient retry needs one outbox row per recipient). All refused: kDead when every
//    refusal is permanent (5xx), else kRetry.
//  - Classification: kDelivered on 2xx after the data. kRetry: no connection, a timeout or a broken
//    connection before the data, any TLS failure (STARTTLS not offered although required, an
//    untrusted certificate), authentication refused, a 4xx reply, a 5xx to the greeting or EHLO,
//    a configuration problem (bad url, unreadable password), a 5xx to MAIL FROM (the configured
//    sender: fixable, so messages wait for the fix until the outbox's max age). kRetry with ambiguous = true: the
//    connection failed after the server took DATA (354) and before its final reply, so it may
//    have queued the message; the retry carries the same Message-ID. kDead: 5xx to every RCPT TO, or
//    to the message data; a message that cannot be sent as it stands (no
//    recipient, an address that is not one).
//  - Details are one line: the server's reply code and text or libcurl's error, with the server's
//    host; never the message content or the password.
//  - Not thread-safe: one send at a time per SmtpChannel (the connection is reused between sends).
#pragma once

#include <memory>

#include "channels/message.h"
#include "config/settings.h"

namespace cohortwatch::channels {

class SmtpChannel {
 public:
  explicit SmtpChannel(config::SmtpChannelSettings settings);
  ~SmtpChannel();
  SmtpChannel(SmtpChannel&&) noexcept;
  SmtpChannel& operator=(SmtpChannel&&) noexcept;
  SmtpChannel(const SmtpChannel&) = delete;
  SmtpChannel& operator=(const SmtpChannel&) = delete;

  // One SMTP transaction. A message without a date is dated now (system clock).
  Delivery send(const EmailMessage& message);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohortwatch::channels
