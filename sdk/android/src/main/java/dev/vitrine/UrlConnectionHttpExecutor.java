package dev.vitrine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link HttpExecutor} on {@link HttpURLConnection}: no dependencies, works on the desktop JVM and
 * on Android. Production Android apps should pass an OkHttp-based executor instead so the SDK
 * shares the app's connection pool and TLS settings. Stateless and thread-safe.
 */
public final class UrlConnectionHttpExecutor implements HttpExecutor {
  @Override
  public HttpResponse execute(HttpRequest request) throws IOException {
    HttpURLConnection connection = (HttpURLConnection) new URL(request.url()).openConnection();
    try {
      int timeout = (int) Math.max(1, Math.min(Integer.MAX_VALUE, request.timeoutMs()));
      connection.setConnectTimeout(timeout);
      connection.setReadTimeout(timeout);
      connection.setRequestMethod(request.method());
      connection.setInstanceFollowRedirects(false);
      // The SDK sets Content-Encoding itself; stop the JVM from adding its own gzip negotiation.
      connection.setRequestProperty("Accept-Encoding", "identity");
      for (Map.Entry<String, String> header : request.headers()) {
        connection.addRequestProperty(header.getKey(), header.getValue());
      }
      byte[] body = request.body();
      if (body.length > 0 || request.method().equals("POST")) {
        connection.setDoOutput(true);
        connection.setFixedLengthStreamingMode(body.length);
        try (OutputStream out = connection.getOutputStream()) {
          out.write(body);
        }
      }
      int status = connection.getResponseCode();
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      for (Map.Entry<String, List<String>> field : connection.getHeaderFields().entrySet()) {
        if (field.getKey() == null) {
          continue; // the status line
        }
        for (String value : field.getValue()) {
          headers.add(new AbstractMap.SimpleImmutableEntry<>(field.getKey(), value));
        }
      }
      InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
      return HttpResponse.of(status, headers, in == null ? new byte[0] : readAll(in));
    } finally {
      connection.disconnect();
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (InputStream stream = in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      for (int n; (n = stream.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    }
  }
}
