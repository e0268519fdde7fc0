package dev.vitrine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A generic event for {@link Vitrine#track(Event)}: the type is a vocabulary name
 * ("checkout_started", "list_viewed", ...). Prefer the typed helpers on {@link Vitrine} for the
 * common ones. Fluent and mutable; copied by the SDK before track returns.
 */
public final class Event {
  final String type;
  final List<Product> products = new ArrayList<>();
  Order order;
  String query;
  String listId;
  String listName;
  String pageUrl;
  String referrer;
  String messageId;
  String placement;
  String promotionId;
  int checkoutStep;
  final List<String> traits = new ArrayList<>();
  final List<String> properties = new ArrayList<>();

  public Event(String type) {
    this.type = Objects.requireNonNull(type, "event type must not be null");
  }

  public Event addProduct(Product product) {
    products.add(Objects.requireNonNull(product, "product must not be null"));
    return this;
  }

  public Event order(Order v) { order = v; return this; }
  public Event query(String v) { query = v; return this; }
  public Event listId(String v) { listId = v; return this; }
  public Event listName(String v) { listName = v; return this; }
  public Event pageUrl(String v) { pageUrl = v; return this; }
  public Event referrer(String v) { referrer = v; return this; }
  public Event messageId(String v) { messageId = v; return this; }
  public Event placement(String v) { placement = v; return this; }
  public Event promotionId(String v) { promotionId = v; return this; }
  public Event checkoutStep(int v) { checkoutStep = v; return this; }

  public Event trait(String key, String value) {
    traits.add(Objects.requireNonNull(key, "trait key must not be null"));
    traits.add(value);
    return this;
  }

  public Event property(String key, String value) {
    properties.add(Objects.requireNonNull(key, "property key must not be null"));
    properties.add(value);
    return this;
  }
}
