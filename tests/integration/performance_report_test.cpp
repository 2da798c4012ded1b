// The performance report with graphs through the real binary, on generated synthetic data:
// `report performance --format html` is a page whose four inline SVG charts each parse as XML
// (python3's xml.etree, an independent parser), and the board report schedule puts the charts
// in its e-mail as inline PNG parts whose Content-IDs the HTML part shows, and that Pillow
// decodes at 800x400 with more than one colour.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace cohortwatch::integration {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

std::string python() {
  const char* configured = std::getenv("COHORTWATCH_TEST_PYTHON");
  return configured != nullptr && *configured != '\0' ? configured : "/usr/bin/python3";
}

constexpr const char* kAsOf = "2026-01-15";

// Every inline <svg>...</svg> of an HTML page, parsed: [{"ok": bool, "title": ..., "error": ...}].
constexpr const char* kCheckSvgs = R"py(
import json, re, sys
import xml.etree.ElementTree as ET
page = open(sys.argv[1], encoding="utf-8").read()
found = []
for svg in re.findall(r"<svg .*?</svg>", page, re.S):
    try:
        root = ET.fromstring(svg)
        title = root.find("{http://www.w3.org/2000/svg}title")
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        found.append({"ok": True, "title": title.text if title is not None else None, "texts": texts})
    except ET.ParseError as error:
        found.append({"ok": False, "error": str(error)})
print(json.dumps(found))
)py";

// The board report among the spooled .eml files: its inline images and what the HTML refers to.
constexpr const char* kCheckEmail = R"py(
import email, glob, io, json, re, sys
from email import policy
from PIL import Image
result = {"reports": 0, "images": [], "html_cids": [], "text": ""}
for path in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    message = email.message_from_binary_file(open(path, "rb"), policy=policy.default)
    if "performance against the national average" not in str(message["Subject"]):
        continue
    result["reports"] += 1
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/html":
            html = part.get_content()
            result["html_cids"] = re.findall(r'src="cid:([^"]+)"', html)
            result["alts"] = re.findall(r'alt="([^"]*)"', html)
        elif kind == "text/plain":
            result["text"] = part.get_content()
        elif kind == "image/png":
            data = part.get_payload(decode=True)
            image = Image.open(io.BytesIO(data))
            image.load()
            colours = image.convert("RGB").getcolors(1 << 20)
            result["images"].append({"content_id": str(part["Content-ID"]).strip("<>"),
                                     "disposition": part.get_content_disposition(),
                                     "size": list(image.size), "colours": len(colours)})
print(json.dumps(result))
)py";

class PerformanceReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto generated =
        runCohortwatch({"generate", "--out", (dir_ / "data").string(), "--children", "800",
                        "--from", "2023-01-01", "--to", kAsOf, "--seed", "8"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    writeFile(dir_ / "cw.yaml",
              "database:\n  path: " + (dir_ / "cw.db").string() +
                  "\n"
                  "national:\n"
                  "  - {period: 2024/25, binary_rate: 32.5, source: synthetic}\n"
                  "  - {period: 2024Q2, binary_rate: 31.6, reoffences_per_reoffender: 3.9, source: "
                  "synthetic}\n"
                  "focus_groups:\n"
                  "  - {id: age_17, name: \"17 at the index date\", when: age_at_index == 17}\n"
                  "  - {id: looked_after, name: \"Looked-after children\", when: looked_after}\n"
                  "notifications:\n"
                  "  managers: [board@yot.example.org]\n"
                  "  spool_dir: " +
                  (dir_ / "spool").string() +
                  "\n"
                  "schedules:\n"
                  "  - name: board-report\n"
                  "    cron: \"0 8 1 */3 *\"\n"
                  "    produces: strategic_report\n");
    const auto imported =
        cw({"import", (dir_ / "data/people.csv").string(), (dir_ / "data/offences.csv").string(),
            (dir_ / "data/outcomes.csv").string()});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  CliResult cw(std::vector<std::string> args) {
    args.push_back("--config");
    args.push_back((dir_ / "cw.yaml").string());
    return runCohortwatch(args);
  }

  json runPython(const char* script, const std::string& argument) {
    writeFile(dir_ / "check.py", script);
    const auto run = runProgram(python(), {(dir_ / "check.py").string(), argument});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return json::parse(run.out);
  }

  TempDir dir_;
};

TEST_F(PerformanceReportTest, HtmlReportHoldsTheSummaryAndFourChartsThatParseAsSvg) {
  const auto report =
      cw({"report", "performance", "--year", "2024/25", "--as-of", kAsOf, "--format", "html"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.out, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(report.out, HasSubstr("<td>2024/25</td>"));  // the summary table's year row
  writeFile(dir_ / "report.html", report.out);
  const auto svgs = runPython(kCheckSvgs, (dir_ / "report.html").string());
  ASSERT_EQ(svgs.size(), 4U) << svgs.dump();
  std::vector<std::string> titles;
  for (const auto& svg : svgs) {
    ASSERT_TRUE(svg["ok"].get<bool>()) << svg.dump();
    titles.push_back(svg["title"].get<std::string>());
  }
  EXPECT_EQ(titles[0], "Proven reoffending by quarterly cohort against the national average");
  EXPECT_EQ(titles[1], "Reoffences per reoffender by quarterly cohort");
  EXPECT_THAT(titles[2], HasSubstr("Cumulative proven reoffending by month"));
  EXPECT_THAT(titles[3], HasSubstr("Proven reoffending by focus group"));
  // The binary-rate chart covers the eight quarters to the year's end, with the national line
  // (the quarter's figure, or the year's) and axis labels with units.
  const auto first = svgs[0]["texts"].get<std::vector<std::string>>();
  EXPECT_THAT(first, Contains("2023Q2"));
  EXPECT_THAT(first, Contains("2025Q1"));
  EXPECT_THAT(first, Contains("National average"));
  EXPECT_THAT(first, Contains("Children who reoffended (% of cohort)"));
  const auto groups = svgs[3]["texts"].get<std::vector<std::string>>();
  EXPECT_TRUE(std::any_of(groups.begin(), groups.end(), [](const std::string& text) {
    return text.starts_with("All members (n=");
  }));
}

TEST_F(PerformanceReportTest, HtmlIsOnlyForThePerformanceReport) {
  const auto refused = cw({"report", "cohorts", "--format", "html"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("--format"));
  EXPECT_THAT(refused.out, Not(HasSubstr("<svg")));
}

TEST_F(PerformanceReportTest, BoardReportEmailShowsItsChartsAsInlinePngImages) {
  const auto produced = cw({"produce", "board-report", "--as-of", kAsOf});
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  const auto sent = cw({"run", "--once"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  const auto mail = runPython(kCheckEmail, (dir_ / "spool").string());
  ASSERT_EQ(mail["reports"], 1) << mail.dump();
  const auto& images = mail["images"];
  ASSERT_EQ(images.size(), 4U) << mail.dump();
  const auto cids = mail["html_cids"].get<std::vector<std::string>>();
  for (const auto& image : images) {
    EXPECT_THAT(cids, Contains(image["content_id"].get<std::string>()));
    EXPECT_EQ(image["disposition"], "inline");
    EXPECT_EQ(image["size"], json::array({800, 400}));
    EXPECT_GT(image["colours"].get<int>(), 3) << image.dump();  // not a blank, single-colour image
  }
  for (const auto& alt : mail["alts"]) EXPECT_THAT(alt.get<std::string>(), HasSubstr(". "));
  // Without images the text part still gives the charts' figures in words.
  const auto text = mail["text"].get<std::string>();
  EXPECT_THAT(text, HasSubstr("Charts (shown as images in the HTML version of this message):"));
  EXPECT_THAT(text, HasSubstr("All members (n="));
  EXPECT_THAT(text, HasSubstr("(live cohort)"));
}

}  // namespace
}  // namespace cohortwatch::integration
