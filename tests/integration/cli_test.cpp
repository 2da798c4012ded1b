// The command line as a user and systemd see it: exit codes (0 ok, 1 runtime failure, 2 usage or
// configuration error), usage and help text, configuration errors naming file, line, column and
// key, and the database file created private to its owner.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace cohortwatch::integration {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class CliTest : public ::testing::Test {
 protected:
  // Every command runs in the test's own folder, so that nothing lands in the source tree.
  CliResult run(const std::vector<std::string>& args) {
    CliOptions options;
    options.working_dir = dir_.path();
    return runCohortwatch(args, options);
  }

  std::string db() const { return (dir_ / "cohortwatch.db").string(); }

  TempDir dir_;
};

unsigned modeOf(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 0xFFFFFFFFu;
  return static_cast<unsigned>(st.st_mode) & 07777u;
}

TEST_F(CliTest, NoArgumentsPrintsTheOverviewOnStderrAndExits2) {
  const auto result = run({});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_THAT(result.err, AllOf(HasSubstr("Usage: cohortwatch COMMAND"), HasSubstr("import"),
                                HasSubstr("report"), HasSubstr("check-config")));
}

TEST_F(CliTest, VersionFlagAndCommandPrintTheVersion) {
  const std::regex version_line(R"(^cohortwatch \d+\.\d+\.\d+.*\n$)");
  const auto flag = run({"--version"});
  EXPECT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_TRUE(std::regex_match(flag.out, version_line)) << flag.out;
  const auto command = run({"version"});
  EXPECT_EQ(command.exit_code, 0) << command.err;
  EXPECT_TRUE(std::regex_match(command.out, version_line)) << command.out;
  EXPECT_EQ(flag.out, command.out);
}

TEST_F(CliTest, HelpExitsZeroWithUsage) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"help"}, {"--help"}}) {
    const auto result = run(args);
    EXPECT_EQ(result.exit_code, 0) << args[0] << ": " << result.err;
    EXPECT_THAT(result.out, AllOf(HasSubstr("Usage: cohortwatch COMMAND"), HasSubstr("generate")))
        << args[0];
  }
  const auto report = run({"report", "--help"});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.out, AllOf(HasSubstr("Usage: cohortwatch report"), HasSubstr("--as-of"),
                                HasSubstr("--format"), HasSubstr("--cohort"), HasSubstr("--db")));
  const auto help_import = run({"help", "import"});
  EXPECT_EQ(help_import.exit_code, 0) << help_import.err;
  EXPECT_THAT(help_import.out, HasSubstr("--retry-rejected"));
}

