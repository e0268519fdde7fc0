// The Vitrine_Snippet Magento module cannot run here without Magento, so its files are checked
// for what can be checked: XML well-formed (xmllint), PHP syntax (php -l, where PHP is
// installed), composer.json valid, references between files resolvable, the message queue's
// topic/queue/consumer names agreeing across its four XML files and the PHP, the PHP signing
// recipe identical to the server's (same HMAC for the same inputs when PHP is there), and the
// queue consumer's retry behaviour (php/queue_harness.php runs the real Sender and Consumer
// against stand-ins for Magento's classes).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
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
        "etc/csp_whitelist.xml", "etc/communication.xml", "etc/queue_publisher.xml",
        "etc/queue_topology.xml", "etc/queue_consumer.xml", "view/frontend/layout/default.xml",
        "view/frontend/templates/loader.phtml", "view/frontend/requirejs-config.js",
        "Observer/CreditMemoSaved.php", "Model/Sender.php", "Model/Queue/Consumer.php"}) {
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
  ASSERT_GE(files.size(), 12u);
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
  for (const char* f : {"etc/events.xml", "etc/di.xml", "view/frontend/layout/default.xml",
                        "etc/queue_consumer.xml", "etc/adminhtml/system.xml"}) {
    const std::string text = testing::ReadFile(ModuleDir() / f);
    for (const std::string& ref : class_refs(text)) {
      ++refs;
      EXPECT_TRUE(fs::is_regular_file(class_file(ref))) << f << ": " << ref;
    }
  }
  EXPECT_GE(refs, 10);
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
  for (const char* id :
       {"id=\"server_url\"", "id=\"loader_url\"", "id=\"write_key\"", "id=\"shared_secret\"",
        "id=\"timeout\"", "id=\"delivery\"", "id=\"catalog_store\""}) {
    EXPECT_NE(system.find(id), std::string::npos) << id;
  }
  const std::string csp = testing::ReadFile(ModuleDir() / "Plugin/WasmUnsafeEval.php");
  EXPECT_NE(csp.find("'wasm-unsafe-eval'"), std::string::npos);
}

// The module's PHP signs what the server verifies.
TEST(MagentoModuleTest, PhpSignatureRecipeMatchesTheServer) {
  const std::string sender = testing::ReadFile(ModuleDir() / "Model/Sender.php");
  EXPECT_NE(sender.find("$timestamp . '.' . $eventId . '.' . $body"), std::string::npos);
  EXPECT_NE(sender.find("'v1=' . hash_hmac(\n                'sha256'"), std::string::npos);
  EXPECT_NE(sender.find("/v1/magento/events"), std::string::npos);
  if (!HaveTool("php")) GTEST_SKIP() << "php is not installed; recipe compared as text only";
  ShellResult r = Shell(
      "php -r \"echo 'v1=' . hash_hmac('sha256', '1700000000' . '.' . 'abc' . '.' . "
      "'{\\\"topic\\\":\\\"x\\\"}', 's3cret');\"");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, SignNotification("s3cret", 1700000000, "abc", R"({"topic":"x"})"));
}

// The value of `attribute` on the first element that has it after `after` in `text` ("" if none).
std::string AttributeAfter(const std::string& text, const std::string& after,
                           const std::string& attribute) {
  const size_t from = text.find(after);
  if (from == std::string::npos) return {};
  const std::string key = " " + attribute + "=\"";
  const size_t at = text.find(key, from);
  if (at == std::string::npos) return {};
  const size_t begin = at + key.size();
  return text.substr(begin, text.find('"', begin) - begin);
}

// Magento wires a queue by names repeated across communication.xml, queue_publisher.xml,
// queue_topology.xml and queue_consumer.xml; a typo in any of them leaves messages unconsumed
// without an error. Every name is checked against the others and against the PHP.
TEST(MagentoModuleTest, QueueTopicQueueAndConsumerAgree) {
  const std::string communication = testing::ReadFile(ModuleDir() / "etc/communication.xml");
  const std::string publisher = testing::ReadFile(ModuleDir() / "etc/queue_publisher.xml");
  const std::string topology = testing::ReadFile(ModuleDir() / "etc/queue_topology.xml");
  const std::string consumer = testing::ReadFile(ModuleDir() / "etc/queue_consumer.xml");
  const std::string php = testing::ReadFile(ModuleDir() / "Model/Queue/Consumer.php");
  const std::string topic = AttributeAfter(communication, "<topic", "name");
  ASSERT_EQ(topic, "vitrine.notification");
  EXPECT_EQ(AttributeAfter(communication, "<topic", "request"), "string");
  EXPECT_NE(php.find("public const TOPIC = '" + topic + "';"), std::string::npos);
  EXPECT_EQ(AttributeAfter(publisher, "<publisher", "topic"), topic);
  const std::string exchange = AttributeAfter(publisher, "<connection", "exchange");
  const std::string connection = AttributeAfter(publisher, "<connection", "name");
  EXPECT_EQ(connection, "db");
  EXPECT_EQ(AttributeAfter(topology, "<exchange", "name"), exchange);
  EXPECT_EQ(AttributeAfter(topology, "<exchange", "connection"), connection);
  EXPECT_EQ(AttributeAfter(topology, "<binding", "topic"), topic);
  EXPECT_EQ(AttributeAfter(topology, "<binding", "destinationType"), "queue");
  const std::string queue = AttributeAfter(topology, "<binding", "destination");
  EXPECT_EQ(AttributeAfter(consumer, "<consumer", "queue"), queue);
  EXPECT_EQ(AttributeAfter(consumer, "<consumer", "connection"), connection);
  EXPECT_EQ(AttributeAfter(consumer, "<consumer", "handler"),
            "Vitrine\\Snippet\\Model\\Queue\\Consumer::process");
  EXPECT_NE(php.find("public function process(string $message): void"), std::string::npos);
  // The notifier publishes to that topic; the credit memo observer is registered.
  const std::string notifier = testing::ReadFile(ModuleDir() / "Model/Notifier.php");
  EXPECT_NE(notifier.find("$this->publisher->publish(\n                    Consumer::TOPIC"),
            std::string::npos);
  const std::string events = testing::ReadFile(ModuleDir() / "etc/events.xml");
  EXPECT_EQ(AttributeAfter(events, "name=\"sales_order_creditmemo_save_after\"", "instance"),
            "Vitrine\\Snippet\\Observer\\CreditMemoSaved");
  const std::string module_xml = testing::ReadFile(ModuleDir() / "etc/module.xml");
  EXPECT_NE(module_xml.find("<module name=\"Magento_MysqlMq\"/>"), std::string::npos);
}

