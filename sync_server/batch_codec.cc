#include "sync_server/batch_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/wire_format_lite.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>

#include "vitrine/v1/vocabulary.h"

namespace vitrine::server {
namespace {

// Events about specific products: without a line they carry no information.
// product_list_viewed (a category page) and cart_viewed (possibly empty) may come without lines.
bool NeedsProducts(std::string_view type) {
  return type == "product_clicked" || type == "product_viewed" ||
         type == "product_added_to_wishlist" || type == "product_removed_from_wishlist" ||
         type == "product_added_to_cart" || type == "product_removed_from_cart";
}

bool IsOrderEvent(std::string_view type) {
  return type == "order_completed" || type == "order_refunded" || type == "order_cancelled";
}

bool IsCurrency(std::string_view c) {
  return c.size() == 3 &&
         std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

constexpr size_t kMaxIdBytes = 1024;

Status Invalid(int index, std::string message) {
  return Status(Status::Kind::kInvalid, "invalid_event", std::move(message), index);
}

Status ValidateLine(const v1::ProductLine& line, int index, int line_index) {
  const std::string where = "products[" + std::to_string(line_index) + "]";
  if (line.product_id().empty()) return Invalid(index, where + ".product_id is required");
  if (line.variant_id().empty() && line.sku().empty()) {
    return Invalid(index, where + ": variant_id or sku is required");
  }
  if (line.price_micros() < 0) return Invalid(index, where + ".price_micros must be >= 0");
  if (!IsCurrency(line.currency())) {
    return Invalid(index, where + ".currency must be 3 uppercase letters (ISO 4217)");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> Inflate(std::string_view compressed, size_t max_out) {
  z_stream zs{};
  // 15 window bits + 32: accept both gzip and zlib headers.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) {
    return Status(Status::Kind::kInternal, "internal", "inflateInit2 failed");
  }
  std::string out;
  std::array<char, 64 * 1024> chunk;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  size_t remaining_in = compressed.size();
  int rc = Z_OK;
  while (true) {
    if (zs.avail_in == 0 && remaining_in > 0) {
      const auto take =
          static_cast<uInt>(std::min<size_t>(remaining_in, std::numeric_limits<uInt>::max()));
      zs.avail_in = take;
      remaining_in -= take;
    }
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = chunk.size() - zs.avail_out;
    if (out.size() + produced > max_out) {
      inflateEnd(&zs);
      return Status(Status::Kind::kTooLarge, "body_too_large",
                    "inflated body exceeds " + std::to_string(max_out) + " bytes");
    }
    out.append(chunk.data(), produced);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      inflateEnd(&zs);
      return Status(Status::Kind::kInvalid, "malformed_gzip",
                    std::string("cannot inflate body: ") + (zs.msg ? zs.msg : "corrupt stream"));
    }
    if (zs.avail_in == 0 && remaining_in == 0 && produced == 0) {
      inflateEnd(&zs);
      return Status(Status::Kind::kInvalid, "malformed_gzip", "truncated compressed body");
    }
  }
  inflateEnd(&zs);
  return out;
}

Status ValidateEvent(const v1::Event& event, int index, bool allow_server_side) {
  if (event.event_id().size() != 16) {
    return Invalid(
        index, "event_id must be exactly 16 bytes, got " + std::to_string(event.event_id().size()));
  }
  const std::string& type = event.type();
  if (!v1::IsKnownEventType(type)) {
    return Invalid(index, "unknown event type '" + type.substr(0, 64) + "'");
  }
  if (!allow_server_side && v1::IsServerSideEventType(type)) {
    return Invalid(index, "event type '" + type + "' is server-side only");
  }
  if (event.occurred_at_ms() <= 0) return Invalid(index, "occurred_at_ms must be > 0");
  if (event.anonymous_id().empty()) return Invalid(index, "anonymous_id is required");
  if (event.anonymous_id().size() > kMaxIdBytes || event.user_id().size() > kMaxIdBytes ||
      event.session_id().size() > kMaxIdBytes) {
    return Invalid(index, "anonymous_id, user_id and session_id are limited to 1024 bytes");
  }
  for (int i = 0; i < event.products_size(); ++i) {
    Status s = ValidateLine(event.products(i), index, i);
    if (!s.ok()) return s;
  }
  if (NeedsProducts(type) && event.products_size() == 0) {
    return Invalid(index, type + " needs at least one product line");
  }
  if (IsOrderEvent(type)) {
    if (!event.has_order() || event.order().order_id().empty()) {
      return Invalid(index, type + " needs order.order_id");
    }
    if (event.order().value_micros() < 0) return Invalid(index, "order.value_micros must be >= 0");
    if (!IsCurrency(event.order().currency())) {
      return Invalid(index, "order.currency must be 3 uppercase letters (ISO 4217)");
    }
    if (event.products_size() == 0)
      return Invalid(index, type + " needs at least one product line");
  }
  if (type == "search_submitted" && event.query().empty()) {
    return Invalid(index, "search_submitted needs query");
  }
  if (type.starts_with("in_app_message_") && event.message_id().empty()) {
    return Invalid(index, type + " needs message_id");
  }
  if (type == "identify" && event.user_id().empty())
    return Invalid(index, "identify needs user_id");
  return Status::Ok();
}

StatusOr<v1::Batch> DecodeBatch(std::string_view body, BodyFormat format,
                                const IngestLimits& limits, bool allow_server_side) {
  v1::Batch batch;
  if (format == BodyFormat::kProtobuf) {
    if (body.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
        !batch.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return Status(Status::Kind::kInvalid, "malformed_protobuf",
                    "body is not a valid vitrine.v1.Batch protobuf");
    }
  } else {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(body.data(), body.size()), &batch, options);
    if (!status.ok()) {
      return Status(Status::Kind::kInvalid, "malformed_json",
                    "body is not a valid vitrine.v1.Batch JSON: " +
                        std::string(status.message().substr(0, 200)));
    }
  }
  if (static_cast<size_t>(batch.events_size()) > limits.max_events) {
    return Status(Status::Kind::kTooLarge, "too_many_events",
                  "batch has " + std::to_string(batch.events_size()) + " events; the limit is " +
                      std::to_string(limits.max_events));
  }
  if (batch.events_size() == 0) {
    return Status(Status::Kind::kInvalid, "empty_batch", "batch has no events");
  }
  for (int i = 0; i < batch.events_size(); ++i) {
    Status s = ValidateEvent(batch.events(i), i, allow_server_side);
    if (!s.ok()) return s;
  }
  return batch;
}

std::vector<std::string> SplitEventPayloads(std::string_view body) {
  using google::protobuf::internal::WireFormatLite;
  std::vector<std::string> out;
  if (body.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return out;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(body.data()),
                                            static_cast<int>(body.size()));
  constexpr int kEventsField = v1::Batch::kEventsFieldNumber;
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    if (WireFormatLite::GetTagFieldNumber(tag) == kEventsField &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      std::string bytes;
      if (!in.ReadVarint32(&length) || !in.ReadString(&bytes, static_cast<int>(length))) {
        return {};
      }
      out.push_back(std::move(bytes));
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return {};
    }
  }
  if (!in.ConsumedEntireMessage()) return {};
  return out;
}

Status ValidateInAppMessage(const v1::InAppMessage& message) {
  auto bad = [](std::string m) {
    return Status(Status::Kind::kInvalid, "invalid_message", std::move(m));
  };
  if (message.id().empty()) return bad("id is required");
  if (message.id().size() > 256) return bad("id is limited to 256 bytes");
  if (!message.has_trigger() || !v1::IsKnownEventType(message.trigger().event_type())) {
    return bad("trigger.event_type must be a known event type");
  }
  if (!message.trigger().absent_event_type().empty() &&
      !v1::IsKnownEventType(message.trigger().absent_event_type())) {
    return bad("trigger.absent_event_type must be a known event type");
  }
  if (!message.has_content() || message.content().title().empty()) {
    return bad("content.title is required");
  }
  if (message.delay_ms() < 0 || message.trigger().absence_ms() < 0) {
    return bad("delay_ms and absence_ms must be >= 0");
  }
  return Status::Ok();
}

namespace {
template <typename T>
StatusOr<T> FromJson(std::string_view json, const char* what) {
  T out;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &out, options);
  if (!status.ok()) {
    return Status(Status::Kind::kInvalid, "malformed_json",
                  std::string("not a valid ") + what +
                      " JSON: " + std::string(status.message().substr(0, 200)));
  }
  return out;
}
}  // namespace

StatusOr<v1::InAppMessage> DecodeInAppMessageJson(std::string_view json) {
  auto message = FromJson<v1::InAppMessage>(json, "vitrine.v1.InAppMessage");
  if (!message.ok()) return message;
  Status s = ValidateInAppMessage(*message);
  if (!s.ok()) return s;
  return message;
}

StatusOr<v1::CatalogItem> DecodeCatalogItemJson(std::string_view json) {
  auto item = FromJson<v1::CatalogItem>(json, "vitrine.v1.CatalogItem");
  if (!item.ok()) return item;
  if (item->product_id().empty()) {
    return Status(Status::Kind::kInvalid, "invalid_catalog_item", "product_id is required");
  }
  if (item->price_micros() < 0) {
    return Status(Status::Kind::kInvalid, "invalid_catalog_item", "price_micros must be >= 0");
  }
  return item;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace vitrine::server
