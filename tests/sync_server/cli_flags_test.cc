// ParseCliFlags (sync_server/common/cli_flags.h): the sub-commands' flag syntax and its errors.
#include "sync_server/common/cli_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vitrine::server {
namespace {

TEST(CliFlagsTest, ValuesEqualsFormsAndSwitches) {
  const std::vector<std::string> args = {"--db", "v.db", "--out=x.csv", "--json", "--db", "w.db"};
  auto flags = ParseCliFlags(args, {"db", "out"}, {"json"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->at("db"), "w.db") << "the last one wins";
  EXPECT_EQ(flags->at("out"), "x.csv");
  EXPECT_EQ(flags->at("json"), "1");
  EXPECT_EQ(flags->size(), 3u);
  // An empty value through "=" is kept as given: the caller decides whether it is allowed.
  const std::vector<std::string> empty = {"--out="};
  EXPECT_EQ(ParseCliFlags(empty, {"out"})->at("out"), "");
}

TEST(CliFlagsTest, MistakesAreUsageErrorsNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--dbb", "v.db"}, "unknown option --dbb"},
           {{"--db"}, "--db needs a value"},
           {{"v.db"}, "unexpected argument 'v.db'"},
           {{"--json=yes"}, "--json takes no value"},
       }) {
    auto flags = ParseCliFlags(c.args, {"db"}, {"json"});
    ASSERT_FALSE(flags.ok()) << c.message;
    EXPECT_EQ(flags.status().code(), "usage");
    EXPECT_EQ(flags.status().message(), c.message);
  }
}

}  // namespace
}  // namespace vitrine::server
