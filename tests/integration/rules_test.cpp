// The rules and the outbox through the real binary: `rules check` on good and broken
// configurations, `rules test` as a dry run, `run --once` turning change events into messages in
// the built-in spool exactly once, webhooks with privacy applied, a dead message retried and
// purged through `outbox`, and `analyse retrospective --suggest` finding the groups the generator
// plants (looked-after children and 17-year-olds reoffend more).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "source_test_support.h"
#include "tests/support/http_test_server.h"

namespace cohortwatch::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::filesystem::path writeYaml(const std::filesystem::path& file, const std::string& yaml) {
  writeFile(file, yaml);
  return file;
}

// Generated data over two years ending on `to`, imported into dir/cw.db.
void importGenerated(const TempDir& dir, const std::string& children, const std::string& from,
                     const std::string& to) {
  ASSERT_EQ(runCohortwatch({"generate", "--out", (dir / "data").string(), "--children", children,
                            "--from", from, "--to", to, "--seed", "7"})
                .exit_code,
            0);
  const auto imported =
      runCohortwatch({"import", "--db", (dir / "cw.db").string(), (dir / "data/people.csv").string(),
                      (dir / "data/offences.csv").string(), (dir / "data/outcomes.csv").string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
}

std::string rulesYaml(const TempDir& dir, const std::string& extra = "") {
  return "database:\n  path: " + (dir / "cw.db").string() +
         "\n"
         "focus_groups:\n"
         "  - {id: lac, name: Looked after, when: looked_after, weight: 2}\n"
         "  - {id: older, name: Seventeen, when: age_at_index == 17, weight: 1.5}\n"
         "alerts:\n"
         "  - id: offence_in_follow_up\n"
         "    name: New offence during follow-up\n"
         "    on: offence_recorded\n"
         "    when: event.in_follow_up and not event.breach\n"
         "    notify: [managers]\n"
         "    deliver: immediately\n"
         "    severity: high\n"
         "notifications:\n"
         "  managers: [manager@yot.example.org]\n"
         "  spool_dir: " +
         (dir / "spool").string() +
         "\n"
         "  max_event_age_days: 3650\n" +
         extra;
}

TEST(RulesCommandTest, CheckReportsABrokenConditionWithItsLineColumnAndCaret) {
  TempDir dir;
  const auto config = writeYaml(dir / "cw.yaml",
                                  "focus_groups:\n"
                                  "  - id: older\n"
                                  "    when: age_at_index >= \"17\"\n");
  const auto result = runCohortwatch({"rules", "check", "--config", config.string()});
  EXPECT_EQ(result.exit_code, 2);
  // The condition starts at column 11; the comparison it complains about at column 14 of it.
  EXPECT_THAT(result.err, HasSubstr(config.string() +
                                    ":3:24: focus_groups[0].when: cannot compare integer with text"));
  EXPECT_THAT(result.err, HasSubstr("\n  age_at_index >= \"17\"\n" + std::string(2 + 13, ' ') + "^\n"));
  // Every command refuses a configuration whose rules do not compile.
  EXPECT_EQ(runCohortwatch({"run", "--once", "--config", config.string()}).exit_code, 2);
}

TEST(RulesCommandTest, CheckListsTheShippedExampleRules) {
  const auto example = sourceDir() / "config/cohortwatch.example.yaml";
  TempDir dir;
  const auto result = runCohortwatch({"rules", "check", "--config", example.string(), "--db",
                                      (dir / "cw.db").string(), "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto rules = nlohmann::json::parse(result.out);
  ASSERT_TRUE(rules.is_array());
  std::vector<std::string> ids;
  for (const auto& rule : rules) ids.push_back(rule.at("id"));
  EXPECT_THAT(ids, ::testing::IsSupersetOf({"age_17", "looked_after", "offence_in_follow_up",
                                            "follow_up_ending_with_pending", "action_overdue"}));
}

// Change events the rules have not evaluated yet (after the rules' cursor).
constexpr const char* kUnevaluatedEvents =
    "SELECT count(*) FROM events WHERE id > (SELECT last_event_id FROM rules_progress)";

TEST(RulesCommandTest, TestIsADryRunOrderedByPriority) {
  TempDir dir;
  importGenerated(dir, "400", "2025-01-01", "2026-11-30");
  const auto config = writeYaml(dir / "cw.yaml", rulesYaml(dir));
  const auto events_before = queryNumber(dir / "cw.db", kUnevaluatedEvents);
  const auto result = runCohortwatch({"rules", "test", "--config", config.string(), "--as-of",
                                      "2026-12-01", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  const auto& members = report.at("members");
  ASSERT_FALSE(members.empty());
  for (std::size_t i = 1; i < members.size(); ++i) {
    EXPECT_GE(members[i - 1].at("priority").get<double>(), members[i].at("priority").get<double>());
  }
  EXPECT_FALSE(report.at("alerts").empty());
  for (const auto& alert : report.at("alerts")) {
    EXPECT_EQ(alert.at("rule"), "offence_in_follow_up");
    EXPECT_THAT(alert.at("why").get<std::string>(), HasSubstr("event.in_follow_up=true"));
  }
  // Nothing was recorded, queued or marked.
  EXPECT_EQ(countRows(dir / "cw.db", "alerts"), 0);
  EXPECT_EQ(countRows(dir / "cw.db", "outbox"), 0);
  EXPECT_EQ(queryNumber(dir / "cw.db", kUnevaluatedEvents), events_before);
  EXPECT_FALSE(std::filesystem::exists(dir / "spool"));
}

TEST(RulesCommandTest, RunOnceQueuesAndSpoolsEachAlertExactlyOnce) {
  TempDir dir;
  importGenerated(dir, "400", "2025-01-01", "2026-11-30");
  const auto config = writeYaml(dir / "cw.yaml", rulesYaml(dir));
  const auto first = runCohortwatch({"run", "--once", "--config", config.string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const long alerts = static_cast<long>(countRows(dir / "cw.db", "alerts"));
  ASSERT_GT(alerts, 0);
  EXPECT_EQ(queryNumber(dir / "cw.db", "SELECT count(*) FROM outbox WHERE status = 'sent'"), alerts);
  EXPECT_EQ(static_cast<long>(filesIn(dir / "spool").size()), alerts);
  // No personal data in the log: the children's names are in people.csv, not in the log.
  EXPECT_THAT(first.err, HasSubstr("alerts fired"));
  EXPECT_THAT(first.err, Not(HasSubstr("@yot.example.org")));

  // A second cycle finds every event evaluated: nothing new fires, nothing is sent again.
  const auto second = runCohortwatch({"run", "--once", "--config", config.string()});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(static_cast<long>(countRows(dir / "cw.db", "alerts")), alerts);
  EXPECT_EQ(static_cast<long>(filesIn(dir / "spool").size()), alerts);

  // The spooled e-mail names the child by initials and case id (the default), never in full.
  const auto files = filesIn(dir / "spool");
  const std::string eml = readFile(dir / "spool" / files.front());
  EXPECT_THAT(eml, HasSubstr("Subject: [cohortwatch] High: New offence during follow-up - "));
  EXPECT_THAT(eml, HasSubstr("To: manager@yot.example.org"));
  EXPECT_THAT(eml, HasSubstr("multipart/alternative"));
  const auto listed = runCohortwatch({"outbox", "list", "--config", config.string(), "--format", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(static_cast<long>(nlohmann::json::parse(listed.out).size()), std::min(alerts, 100L));
}

TEST(RulesCommandTest, WebhooksNameTheChildByIdAndDeadMessagesCanBeRetriedAndPurged) {
  TempDir dir;
  importGenerated(dir, "200", "2025-01-01", "2026-11-30");
  test_support::HttpTestServer receiver([](const test_support::HttpTestRequest&) {
    return test_support::HttpTestResponse{400, {}, "unknown channel id", {}, false};
  });
  const auto config = writeYaml(
      dir / "cw.yaml",
      rulesYaml(dir, "channels:\n"
                     "  - name: chat\n"
                     "    kind: webhook\n"
                     "    webhook: {url: \"" + receiver.url("/hook") + "\", style: generic}\n") +
          "");
  // Send the alerts to the chat channel instead of the managers.
  std::string yaml = readFile(config);
  yaml.replace(yaml.find("notify: [managers]"), std::string("notify: [managers]").size(), "notify: [chat]");
  writeFile(config, yaml);
  const auto run = runCohortwatch({"run", "--once", "--config", config.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto requests = receiver.requests();
  ASSERT_FALSE(requests.empty());
  const auto payload = nlohmann::json::parse(requests.front().body);
  EXPECT_EQ(payload.at("schema"), "cohortwatch.alert.v1");
  EXPECT_EQ(payload.at("child"), payload.at("person_id"));  // webhook_identify_by: id
  EXPECT_TRUE(requests.front().header("webhook-id").has_value());
  // 400: dead at once, no retries.
  const long dead = static_cast<long>(
      queryNumber(dir / "cw.db", "SELECT count(*) FROM outbox WHERE status = 'dead'"));
  EXPECT_EQ(dead, static_cast<long>(requests.size()));
  EXPECT_EQ(queryNumber(dir / "cw.db", "SELECT max(attempts) FROM outbox"), 1);
  const auto id = queryText(dir / "cw.db", "SELECT min(id) FROM outbox");
  const auto shown = runCohortwatch({"outbox", "show", id, "--config", config.string()});
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_THAT(shown.out, HasSubstr("400"));

  const auto retried = runCohortwatch({"outbox", "retry", id, "--config", config.string()});
  EXPECT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(queryText(dir / "cw.db", "SELECT status FROM outbox WHERE id = " + id), "pending");
  EXPECT_EQ(runCohortwatch({"outbox", "retry", "999999", "--config", config.string()}).exit_code, 1);

  const auto purged = runCohortwatch({"outbox", "purge", "--older-than", "2999-01-01", "--config",
                                      config.string()});
  EXPECT_EQ(purged.exit_code, 0) << purged.err;
  // The dead ones are gone; the one made pending again stays.
  EXPECT_EQ(countRows(dir / "cw.db", "outbox"), 1);
  EXPECT_EQ(runCohortwatch({"outbox", "purge", "--config", config.string()}).exit_code, 2);
}

TEST(AnalyseCommandTest, SuggestFindsThePlantedHighRiskGroups) {
  TempDir dir;
  // Complete cohorts need 18 months after their quarter: data from 2021 to 2023, as of 2026.
  importGenerated(dir, "4000", "2021-01-01", "2023-12-31");
  const auto config = writeYaml(dir / "cw.yaml", "database:\n  path: " + (dir / "cw.db").string() + "\n");
  const auto result =
      runCohortwatch({"analyse", "retrospective", "--from", "2021Q1", "--to", "2023Q4", "--suggest",
                      "--as-of", "2026-12-01", "--format", "json", "--config", config.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto analysis = nlohmann::json::parse(result.out);
  EXPECT_GT(analysis.at("overall").at("members").get<long>(), 3000);
  std::vector<std::string> suggested;
  for (const auto& group : analysis.at("suggestions").at("groups")) {
    suggested.push_back(group.at("dimension").get<std::string>() + "=" + group.at("label").get<std::string>());
  }
  EXPECT_THAT(suggested, ::testing::Contains("looked_after=yes"));
  EXPECT_THAT(suggested, ::testing::Contains("age_at_index=17"));
  // The YAML is ready to paste: cohortwatch accepts it as it stands.
  const std::string yaml = analysis.at("suggestions").at("yaml");
  const auto pasted = writeYaml(dir / "pasted.yaml",
                                  "database:\n  path: " + (dir / "cw.db").string() + "\n" + yaml);
  const auto checked = runCohortwatch({"rules", "check", "--config", pasted.string()});
  EXPECT_EQ(checked.exit_code, 0) << checked.err << yaml;
}

}  // namespace
}  // namespace cohortwatch::integration
