// Charts as a reader gets them: the SVG is XML a real parser (expat) accepts, with the title, axis
// labels, units, legend and provisional marking in it and recorded text escaped; the PNG decodes
// (cairo) at the size asked for and is a drawing, not a blank image.
#include "reports/charts.h"

#include <cairo.h>
#include <expat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>

namespace cohortwatch::reports {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct Element {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text;  // character data directly inside
};

struct Parsed {
  bool ok = false;
  std::string error;
  std::vector<Element> elements;  // in document order
  std::vector<std::size_t> open;  // stack while parsing

  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& element : elements) {
      if (element.name == "text") out.push_back(element.text);
    }
    return out;
  }
  std::size_t count(const std::string& name) const {
    return static_cast<std::size_t>(std::count_if(
        elements.begin(), elements.end(), [&](const Element& e) { return e.name == name; }));
  }
};

Parsed parseXml(const std::string& xml) {
  Parsed parsed;
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                      XML_ParserFree);
  XML_SetUserData(parser.get(), &parsed);
  XML_SetElementHandler(
      parser.get(),
      [](void* data, const XML_Char* name, const XML_Char** attributes) {
        auto* p = static_cast<Parsed*>(data);
        Element element{name, {}, {}};
        for (int i = 0; attributes[i] != nullptr; i += 2)
          element.attributes[attributes[i]] = attributes[i + 1];
        p->open.push_back(p->elements.size());
        p->elements.push_back(std::move(element));
      },
      [](void* data, const XML_Char*) { static_cast<Parsed*>(data)->open.pop_back(); });
  XML_SetCharacterDataHandler(parser.get(), [](void* data, const XML_Char* text, int length) {
    auto* p = static_cast<Parsed*>(data);
    if (!p->open.empty())
      p->elements[p->open.back()].text.append(text, static_cast<std::size_t>(length));
  });
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) ==
      XML_STATUS_ERROR) {
    parsed.error = XML_ErrorString(XML_GetErrorCode(parser.get()));
    return parsed;
  }
  parsed.ok = true;
  return parsed;
}

struct Image {
  int width = 0;
  int height = 0;
  long not_background = 0;  // pixels that differ from the top-left one
  std::size_t distinct_colours = 0;
};

struct PngReader {
  const std::string& png;
  std::size_t offset = 0;
};

std::optional<Image> decodePng(const std::string& png) {
  PngReader reader{png};
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_image_surface_create_from_png_stream(
          [](void* closure, unsigned char* data, unsigned int length) {
            auto* r = static_cast<PngReader*>(closure);
            if (r->png.size() - r->offset < length) return CAIRO_STATUS_READ_ERROR;
            std::memcpy(data, r->png.data() + r->offset, length);
            r->offset += length;
            return CAIRO_STATUS_SUCCESS;
          },
          &reader),
      cairo_surface_destroy);
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) return std::nullopt;
  Image image;
  image.width = cairo_image_surface_get_width(surface.get());
  image.height = cairo_image_surface_get_height(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  const auto pixel = [&](int x, int y) {
    std::uint32_t value;
    std::memcpy(&value, data + y * stride + x * 4, 4);
    return value & 0xffffffU;
  };
  const std::uint32_t background = pixel(0, 0);
  std::set<std::uint32_t> colours;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const auto value = pixel(x, y);
      colours.insert(value);
      if (value != background) ++image.not_background;
    }
  }
  image.distinct_colours = colours.size();
  return image;
}

Chart quarterlyChart() {
  Chart chart;
  chart.kind = ChartKind::kLine;
  chart.title = "Proven reoffending by quarterly cohort";
  chart.x_label = "Quarterly cohort";
  chart.y_label = "Children who reoffended";
  chart.y_unit = "% of cohort";
  chart.categories = {"2024Q3", "2024Q4", "2025Q1", "2025Q2"};
  chart.series = {
      {"<A&B>",
       {ChartPoint{31.0, false}, ChartPoint{28.5, false}, std::nullopt, ChartPoint{12.0, true}},
       LineStyle::kSolid,
       true},
      {"National average",
       {ChartPoint{37.3, false}, ChartPoint{32.5, false}, ChartPoint{31.6, false}, std::nullopt},
       LineStyle::kDashed,
       true}};
  return chart;
}

