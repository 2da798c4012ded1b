#include "connectors/directory_source.h"

#include <fnmatch.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>

namespace cohortwatch::connectors {

namespace fs = std::filesystem;

namespace {

constexpr const char* kProcessed = "processed";
constexpr const char* kRejected = "rejected";
constexpr const char* kMarkerSuffix = ".done";

bool endsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

DirectorySource::DirectorySource(config::DirectorySource settings) : settings_(std::move(settings)) {
  if (!settings_.watch) return;
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    spdlog::warn("directory {}: inotify unavailable ({}); polling every {} s", settings_.path,
                 std::strerror(errno), settings_.poll_interval_seconds);
    return;
  }
  if (::inotify_add_watch(inotify_fd_, settings_.path.c_str(),
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB) < 0) {
    spdlog::warn("directory {}: cannot watch it ({}); polling every {} s", settings_.path,
                 std::strerror(errno), settings_.poll_interval_seconds);
    ::close(inotify_fd_);
    inotify_fd_ = -1;
  }
}

DirectorySource::~DirectorySource() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

void DirectorySource::drainEvents() {
  if (inotify_fd_ < 0) return;
  alignas(inotify_event) std::array<char, 4096> buffer{};
  while (::read(inotify_fd_, buffer.data(), buffer.size()) > 0) {
  }
}

bool DirectorySource::matches(const std::string& name) const {
  if (name.empty() || name.front() == '.' || endsWith(name, kMarkerSuffix) ||
      endsWith(name, ".error.txt")) {
    return false;
  }
  return std::any_of(settings_.patterns.begin(), settings_.patterns.end(), [&](const std::string& pattern) {
    return ::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0;
  });
}

std::vector<ExportFile> DirectorySource::completeFiles() {
  std::vector<std::pair<fs::file_time_type, ExportFile>> found;
  std::map<std::string, Seen> now_seen;
  std::error_code ec;
  fs::directory_iterator it(settings_.path, ec);
  if (ec) {
    spdlog::error("directory {}: cannot list it: {}", settings_.path, ec.message());
    return {};
  }
  const auto now = fs::file_time_type::clock::now();
  const auto settle = std::chrono::seconds(settings_.settle_seconds);
  for (const auto& entry : it) {
    std::error_code entry_ec;
    if (!entry.is_regular_file(entry_ec)) continue;
    const std::string name = entry.path().filename().string();
    if (!matches(name)) continue;
    const auto size = entry.file_size(entry_ec);
    const auto mtime = entry.last_write_time(entry_ec);
    if (entry_ec) continue;  // vanished while we looked
    if (auto kept = kept_.find(name);
        kept != kept_.end() && kept->second.size == size && kept->second.mtime == mtime) {
      continue;
    }
    now_seen[name] = {size, mtime};
    bool complete = false;
    if (settings_.completion == config::DirectorySource::Completion::kMarker) {
      complete = fs::exists(entry.path().string() + kMarkerSuffix, entry_ec);
    } else {
      // Settled: untouched for settle_seconds, and unchanged since the previous scan if there was one.
      auto previous = seen_.find(name);
      const bool unchanged =
          previous == seen_.end() || (previous->second.size == size && previous->second.mtime == mtime);
      complete = unchanged && now - mtime >= settle;
    }
    if (complete) found.push_back({mtime, ExportFile{entry.path(), name, size}});
  }
  seen_ = std::move(now_seen);
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.name < b.second.name;
  });
  std::vector<ExportFile> files;
  for (auto& [mtime, file] : found) files.push_back(std::move(file));
  return files;
}

fs::path DirectorySource::moveInto(const fs::path& file, const std::string& folder) {
  const fs::path target_dir = fs::path(settings_.path) / folder;
  fs::create_directories(target_dir);
  fs::path target = target_dir / file.filename();
  for (int n = 1; fs::exists(target); ++n) {
    target = target_dir / fmt::format("{}.{}", file.filename().string(), n);
  }
  fs::rename(file, target);
  return target;
}

void DirectorySource::markTaken(const ExportFile& file) {
  const fs::path marker = file.path.string() + kMarkerSuffix;
  if (settings_.after_taking == config::DirectorySource::AfterTaking::kKeep) {
    if (auto seen = seen_.find(file.name); seen != seen_.end()) kept_[file.name] = seen->second;
    seen_.erase(file.name);
    return;
  }
  seen_.erase(file.name);
  moveInto(file.path, kProcessed);
  if (fs::exists(marker)) moveInto(marker, kProcessed);
}

void DirectorySource::markRejected(const ExportFile& file, const std::string& reason) {
  seen_.erase(file.name);
  const fs::path marker = file.path.string() + kMarkerSuffix;
  const fs::path moved = moveInto(file.path, kRejected);
  if (fs::exists(marker)) moveInto(marker, kRejected);
  std::ofstream note(moved.string() + ".error.txt");
  note << "cohortwatch could not read " << file.name << ":\n" << reason << "\n"
       << "Fix the export (or the source's mapping) and put the file back in " << settings_.path
       << " to take it again.\n";
}

}  // namespace cohortwatch::connectors
