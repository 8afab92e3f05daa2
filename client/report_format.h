// Reports as files people use: CSV for spreadsheets and an SVG bar chart
// of the main figures for an annual report. Pure functions; no I/O.
#ifndef TECHMATCH_CLIENT_REPORT_FORMAT_H_
#define TECHMATCH_CLIENT_REPORT_FORMAT_H_

#include <string>

#include "techmatch/v1/report.pb.h"

namespace techmatch::client {

// RFC 4180 CSV (UTF-8, CRLF line ends, quoted where needed) with a header
// row, one row per group and the total last.
std::string ReportCsv(const techmatch::v1::Report& report);

// A standalone SVG: per group, bars for needs published, connections
// created and agreements signed, with values, a legend and a title.
std::string ReportSvg(const techmatch::v1::Report& report,
                      const std::string& title);

}  // namespace techmatch::client

#endif  // TECHMATCH_CLIENT_REPORT_FORMAT_H_
