// The HTML form of report tables: a page that prints well and never lets recorded text (a team
// name, an error message) become markup.
#include "reports/html.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace cohortwatch::reports {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(HtmlTest, EscapesEverythingMarkupCouldUse) {
  EXPECT_EQ(htmlEscape(R"(<a href="x">Tom & 'Jerry'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(htmlEscape("plain, Ünïcode"), "plain, Ünïcode");
}

TEST(HtmlTest, TableRightAlignsNumbersAndFormatsCellsAsTheTerminalDoes) {
  Table table;
  table.columns = {{"team", "Team <name>"},
                   {"rate", "Rate %", 1},
                   {"n", "Count", 0},
                   {"open", "Open"},
                   {"missing", "Missing"}};
  table.rows = {{std::string("North & <East>"), 33.333, 12L, true, Cell{}}};
  table.notes = {"provisional <until> 2026"};
  std::ostringstream out;
  renderHtmlTable(table, out, "Cohorts");
  const std::string html = out.str();
  EXPECT_THAT(html, HasSubstr("<caption>Cohorts</caption>"));
  EXPECT_THAT(html, HasSubstr("<th>Team &lt;name&gt;</th><th class=\"num\">Rate %</th>"));
  EXPECT_THAT(html, HasSubstr("<td>North &amp; &lt;East&gt;</td><td class=\"num\">33.3</td>"
                              "<td class=\"num\">12</td><td>yes</td><td></td>"));
  EXPECT_THAT(html, HasSubstr("<p class=\"note\">provisional &lt;until&gt; 2026</p>"));
}

TEST(HtmlTest, RenderWritesAStandalonePage) {
  Table table;
  table.columns = {{"a", "A"}};
  EXPECT_EQ(parseFormat("html"), Format::kHtml);
  std::ostringstream out;
  render(table, Format::kHtml, out);
  const std::string html = out.str();
  EXPECT_THAT(html, StartsWith("<!DOCTYPE html>\n<html lang=\"en\">"));
  EXPECT_THAT(html, HasSubstr("<meta charset=\"utf-8\">"));
  EXPECT_THAT(html, HasSubstr("<td colspan=\"1\">(none)</td>"));
  EXPECT_THAT(html, HasSubstr("@media print"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, EndsWith("</body>\n</html>\n"));
}

}  // namespace
}  // namespace cohortwatch::reports
