#include "daemon/metrics.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>

#include "config/settings.h"

namespace cohortwatch::daemon {

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<std::string> label_names;
  // Label values in label_names' order -> value; ordered, so the output is stable.
  std::map<std::vector<std::string>, double> series;
};

namespace {

bool isNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// HELP text: backslash and newline escaped (double quotes are not, per the format).
std::string escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view typeName(MetricType type) {
  return type == MetricType::kCounter ? "counter" : "gauge";
}

std::optional<std::string> readWholeFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

template <typename T>
std::optional<T> parseNumber(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Whitespace-separated fields of `text`.
std::vector<std::string_view> fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = text.find_first_not_of(" \t\n", at);
    if (start == std::string_view::npos) break;
    std::size_t end = text.find_first_of(" \t\n", start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    at = end;
  }
  return out;
}

double secondsSinceEpoch(std::chrono::system_clock::time_point at) {
  return std::chrono::duration<double>(at.time_since_epoch()).count();
}

}  // namespace

bool isValidMetricName(std::string_view name) {
  if (name.empty() || !(isNameStart(name.front()) || name.front() == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return isNameStart(c) || isDigit(c) || c == ':'; });
}

bool isValidLabelName(std::string_view name) {
  if (name.empty() || !isNameStart(name.front()) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return isNameStart(c) || isDigit(c); });
}

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string formatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

// ---- handles

void Counter::add(std::initializer_list<std::string_view> label_values, double amount) const {
  if (!(amount >= 0) || std::isinf(amount)) return;  // counters only go up; NaN fails >= too
  registry_->update(family_, label_values, MetricsRegistry::Update::kAdd, amount);
}

void Counter::touch(std::initializer_list<std::string_view> label_values) const {
  registry_->update(family_, label_values, MetricsRegistry::Update::kTouch, 0);
}

void Counter::setTotal(std::initializer_list<std::string_view> label_values, double total) const {
  if (!(total >= 0) || std::isinf(total)) return;
  registry_->update(family_, label_values, MetricsRegistry::Update::kSet, total);
}

std::optional<double> Counter::value(std::initializer_list<std::string_view> label_values) const {
  return registry_->read(family_, label_values);
}

void Gauge::set(std::initializer_list<std::string_view> label_values, double value) const {
  registry_->update(family_, label_values, MetricsRegistry::Update::kSet, value);
}

void Gauge::add(std::initializer_list<std::string_view> label_values, double delta) const {
  registry_->update(family_, label_values, MetricsRegistry::Update::kAdd, delta);
}

void Gauge::remove(std::initializer_list<std::string_view> label_values) const {
  registry_->update(family_, label_values, MetricsRegistry::Update::kRemove, 0);
}

std::optional<double> Gauge::value(std::initializer_list<std::string_view> label_values) const {
  return registry_->read(family_, label_values);
}

// ---- registry

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

Counter MetricsRegistry::counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names) {
  return {this, declare(name, help, MetricType::kCounter, std::move(label_names))};
}

Gauge MetricsRegistry::gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names) {
  return {this, declare(name, help, MetricType::kGauge, std::move(label_names))};
}

MetricFamily* MetricsRegistry::declare(const std::string& name, const std::string& help,
                                       MetricType type, std::vector<std::string> label_names) {
  if (!isValidMetricName(name)) {
    throw std::invalid_argument(fmt::format("invalid metric name \"{}\"", name));
  }
  std::set<std::string_view> seen;
  for (const auto& label : label_names) {
    if (!isValidLabelName(label)) {
      throw std::invalid_argument(fmt::format("metric {}: invalid label name \"{}\"", name, label));
    }
    if (!seen.insert(label).second) {
      throw std::invalid_argument(fmt::format("metric {}: label \"{}\" given twice", name, label));
    }
  }
  const std::lock_guard lock(mutex_);
  if (const auto found = families_.find(name); found != families_.end()) {
    MetricFamily& existing = *found->second;
    if (existing.type != type || existing.help != help || existing.label_names != label_names) {
      throw std::invalid_argument(
          fmt::format("metric {} is already declared with another type, help or labels", name));
    }
    return &existing;
  }
  auto family = std::make_unique<MetricFamily>();
  family->name = name;
  family->help = help;
  family->type = type;
  family->label_names = std::move(label_names);
  if (family->label_names.empty()) family->series.emplace(std::vector<std::string>{}, 0.0);
  MetricFamily* result = family.get();
  families_.emplace(name, std::move(family));
  return result;
}