TEST_F(CliTest, UnknownCommandExits2) {
  const auto result = run({"frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, AllOf(HasSubstr("unknown command"), HasSubstr("frobnicate")));
}

TEST_F(CliTest, UnknownOptionExits2NamingIt) {
  const auto result = run({"report", "cohorts", "--db", db(), "--frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--frobnicate"));
}

TEST_F(CliTest, OptionWithoutItsValueExits2) {
  const auto result = run({"report", "cohorts", "--db"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--db"));
}

TEST_F(CliTest, ReportWithoutSubjectExits2) {
  const auto result = run({"report", "--db", db()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("cohorts"));
  const auto unknown = run({"report", "everything", "--db", db()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("everything"));
}

TEST_F(CliTest, ReportPerformanceNeedsExactlyOneOfCohortAndYear) {
  const auto neither = run({"report", "performance", "--db", db()});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_THAT(neither.err, AllOf(HasSubstr("--cohort"), HasSubstr("--year")));
  const auto both =
      run({"report", "performance", "--db", db(), "--cohort", "2024Q1", "--year", "2023/24"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, AllOf(HasSubstr("--cohort"), HasSubstr("--year")));
  const auto bad_year = run({"report", "performance", "--db", db(), "--year", "2023/25"});
  EXPECT_EQ(bad_year.exit_code, 2);
  EXPECT_THAT(bad_year.err, HasSubstr("2023/25"));
  const auto members = run({"report", "members", "--db", db()});
  EXPECT_EQ(members.exit_code, 2);
  EXPECT_THAT(members.err, HasSubstr("--cohort"));
  // Usage is checked before the store is touched.
  EXPECT_FALSE(std::filesystem::exists(db()));
}

TEST_F(CliTest, BadAsOfExits2) {
  for (const std::string bad : {"2025-02-30", "31/12/2025", "yesterday"}) {
    const auto result = run({"report", "cohorts", "--db", db(), "--as-of", bad});
    EXPECT_EQ(result.exit_code, 2) << bad;
    EXPECT_THAT(result.err, AllOf(HasSubstr("--as-of"), HasSubstr(bad)));
  }
}

TEST_F(CliTest, BadFormatExits2) {
  const auto result = run({"report", "cohorts", "--db", db(), "--format", "xml"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--format"));
}

TEST_F(CliTest, ImportOfAMissingFileExits1NamingThePath) {
  const auto missing = (dir_ / "no-such-people.csv").string();
  const auto result = run({"import", "--db", db(), missing});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out + result.err, HasSubstr(missing));
}

TEST_F(CliTest, ImportWithoutFilesExits2) {
  const auto result = run({"import", "--db", db()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("FILE"));
}

TEST_F(CliTest, UnwritableDatabasePathExits1WithAClearMessage) {
  const auto plain = dir_ / "plain-file";
  writeFile(plain, "not a folder\n");
  const auto bad_db = (plain / "cohortwatch.db").string();
  const auto result = run({"report", "cohorts", "--db", bad_db});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, AllOf(HasSubstr(plain.string()), HasSubstr("database")));
  EXPECT_THAT(result.err, Not(HasSubstr("Usage:")));
}

TEST_F(CliTest, GenerateWithBadOptionsExits2) {
  const std::string out = (dir_ / "generated").string();
  const std::vector<std::vector<std::string>> mistakes = {
      {"generate"},
      {"generate", "--out", out, "--children", "-5"},
      {"generate", "--out", out, "--children", "many"},
      {"generate", "--out", out, "--dirty-rate", "1"},
      {"generate", "--out", out, "--dirty-rate", "-0.1"},
      {"generate", "--out", out, "--dirty-rate", "nan"},
      {"generate", "--out", out, "--from", "2025-01-01", "--to", "2024-01-01"},
      {"generate", "--out", out, "--to", "2024-02-30"},
  };
  for (const auto& args : mistakes) {
    const auto result = run(args);
    std::string command;
    for (const auto& arg : args) command += " " + arg;
    EXPECT_EQ(result.exit_code, 2) << command << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr("Usage: cohortwatch generate")) << command;
  }
}

TEST_F(CliTest, GenerateIntoAnUnwritablePlaceExits1) {
  const auto plain = dir_ / "plain-file";
  writeFile(plain, "not a folder\n");
  const auto result = run({"generate", "--out", (plain / "out").string(), "--children", "3"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(plain.string()));
}

TEST_F(CliTest, CheckConfigNamesEveryMistakeWithLineColumnAndKey) {
  const auto config = dir_ / "bad.yaml";
  writeFile(config,
            "database:\n"                 // 1
            "  path: x.db\n"              // 2
            "  busy_timeout: 5000\n"      // 3: unknown key
            "logging:\n"                  // 4
            "  level: info\n"             // 5
            "methodology:\n"              // 6
            "  max_age: [17]\n"           // 7: wrong type
            "  follow_up_months: 99\n");  // 8: out of range
  const auto result = run({"check-config", "--config", config.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.out, Not(HasSubstr("ok")));
  const std::string file = config.string();
  // Each mistake on its own line, in file order.
  std::vector<std::string> error_lines;
  for (const auto& line : lines(result.err)) {
    if (line.rfind(file + ":", 0) == 0) error_lines.push_back(line);
  }
  ASSERT_EQ(error_lines.size(), 3u) << result.err;
  // "FILE:LINE:COL: key.path: message"
  const std::regex located(R"(^(\d+):(\d+): ([a-z_.\[\]0-9]+): (.+)$)");
  // The column is the unknown key's, or the bad value's (as in the README's example).
  struct Expected {
    const char* line;
    const char* column;
    const char* key;
  };
  const std::vector<Expected> expected = {{"3", "3", "database.busy_timeout"},
                                          {"7", "12", "methodology.max_age"},
                                          {"8", "21", "methodology.follow_up_months"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    std::smatch match;
    const std::string rest = error_lines[i].substr(file.size() + 1);
    ASSERT_TRUE(std::regex_match(rest, match, located)) << error_lines[i];
    EXPECT_EQ(match[1].str(), expected[i].line) << error_lines[i];
    EXPECT_EQ(match[2].str(), expected[i].column) << error_lines[i];
    EXPECT_EQ(match[3].str(), expected[i].key) << error_lines[i];
  }
  EXPECT_THAT(error_lines[2], HasSubstr("99"));
}

TEST_F(CliTest, CheckConfigOfAMissingFileFails) {
  const auto missing = (dir_ / "missing.yaml").string();
  const auto result = run({"check-config", "--config", missing});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr(missing));
}

TEST_F(CliTest, CheckConfigAcceptsTheExampleConfiguration) {
  const auto example = (sourceDir() / "config" / "cohortwatch.example.yaml").string();
  const auto result = run({"check-config", "--config", example});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("ok"));
}

TEST_F(CliTest, CheckConfigAcceptsTheDemoConfiguration) {
  const auto demo = (sourceDir() / "examples" / "demo.yaml").string();
  const auto result = run({"check-config", "--config", demo});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("ok"));
}

TEST_F(CliTest, CheckConfigRefusesACaFileThatIsNotThere) {
  // A channel's certificate bundle is checked when the configuration is read, not at the first
  // message in the middle of the night.
  const auto config = dir_ / "lab.yaml";
  const auto missing = (dir_ / "relay-ca.pem").string();
  writeFile(config,
            "database:\n  path: " + (dir_ / "cw.db").string() + "\n"
            "channels:\n"
            "  - name: mail\n    kind: smtp\n    smtp:\n"
            "      url: smtp://127.0.0.1:9\n      from: cw@yot.example.org\n"
            "      ca_file: " + missing + "\n"
            "  - name: chat\n    kind: webhook\n    webhook:\n"
            "      url: https://127.0.0.1:9/hook\n      ca_file: " + dir_.path().string() + "\n");
  const auto result = run({"check-config", "--config", config.string()});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("channels[0].smtp.ca_file: cannot read " + missing + ": no such file"));
  EXPECT_THAT(result.err, HasSubstr("channels[1].webhook.ca_file: cannot read " + dir_.path().string() + ": not a file"));
}

TEST_F(CliTest, CheckConfigWarnsAboutUnprotectedTransportButAcceptsIt) {
  const auto config = dir_ / "lab.yaml";
  writeFile(config,
            "database:\n  path: " + (dir_ / "cw.db").string() + "\n"
            "channels:\n"
            "  - name: chat\n    kind: webhook\n    webhook:\n"
            "      url: http://127.0.0.1:9/hook?key=s3cr3t\n"
            "      verify_tls: false\n");
  const auto result = run({"check-config", "--config", config.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("ok"));
  EXPECT_THAT(result.err, HasSubstr("warning: webhook channel chat: TLS certificate verification is disabled"));
  EXPECT_THAT(result.err, HasSubstr("warning: webhook channel chat: payloads are sent unencrypted over http://"));
  EXPECT_THAT(result.err, Not(HasSubstr("s3cr3t")));
}

TEST_F(CliTest, DatabaseFileIsCreatedWithMode0600) {
  const auto people = dir_ / "people.csv";
  writeFile(people, "person_id,date_of_birth\nC1,2010-01-01\n");
  const std::vector<std::vector<std::string>> commands = {
      {"report", "cohorts"},       {"report", "rejected"},         {"report", "warnings"},
      {"import", people.string()}, {"import", "--retry-rejected"}, {"run", "--once"},
  };
  int n = 0;
  for (auto args : commands) {
    const auto file = dir_ / ("mode-" + std::to_string(n++) + ".db");
    args.insert(args.end(), {"--db", file.string()});
    const auto result = run(args);
    EXPECT_EQ(result.exit_code, 0) << args[0] << " " << args[1] << ": " << result.err;
    ASSERT_TRUE(std::filesystem::exists(file)) << args[0] << " " << args[1];
    EXPECT_EQ(modeOf(file), 0600u)
        << args[0] << " " << args[1] << ": mode " << std::oct << modeOf(file);
  }
}

TEST_F(CliTest, ExistingDatabaseReadableByOthersIsTightenedTo0600) {
  const auto file = dir_ / "wide.db";
  ASSERT_EQ(run({"report", "cohorts", "--db", file.string()}).exit_code, 0);
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  ASSERT_EQ(modeOf(file), 0644u);
  const auto result = run({"report", "cohorts", "--db", file.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(modeOf(file), 0600u) << std::oct << modeOf(file);
}

}  // namespace
}  // namespace cohortwatch::integration
