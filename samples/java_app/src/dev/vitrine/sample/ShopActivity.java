package dev.vitrine.sample;

import dev.vitrine.InAppMessage;
import dev.vitrine.Product;
import dev.vitrine.Recommendation;
import dev.vitrine.Vitrine;
import java.util.List;

/**
 * An Android-shaped sample shopper on the desktop JVM: the same flow as samples/native_cli.
 * onCreate opens the SDK (as an Application would), onResume/onPause are the lifecycle hooks, and
 * the "screens" print what an app would render. It syncs once so the snapshot arrives, browses
 * the home list, opens one product and its similar items, adds it to the cart, and shows how the
 * locally served home list reacted, without another request.
 *
 *   java -Djava.library.path=DIR -cp vitrine.jar:vitrine-java-app.jar \
 *       dev.vitrine.sample.ShopActivity --server URL --write-key KEY --data-dir DIR [--user ID]
 */
public final class ShopActivity {
  private Vitrine vitrine;

  void onCreate(String server, String writeKey, String dataDir) {
    vitrine = new Vitrine.Builder()
        .dataDir(dataDir)
        .serverUrl(server)
        .writeKey(writeKey)
        .appVersion("java-app-sample/1.0")
        .messageListener(this::showMessage) // SDK thread; an app would post to the main looper
        .build();
  }

  void onResume() { vitrine.onForeground(); }

  void onPause() {
    if (!vitrine.onBackground()) System.out.println("(offline: events stay queued)");
  }

  void onDestroy() { vitrine.close(); }

  void showMessage(InAppMessage message) {
    System.out.println("  [in-app message] " + message.title + " (" + message.messageId + ")");
  }

  static void printList(String heading, List<Recommendation> items) {
    System.out.println(heading);
    if (items.isEmpty()) System.out.println("  (nothing yet)");
    for (Recommendation r : items) {
      System.out.printf("  %-14s %-48.48s %8.2f %s%n", r.productId, r.title, r.price, r.currency);
    }
  }

  static Product toProduct(Recommendation r) {
    return new Product(r.productId, r.price, r.currency).sku(r.productId).name(r.title)
        .category(r.category).brand(r.brand);
  }

  void run(String user) {
    if (user != null) vitrine.identify(user);
    vitrine.pageViewed("app://home", null);
    vitrine.flush(); // first sync: sends the page view, fetches the snapshot
    List<Recommendation> home = vitrine.recommend("home", null, 5);
    printList("Home, recommended for you:", home);
    if (home.isEmpty()) return;

    Recommendation pick = home.get(0);
    vitrine.productViewed(toProduct(pick));
    printList("Viewing " + pick.title + "; similar items:",
        vitrine.recommend("product_page", pick.productId, 4));

    vitrine.productAddedToCart(toProduct(pick));
    printList("Added to cart. Complete your routine:", vitrine.recommend("cart", pick.productId, 4));
    printList("Home now (served locally, no request):", vitrine.recommend("home", null, 5));
    System.out.println(vitrine.stats());
  }

  public static void main(String[] args) {
    String server = null, writeKey = null, dataDir = null, user = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--server": server = args[i + 1]; break;
        case "--write-key": writeKey = args[i + 1]; break;
        case "--data-dir": dataDir = args[i + 1]; break;
        case "--user": user = args[i + 1]; break;
        default:
          System.err.println("unknown option " + args[i]);
          System.exit(2);
      }
    }
    if (server == null || writeKey == null || dataDir == null) {
      System.err.println("usage: ShopActivity --server URL --write-key KEY --data-dir DIR [--user ID]");
      System.exit(2);
    }
    ShopActivity activity = new ShopActivity();
    activity.onCreate(server, writeKey, dataDir);
    try {
      activity.onResume();
      activity.run(user);
      activity.onPause();
    } finally {
      activity.onDestroy();
    }
  }
}