TEST(ChartsTest, SvgIsXmlWithTitleAxisLabelsUnitLegendAndEscapedText) {
  const std::string svg = renderSvg(quarterlyChart());
  const auto parsed = parseXml(svg);
  ASSERT_TRUE(parsed.ok) << parsed.error << "\n" << svg;
  ASSERT_FALSE(parsed.elements.empty());
  const auto& root = parsed.elements.front();
  EXPECT_EQ(root.name, "svg");
  EXPECT_EQ(root.attributes.at("xmlns"), "http://www.w3.org/2000/svg");
  EXPECT_EQ(root.attributes.at("width"), "800");
  EXPECT_EQ(root.attributes.at("height"), "400");
  EXPECT_EQ(root.attributes.at("viewBox"), "0 0 800 400");
  EXPECT_EQ(parsed.elements[1].name, "title");
  EXPECT_EQ(parsed.elements[1].text, "Proven reoffending by quarterly cohort");
  const auto texts = parsed.texts();
  EXPECT_THAT(texts, Contains("Proven reoffending by quarterly cohort"));
  EXPECT_THAT(texts, Contains("Quarterly cohort"));
  EXPECT_THAT(texts, Contains("Children who reoffended (% of cohort)"));
  EXPECT_THAT(texts, Contains("<A&B>"));  // the parser unescaped what the writer escaped
  EXPECT_THAT(texts, Contains("National average"));
  EXPECT_THAT(texts, Contains("2024Q3"));
  EXPECT_THAT(svg, HasSubstr("&lt;A&amp;B&gt;"));
  // The y axis runs from 0 to a round number above the largest value (37.3), in round steps.
  for (const char* tick : {"0", "10", "20", "30", "40"}) EXPECT_THAT(texts, Contains(tick));
  EXPECT_THAT(texts, Not(Contains("50")));
  // The national series is dashed, so it differs from the other in print too.
  EXPECT_THAT(svg, HasSubstr("stroke-dasharray"));
  // The gap (2025Q1 has no value) breaks the first series: one line to 2024Q4, then 2025Q2 alone
  // (a marker only); the national series is one line.
  EXPECT_EQ(parsed.count("polyline") - 1 /*axes*/ - 4 /*gridlines above 0*/ - 2 /*legend*/, 2U);
}

TEST(ChartsTest, ProvisionalPointsAreHollowAndExplainedInTheLegend) {
  auto chart = quarterlyChart();
  const auto parsed = parseXml(renderSvg(chart));
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_THAT(parsed.texts(), Contains(kProvisionalLegend));
  const auto hollow =
      std::count_if(parsed.elements.begin(), parsed.elements.end(), [](const Element& e) {
        return e.name == "circle" && e.attributes.at("fill") == "#ffffff" &&
               e.attributes.at("stroke") != "#ffffff";
      });
  EXPECT_EQ(hollow, 2);  // the provisional point and its legend entry

  chart.series[0].points[3]->provisional = false;
  const auto final_only = parseXml(renderSvg(chart));
  ASSERT_TRUE(final_only.ok);
  EXPECT_THAT(final_only.texts(), Not(Contains(kProvisionalLegend)));
}

