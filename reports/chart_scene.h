// The scene of a chart (reports/charts.h), shared by its two renderers: what the layout decides,
// in pixels from the top left, so that the SVG (charts.cpp) and the PNG (charts_png.cpp, drawn
// with cairo in cohortwatch-worker) only draw it and always show the same thing. Internal to
// reports/.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "reports/charts.h"

namespace cohortwatch::reports {


struct Rgb {
  std::uint32_t value = 0;  // 0xRRGGBB
  std::string hex() const { return fmt::format("#{:06x}", value); }
  double channel(int shift) const { return static_cast<double>((value >> shift) & 0xffU) / 255.0; }
};

inline constexpr Rgb kBlack{0x1b1b1b};
inline constexpr Rgb kGrid{0xcccccc};
inline constexpr Rgb kMuted{0x505050};
inline constexpr Rgb kWhite{0xffffff};

// Okabe and Ito's palette, ordered so that neighbouring series also differ in lightness.
inline constexpr std::array<Rgb, 6> kPalette = {Rgb{0x0072b2}, Rgb{0xe69f00}, Rgb{0x009e73},
                                         Rgb{0xcc79a7}, Rgb{0xd55e00}, Rgb{0x56b4e9}};

enum class MarkerShape { kCircle, kSquare, kTriangle, kDiamond };
inline constexpr std::array<MarkerShape, 4> kMarkerShapes = {
    MarkerShape::kCircle, MarkerShape::kSquare, MarkerShape::kTriangle, MarkerShape::kDiamond};

struct Point {
  double x = 0.0;
  double y = 0.0;
};

struct Polyline {
  std::vector<Point> points;
  Rgb colour;
  double width = 1.0;
  std::vector<double> dash;  // empty: solid
};

struct Box {
  double x = 0.0, y = 0.0, width = 0.0, height = 0.0;
  std::optional<Rgb> fill;
  std::optional<Rgb> stroke;
  double stroke_width = 1.0;
};

struct Marker {
  Point at;
  MarkerShape shape = MarkerShape::kCircle;
  Rgb colour;
  bool hollow = false;
  double radius = 5.0;
};

enum class Anchor { kStart, kMiddle, kEnd };

struct Label {
  Point at;  // the baseline point the anchor refers to
  std::string text;
  double size = 13.0;
  Anchor anchor = Anchor::kStart;
  bool bold = false;
  bool vertical = false;  // reads bottom to top
  Rgb colour = kBlack;
};

using Shape = std::variant<Polyline, Box, Marker, Label>;

struct Scene {
  int width = 0;
  int height = 0;
  std::string title;
  std::vector<Shape> shapes;
};

inline constexpr int kMinimumChartSize = 100;
inline constexpr int kMaximumChartSize = 4000;

// The chart laid out at width x height pixels (already within the limits above).
Scene layOutChart(const Chart& chart, int width, int height);

// The vertices of a marker's outline (none for a circle).
std::vector<Point> markerOutline(const Marker& marker);

}  // namespace cohortwatch::reports
