#include "tests/support/https_test_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/smtp_test_server.h"  // makeSelfSignedCertificate

namespace cohortwatch::test_support {

namespace fs = std::filesystem;

HttpsTestServer::HttpsTestServer(std::string body) : folder_(makeTempFolder("cohortwatch-https-")) {
  try {
    std::tie(cert_, key_) = makeSelfSignedCertificate(folder_);
    const fs::path body_file = folder_ / "body.csv";
    std::ofstream(body_file, std::ios::binary) << body;

    // The script prints its port on stdout once it listens: stdout goes to a file, read until
    // that line is whole.
    const fs::path port_file = folder_ / "port";
    const fs::path log_path = folder_ / "server.log";
    const int port_fd = ::open(port_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (port_fd < 0 || log_fd < 0) {
      const int error = errno;
      if (port_fd >= 0) ::close(port_fd);
      if (log_fd >= 0) ::close(log_fd);
      throw std::system_error(error, std::generic_category(), "open " + folder_.string());
    }
    pid_ = spawnChild({testPython(), (supportDir() / "https_server.py").string(), "--cert",
                       cert_.string(), "--key", key_.string(), "--body-file", body_file.string()},
                      port_fd, log_fd);
    ::close(port_fd);
    ::close(log_fd);

    port_ = waitForListeningPort(pid_, port_file, "HTTPS", log_path);
  } catch (...) {
    // No destructor runs for an object whose constructor threw.
    stopChild(pid_);
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
    throw;
  }
}

HttpsTestServer::~HttpsTestServer() {
  stopChild(pid_);
  std::error_code ignored;
  fs::remove_all(folder_, ignored);
}

std::string HttpsTestServer::url(std::string_view target) const {
  return "https://127.0.0.1:" + std::to_string(port_) + std::string(target);
}

std::string HttpsTestServer::log() const {
  return readTextFile(folder_ / "server.log");
}

}  // namespace cohortwatch::test_support