void MetricsRegistry::update(MetricFamily* family,
                             std::initializer_list<std::string_view> label_values, Update how,
                             double amount) {
  if (label_values.size() != family->label_names.size()) {
    spdlog::error("metric {}: {} label values given for {} labels; update ignored", family->name,
                  label_values.size(), family->label_names.size());
    return;
  }
  std::vector<std::string> key(label_values.begin(), label_values.end());
  const std::lock_guard lock(mutex_);
  switch (how) {
    case Update::kAdd: family->series[std::move(key)] += amount; break;
    case Update::kSet: family->series[std::move(key)] = amount; break;
    case Update::kTouch: family->series.try_emplace(std::move(key), 0.0); break;
    case Update::kRemove: family->series.erase(key); break;
  }
}

std::optional<double> MetricsRegistry::read(
    const MetricFamily* family, std::initializer_list<std::string_view> label_values) const {
  if (label_values.size() != family->label_names.size()) return std::nullopt;
  const std::vector<std::string> key(label_values.begin(), label_values.end());
  const std::lock_guard lock(mutex_);
  const auto found = family->series.find(key);
  if (found == family->series.end()) return std::nullopt;
  return found->second;
}

std::string MetricsRegistry::render() const {
  std::string out;
  auto line = std::back_inserter(out);
  const std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    fmt::format_to(line, "# HELP {} {}\n", name, escapeHelp(family->help));
    fmt::format_to(line, "# TYPE {} {}\n", name, typeName(family->type));
    for (const auto& [values, value] : family->series) {
      out += name;
      if (!values.empty()) {
        out += '{';
        for (std::size_t i = 0; i < values.size(); ++i) {
          if (i > 0) out += ',';
          fmt::format_to(line, "{}=\"{}\"", family->label_names[i], escapeLabelValue(values[i]));
        }
        out += '}';
      }
      fmt::format_to(line, " {}\n", formatSampleValue(value));
    }
  }
  return out;
}

// ---- the process

std::optional<std::uint64_t> parseResidentBytes(std::string_view statm, long page_size) {
  const auto parts = fields(statm);
  if (parts.size() < 2 || page_size <= 0) return std::nullopt;
  const auto pages = parseNumber<std::uint64_t>(parts[1]);
  if (!pages) return std::nullopt;
  return *pages * static_cast<std::uint64_t>(page_size);
}

std::optional<double> parseStartTimeSeconds(std::string_view self_stat, std::string_view stat,
                                            long ticks_per_second) {
  if (ticks_per_second <= 0) return std::nullopt;
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses:
  // fields are counted from the last ')'. Field 3 (state) is the first after it; 22 the 20th.
  const auto close = self_stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  const auto after = fields(self_stat.substr(close + 1));
  constexpr std::size_t kStartTimeIndex = 22 - 3;
  if (after.size() <= kStartTimeIndex) return std::nullopt;
  const auto ticks = parseNumber<std::uint64_t>(after[kStartTimeIndex]);
  if (!ticks) return std::nullopt;

  std::optional<std::uint64_t> boot;
  std::size_t at = 0;
  while (at < stat.size() && !boot) {
    std::size_t end = stat.find('\n', at);
    if (end == std::string_view::npos) end = stat.size();
    const auto parts = fields(stat.substr(at, end - at));
    if (parts.size() == 2 && parts[0] == "btime") boot = parseNumber<std::uint64_t>(parts[1]);
    at = end + 1;
  }
  if (!boot) return std::nullopt;
  return static_cast<double>(*boot) +
         static_cast<double>(*ticks) / static_cast<double>(ticks_per_second);
}