fs::path HarnessFile() { return fs::path(__FILE__).parent_path() / "php" / "queue_harness.php"; }

// The consumer's behaviour, run in PHP: delivered on a 2xx, retried with backoff on no answer /
// 429 / 5xx, queued again with attempt + 1 after three tries, dropped on 400 and after the last
// attempt, and every try carrying the same event id under a signature the server accepts.
TEST(MagentoModuleTest, PhpQueueConsumerRetriesUnderOneEventId) {
  if (!HaveTool("php")) GTEST_SKIP() << "php is not installed; the queue consumer not run";
  const std::string secret = "queue-secret";
  ShellResult r = Shell("php " + Quote(HarnessFile()) + " " + Quote(ModuleDir()) + " " + secret);
  ASSERT_EQ(r.code, 0) << r.output;
  auto parsed = shopify::ParseJson(r.output);
  ASSERT_TRUE(parsed.ok()) << parsed.error << "\n" << r.output;
  const JsonValue& root = *parsed.value;
  EXPECT_EQ(root.Find("topic")->AsString(), "vitrine.notification");
  EXPECT_EQ(root.Find("queue_delivery")->AsBool(), true);  // the default without a setting
  EXPECT_EQ(root.Find("catalog_store")->AsString(), "default");
  std::map<std::string, const JsonValue*> cases;
  for (const JsonValue& c : root.Find("cases")->items()) {
    cases[c.Find("case")->AsString().value_or("")] = &c;
  }
  auto count = [&](const std::string& name, const char* member) {
    return cases.at(name)->Find(member)->items().size();
  };
  ASSERT_EQ(cases.size(), 6u);

  // Delivered at once; the server verifies what PHP signed.
  ASSERT_EQ(count("delivered", "posts"), 1u);
  EXPECT_EQ(count("delivered", "published"), 0u);
  const JsonValue& post = cases.at("delivered")->Find("posts")->items()[0];
  EXPECT_EQ(post.Find("url")->AsString(), "https://vitrine.example/v1/magento/events");
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : post.Find("headers")->members()) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    headers[lower] = value.AsString().value_or("");
  }
  const std::string body = post.Find("body")->AsString().value_or("");
  SignatureOptions options;
  options.secrets = {secret};
  const int64_t ts = std::stoll(headers.at("x-vitrine-timestamp"));
  EXPECT_EQ(VerifyNotification(headers, body, options, ts), SignatureVerdict::kValid);
  options.secrets = {"another-secret"};
  EXPECT_EQ(VerifyNotification(headers, body, options, ts), SignatureVerdict::kMismatch);

  // 503, no answer, 200: three tries, 1 s and 2 s apart, one event id.
  ASSERT_EQ(count("retried_then_delivered", "posts"), 3u);
  EXPECT_EQ(count("retried_then_delivered", "published"), 0u);
  for (const JsonValue& p : cases.at("retried_then_delivered")->Find("posts")->items()) {
    EXPECT_EQ(p.Find("headers")->Find("X-Vitrine-Event-Id")->AsString(), "evt-1");
  }
  const auto& sleeps = cases.at("retried_then_delivered")->Find("sleeps")->items();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_EQ(sleeps[0].AsInt64(), 1000);
  EXPECT_EQ(sleeps[1].AsInt64(), 2000);

  // Three failures: back on the queue, attempt 1, same id and body.
  ASSERT_EQ(count("requeued", "posts"), 3u);
  ASSERT_EQ(count("requeued", "published"), 1u);
  const JsonValue& again = cases.at("requeued")->Find("published")->items()[0];
  EXPECT_EQ(again.Find("topic")->AsString(), "vitrine.notification");
  auto message = shopify::ParseJson(again.Find("data")->AsString().value_or(""));
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message.value->Find("event_id")->AsString(), "evt-1");
  EXPECT_EQ(message.value->Find("attempt")->AsInt64(), 1);
  EXPECT_EQ(message.value->Find("body")->AsString(), body);

  // 400 is not retried; the last attempt is not queued again; garbage is dropped.
  EXPECT_EQ(count("refused", "posts"), 1u);
  EXPECT_EQ(count("refused", "published"), 0u);
  EXPECT_EQ(count("given_up", "posts"), 3u);
  EXPECT_EQ(count("given_up", "published"), 0u);
  EXPECT_EQ(cases.at("given_up")->Find("log")->items().back().AsString(),
            "error: Vitrine: notification given up");
  EXPECT_EQ(count("unreadable", "posts"), 0u);
  EXPECT_EQ(count("unreadable", "published"), 0u);
}

}  // namespace
}  // namespace vitrine::magento
