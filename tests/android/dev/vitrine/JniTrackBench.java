package dev.vitrine;

import java.io.File;
import java.util.Arrays;

/**
 * Cost of one capture call through the Java API and the JNI layer ({@code productViewed} with a
 * typical product: Java checks, one JNI call, C ABI, core validation and journal append), as an
 * app's UI thread pays it. Not a test: vitrine-bench runs it for the key {@code
 * jni_track_ns_p50} and reads the JSON line it prints.
 *
 * <p>Offline on purpose (the executor answers "no network"), so no send competes with the
 * measured thread beyond the SDK's own background persisting. Each call is timed on its own with
 * System.nanoTime (~20-30 ns of the figure is the clock itself), after a warm-up that lets the JIT
 * compile the path.
 *
 * <p>Usage: java -Djava.library.path=DIR -cp vitrine.jar:vitrine-tests.jar
 * dev.vitrine.JniTrackBench TEMP_DIR [calls]
 */
public final class JniTrackBench {
  private JniTrackBench() {}

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: JniTrackBench <temp dir> [calls]");
      System.exit(2);
    }
    final int calls = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    final File dir = new File(args[0], "jni-bench-" + ProcessHandle.current().pid());
    if (!dir.mkdirs() && !dir.isDirectory()) {
      System.err.println("cannot create " + dir);
      System.exit(2);
    }
    final long[] ns = new long[calls];
    try (Vitrine vitrine =
        new Vitrine.Builder()
            .dataDir(dir.getPath())
            .serverUrl("https://sync.invalid")
            .writeKey("wk_bench")
            .httpExecutor(request -> HttpResponse.transportError("offline (bench)"))
            .flushIntervalMs(3_600_000)
            .maxQueueBytes(1L << 30)
            .build()) {
      final Product product =
          new Product("sku-bench-1", 19.99, "EUR").sku("sku-bench-1-30ml").name("Serum");
      for (int i = 0; i < Math.min(calls, 20_000); ++i) vitrine.productViewed(product);
      for (int i = 0; i < calls; ++i) {
        final long start = System.nanoTime();
        vitrine.productViewed(product);
        ns[i] = System.nanoTime() - start;
      }
    }
    Arrays.sort(ns);
    final long p50 = ns[calls / 2];
    final long p99 = ns[Math.min(calls - 1, (int) (calls * 0.99))];
    System.out.println("{\"jni_track_ns_p50\": " + p50 + ", \"jni_track_ns_p99\": " + p99 + "}");
  }
}
