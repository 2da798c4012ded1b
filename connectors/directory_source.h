// A folder where case-management exports land. Finds the files that are complete (size and mtime
// settled for settle_seconds, or a "<name>.done" marker beside them), and after they have been
// ingested moves them into processed/ (or leaves them, per config) — or, when a file cannot be
// read at all, into rejected/ with a "<name>.error.txt" saying why. Nothing is ever deleted.
// Watching uses inotify when available; scanning also works alone, for network filesystems.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/settings.h"

namespace cohortwatch::connectors {

struct ExportFile {
  std::filesystem::path path;
  std::string name;  // file name only
  std::uintmax_t size = 0;
};

class DirectorySource {
 public:
  explicit DirectorySource(config::DirectorySource settings);
  ~DirectorySource();
  DirectorySource(const DirectorySource&) = delete;
  DirectorySource& operator=(const DirectorySource&) = delete;

  // The complete export files now present, oldest first. Remembers what it saw, so that a file
  // still growing between two scans is left for later.
  std::vector<ExportFile> completeFiles();

  // After the file's records are committed: moves it (and its marker) into processed/, or leaves
  // it where it is (after_taking: keep). A name already in processed/ gets a numbered suffix.
  void markTaken(const ExportFile& file);
  // The file could not be read at all: moves it into rejected/ with <name>.error.txt beside it.
  void markRejected(const ExportFile& file, const std::string& reason);

  // A descriptor that becomes readable when the folder changes (inotify), or -1 when watching is
  // off or unavailable; drainEvents() clears it.
  int watchDescriptor() const { return inotify_fd_; }
  void drainEvents();

  const config::DirectorySource& settings() const { return settings_; }

 private:
  struct Seen {
    std::uintmax_t size;
    std::filesystem::file_time_type mtime;
  };

  bool matches(const std::string& name) const;
  std::filesystem::path moveInto(const std::filesystem::path& file, const std::string& folder);

  config::DirectorySource settings_;
  std::map<std::string, Seen> seen_;
  // after_taking: keep — files taken and left in place, not offered again while unchanged.
  std::map<std::string, Seen> kept_;
  int inotify_fd_ = -1;
};

}  // namespace cohortwatch::connectors
