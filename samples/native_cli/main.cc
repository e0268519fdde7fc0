// vitrine-demo-cli: a native sample shopper. It uses only the SDK's public C++ API
// (vitrine/client.h): it opens a Client, syncs once so the snapshot arrives, browses the shop it
// learns from the first recommendations, looks at one product and its similar items, puts it in
// the cart, and shows how the locally served home list reacted, all without another request.
//
//   vitrine-demo-cli --server URL --write-key KEY --data-dir DIR [--user ID]
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "vitrine/client.h"

namespace {

struct Flags {
  std::string server;
  std::string write_key;
  std::string data_dir;
  std::string user;
};

void Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --server URL --write-key KEY --data-dir DIR [--user ID]\n"
               "  --server     the sync server, e.g. http://127.0.0.1:8787\n"
               "  --write-key  the storefront's public write key\n"
               "  --data-dir   where the SDK keeps its queue and snapshot (created if missing)\n"
               "  --user       sign in as this customer id first (e.g. cust-000042)\n",
               argv0);
}

bool ParseFlags(int argc, char** argv, Flags* flags) {
  const std::map<std::string_view, std::string*> known = {{"--server", &flags->server},
                                                          {"--write-key", &flags->write_key},
                                                          {"--data-dir", &flags->data_dir},
                                                          {"--user", &flags->user}};
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return false;
    auto it = known.find(arg);
    if (it == known.end() || i + 1 >= argc) {
      std::fprintf(stderr, "unknown or incomplete option: %s\n", argv[i]);
      return false;
    }
    *it->second = argv[++i];
  }
  if (flags->server.empty() || flags->write_key.empty() || flags->data_dir.empty()) {
    std::fprintf(stderr, "--server, --write-key and --data-dir are required\n");
    return false;
  }
  return true;
}

std::string Money(double amount, const std::string& currency) {
  char buf[64];
  if (currency == "EUR") {
    std::snprintf(buf, sizeof(buf), "%.2f \xe2\x82\xac", amount);  // "12.99 €"
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f %s", amount, currency.c_str());
  }
  return buf;
}

