package org.rtmpgw.gateway.session;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts admitted sessions, in total and per client host, against {@code max-sessions} and {@code
 * max-sessions-per-client}. A session is admitted before its upstream is connected (so a burst
 * of opens cannot overshoot) and released exactly once: when its connect fails, when it is not
 * registered, or when it closes. Thread-safe.
 */
final class SessionAdmission {
  private final int maxTotal;
  private final int maxPerClient;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<String, AtomicInteger> perClient = new ConcurrentHashMap<>();

  /** A limit of 0 means no limit. */
  SessionAdmission(int maxTotal, int maxPerClient) {
    this.maxTotal = maxTotal;
    this.maxPerClient = maxPerClient;
  }

  /** Admits one more session from {@code host}; returns the limit that refuses it, or null. */
  Limit tryAdmit(String host) {
    if (maxTotal > 0 && total.incrementAndGet() > maxTotal) {
      total.decrementAndGet();
      return Limit.MAX_SESSIONS;
    } else if (maxTotal == 0) {
      total.incrementAndGet();
    }
    boolean[] over = new boolean[1];
    perClient.compute(
        host,
        (h, count) -> {
          AtomicInteger c = count == null ? new AtomicInteger() : count;
          if (maxPerClient > 0 && c.get() >= maxPerClient) {
            over[0] = true;
          } else {
            c.incrementAndGet();
          }
          return c.get() == 0 ? null : c;
        });
    if (over[0]) {
      total.decrementAndGet();
      return Limit.MAX_SESSIONS_PER_CLIENT;
    }
    return null;
  }

  /** Gives back one admission of {@code host}. */
  void release(String host) {
    total.decrementAndGet();
    perClient.computeIfPresent(host, (h, c) -> c.decrementAndGet() == 0 ? null : c);
  }

  int total() {
    return total.get();
  }

  int ofClient(String host) {
    AtomicInteger c = perClient.get(host);
    return c == null ? 0 : c.get();
  }
}
