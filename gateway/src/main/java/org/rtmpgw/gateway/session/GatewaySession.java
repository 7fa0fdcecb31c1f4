package org.rtmpgw.gateway.session;

/**
 * One client's path to the upstream, whatever its wrapping: an RTMPT session or a raw RTMP
 * connection. The registry tracks both kinds the same way: one id, one close with a reason, one
 * close log line, timers checked by one sweep.
 */
public interface GatewaySession {
  String id();

  Transport transport();

  /** Ends the session once with {@code reason}; later calls do nothing. */
  void close(CloseReason reason);

  /** Called periodically by the registry's sweep with {@link System#nanoTime()}. */
  void checkTimers(long now);

  /** A snapshot for the close log line and for tests. */
  SessionStats stats();
}
