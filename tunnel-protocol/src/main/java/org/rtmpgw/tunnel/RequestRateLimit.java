package org.rtmpgw.tunnel;

/**
 * At most {@code limit} requests per second for one session, counted in fixed one-second windows.
 * Normal clients stay far below (with the idle hold, players make ~50 requests/s); a client that
 * spins or floods is stopped without costing the other sessions anything. Not thread-safe: the
 * session calls it under its own lock.
 */
public final class RequestRateLimit {
  private static final long WINDOW_NANOS = 1_000_000_000L;

  private final int limit;
  private long windowStart;
  private int count;
  private boolean started;

  /** {@code limit} 0 means no limit. */
  public RequestRateLimit(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit " + limit);
    }
    this.limit = limit;
  }

  /** Counts one request at {@code nowNanos}; false when it is over the limit of its window. */
  public boolean tryAcquire(long nowNanos) {
    if (limit == 0) {
      return true;
    }
    if (!started || nowNanos - windowStart >= WINDOW_NANOS) {
      started = true;
      windowStart = nowNanos;
      count = 0;
    }
    count++;
    return count <= limit;
  }

  public int limit() {
    return limit;
  }
}
