// Full and incremental import of a Magento 2 shop through the admin REST API: store view (base,
// media URL, currency), the category tree (for "A/B/C" category paths), products with their
// configurable children, media and stock (stock_item, or MSI source items when asked), customers,
// orders and credit memos (refunds). Everything is mapped onto the server's types (records.h) and
// handed to a sink.
//
// Store views: the catalog is read through the client's store code (/rest/<code>/V1/products
// answers with that view's names, prices and URL keys) and priced in that view's base currency.
// Orders and credit memos are not store-scoped: every view's come in, each priced in its own
// order currency (or, where a row lacks it, its store_id's base currency from storeConfigs).
//
// Refunds: /V1/creditmemos names only the order's entity id; the order (buyer, increment id)
// comes from this run's orders, or, for a memo whose order this run did not read (incremental),
// from /V1/orders searched by entity_id in batches.
//
// Incremental: with `updated_since_ms`, products, customers, orders and credit memos are filtered
// by
// updated_at >= since (Magento stores UTC without a zone). The report's `watermark_ms` is the
// newest updated_at seen: pass it back next time (the boundary row is re-read, and the sink's
// newest-wins/dedup makes that harmless).
//
// Thread safety: Import runs on the calling thread and calls the sink from it.
#ifndef VITRINE_PLATFORM_ADAPTERS_MAGENTO_IMPORTER_H_
#define VITRINE_PLATFORM_ADAPTERS_MAGENTO_IMPORTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform_adapters/magento/records.h"
#include "platform_adapters/magento/rest_client.h"

namespace vitrine::magento {

class ImportSink {
 public:
  virtual ~ImportSink() = default;
  // The catalog, once all products (and stock) are known: configurable children are folded into
  // their parents, so it comes in one call per import.
  virtual Status OnCatalog(const std::vector<v1::CatalogItem>& items) = 0;
  virtual Status OnCustomer(const Customer& customer) = 0;
  virtual Status OnOrder(const Order& order) = 0;
  // One credit memo as an order_refunded event (records.h); the event id is the memo's.
  virtual Status OnRefund(const CreditMemo& refund) = 0;
  // Progress of a stage ("categories", "products", "stock", "customers", "orders", "refunds").
  virtual void OnProgress(std::string_view stage, int64_t done, int64_t total) {
    (void)stage;
    (void)done;
    (void)total;
  }
};

struct ImportOptions {
  std::optional<int64_t> updated_since_ms;  // incremental when set
  bool products = true;
  bool customers = true;
  bool orders = true;
  bool refunds = true;  // credit memos
  // Read quantities from /V1/inventory/source-items (MSI: sum of enabled sources per sku)
  // instead of the legacy stock_item.
  bool msi_stock = false;
  // Overrides of the store view read from /V1/store/storeConfigs (empty: use what it says).
  std::string base_url;
  std::string currency;
};

struct ImportReport {
  int64_t categories = 0;
  int64_t products = 0;       // rows read
  int64_t catalog_items = 0;  // items handed to the sink (children folded)
  int64_t customers = 0;
  int64_t orders = 0;
  int64_t refunds = 0;
  int64_t skipped = 0;  // rows that did not map (no id, canceled memo, memo of an unknown order)
  int64_t watermark_ms = 0;
  RestStats http;
  double seconds = 0;
};

[[nodiscard]] Status Import(RestClient& client, const ImportOptions& options, ImportSink& sink,
                            ImportReport* report);

// Reads /V1/store/storeConfigs: every store view by id.
[[nodiscard]] StatusOr<StoreDirectory> LoadStores(RestClient& client);
// The client's store view ("all" or "": the lowest store id above 0, the default view of a
// single-store shop). kNotFound naming the known codes when the code is not a store view.
[[nodiscard]] StatusOr<StoreContext> PickStore(const StoreDirectory& stores, RestClient& client);
[[nodiscard]] StatusOr<StoreContext> LoadStoreContext(RestClient& client);

}  // namespace vitrine::magento

#endif  // VITRINE_PLATFORM_ADAPTERS_MAGENTO_IMPORTER_H_
