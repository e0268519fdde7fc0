package dev.vitrine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A completed order (vt_order): id, value, currency and at least one product line. */
public final class Order {
  final String orderId;
  final double value;
  final String currency;
  double tax;
  double shipping;
  String coupon;
  final List<Product> products = new ArrayList<>();

  public Order(String orderId, double value, String currency) {
    this.orderId = Objects.requireNonNull(orderId, "orderId must not be null");
    this.value = value;
    this.currency = currency;
  }

  public Order tax(double v) { tax = v; return this; }
  public Order shipping(double v) { shipping = v; return this; }
  public Order coupon(String v) { coupon = v; return this; }

  public Order addProduct(Product product) {
    products.add(Objects.requireNonNull(product, "product must not be null"));
    return this;
  }
}
