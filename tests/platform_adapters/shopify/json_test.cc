#include "platform_adapters/shopify/json.h"

#include <gtest/gtest.h>

namespace vitrine::shopify {
namespace {

TEST(ShopifyJsonTest, NumbersKeepTheirExactToken) {
  auto r = ParseJson(R"({"a": 18446744073709551615, "b": -9223372036854775808, "c": 1.50,
                         "d": 18446744073709551616, "e": 1e3})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value->Find("a")->AsUint64(), UINT64_MAX);
  EXPECT_EQ(r.value->Find("b")->AsInt64(), INT64_MIN);
  EXPECT_EQ(r.value->Find("c")->AsDecimalText(), "1.50");
  EXPECT_EQ(r.value->Find("c")->AsUint64(), std::nullopt);
  EXPECT_EQ(r.value->Find("d")->AsUint64(), std::nullopt);  // overflow is not wrapped
  EXPECT_EQ(r.value->Find("e")->AsUint64(), std::nullopt);
}

TEST(ShopifyJsonTest, StringEscapesDecode) {
  auto r = ParseJson(R"(["a\"b\\c\/\n", "\u00e9\ud83d\ude00"])");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value->items()[0].AsString(), "a\"b\\c/\n");
  EXPECT_EQ(r.value->items()[1].AsString(), "\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_FALSE(ParseJson(R"(["\ud83d"])").ok());
  EXPECT_FALSE(ParseJson("[\"tab\there\"]").ok());
}

TEST(ShopifyJsonTest, ErrorsCarryAnOffset) {
  auto r = ParseJson("{\"a\": tru}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.rfind("offset 6", 0), 0u) << r.error;
  EXPECT_FALSE(ParseJson("{} x").ok());
  EXPECT_FALSE(ParseJson("-").ok());
  EXPECT_FALSE(ParseJson("1.").ok());
  EXPECT_TRUE(ParseJson(" null ").ok());
}

}  // namespace
}  // namespace vitrine::shopify
