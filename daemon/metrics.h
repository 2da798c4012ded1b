// The service's metrics, exposed by the admin server in the Prometheus text format 0.0.4: a small
// registry of counter and gauge families with fixed label names, rendered with HELP and TYPE
// lines in a stable order (families by name, series by label values). Thread-safe: the run loop
// updates it while the admin server renders it. ServiceMetrics declares the names of issue 7 once,
// so the run loop, the tests and dashboards agree on them.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cohortwatch::config {
struct Settings;
}

namespace cohortwatch::daemon {

enum class MetricType { kCounter, kGauge };

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool isValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved by Prometheus).
bool isValidLabelName(std::string_view name);
// A label value as written between the quotes: backslash, double quote and newline escaped.
std::string escapeLabelValue(std::string_view value);
// A sample value: "NaN", "+Inf", "-Inf", or the shortest text that reads back as the same double
// (integers without a decimal point: 1234, not 1234.0).
std::string formatSampleValue(double value);

class MetricsRegistry;
struct MetricFamily;  // daemon/metrics.cpp

// A handle on one family, returned by MetricsRegistry and valid as long as it. Label values are
// given in the order of the family's label names. An update with the wrong number of values is a
// programming error: it is logged and ignored, never thrown through the event loop.
class Counter {
 public:
  // Adds `amount` (>= 0; a negative or non-finite amount is ignored) to the series.
  void add(std::initializer_list<std::string_view> label_values, double amount = 1) const;
  // Creates the series at 0 if it does not exist, so that it is exported before its first event.
  void touch(std::initializer_list<std::string_view> label_values) const;
  // For totals kept elsewhere (the store) that only grow: sets the series to `total`.
  void setTotal(std::initializer_list<std::string_view> label_values, double total) const;
  // The current value; nullopt when the series does not exist. For tests and the status page.
  std::optional<double> value(std::initializer_list<std::string_view> label_values) const;

 private:
  friend class MetricsRegistry;
  Counter(MetricsRegistry* registry, MetricFamily* family) : registry_(registry), family_(family) {}
  MetricsRegistry* registry_;
  MetricFamily* family_;
};

class Gauge {
 public:
  void set(std::initializer_list<std::string_view> label_values, double value) const;
  void add(std::initializer_list<std::string_view> label_values, double delta) const;
  // Removes one series (a source no longer configured, a channel whose messages were purged).
  void remove(std::initializer_list<std::string_view> label_values) const;
  std::optional<double> value(std::initializer_list<std::string_view> label_values) const;

 private:
  friend class MetricsRegistry;
  Gauge(MetricsRegistry* registry, MetricFamily* family) : registry_(registry), family_(family) {}
  MetricsRegistry* registry_;
  MetricFamily* family_;
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Declares a family (at start-up). A family without labels starts with its one series at 0.
  // Declaring the same name again with the same type, help and labels returns the same family.
  // Throws std::invalid_argument on an invalid or duplicate name, or a name declared differently.
  Counter counter(const std::string& name, const std::string& help,
                  std::vector<std::string> label_names = {});
  Gauge gauge(const std::string& name, const std::string& help,
              std::vector<std::string> label_names = {});

  // The whole exposition, text format 0.0.4, ending with a newline (empty when nothing is
  // declared).
  std::string render() const;

 private:
  friend class Counter;
  friend class Gauge;
  enum class Update { kAdd, kSet, kTouch, kRemove };

  MetricFamily* declare(const std::string& name, const std::string& help, MetricType type,
                        std::vector<std::string> label_names);
  void update(MetricFamily* family, std::initializer_list<std::string_view> label_values,
              Update how, double amount);
  std::optional<double> read(const MetricFamily* family,
                             std::initializer_list<std::string_view> label_values) const;

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_;  // by name: the output order
};

// What the process's own metrics are read from; each is nullopt when /proc does not tell.
struct ProcessStats {
  std::optional<std::uint64_t> resident_memory_bytes;
  std::optional<double> start_time_seconds;  // since the Unix epoch
};

// /proc/self/statm's second field (pages) times the page size.
std::optional<std::uint64_t> parseResidentBytes(std::string_view statm, long page_size);
// /proc/self/stat's field 22 (start time in clock ticks after boot) over the ticks per second,
// plus /proc/stat's "btime" (boot time, seconds since the epoch).
std::optional<double> parseStartTimeSeconds(std::string_view self_stat, std::string_view stat,
                                            long ticks_per_second);
ProcessStats readProcessStats();

// The metric names of issue 7. The run loop updates them through ServiceMetrics (or the handles)
// and nothing else names them, so a renamed metric is renamed everywhere.
inline constexpr const char* kRowsTaken = "cohortwatch_source_rows_taken_total";
inline constexpr const char* kRowsRejected = "cohortwatch_source_rows_rejected_total";
inline constexpr const char* kSourceLastSuccess =
    "cohortwatch_source_last_success_timestamp_seconds";
inline constexpr const char* kEventsEvaluated = "cohortwatch_events_evaluated_total";
inline constexpr const char* kAlertsFired = "cohortwatch_alerts_fired_total";
inline constexpr const char* kOutboxMessages = "cohortwatch_outbox_messages";
inline constexpr const char* kOutboxRetried = "cohortwatch_outbox_retried_messages";
inline constexpr const char* kScheduleLastSuccess =
    "cohortwatch_schedule_last_success_timestamp_seconds";
inline constexpr const char* kResidentMemory = "process_resident_memory_bytes";
inline constexpr const char* kStartTime = "process_start_time_seconds";

// The families of issue 7, declared on a registry, with one method per thing the run loop
// observes. Label values are configuration names (source, rule, channel, schedule): never a
// child's data.
class ServiceMetrics {
 public:
  explicit ServiceMetrics(MetricsRegistry& registry);

  // Creates the series of every configured source, alert rule and channel at 0, so that a
  // dashboard sees them (and rate() works) before their first event.
  void initialise(const config::Settings& settings);

  // After one run of a source: what it took and rejected; `succeeded_at` when the run went well.
  void sourceRun(std::string_view source, long rows_taken, long rows_rejected,
                 std::optional<std::chrono::system_clock::time_point> succeeded_at);
  void eventsEvaluated(long count);
  void alertsFired(std::string_view rule, long count);
  // The outbox of one channel as the store counts it now (these are gauges: `outbox purge`
  // lowers sent and dead). `retried`: messages that needed more than one attempt.
  void outbox(std::string_view channel, long pending, long sent, long dead, long retried);
  void scheduleSucceeded(std::string_view schedule, std::chrono::system_clock::time_point at);
  // Reads /proc: call before each render (the admin server's metrics handler does).
  void updateProcess();

  Counter rows_taken;
  Counter rows_rejected;
  Gauge source_last_success;
  Counter events_evaluated;
  Counter alerts_fired;
  Gauge outbox_messages;  // {channel, status}: status pending, sent or dead
  Gauge outbox_retried;
  Gauge schedule_last_success;
  Gauge resident_memory;
  Gauge start_time;
};

}  // namespace cohortwatch::daemon
