#include "client/report_format.h"

#include <algorithm>

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
      {"Nhu cầu công bố (needs published)", "#2f6db5",
       [](const v1::ReportRow& r) { return r.needs_published(); }},
      {"Kết nối (connections)", "#e08a1e",
       [](const v1::ReportRow& r) { return r.connections_created(); }},
      {"Hợp đồng ký kết (agreements)", "#3a9a48",
       [](const v1::ReportRow& r) { return r.agreements_signed(); }},
  };
  uint64_t max_value = 1;
  for (const auto& r : report.rows()) {
    for (const auto& s : series) max_value = std::max(max_value, s.value(r));
  }
  const int label_width = 260, bar_area = 520, bar_height = 12, group_gap = 14;
  const int top = 80;
  const int group_height = 3 * bar_height + group_gap;
  const int height = top + report.rows_size() * group_height + 60;
  const int width = label_width + bar_area + 120;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "font-family=\"Arial, sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"16\" y=\"28\" font-size=\"18\" "
      "font-weight=\"bold\">%s</text>\n",
      width, height, XmlEscape(title));
  int lx = 16;
  for (const auto& s : series) {
    absl::StrAppendFormat(
        &svg,
        "<rect x=\"%d\" y=\"44\" width=\"12\" height=\"12\" fill=\"%s\"/>"
        "<text x=\"%d\" y=\"55\">%s</text>\n",
        lx, s.colour, lx + 16, XmlEscape(s.name));
    lx += 250;
  }
  int y = top;
  for (const auto& r : report.rows()) {
    absl::StrAppendFormat(&svg, "<text x=\"16\" y=\"%d\">%s</text>\n",
                          y + bar_height * 2,
                          XmlEscape(r.label().substr(0, 60)));
    for (int i = 0; i < 3; ++i) {
      uint64_t v = series[i].value(r);
      int w = static_cast<int>(static_cast<double>(v) /
                               static_cast<double>(max_value) * bar_area);
      absl::StrAppendFormat(
          &svg,
          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
          "<text x=\"%d\" y=\"%d\" font-size=\"10\">%d</text>\n",
          label_width, y + i * bar_height, std::max(w, 1), bar_height - 2,
          series[i].colour, label_width + std::max(w, 1) + 4,
          y + i * bar_height + bar_height - 3, v);
    }
    y += group_height;
  }
  absl::StrAppendFormat(
      &svg,
      "<text x=\"16\" y=\"%d\" font-size=\"11\" fill=\"#444\">Tổng: %d nhu cầu "
      "công bố, %d kết "
      "nối, %d hợp đồng, tổng giá trị %s VND</text>\n</svg>\n",
      y + 24, report.total().needs_published(),
      report.total().connections_created(), report.total().agreements_signed(),
      absl::StrCat(report.total().agreement_value_vnd()));
  return svg;
}

}  // namespace techmatch::client
