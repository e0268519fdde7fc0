package dev.vitrine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an {@link HttpExecutor} got back: an HTTP status with headers and body, or a transport
 * error (offline, DNS, TLS, timeout) when there was no HTTP answer at all.
 */
public final class HttpResponse {
  private final int status;
  private final List<Map.Entry<String, String>> headers;
  private final byte[] body;
  private final String transportError;

  private HttpResponse(
      int status, List<Map.Entry<String, String>> headers, byte[] body, String transportError) {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.transportError = transportError;
  }

  /** An HTTP answer. Headers may repeat; names are matched case-insensitively by the SDK. */
  public static HttpResponse of(int status, List<Map.Entry<String, String>> headers, byte[] body) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("HTTP status out of range: " + status);
    }
    return new HttpResponse(
        status,
        new ArrayList<>(Objects.requireNonNull(headers, "headers")),
        body == null ? new byte[0] : body,
        null);
  }

  /** No HTTP answer; the SDK keeps the events queued and retries with backoff. */
  public static HttpResponse transportError(String message) {
    return new HttpResponse(
        0, new ArrayList<>(), new byte[0], message == null || message.isEmpty() ? "transport error" : message);
  }

  public int status() {
    return status;
  }

  public List<Map.Entry<String, String>> headers() {
    return headers;
  }

  public byte[] body() {
    return body;
  }

  /** Null when there was an HTTP answer. */
  public String transportError() {
    return transportError;
  }
}
