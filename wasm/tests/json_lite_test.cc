// The JSON reader/writer behind the module's C ABI (wasm/src/json_lite.h).
#include "wasm/src/json_lite.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

namespace vitrine::wasm {
namespace {

Json Parse(const std::string& text) {
  Json v;
  std::string error;
  EXPECT_TRUE(ParseJson(text, &v, &error)) << text << ": " << error;
  return v;
}

TEST(JsonLiteTest, ParsesEveryKindAndKeepsMemberOrder) {
  const Json v = Parse(R"( {"b": [1, -2.5e3, true, false, null], "a": {"s": "x"}} )");
  ASSERT_EQ(v.kind, Json::kObject);
  ASSERT_EQ(v.keys.size(), 2u);
  EXPECT_EQ(v.keys[0], "b");
  const Json* b = v.Find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->items.size(), 5u);
  EXPECT_EQ(b->items[0].number, 1);
  EXPECT_EQ(b->items[1].number, -2500);
  EXPECT_TRUE(b->items[2].boolean);
  EXPECT_EQ(b->items[3].kind, Json::kBool);
  EXPECT_EQ(b->items[4].kind, Json::kNull);
  EXPECT_EQ(v.Find("a")->Find("s")->string, "x");
  EXPECT_EQ(v.Find("missing"), nullptr);
  EXPECT_EQ(b->Find("b"), nullptr) << "Find on an array";
}

TEST(JsonLiteTest, EscapesBecomeUtf8AndLoneSurrogatesReplacementCharacters) {
  EXPECT_EQ(Parse(R"("a\"\\\/\b\f\n\r\t")").string, "a\"\\/\b\f\n\r\t");
  EXPECT_EQ(Parse(R"("\u00e9\u20ac")").string, "\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(Parse(R"("\ud83d\ude00")").string, "\xF0\x9F\x98\x80");
  EXPECT_EQ(Parse(R"("\ud83d|")").string, "\xEF\xBF\xBD|");
  EXPECT_EQ(Parse(R"("\ude00\ud83d\u0041")").string,
            "\xEF\xBF\xBD\xEF\xBF\xBD"
            "A");
  EXPECT_EQ(Parse("\"caf\xC3\xA9\"").string, "caf\xC3\xA9") << "raw UTF-8 passes";
}

TEST(JsonLiteTest, RejectsWhatIsNotJson) {
  for (const char* text : {"",          "   ",
                           "{",         "[1,]",
                           "[1 2]",     "{\"a\" 1}",
                           "{a:1}",     "01",
                           "1.",        ".5",
                           "+1",        "0x10",
                           "NaN",       "Infinity",
                           "tru",       "nul",
                           "\"open",    "\"bad \\x escape\"",
                           "\"\\u12\"", "\"ctrl \x01\"",
                           "[1] [2]",   "{\"a\":1,}",
                           "'single'"}) {
    Json v;
    std::string error;
    EXPECT_FALSE(ParseJson(text, &v, &error)) << text;
    EXPECT_NE(error.find("not JSON"), std::string::npos) << text;
  }
}

TEST(JsonLiteTest, NestingIsCappedSoHostileInputCannotExhaustTheStack) {
  Json v;
  EXPECT_TRUE(ParseJson(std::string(60, '[') + std::string(60, ']'), &v, nullptr));
  EXPECT_FALSE(ParseJson(std::string(100000, '[') + std::string(100000, ']'), &v, nullptr));
}

TEST(JsonLiteTest, WriterSeparatesAndEscapes) {
  JsonOut out;
  out.BeginObject().Key("a").Number(1).Key("q\"").String("x\\y\n\x01");
  out.Key("list").BeginArray().Bool(true).Null().BeginObject().EndObject().EndArray();
  out.EndObject();
  EXPECT_EQ(out.text(), R"({"a":1,"q\"":"x\\y\u000a\u0001","list":[true,null,{}]})");
  const Json back = Parse(out.text());
  EXPECT_EQ(back.Find("q\"")->string, "x\\y\n\x01");
}

TEST(JsonLiteTest, NumbersReadBackAsTheSameDouble) {
  // Exact in the range prices, scores and counters live in.
  for (const double d :
       {0.0, 1.0, -7.0, 9.99, 12.5, 0.1, 1.0 / 3, -2.718281828459045, 1e-7, 123456789.125,
        9007199254740993.0, 1e21, 0.30000000000000004, 1e-20, 1e36}) {
    JsonOut out;
    out.Number(d);
    EXPECT_EQ(std::strtod(out.text().c_str(), nullptr), d) << out.text();
    EXPECT_EQ(Parse(out.text()).kind, Json::kNumber) << out.text();
  }
  // Far outside it, within an ulp or so.
  for (const double d : {3.4e38, 1e-300, 1.7976931348623157e308, -1e-25}) {
    JsonOut out;
    out.Number(d);
    const double back = std::strtod(out.text().c_str(), nullptr);
    EXPECT_NEAR(back / d, 1.0, 1e-15) << out.text();
    EXPECT_EQ(Parse(out.text()).kind, Json::kNumber) << out.text();
  }
  JsonOut ints;
  ints.BeginArray().Number(42).Number(-3).Number(1e15).EndArray();
  EXPECT_EQ(ints.text(), "[42,-3,1000000000000000]");
  JsonOut special;
  special.BeginArray().Number(NAN).Number(INFINITY).EndArray();
  EXPECT_EQ(special.text(), "[null,null]");
}

}  // namespace
}  // namespace vitrine::wasm
