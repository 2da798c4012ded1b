#include "channels/file_channel.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>  // mkstemp
#include <string>
#include <system_error>
#include <utility>

#include "channels/mail_headers.h"

namespace cohortwatch::channels {

namespace {

namespace fs = std::filesystem;
using Status = Delivery::Status;

// File names stay well within NAME_MAX (255) with the extension and a hash suffix.
constexpr std::size_t kMaxNameBytes = 160;

std::string errnoMessage(int error) {
  return std::error_code(error, std::generic_category()).message();
}

Delivery outcome(Status status, std::string detail) {
  Delivery delivery;
  delivery.status = status;
  delivery.detail = std::move(detail);
  return delivery;
}

// The id as a file name: angle brackets dropped, anything but [A-Za-z0-9._@+-] replaced, never
// empty, never hidden or "..", and cut (with a hash of the whole id, so that long ids sharing a
// prefix stay apart) when long.
std::string fileStem(std::string_view id) {
  if (id.starts_with('<') && id.ends_with('>') && id.size() >= 2) {
    id = id.substr(1, id.size() - 2);
  }
  std::string stem;
  for (const char c : id) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-' || c == '@' || c == '+';
    stem.push_back(keep ? c : '_');
  }
  if (stem.empty() || stem.front() == '.') stem.insert(stem.begin(), '_');
  if (stem.size() > kMaxNameBytes) {
    std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a
    for (const char c : id) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ULL;
    }
    stem = fmt::format("{}-{:016x}", stem.substr(0, kMaxNameBytes), hash);
  }
  return stem;
}

// Creates the folder if missing, private to the service (messages name children's cases). An
// existing folder is left as it is; the files inside are 0600 whatever its mode.
std::string ensureFolder(const fs::path& dir) {
  std::error_code error;
  if (fs::is_directory(dir, error)) return {};
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), error);
  if (::mkdir(dir.c_str(), S_IRWXU) != 0 && errno != EEXIST) {
    return fmt::format("cannot create the spool folder {}: {}", dir.string(), errnoMessage(errno));
  }
  if (!fs::is_directory(dir, error)) {
    return fmt::format("the spool folder {} is not a folder", dir.string());
  }
  return {};
}

bool writeAll(int fd, const std::string& content) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

FileChannel::FileChannel(config::FileChannelSettings settings) : settings_(std::move(settings)) {
  // Created now when possible; a failure is reported by the sends, where it can be retried.
  (void)ensureFolder(settings_.path);
}

fs::path FileChannel::emailPath(const std::string& message_id) const {
  return fs::path(settings_.path) / (fileStem(message_id) + ".eml");
}

fs::path FileChannel::webhookPath(const std::string& webhook_id) const {
  return fs::path(settings_.path) / (fileStem(webhook_id) + ".json");
}

Delivery FileChannel::sendEmail(const EmailMessage& message) {
  const mail::ComposeResult composed =
      mail::composeMail(message, mail::MailDefaults{}, std::chrono::system_clock::now());
  if (!composed.error.empty()) return outcome(Status::kDead, composed.error);
  return write(emailPath(composed.mail.message_id), mail::renderMail(composed.mail));
}

Delivery FileChannel::sendWebhook(const WebhookMessage& message) {
  if (message.id.empty()) return outcome(Status::kDead, "the webhook message has no id");
  return write(webhookPath(message.id), message.payload);
}

Delivery FileChannel::write(const fs::path& target, const std::string& content) const {
  const fs::path dir = settings_.path;
  if (std::string error = ensureFolder(dir); !error.empty()) {
    return outcome(Status::kRetry, std::move(error));
  }
  // In the same folder, so that the rename is atomic; a dot name, so that readers of *.eml and
  // *.json never pick it up. mkstemp creates it 0600.
  std::string temp_name = (dir / ".tmp-XXXXXX").string();
  const int fd = ::mkstemp(temp_name.data());
  if (fd < 0) {
    return outcome(Status::kRetry, fmt::format("cannot create a file in the spool folder {}: {}",
                                               dir.string(), errnoMessage(errno)));
  }
  const auto fail = [&](std::string_view what, int error) {
    ::unlink(temp_name.c_str());
    return outcome(Status::kRetry,
                   fmt::format("cannot {} {}: {}", what, target.string(), errnoMessage(error)));
  };
  if (!writeAll(fd, content) || ::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return fail("write", error);
  }
  if (::close(fd) != 0) return fail("write", errno);
  if (::rename(temp_name.c_str(), target.c_str()) != 0) return fail("rename a file to", errno);
  // The rename is only durable once the folder is flushed too.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    const bool synced = ::fsync(dir_fd) == 0;
    const int error = errno;
    ::close(dir_fd);
    if (!synced) {
      return outcome(Status::kRetry, fmt::format("cannot flush the spool folder {}: {}",
                                                 dir.string(), errnoMessage(error)));
    }
  }
  return outcome(Status::kDelivered, "written to " + target.string());
}

}  // namespace cohortwatch::channels
