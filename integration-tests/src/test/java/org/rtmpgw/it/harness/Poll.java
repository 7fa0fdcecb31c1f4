package org.rtmpgw.it.harness;

import java.time.Duration;

/**
 * Bounded polling: every wait in the harness ends after a time limit <em>and</em> an attempt limit,
 * whichever comes first.
 */
public final class Poll {

  /** A condition that may fail with an exception; an exception counts as "not yet". */
  @FunctionalInterface
  public interface Condition {
    boolean test() throws Exception;
  }

  private Poll() {}

  /**
   * Evaluates {@code condition} every {@code interval} until it is true or {@code timeout} has
   * passed (at most {@code timeout / interval + 1} evaluations).
   *
   * @return true as soon as the condition held, false on timeout
   */
  public static boolean until(Duration timeout, Duration interval, Condition condition)
      throws InterruptedException {
    long intervalMs = Math.max(1, interval.toMillis());
    long maxAttempts = timeout.toMillis() / intervalMs + 1;
    long deadline = System.nanoTime() + timeout.toNanos();
    for (long attempt = 0; attempt < maxAttempts; attempt++) {
      try {
        if (condition.test()) {
          return true;
        }
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        // not yet: e.g. the server does not accept connections yet
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      Thread.sleep(Math.min(intervalMs, Math.max(1, left / 1_000_000)));
    }
    return false;
  }
}
