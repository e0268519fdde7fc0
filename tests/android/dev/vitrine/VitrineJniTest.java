package dev.vitrine;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Android SDK's Java API through the JNI layer and the C ABI, against a real vitrine-server
 * on loopback, with HTTP done by the Java host executor (HttpURLConnection).
 *
 * <p>Usage: VitrineJniTest SERVER_BINARY TEMP_ROOT. Exits 0 when every check passed; every
 * failed check is printed. Run by ctest (android_jni_java) with -Djava.library.path pointing at
 * libvitrine_jni.so.
 */
public final class VitrineJniTest {
  private static final String WRITE_KEY = "wk_android";
  private static final String ADMIN_KEY = "ak_android";

  private static int failures = 0;
  private static int checks = 0;

  private static void check(boolean ok, String what) {
    ++checks;
    if (!ok) {
      ++failures;
      System.err.println("FAILED: " + what);
      System.err.println("  at " + new Throwable().getStackTrace()[1]);
    }
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs body and checks that it throws exactly `type`; returns the exception. */
  private static <T extends Throwable> T expect(Class<T> type, String what, Body body) {
    try {
      body.run();
      check(false, what + ": no exception, wanted " + type.getSimpleName());
    } catch (Throwable t) {
      check(type.isInstance(t), what + ": got " + t + ", wanted " + type.getSimpleName());
      if (type.isInstance(t)) return type.cast(t);
    }
    return null;
  }

  // ---- The server ----

  private static final class Server implements AutoCloseable {
    final Process process;
    final String url;
    final Path log;

    Server(String binary, Path dir) throws Exception {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      url = "http://127.0.0.1:" + port;
      Path ready = dir.resolve("ready");
      log = dir.resolve("server.log");
      process = new ProcessBuilder(binary, "serve", "--listen", url, "--db",
              dir.resolve("server.db").toString(), "--write-key", WRITE_KEY, "--admin-key",
              ADMIN_KEY, "--ready-file", ready.toString(), "--access-log", "false", "--demo",
              "--demo-customers", "40")
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      // The server writes the ready file once it listens; poll the file, not the clock.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(ready)) {
        if (!process.isAlive()) throw new IOException("server exited: " + Files.readString(log));
        if (System.nanoTime() > deadline) throw new IOException("server not ready in 60 s");
        Thread.sleep(20);
      }
    }

    /** {status, body}. */
    Object[] admin(String method, String path, String json) throws IOException {
      HttpURLConnection c = (HttpURLConnection) new URL(url + path).openConnection();
      c.setRequestMethod(method);
      c.setRequestProperty("Authorization", "Bearer " + ADMIN_KEY);
      if (json != null) {
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        try (OutputStream out = c.getOutputStream()) {
          out.write(json.getBytes(StandardCharsets.UTF_8));
        }
      }
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      c.disconnect();
      return new Object[] {status, body};
    }

    long stat(String field) throws IOException {
      Object[] r = admin("GET", "/v1/admin/stats", null);
      check((Integer) r[0] == 200, "admin stats status " + r[0]);
      return jsonLong((String) r[1], field);
    }

    /** event_count of a user's profile, or -1 when the server has no such profile (404). */
    long profileEvents(String userId) throws IOException {
      Object[] r = admin("GET",
          "/v1/admin/profiles?user_id=" + URLEncoder.encode(userId, StandardCharsets.UTF_8), null);
      if ((Integer) r[0] == 404) return -1;
      check((Integer) r[0] == 200, "profile lookup status " + r[0] + " " + r[1]);
      return jsonLong((String) r[1], "event_count");
    }

    @Override
    public void close() {
      process.destroy();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static long jsonLong(String json, String field) {
    Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*\"?(-?\\d+)").matcher(json);
    return m.find() ? Long.parseLong(m.group(1)) : Long.MIN_VALUE;
  }

  // ---- A host executor that records what went through it ----

  static final class RecordingExecutor implements HttpExecutor {
    final HttpExecutor inner = new UrlConnectionHttpExecutor();
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    volatile boolean fail;

    @Override
    public HttpResponse execute(HttpRequest request) throws Exception {
      requests.add(request.method() + " " + request.url().replaceAll("\\?.*", ""));
      if (fail) throw new IOException("airplane mode");
      return inner.execute(request);
    }

    boolean saw(String prefix, String pathSuffix) {
      synchronized (requests) {
        return requests.stream().anyMatch(r -> r.startsWith(prefix) && r.endsWith(pathSuffix));
      }
    }
  }

  static Vitrine.Builder builder(Server server, Path dataDir, HttpExecutor executor) {
    return new Vitrine.Builder()
        .dataDir(dataDir.toString())
        .serverUrl(server.url)
        .writeKey(WRITE_KEY)
        .httpExecutor(executor)
        .randomSeed(7);
  }

  static Product serum() {
    return new Product("p-java-1", 24.5, "EUR").sku("p-java-1-30ml").name("Glow Serum").category("Skin Care/Serums");
  }

  /** Flushes until the queue is empty (a batch is capped at maxBatchEvents). */
  static void drain(Vitrine v) {
    for (int i = 0; i < 50 && v.stats().queued > 0; ++i) v.flush();
    v.flush();
  }

  // ---- Tests ----

  static void nullArgumentsFailInJava(Server server, Path dir) {
    expect(NullPointerException.class, "builder dataDir(null)", () -> new Vitrine.Builder().dataDir(null));
    expect(IllegalArgumentException.class, "builder writeKey(\"\")",
        () -> new Vitrine.Builder().writeKey(""));
    expect(IllegalArgumentException.class, "build() without dataDir",
        () -> new Vitrine.Builder().serverUrl(server.url).writeKey(WRITE_KEY).build());
    expect(IllegalArgumentException.class, "maxBatchEvents(0)",
        () -> new Vitrine.Builder().maxBatchEvents(0));
    expect(NullPointerException.class, "new Product(null, ...)", () -> new Product(null, 1, "EUR"));
    try (Vitrine v = builder(server, dir.resolve("nulls"), new UrlConnectionHttpExecutor()).build()) {
      NullPointerException npe =
          expect(NullPointerException.class, "productViewed(null)", () -> v.productViewed(null));
      check(npe != null && npe.getMessage().contains("product"), "NPE names the argument: " + npe);
      expect(NullPointerException.class, "identify(null)", () -> v.identify(null));
      expect(NullPointerException.class, "track(null)", () -> v.track(null));
      expect(NullPointerException.class, "searchSubmitted(null)", () -> v.searchSubmitted(null));
      expect(NullPointerException.class, "pageViewed(null, null)", () -> v.pageViewed(null, null));
      expect(NullPointerException.class, "recommend(null, ...)", () -> v.recommend(null, null, 3));
      expect(IllegalArgumentException.class, "recommend(n = -1)", () -> v.recommend("home", null, -1));
      expect(NullPointerException.class, "messageViewed(null)", () -> v.messageViewed(null));
      expect(NullPointerException.class, "orderCompleted(null)", () -> v.orderCompleted(null));
      // Nothing was captured by the failed calls.
      check(v.stats().tracked == 0, "null arguments captured nothing: " + v.stats());
    }
  }

  static void invalidEventsThrowVitrineException(Server server, Path dir) {
    try (Vitrine v = builder(server, dir.resolve("invalid"), new UrlConnectionHttpExecutor()).build()) {
      VitrineException e = expect(VitrineException.class, "unknown event type",
          () -> v.track(new Event("teleport_requested")));
      check(e != null && e.code() == VitrineException.UNKNOWN_EVENT,
          "unknown type code: " + (e == null ? null : e.code()));
      check(e != null && e.getMessage().startsWith("unknown_event: ") && e.getMessage().length() > 16,
          "unknown type message: " + e);

      e = expect(VitrineException.class, "product without currency",
          () -> v.productViewed(new Product("p-1", 10, null).sku("p-1-s")));
      check(e != null && e.code() == VitrineException.INVALID_ARGUMENT, "no currency code: " + e);
      check(e != null && e.getMessage().contains("currency"), "message names the field: " + e);

      e = expect(VitrineException.class, "order without lines",
          () -> v.orderCompleted(new Order("o-empty", 10, "EUR")));
      check(e != null && e.code() == VitrineException.INVALID_ARGUMENT, "empty order code: " + e);
      check(e != null && e.statusName().equals("invalid_argument"), "statusName: " + e);

      e = expect(VitrineException.class, "bad server url",
          () -> new Vitrine.Builder().dataDir(dir.resolve("badurl").toString())
              .serverUrl("not a url").writeKey(WRITE_KEY).build().close());
      check(e != null && e.code() == VitrineException.INVALID_ARGUMENT, "bad url code: " + e);
      check(v.stats().tracked == 0, "invalid events captured nothing: " + v.stats());
    }
  }

  static void endToEnd(Server server, Path dir) throws Exception {
    final String user = "cust-java-\u00fc\uD83D\uDE00"; // ü and an emoji: real UTF-8 both ways
    final long eventsBefore = server.stat("events");
    final long profilesBefore = server.stat("profiles");
    // The message is registered first so the first snapshot carries it.
    Object[] posted = server.admin("POST", "/v1/admin/messages",
        "{\"id\": \"java-cart\", \"priority\": 3, \"trigger\": {\"event_type\": "
            + "\"product_added_to_cart\"}, \"content\": {\"title\": \"Still thinking? \u2615\", "
            + "\"product_ids\": [\"p-java-1\"]}}");
    check((Integer) posted[0] == 201, "admin message: " + posted[0] + " " + posted[1]);

    RecordingExecutor http = new RecordingExecutor();
    CountDownLatch delivered = new CountDownLatch(1);
    List<InAppMessage> seen = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger listenerThreadIsDaemon = new AtomicInteger(-1);
    try (Vitrine v = builder(server, dir.resolve("e2e"), http)
        .appVersion("android-test/1.0")
        .messageListener(m -> {
          listenerThreadIsDaemon.set(Thread.currentThread().isDaemon() ? 1 : 0);
          seen.add(m);
          delivered.countDown();
        })
        .build()) {
      int tracked = 0;
      v.pageViewed("https://shop.example/", null);
      ++tracked;
      for (int i = 0; i < 3; ++i, ++tracked) v.productViewed(serum().position(i));
      v.searchSubmitted("serum");
      ++tracked;
      v.track(new Event("checkout_started").addProduct(serum()).checkoutStep(1)
          .property("source", "java-test"));
      ++tracked;
      v.identify(user, Map.of("tier", "gold"));
      ++tracked;
      v.productRemovedFromCart(serum());
      ++tracked;
      v.orderCompleted(new Order("o-java-1", 24.5, "EUR").tax(4.1).addProduct(serum()));
      ++tracked;

      check(v.stats().userId.equals(user), "user id round trip (UTF-8): " + v.stats().userId);
      v.flush();
      Stats s = v.stats();
      check(s.queued == 0 && s.acked == tracked && s.tracked == tracked, "all acked: " + s);
      check(http.saw("POST", "/v1/batch"), "batch went through the Java executor: " + http.requests);
      check(http.saw("GET", "/v1/snapshot"), "snapshot went through the Java executor: " + http.requests);
      check(s.snapshotEtag != null && !s.snapshotEtag.isEmpty(), "snapshot arrived: " + s);
      check(server.stat("events") - eventsBefore == tracked,
          "server events +" + (server.stat("events") - eventsBefore) + ", want +" + tracked);
      check(server.stat("profiles") - profilesBefore == 1, "one new profile");
      long profileEvents = server.profileEvents(user);
      check(profileEvents == tracked, "profile event_count " + profileEvents + ", want " + tracked);

      // Recommendations come from the local snapshot (the demo shop's popular items).
      List<Recommendation> home = v.recommend("home", null, 5);
      check(!home.isEmpty() && home.size() <= 5, "home recommendations: " + home);
      check(home.stream().allMatch(r -> r.productId != null && !r.productId.isEmpty()),
          "recommendations have ids: " + home);
      List<Recommendation> similar = v.recommend("product_page", "p-java-1", 3);
      check(similar.size() <= 3, "product page recommendations: " + similar);
      check(v.recommend("home", null, 0).isEmpty(), "n = 0 gives nothing");

      // In-app message: due after the trigger; delivered to the listener on the SDK thread.
      v.productAddedToCart(serum());
      v.onForeground();
      v.flush();
      boolean got = delivered.await(20, TimeUnit.SECONDS);
      List<InAppMessage> pending = v.pendingMessages();
      check(got || !pending.isEmpty(), "message delivered or pending: " + seen + " " + pending);
      InAppMessage m = !seen.isEmpty() ? seen.get(0) : pending.isEmpty() ? null : pending.get(0);
      check(m != null && "java-cart".equals(m.messageId), "message id: " + m);
      check(m != null && "Still thinking? \u2615".equals(m.title), "message title (UTF-8): " + m);
      check(!got || listenerThreadIsDaemon.get() == 1, "listener runs on the attached daemon thread");
      if (m != null) {
        v.messageViewed(m.messageId);
        v.messageClicked(m.messageId);
        v.messageDismissed(m.messageId);
      }

      // Consent off: capture refused with CONSENT_DENIED; on again: capture works.
      v.setConsent(false);
      VitrineException denied = expect(VitrineException.class, "capture without consent",
          () -> v.productViewed(serum()));
      check(denied != null && denied.code() == VitrineException.CONSENT_DENIED, "code: " + denied);
      v.setConsent(true);
      v.productViewed(serum());

      // Lifecycle: background flushes.
      check(v.onBackground(), "onBackground flush succeeded");
      check(v.stats().queued == 0, "queue empty after background: " + v.stats());

      // GDPR deletion: the server forgets the profile.
      check(server.profileEvents(user) > 0, "profile exists before deletion");
      v.requestDeletion();
      drain(v);
      check(server.profileEvents(user) == -1, "profile gone after deletion");

      // Host executor failing (offline): flush reports UNAVAILABLE, events stay queued.
      v.reset();
      http.fail = true;
      v.productViewed(serum());
      VitrineException offline = expect(VitrineException.class, "flush offline", v::flush);
      check(offline != null && offline.code() == VitrineException.UNAVAILABLE, "offline: " + offline);
      check(!v.onBackground(), "onBackground reports the failed flush");
      check(v.stats().queued >= 1, "events kept while offline: " + v.stats());
      http.fail = false;
      drain(v);
      check(v.stats().queued == 0, "sent once back online: " + v.stats());
    }
  }

  static void manyThreadsLoseNothing(Server server, Path dir) throws Exception {
    final int threads = 8;
    final int perThread = 500;
    final long before = server.stat("events");
    try (Vitrine v = builder(server, dir.resolve("threads"), new UrlConnectionHttpExecutor())
        .flushIntervalMs(50) // the scheduler sends while the threads still track
        .build()) {
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> workers = new ArrayList<>();
      AtomicInteger errors = new AtomicInteger();
      for (int t = 0; t < threads; ++t) {
        final int id = t;
        Thread w = new Thread(() -> {
          try {
            start.await();
            for (int i = 0; i < perThread; ++i) {
              Product p = new Product("p-" + id + "-" + i, 1 + i, "EUR").sku("sku-" + i);
              if (i % 3 == 0) v.productAddedToCart(p); else v.productViewed(p);
              if (i % 100 == 0) v.recommend("home", null, 4);
            }
          } catch (Throwable e) {
            errors.incrementAndGet();
            e.printStackTrace();
          }
        });
        w.start();
        workers.add(w);
      }
      start.countDown();
      for (Thread w : workers) w.join();
      check(errors.get() == 0, "no thread failed");
      drain(v);
      Stats s = v.stats();
      check(s.tracked == threads * perThread, "tracked " + s.tracked);
      check(s.acked == threads * perThread && s.queued == 0, "all acked: " + s);
    }
    long got = server.stat("events") - before;
    check(got == threads * perThread, "server got +" + got + " events, want " + threads * perThread);
  }

  static void closedClientThrowsIllegalState(Server server, Path dir) {
    Vitrine v = builder(server, dir.resolve("closed"), new UrlConnectionHttpExecutor()).build();
    v.productViewed(serum());
    v.close();
    v.close(); // idempotent
    expect(IllegalStateException.class, "use after close", () -> v.productViewed(serum()));
    expect(IllegalStateException.class, "stats after close", v::stats);
    // Reopening the same directory finds the event persisted by close.
    try (Vitrine again = builder(server, dir.resolve("closed"), new UrlConnectionHttpExecutor()).build()) {
      Stats s = again.stats();
      check(s.queued + s.acked == 1, "queued event survived close/reopen: " + s);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: VitrineJniTest SERVER_BINARY TEMP_ROOT");
      System.exit(2);
    }
    Files.createDirectories(Path.of(args[1]));
    Path dir = Files.createTempDirectory(Path.of(args[1]), "jni-");
    int exit;
    try (Server server = new Server(args[0], dir)) {
      String[] names = {"nullArgumentsFailInJava", "invalidEventsThrowVitrineException",
          "endToEnd", "manyThreadsLoseNothing", "closedClientThrowsIllegalState"};
      for (String name : names) {
        int before = failures;
        long t0 = System.nanoTime();
        try {
          switch (name) {
            case "nullArgumentsFailInJava": nullArgumentsFailInJava(server, dir); break;
            case "invalidEventsThrowVitrineException": invalidEventsThrowVitrineException(server, dir); break;
            case "endToEnd": endToEnd(server, dir); break;
            case "manyThreadsLoseNothing": manyThreadsLoseNothing(server, dir); break;
            default: closedClientThrowsIllegalState(server, dir); break;
          }
        } catch (Throwable t) {
          check(false, name + " threw " + t);
          t.printStackTrace();
        }
        System.out.printf("[%s] %s (%d ms)%n", failures == before ? "  OK  " : "FAILED", name,
            (System.nanoTime() - t0) / 1_000_000);
      }
      if (failures > 0) System.err.println("server log: " + server.log);
    }
    System.out.println(checks + " checks, " + failures + " failed");
    exit = failures == 0 ? 0 : 1;
    if (exit == 0) deleteTree(dir.toFile());
    System.exit(exit);
  }

  static void deleteTree(File f) {
    File[] children = f.listFiles();
    if (children != null) for (File c : children) deleteTree(c);
    f.delete();
  }
}
