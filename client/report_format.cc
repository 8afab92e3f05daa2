#include "client/report_format.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace techmatch::client {

namespace v1 = techmatch::v1;

namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\"", "\"\""}}), "\"");
}

std::string XmlEscape(const std::string& s) {
  return absl::StrReplaceAll(
      s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// The code points of `s` that XML 1.0 allows in text, decoded strictly:
// invalid UTF-8 and control characters other than tab are dropped (line
// breaks become spaces), so the SVG is always well-formed UTF-8.
std::vector<char32_t> XmlCodePoints(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80           ? 1
               : (c >> 5) == 0x6  ? 2
               : (c >> 4) == 0xE  ? 3
               : (c >> 3) == 0x1E ? 4
                                  : 0;
    if (n == 0 || i + n > s.size()) {
      ++i;
      continue;
    }
    char32_t cp = n == 1   ? c
                  : n == 2 ? (c & 0x1F)
                  : n == 3 ? (c & 0x0F)
                           : (c & 0x07);
    bool ok = true;
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (d & 0x3F);
    }
    const char32_t min = n == 1 ? 0 : n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp == 0xFFFE || cp == 0xFFFF) {
      ++i;
      continue;
    }
    i += n;
    if (cp == '\n' || cp == '\r') cp = ' ';
    if (cp < 0x20 && cp != '\t') continue;
    out.push_back(cp);
  }
  return out;
}

std::string Utf8(const std::vector<char32_t>& cps, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    const char32_t cp = cps[i];
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> Wrap(std::string_view text, size_t width,
                              size_t max_lines) {
  const std::vector<char32_t> cps = XmlCodePoints(text);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < cps.size() && lines.size() < max_lines) {
    while (start < cps.size() && cps[start] == ' ') ++start;
    if (start >= cps.size()) break;
    size_t end = std::min(cps.size(), start + width);
    const bool last = lines.size() + 1 == max_lines;
    if (end < cps.size()) {
      if (last) {
        // The last line that fits: cut by character, with an ellipsis.
        end = start + width - 1;
        while (end > start && cps[end - 1] == ' ') --end;
        lines.push_back(Utf8(cps, start, end) + "…");
        return lines;
      }
      // Break at the last space that fits, else mid-word.
      size_t space = end;
      while (space > start && cps[space] != ' ') --space;
      if (space > start) end = space;
    }
    lines.push_back(Utf8(cps, start, end));
    start = end;
  }
  return lines;
}

std::string FormatCount(uint64_t n) {
  std::string digits = absl::StrCat(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back('.');
    out.push_back(digits[i]);
  }
  return out;
}

std::string FormatVnd(int64_t amount) {
  const uint64_t magnitude =
      amount < 0 ? static_cast<uint64_t>(-(amount + 1)) + 1 : amount;
  return absl::StrCat(amount < 0 ? "-" : "", FormatCount(magnitude), " ₫");
}

Scale NiceScale(uint64_t max_value) {
  if (max_value == 0) return {1, 1};
  // A step of 1, 2 or 5 times a power of ten giving at most 5 steps.
  // From one order of magnitude below the largest: the finest step wins.
  uint64_t power = 1;
  while (max_value / power >= 10) power *= 10;
  if (power >= 10) power /= 10;
  for (;;) {
    for (uint64_t m : {1, 2, 5}) {
      const uint64_t step = m * power;
      const uint64_t steps = (max_value + step - 1) / step;
      if (steps <= 5) return {steps * step, step};
    }
    power *= 10;
  }
}

namespace {

uint64_t StateCountOf(const v1::ReportRow& row, v1::Connection::State state) {
  for (const auto& c : row.connections_by_state()) {
    if (c.state() == state) return c.count();
  }
  return 0;
}

}  // namespace

std::string ReportCsv(const v1::Report& report) {
  std::string out =
      "key,label,offers_registered,offers_published,needs_registered,needs_"
      "published,"
      "matches_suggested,connections_created";
  for (int s = v1::Connection::SUGGESTED; s <= v1::Connection::EXPIRED; ++s) {
    absl::StrAppend(
        &out, ",now_",
        v1::Connection::State_Name(static_cast<v1::Connection::State>(s)));
  }
  absl::StrAppend(&out,
                  ",agreements_signed,agreement_value_vnd,median_days_need_to_"
                  "agreement\r\n");
  auto line = [&](const v1::ReportRow& r) {
    absl::StrAppend(&out, CsvField(r.key()), ",", CsvField(r.label()), ",",
                    r.offers_registered(), ",", r.offers_published(), ",",
                    r.needs_registered(), ",", r.needs_published(), ",",
                    r.matches_suggested(), ",", r.connections_created());
    for (int s = v1::Connection::SUGGESTED; s <= v1::Connection::EXPIRED; ++s) {
      absl::StrAppend(&out, ",",
                      StateCountOf(r, static_cast<v1::Connection::State>(s)));
    }
    absl::StrAppend(
        &out, ",", r.agreements_signed(), ",", r.agreement_value_vnd(), ",",
        absl::StrFormat("%.1f", r.median_days_need_to_agreement()), "\r\n");
  };
  for (const auto& r : report.rows()) line(r);
  line(report.total());
  return out;
}

