package dev.vitrine;

/**
 * An operation the SDK refused or could not complete: the C ABI's {@code vt_status} code and its
 * message, unchanged.
 *
 * <p>Unchecked on purpose (like most Android SDK errors): capture calls fail only on programming
 * errors (an unknown event type, a missing currency) or when the user opted out, and an app should
 * not have to wrap every {@code productViewed} in try/catch. Null arguments never get this far:
 * they throw {@link NullPointerException} in Java before the native call.
 */
public final class VitrineException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  // Same numbers as vt_status in vitrine.h (and vitrine::StatusCode).
  public static final int INVALID_ARGUMENT = 1;
  public static final int UNKNOWN_EVENT = 2;
  public static final int CONSENT_DENIED = 3;
  public static final int STORAGE_FULL = 4;
  public static final int STORAGE_BUSY = 5;
  public static final int STORAGE_ERROR = 6;
  public static final int UNAVAILABLE = 7;
  public static final int RATE_LIMITED = 8;
  public static final int REJECTED = 9;
  public static final int NOT_FOUND = 10;
  public static final int SHUTDOWN = 11;
  public static final int INTERNAL = 12;

  private static final String[] NAMES = {
    "ok", "invalid_argument", "unknown_event", "consent_denied", "storage_full", "storage_busy",
    "storage_error", "unavailable", "rate_limited", "rejected", "not_found", "shutdown", "internal"
  };

  private final int code;

  /** Called from the JNI layer with the C ABI's status and message. */
  public VitrineException(int code, String message) {
    super(name(code) + ": " + (message == null ? "" : message));
    this.code = code;
  }

  /** The vt_status code, one of the constants above. */
  public int code() {
    return code;
  }

  /** "invalid_argument", "consent_denied", ... (vt_status_name). */
  public String statusName() {
    return name(code);
  }

  static String name(int code) {
    return code >= 0 && code < NAMES.length ? NAMES[code] : "unknown";
  }
}
