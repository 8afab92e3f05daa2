// Helpers shared by the tests: status assertions, a temporary directory per
// test, and fixtures for building valid records.
#ifndef TECHMATCH_TESTS_TEST_UTIL_H_
#define TECHMATCH_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/access.h"
#include "domain/reference_data.h"
#include "techmatch/v1/need.pb.h"
#include "techmatch/v1/offer.pb.h"
#include "techmatch/v1/organization.pb.h"

#define ASSERT_OK(expr) \
  ASSERT_TRUE((expr).ok()) << ::techmatch::testing::StatusOf(expr)
#define EXPECT_OK(expr) \
  EXPECT_TRUE((expr).ok()) << ::techmatch::testing::StatusOf(expr)

namespace techmatch::testing {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <class T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// A caller with every right, for tests that are not about access.
// Runs `call(&response)`, a call that builds its response in place (as
// domain::Matchmaker's do), and returns the response or the call's error.
template <class Response, class Call>
absl::StatusOr<Response> Built(Call call) {
  Response response;
  absl::Status status = call(&response);
  if (!status.ok()) return status;
  return response;
}

inline const domain::Caller& Admin() {
  static const auto* caller =
      new domain::Caller(domain::Caller::System("test"));
  return *caller;
}

// The repository's reference-data directory.
inline std::string ReferenceDir() {
  return std::string(TECHMATCH_SOURCE_DIR) + "/data/reference";
}

inline std::unique_ptr<domain::ReferenceData> LoadReference() {
  auto data = domain::ReferenceData::LoadFromDirectory(ReferenceDir());
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *std::move(data) : nullptr;
}

// A fresh directory for one test, removed when the test ends.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("techmatch_") + info->test_suite_name() + "_" +
            info->name() + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

inline techmatch::v1::Organization MakeOrg(
    const std::string& name, techmatch::v1::Organization::Kind kind,
    const std::string& province = "Đồng Nai") {
  techmatch::v1::Organization org;
  org.set_display_name(name);
  org.set_kind(kind);
  org.set_province(province);
  return org;
}

inline techmatch::v1::Offer MakeOffer(const std::string& owner,
                                      const std::string& title) {
  techmatch::v1::Offer offer;
  offer.set_owner(owner);
  offer.set_title(title);
  offer.set_description("Mô tả công nghệ " + title);
  offer.add_sector_codes("207");
  offer.set_trl(7);
  return offer;
}

inline techmatch::v1::Need MakeNeed(const std::string& enterprise,
                                    const std::string& title) {
  techmatch::v1::Need need;
  need.set_enterprise(enterprise);
  need.set_title(title);
  need.set_description("Doanh nghiệp cần " + title);
  return need;
}

}  // namespace techmatch::testing

#endif  // TECHMATCH_TESTS_TEST_UTIL_H_
