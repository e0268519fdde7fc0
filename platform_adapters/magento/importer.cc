#include "platform_adapters/magento/importer.h"

#include <chrono>
#include <climits>
#include <unordered_map>
#include <utility>

#include "platform_adapters/shopify/records.h"

namespace vitrine::magento {
namespace {

using shopify::JsonValue;

std::string Field(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr) return {};
  auto s = v->AsDecimalText();
  return s ? *s : std::string();
}

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
    if (Field(c, "code") == client.options().store_code) {
      chosen = &c;
      break;
    }
  }
  StoreContext store;
  if (chosen != nullptr) {
    // The secure URLs are the canonical ones on any shop that has TLS.
    store.base_url = Field(*chosen, "secure_base_link_url");
    if (store.base_url.empty()) store.base_url = Field(*chosen, "base_link_url");
    store.media_url = Field(*chosen, "secure_base_media_url");
    if (store.media_url.empty()) store.media_url = Field(*chosen, "base_media_url");
    if (auto c = Field(*chosen, "base_currency_code"); !c.empty()) store.currency = c;
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
            if (Field(row, "status") != "1") return;
            auto micros = shopify::DecimalToMicros(Field(row, "quantity"));
            if (micros) qty[Field(row, "sku")] += *micros / 1000000;
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

  if (options.customers) {
    Status failed;
    Status s = client.SearchAll(
        "V1/customers/search", Since(options), "entity_id", "id",
        [&](const JsonValue& row) {
          if (!failed.ok()) return;
          auto c = magento::MapCustomer(row);
          if (!c) {
            ++r.skipped;
            return;
          }
          watermark(c->updated_at_ms);
          ++r.customers;
          failed = sink.OnCustomer(*c);
        },
        [&](const SearchProgress& p) { sink.OnProgress("customers", p.seen, p.total); });
    if (!s.ok()) return finish(s);
    if (!failed.ok()) return finish(failed);
  }

  if (options.orders) {
    Status failed;
    Status s = client.SearchAll(
        "V1/orders", Since(options), "entity_id", "entity_id",
        [&](const JsonValue& row) {
          if (!failed.ok()) return;
          auto o = MapOrder(row, *store);
          if (!o) {
            ++r.skipped;
            return;
          }
          watermark(o->updated_at_ms);
          ++r.orders;
          failed = sink.OnOrder(*o);
        },
        [&](const SearchProgress& p) { sink.OnProgress("orders", p.seen, p.total); });
    if (!s.ok()) return finish(s);
    if (!failed.ok()) return finish(failed);
  }
  return finish(Status::Ok());
}

}  // namespace vitrine::magento
