package org.rtmpgw.gateway.session;

/**
 * What the session layer reports as it works, for metrics. Called on I/O and timer threads; an
 * implementation must be thread-safe and quick, and must not call back into the sessions.
 */
public interface SessionObserver {
  /** Reports nothing. */
  SessionObserver NONE = new SessionObserver() {};

  /** A session's upstream was connected and the session is live. */
  default void opened(Transport transport) {}

  /** A session ended; its final counters and reason. */
  default void closed(SessionStats stats) {}

  /** An empty {@code /idle} is being held for upstream bytes. */
  default void idleHeld() {}

  /** An upstream connection was established in {@code nanos}. */
  default void upstreamConnected(long nanos) {}

  /** An upstream connection could not be established. */
  default void upstreamConnectFailed() {}

  /** A client ran into a configured limit (each hit is also logged where it happens). */
  default void limitHit(Limit limit) {}
}
