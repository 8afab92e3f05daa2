// The report files as a centre would put them in its annual report: the SVG
// is well-formed XML and renders, whatever the labels and the title hold.
#include "client/report_format.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/test_util.h"

namespace techmatch::client {
namespace {

namespace v1 = techmatch::v1;

v1::ReportRow Row(const std::string& label, uint64_t offers, uint64_t needs,
                  uint64_t connections, uint64_t agreements) {
  v1::ReportRow row;
  row.set_key(label.substr(0, 8));
  row.set_label(label);
  row.set_offers_published(offers);
  row.set_needs_published(needs);
  row.set_connections_created(connections);
  row.set_agreements_signed(agreements);
  return row;
}

// Fixtures: long Vietnamese names (a byte cut at 60 split "ố"), markup,
// zeros, a label of invalid UTF-8 and control characters, huge values.
std::vector<std::pair<std::string, v1::Report>> Fixtures() {
  std::vector<std::pair<std::string, v1::Report>> out;
  v1::Report provinces;
  *provinces.add_rows() = Row("Thành phố Hồ Chí Minh", 120, 48, 30, 7);
  *provinces.add_rows() =
      Row("Trung tâm Ứng dụng tiến bộ khoa học và công nghệ tỉnh Bà Rịa – "
          "Vũng Tàu (chi nhánh Côn Đảo)",
          3, 0, 0, 0);
  *provinces.add_rows() = Row("Vĩnh Long <&> \"quoted\"", 0, 0, 0, 0);
  *provinces.add_rows() =
      Row("bad \xff\xfe utf-8 \x01\x02 and\nnew line", 1, 2, 3, 4);
  provinces.mutable_total()->set_offers_published(124);
  provinces.mutable_total()->set_agreement_value_vnd(12'500'000'000);
  out.emplace_back(
      "Báo cáo kết nối cung – cầu công nghệ các tỉnh Đông Nam Bộ và Đồng bằng "
      "sông Cửu Long năm 2026, theo tỉnh, thành phố trực thuộc trung ương",
      provinces);
  v1::Report empty;  // no rows, no values
  out.emplace_back("Trống", empty);
  v1::Report huge;
  *huge.add_rows() = Row("Sàn", 987'654'321'000, 1, 0, 2);
  huge.mutable_total()->set_agreement_value_vnd(-5);
  out.emplace_back("", huge);
  return out;
}

int Shell(const std::string& command) { return std::system(command.c_str()); }

TEST(ReportSvgTest, EveryFixtureIsWellFormedAndRenders) {
  ASSERT_EQ(Shell("command -v xmllint >/dev/null && command -v rsvg-convert "
                  ">/dev/null"),
            0)
      << "xmllint and rsvg-convert are needed (scripts/setup.sh installs "
         "libxml2-utils and librsvg2-bin)";
  const std::string dir =
      ::testing::TempDir() + "/report_svg_" + std::to_string(getpid());
  ASSERT_EQ(Shell("mkdir -p " + dir), 0);
  int i = 0;
  for (const auto& [title, report] : Fixtures()) {
    const std::string svg = ReportSvg(report, title);
    const std::string path = dir + "/r" + std::to_string(i++) + ".svg";
    std::ofstream(path) << svg;
    EXPECT_EQ(Shell("xmllint --noout " + path + " 2>&1"), 0) << svg;
    EXPECT_EQ(Shell("rsvg-convert -o " + path + ".png " + path + " 2>&1"), 0)
        << svg;
  }
  Shell("rm -rf " + dir);
}

TEST(ReportSvgTest, ShowsSupplyAndDemandOnAnAxisWithoutSlivers) {
  const auto fixtures = Fixtures();
  const std::string svg = ReportSvg(fixtures[0].second, fixtures[0].first);
  EXPECT_NE(svg.find("offers published"), std::string::npos);
  EXPECT_NE(svg.find("needs published"), std::string::npos);
  EXPECT_NE(svg.find("12.500.000.000 ₫"), std::string::npos);
  // Axis 0..150 in steps of 50 for a largest value of 120.
  for (const char* tick :
       {">0</text>", ">50</text>", ">100</text>", ">150</text>"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
  // Each non-zero value has a bar: Hồ Chí Minh's four, Côn Đảo's one, the
  // bad-label row's four; the zeros none (the legend has four swatches and
  // the background one).
  size_t bars = 0;
  for (size_t at = svg.find("<rect"); at != std::string::npos;
       at = svg.find("<rect", at + 1)) {
    ++bars;
  }
  EXPECT_EQ(bars, 1u + 4u + 4u + 1u + 4u);
  EXPECT_EQ(svg.find("\xff"), std::string::npos);
  EXPECT_NE(svg.find("&lt;&amp;&gt; &quot;quoted&quot;"), std::string::npos);
}

TEST(ReportFormatTest, WrapsAndCutsByCharacter) {
  EXPECT_EQ(Wrap("công nghệ sấy lạnh", 9, 2),
            (std::vector<std::string>{"công nghệ", "sấy lạnh"}));
  EXPECT_EQ(Wrap("công nghệ sấy lạnh nông sản", 9, 2),
            (std::vector<std::string>{"công nghệ", "sấy lạnh…"}));
  EXPECT_EQ(Wrap("Đồng", 2, 1), (std::vector<std::string>{"Đ…"}));
  EXPECT_EQ(Wrap("", 10, 2), std::vector<std::string>{});
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(1234567), "1.234.567");
  EXPECT_EQ(FormatVnd(-1000), "-1.000 ₫");
  EXPECT_EQ(FormatVnd(INT64_MIN), "-9.223.372.036.854.775.808 ₫");
  const Scale s = NiceScale(120);
  EXPECT_EQ(s.max, 150u);
  EXPECT_EQ(s.step, 50u);
  EXPECT_EQ(NiceScale(0).max, 1u);
  EXPECT_EQ(NiceScale(7).step, 2u);
  EXPECT_EQ(NiceScale(7).max, 8u);
}

}  // namespace
}  // namespace techmatch::client
