package dev.vitrine;

/** One recommended product, served from the local snapshot (vt_recommendation). Immutable. */
public final class Recommendation {
  public final String productId;
  public final String title;
  public final double price;
  public final String currency;
  public final String imageUrl;
  public final String url;
  public final String category;
  public final String brand;
  public final double score;

  Recommendation(String[] s, int at, double price, double score) {
    this.productId = s[at];
    this.title = s[at + 1];
    this.currency = s[at + 2];
    this.imageUrl = s[at + 3];
    this.url = s[at + 4];
    this.category = s[at + 5];
    this.brand = s[at + 6];
    this.price = price;
    this.score = score;
  }

  // Strings per item in the packed arrays the JNI layer returns (see PackRecommendations).
  static final int STRINGS = 7;

  @Override
  public String toString() {
    return productId + " \"" + title + "\" " + price + " " + currency + " (score " + score + ")";
  }
}
