package org.rtmpgw.gateway.session;

import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.HostPort;
import org.rtmpgw.gateway.upstream.UpstreamConnector;
import org.rtmpgw.tunnel.RtmptReplies;
import org.rtmpgw.tunnel.SessionIdGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All live RTMPT sessions of this gateway: opens them (connecting the upstream during
 * {@code /open/1}), finds them by id, reaps them on their timers and closes them all at shutdown.
 *
 * <p>Thread-safe. One timer thread serves every session's idle holds and the periodic sweep, so
 * the number of threads does not grow with the number of sessions.
 */
public final class TunnelRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(TunnelRegistry.class);
  /** How often inactivity, sequence gaps and stalled writes are checked. */
  private static final long SWEEP_INTERVAL_MILLIS = 250;

  private final HostPort upstream;
  private final SessionSettings settings;
  private final UpstreamConnector connector;
  private final SessionIdGenerator ids;
  private final ScheduledThreadPoolExecutor timer;
  private final Map<String, TunnelSession> sessions = new ConcurrentHashMap<>();
  private volatile boolean shuttingDown;

  public TunnelRegistry(GatewayConfig config) {
    this.upstream = config.upstream();
    this.settings = SessionSettings.from(config);
    this.connector = new UpstreamConnector(config.upstreamConnectTimeout());
    this.ids = new SessionIdGenerator(new SecureRandom(), config.nodeId());
    this.timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "rtmpgw-session-timer");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
  }

  public void start() throws Exception {
    connector.start();
    timer.scheduleWithFixedDelay(
        this::sweep, SWEEP_INTERVAL_MILLIS, SWEEP_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Opens a session for {@code client}; the responder gets the open reply or a 502/503. */
  public void open(String client, Responder responder) {
    if (shuttingDown) {
      LOG.info("refused /open/1 from {}: gateway is shutting down", client);
      responder.error(503, "gateway is shutting down");
      return;
    }
    String id = ids.next();
    TunnelSession session = new TunnelSession(id, client, settings, timer, this::closed);
    long started = System.nanoTime();
    connector
        .connect(upstream, session)
        .whenComplete(
            (link, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                String why = describe(cause);
                LOG.warn("upstream {} unreachable for client {}: {}", upstream, client, why);
                responder.error(502, "upstream " + upstream + " unreachable: " + why);
                return;
              }
              sessions.put(id, session);
              session.attach(link);
              LOG.debug(
                  "{} opened; upstream {} connected in {} ms",
                  session,
                  upstream,
                  (System.nanoTime() - started) / 1_000_000);
              if (shuttingDown) {
                session.close(CloseReason.SHUTDOWN);
                responder.error(503, "gateway is shutting down");
              } else {
                responder.reply(RtmptReplies.open(id));
              }
            });
  }

  private static String describe(Throwable cause) {
    String message = cause.getMessage();
    String type = cause.getClass().getSimpleName();
    return message == null || message.isBlank() ? type : type + ": " + message;
  }

  /** The live session with this id, or null. */
  public TunnelSession find(String id) {
    return sessions.get(id);
  }

  public int size() {
    return sessions.size();
  }

  public List<TunnelSession> sessions() {
    return List.copyOf(sessions.values());
  }

  public HostPort upstream() {
    return upstream;
  }

  private void closed(TunnelSession session) {
    sessions.remove(session.id(), session);
    TunnelSession.Stats s = session.stats();
    LOG.info(
        "session closed id={} client={} upstream={} duration={}ms bytes_up={} bytes_down={}"
            + " undelivered={} requests={} reason={}",
        s.id(),
        s.client(),
        upstream,
        s.durationMillis(),
        s.bytesUpstream(),
        s.bytesDownstream(),
        s.bufferedDownstream(),
        s.requests(),
        s.closeReason());
  }

  private void sweep() {
    long now = System.nanoTime();
    for (TunnelSession session : sessions.values()) {
      try {
        session.checkTimers(now);
      } catch (RuntimeException e) {
        LOG.warn("sweep of {} failed", session, e);
      }
    }
  }

  /** Refuses new sessions, closes every live one, and stops the upstream connector and timer. */
  public void shutdown() {
    shuttingDown = true;
    for (TunnelSession session : sessions.values()) {
      session.close(CloseReason.SHUTDOWN);
    }
    timer.shutdownNow();
    try {
      connector.stop();
    } catch (Exception e) {
      LOG.warn("stopping the upstream connector failed", e);
    }
  }

  /** The timer used for holds; exposed for tests of the session layer. */
  ScheduledExecutorService timer() {
    return timer;
  }
}
