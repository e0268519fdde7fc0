package dev.vitrine;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Vitrine SDK for Android (and the desktop JVM): event capture, identity, consent, local
 * recommendations and in-app messages, over the native SDK through its C ABI (vitrine.h).
 *
 * <pre>{@code
 * Vitrine vitrine = new Vitrine.Builder()
 *     .dataDir(context.getFilesDir() + "/vitrine")
 *     .serverUrl("https://sync.example.com")
 *     .writeKey("wk_live_...")
 *     .httpExecutor(new OkHttpExecutor(okHttpClient))   // the app's own HTTP stack
 *     .build();
 * vitrine.productViewed(new Product("sku-1", 19.99, "EUR").name("Serum"));
 * List<Recommendation> recs = vitrine.recommend("product_page", "sku-1", 8);
 * }</pre>
 *
 * <p>Threads: every method may be called from any thread at once (UI and background threads alike).
 * Capture calls and {@link #recommend} do no network I/O and cost microseconds, so they are fine on
 * the main thread; {@link #flush()} blocks until the send attempt is over, so call it (and
 * {@link #onBackground()}) off the main thread. {@link #close()} waits for calls in progress and
 * must not be called from an {@link HttpExecutor} or {@link MessageListener}.
 *
 * <p>Errors: a null where a value is required throws {@link NullPointerException} (and a bad
 * builder value {@link IllegalArgumentException}) before the native call; anything the SDK refuses
 * (unknown event type, missing currency, consent denied, ...) throws {@link VitrineException} with
 * the vt_status code and message; calls after close throw {@link IllegalStateException}.
 *
 * <p>Ownership: one instance per data directory and process; close it when done (it persists the
 * queue and stops the background thread). An unclosed instance keeps its native memory.
 */
public final class Vitrine implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("dev.vitrine");

  static {
    // Tests and desktop hosts may name the file; Android loads libvitrine_jni.so from the APK.
    String path = System.getProperty("vitrine.jni.path");
    if (path != null && !path.isEmpty()) {
      System.load(path);
    } else {
      System.loadLibrary("vitrine_jni");
    }
  }

  /** Options for {@link Vitrine}; unset numbers keep the native SDK's defaults (vt_options_init). */
  public static final class Builder {
    private String dataDir;
    private String serverUrl;
    private String writeKey;
    private String caFile;
    private String appVersion;
    private HttpExecutor httpExecutor = new UrlConnectionHttpExecutor();
    private MessageListener messageListener;
    // -1 = the SDK default; [13] is the seed, used only when [14] is 1. The order matches
    // OptionNumber in vitrine_jni.cc.
    private final long[] numbers = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0};

    /** Required: where the queue and snapshot live (app-private storage). Created if missing. */
    public Builder dataDir(String v) { dataDir = requireText(v, "dataDir"); return this; }
    /** Required: the sync server, e.g. "https://sync.example.com". */
    public Builder serverUrl(String v) { serverUrl = requireText(v, "serverUrl"); return this; }
    /** Required: the storefront's public write key. */
    public Builder writeKey(String v) { writeKey = requireText(v, "writeKey"); return this; }
    /** Extra trusted CA (PEM); only used by the native default executor (httpExecutor(null)). */
    public Builder caFile(String v) { caFile = v; return this; }
    public Builder appVersion(String v) { appVersion = v; return this; }

    /**
     * The host's HTTP stack; default {@link UrlConnectionHttpExecutor}. On Android pass an
     * OkHttp-based one. {@code null} selects the native SDK's built-in client (desktop builds
     * only: the mobile build has none).
     */
    public Builder httpExecutor(HttpExecutor v) { httpExecutor = v; return this; }
    public Builder messageListener(MessageListener v) { messageListener = v; return this; }

    public Builder sessionTimeoutMs(long v) { return number(0, v, "sessionTimeoutMs"); }
    public Builder maxBatchEvents(long v) { return number(1, v, "maxBatchEvents"); }
    public Builder maxBatchBytes(long v) { return number(2, v, "maxBatchBytes"); }
    public Builder flushIntervalMs(long v) { return number(3, v, "flushIntervalMs"); }
    public Builder persistIntervalMs(long v) { return number(4, v, "persistIntervalMs"); }
    public Builder journalBytes(long v) { return number(5, v, "journalBytes"); }
    public Builder maxQueueBytes(long v) { return number(6, v, "maxQueueBytes"); }
    public Builder maxEventAgeMs(long v) { return number(7, v, "maxEventAgeMs"); }
    public Builder backoffInitialMs(long v) { return number(8, v, "backoffInitialMs"); }
    public Builder backoffMaxMs(long v) { return number(9, v, "backoffMaxMs"); }
    public Builder requestTimeoutMs(long v) { return number(10, v, "requestTimeoutMs"); }
    /** Gzip request bodies (default on). */
    public Builder compress(boolean v) { numbers[11] = v ? 1 : 0; return this; }
    public Builder defaultSnapshotTtlMs(long v) { return number(12, v, "defaultSnapshotTtlMs"); }
    /** Fixed seed for ids and jitter (tests); 0 seeds from the OS. */
    public Builder randomSeed(long v) { numbers[13] = v; numbers[14] = 1; return this; }

    /**
     * Opens the local state and starts the background thread.
     *
     * @throws IllegalArgumentException when dataDir, serverUrl or writeKey is missing
     * @throws VitrineException when the native SDK cannot open (bad URL, unusable data dir)
     */
    public Vitrine build() {
      if (dataDir == null) throw new IllegalArgumentException("dataDir is required");
      if (serverUrl == null) throw new IllegalArgumentException("serverUrl is required");
      if (writeKey == null) throw new IllegalArgumentException("writeKey is required");
      return new Vitrine(this);
    }

    private Builder number(int index, long v, String name) {
      if (v <= 0) throw new IllegalArgumentException(name + " must be positive, got " + v);
      numbers[index] = v;
      return this;
    }

    private static String requireText(String v, String name) {
      Objects.requireNonNull(v, name + " must not be null");
      if (v.isEmpty()) throw new IllegalArgumentException(name + " must not be empty");
      return v;
    }
  }

  /** Holds the listener the native side calls into; swapped without touching native state. */
  static final class ListenerSlot {
    volatile MessageListener listener;
  }

  private final ListenerSlot listenerSlot = new ListenerSlot();
  // Calls hold the read lock so close() (write lock) never frees the native client under them:
  // a use after close is an IllegalStateException, never a crash of the VM.
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private long handle;

  private Vitrine(Builder b) {
    listenerSlot.listener = b.messageListener;
    String[] strings = {b.dataDir, b.serverUrl, b.writeKey, b.caFile, b.appVersion};
    handle = nativeOpen(strings, b.numbers.clone(), b.httpExecutor, listenerSlot);
  }

  // ---- Capture (no network, microseconds) ----

  public void productViewed(Product product) { productEvent(0, product); }
  public void productAddedToCart(Product product) { productEvent(1, product); }
  public void productRemovedFromCart(Product product) { productEvent(2, product); }

  public void orderCompleted(Order order) {
    Objects.requireNonNull(order, "order must not be null");
    Packed p = Packed.products(order.products);
    String[] strings = {order.orderId, order.currency, order.coupon};
    double[] numbers = {order.value, order.tax, order.shipping};
    try (Call c = call()) {
      nativeOrderCompleted(c.handle, strings, numbers, p.strings, p.prices, p.ints);
    }
  }

  public void searchSubmitted(String query) {
    Objects.requireNonNull(query, "query must not be null");
    try (Call c = call()) {
      nativeSearchSubmitted(c.handle, query);
    }
  }

  /** @param referrer may be null */
  public void pageViewed(String url, String referrer) {
    Objects.requireNonNull(url, "url must not be null");
    try (Call c = call()) {
      nativePageViewed(c.handle, url, referrer);
    }
  }

  /** Any vocabulary event; the typed helpers above cover the common ones. */
  public void track(Event event) {
    Objects.requireNonNull(event, "event must not be null");
    Packed p = Packed.products(event.products);
    String[] strings = {
      event.type, event.query, event.listId, event.listName, event.pageUrl, event.referrer,
      event.messageId, event.placement, event.promotionId
    };
    String[] orderStrings = null;
    double[] orderNumbers = null;
    Packed op = null;
    if (event.order != null) {
      orderStrings = new String[] {event.order.orderId, event.order.currency, event.order.coupon};
      orderNumbers = new double[] {event.order.value, event.order.tax, event.order.shipping};
      op = Packed.products(event.order.products);
    }
    try (Call c = call()) {
      nativeTrack(c.handle, strings, event.checkoutStep, p.strings, p.prices, p.ints,
          orderStrings, orderNumbers, op == null ? null : op.strings, op == null ? null : op.prices,
          op == null ? null : op.ints, event.traits.toArray(new String[0]),
          event.properties.toArray(new String[0]));
    }
  }

  // ---- Identity, consent, deletion ----

  /** Signs the user in; traits (may be null) are stored on the server profile. */
  public void identify(String userId, Map<String, String> traits) {
    Objects.requireNonNull(userId, "userId must not be null");
    String[] flat = new String[traits == null ? 0 : traits.size() * 2];
    if (traits != null) {
      int i = 0;
      for (Map.Entry<String, String> e : traits.entrySet()) {
        flat[i++] = Objects.requireNonNull(e.getKey(), "trait key must not be null");
        flat[i++] = e.getValue();
      }
    }
    try (Call c = call()) {
      nativeIdentify(c.handle, userId, flat);
    }
  }

  public void identify(String userId) { identify(userId, null); }

  /** Signs out: a new anonymous id and session. */
  public void reset() {
    try (Call c = call()) {
      nativeReset(c.handle);
    }
  }

  /** {@code false} stops capture and purges the local queue; capture calls then throw
   * {@link VitrineException} with {@link VitrineException#CONSENT_DENIED}. */
  public void setConsent(boolean granted) {
    try (Call c = call()) {
      nativeSetConsent(c.handle, granted);
    }
  }

  /** Asks the server to erase this user's data (GDPR); sent with the next batch. */
  public void requestDeletion() {
    try (Call c = call()) {
      nativeRequestDeletion(c.handle);
    }
  }

  // ---- Sync and lifecycle ----

  /** Persists, sends what is queued and refreshes the snapshot if due. Blocks: not on the main
   * thread. @throws VitrineException when the send failed (events stay queued) */
  public void flush() {
    try (Call c = call()) {
      nativeFlush(c.handle);
    }
  }

  /** Call when the app goes to the background: flushes. Never throws on a failed send (the app
   * may be offline; events stay queued). @return whether the flush succeeded */
  public boolean onBackground() {
    try {
      flush();
      return true;
    } catch (VitrineException e) {
      LOG.log(Level.FINE, "background flush failed", e);
      return false;
    }
  }

  /** Call when the app comes to the foreground: the snapshot is revalidated on the next
   * background turn (no blocking here). */
  public void onForeground() {
    try (Call c = call()) {
      nativeOnForeground(c.handle);
    }
  }

  // ---- Local recommendations and messages ----

  /**
   * Recommendations from the local snapshot; empty before the first snapshot arrives.
   *
   * @param placement "home", "product_page", "cart", ...
   * @param productId the product on screen, or null
   */
  public List<Recommendation> recommend(String placement, String productId, int n) {
    Objects.requireNonNull(placement, "placement must not be null");
    if (n < 0) throw new IllegalArgumentException("n must not be negative, got " + n);
    try (Call c = call()) {
      return unpackRecommendations(nativeRecommend(c.handle, placement, productId, null, n));
    }
  }

  public List<InAppMessage> pendingMessages() {
    Object[] packed;
    try (Call c = call()) {
      packed = nativePendingMessages(c.handle);
    }
    List<InAppMessage> out = new ArrayList<>(packed.length);
    for (Object m : packed) out.add(unpackMessage((Object[]) m));
    return Collections.unmodifiableList(out);
  }

  /** Replaces the listener; null removes it. */
  public void setMessageListener(MessageListener listener) {
    listenerSlot.listener = listener;
  }

  public void messageViewed(String messageId) { messageEvent(0, messageId); }
  public void messageClicked(String messageId) { messageEvent(1, messageId); }
  public void messageDismissed(String messageId) { messageEvent(2, messageId); }

  public Stats stats() {
    long[] numbers = new long[9];
    try (Call c = call()) {
      return new Stats(numbers, nativeStats(c.handle, numbers));
    }
  }

  /** Persists what is in memory, stops the background thread and frees the native client. Waits
   * for calls in progress; idempotent. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (handle != 0) {
        nativeClose(handle);
        handle = 0;
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  // ---- Internals ----

  private void productEvent(int kind, Product product) {
    Objects.requireNonNull(product, "product must not be null");
    String[] strings = new String[Product.STRINGS];
    product.flattenStrings(strings, 0);
    try (Call c = call()) {
      nativeProductEvent(c.handle, kind, strings, product.price, product.quantity,
          product.position);
    }
  }

  private void messageEvent(int kind, String messageId) {
    Objects.requireNonNull(messageId, "messageId must not be null");
    try (Call c = call()) {
      nativeMessageEvent(c.handle, kind, messageId);
    }
  }

  /** A read-locked use of the handle. */
  private final class Call implements AutoCloseable {
    final long handle;

    Call() {
      lock.readLock().lock();
      if (Vitrine.this.handle == 0) {
        lock.readLock().unlock();
        throw new IllegalStateException("Vitrine is closed");
      }
      handle = Vitrine.this.handle;
    }

    @Override
    public void close() {
      lock.readLock().unlock();
    }
  }

  private Call call() {
    return new Call();
  }

  /** Products flattened to parallel arrays for one JNI call. */
  private static final class Packed {
    String[] strings;
    double[] prices;
    int[] ints; // quantity, position per product

    static Packed products(List<Product> products) {
      Packed p = new Packed();
      int n = products.size();
      p.strings = new String[n * Product.STRINGS];
      p.prices = new double[n];
      p.ints = new int[n * 2];
      for (int i = 0; i < n; ++i) {
        Product product = products.get(i);
        product.flattenStrings(p.strings, i * Product.STRINGS);
        p.prices[i] = product.price;
        p.ints[2 * i] = product.quantity;
        p.ints[2 * i + 1] = product.position;
      }
      return p;
    }
  }

  // Packed recommendations: {String[] 7 per item, double[] price and score per item}.
  static List<Recommendation> unpackRecommendations(Object[] packed) {
    String[] s = (String[]) packed[0];
    double[] d = (double[]) packed[1];
    int n = d.length / 2;
    List<Recommendation> out = new ArrayList<>(n);
    for (int i = 0; i < n; ++i) {
      out.add(new Recommendation(s, i * Recommendation.STRINGS, d[2 * i], d[2 * i + 1]));
    }
    return Collections.unmodifiableList(out);
  }

  // Packed message: {String[7], int[]{priority}, Object[] packed recommendations}.
  static InAppMessage unpackMessage(Object[] packed) {
    return new InAppMessage(
        (String[]) packed[0], ((int[]) packed[1])[0], unpackRecommendations((Object[]) packed[2]));
  }

  // Called from native code on the SDK's background thread.
  @SuppressWarnings("unused")
  private static void deliverMessage(ListenerSlot slot, Object[] packed) {
    MessageListener listener = slot.listener;
    if (listener == null) return;
    try {
      listener.onMessage(unpackMessage(packed));
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "MessageListener threw; message dropped", e);
    }
  }

  // Called from native code on the SDK's background thread. Returns
  // {int[]{status}, String[] header name/value pairs, byte[] body, String transport error}.
  @SuppressWarnings("unused")
  private static Object[] executeHttp(
      HttpExecutor executor, String method, String url, String[] headers, byte[] body,
      long timeoutMs) {
    HttpResponse response;
    try {
      List<Map.Entry<String, String>> list = new ArrayList<>(headers.length / 2);
      for (int i = 0; i + 1 < headers.length; i += 2) {
        list.add(new AbstractMap.SimpleImmutableEntry<>(headers[i], headers[i + 1]));
      }
      response = executor.execute(new HttpRequest(method, url, list, body, timeoutMs));
      if (response == null) response = HttpResponse.transportError("HttpExecutor returned null");
    } catch (Exception | Error e) {
      response = HttpResponse.transportError(e.toString());
    }
    String[] flat = new String[response.headers().size() * 2];
    int i = 0;
    for (Map.Entry<String, String> h : response.headers()) {
      flat[i++] = h.getKey();
      flat[i++] = h.getValue();
    }
    return new Object[] {
      new int[] {response.status()}, flat, response.body(), response.transportError()
    };
  }

  private static native long nativeOpen(
      String[] strings, long[] numbers, HttpExecutor executor, ListenerSlot listener);
  private static native void nativeClose(long handle);
  private static native void nativeProductEvent(
      long handle, int kind, String[] strings, double price, int quantity, int position);
  private static native void nativeOrderCompleted(
      long handle, String[] strings, double[] numbers, String[] productStrings,
      double[] productPrices, int[] productInts);
  private static native void nativeSearchSubmitted(long handle, String query);
  private static native void nativePageViewed(long handle, String url, String referrer);
  private static native void nativeTrack(
      long handle, String[] strings, int checkoutStep, String[] productStrings,
      double[] productPrices, int[] productInts, String[] orderStrings, double[] orderNumbers,
      String[] orderProductStrings, double[] orderProductPrices, int[] orderProductInts,
      String[] traits, String[] properties);
  private static native void nativeIdentify(long handle, String userId, String[] traits);
  private static native void nativeReset(long handle);
  private static native void nativeSetConsent(long handle, boolean granted);
  private static native void nativeRequestDeletion(long handle);
  private static native void nativeFlush(long handle);
  private static native void nativeOnForeground(long handle);
  private static native Object[] nativeRecommend(
      long handle, String placement, String productId, String category, int n);
  private static native Object[] nativePendingMessages(long handle);
  private static native void nativeMessageEvent(long handle, int kind, String messageId);
  private static native String[] nativeStats(long handle, long[] numbersOut);
}
