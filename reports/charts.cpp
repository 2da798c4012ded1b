#include "reports/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <numbers>
#include <variant>

#include "reports/chart_scene.h"
#include "reports/html.h"

namespace cohortwatch::reports {

namespace {

// ---------------------------------------------------------------------------------------------
// Layout.

constexpr double kTitleSize = 18.0;
constexpr double kAxisLabelSize = 14.0;
constexpr double kTickSize = 13.0;
constexpr double kLegendSize = 13.0;
constexpr double kMargin = 12.0;

// Text outside XML's character range (control characters) never reaches a chart.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
  }
  return out;
}

std::size_t codePoints(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0U) != 0x80U;
  }));
}

// An estimate of the width of text in a sans-serif font (the same for SVG and PNG, so that both
// lay out alike); generous, so text fits in either.
double textWidth(std::string_view text, double size) {
  return 0.58 * size * static_cast<double>(codePoints(text));
}

// Cuts text to fit `width`, ending in an ellipsis when cut (never inside a UTF-8 sequence).
std::string fitText(const std::string& text, double size, double width) {
  if (textWidth(text, size) <= width) return text;
  const double room = std::floor(width / (0.58 * size)) - 1.0;
  const std::size_t keep = room > 0.0 ? static_cast<std::size_t>(room) : 0;
  std::string out;
  std::size_t kept = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xc0U) != 0x80U) {
      if (kept == keep) break;
      ++kept;
    }
    out += c;
  }
  return out + "\xe2\x80\xa6";
}

// Words wrapped into at most `max_lines` lines of `width`, the last one cut with an ellipsis.
std::vector<std::string> wrapText(const std::string& text, double size, double width,
                                  std::size_t max_lines) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    std::string joined = line;
    if (!joined.empty()) joined += ' ';
    joined += word;
    if (line.empty() || textWidth(joined, size) <= width || lines.size() + 1 == max_lines) {
      line = joined;
    } else {
      lines.push_back(line);
      line = word;
    }
  }
  if (!line.empty()) lines.push_back(line);
  if (!lines.empty()) lines.back() = fitText(lines.back(), size, width);
  return lines;
}

struct Axis {
  double top = 1.0;
  double step = 0.2;
  int decimals = 1;
};

// From 0 to a round number at or above the largest value, in 4 to 6 round steps (1, 2, 2.5, 5 x
// 10^k).
Axis niceAxis(double largest) {
  if (!(largest > 0.0) || !std::isfinite(largest)) return {};
  const double raw = largest / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * magnitude;
  for (const double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (factor * magnitude >= raw * (1.0 - 1e-9)) {
      step = factor * magnitude;
      break;
    }
  }
  Axis axis;
  axis.step = step;
  axis.top = std::ceil(largest / step - 1e-9) * step;
  axis.decimals = 0;
  while (axis.decimals < 3) {
    const double scaled = step * std::pow(10.0, axis.decimals);
    if (std::abs(scaled - std::round(scaled)) < 1e-6) break;
    ++axis.decimals;
  }
  return axis;
}

std::vector<double> dashFor(LineStyle style) {
  if (style == LineStyle::kDashed) return {9.0, 5.0};
  return {};
}

struct LegendEntry {
  std::string text;
  std::optional<std::size_t> series;  // nullopt: the provisional entry
};

class Layout {
 public:
  Layout(const Chart& chart, int width, int height)
      : chart_(chart), scene_{width, height, printable(chart.title), {}} {
    width_ = static_cast<double>(width);
    height_ = static_cast<double>(height);
  }

  Scene build() {
    const bool has_data = hasData();
    add(Box{0.0, 0.0, width_, height_, kWhite, std::nullopt, 0.0});
    add(Label{{width_ / 2.0, kMargin + kTitleSize},
              fitText(scene_.title, kTitleSize, width_ - 2 * kMargin),
              kTitleSize,
              Anchor::kMiddle,
              true,
              false,
              kBlack});
    plot_left_ = 78.0;
    plot_right_ = width_ - 24.0;
    const double legend_bottom = legend(kMargin + kTitleSize + 24.0);
    plot_top_ = legend_bottom + 18.0;
    plot_bottom_ = height_ - (kMargin + kAxisLabelSize + 8.0 + 2 * (kTickSize + 3.0) + 8.0);
    if (plot_bottom_ < plot_top_ + 20.0) plot_bottom_ = plot_top_ + 20.0;
    axisLabels();
    if (!has_data) {
      axes();
      add(Label{{(plot_left_ + plot_right_) / 2.0, (plot_top_ + plot_bottom_) / 2.0},
                "No data",
                16.0,
                Anchor::kMiddle,
                true,
                false,
                kMuted});
      return std::move(scene_);
    }
    axis_ = niceAxis(largest());
    gridlines();
    categoryLabels();
    axes();
    if (chart_.kind == ChartKind::kLine) {
      lines();
    } else {
      bars();
    }
    return std::move(scene_);
  }

