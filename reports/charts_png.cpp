// reports::renderPng: a chart's scene (reports/chart_scene.h) drawn with cairo. Built only into
// cohortwatch-worker (and the tests), so that the service never maps cairo and its libraries.
#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <numbers>
#include <string>

#include "reports/chart_scene.h"
#include "reports/charts.h"

namespace cohortwatch::reports {

namespace {

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void setColour(cairo_t* cr, Rgb colour) {
  cairo_set_source_rgb(cr, colour.channel(16), colour.channel(8), colour.channel(0));
}

struct CairoPainter {
  cairo_t* cr;

  void operator()(const Polyline& line) const {
    if (line.points.empty()) return;
    cairo_new_path(cr);
    cairo_move_to(cr, line.points.front().x, line.points.front().y);
    for (std::size_t i = 1; i < line.points.size(); ++i)
      cairo_line_to(cr, line.points[i].x, line.points[i].y);
    cairo_set_line_width(cr, line.width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_dash(cr, line.dash.data(), static_cast<int>(line.dash.size()), 0.0);
    setColour(cr, line.colour);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0.0);
  }
  void operator()(const Box& box) const {
    cairo_new_path(cr);
    cairo_rectangle(cr, box.x, box.y, box.width, box.height);
    if (box.fill) {
      setColour(cr, *box.fill);
      cairo_fill_preserve(cr);
    }
    if (box.stroke) {
      setColour(cr, *box.stroke);
      cairo_set_line_width(cr, box.stroke_width);
      cairo_stroke(cr);
    }
    cairo_new_path(cr);
  }
  void operator()(const Marker& marker) const {
    cairo_new_path(cr);
    if (marker.shape == MarkerShape::kCircle) {
      cairo_arc(cr, marker.at.x, marker.at.y, marker.radius, 0.0, 2.0 * std::numbers::pi);
    } else {
      const auto outline = markerOutline(marker);
      cairo_move_to(cr, outline.front().x, outline.front().y);
      for (std::size_t i = 1; i < outline.size(); ++i)
        cairo_line_to(cr, outline[i].x, outline[i].y);
      cairo_close_path(cr);
    }
    setColour(cr, marker.hollow ? kWhite : marker.colour);
    cairo_fill_preserve(cr);
    setColour(cr, marker.colour);
    cairo_set_line_width(cr, 2.0);
    cairo_stroke(cr);
  }
  void operator()(const Label& label) const {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           label.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, label.size);
    cairo_text_extents_t extents;
    cairo_text_extents(cr, label.text.c_str(), &extents);
    const double shift = label.anchor == Anchor::kStart    ? 0.0
                         : label.anchor == Anchor::kMiddle ? -extents.x_advance / 2.0
                                                           : -extents.x_advance;
    cairo_save(cr);
    cairo_translate(cr, label.at.x, label.at.y);
    if (label.vertical) cairo_rotate(cr, -std::numbers::pi / 2.0);
    cairo_move_to(cr, shift, 0.0);
    setColour(cr, label.colour);
    cairo_show_text(cr, label.text.c_str());
    cairo_restore(cr);
  }
};

cairo_status_t appendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Cairo's text API keeps fonts, and fontconfig its configuration, in process-wide caches that
// are never freed, which LeakSanitizer reports at exit. Once a chart has been drawn, both are
// released at exit, when every cairo object (all held by RAII here) is gone.
void releaseFontCachesAtExit() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    std::atexit([] {
      cairo_debug_reset_static_data();
      FcFini();
    });
  });
}

}  // namespace

std::string renderPng(const Chart& chart, int width, int height) {
  if (width < kMinimumChartSize || width > kMaximumChartSize || height < kMinimumChartSize ||
      height > kMaximumChartSize)
    return {};
  releaseFontCachesAtExit();
  const Scene scene = layOutChart(chart, width, height);
  SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height),
                     cairo_surface_destroy);
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) return {};
  ContextPtr context(cairo_create(surface.get()), cairo_destroy);
  if (cairo_status(context.get()) != CAIRO_STATUS_SUCCESS) return {};
  const CairoPainter painter{context.get()};
  for (const auto& shape : scene.shapes) std::visit(painter, shape);
  if (cairo_status(context.get()) != CAIRO_STATUS_SUCCESS) return {};
  cairo_surface_flush(surface.get());
  std::string png;
  if (cairo_surface_write_to_png_stream(surface.get(), appendToString, &png) !=
      CAIRO_STATUS_SUCCESS)
    return {};
  return png;
}

}  // namespace cohortwatch::reports
