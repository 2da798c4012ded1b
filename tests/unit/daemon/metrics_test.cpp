// The metrics registry: the Prometheus text format 0.0.4 exactly (HELP, TYPE, labels, escaping,
// values), a stable order, names validated, updates from several threads, and the process's own
// memory and start time read from /proc.
#include "daemon/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.h"

namespace cohortwatch::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(MetricsRegistry, UnlabelledFamilyIsExportedAtZeroWithHelpAndType) {
  MetricsRegistry registry;
  registry.counter("cohortwatch_events_evaluated_total", "Change events evaluated.");
  EXPECT_EQ(registry.render(),
            "# HELP cohortwatch_events_evaluated_total Change events evaluated.\n"
            "# TYPE cohortwatch_events_evaluated_total counter\n"
            "cohortwatch_events_evaluated_total 0\n");
}

TEST(MetricsRegistry, LabelledSeriesAppearOnceUpdated) {
  MetricsRegistry registry;
  const Counter taken = registry.counter("rows_total", "Rows.", {"source"});
  EXPECT_EQ(registry.render(), "# HELP rows_total Rows.\n# TYPE rows_total counter\n");
  taken.add({"childview"}, 1200);
  taken.add({"childview"}, 34);
  taken.add({"core-plus"});
  EXPECT_EQ(registry.render(),
            "# HELP rows_total Rows.\n"
            "# TYPE rows_total counter\n"
            "rows_total{source=\"childview\"} 1234\n"
            "rows_total{source=\"core-plus\"} 1\n");
  EXPECT_EQ(taken.value({"childview"}), 1234);
  EXPECT_EQ(taken.value({"nobody"}), std::nullopt);
}

TEST(MetricsRegistry, OrderIsStableWhateverTheOrderOfDeclarationAndUpdates) {
  auto build = [](bool reversed) {
    MetricsRegistry registry;
    std::vector<std::string> names = {"b_gauge", "a_total", "c_total"};
    if (reversed) std::reverse(names.begin(), names.end());
    for (const auto& name : names) registry.gauge(name, "help", {"x", "y"});
    std::vector<std::pair<std::string, std::string>> labels = {{"2", "a"}, {"1", "b"}, {"1", "a"}};
    if (reversed) std::reverse(labels.begin(), labels.end());
    for (const auto& name : names) {
      const Gauge gauge = registry.gauge(name, "help", {"x", "y"});  // the same family again
      for (const auto& [x, y] : labels) gauge.set({x, y}, 1);
    }
    return registry.render();
  };
  const std::string forward = build(false);
  EXPECT_EQ(forward, build(true));
  EXPECT_LT(forward.find("a_total"), forward.find("b_gauge"));
  EXPECT_LT(forward.find("b_gauge"), forward.find("c_total"));
  EXPECT_LT(forward.find("a_total{x=\"1\",y=\"a\"}"), forward.find("a_total{x=\"1\",y=\"b\"}"));
  EXPECT_LT(forward.find("a_total{x=\"1\",y=\"b\"}"), forward.find("a_total{x=\"2\",y=\"a\"}"));
}

