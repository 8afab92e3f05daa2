#include "domain/validation.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace techmatch::domain {
namespace {

using techmatch::v1::Need;
using techmatch::v1::Offer;
using techmatch::v1::Organization;

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override { reference_ = testing::LoadReference(); }

  // Expects INVALID_ARGUMENT whose message starts with `path`.
  template <class T, class Fn>
  void ExpectInvalid(T record, Fn normalize, const std::string& path) {
    absl::Status status = normalize(*reference_, &record);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(status.message().substr(0, path.size()), path) << status;
  }

  std::unique_ptr<ReferenceData> reference_;
};

TEST_F(ValidationTest, NormalisesAValidOffer) {
  Offer offer = testing::MakeOffer("organizations/1", "  Máy sấy  ");
  offer.set_title("  Ma\xCC\x81y sấy  ");  // combining acute
  offer.set_province("bình dương");
  offer.add_sector_codes("207");  // duplicate
  offer.add_keywords("IoT");
  offer.add_keywords("iot");  // duplicate after case folding
  offer.add_transfer_modes(techmatch::v1::TRAINING);
  offer.add_transfer_modes(techmatch::v1::LICENSE);
  offer.add_transfer_modes(techmatch::v1::TRAINING);
  ASSERT_TRUE(NormalizeOffer(*reference_, &offer).ok());
  EXPECT_EQ(offer.title(), "Máy sấy");
  EXPECT_EQ(offer.province(), "79");
  EXPECT_EQ(offer.province_name(), "TP. Hồ Chí Minh");
  EXPECT_EQ(offer.sector_codes_size(), 1);
  EXPECT_EQ(offer.keywords_size(), 1);
  ASSERT_EQ(offer.transfer_modes_size(), 2);
  EXPECT_EQ(offer.transfer_modes(0), techmatch::v1::LICENSE);
}

TEST_F(ValidationTest, RejectsBadOffers) {
  Offer base = testing::MakeOffer("organizations/1", "Máy sấy");
  auto f = NormalizeOffer;
  Offer o = base;
  o.clear_title();
  ExpectInvalid(o, f, "offer.title");
  o = base;
  o.set_title(std::string(301, 'a'));
  ExpectInvalid(o, f, "offer.title");
  o = base;
  o.set_title("ok\xFF");
  ExpectInvalid(o, f, "offer.title");
  o = base;
  o.set_title("a\x01");
  ExpectInvalid(o, f, "offer.title");
  o = base;
  o.set_trl(0);
  ExpectInvalid(o, f, "offer.trl");
  o = base;
  o.set_trl(10);
  ExpectInvalid(o, f, "offer.trl");
  o = base;
  o.clear_sector_codes();
  ExpectInvalid(o, f, "offer.sector_codes");
  o = base;
  o.add_sector_codes("777");
  ExpectInvalid(o, f, "offer.sector_codes[1]");
  o = base;
  o.mutable_price()->set_min_vnd(-1);
  ExpectInvalid(o, f, "offer.price.min_vnd");
  o = base;
  o.mutable_price()->set_min_vnd(10);
  o.mutable_price()->set_max_vnd(5);
  ExpectInvalid(o, f, "offer.price");
  o = base;
  o.set_province("Atlantis");
  ExpectInvalid(o, f, "offer.province");
  o = base;
  o.set_owner("offers/1");
  ExpectInvalid(o, f, "offer.owner");
  o = base;
  o.clear_owner();
  ExpectInvalid(o, f, "offer.owner");
  o = base;
  o.add_transfer_modes(static_cast<techmatch::v1::TransferMode>(99));
  ExpectInvalid(o, f, "offer.transfer_modes[0]");
  o = base;
  o.set_external_ref("has space");
  ExpectInvalid(o, f, "offer.external_ref");
  o = base;
  for (int i = 0; i < 31; ++i) o.add_keywords("k" + std::to_string(i));
  ExpectInvalid(o, f, "offer.keywords");
  o = base;
  o.add_keywords("");
  ExpectInvalid(o, f, "offer.keywords[0]");
}

TEST_F(ValidationTest, NeedRules) {
  Need base = testing::MakeNeed("organizations/2", "xử lý nước thải");
  Need ok = base;
  ASSERT_TRUE(NormalizeNeed(*reference_, &ok).ok());
  EXPECT_EQ(ok.confidentiality(), techmatch::v1::PUBLIC);
  auto f = NormalizeNeed;
  Need n = base;
  n.set_min_trl(10);
  ExpectInvalid(n, f, "need.min_trl");
  n = base;
  n.set_budget_max_vnd(-5);
  ExpectInvalid(n, f, "need.budget_max_vnd");
  n = base;
  n.clear_description();
  ExpectInvalid(n, f, "need.description");
  n = base;
  n.set_centre("centres/1");
  ExpectInvalid(n, f, "need.centre");
  n = base;
  n.add_strict_constraints(static_cast<techmatch::v1::StrictConstraint>(42));
  ExpectInvalid(n, f, "need.strict_constraints[0]");
}

TEST_F(ValidationTest, OrganizationRules) {
  Organization base = testing::MakeOrg("Sở KH&CN", Organization::REGIONAL_CENTRE);
  Organization ok = base;
  ASSERT_TRUE(NormalizeOrganization(*reference_, &ok).ok());
  EXPECT_EQ(ok.province(), "75");
  auto f = NormalizeOrganization;
  Organization o = base;
  o.set_kind(Organization::KIND_UNSPECIFIED);
  ExpectInvalid(o, f, "organization.kind");
  o = base;
  o.clear_province();
  ExpectInvalid(o, f, "organization.province");
  o = base;
  o.mutable_contact()->set_email("not-an-email");
  ExpectInvalid(o, f, "organization.contact.email");
}

TEST_F(ValidationTest, InputState) {
  EXPECT_TRUE(CheckInputState(techmatch::v1::DRAFT, "offer.state").ok());
  EXPECT_TRUE(CheckInputState(techmatch::v1::PUBLISHED, "offer.state").ok());
  EXPECT_FALSE(CheckInputState(techmatch::v1::EXPIRED, "offer.state").ok());
  EXPECT_FALSE(CheckInputState(77, "offer.state").ok());
}

}  // namespace
}  // namespace techmatch::domain