// Cuts at a UTF-8 character boundary so that real (Amazon) titles never print half a character.
std::string Fit(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  size_t cut = width - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

// Display width of UTF-8 text: one column per character (good enough for titles).
size_t Columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Pad(const std::string& s, size_t width) {
  size_t cols = Columns(s);
  return cols >= width ? s : s + std::string(width - cols, ' ');
}

vitrine::Product ToProduct(const vitrine::Recommendation& r, int position = 0) {
  vitrine::Product p;
  p.product_id = r.product_id;
  p.sku = r.product_id;  // the snapshot carries no SKU; the product id identifies the only variant
  p.price = r.price;
  p.currency = r.currency;
  p.name = r.title;
  p.brand = r.brand;
  p.category = r.category;
  p.position = position;
  p.url = r.url;
  p.image_url = r.image_url;
  return p;
}

// Marks: "*" the product being looked at, "new" entries that were not in `before`.
void PrintList(const char* heading, const std::vector<vitrine::Recommendation>& items,
               const std::vector<vitrine::Recommendation>* before = nullptr) {
  std::printf("\n  %s\n", heading);
  std::printf("  %s\n", std::string(Columns(heading), '-').c_str());
  if (items.empty()) {
    std::printf("    (nothing to show)\n");
    return;
  }
  std::map<std::string, size_t> old_rank;
  if (before != nullptr) {
    for (size_t i = 0; i < before->size(); ++i) old_rank[(*before)[i].product_id] = i;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& r = items[i];
    std::string change;
    if (before != nullptr) {
      auto it = old_rank.find(r.product_id);
      if (it == old_rank.end()) {
        change = "new";
      } else if (it->second > i) {
        change = "up " + std::to_string(it->second - i);
      } else if (it->second < i) {
        change = "down " + std::to_string(i - it->second);
      }
    }
    std::printf("  %2zu. %s %s %10s  %-7s %s\n", i + 1, Pad(r.product_id, 8).c_str(),
                Pad(Fit(r.title, 52), 52).c_str(), Money(r.price, r.currency).c_str(),
                change.c_str(), Fit(r.category, 34).c_str());
  }
}

// Problems on the way are reported in line with the story (stdout) and do not stop it: the SDK
// keeps working offline, and the summary says what reached the server.
bool Check(const vitrine::Status& s, const char* what) {
  if (s.ok()) return true;
  std::printf("  ! %s: %s\n", what, s.ToString().c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    Usage(argv[0]);
    return 2;
  }

  vitrine::Options options;
  options.data_dir = flags.data_dir;
  options.server_url = flags.server;
  options.write_key = flags.write_key;
  options.app_version = "vitrine-demo-cli/0.1";
  auto opened = vitrine::Client::Open(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "cannot open the SDK: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<vitrine::Client> client = std::move(opened).value();

  // In-app messages arrive on the SDK's scheduler thread; keep them for the summary so that
  // they do not interleave with the output.
  std::mutex messages_mu;
  std::vector<vitrine::InAppMessageView> messages;
  client->SetMessageListener([&](const vitrine::InAppMessageView& m) {
    std::lock_guard<std::mutex> lock(messages_mu);
    messages.push_back(m);
  });

  std::printf("Vitrine demo shopper\n");
  std::printf("  server %s, data in %s\n", flags.server.c_str(), flags.data_dir.c_str());
  if (!flags.user.empty()) {
    Check(client->Identify(flags.user, {{"source", "vitrine-demo-cli"}}), "identify");
    std::printf("  signed in as %s\n", flags.user.c_str());
  }
  Check(client->PageViewed("/"), "page_viewed");

  // One sync: sends what is queued and fetches this shopper's snapshot.
  Check(client->Flush(), "first sync");
  std::printf("  snapshot %s\n", client->Stats().snapshot_etag.empty()
                                     ? "(none)"
                                     : client->Stats().snapshot_etag.c_str());

  auto home = client->Recommend("home", {}, 8);
  if (!home.ok() || home->empty()) {
    std::fprintf(stderr,
                 "\nNo recommendations: the snapshot is empty or missing. Is the server running "
                 "with a catalog (vitrine-server serve --demo)?\n");
    return 1;
  }
  const std::vector<vitrine::Recommendation> first_home = *home;
  PrintList("Recommended for you (home)", first_home);

  // Browse: the home list was seen, a few products were opened.
  std::vector<std::string> shown_ids;
  std::vector<vitrine::Product> shown;
  for (size_t i = 0; i < first_home.size(); ++i) {
    shown_ids.push_back(first_home[i].product_id);
    shown.push_back(ToProduct(first_home[i], static_cast<int>(i + 1)));
  }
  Check(client->RecommendationViewed("home", shown_ids), "recommendation_viewed");
  Check(client->ProductListViewed("home", "Recommended for you", shown), "product_list_viewed");
  const size_t browsed = std::min<size_t>(3, first_home.size());
  std::printf("\n  Browsing:\n");
  for (size_t i = browsed; i-- > 1;) {
    Check(client->ProductViewed(ToProduct(first_home[i])), "product_viewed");
    std::printf("    viewed  %s  %s\n", first_home[i].product_id.c_str(),
                Fit(first_home[i].title, 60).c_str());
  }
  // The product the shopper settles on: the first recommendation.
  const vitrine::Recommendation chosen = first_home[0];
  Check(client->RecommendationClicked("home", ToProduct(chosen, 1)), "recommendation_clicked");
  Check(client->ProductViewed(ToProduct(chosen)), "product_viewed");
  std::printf("    viewed  %s  %s  (%s, %s)\n", chosen.product_id.c_str(),
              Fit(chosen.title, 60).c_str(), chosen.brand.c_str(),
              Money(chosen.price, chosen.currency).c_str());

  vitrine::RecommendContext on_product;
  on_product.product_id = chosen.product_id;
  auto similar = client->Recommend("product_page", on_product, 5);
  if (similar.ok()) {
    PrintList(("Similar to " + Fit(chosen.title, 48)).c_str(), *similar);
  } else {
    Check(similar.status(), "recommend similar");
  }

  Check(client->ProductAddedToCart(ToProduct(chosen)), "product_added_to_cart");
  std::printf("\n  Added to cart: %s  %s  %s\n", chosen.product_id.c_str(),
              Fit(chosen.title, 60).c_str(), Money(chosen.price, chosen.currency).c_str());

  auto after = client->Recommend("home", {}, 8);
  if (after.ok()) {
    PrintList("Recommended for you (home), after the cart add", *after, &first_home);
    bool still_there = false;
    std::set<std::string> before_ids(shown_ids.begin(), shown_ids.end());
    size_t changed = 0;
    for (const auto& r : *after) {
      still_there |= r.product_id == chosen.product_id;
      changed += before_ids.count(r.product_id) == 0;
    }
    std::printf("\n  %s %s is %s; %zu new item(s) in the list.\n", still_there ? "!" : "ok",
                chosen.product_id.c_str(),
                still_there ? "STILL recommended although it is in the cart"
                            : "no longer recommended (it is in the cart)",
                changed);
  } else {
    Check(after.status(), "recommend home");
  }

  Check(client->Flush(), "final sync");

  std::vector<vitrine::InAppMessageView> pending = client->PendingMessages();
  {
    std::lock_guard<std::mutex> lock(messages_mu);
    pending.insert(pending.end(), messages.begin(), messages.end());
  }
  const vitrine::ClientStats stats = client->Stats();
  std::printf("\n  Summary\n  -------\n");
  std::printf("    events tracked  %llu\n", static_cast<unsigned long long>(stats.tracked));
  std::printf("    events acked    %llu\n", static_cast<unsigned long long>(stats.acked));
  std::printf("    still queued    %llu\n", static_cast<unsigned long long>(stats.queued));
  std::printf("    snapshot etag   %s\n",
              stats.snapshot_etag.empty() ? "(none)" : stats.snapshot_etag.c_str());
  std::printf("    anonymous id    %s\n", stats.anonymous_id.c_str());
  if (!stats.user_id.empty()) std::printf("    user id         %s\n", stats.user_id.c_str());
  std::printf("    session         %s\n", stats.session_id.c_str());
  std::printf("    messages        %zu\n", pending.size());
  for (const auto& m : pending) {
    std::printf("      [%s] %s: %s\n", m.layout.c_str(), m.title.c_str(), m.body.c_str());
  }
  if (!stats.last_error.empty()) std::printf("    last error      %s\n", stats.last_error.c_str());
  // Success is what the server has: every event acknowledged and a snapshot received.
  const bool delivered = stats.queued == 0 && stats.acked > 0 && !stats.snapshot_etag.empty();
  std::printf("\n  %s\n", delivered ? "All events delivered." : "Some events are still queued.");
  return delivered ? 0 : 1;
}
