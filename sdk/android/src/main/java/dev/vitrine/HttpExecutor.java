package dev.vitrine;

/**
 * The host's HTTP stack. On Android, implement it over OkHttp (the app's own client, so its
 * proxy, certificate pinning and interceptors apply); {@link UrlConnectionHttpExecutor} is the
 * dependency-free default used on the desktop JVM and in the tests.
 *
 * <p>Contract: called on the SDK's background thread (a native thread attached to the VM), one
 * request at a time, and synchronously: return once the answer is in. Do not retry; the SDK owns
 * batching, retries and backoff. Anything thrown is reported to the SDK as a transport error.
 * Must not call {@link Vitrine#close()}.
 */
public interface HttpExecutor {
  HttpResponse execute(HttpRequest request) throws Exception;
}
