package dev.vitrine;

import java.util.Objects;

/**
 * A product line in an event (vt_product). Fluent and mutable: build one per call; the SDK copies
 * it before the call returns. Not thread-safe while being built.
 *
 * <pre>{@code
 * vitrine.productViewed(new Product("sku-1", 19.99, "EUR").name("Serum").category("Skin Care"));
 * }</pre>
 */
public final class Product {
  String productId;
  String variantId;
  String sku;
  double price;
  String currency;
  String name;
  String brand;
  String category;
  int quantity = 1;
  int position;
  String listId;
  String url;
  String imageUrl;

  /** Product id, price and ISO 4217 currency; product events also need a sku or variantId. */
  public Product(String productId, double price, String currency) {
    this.productId = Objects.requireNonNull(productId, "productId must not be null");
    this.price = price;
    this.currency = currency;
  }

  public Product variantId(String v) { variantId = v; return this; }
  public Product sku(String v) { sku = v; return this; }
  public Product name(String v) { name = v; return this; }
  public Product brand(String v) { brand = v; return this; }
  /** Slash-separated path, "Skin Care/Face/Serums". */
  public Product category(String v) { category = v; return this; }
  public Product quantity(int v) { quantity = v; return this; }
  public Product position(int v) { position = v; return this; }
  public Product listId(String v) { listId = v; return this; }
  public Product url(String v) { url = v; return this; }
  public Product imageUrl(String v) { imageUrl = v; return this; }

  // Flattened for the JNI call; the order matches kProductStrings in vitrine_jni.cc.
  static final int STRINGS = 10;

  void flattenStrings(String[] out, int at) {
    out[at] = productId;
    out[at + 1] = variantId;
    out[at + 2] = sku;
    out[at + 3] = currency;
    out[at + 4] = name;
    out[at + 5] = brand;
    out[at + 6] = category;
    out[at + 7] = listId;
    out[at + 8] = url;
    out[at + 9] = imageUrl;
  }
}
