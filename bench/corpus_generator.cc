#include "bench/corpus_generator.h"

#include <iterator>

#include "matching/unicode_text.h"

#include <cmath>

namespace techmatch::bench {
namespace {

const char* const kTopics[] = {
    "xử lý nước thải", "máy sấy bơm nhiệt", "chế phẩm vi sinh", "phân bón hữu cơ",
    "nuôi tôm thẻ chân trắng", "giống lúa chịu mặn", "bảo quản sau thu hoạch",
    "lò hơi sinh khối", "năng lượng mặt trời", "cảm biến IoT", "robot hàn",
    "tự động hóa dây chuyền", "truy xuất nguồn gốc", "màng lọc RO", "khử mặn",
    "chế biến thủy sản", "sơn phủ UV", "đồ gỗ nội thất", "vật liệu composite",
    "bê tông đúc sẵn", "kè chống sạt lở", "vải địa kỹ thuật", "nhà màng",
    "tưới nhỏ giọt", "thức ăn chăn nuôi", "vắc xin thú y", "chiết xuất dược liệu",
    "sấy thăng hoa", "đóng gói chân không", "kho lạnh", "xử lý khí thải",
    "tái chế nhựa", "biogas", "phần mềm quản lý", "trí tuệ nhân tạo",
    "thị giác máy tính", "in 3D", "cơ khí chính xác", "khuôn mẫu", "PLC",
    "HACCP", "GlobalGAP", "VietGAP", "enzyme", "nano bạc", "chitosan",
    "gạch không nung", "xi măng", "pin lithium", "xe điện", "drone phun thuốc",
    "nấm dược liệu", "cá tra", "cua biển", "rong biển", "trái cây", "cà phê",
    "hồ tiêu", "điều", "ca cao", "mía đường", "tinh bột sắn", "gạo thơm"};

const char* const kOnsets[] = {"", "b", "c", "ch", "d", "đ", "g", "gi", "h", "k",
                               "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "r", "s",
                               "t", "th", "tr", "v", "x"};
const char* const kRhymes[] = {"a", "an", "ang", "anh", "at", "ac", "ai", "ao", "au", "ay",
                               "e", "en", "et", "o", "on", "ong", "ot", "oc", "oi", "u",
                               "un", "ung", "ut", "uc", "ui", "i", "in", "inh", "it", "ich",
                               "ư", "ưng", "ơ", "ơn", "ô", "ôn", "ông", "ê", "ên", "ênh",
                               "ươ", "ươn", "ương", "iê", "iên", "iêng", "uô", "uôn", "uông"};
// Tone marks as combining characters: none, grave, acute, hook, tilde, dot.
const char* const kTones[] = {"", "\xCC\x80", "\xCC\x81", "\xCC\x89", "\xCC\x83", "\xCC\xA3"};

// A syllable from its parts, the tone on the rhyme's first vowel, in NFC.
std::string Syllable(size_t onset, size_t rhyme, size_t tone) {
  std::string rh = kRhymes[rhyme];
  // The first vowel may be a two-byte letter (ư, ơ, ô, ê).
  size_t first = (static_cast<unsigned char>(rh[0]) & 0x80) ? 2 : 1;
  std::string s = std::string(kOnsets[onset]) + rh.substr(0, first) + kTones[tone] +
                  rh.substr(first);
  return techmatch::text::NormalizeNfc(s);
}

}  // namespace

CorpusGenerator::CorpusGenerator(uint64_t seed) : seed_(seed) {
  for (const char* t : kTopics) topics_.push_back(t);
  // The vocabulary does not depend on the seed: the same words, ranked.
  std::mt19937_64 rng(20261128);
  const size_t onsets = std::size(kOnsets), rhymes = std::size(kRhymes),
               tones = std::size(kTones);
  auto syllable = [&] {
    return Syllable(rng() % onsets, rng() % rhymes, rng() % tones);
  };
  words_.reserve(30000);
  for (size_t i = 0; i < 30000; ++i) {
    words_.push_back(rng() % 3 == 0 ? syllable() : syllable() + " " + syllable());
  }
}

size_t CorpusGenerator::Zipf(std::mt19937_64& rng, size_t n) const {
  // Inverse-CDF draw from a Zipf(1) distribution over n items.
  double u = std::uniform_real_distribution<double>(0, 1)(rng);
  double h = std::log(static_cast<double>(n) + 1.0);
  size_t k = static_cast<size_t>(std::exp(u * h)) - 1;
  return k < n ? k : n - 1;
}

std::string CorpusGenerator::Phrase(std::mt19937_64& rng, int syllables) const {
  std::string out;
  int made = 0;
  while (made < syllables) {
    if (!out.empty()) out += (rng() % 9 == 0) ? ", " : " ";
    if (rng() % 4 == 0) {
      out += topics_[Zipf(rng, topics_.size())];
      made += 3;
    } else {
      const std::string& word = words_[Zipf(rng, words_.size())];
      out += word;
      made += word.find(' ') == std::string::npos ? 1 : 2;
    }
  }
  return out;
}

matching::OfferDoc CorpusGenerator::Offer(uint64_t id) const {
  std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ull + id);
  matching::OfferDoc d;
  d.id = id;
  std::string topic = topics_[Zipf(rng, topics_.size())];
  d.text.title = topic + " " + Phrase(rng, 6);
  d.text.keywords = topic + " . " + topics_[Zipf(rng, topics_.size())] + " . " +
                    topics_[rng() % topics_.size()];
  d.text.body = Phrase(rng, 40) + ". " + topic + " " + Phrase(rng, 30) + ".";
  static const char* kSectors[] = {"207", "211", "203", "202", "401", "405",
                                   "204", "205", "102", "406"};
  d.sectors = {kSectors[rng() % 10]};
  d.trl = 3 + static_cast<int>(rng() % 7);
  d.price_min = static_cast<int64_t>(rng() % 2000) * 1'000'000;
  d.price_max = d.price_min * 3;
  static const char* kProvinces[] = {"79", "75", "80", "86", "92", "91", "82", "96", "01", "48"};
  d.province = kProvinces[rng() % 10];
  d.region = d.province == "01" ? "RRD" : d.province == "48" ? "NCC" : "S";
  d.transfer_modes = static_cast<uint32_t>(rng() % 126) << 1;
  d.fresh_micros = 1'700'000'000'000'000 + static_cast<int64_t>(rng() % 30'000'000) * 1'000'000;
  d.published = true;
  return d;
}

matching::NeedDoc CorpusGenerator::Need(uint64_t id) const {
  matching::OfferDoc o = Offer(id ^ 0x5555555555ull);
  matching::NeedDoc d;
  d.id = id;
  d.text = o.text;
  d.sectors = o.sectors;
  d.min_trl = o.trl;
  d.budget_max = o.price_max > 0 ? o.price_max : 500'000'000;
  d.province = o.province;
  d.region = o.region;
  d.transfer_modes = o.transfer_modes;
  d.published = true;
  return d;
}

std::string CorpusGenerator::Query(uint64_t id, int syllables) const {
  std::mt19937_64 rng(seed_ * 31 + id * 0x2545F4914F6CDD1Dull);
  return Phrase(rng, syllables);
}

}  // namespace techmatch::bench
