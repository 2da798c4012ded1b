// engine_bench: times the two halves of every report on an existing database, separately:
// Store::loadCohortData() (SQLite rows into CohortData) and CohortEngine::compute() (all cohorts'
// measures, without and with the per-member tracking). Prints figures, never judges them: what
// is fast enough is for the reader of bench/README.md, not for an assertion.
//
//   engine_bench DB [--as-of YYYY-MM-DD] [--repeat N] [--cohorts]
//
// The last line is machine-readable ("RESULT key=value ...") for bench/run.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "tracking/clock.h"
#include "tracking/cohort_engine.h"
#include "tracking/methodology.h"
#include "tracking/store.h"

namespace {

using cohortwatch::tracking::CohortData;
using cohortwatch::tracking::CohortEngine;
using cohortwatch::tracking::CohortResults;
using cohortwatch::tracking::Date;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string db;
  Date as_of = cohortwatch::tracking::SystemClock().today();
  int repeat = 5;
  bool print_cohorts = false;
};

[[noreturn]] void usage(std::string_view message) {
  fmt::print(
      stderr,
      "engine_bench: {}\nusage: engine_bench DB [--as-of YYYY-MM-DD] [--repeat N] [--cohorts]\n",
      message);
  std::exit(2);
}

Options parseOptions(int argc, char** argv) {
  Options options;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto arg = args[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) usage(fmt::format("{} needs a value", arg));
      return args[++i];
    };
    if (arg == "--as-of") {
      auto date = Date::parse(value());
      if (!date) usage("--as-of: expected YYYY-MM-DD");
      options.as_of = *date;
    } else if (arg == "--repeat") {
      options.repeat = std::atoi(std::string(value()).c_str());
      if (options.repeat < 1) usage("--repeat: expected a number of at least 1");
    } else if (arg == "--cohorts") {
      options.print_cohorts = true;
    } else if (!arg.empty() && arg.front() != '-' && options.db.empty()) {
      options.db = arg;
    } else {
      usage(fmt::format("unexpected argument '{}'", arg));
    }
  }
  if (options.db.empty()) usage("name the database");
  return options;
}

double millisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Best and median of the repetitions: the best is the least disturbed by the machine, the median
// says whether the best was a fluke.
struct Timing {
  std::vector<double> ms;
  void add(double value) { ms.push_back(value); }
  double best() const { return *std::min_element(ms.begin(), ms.end()); }
  double median() const {
    auto sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  }
};

double perSecond(double count, double ms) {
  return ms > 0 ? count * 1000.0 / ms : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parseOptions(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  try {
    cohortwatch::config::DatabaseSettings database;
    database.path = options.db;
    auto store = cohortwatch::tracking::openSqliteStore(database);

    const cohortwatch::config::MethodologySettings settings;
    const cohortwatch::tracking::Methodology methodology(settings);
    const CohortEngine engine(methodology);

    Timing load, measures, members;
    CohortData data;
    for (int i = 0; i < options.repeat; ++i) {
      const auto start = Clock::now();
      data = store->loadCohortData();
      load.add(millisecondsSince(start));
    }
    const double rows =
        static_cast<double>(data.people.size() + data.offences.size() + data.outcomes.size());

    CohortResults results;
    for (int i = 0; i < options.repeat; ++i) {
      const auto start = Clock::now();
      results = engine.compute(data, {options.as_of, false});
      measures.add(millisecondsSince(start));
    }
    std::size_t member_count = 0;
    for (int i = 0; i < options.repeat; ++i) {
      const auto start = Clock::now();
      auto with_members = engine.compute(data, {options.as_of, true});
      members.add(millisecondsSince(start));
      member_count = 0;
      for (const auto& cohort : with_members.cohorts) member_count += cohort.members.size();
    }

    long cohort_size = 0, reoffenders = 0, reoffences = 0;
    for (const auto& cohort : results.cohorts) {
      cohort_size += cohort.measures.cohort_size;
      reoffenders += cohort.measures.reoffenders;
      reoffences += cohort.measures.reoffences;
    }

    fmt::print("database         {}\n", options.db);
    fmt::print("as of            {}\n", options.as_of.toString());
    fmt::print("rows loaded      {} people, {} offences, {} outcomes ({} rows)\n",
               data.people.size(), data.offences.size(), data.outcomes.size(),
               static_cast<long>(rows));
    fmt::print(
        "cohorts          {} quarters, {} memberships, {} reoffenders, {} reoffences, "
        "{} warnings\n",
        results.cohorts.size(), cohort_size, reoffenders, reoffences, results.warnings.size());
    fmt::print("repetitions      {} (best / median)\n", options.repeat);
    fmt::print("load             {:8.1f} / {:8.1f} ms  {:>12.0f} rows/s\n", load.best(),
               load.median(), perSecond(rows, load.best()));
    fmt::print("compute measures {:8.1f} / {:8.1f} ms  {:>12.0f} rows/s\n", measures.best(),
               measures.median(), perSecond(rows, measures.best()));
    fmt::print("compute members  {:8.1f} / {:8.1f} ms  {:>12.0f} rows/s ({} members kept)\n",
               members.best(), members.median(), perSecond(rows, members.best()), member_count);
    if (options.print_cohorts) {
      fmt::print("\nquarter  size  reoffenders  reoffences\n");
      for (const auto& cohort : results.cohorts) {
        fmt::print("{} {} {} {}\n", cohort.quarter.name(), cohort.measures.cohort_size,
                   cohort.measures.reoffenders, cohort.measures.reoffences);
      }
    }
    fmt::print(
        "RESULT people={} offences={} outcomes={} cohorts={} memberships={} reoffenders={} "
        "reoffences={} load_ms={:.1f} measures_ms={:.1f} members_ms={:.1f}\n",
        data.people.size(), data.offences.size(), data.outcomes.size(), results.cohorts.size(),
        cohort_size, reoffenders, reoffences, load.best(), measures.best(), members.best());
  } catch (const std::exception& e) {
    fmt::print(stderr, "engine_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
