// `cohortwatch generate`: synthetic canonical CSV files (never real data) for demos, tests and
// benchmarks, or the same data in an example export layout (--layout).
#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "daemon/commands.h"
#include "generator/synthetic_cohort.h"
#include "tracking/clock.h"

namespace cohortwatch::daemon {

namespace {

template <typename T>
T numberOption(const Invocation& invocation, const char* name, T fallback) {
  auto text = invocation.value(name);
  if (!text) return fallback;
  T value{};
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || text->empty()) {
    throw UsageError(fmt::format("--{}: expected a number, got '{}'", name, *text));
  }
  return value;
}

tracking::Date dateOption(const Invocation& invocation, const char* name, tracking::Date fallback) {
  auto text = invocation.value(name);
  if (!text) return fallback;
  auto date = tracking::Date::parse(*text);
  if (!date) throw UsageError(fmt::format("--{}: expected a date YYYY-MM-DD, got '{}'", name, *text));
  return *date;
}

}  // namespace

int runGenerate(Invocation& invocation) {
  generator::GeneratorOptions options;
  auto out = invocation.value("out");
  if (!out || out->empty()) throw UsageError("--out DIR is required");
  options.out_dir = *out;
  options.children = numberOption<std::int64_t>(invocation, "children", 1000);
  if (options.children < 0) throw UsageError("--children: expected a number of at least 0");
  options.to = dateOption(invocation, "to", tracking::SystemClock().today());
  options.from = dateOption(invocation, "from", options.to.addMonths(-24));
  if (options.to < options.from) throw UsageError("--from must not be after --to");
  options.seed = numberOption<std::uint64_t>(invocation, "seed", 1);
  options.dirty_rate = numberOption<double>(invocation, "dirty-rate", 0.0);
  if (!(options.dirty_rate >= 0.0 && options.dirty_rate < 1.0)) {  // also refuses NaN
    throw UsageError("--dirty-rate: expected a share from 0 up to (not including) 1");
  }
  if (auto layout = invocation.value("layout")) {
    auto parsed = generator::parseExportLayout(*layout);
    if (!parsed) {
      throw UsageError(fmt::format("--layout: expected one of {}, got '{}'",
                                   generator::exportLayoutNames(), *layout));
    }
    options.layout = *parsed;
  }
  const auto started = std::chrono::steady_clock::now();
  const auto summary = generator::generateCohortFiles(options);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  invocation.out << fmt::format(
      "wrote {} people, {} offences, {} outcomes ({} invalid rows) to {} in {:.1f} s\n",
      summary.people, summary.offences, summary.outcomes, summary.dirty_rows, options.out_dir,
      took.count());
  return kExitOk;
}

}  // namespace cohortwatch::daemon
