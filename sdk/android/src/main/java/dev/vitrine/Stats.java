package dev.vitrine;

/** A point-in-time view of the SDK's counters and identity (vt_stats). Immutable. */
public final class Stats {
  public final long tracked;
  public final long queued;
  public final long acked;
  public final long evicted;
  public final long rejected;
  public final long sendAttempts;
  public final long sendFailures;
  public final long nextSendAtMs;
  public final long lastRetryAfterMs;
  public final String lastError;
  public final String anonymousId;
  public final String userId;
  public final String sessionId;
  public final String snapshotEtag;

  Stats(long[] n, String[] s) {
    tracked = n[0];
    queued = n[1];
    acked = n[2];
    evicted = n[3];
    rejected = n[4];
    sendAttempts = n[5];
    sendFailures = n[6];
    nextSendAtMs = n[7];
    lastRetryAfterMs = n[8];
    lastError = s[0];
    anonymousId = s[1];
    userId = s[2];
    sessionId = s[3];
    snapshotEtag = s[4];
  }

  @Override
  public String toString() {
    return "tracked=" + tracked + " queued=" + queued + " acked=" + acked + " failures="
        + sendFailures + " user=" + userId + " etag=" + snapshotEtag;
  }
}
