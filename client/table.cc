#include "client/table.h"

#include <algorithm>

#include "matching/unicode_text.h"

namespace techmatch::client {

std::string Truncate(const std::string& s, size_t max) {
  if (text::CodePointCount(s) <= max) return s;
  size_t points = 0;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (points == max - 1) break;
      ++points;
    }
  }
  return s.substr(0, i) + "…";
}

void Table::Print(std::ostream& out, size_t max_width) const {
  std::vector<size_t> widths(header_.size(), 0);
  auto cell = [&](const std::vector<std::string>& row, size_t i) {
    return i < row.size() ? Truncate(row[i], max_width) : std::string();
  };
  for (size_t i = 0; i < header_.size(); ++i) {
    widths[i] = text::CodePointCount(header_[i]);
    for (const auto& row : rows_) {
      widths[i] = std::max(widths[i], text::CodePointCount(cell(row, i)));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < header_.size(); ++i) {
      std::string c = cell(row, i);
      line += c;
      if (i + 1 < header_.size()) {
        line.append(widths[i] - text::CodePointCount(c) + 2, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(header_);
  std::vector<std::string> rule;
  for (size_t w : widths) rule.push_back(std::string(w, '-'));
  print_row(rule);
  for (const auto& row : rows_) print_row(row);
}

}  // namespace techmatch::client
