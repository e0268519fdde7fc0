package dev.vitrine;

import java.util.List;

/** An in-app message that is due (vt_message). Immutable; report what the user did with
 * {@link Vitrine#messageViewed}, {@link Vitrine#messageClicked}, {@link Vitrine#messageDismissed}. */
public final class InAppMessage {
  public final String messageId;
  public final String layout;
  public final String title;
  public final String body;
  public final String imageUrl;
  public final String ctaLabel;
  public final String ctaUrl;
  public final List<Recommendation> products;
  public final int priority;

  InAppMessage(String[] s, int priority, List<Recommendation> products) {
    this.messageId = s[0];
    this.layout = s[1];
    this.title = s[2];
    this.body = s[3];
    this.imageUrl = s[4];
    this.ctaLabel = s[5];
    this.ctaUrl = s[6];
    this.priority = priority;
    this.products = products;
  }

  @Override
  public String toString() {
    return messageId + " \"" + title + "\" (" + products.size() + " products)";
  }
}
