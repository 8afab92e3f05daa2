// Reference data the registry validates against: the S&T field
// classification and the provincial-level units (with pre-2025 aliases).
//
// Immutable after loading; safe to share between threads.
#ifndef TECHMATCH_DOMAIN_REFERENCE_DATA_H_
#define TECHMATCH_DOMAIN_REFERENCE_DATA_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "matching/lexicon.h"

namespace techmatch::domain {

struct SectorInfo {
  std::string code;
  std::string parent_code;  // empty for a top-level field
  std::string name_vi;
  std::string name_en;
};

struct ProvinceInfo {
  std::string code;
  std::string name;
  std::string region_vi;
  std::string region_en;
  std::vector<std::string> aliases;
};

class ReferenceData {
 public:
  // Parses the TSV files in `dir` (formats in their header comments):
  // sectors.tsv and provinces.tsv, and the matcher's lexicon:
  // stopwords.tsv, synonyms.tsv and glossary_en_vi.tsv. INVALID_ARGUMENT
  // with file and line for a malformed row, a duplicate code or an alias
  // naming two units; NOT_FOUND when a file is missing.
  static absl::StatusOr<std::unique_ptr<ReferenceData>> LoadFromDirectory(
      const std::string& dir);

  // Same, from file contents already in memory; without a lexicon (null)
  // the matcher stops and expands nothing.
  static absl::StatusOr<std::unique_ptr<ReferenceData>> Parse(
      absl::string_view sectors_tsv, absl::string_view provinces_tsv,
      std::shared_ptr<const matching::Lexicon> lexicon = nullptr);

  // The matcher's lexicon (never null; empty when none was loaded).
  const std::shared_ptr<const matching::Lexicon>& lexicon() const {
    return lexicon_;
  }

  // The sector with `code`, or nullptr.
  const SectorInfo* FindSector(absl::string_view code) const;

  // The unit named by `text`: a code, a current name or an alias, in any
  // case, with or without diacritics, with or without a leading "Tỉnh",
  // "Thành phố" or "TP". nullptr when none.
  const ProvinceInfo* ResolveProvince(absl::string_view text) const;

  // The unit with `code`, or nullptr.
  const ProvinceInfo* FindProvince(absl::string_view code) const;

  const std::vector<SectorInfo>& sectors() const { return sectors_; }
  const std::vector<ProvinceInfo>& provinces() const { return provinces_; }

 private:
  ReferenceData() = default;

  std::shared_ptr<const matching::Lexicon> lexicon_;
  std::vector<SectorInfo> sectors_;
  std::vector<ProvinceInfo> provinces_;
  std::unordered_map<std::string, size_t> sector_by_code_;
  std::unordered_map<std::string, size_t> province_by_code_;
  std::unordered_map<std::string, size_t> province_by_key_;
};

}  // namespace techmatch::domain

#endif  // TECHMATCH_DOMAIN_REFERENCE_DATA_H_