TEST(MetricsRegistry, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry registry;
  const Gauge gauge = registry.gauge("odd", "A \"quoted\" help\\text\nover two lines.", {"path"});
  gauge.set({"C:\\exports\\\"new\"\nfolder"}, 2);
  EXPECT_EQ(registry.render(),
            "# HELP odd A \"quoted\" help\\\\text\\nover two lines.\n"
            "# TYPE odd gauge\n"
            "odd{path=\"C:\\\\exports\\\\\\\"new\\\"\\nfolder\"} 2\n");
  EXPECT_EQ(escapeLabelValue("plain-value_1"), "plain-value_1");
  EXPECT_EQ(escapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(MetricsRegistry, SampleValuesInPrometheusNotation) {
  EXPECT_EQ(formatSampleValue(0), "0");
  EXPECT_EQ(formatSampleValue(1234), "1234");
  EXPECT_EQ(formatSampleValue(-3), "-3");
  EXPECT_EQ(formatSampleValue(0.25), "0.25");
  EXPECT_EQ(formatSampleValue(1714567890.5), "1714567890.5");
  EXPECT_EQ(formatSampleValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(formatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(std::stod(formatSampleValue(1e300)), 1e300);
}

TEST(MetricsRegistry, NamesAreValidated) {
  EXPECT_TRUE(isValidMetricName("cohortwatch_rows_total"));
  EXPECT_TRUE(isValidMetricName("job:rate5m"));
  EXPECT_TRUE(isValidMetricName("_x"));
  EXPECT_FALSE(isValidMetricName(""));
  EXPECT_FALSE(isValidMetricName("9lives"));
  EXPECT_FALSE(isValidMetricName("rows-taken"));
  EXPECT_FALSE(isValidMetricName("rows taken"));
  EXPECT_TRUE(isValidLabelName("source"));
  EXPECT_TRUE(isValidLabelName("_private"));
  EXPECT_FALSE(isValidLabelName("__reserved"));
  EXPECT_FALSE(isValidLabelName("a:b"));
  EXPECT_FALSE(isValidLabelName("1st"));
  EXPECT_FALSE(isValidLabelName(""));

  MetricsRegistry registry;
  EXPECT_THROW(registry.counter("rows-taken", "h"), std::invalid_argument);
  EXPECT_THROW(registry.counter("rows_total", "h", {"__name__"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("rows_total", "h", {"source", "source"}), std::invalid_argument);
  registry.counter("rows_total", "h", {"source"});
  EXPECT_NO_THROW(registry.counter("rows_total", "h", {"source"}));
  EXPECT_THROW(registry.gauge("rows_total", "h", {"source"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("rows_total", "other help", {"source"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("rows_total", "h", {"channel"}), std::invalid_argument);
}

TEST(MetricsRegistry, CountersOnlyGoUpAndWrongLabelCountsAreIgnored) {
  MetricsRegistry registry;
  const Counter counter = registry.counter("sent_total", "Sent.", {"channel"});
  counter.add({"mail"}, 5);
  counter.add({"mail"}, -2);
  counter.add({"mail"}, std::numeric_limits<double>::quiet_NaN());
  counter.add({"mail", "extra"}, 1);  // logged and ignored
  counter.add({}, 1);
  EXPECT_EQ(counter.value({"mail"}), 5);
  counter.setTotal({"mail"}, 9);
  EXPECT_EQ(counter.value({"mail"}), 9);
  counter.touch({"mail"});
  counter.touch({"chat"});
  EXPECT_EQ(counter.value({"mail"}), 9);
  EXPECT_EQ(counter.value({"chat"}), 0);
  EXPECT_THAT(registry.render(), Not(HasSubstr("extra")));
}

TEST(MetricsRegistry, GaugesGoBothWaysAndSeriesCanBeRemoved) {
  MetricsRegistry registry;
  const Gauge pending = registry.gauge("pending", "Pending.", {"channel"});
  pending.set({"mail"}, 4);
  pending.add({"mail"}, -3);
  EXPECT_EQ(pending.value({"mail"}), 1);
  pending.remove({"mail"});
  EXPECT_EQ(pending.value({"mail"}), std::nullopt);
  EXPECT_THAT(registry.render(), Not(HasSubstr("pending{")));
}

TEST(MetricsRegistry, ConcurrentUpdatesWhileRenderingLoseNothing) {
  MetricsRegistry registry;
  const Counter counter = registry.counter("hits_total", "Hits.", {"worker"});
  const Counter all = registry.counter("all_total", "All.");
  constexpr int kThreads = 4;
  constexpr int kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string worker = "w" + std::to_string(t % 2);
      for (int i = 0; i < kEach; ++i) {
        counter.add({worker});
        all.add({});
      }
    });
  }
  std::size_t renders = 0;
  for (int i = 0; i < 200; ++i) renders += registry.render().empty() ? 0u : 1u;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(renders, 200u);
  EXPECT_EQ(all.value({}), kThreads * kEach);
  EXPECT_EQ(counter.value({"w0"}), 2 * kEach);
  EXPECT_EQ(counter.value({"w1"}), 2 * kEach);
}

TEST(ProcessStats, ResidentMemoryFromStatm) {
  EXPECT_EQ(parseResidentBytes("10000 250 30 100 0 500 0\n", 4096), 250u * 4096u);
  EXPECT_EQ(parseResidentBytes("10000\n", 4096), std::nullopt);
  EXPECT_EQ(parseResidentBytes("10000 x 30\n", 4096), std::nullopt);
  EXPECT_EQ(parseResidentBytes("10000 250 30\n", 0), std::nullopt);
}

TEST(ProcessStats, StartTimeFromStatAndBootTime) {
  // A command name with spaces and a ')' of its own: fields are counted from the last ')'.
  const std::string self_stat =
      "4242 (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 200 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  const std::string stat = "cpu  1 2 3 4\nintr 5\nbtime 1700000000\nprocesses 9\n";
  const auto start = parseStartTimeSeconds(self_stat, stat, 100);
  ASSERT_TRUE(start);
  EXPECT_DOUBLE_EQ(*start, 1700000000.0 + 123.45);
  EXPECT_EQ(parseStartTimeSeconds(self_stat, "cpu 1 2 3\n", 100), std::nullopt);
  EXPECT_EQ(parseStartTimeSeconds("4242 (short) S 1 2", stat, 100), std::nullopt);
  EXPECT_EQ(parseStartTimeSeconds("no parentheses", stat, 100), std::nullopt);
}

TEST(ProcessStats, ReadsThisProcess) {
  const ProcessStats stats = readProcessStats();
  ASSERT_TRUE(stats.resident_memory_bytes);
  EXPECT_GT(*stats.resident_memory_bytes, 1024u * 1024u);  // a test binary holds at least 1 MiB
  ASSERT_TRUE(stats.start_time_seconds);
  EXPECT_LE(*stats.start_time_seconds, nowSeconds() + 1);
  EXPECT_GT(*stats.start_time_seconds, nowSeconds() - 24 * 3600);
}

TEST(ServiceMetrics, IssueSevenNamesWithConfiguredSeriesAtZero) {
  MetricsRegistry registry;
  ServiceMetrics metrics(registry);
  config::Settings settings;
  settings.sources.resize(1);
  settings.sources[0].name = "childview";
  settings.alerts.resize(1);
  settings.alerts[0].id = "proven_reoffence";
  settings.channels.resize(1);
  settings.channels[0].name = "mail";
  metrics.initialise(settings);
  const std::string text = registry.render();
  for (const char* line : {
           "cohortwatch_source_rows_taken_total{source=\"childview\"} 0\n",
           "cohortwatch_source_rows_rejected_total{source=\"childview\"} 0\n",
           "cohortwatch_events_evaluated_total 0\n",
           "cohortwatch_alerts_fired_total{rule=\"proven_reoffence\"} 0\n",
           "cohortwatch_outbox_messages{channel=\"mail\",status=\"pending\"} 0\n",
           "cohortwatch_outbox_messages{channel=\"mail\",status=\"sent\"} 0\n",
           "cohortwatch_outbox_messages{channel=\"mail\",status=\"dead\"} 0\n",
           "cohortwatch_outbox_retried_messages{channel=\"mail\"} 0\n",
           "# TYPE cohortwatch_source_last_success_timestamp_seconds gauge\n",
           "# TYPE cohortwatch_schedule_last_success_timestamp_seconds gauge\n",
           "# TYPE process_resident_memory_bytes gauge\n",
           "# TYPE process_start_time_seconds gauge\n",
       }) {
    EXPECT_THAT(text, HasSubstr(line));
  }
  // No success yet: no timestamp rather than a misleading 0 (1970).
  EXPECT_THAT(text, Not(HasSubstr("cohortwatch_source_last_success_timestamp_seconds{")));
  EXPECT_THAT(text, Not(HasSubstr("process_resident_memory_bytes 0\n")));
}

TEST(ServiceMetrics, RunLoopObservationsAccumulate) {
  MetricsRegistry registry;
  ServiceMetrics metrics(registry);
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  metrics.sourceRun("childview", 1200, 3, at);
  metrics.sourceRun("childview", 34, 1, std::nullopt);  // a failed run: no new success time
  metrics.eventsEvaluated(40);
  metrics.eventsEvaluated(2);
  metrics.alertsFired("proven_reoffence", 2);
  metrics.outbox("mail", 1, 10, 2, 3);
  metrics.outbox("mail", 0, 11, 2, 3);
  metrics.scheduleSucceeded("weekly_digest", at + std::chrono::seconds(60));
  const std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("cohortwatch_source_rows_taken_total{source=\"childview\"} 1234\n"));
  EXPECT_THAT(text, HasSubstr("cohortwatch_source_rows_rejected_total{source=\"childview\"} 4\n"));
  EXPECT_THAT(text,
              HasSubstr("cohortwatch_source_last_success_timestamp_seconds{source=\"childview\"} "
                        "1700000000\n"));
  EXPECT_THAT(text, HasSubstr("cohortwatch_events_evaluated_total 42\n"));
  EXPECT_THAT(text, HasSubstr("cohortwatch_alerts_fired_total{rule=\"proven_reoffence\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("cohortwatch_outbox_messages{channel=\"mail\",status=\"pending\"} 0\n"));
  EXPECT_THAT(text,
              HasSubstr("cohortwatch_outbox_messages{channel=\"mail\",status=\"sent\"} 11\n"));
  EXPECT_THAT(text, HasSubstr("cohortwatch_outbox_retried_messages{channel=\"mail\"} 3\n"));
  EXPECT_THAT(text,
              HasSubstr("cohortwatch_schedule_last_success_timestamp_seconds{schedule=\"weekly_"
                        "digest\"} 1700000060\n"));
}

}  // namespace
}  // namespace cohortwatch::daemon
