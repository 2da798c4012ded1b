// A real HTTPS server for tests: tests/support/https_server.py (Python's http.server behind ssl)
// run as a child process on 127.0.0.1, on a port the kernel picks, with a self-signed certificate
// made by the openssl command line (makeSelfSignedCertificate). Every GET is answered 200 with
// the same CSV body. For what only real TLS shows: a certificate that is or is not trusted.
//
// It lives in a temporary folder of its own (certificate, key, body, log), removed by the
// destructor, which stops the server (SIGTERM, then SIGKILL). The interpreter is /usr/bin/python3,
// or $COHORTWATCH_TEST_PYTHON.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace cohortwatch::test_support {

class HttpsTestServer {
 public:
  // Starts the server and waits (up to 15 s) until it listens; throws std::runtime_error with its
  // log when it cannot.
  explicit HttpsTestServer(std::string body);
  ~HttpsTestServer();
  HttpsTestServer(const HttpsTestServer&) = delete;
  HttpsTestServer& operator=(const HttpsTestServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "https://127.0.0.1:<port><target>"; the certificate is valid for 127.0.0.1 and localhost.
  std::string url(std::string_view target) const;
  // The self-signed certificate (PEM): the CA bundle that makes the server trusted.
  std::filesystem::path caFile() const { return cert_; }
  std::string log() const;  // the server's stderr, for failure messages

 private:
  std::filesystem::path folder_;
  std::filesystem::path cert_;
  std::filesystem::path key_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace cohortwatch::test_support
