// The manager digest through the real binary: `produce` of a digest twice, with an import in
// between, shows in the second what changed since the first (the live rate, new reoffenders, new
// members) and the news about a child (an offence recorded and proven in follow-up) among the
// reasons to review; the first says it is the first. Read back with `outbox show`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace cohortwatch::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DigestCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writeFile(config_,
              "database:\n  path: " + (dir_ / "cw.db").string() +
                  "\n"
                  "notifications:\n"
                  "  managers: [manager@yot.example.org]\n"
                  "  spool_dir: " + (dir_ / "spool").string() +
                  "\n"
                  "schedules:\n"
                  "  - name: weekly-digest\n"
                  "    cron: \"0 8 * * 1\"\n"
                  "    zone: UTC\n"
                  "    produces: manager_digest\n");
  }

  CliResult cw(std::vector<std::string> args) {
    args.push_back("--config");
    args.push_back(config_.string());
    return runCohortwatch(args);
  }

  void import(const std::string& name, const std::string& people, const std::string& offences,
              const std::string& outcomes) {
    const auto folder = dir_ / name;
    std::filesystem::create_directories(folder);
    writeFile(folder / "people.csv", "person_id,date_of_birth,caseworker\n" + people);
    writeFile(folder / "offences.csv", "offence_id,person_id,offence_date,breach\n" + offences);
    writeFile(folder / "outcomes.csv",
              "outcome_id,person_id,offence_id,outcome_type,outcome_date\n" + outcomes);
    const auto imported = cw({"import", (folder / "people.csv").string(),
                              (folder / "offences.csv").string(), (folder / "outcomes.csv").string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  // Produces the digest as of the day and returns its plain text, from the outbox.
  std::string produceDigest() {
    const auto produced = cw({"produce", "weekly-digest", "--as-of", "2026-11-30"});
    EXPECT_EQ(produced.exit_code, 0) << produced.err;
    EXPECT_THAT(produced.out, HasSubstr("1 message(s) queued"));
    const auto listed = cw({"outbox", "list", "--format", "json"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    long latest = 0;
    for (const auto& message : nlohmann::json::parse(listed.out)) {
      if (message["kind"] == "digest") latest = std::max(latest, message["id"].get<long>());
    }
    const auto shown = cw({"outbox", "show", std::to_string(latest), "--format", "json"});
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    for (const auto& row : nlohmann::json::parse(shown.out)) {
      if (row["field"] == "text") return row["value"].get<std::string>();
    }
    ADD_FAILURE() << "no text in " << shown.out;
    return {};
  }

  TempDir dir_;
  std::filesystem::path config_ = dir_ / "cw.yaml";
};

TEST_F(DigestCliTest, TheSecondDigestShowsWhatChangedSinceTheFirst) {
  // 2026Q2: three children cautioned in May, none reoffended yet.
  import("first",
         "P1,2010-01-01,cw1@yot.example.org\n"
         "P2,2010-02-02,cw1@yot.example.org\n"
         "P3,2010-03-03,cw2@yot.example.org\n",
         "O1,P1,2026-04-20,false\nO2,P2,2026-04-22,false\nO3,P3,2026-04-24,false\n",
         "X1,P1,O1,youth_caution,2026-05-10\nX2,P2,O2,youth_caution,2026-05-12\n"
         "X3,P3,O3,youth_caution,2026-05-14\n");
  const auto first = produceDigest();
  EXPECT_THAT(first, HasSubstr("  2026Q2  following_up  3 children, 0 reoffended: 0.0% (national "
                               "not configured)\n     change since the last digest: first digest\n"));
  EXPECT_THAT(first, Not(HasSubstr("Changes are since the last digest")));

  // Then a fourth child joins the cohort, and P1 reoffends: an offence in follow-up, proven.
  import("second", "P4,2010-04-04,cw2@yot.example.org\n",
         "O4,P4,2026-05-20,false\nO5,P1,2026-11-10,false\n",
         "X4,P4,O4,youth_caution,2026-06-01\nX5,P1,O5,fine,2026-11-25\n");
  const auto second = produceDigest();
  EXPECT_THAT(second, HasSubstr("Changes are since the last digest, as of 2026-11-30.\n"));
  EXPECT_THAT(second, HasSubstr("  2026Q2  following_up  4 children, 1 reoffended: 25.0% (national "
                                "not configured)\n     change since the last digest: +25.0 pp, 1 "
                                "new reoffender, 1 new member\n"));
  // The fine starts P1's membership of 2026Q4, which the first digest did not have.
  EXPECT_THAT(second, HasSubstr("  2026Q4  recruiting  1 child, 0 reoffended: 0.0% (national "
                                "not configured)\n     change since the last digest: not in the "
                                "last digest\n"));
  EXPECT_THAT(second, HasSubstr("  1. P1  2026Q4  priority 1.0\n"
                                "     1 new offence(s) recorded; 1 offence(s) proven (reoffending)\n"));

  // Nothing happened since: a third digest says so, and P1's news is not repeated.
  const auto third = produceDigest();
  EXPECT_THAT(third, HasSubstr("     change since the last digest: no change\n"));
  EXPECT_THAT(third, Not(HasSubstr("new offence(s) recorded")));
}

}  // namespace
}  // namespace cohortwatch::integration