TEST(ChartsTest, BarChartDrawsProvisionalBarsAsOutlines) {
  Chart chart;
  chart.kind = ChartKind::kBar;
  chart.title = "Reoffences per reoffender";
  chart.x_label = "Quarterly cohort";
  chart.y_label = "Proven reoffences per reoffender";
  chart.y_unit = "offences";
  chart.categories = {"2025Q1", "2025Q2"};
  chart.series = {
      {"This YOT", {ChartPoint{2.5, false}, ChartPoint{1.25, true}}, LineStyle::kSolid, false}};
  const auto parsed = parseXml(renderSvg(chart));
  ASSERT_TRUE(parsed.ok) << parsed.error;
  std::vector<std::string> bar_fills;
  for (const auto& element : parsed.elements) {
    if (element.name == "rect" && element.attributes.contains("stroke") &&
        element.attributes.at("stroke") == "#0072b2" && element.attributes.at("height") != "14.0") {
      bar_fills.push_back(element.attributes.at("fill"));
    }
  }
  EXPECT_EQ(bar_fills, (std::vector<std::string>{"#0072b2", "#ffffff"}));
  EXPECT_THAT(parsed.texts(), Contains(kProvisionalLegend));
  // 2.5 is the largest value: steps of 0.5 up to 2.5, shown with one decimal.
  EXPECT_THAT(parsed.texts(), Contains("2.5"));
  EXPECT_THAT(parsed.texts(), Contains("0.5"));
}

TEST(ChartsTest, PngDecodesAtTheSizeAskedForAndIsADrawing) {
  const std::string png = renderPng(quarterlyChart(), 640, 320);
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.substr(0, 8), "\x89PNG\r\n\x1a\n");
  const auto image = decodePng(png);
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(image->width, 640);
  EXPECT_EQ(image->height, 320);
  EXPECT_GT(image->not_background, 640L * 320L / 50L);  // more than 2% of the image is drawn
  EXPECT_GE(image->distinct_colours, 4U);               // background, text, grid and series colours
}

TEST(ChartsTest, AChartWithoutDataSaysSoInBothForms) {
  Chart chart;
  chart.title = "Proven reoffending by focus group";
  chart.x_label = "Focus group";
  chart.y_label = "Children who reoffended";
  chart.y_unit = "%";
  for (const auto& empty : {chart, [&] {
                              auto gaps = chart;
                              gaps.categories = {"2025Q1"};
                              gaps.series = {{"This YOT", {std::nullopt}, LineStyle::kSolid, true}};
                              return gaps;
                            }()}) {
    const auto parsed = parseXml(renderSvg(empty));
    ASSERT_TRUE(parsed.ok) << parsed.error;
    EXPECT_THAT(parsed.texts(), Contains("No data"));
    EXPECT_THAT(parsed.texts(), Contains("Children who reoffended (%)"));
    const auto image = decodePng(renderPng(empty, 400, 200));
    ASSERT_TRUE(image.has_value());
    EXPECT_EQ(image->width, 400);
    EXPECT_GT(image->not_background, 0);
  }
}

TEST(ChartsTest, ControlCharactersAndLongTextNeverBreakTheDocument) {
  auto chart = quarterlyChart();
  chart.title =
      std::string("Title with a \x01 control character and a very long tail that goes on ") +
      std::string(200, 'x') + " \xc3\xa9";
  chart.categories[0] = "A focus group whose name is far too long to fit under its own bar at all";
  const std::string svg = renderSvg(chart);
  const auto parsed = parseXml(svg);
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_THAT(svg, Not(HasSubstr("\x01")));
  EXPECT_THAT(parsed.elements[1].text, HasSubstr("Title with a  control character"));
  // The drawn title is cut with an ellipsis to fit the width.
  const auto texts = parsed.texts();
  EXPECT_TRUE(std::any_of(texts.begin(), texts.end(), [](const std::string& text) {
    return text.starts_with("Title with") && text.ends_with("\xe2\x80\xa6") && text.size() < 150;
  }));
}

TEST(ChartsTest, PngRefusesSizesOutOfRange) {
  EXPECT_THAT(renderPng(quarterlyChart(), 0, 400), IsEmpty());
  EXPECT_THAT(renderPng(quarterlyChart(), 800, -1), IsEmpty());
  EXPECT_THAT(renderPng(quarterlyChart(), 5000, 400), IsEmpty());
  EXPECT_THAT(renderPng(quarterlyChart(), 100, 100), Not(IsEmpty()));
}

}  // namespace
}  // namespace cohortwatch::reports
