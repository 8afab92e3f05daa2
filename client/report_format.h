// Reports as files people use: CSV for spreadsheets and an SVG bar chart
// of the main figures for an annual report. Pure functions; no I/O.
#ifndef TECHMATCH_CLIENT_REPORT_FORMAT_H_
#define TECHMATCH_CLIENT_REPORT_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "techmatch/v1/report.pb.h"

namespace techmatch::client {

// RFC 4180 CSV (UTF-8, CRLF line ends, quoted where needed) with a header
// row, one row per group and the total last.
std::string ReportCsv(const techmatch::v1::Report& report);

// A standalone SVG (UTF-8, well-formed whatever the text): per group,
// bars for offers published (supply), needs published (demand),
// connections created and agreements signed, each with its value; an axis
// with ticks on a 1-2-5 scale; a legend; the title and the group labels
// wrapped and cut by character with an ellipsis (never inside a
// character); zero values drawn as no bar; counts and money the Vietnamese
// way (1.234.567, "₫").
std::string ReportSvg(const techmatch::v1::Report& report,
                      const std::string& title);

// `text` in at most `max_lines` lines of at most `width` characters (code
// points), broken at spaces where it can; a cut last line ends in "…".
// Invalid UTF-8 and control characters are dropped (XML refuses them).
std::vector<std::string> Wrap(std::string_view text, size_t width,
                              size_t max_lines);

// 1234567 -> "1.234.567" (Vietnamese digit grouping).
std::string FormatCount(uint64_t n);
// -1234567 -> "-1.234.567 ₫".
std::string FormatVnd(int64_t amount);

// An axis from 0 to `max` in steps of `step` (1, 2 or 5 times a power of
// ten, at most five steps), covering `max_value`; {1, 1} for 0.
struct Scale {
  uint64_t max;
  uint64_t step;
};
Scale NiceScale(uint64_t max_value);

}  // namespace techmatch::client

#endif  // TECHMATCH_CLIENT_REPORT_FORMAT_H_
