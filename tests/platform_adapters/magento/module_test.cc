// The Vitrine_Snippet Magento module cannot run here without Magento, so its files are checked
// for what can be checked: XML well-formed (xmllint), PHP syntax (php -l, where PHP is
// installed), composer.json valid, references between files resolvable, and the PHP signing
// recipe identical to the server's (same HMAC for the same inputs when PHP is there).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "platform_adapters/magento/notifications.h"
#include "tests/platform_adapters/magento/fake_magento.h"
#include "tests/support/temp_dir.h"

namespace vitrine::magento {
namespace {

namespace fs = std::filesystem;

fs::path ModuleDir() {
  // tests/platform_adapters/magento/module_test.cc -> repository root.
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() /
         "platform_adapters" / "magento" / "module" / "Vitrine_Snippet";
}

bool HaveTool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

struct ShellResult {
  int code = -1;
  std::string output;
};

ShellResult Shell(const std::string& command) {
  ShellResult r;
  std::FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Quote(const fs::path& p) { return "'" + p.string() + "'"; }

std::vector<fs::path> Files(const std::string& extension) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(ModuleDir())) {
    if (entry.is_regular_file() && entry.path().extension() == extension) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(MagentoModuleTest, HasTheFilesAMagentoModuleNeeds) {
  for (const char* f :
       {"registration.php", "composer.json", "etc/module.xml", "etc/config.xml",
        "etc/adminhtml/system.xml", "etc/acl.xml", "etc/events.xml", "etc/di.xml",
        "etc/csp_whitelist.xml", "view/frontend/layout/default.xml",
        "view/frontend/templates/loader.phtml", "view/frontend/requirejs-config.js"}) {
    EXPECT_TRUE(fs::is_regular_file(ModuleDir() / f)) << f;
  }
  auto composer = shopify::ParseJson(testing::ReadFile(ModuleDir() / "composer.json"));
  ASSERT_TRUE(composer.ok()) << composer.error;
  EXPECT_EQ(composer.value->Find("type")->AsString(), "magento2-module");
  const std::string registration = testing::ReadFile(ModuleDir() / "registration.php");
  EXPECT_NE(registration.find("'Vitrine_Snippet'"), std::string::npos);
  const std::string module_xml = testing::ReadFile(ModuleDir() / "etc/module.xml");
  EXPECT_NE(module_xml.find("<module name=\"Vitrine_Snippet\">"), std::string::npos);
}

TEST(MagentoModuleTest, XmlFilesAreWellFormed) {
  if (!HaveTool("xmllint")) {
    GTEST_SKIP() << "xmllint is not installed (Debian: libxml2-utils); XML not checked";
  }
  const auto files = Files(".xml");
  ASSERT_GE(files.size(), 8u);
  for (const fs::path& f : files) {
    ShellResult r = Shell("xmllint --noout " + Quote(f));
    EXPECT_EQ(r.code, 0) << f << "\n" << r.output;
  }
  // The check can fail: a broken file is reported.
  ::vitrine::testing::TempDir tmp;
  {
    std::ofstream broken(tmp.File("broken.xml"));
    broken << "<config><module name=\"x\"></config>";
  }
  EXPECT_NE(Shell("xmllint --noout " + Quote(tmp.File("broken.xml"))).code, 0);
}

TEST(MagentoModuleTest, PhpFilesLint) {
  if (!HaveTool("php")) GTEST_SKIP() << "php is not installed; PHP syntax not checked";
  auto files = Files(".php");
  auto templates = Files(".phtml");
  files.insert(files.end(), templates.begin(), templates.end());
  ASSERT_GE(files.size(), 10u);
  for (const fs::path& f : files) {
    ShellResult r = Shell("php -l " + Quote(f));
    EXPECT_EQ(r.code, 0) << f << "\n" << r.output;
  }
}

TEST(MagentoModuleTest, ReferencedClassesAndTemplatesExist) {
  // PSR-4: Vitrine\Snippet\X\Y -> X/Y.php
  auto class_file = [](const std::string& cls) {
    std::string rel = cls.substr(std::string("Vitrine\\Snippet\\").size());
    std::replace(rel.begin(), rel.end(), '\\', '/');
    return ModuleDir() / (rel + ".php");
  };
  // Every "Vitrine\Snippet\<letters and backslashes>" in the file. A plain scan, not <regex>:
  // GCC 12 reports false maybe-uninitialized warnings inside <regex> under ASan.
  auto class_refs = [](const std::string& text) {
    const std::string prefix = "Vitrine\\Snippet\\";
    std::vector<std::string> out;
    for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
      size_t end = at + prefix.size();
      while (end < text.size() &&
             (std::isalpha(static_cast<unsigned char>(text[end])) || text[end] == '\\')) {
        ++end;
      }
      if (end > at + prefix.size()) out.push_back(text.substr(at, end - at));
    }
    return out;
  };
  int refs = 0;
  for (const char* f : {"etc/events.xml", "etc/di.xml", "view/frontend/layout/default.xml"}) {
    const std::string text = testing::ReadFile(ModuleDir() / f);
    for (const std::string& ref : class_refs(text)) {
      ++refs;
      EXPECT_TRUE(fs::is_regular_file(class_file(ref))) << f << ": " << ref;
    }
  }
  EXPECT_GE(refs, 7);
  const std::string layout = testing::ReadFile(ModuleDir() / "view/frontend/layout/default.xml");
  EXPECT_NE(layout.find("Vitrine_Snippet::loader.phtml"), std::string::npos);
  EXPECT_NE(layout.find("head.additional"), std::string::npos);
  // The template loads the loader with the attributes wasm/package/loader.js reads.
  const std::string tpl = testing::ReadFile(ModuleDir() / "view/frontend/templates/loader.phtml");
  for (const char* attr : {"'data-server-url'", "'data-write-key'", "'src'", "'async'"}) {
    EXPECT_NE(tpl.find(attr), std::string::npos) << attr;
  }
  // Every field the PHP config reads is declared in system.xml.
  const std::string system = testing::ReadFile(ModuleDir() / "etc/adminhtml/system.xml");
  for (const char* id : {"id=\"server_url\"", "id=\"loader_url\"", "id=\"write_key\"",
                         "id=\"shared_secret\"", "id=\"timeout\""}) {
    EXPECT_NE(system.find(id), std::string::npos) << id;
  }
  const std::string csp = testing::ReadFile(ModuleDir() / "Plugin/WasmUnsafeEval.php");
  EXPECT_NE(csp.find("'wasm-unsafe-eval'"), std::string::npos);
}

// The module's PHP signs what the server verifies.
TEST(MagentoModuleTest, PhpSignatureRecipeMatchesTheServer) {
  const std::string notifier = testing::ReadFile(ModuleDir() / "Model/Notifier.php");
  EXPECT_NE(notifier.find("$timestamp . '.' . $eventId . '.' . $body"), std::string::npos);
  EXPECT_NE(notifier.find("'v1=' . hash_hmac(\n                'sha256'"), std::string::npos);
  EXPECT_NE(notifier.find("/v1/magento/events"), std::string::npos);
  if (!HaveTool("php")) GTEST_SKIP() << "php is not installed; recipe compared as text only";
  ShellResult r = Shell(
      "php -r \"echo 'v1=' . hash_hmac('sha256', '1700000000' . '.' . 'abc' . '.' . "
      "'{\\\"topic\\\":\\\"x\\\"}', 's3cret');\"");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, SignNotification("s3cret", 1700000000, "abc", R"({"topic":"x"})"));
}

}  // namespace
}  // namespace vitrine::magento
