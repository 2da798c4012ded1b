// Charts for the performance report and the board report: a small model (a line chart or a
// grouped bar chart over categories) drawn from one layout computation two ways, as standalone
// SVG 1.1 for HTML pages and as PNG (cairo) for e-mail, so both always show the same thing.
// Every chart has a title, axis labels with the unit, gridlines and a legend; the y axis starts at
// 0 with round ticks. Series differ by colour (a colour-blind-safe palette), dash pattern and
// marker shape, so a chart still reads when printed in greyscale. Provisional points (figures of
// cohorts that are not complete) are drawn hollow and explained in the legend. A chart with no
// data says "No data" instead of drawing axes about nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cohortwatch::reports {

enum class ChartKind { kLine, kBar };
enum class LineStyle { kSolid, kDashed };

struct ChartPoint {
  double value = 0.0;
  bool provisional = false;  // drawn hollow, with the legend entry kProvisionalLegend
};

struct ChartSeries {
  std::string name;  // the legend entry
  // One per category, in the chart's category order; nullopt: no value there (a gap in a line).
  std::vector<std::optional<ChartPoint>> points;
  LineStyle style = LineStyle::kSolid;  // line charts
  bool markers = true;                  // line charts: a marker at every point
};

struct Chart {
  ChartKind kind = ChartKind::kLine;
  std::string title;
  std::string x_label;
  std::string y_label;  // e.g. "Proven reoffending"
  std::string y_unit;   // e.g. "%"; shown as "Proven reoffending (%)"
  // The x axis: equally spaced categories (quarters, focus groups, or numbers such as months).
  std::vector<std::string> categories;
  std::vector<ChartSeries> series;
};

inline constexpr const char* kProvisionalLegend = "provisional (cohort not complete)";
inline constexpr int kDefaultChartWidth = 800;
inline constexpr int kDefaultChartHeight = 400;

// A standalone SVG 1.1 document (XML declaration, width, height and viewBox of the given size,
// kept between 100 and 4000); all text is escaped.
std::string renderSvg(const Chart& chart, int width = kDefaultChartWidth,
                      int height = kDefaultChartHeight);

// The PNG bytes of the chart at width x height pixels (white background); empty when the size is
// not between 100 and 4000 pixels each way or cairo fails (e.g. out of memory).
std::string renderPng(const Chart& chart, int width, int height);

}  // namespace cohortwatch::reports