 private:
  void add(Shape shape) { scene_.shapes.push_back(std::move(shape)); }

  bool hasData() const {
    if (chart_.categories.empty()) return false;
    return std::any_of(chart_.series.begin(), chart_.series.end(), [](const ChartSeries& series) {
      return std::any_of(series.points.begin(), series.points.end(), [](const auto& point) {
        return point.has_value() && std::isfinite(point->value);
      });
    });
  }

  bool anyProvisional() const {
    return std::any_of(chart_.series.begin(), chart_.series.end(), [](const ChartSeries& series) {
      return std::any_of(series.points.begin(), series.points.end(),
                         [](const auto& point) { return point.has_value() && point->provisional; });
    });
  }

  double largest() const {
    double result = 0.0;
    for (const auto& series : chart_.series) {
      for (const auto& point : series.points) {
        if (point && std::isfinite(point->value)) result = std::max(result, point->value);
      }
    }
    return result;
  }

  Rgb colourOf(std::size_t series) const { return kPalette[series % kPalette.size()]; }
  MarkerShape markerOf(std::size_t series) const {
    return kMarkerShapes[series % kMarkerShapes.size()];
  }

  double yOf(double value) const {
    return plot_bottom_ - std::max(0.0, value) / axis_.top * (plot_bottom_ - plot_top_);
  }
  double band() const {
    return (plot_right_ - plot_left_) / static_cast<double>(chart_.categories.size());
  }
  double centreOf(std::size_t category) const {
    return plot_left_ + band() * (static_cast<double>(category) + 0.5);
  }

  // Lays the legend out in rows under the title; returns the y below it.
  double legend(double baseline) {
    std::vector<LegendEntry> entries;
    for (std::size_t i = 0; i < chart_.series.size(); ++i)
      entries.push_back({printable(chart_.series[i].name), i});
    if (anyProvisional()) entries.push_back({kProvisionalLegend, std::nullopt});
    if (entries.empty()) return baseline - kLegendSize;
    constexpr double kSwatch = 30.0;
    const double available = width_ - 2 * kMargin;
    double x = kMargin + 8.0;
    for (const auto& entry : entries) {
      const std::string text = fitText(entry.text, kLegendSize, available - kSwatch - 8.0);
      const double entry_width = kSwatch + 6.0 + textWidth(text, kLegendSize) + 18.0;
      if (x > kMargin + 8.0 && x + entry_width > width_ - kMargin) {
        x = kMargin + 8.0;
        baseline += kLegendSize + 8.0;
      }
      const double mid = baseline - kLegendSize / 3.0;
      if (!entry.series && chart_.kind == ChartKind::kBar) {
        add(Box{x + 8.0, mid - 7.0, 14.0, 14.0, kWhite, kMuted, 2.0});
      } else if (!entry.series) {
        add(Marker{{x + kSwatch / 2.0, mid}, MarkerShape::kCircle, kMuted, true, 5.0});
      } else if (chart_.kind == ChartKind::kBar) {
        add(Box{x + 8.0, mid - 7.0, 14.0, 14.0, colourOf(*entry.series), colourOf(*entry.series),
                1.0});
      } else {
        const auto& series = chart_.series[*entry.series];
        add(Polyline{
            {{x, mid}, {x + kSwatch, mid}}, colourOf(*entry.series), 2.5, dashFor(series.style)});
        if (series.markers)
          add(Marker{{x + kSwatch / 2.0, mid},
                     markerOf(*entry.series),
                     colourOf(*entry.series),
                     false,
                     5.0});
      }
      add(Label{
          {x + kSwatch + 6.0, baseline}, text, kLegendSize, Anchor::kStart, false, false, kBlack});
      x += entry_width;
    }
    return baseline + 4.0;
  }

