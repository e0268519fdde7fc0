package dev.vitrine;

/**
 * Told when an in-app message becomes due. Called on the SDK's background thread (post to the main
 * thread to render); must return quickly and must not call {@link Vitrine#close()}. Exceptions it
 * throws are logged and dropped.
 */
public interface MessageListener {
  void onMessage(InAppMessage message);
}
