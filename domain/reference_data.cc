#include "domain/reference_data.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "matching/unicode_text.h"

namespace techmatch::domain {
namespace {

std::string_view Std(absl::string_view s) { return {s.data(), s.size()}; }

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Rows of a TSV file, skipping blank lines and '#' comments; each row with
// its 1-based line number.
std::vector<std::pair<int, std::vector<std::string>>> Rows(
    absl::string_view tsv) {
  std::vector<std::pair<int, std::vector<std::string>>> rows;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(tsv, '\n')) {
    ++line_no;
    line = absl::StripSuffix(line, "\r");
    if (line.empty() || line[0] == '#') continue;
    rows.emplace_back(line_no, absl::StrSplit(line, '\t'));
  }
  return rows;
}

// The lookup key of a province name without its administrative prefix.
std::string ProvinceKey(absl::string_view text) {
  std::string key = text::LookupKey(Std(text));
  for (absl::string_view prefix : {"thanh pho ", "tinh ", "tp "}) {
    if (absl::StartsWith(key, prefix) && key.size() > prefix.size()) {
      key = key.substr(prefix.size());
      break;
    }
  }
  return key;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReferenceData>>
ReferenceData::LoadFromDirectory(const std::string& dir) {
  TM_ASSIGN_OR_RETURN(std::string sectors, ReadFile(dir + "/sectors.tsv"));
  TM_ASSIGN_OR_RETURN(std::string provinces, ReadFile(dir + "/provinces.tsv"));
  TM_ASSIGN_OR_RETURN(std::string stopwords, ReadFile(dir + "/stopwords.tsv"));
  TM_ASSIGN_OR_RETURN(std::string synonyms, ReadFile(dir + "/synonyms.tsv"));
  TM_ASSIGN_OR_RETURN(std::string glossary,
                      ReadFile(dir + "/glossary_en_vi.tsv"));
  const matching::Analyzer analyzer;
  TM_ASSIGN_OR_RETURN(
      matching::Lexicon lexicon,
      matching::Lexicon::Parse(analyzer, stopwords, synonyms, glossary));
  return Parse(sectors, provinces,
               std::make_shared<const matching::Lexicon>(std::move(lexicon)));
}

absl::StatusOr<std::unique_ptr<ReferenceData>> ReferenceData::Parse(
    absl::string_view sectors_tsv, absl::string_view provinces_tsv,
    std::shared_ptr<const matching::Lexicon> lexicon) {
  std::unique_ptr<ReferenceData> data(new ReferenceData());
  data->lexicon_ = lexicon != nullptr
                       ? std::move(lexicon)
                       : std::make_shared<const matching::Lexicon>();
  for (auto& [line, cols] : Rows(sectors_tsv)) {
    if (cols.size() != 4 || cols[0].empty() || cols[2].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sectors.tsv:", line, ": want 4 tab-separated columns "
          "(code, parent, name_vi, name_en)"));
    }
    if (!data->sector_by_code_
             .emplace(cols[0], data->sectors_.size())
             .second) {
      return absl::InvalidArgumentError(
          absl::StrCat("sectors.tsv:", line, ": duplicate code ", cols[0]));
    }
    data->sectors_.push_back(SectorInfo{cols[0], cols[1],
                                        text::NormalizeNfc(cols[2]), cols[3]});
  }
  for (const SectorInfo& sector : data->sectors_) {
    if (!sector.parent_code.empty() &&
        data->FindSector(sector.parent_code) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("sectors.tsv: ", sector.code, " has unknown parent ",
                       sector.parent_code));
    }
  }

  for (auto& [line, cols] : Rows(provinces_tsv)) {
    if (cols.size() != 5 || cols[0].empty() || cols[1].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "provinces.tsv:", line, ": want 5 tab-separated columns "
          "(code, name, region_vi, region_en, aliases)"));
    }
    size_t index = data->provinces_.size();
    ProvinceInfo info{cols[0], text::NormalizeNfc(cols[1]),
                      text::NormalizeNfc(cols[2]), cols[3], {}};
    if (!cols[4].empty()) {
      for (absl::string_view alias : absl::StrSplit(cols[4], '|')) {
        info.aliases.push_back(text::NormalizeNfc(Std(alias)));
      }
    }
    if (!data->province_by_code_.emplace(info.code, index).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("provinces.tsv:", line, ": duplicate code ", cols[0]));
    }
    std::vector<std::string> names = info.aliases;
    names.push_back(info.name);
    names.push_back(info.code);
    for (const std::string& name : names) {
      auto [it, inserted] = data->province_by_key_.emplace(ProvinceKey(name), index);
      if (!inserted && it->second != index) {
        return absl::InvalidArgumentError(
            absl::StrCat("provinces.tsv:", line, ": name \"", name,
                         "\" already names another unit"));
      }
    }
    data->provinces_.push_back(std::move(info));
  }
  if (data->sectors_.empty() || data->provinces_.empty()) {
    return absl::InvalidArgumentError("reference data has no rows");
  }
  return data;
}

const SectorInfo* ReferenceData::FindSector(absl::string_view code) const {
  auto it = sector_by_code_.find(std::string(code));
  return it == sector_by_code_.end() ? nullptr : &sectors_[it->second];
}

const ProvinceInfo* ReferenceData::FindProvince(absl::string_view code) const {
  auto it = province_by_code_.find(std::string(code));
  return it == province_by_code_.end() ? nullptr : &provinces_[it->second];
}

const ProvinceInfo* ReferenceData::ResolveProvince(
    absl::string_view text) const {
  if (!text::IsValidUtf8(Std(text))) return nullptr;
  auto it = province_by_key_.find(ProvinceKey(text));
  return it == province_by_key_.end() ? nullptr : &provinces_[it->second];
}

}  // namespace techmatch::domain