  void axisLabels() {
    add(Label{{(plot_left_ + plot_right_) / 2.0, height_ - kMargin},
              fitText(printable(chart_.x_label), kAxisLabelSize, plot_right_ - plot_left_),
              kAxisLabelSize,
              Anchor::kMiddle,
              false,
              false,
              kBlack});
    std::string y_label = printable(chart_.y_label);
    if (!chart_.y_unit.empty()) y_label += " (" + printable(chart_.y_unit) + ")";
    // Centred on the plot, but free to run past it up and down as far as the margins.
    const double middle = (plot_top_ + plot_bottom_) / 2.0;
    const double room = 2.0 * std::min(middle - kMargin, height_ - kMargin - middle);
    add(Label{{kMargin + kAxisLabelSize, middle},
              fitText(y_label, kAxisLabelSize, room),
              kAxisLabelSize,
              Anchor::kMiddle,
              false,
              true,
              kBlack});
  }

  void axes() {
    add(Polyline{{{plot_left_, plot_top_}, {plot_left_, plot_bottom_}, {plot_right_, plot_bottom_}},
                 kBlack,
                 1.2,
                 {}});
  }

  void gridlines() {
    const int steps = static_cast<int>(std::lround(axis_.top / axis_.step));
    for (int i = 0; i <= steps; ++i) {
      const double value = axis_.step * i;
      const double y = yOf(value);
      if (i > 0) add(Polyline{{{plot_left_, y}, {plot_right_, y}}, kGrid, 1.0, {}});
      add(Label{{plot_left_ - 6.0, y + kTickSize / 3.0},
                fmt::format("{:.{}f}", value, axis_.decimals),
                kTickSize,
                Anchor::kEnd,
                false,
                false,
                kBlack});
    }
  }

  void categoryLabels() {
    const double width = band();
    // Labels too wide for their band are shown for every n-th category only.
    double widest = 0.0;
    for (const auto& category : chart_.categories)
      widest = std::max(widest, textWidth(printable(category), kTickSize));
    std::size_t every = 1;
    if (widest > width * 2.0) {
      every = static_cast<std::size_t>(std::ceil(std::min(widest, 120.0) / width));
    }
    for (std::size_t i = 0; i < chart_.categories.size(); i += every) {
      const auto wrapped = wrapText(printable(chart_.categories[i]), kTickSize,
                                    std::max(width * static_cast<double>(every) - 6.0, 30.0), 2);
      for (std::size_t line = 0; line < wrapped.size(); ++line) {
        add(Label{{centreOf(i),
                   plot_bottom_ + kTickSize + 5.0 + static_cast<double>(line) * (kTickSize + 3.0)},
                  wrapped[line],
                  kTickSize,
                  Anchor::kMiddle,
                  false,
                  false,
                  kBlack});
      }
    }
  }

  void lines() {
    for (std::size_t s = 0; s < chart_.series.size(); ++s) {
      const auto& series = chart_.series[s];
      const std::size_t count = std::min(series.points.size(), chart_.categories.size());
      Polyline line{{}, colourOf(s), 2.5, dashFor(series.style)};
      const auto flush = [&] {
        if (line.points.size() > 1) add(line);
        line.points.clear();
      };
      for (std::size_t i = 0; i < count; ++i) {
        if (!series.points[i] || !std::isfinite(series.points[i]->value)) {
          flush();
          continue;
        }
        line.points.push_back({centreOf(i), yOf(series.points[i]->value)});
      }
      flush();
      for (std::size_t i = 0; i < count; ++i) {
        const auto& point = series.points[i];
        if (!point || !std::isfinite(point->value)) continue;
        const bool isolated =
            (i == 0 || !series.points[i - 1]) && (i + 1 == count || !series.points[i + 1]);
        if (series.markers || point->provisional || isolated) {
          add(Marker{
              {centreOf(i), yOf(point->value)}, markerOf(s), colourOf(s), point->provisional, 5.0});
        }
      }
    }
  }

  void bars() {
    const double group = band() * 0.75;
    const double bar = group / static_cast<double>(std::max<std::size_t>(chart_.series.size(), 1));
    for (std::size_t s = 0; s < chart_.series.size(); ++s) {
      const auto& series = chart_.series[s];
      const std::size_t count = std::min(series.points.size(), chart_.categories.size());
      for (std::size_t i = 0; i < count; ++i) {
        const auto& point = series.points[i];
        if (!point || !std::isfinite(point->value)) continue;
        const double x = centreOf(i) - group / 2.0 + bar * static_cast<double>(s) + 1.0;
        const double y = yOf(point->value);
        // A provisional bar is hollow: its outline only, like the hollow markers of a line chart.
        add(Box{x, y, bar - 2.0, plot_bottom_ - y, point->provisional ? kWhite : colourOf(s),
                colourOf(s), point->provisional ? 2.0 : 1.0});
      }
    }
  }

