// A real SMTP server for tests: tests/support/smtp_server.py (Debian's python3-aiosmtpd) run as
// a child process on 127.0.0.1, with STARTTLS or implicit TLS on a self-signed certificate made
// by the openssl command line, AUTH, and faults on request. Everything it accepts lands in its
// maildir, listed by received(); parseMail() reads a message back through Python's standard
// email parser (tests/support/parse_mail.py) and returns that script's JSON.
//
// It lives in a temporary folder of its own, removed by the destructor. start() returns once
// the server listens (it writes its port to a file), or throws with the server's log; stop()
// sends SIGTERM, then SIGKILL after a grace period; start() again listens on the same port, so a
// test can have the server absent at first and started later. The interpreter is /usr/bin/python3
// (the Debian one, with python3-aiosmtpd), or $COHORTWATCH_TEST_PYTHON.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace cohortwatch::test_support {

struct SmtpTestServerOptions {
  enum class Tls { kNone, kStartTls, kImplicit };
  Tls tls = Tls::kNone;
  std::string username;  // AUTH required when set (only after TLS when TLS is on)
  std::string password;
  int fail_first = 0;                       // 451 to the message data of the first N transactions
  std::vector<std::string> reject_rcpt;     // 550 to RCPT TO for these addresses
  std::string reject_sender;                // 553 to MAIL FROM for this address
  std::chrono::milliseconds stall_data{0};  // wait this long before replying to the data
  std::uint16_t port = 0;                   // 0: the kernel picks; kept across restarts
};

struct ReceivedMail {
  std::filesystem::path eml;  // the message data exactly as received
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
  std::string data;  // the file's contents
};

class SmtpTestServer {
 public:
  // Prepares the folder and, for TLS, the certificate; does not start the server.
  explicit SmtpTestServer(SmtpTestServerOptions options = {});
  ~SmtpTestServer();
  SmtpTestServer(const SmtpTestServer&) = delete;
  SmtpTestServer& operator=(const SmtpTestServer&) = delete;

  // Starts the server and waits (up to 15 s) until it listens; throws std::runtime_error with its
  // log when it cannot. After a stop(), listens on the same port again.
  void start();
  // SIGTERM, then SIGKILL when it has not exited within 3 s. No-op when not running.
  void stop();
  bool running() const;

  std::uint16_t port() const;  // the port it listens (or last listened, or will listen) on
  // "smtp://127.0.0.1:<port>" or, with implicit TLS, "smtps://127.0.0.1:<port>".
  std::string url() const;
  // The self-signed certificate (PEM) to trust as ca_file; empty without TLS.
  std::filesystem::path caFile() const;
  std::filesystem::path folder() const;  // the temporary folder (certificates, maildir, log)

  // The messages received so far, oldest first.
  std::vector<ReceivedMail> received() const;
  // True once at least `count` messages have been received.
  bool waitForMessages(std::size_t count, std::chrono::milliseconds timeout) const;
  std::string log() const;  // the server's stderr, for failure messages

 private:
  SmtpTestServerOptions options_;
  std::filesystem::path folder_;
  std::filesystem::path cert_;
  std::filesystem::path key_;
  pid_t pid_ = -1;
};

// Runs tests/support/parse_mail.py on the file and returns the JSON it prints; throws
// std::runtime_error when the script fails.
std::string parseMail(const std::filesystem::path& eml);

// Writes a self-signed certificate and key (PEM, valid for localhost and 127.0.0.1) into the
// folder with the openssl command line; returns {certificate, key}.
std::pair<std::filesystem::path, std::filesystem::path> makeSelfSignedCertificate(
    const std::filesystem::path& folder);

// A TCP listener on 127.0.0.1 that never accepts: connections complete (the kernel's backlog)
// but nothing is ever read or answered, as with a hung server. Closed by the destructor.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace cohortwatch::test_support
