// The reliability diagram of the quality report (quality.h): two panels,
// left the share of pairs judged relevant per score bin (bars, with each
// bin's pair count), right the precision and grade-2 recall of
// "score >= threshold", the default alert threshold marked on both.
#include <cstdio>
#include <string>
#include <vector>

#include "bench/quality.h"

namespace techmatch::quality {
namespace {

std::string Num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A panel's frame: axes from 0 to 1 both ways with gridlines every 0.2.
struct Panel {
  double left, top, width, height;
  double X(double v) const { return left + v * width; }
  double Y(double v) const { return top + (1 - v) * height; }
};

void Axes(const Panel& p, const std::string& x_label,
          const std::string& y_label, std::string* svg) {
  for (int i = 0; i <= 5; ++i) {
    const double v = i / 5.0;
    *svg += "<line x1=\"" + Num(p.X(0)) + "\" y1=\"" + Num(p.Y(v)) +
            "\" x2=\"" + Num(p.X(1)) + "\" y2=\"" + Num(p.Y(v)) +
            "\" stroke=\"#ddd\"/>\n";
    *svg += "<text x=\"" + Num(p.X(0) - 6) + "\" y=\"" + Num(p.Y(v) + 4) +
            "\" text-anchor=\"end\">" + Num(v) + "</text>\n";
    *svg += "<text x=\"" + Num(p.X(v)) + "\" y=\"" + Num(p.Y(0) + 16) +
            "\" text-anchor=\"middle\">" + Num(v) + "</text>\n";
  }
  *svg += "<rect x=\"" + Num(p.left) + "\" y=\"" + Num(p.top) + "\" width=\"" +
          Num(p.width) + "\" height=\"" + Num(p.height) +
          "\" fill=\"none\" stroke=\"#333\"/>\n";
  *svg += "<text x=\"" + Num(p.X(0.5)) + "\" y=\"" + Num(p.Y(0) + 34) +
          "\" text-anchor=\"middle\">" + Escape(x_label) + "</text>\n";
  *svg += "<text transform=\"translate(" + Num(p.left - 36) + "," +
          Num(p.Y(0.5)) + ") rotate(-90)\" text-anchor=\"middle\">" +
          Escape(y_label) + "</text>\n";
}

void Threshold(const Panel& p, double t, std::string* svg) {
  *svg += "<line x1=\"" + Num(p.X(t)) + "\" y1=\"" + Num(p.Y(0)) + "\" x2=\"" +
          Num(p.X(t)) + "\" y2=\"" + Num(p.Y(1)) +
          "\" stroke=\"#c0392b\" stroke-dasharray=\"4 3\"/>\n";
  *svg += "<text x=\"" + Num(p.X(t) + 4) + "\" y=\"" + Num(p.Y(1) + 30) +
          "\" fill=\"#c0392b\">alert " + Num(t) + "</text>\n";
}

}  // namespace

std::string ReliabilitySvg(const std::string& title,
                           const std::vector<Bin>& bins,
                           const std::vector<CurvePoint>& curve,
                           double default_threshold) {
  std::string svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"860\" height=\"400\" "
      "viewBox=\"0 0 860 400\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"860\" height=\"400\" fill=\"white\"/>\n";
  svg += "<text x=\"430\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">" +
         Escape(title) + "</text>\n";
  const Panel left{70, 50, 330, 280}, right{500, 50, 330, 280};
  Axes(left, "score bin", "share of pairs judged relevant", &svg);
  for (const Bin& b : bins) {
    if (b.pairs == 0) continue;
    const double share = static_cast<double>(b.relevant) / b.pairs;
    const double share2 = static_cast<double>(b.grade2) / b.pairs;
    const double x = left.X(b.low) + 3, w = left.X(b.high) - left.X(b.low) - 6;
    svg += "<rect x=\"" + Num(x) + "\" y=\"" + Num(left.Y(share)) +
           "\" width=\"" + Num(w) + "\" height=\"" +
           Num(left.Y(0) - left.Y(share)) + "\" fill=\"#7fb3d5\"/>\n";
    svg += "<rect x=\"" + Num(x) + "\" y=\"" + Num(left.Y(share2)) +
           "\" width=\"" + Num(w) + "\" height=\"" +
           Num(left.Y(0) - left.Y(share2)) + "\" fill=\"#1f618d\"/>\n";
    svg += "<text x=\"" + Num(x + w / 2) + "\" y=\"" + Num(left.Y(share) - 4) +
           "\" text-anchor=\"middle\">n=" + std::to_string(b.pairs) +
           "</text>\n";
  }
  Threshold(left, default_threshold, &svg);
  svg +=
      "<rect x=\"80\" y=\"366\" width=\"12\" height=\"12\" fill=\"#7fb3d5\"/>"
      "<text x=\"98\" y=\"376\">relevant (grade 1 or 2)</text>\n"
      "<rect x=\"250\" y=\"366\" width=\"12\" height=\"12\" fill=\"#1f618d\"/>"
      "<text x=\"268\" y=\"376\">grade 2</text>\n";
  Axes(right, "threshold t", "share", &svg);
  auto polyline = [&](bool precision, const char* colour) {
    std::string points;
    for (const CurvePoint& c : curve) {
      points += Num(right.X(c.threshold)) + "," +
                Num(right.Y(precision ? c.precision : c.recall)) + " ";
    }
    svg += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" +
           colour + "\" stroke-width=\"2\"/>\n";
  };
  polyline(true, "#1e8449");
  polyline(false, "#7d3c98");
  Threshold(right, default_threshold, &svg);
  svg +=
      "<line x1=\"510\" y1=\"372\" x2=\"530\" y2=\"372\" stroke=\"#1e8449\" "
      "stroke-width=\"2\"/><text x=\"536\" y=\"376\">precision of score &gt;= t"
      "</text>\n"
      "<line x1=\"700\" y1=\"372\" x2=\"720\" y2=\"372\" stroke=\"#7d3c98\" "
      "stroke-width=\"2\"/><text x=\"726\" y=\"376\">grade-2 recall</text>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace techmatch::quality
