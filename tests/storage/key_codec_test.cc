#include "storage/key_codec.h"

#include <gtest/gtest.h>

#include "storage/resource_name.h"
#include "storage/schema.h"

namespace techmatch::storage {
namespace {

TEST(KeyCodec, BigEndianRoundTripAndOrder) {
  for (uint64_t v : {0ull, 1ull, 255ull, 256ull, 0x0102030405060708ull,
                     ~0ull}) {
    EXPECT_EQ(DecodeU64(EncodeU64(v)), v);
  }
  EXPECT_EQ(EncodeU64(0x0102030405060708ull),
            std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_LT(EncodeU64(255), EncodeU64(256));
  EXPECT_LT(EncodeU64(1), EncodeU64(1ull << 40));
  EXPECT_FALSE(DecodeU64("short").has_value());
  std::string u32;
  AppendU32(&u32, 0xA1B2C3D4);
  EXPECT_EQ(DecodeU32(u32), 0xA1B2C3D4u);
}

TEST(KeyCodec, OrderedMicrosKeepsSignedOrder) {
  EXPECT_LT(EncodeU64(OrderedMicros(-5)), EncodeU64(OrderedMicros(0)));
  EXPECT_LT(EncodeU64(OrderedMicros(0)), EncodeU64(OrderedMicros(7)));
}

TEST(KeyCodec, IndexKeysSortByScopeThenId) {
  EXPECT_LT(IndexKey(IndexId::kOfferByOwner, 1, 500),
            IndexKey(IndexId::kOfferByOwner, 2, 1));
  EXPECT_LT(IndexKey(IndexId::kOfferByOwner, 2, 1),
            IndexKey(IndexId::kOfferByOwner, 2, 2));
  std::string prefix = IndexPrefix(IndexId::kOfferByOwner, 2);
  EXPECT_EQ(IndexKey(IndexId::kOfferByOwner, 2, 9).substr(0, prefix.size()),
            prefix);
}

TEST(ResourceName, ParsesAndRejects) {
  EXPECT_EQ(MakeName(RecordKind::kOffer, 42), "offers/42");
  auto id = ParseName(RecordKind::kOffer, "offers/42", "name");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 42u);
  for (const char* bad :
       {"", "offers/", "offers/0", "offers/-1", "needs/4", "offers/4x",
        "offers//4", "offers/+4", "offers/ 4", "offers/99999999999999999999999",
        "offers/\n4", "offers/4\n", "offers/04", "offers/4 ", "offers/\t4"}) {
    auto r = ParseName(RecordKind::kOffer, bad, "offer.name");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  auto r = ParseName(RecordKind::kOffer, "x", "offer.owner");
  EXPECT_NE(r.status().message().find("offer.owner"), std::string::npos);
}

}  // namespace
}  // namespace techmatch::storage
