// A plain-text table for terminals: columns padded to their widest cell,
// counted in Unicode code points so Vietnamese text lines up.
#ifndef TECHMATCH_CLIENT_TABLE_H_
#define TECHMATCH_CLIENT_TABLE_H_

#include <ostream>
#include <string>
#include <vector>

namespace techmatch::client {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}

  // Adds a row; missing cells print empty, extra cells are ignored.
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  // Writes header, a rule and the rows. Cells are cut to `max_width` code
  // points with an ellipsis.
  void Print(std::ostream& out, size_t max_width = 60) const;

  size_t size() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// `s` cut to at most `max` code points, ending with "…" when cut.
std::string Truncate(const std::string& s, size_t max);

}  // namespace techmatch::client

#endif  // TECHMATCH_CLIENT_TABLE_H_
