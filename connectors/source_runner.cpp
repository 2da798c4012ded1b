#include "connectors/source_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "connectors/canonical_import.h"
#include "connectors/content_hash.h"

namespace cohortwatch::connectors {

namespace fs = std::filesystem;

namespace {

std::string nowUtc() { return formatCursor(std::chrono::system_clock::now()); }

// A seed per source, so that sources failing together do not retry in step.
std::uint64_t seedOf(const std::string& name) {
  std::uint64_t seed = 1469598103934665603ULL;
  for (char c : name) seed = (seed ^ static_cast<std::uint8_t>(c)) * 1099511628211ULL;
  return seed;
}

}  // namespace

std::string SourceRun::summaryLine() const {
  std::string line = fmt::format("{}: {} files taken, {} already taken, {} rejected whole; {} rows "
                                 "taken, {} rejected",
                                 source, files_taken, files_skipped, files_rejected, rows_taken,
                                 rows_rejected);
  if (requests > 0) line += fmt::format("; {} request(s){}", requests, not_modified ? ", not modified" : "");
  if (!error.empty()) line += "; error: " + error;
  return line;
}

SourceRunner::SourceRunner(const config::SourceSettings& source, const config::Settings& settings,
                           tracking::Store& store, const tracking::Clock& clock,
                           const fs::path& state_dir)
    : source_(source),
      settings_(settings),
      store_(store),
      clock_(clock),
      backoff_(std::chrono::seconds(std::max(1, source.http.interval_seconds / 10)),
               std::chrono::seconds(source.http.max_backoff_seconds), seedOf(source.name)) {
  if (source_.kind == config::SourceSettings::Kind::kDirectory) {
    directory_ = std::make_unique<DirectorySource>(source_.directory);
  } else {
    fetcher_ = std::make_unique<worker::RemoteHttpFetcher>(source_.http, state_dir / "spool" / source_.name);
  }
}

std::chrono::seconds SourceRunner::interval() const {
  return std::chrono::seconds(directory_ ? source_.directory.poll_interval_seconds
                                         : source_.http.interval_seconds);
}

const config::MappingProfile* profileOfSource(const config::Settings& settings,
                                              const std::string& source_name) {
  for (const auto& source : settings.sources) {
    if (source.name != source_name || source.mapping == "canonical") continue;
    auto it = settings.mappings.find(source.mapping);
    return it == settings.mappings.end() ? nullptr : &it->second;
  }
  return nullptr;
}

const config::MappingProfile* SourceRunner::profile() const {
  return profileOfSource(settings_, source_.name);
}

void SourceRunner::retryRejectedRows(SourceRun& run) {
  if (store_.pendingRejected().empty()) return;
  CanonicalImporter importer(store_, settings_.methodology, clock_.today(), source_.name);
  const auto retried = importer.retryRejected(
      [this](const std::string& name) { return profileOfSource(settings_, name); });
  if (retried.taken == 0) return;
  spdlog::info("source {}: {} earlier rejected row(s) taken on retry", source_.name, retried.taken);
  run.rows_taken += retried.taken;
  // Each row counts for the source that first brought it.
  auto transaction = store_.begin();
  for (const auto& [name, taken] : retried.taken_by_source) {
    auto state = store_.sourceState(name);
    state.rows_taken += taken;
    state.rows_rejected = std::max(0L, state.rows_rejected - taken);
    store_.saveSourceState(state);
  }
  transaction->commit();
}

SourceRun SourceRunner::runOnce() {
  return directory_ ? runDirectory() : runHttp();
}

SourceRun SourceRunner::runDirectory() {
  SourceRun run;
  run.source = source_.name;
  auto state = store_.sourceState(source_.name);
  state.last_run = nowUtc();
  // Files that landed together are applied in dependency order: people, then offences, then
  // outcomes, so that rows find the child and offence they refer to.
  auto files = directory_->completeFiles();
  std::vector<int> rank(files.size(), 3);
  for (std::size_t i = 0; i < files.size(); ++i) rank[i] = applyRank(files[i].path, profile());
  std::vector<std::size_t> order(files.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
  for (std::size_t index : order) {
    const auto& file = files[index];
    std::string error;
    const auto hash = sha256OfFile(file.path, error);
    if (!hash) {
      spdlog::warn("source {}: {} (will try again)", source_.name, error);
      run.error = error;
      continue;
    }
    if (const auto known = store_.findSourceFile(source_.name, *hash)) {
      // Taken before (a crash after the commit, or a renamed copy): move it out of the way.
      spdlog::info("source {}: {} has the same content as {} taken on {}; skipped", source_.name,
                   file.name, known->name, known->taken_at);
      ++run.files_skipped;
      if (known->rejected) {
        directory_->markRejected(file, known->error);
      } else {
        directory_->markTaken(file);
      }
      continue;
    }

    CanonicalImporter importer(store_, settings_.methodology, clock_.today(), source_.name);
    FileImportSummary summary;
    {
      std::ifstream in(file.path, std::ios::binary);
      auto transaction = store_.beginIngest();
      summary = importer.importExport(in, file.name, profile());
      if (summary.error.empty()) {
        store_.recordSourceFile({source_.name, *hash, file.name, static_cast<std::int64_t>(file.size),
                                 false, summary.taken, summary.rejected, "", ""});
        state.files_taken += 1;
        state.rows_taken += summary.taken;
        state.rows_rejected += summary.rejected;
        state.last_success = state.last_run;
        state.last_error.clear();
        store_.saveSourceState(state);
        transaction->commit();
      }
    }
    if (!summary.error.empty()) {
      // Nothing of it was committed; remember it as rejected so that a copy is not re-read.
      auto transaction = store_.begin();
      store_.recordSourceFile({source_.name, *hash, file.name, static_cast<std::int64_t>(file.size),
                               true, 0, 0, summary.error, ""});
      state.last_error = fmt::format("{}: {}", file.name, summary.error);
      store_.saveSourceState(state);
      transaction->commit();
      directory_->markRejected(file, summary.error);
      spdlog::error("source {}: {} rejected whole: {}", source_.name, file.name, summary.error);
      ++run.files_rejected;
      continue;
    }
    directory_->markTaken(file);
    ++run.files_taken;
    run.rows_taken += summary.taken;
    run.rows_rejected += summary.rejected;
    spdlog::info("source {}: took {} ({} rows, {} rejected)", source_.name, file.name,
                 summary.taken, summary.rejected);
  }
  if (run.files_taken == 0 && run.files_rejected == 0) {
    auto transaction = store_.begin();
    store_.saveSourceState(state);
    transaction->commit();
  }
  if (run.files_taken > 0) retryRejectedRows(run);
  return run;
}

SourceRun SourceRunner::runHttp() {
  SourceRun run;
  run.source = source_.name;
  auto state = store_.sourceState(source_.name);
  state.last_run = nowUtc();
  state.requests += 1;
  run.requests = 1;
  auto result = fetcher_->fetch({state.etag, state.last_modified, state.cursor},
                                std::chrono::system_clock::now());
  auto save = [&] {
    auto transaction = store_.begin();
    store_.saveSourceState(state);
    transaction->commit();
  };
  switch (result.outcome) {
    case FetchOutcome::kNotModified:
      run.not_modified = true;
      backoff_.reset();
      state.last_success = state.last_run;
      save();
      return run;
    case FetchOutcome::kRetryable:
      run.error = result.error;
      run.retry_in = backoff_.next(result.retry_after);
      state.last_error = result.error;
      save();
      if (long suppressed = 0; log_limiter_.allow("retryable", result.error, suppressed)) {
        spdlog::warn("source {}: {}; retrying in {} s{}", source_.name, result.error,
                     run.retry_in->count(),
                     suppressed > 0 ? fmt::format(" ({} similar line(s) not logged)", suppressed)
                                    : std::string());
      }
      return run;
    case FetchOutcome::kPermanent:
      run.error = result.error;
      state.last_error = result.error;
      save();
      if (long suppressed = 0; log_limiter_.allow("permanent", result.error, suppressed)) {
        spdlog::error("source {}: {}; not retried before the next interval{}", source_.name,
                      result.error,
                      suppressed > 0 ? fmt::format(" ({} similar line(s) not logged)", suppressed)
                                     : std::string());
      }
      return run;
    case FetchOutcome::kNewData:
      break;
  }
  backoff_.reset();
  CanonicalImporter importer(store_, settings_.methodology, clock_.today(), source_.name);
  FileImportSummary summary;
  {
    std::ifstream in(result.body_file, std::ios::binary);
    auto transaction = store_.beginIngest();
    summary = importer.importExport(in, source_.name + ".csv", profile());
    if (summary.error.empty()) {
      // The new ETag and cursor are stored with the records they produced.
      state.etag = result.next_state.etag;
      state.last_modified = result.next_state.last_modified;
      state.cursor = result.next_state.cursor;
      state.rows_taken += summary.taken;
      state.rows_rejected += summary.rejected;
      state.last_success = state.last_run;
      state.last_error.clear();
      store_.saveSourceState(state);
      transaction->commit();
    }
  }
  std::error_code ec;
  fs::remove(result.body_file, ec);
  if (!summary.error.empty()) {
    run.error = "the response could not be read: " + summary.error;
    state.last_error = run.error;
    save();
    spdlog::error("source {}: {}", source_.name, run.error);
    return run;
  }
  run.rows_taken = summary.taken;
  run.rows_rejected = summary.rejected;
  spdlog::info("source {}: {} rows taken, {} rejected", source_.name, summary.taken, summary.rejected);
  if (summary.inserted + summary.updated > 0) retryRejectedRows(run);
  return run;
}

}  // namespace cohortwatch::connectors
