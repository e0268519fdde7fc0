#include "platform_adapters/magento/importer.h"

#include <chrono>
#include <climits>
#include <unordered_map>
#include <utility>

#include "platform_adapters/shopify/records.h"

namespace vitrine::magento {
namespace {

using shopify::JsonValue;

std::vector<SearchFilter> Since(const ImportOptions& options) {
  if (!options.updated_since_ms) return {};
  return {{"updated_at", FormatMagentoTime(*options.updated_since_ms), "gteq"}};
}

}  // namespace

StatusOr<StoreContext> LoadStoreContext(RestClient& client) {
  auto configs = client.Get("V1/store/storeConfigs");
  if (!configs.ok()) return configs.status();
  const JsonValue* chosen = nullptr;
  for (const JsonValue& c : configs->items()) {
    if (chosen == nullptr) chosen = &c;
    if (JsonText(c, "code") == client.options().store_code) {
      chosen = &c;
      break;
    }
  }
  StoreContext store;
  if (chosen != nullptr) {
    // The secure URLs are the canonical ones on any shop that has TLS.
    store.base_url = JsonText(*chosen, "secure_base_link_url");
    if (store.base_url.empty()) store.base_url = JsonText(*chosen, "base_link_url");
    store.media_url = JsonText(*chosen, "secure_base_media_url");
    if (store.media_url.empty()) store.media_url = JsonText(*chosen, "base_media_url");
    if (auto c = JsonText(*chosen, "base_currency_code"); !c.empty()) store.currency = c;
  }
  if (store.base_url.empty()) store.base_url = client.options().base_url + "/";
  if (store.media_url.empty()) store.media_url = store.base_url + "media/";
  return store;
}

Status Import(RestClient& client, const ImportOptions& options, ImportSink& sink,
              ImportReport* report) {
  ImportReport local;
  ImportReport& r = report != nullptr ? *report : local;
  const auto started = std::chrono::steady_clock::now();
  auto finish = [&](Status s) {
    r.http = client.stats();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return s;
  };
  auto watermark = [&r](int64_t ms) { r.watermark_ms = std::max(r.watermark_ms, ms); };

  auto store = LoadStoreContext(client);
  if (!store.ok()) return finish(store.status());
  if (!options.base_url.empty()) store->base_url = options.base_url;
  if (!options.currency.empty()) store->currency = options.currency;

  if (options.products) {
    std::vector<Category> categories;
    Status s = client.SearchAll(
        "V1/categories/list", {}, "entity_id", "id",
        [&](const JsonValue& row) {
          if (auto c = MapCategory(row)) categories.push_back(std::move(*c));
        },
        [&](const SearchProgress& p) { sink.OnProgress("categories", p.seen, p.total); });
    if (!s.ok()) return finish(s);
    r.categories = static_cast<int64_t>(categories.size());
    store->category_paths = CategoryPaths(categories);

    std::vector<Product> products;
    s = client.SearchAll(
        "V1/products", Since(options), "entity_id", "id",
        [&](const JsonValue& row) {
          if (auto p = MapProduct(row, *store)) {
            watermark(p->updated_at_ms);
            products.push_back(std::move(*p));
          } else {
            ++r.skipped;
          }
        },
        [&](const SearchProgress& p) { sink.OnProgress("products", p.seen, p.total); });
    if (!s.ok()) return finish(s);
    r.products = static_cast<int64_t>(products.size());

    if (options.msi_stock) {
      // Salable quantity per sku across enabled (status 1) sources.
      std::unordered_map<std::string, int64_t> qty;
      s = client.SearchAll(
          "V1/inventory/source-items", {}, "sku", "sku,source_code",
          [&](const JsonValue& row) {
            if (JsonText(row, "status") != "1") return;
            auto micros = shopify::DecimalToMicros(JsonText(row, "quantity"));
            if (micros) qty[JsonText(row, "sku")] += *micros / 1000000;
          },
          [&](const SearchProgress& p) { sink.OnProgress("stock", p.seen, p.total); });
      if (!s.ok()) return finish(s);
      for (Product& p : products) {
        auto it = qty.find(p.sku);
        const int64_t units = it == qty.end() ? 0 : it->second;
        p.qty = units;
        p.item.set_stock(p.status == 2 ? 0
                                       : static_cast<int32_t>(std::min<int64_t>(units, INT32_MAX)));
      }
    }
    const std::vector<v1::CatalogItem> catalog = BuildCatalog(products);
    r.catalog_items = static_cast<int64_t>(catalog.size());
    if (!catalog.empty()) {
      if (Status c = sink.OnCatalog(catalog); !c.ok()) return finish(c);
    }
  }

  // Customers and orders stream to the sink row by row; the first sink error stops the search.
  auto stream = [&](const char* stage, const char* path, const char* key, int64_t& counter,
                    const auto& map_and_send) -> Status {
    Status failed;
    Status s = client.SearchAll(
        path, Since(options), "entity_id", key,
        [&](const JsonValue& row) {
          if (!failed.ok()) return;
          auto mapped = map_and_send.first(row);
          if (!mapped) {
            ++r.skipped;
            return;
          }
          watermark(mapped->updated_at_ms);
          ++counter;
          failed = map_and_send.second(*mapped);
        },
        [&](const SearchProgress& p) { sink.OnProgress(stage, p.seen, p.total); });
    return s.ok() ? failed : s;
  };
  if (options.customers) {
    Status s = stream("customers", "V1/customers/search", "id", r.customers,
                      std::make_pair([](const JsonValue& row) { return magento::MapCustomer(row); },
                                     [&](const Customer& c) { return sink.OnCustomer(c); }));
    if (!s.ok()) return finish(s);
  }
  if (options.orders) {
    Status s = stream("orders", "V1/orders", "entity_id", r.orders,
                      std::make_pair([&](const JsonValue& row) { return MapOrder(row, *store); },
                                     [&](const Order& o) { return sink.OnOrder(o); }));
    if (!s.ok()) return finish(s);
  }
  return finish(Status::Ok());
}

}  // namespace vitrine::magento
