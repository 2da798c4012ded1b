// Runs one configured source: takes every complete export of a directory source, or makes one
// request of an http source, and ingests what it got exactly once in effect. An export's records,
// its rejected rows, its change events and the source's new state (the file's content hash, an
// http source's ETag and cursor) are committed in one transaction; a taken file is moved only
// after that commit, and a file whose hash is already known is skipped. So a crash at any instant
// re-reads at most the uncommitted export, and re-reading it duplicates nothing.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "config/settings.h"
#include "connectors/backoff.h"
#include "connectors/directory_source.h"
#include "connectors/http_fetcher.h"
#include "tracking/clock.h"
#include "tracking/log_limiter.h"
#include "tracking/store.h"
#include "worker/remote.h"

namespace cohortwatch::connectors {

// What one run of a source did.
struct SourceRun {
  std::string source;
  int files_taken = 0;
  int files_skipped = 0;   // already taken (same content), moved out of the way
  int files_rejected = 0;  // could not be read at all: moved to rejected/
  int requests = 0;
  bool not_modified = false;
  long rows_taken = 0;
  long rows_rejected = 0;
  std::string error;  // empty when the run went well
  // When an http source failed in a way worth retrying: how long to wait (backoff).
  std::optional<std::chrono::seconds> retry_in;

  std::string summaryLine() const;
};

// The mapping profile a configured source reads with (nullptr: canonical, or no such source).
const config::MappingProfile* profileOfSource(const config::Settings& settings,
                                              const std::string& source_name);

class SourceRunner {
 public:
  // `state_dir` holds the http sources' spool folders. Settings must outlive the runner.
  SourceRunner(const config::SourceSettings& source, const config::Settings& settings,
               tracking::Store& store, const tracking::Clock& clock,
               const std::filesystem::path& state_dir);

  SourceRun runOnce();

  const std::string& name() const { return source_.name; }
  // The usual wait between runs (poll or request interval).
  std::chrono::seconds interval() const;
  // inotify descriptor of a directory source (-1 otherwise), and how to clear it.
  int watchDescriptor() const { return directory_ ? directory_->watchDescriptor() : -1; }
  void drainEvents() {
    if (directory_) directory_->drainEvents();
  }

 private:
  SourceRun runDirectory();
  SourceRun runHttp();
  // Rows rejected earlier (by any source) for a child or offence that has arrived now.
  void retryRejectedRows(SourceRun& run);
  const config::MappingProfile* profile() const;

  const config::SourceSettings& source_;
  const config::Settings& settings_;
  tracking::Store& store_;
  const tracking::Clock& clock_;
  std::unique_ptr<DirectorySource> directory_;
  std::unique_ptr<worker::RemoteHttpFetcher> fetcher_;  // fetches in cohortwatch-worker
  Backoff backoff_;
  tracking::LogLimiter log_limiter_;  // a source failing the same way for hours logs it rarely
};

}  // namespace cohortwatch::connectors