std::string ReportSvg(const v1::Report& report, const std::string& title) {
  struct Series {
    const char* name;
    const char* colour;
    uint64_t (*value)(const v1::ReportRow&);
  };
  const Series series[] = {
      {"Công nghệ chào bán (offers published)", "#7b4fa0",
       [](const v1::ReportRow& r) { return r.offers_published(); }},
      {"Nhu cầu công bố (needs published)", "#2f6db5",
       [](const v1::ReportRow& r) { return r.needs_published(); }},
      {"Kết nối (connections)", "#e08a1e",
       [](const v1::ReportRow& r) { return r.connections_created(); }},
      {"Hợp đồng ký kết (agreements)", "#3a9a48",
       [](const v1::ReportRow& r) { return r.agreements_signed(); }},
  };
  constexpr int kSeries = 4;
  uint64_t max_value = 0;
  for (const auto& r : report.rows()) {
    for (const auto& s : series) max_value = std::max(max_value, s.value(r));
  }
  const Scale scale = NiceScale(max_value);
  // Layout, in pixels.
  const int margin = 16, label_width = 250, bar_area = 560, value_room = 90;
  const int bar_height = 11, bar_gap = 1, group_gap = 16;
  const int group_height = kSeries * (bar_height + bar_gap) + group_gap;
  const int width = margin + label_width + bar_area + value_room;
  const std::vector<std::string> title_lines = Wrap(title, 80, 2);
  const int legend_y = 28 + 22 * static_cast<int>(title_lines.size());
  const int axis_y = legend_y + 2 * 18 + 16;  // the legend takes two rows
  const int top = axis_y + 10;
  const int plot_bottom = top + report.rows_size() * group_height;
  const int height = plot_bottom + 56;
  const int x0 = margin + label_width;
  auto x_of = [&](uint64_t v) {
    return x0 + static_cast<int>(static_cast<double>(v) /
                                 static_cast<double>(scale.max) * bar_area);
  };

  std::string svg = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Arial, sans-serif\" "
      "font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      width, height, width, height);
  for (size_t i = 0; i < title_lines.size(); ++i) {
    absl::StrAppendFormat(&svg,
                          "<text x=\"%d\" y=\"%d\" font-size=\"18\" "
                          "font-weight=\"bold\">%s</text>\n",
                          margin, 28 + 22 * static_cast<int>(i),
                          XmlEscape(title_lines[i]));
  }
  for (int i = 0; i < kSeries; ++i) {
    const int lx = margin + (i % 2) * 380, ly = legend_y + (i / 2) * 18;
    absl::StrAppendFormat(
        &svg,
        "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
        "<text x=\"%d\" y=\"%d\">%s</text>\n",
        lx, ly - 10, series[i].colour, lx + 18, ly, XmlEscape(series[i].name));
  }
  // The axis: ticks and gridlines at every step of the scale.
  for (uint64_t v = 0; v <= scale.max; v += scale.step) {
    const int x = x_of(v);
    absl::StrAppendFormat(
        &svg,
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>"
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>"
        "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
        "fill=\"#444\">%s</text>\n",
        x, top, x, plot_bottom, x, axis_y, x, axis_y + 4, x, axis_y - 4,
        FormatCount(v));
    if (scale.step == 0) break;
  }
  absl::StrAppendFormat(&svg,
                        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                        "stroke=\"#444\"/>\n",
                        x0, axis_y + 4, x0, plot_bottom);
  int y = top;
  for (const auto& r : report.rows()) {
    const std::vector<std::string> label =
        Wrap(r.label().empty() ? r.key() : r.label(), 34, 2);
    const int label_y =
        y + group_height / 2 - 6 * static_cast<int>(label.size());
    for (size_t i = 0; i < label.size(); ++i) {
      absl::StrAppendFormat(&svg, "<text x=\"%d\" y=\"%d\">%s</text>\n", margin,
                            label_y + 14 * static_cast<int>(i) + 4,
                            XmlEscape(label[i]));
    }
    for (int i = 0; i < kSeries; ++i) {
      const uint64_t v = series[i].value(r);
      const int by = y + i * (bar_height + bar_gap);
      const int end = x_of(v);
      if (v > 0) {  // zero draws nothing, not a sliver
        absl::StrAppendFormat(&svg,
                              "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                              "height=\"%d\" fill=\"%s\"/>",
                              x0, by, std::max(end - x0, 1), bar_height,
                              series[i].colour);
      }
      absl::StrAppendFormat(
          &svg, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>\n", end + 4,
          by + bar_height - 2, FormatCount(v));
    }
    y += group_height;
  }
  const v1::ReportRow& total = report.total();
  absl::StrAppendFormat(
      &svg,
      "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#444\">Tổng: %s công "
      "nghệ chào bán, %s nhu cầu công bố, %s kết nối, %s hợp đồng, tổng giá "
      "trị %s</text>\n</svg>\n",
      margin, plot_bottom + 30, FormatCount(total.offers_published()),
      FormatCount(total.needs_published()),
      FormatCount(total.connections_created()),
      FormatCount(total.agreements_signed()),
      FormatVnd(total.agreement_value_vnd()));
  return svg;
}

}  // namespace techmatch::client
