package dev.vitrine;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One HTTP request the SDK wants sent. Immutable; the body array is the executor's to read only.
 */
public final class HttpRequest {
  private final String method;
  private final String url;
  private final List<Map.Entry<String, String>> headers;
  private final byte[] body;
  private final long timeoutMs;

  HttpRequest(
      String method,
      String url,
      List<Map.Entry<String, String>> headers,
      byte[] body,
      long timeoutMs) {
    this.method = method;
    this.url = url;
    this.headers = Collections.unmodifiableList(headers);
    this.body = body;
    this.timeoutMs = timeoutMs;
  }

  /** "GET" or "POST". */
  public String method() {
    return method;
  }

  /** Absolute URL. */
  public String url() {
    return url;
  }

  /** Headers in the order the SDK set them (Content-Type, Content-Encoding, Authorization...). */
  public List<Map.Entry<String, String>> headers() {
    return headers;
  }

  /** Request body, empty for GET. Already compressed when Content-Encoding says so. */
  public byte[] body() {
    return body;
  }

  /** Total time the SDK allows for this request; give up and report a transport error after. */
  public long timeoutMs() {
    return timeoutMs;
  }
}