  const Chart& chart_;
  Scene scene_;
  double width_ = 0.0, height_ = 0.0;
  double plot_left_ = 0.0, plot_right_ = 0.0, plot_top_ = 0.0, plot_bottom_ = 0.0;
  Axis axis_;
};


// ---------------------------------------------------------------------------------------------
// SVG.

std::string number(double value) {
  return fmt::format("{:.1f}", value);
}

std::string svgPoints(const std::vector<Point>& points) {
  std::string out;
  for (const auto& point : points) {
    if (!out.empty()) out += ' ';
    out += number(point.x) + "," + number(point.y);
  }
  return out;
}

std::string svgDash(const std::vector<double>& dash) {
  if (dash.empty()) return "";
  std::string out = " stroke-dasharray=\"";
  for (std::size_t i = 0; i < dash.size(); ++i) out += (i ? " " : "") + number(dash[i]);
  return out + "\"";
}

struct SvgWriter {
  std::string& out;

  void operator()(const Polyline& line) const {
    out += fmt::format(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{} "
        "stroke-linejoin=\"round\"/>\n",
        svgPoints(line.points), line.colour.hex(), number(line.width), svgDash(line.dash));
  }
  void operator()(const Box& box) const {
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"",
                       number(box.x), number(box.y), number(box.width), number(box.height),
                       box.fill ? box.fill->hex() : "none");
    if (box.stroke)
      out += fmt::format(" stroke=\"{}\" stroke-width=\"{}\"", box.stroke->hex(),
                         number(box.stroke_width));
    out += "/>\n";
  }
  void operator()(const Marker& marker) const {
    const std::string paint =
        fmt::format("fill=\"{}\" stroke=\"{}\" stroke-width=\"2.0\"",
                    marker.hollow ? kWhite.hex() : marker.colour.hex(), marker.colour.hex());
    if (marker.shape == MarkerShape::kCircle) {
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {}/>\n", number(marker.at.x),
                         number(marker.at.y), number(marker.radius), paint);
    } else {
      out += fmt::format("<polygon points=\"{}\" {}/>\n", svgPoints(markerOutline(marker)), paint);
    }
  }
  void operator()(const Label& label) const {
    const char* anchor = label.anchor == Anchor::kStart    ? "start"
                         : label.anchor == Anchor::kMiddle ? "middle"
                                                           : "end";
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{}\" fill=\"{}\"{}{}>{}</text>\n",
        number(label.at.x), number(label.at.y), number(label.size), anchor, label.colour.hex(),
        label.bold ? " font-weight=\"bold\"" : "",
        label.vertical ? fmt::format(" transform=\"rotate(-90 {} {})\"", number(label.at.x),
                                     number(label.at.y))
                       : std::string(),
        htmlEscape(label.text));
  }
};


}  // namespace

Scene layOutChart(const Chart& chart, int width, int height) {
  return Layout(chart, width, height).build();
}

std::vector<Point> markerOutline(const Marker& marker) {
  const double r = marker.radius;
  const auto [x, y] = marker.at;
  switch (marker.shape) {
    case MarkerShape::kSquare:
      return {{x - r * 0.85, y - r * 0.85},
              {x + r * 0.85, y - r * 0.85},
              {x + r * 0.85, y + r * 0.85},
              {x - r * 0.85, y + r * 0.85}};
    case MarkerShape::kTriangle:
      return {{x, y - r * 1.15}, {x + r, y + r * 0.75}, {x - r, y + r * 0.75}};
    case MarkerShape::kDiamond:
      return {{x, y - r * 1.2}, {x + r * 1.2, y}, {x, y + r * 1.2}, {x - r * 1.2, y}};
    case MarkerShape::kCircle: break;
  }
  return {};  // a circle has no outline of vertices
}

std::string renderSvg(const Chart& chart, int width, int height) {
  width = std::clamp(width, kMinimumChartSize, kMaximumChartSize);
  height = std::clamp(height, kMinimumChartSize, kMaximumChartSize);
  const Scene scene = layOutChart(chart, width, height);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n";
  out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" style=\"max-width: 100%; height: auto;\" "
      "font-family=\"Arial, Helvetica, sans-serif\">\n",
      width, height);
  out += "<title>" + htmlEscape(scene.title) + "</title>\n";
  const SvgWriter writer{out};
  for (const auto& shape : scene.shapes) std::visit(writer, shape);
  out += "</svg>\n";
  return out;
}

}  // namespace cohortwatch::reports
