#include "tests/support/smtp_test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include "tests/support/child_process.h"

namespace cohortwatch::test_support {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Runs a command to completion; returns its exit status and stdout (stderr goes to err_path).
int run(const std::vector<std::string>& args, std::string& out, const fs::path& err_path) {
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe");
  }
  const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (err_fd < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw std::system_error(errno, std::generic_category(), "open " + err_path.string());
  }
  const pid_t pid = spawnChild(args, pipe_fds[1], err_fd);
  ::close(pipe_fds[1]);
  ::close(err_fd);
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::pair<fs::path, fs::path> makeSelfSignedCertificate(const fs::path& folder) {
  const fs::path cert = folder / "cert.pem";
  const fs::path key = folder / "key.pem";
  std::string out;
  const std::vector<std::string> args = {"/usr/bin/openssl",
                                         "req",
                                         "-x509",
                                         "-newkey",
                                         "ec",
                                         "-pkeyopt",
                                         "ec_paramgen_curve:prime256v1",
                                         "-nodes",
                                         "-days",
                                         "2",
                                         "-subj",
                                         "/CN=localhost",
                                         "-addext",
                                         "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                         "-keyout",
                                         key.string(),
                                         "-out",
                                         cert.string()};
  const fs::path err = folder / "openssl.log";
  if (run(args, out, err) != 0 || !fs::exists(cert) || !fs::exists(key)) {
    throw std::runtime_error("openssl could not make a test certificate: " + readTextFile(err));
  }
  return {cert, key};
}

std::string parseMail(const fs::path& eml) {
  std::string out;
  const fs::path err = eml.string() + ".parse.log";
  const int status =
      run({testPython(), (supportDir() / "parse_mail.py").string(), eml.string()}, out, err);
  std::error_code ignored;
  const std::string errors = readTextFile(err);
  fs::remove(err, ignored);
  if (status != 0) {
    throw std::runtime_error("parse_mail.py " + eml.string() + " failed (" +
                             std::to_string(status) + "): " + errors);
  }
  return out;
}

SmtpTestServer::SmtpTestServer(SmtpTestServerOptions options)
    : options_(std::move(options)), folder_(makeTempFolder("cohortwatch-smtp-")) {
  fs::create_directories(folder_ / "maildir");
  if (options_.tls != SmtpTestServerOptions::Tls::kNone) {
    std::tie(cert_, key_) = makeSelfSignedCertificate(folder_);
  }
}

SmtpTestServer::~SmtpTestServer() {
  stop();
  std::error_code ignored;
  fs::remove_all(folder_, ignored);
}

void SmtpTestServer::start() {
  if (running()) return;
  const fs::path port_file = folder_ / "port";
  std::error_code ignored;
  fs::remove(port_file, ignored);

  std::vector<std::string> args = {testPython(),  (supportDir() / "smtp_server.py").string(),
                                   "--port",      std::to_string(options_.port),
                                   "--port-file", port_file.string(),
                                   "--maildir",   (folder_ / "maildir").string()};
  if (options_.tls != SmtpTestServerOptions::Tls::kNone) {
    args.insert(args.end(), {"--tls-cert", cert_.string(), "--tls-key", key_.string()});
    if (options_.tls == SmtpTestServerOptions::Tls::kImplicit) args.emplace_back("--implicit-tls");
  }
  if (!options_.username.empty()) {
    args.insert(args.end(), {"--auth", options_.username + ":" + options_.password});
  }
  if (options_.fail_first > 0) {
    args.insert(args.end(), {"--fail-first", std::to_string(options_.fail_first)});
  }
  for (const auto& address : options_.reject_rcpt) {
    args.insert(args.end(), {"--reject-rcpt", address});
  }
  if (!options_.reject_sender.empty()) {
    args.insert(args.end(), {"--reject-sender", options_.reject_sender});
  }
  if (options_.stall_data.count() > 0) {
    args.insert(args.end(),
                {"--stall-data",
                 std::to_string(static_cast<double>(options_.stall_data.count()) / 1000.0)});
  }

  const fs::path log_path = folder_ / "server.log";
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) throw std::system_error(errno, std::generic_category(), "open server.log");
  pid_ = spawnChild(args, log_fd, log_fd);
  ::close(log_fd);

  try {
    options_.port = waitForListeningPort(pid_, port_file, "SMTP", log_path);
  } catch (...) {
    stop();
    throw;
  }
}

void SmtpTestServer::stop() {
  if (pid_ <= 0) return;
  stopChild(pid_);
  pid_ = -1;
}

bool SmtpTestServer::running() const {
  return pid_ > 0;
}

std::uint16_t SmtpTestServer::port() const {
  return options_.port;
}

std::string SmtpTestServer::url() const {
  const char* scheme = options_.tls == SmtpTestServerOptions::Tls::kImplicit ? "smtps" : "smtp";
  return std::string(scheme) + "://127.0.0.1:" + std::to_string(options_.port);
}

fs::path SmtpTestServer::caFile() const {
  return cert_;
}

fs::path SmtpTestServer::folder() const {
  return folder_;
}

std::vector<ReceivedMail> SmtpTestServer::received() const {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder_ / "maildir", error)) {
    if (entry.path().extension() == ".eml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<ReceivedMail> mails;
  for (const auto& file : files) {
    ReceivedMail mail;
    mail.eml = file;
    mail.data = readTextFile(file);
    fs::path sidecar = file;
    sidecar.replace_extension(".json");
    const auto envelope = nlohmann::json::parse(readTextFile(sidecar), nullptr, false);
    if (envelope.is_object()) {
      mail.mail_from = envelope.value("mail_from", "");
      mail.rcpt_tos = envelope.value("rcpt_tos", std::vector<std::string>{});
    }
    mails.push_back(std::move(mail));
  }
  return mails;
}

bool SmtpTestServer::waitForMessages(std::size_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (received().size() >= count) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

std::string SmtpTestServer::log() const {
  return readTextFile(folder_ / "server.log");
}

SilentListener::SilentListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd_, 16) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd_);
    throw std::system_error(error, std::generic_category(), "listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
}

SilentListener::~SilentListener() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cohortwatch::test_support
