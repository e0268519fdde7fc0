#include "platform_adapters/magento/importer.h"

#include <algorithm>
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

constexpr size_t kOrdersPerLookup = 100;

template <typename StoreOf, typename Watermark>
Status ImportRefunds(RestClient& client, const ImportOptions& options, ImportSink& sink,
                     const StoreOf& store_of, std::unordered_map<int64_t, OrderRef>& order_refs,
                     ImportReport& r, const Watermark& watermark) {
  auto send = [&](const JsonValue& row, const OrderRef& order) -> Status {
    auto memo = MapCreditMemo(row, order, store_of(row));
    if (!memo) {
      ++r.skipped;  // canceled: nothing was refunded
      return Status::Ok();
    }
    watermark(memo->updated_at_ms);
    ++r.refunds;
    return sink.OnRefund(*memo);
  };
  std::vector<JsonValue> unresolved;  // memos of orders this run did not read
  Status failed;
  Status s = client.SearchAll(
      "V1/creditmemos", Since(options), "entity_id", "entity_id",
      [&](const JsonValue& row) {
        if (!failed.ok()) return;
        auto order_id = CreditMemoOrderId(row);
        if (!order_id) {
          ++r.skipped;
          return;
        }
        auto it = order_refs.find(*order_id);
        if (it == order_refs.end()) {
          unresolved.push_back(row);
          return;
        }
        failed = send(row, it->second);
      },
      [&](const SearchProgress& p) { sink.OnProgress("refunds", p.seen, p.total); });
  if (!s.ok()) return s;
  if (!failed.ok()) return failed;
  if (unresolved.empty()) return Status::Ok();

  // Their orders, looked up by entity_id in batches (one search per kOrdersPerLookup orders).
  std::vector<int64_t> wanted;
  for (const JsonValue& row : unresolved) {
    const int64_t id = *CreditMemoOrderId(row);
    if (!order_refs.count(id) && std::find(wanted.begin(), wanted.end(), id) == wanted.end()) {
      wanted.push_back(id);
    }
  }
  std::sort(wanted.begin(), wanted.end());
  for (size_t at = 0; at < wanted.size(); at += kOrdersPerLookup) {
    std::string ids;
    for (size_t i = at; i < std::min(wanted.size(), at + kOrdersPerLookup); ++i) {
      if (!ids.empty()) ids += ',';
      ids += std::to_string(wanted[i]);
    }
    s = client.SearchAll("V1/orders", {{"entity_id", ids, "in"}}, "entity_id", "entity_id",
                         [&](const JsonValue& row) {
                           if (auto o = MapOrder(row, store_of(row))) {
                             order_refs[o->entity_id] = RefOf(*o);
                           }
                         });
    if (!s.ok()) return s;
  }
  for (const JsonValue& row : unresolved) {
    auto it = order_refs.find(*CreditMemoOrderId(row));
    if (it == order_refs.end()) {
      ++r.skipped;  // the order is gone (deleted): nobody to attribute the refund to
      continue;
    }
    if (Status sent = send(row, it->second); !sent.ok()) return sent;
  }
  return Status::Ok();
}

}  // namespace

StatusOr<StoreDirectory> LoadStores(RestClient& client) {
  auto configs = client.Get("V1/store/storeConfigs");
  if (!configs.ok()) return configs.status();
  return ParseStoreConfigs(*configs);
}

StatusOr<StoreContext> PickStore(const StoreDirectory& stores, RestClient& client) {
  const std::string& code = client.options().store_code;
  StoreContext store;
  if (const StoreContext* named = stores.FindCode(code)) {
    store = *named;
  } else if (code.empty() || code == "all") {
    for (const auto& [id, view] : stores.by_id) {
      if (id > 0) {
        store = view;
        break;
      }
    }
  } else if (!stores.by_id.empty()) {
    return Status(Status::Kind::kNotFound, "unknown_store",
                  "store code '" + code +
                      "' is not a store view of this shop (store views: " + stores.Codes() + ")");
  }
  if (store.base_url.empty()) store.base_url = client.options().base_url + "/";
  if (store.media_url.empty()) store.media_url = store.base_url + "media/";
  return store;
}

StatusOr<StoreContext> LoadStoreContext(RestClient& client) {
  auto stores = LoadStores(client);
  if (!stores.ok()) return stores.status();
  return PickStore(*stores, client);
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

  auto stores = LoadStores(client);
  if (!stores.ok()) return finish(stores.status());
  auto store = PickStore(*stores, client);
  if (!store.ok()) return finish(store.status());
  if (!options.base_url.empty()) store->base_url = options.base_url;
  if (!options.currency.empty()) store->currency = options.currency;
  // An order or credit memo is priced in its own store view's currency where it lacks one.
  auto store_of = [&](const JsonValue& row) -> const StoreContext& {
    auto id = shopify::ParseInt64(JsonText(row, "store_id"));
    const StoreContext* own = id ? stores->Find(*id) : nullptr;
    return own != nullptr && options.currency.empty() ? *own : *store;
  };

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
  // The orders credit memos refer to (refunds need the buyer and the order number).
  std::unordered_map<int64_t, OrderRef> order_refs;
  if (options.orders) {
    Status s =
        stream("orders", "V1/orders", "entity_id", r.orders,
               std::make_pair([&](const JsonValue& row) { return MapOrder(row, store_of(row)); },
                              [&](const Order& o) {
                                if (options.refunds) order_refs[o.entity_id] = RefOf(o);
                                return sink.OnOrder(o);
                              }));
    if (!s.ok()) return finish(s);
  }
  if (options.refunds) {
    if (Status s = ImportRefunds(client, options, sink, store_of, order_refs, r, watermark);
        !s.ok())
      return finish(s);
  }
  return finish(Status::Ok());
}

}  // namespace vitrine::magento