ProcessStats readProcessStats() {
  ProcessStats stats;
  if (const auto statm = readWholeFile("/proc/self/statm")) {
    stats.resident_memory_bytes = parseResidentBytes(*statm, ::sysconf(_SC_PAGESIZE));
  }
  const auto self_stat = readWholeFile("/proc/self/stat");
  const auto stat = readWholeFile("/proc/stat");
  if (self_stat && stat) {
    stats.start_time_seconds = parseStartTimeSeconds(*self_stat, *stat, ::sysconf(_SC_CLK_TCK));
  }
  return stats;
}

// ---- the service's metrics

ServiceMetrics::ServiceMetrics(MetricsRegistry& registry)
    : rows_taken(
          registry.counter(kRowsTaken, "Rows taken from each source's exports.", {"source"})),
      rows_rejected(registry.counter(
          kRowsRejected, "Rows of each source's exports rejected (kept for retry).", {"source"})),
      source_last_success(registry.gauge(
          kSourceLastSuccess,
          "When each source last ran without error, in seconds since the epoch.", {"source"})),
      events_evaluated(
          registry.counter(kEventsEvaluated, "Change events the alert rules were evaluated on.")),
      alerts_fired(registry.counter(kAlertsFired, "Alerts fired, by rule.", {"rule"})),
      outbox_messages(registry.gauge(kOutboxMessages,
                                     "Messages in the outbox by channel and status (pending, "
                                     "sent, dead); outbox purge lowers sent and dead.",
                                     {"channel", "status"})),
      outbox_retried(registry.gauge(kOutboxRetried,
                                    "Messages in the outbox that needed more than one attempt.",
                                    {"channel"})),
      schedule_last_success(registry.gauge(
          kScheduleLastSuccess,
          "When each schedule (digest, report) last ran without error, in seconds since the epoch.",
          {"schedule"})),
      resident_memory(registry.gauge(kResidentMemory, "Resident memory size in bytes.")),
      start_time(
          registry.gauge(kStartTime, "Start time of the process since unix epoch in seconds.")) {}

void ServiceMetrics::initialise(const config::Settings& settings) {
  for (const auto& source : settings.sources) {
    rows_taken.touch({source.name});
    rows_rejected.touch({source.name});
  }
  for (const auto& rule : settings.alerts) alerts_fired.touch({rule.id});
  for (const auto& channel : settings.channels) {
    for (std::string_view status : {"pending", "sent", "dead"}) {
      if (!outbox_messages.value({channel.name, status}))
        outbox_messages.set({channel.name, status}, 0);
    }
    if (!outbox_retried.value({channel.name})) outbox_retried.set({channel.name}, 0);
  }
  updateProcess();
}

void ServiceMetrics::sourceRun(std::string_view source, long rows_taken_now, long rows_rejected_now,
                               std::optional<std::chrono::system_clock::time_point> succeeded_at) {
  rows_taken.add({source}, static_cast<double>(rows_taken_now));
  rows_rejected.add({source}, static_cast<double>(rows_rejected_now));
  if (succeeded_at) source_last_success.set({source}, secondsSinceEpoch(*succeeded_at));
}

void ServiceMetrics::eventsEvaluated(long count) {
  events_evaluated.add({}, static_cast<double>(count));
}

void ServiceMetrics::alertsFired(std::string_view rule, long count) {
  alerts_fired.add({rule}, static_cast<double>(count));
}

void ServiceMetrics::outbox(std::string_view channel, long pending, long sent, long dead,
                            long retried) {
  outbox_messages.set({channel, "pending"}, static_cast<double>(pending));
  outbox_messages.set({channel, "sent"}, static_cast<double>(sent));
  outbox_messages.set({channel, "dead"}, static_cast<double>(dead));
  outbox_retried.set({channel}, static_cast<double>(retried));
}

void ServiceMetrics::scheduleSucceeded(std::string_view schedule,
                                       std::chrono::system_clock::time_point at) {
  schedule_last_success.set({schedule}, secondsSinceEpoch(at));
}

void ServiceMetrics::updateProcess() {
  const ProcessStats stats = readProcessStats();
  if (stats.resident_memory_bytes) {
    resident_memory.set({}, static_cast<double>(*stats.resident_memory_bytes));
  }
  if (stats.start_time_seconds) start_time.set({}, *stats.start_time_seconds);
}

}  // namespace cohortwatch::daemon
