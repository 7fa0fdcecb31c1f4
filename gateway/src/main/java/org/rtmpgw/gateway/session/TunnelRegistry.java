package org.rtmpgw.gateway.session;

import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.HostPort;
import org.rtmpgw.gateway.upstream.UpstreamConnector;
import org.rtmpgw.gateway.upstream.UpstreamLink;
import org.rtmpgw.gateway.upstream.UpstreamListener;
import org.rtmpgw.gateway.upstream.UpstreamSelector;
import org.rtmpgw.tunnel.ProxyProtocolV1;
import org.rtmpgw.tunnel.RtmptReplies;
import org.rtmpgw.tunnel.SessionIdGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All live sessions of this gateway, RTMPT and raw: opens RTMPT sessions (connecting the upstream
 * during {@code /open/1}), connects raw connections' upstreams, finds sessions by id, reaps them
 * on their timers, logs each close in one format and closes them all at shutdown.
 *
 * <p>Thread-safe. One timer thread serves every session's idle holds and the periodic sweep, so
 * the number of threads does not grow with the number of sessions.
 */
public final class TunnelRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(TunnelRegistry.class);
  /** How often inactivity, sequence gaps and stalled writes are checked. */
  private static final long SWEEP_INTERVAL_MILLIS = 250;

  private final HostPort upstream;
  private final UpstreamSelector selector;
  private final boolean proxyProtocol;
  private final SessionSettings settings;
  private final UpstreamConnector connector;
  private final SessionIdGenerator ids;
  private final ScheduledThreadPoolExecutor timer;
  private final Map<String, TunnelSession> sessions = new ConcurrentHashMap<>();
  private final Map<String, GatewaySession> rawSessions = new ConcurrentHashMap<>();
  private final Map<CloseReason, AtomicLong> closedByReason = new EnumMap<>(CloseReason.class);
  private final SessionObserver observer;
  private final TunnelSession.SessionEvents events;
  private final SessionAdmission admission;
  private volatile boolean shuttingDown;
  private volatile boolean draining;

  public TunnelRegistry(GatewayConfig config) {
    this(config, SessionObserver.NONE);
  }

  public TunnelRegistry(GatewayConfig config, SessionObserver observer) {
    this.observer = observer;
    this.events =
        new TunnelSession.SessionEvents() {
          @Override
          public void closed(TunnelSession session) {
            TunnelRegistry.this.closed(session);
          }

          @Override
          public void idleHeld() {
            observer.idleHeld();
          }

          @Override
          public void limitHit(Limit limit) {
            observer.limitHit(limit);
          }
        };
    this.admission = new SessionAdmission(config.maxSessions(), config.maxSessionsPerClient());
    this.upstream = config.upstream();
    this.selector = new UpstreamSelector(config);
    this.proxyProtocol = config.upstreamProxyProtocol();
    this.settings = SessionSettings.from(config);
    this.connector = new UpstreamConnector(config.upstreamConnectTimeout());
    this.ids = new SessionIdGenerator(new SecureRandom(), config.nodeId());
    for (CloseReason reason : CloseReason.values()) {
      closedByReason.put(reason, new AtomicLong());
    }
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

  /**
   * Opens an RTMPT session; the responder gets the open reply, or 502 (no upstream server of the
   * client's group reachable), 503 (shutting down, draining, max-sessions), 429
   * (max-sessions-per-client) or 403 (no upstream route for the client's host).
   */
  public void open(SessionOrigin origin, Transport transport, Responder responder) {
    String client = origin.client();
    Refused refused = refuse(origin, "/open/1");
    if (refused != null) {
      responder.error(refused.status(), refused.reason());
      return;
    }
    String id = ids.next();
    TunnelSession session = new TunnelSession(id, transport, client, settings, timer, events);
    long started = System.nanoTime();
    connect(origin, session)
        .whenComplete(
            (connected, failure) -> {
              if (failure != null) {
                responder.error(502, "upstream unreachable: " + UpstreamSelector.describe(failure));
                return;
              }
              sessions.put(id, session);
              observer.opened(transport);
              session.attach(connected.link(), connected.server().toString());
              LOG.debug(
                  "{} opened; upstream {} connected in {} ms",
                  session,
                  connected.server(),
                  (System.nanoTime() - started) / 1_000_000);
              if (shuttingDown) {
                session.close(CloseReason.SHUTDOWN);
                responder.error(503, "gateway is shutting down");
              } else {
                responder.reply(RtmptReplies.open(id));
              }
            });
  }

  /** A fresh session id for a raw connection. */
  public String newSessionId() {
    return ids.next();
  }

  /** The per-session limits every kind of session shares. */
  public SessionSettings settings() {
    return settings;
  }

  /**
   * Connects a raw connection's upstream. Refusals and failures are logged here, in the same
   * words as for RTMPT, and the future fails.
   */
  public CompletableFuture<UpstreamSelector.Connected> connectUpstream(
      SessionOrigin origin, UpstreamListener listener) {
    Refused refused = refuse(origin, "raw connection");
    if (refused != null) {
      return CompletableFuture.failedFuture(new IllegalStateException(refused.reason()));
    }
    return connect(origin, listener);
  }

  /** Why a new session must not be opened (already logged), or null with its admission held. */
  private Refused refuse(SessionOrigin origin, String what) {
    String client = origin.client();
    if (shuttingDown || draining) {
      String state = shuttingDown ? "shutting down" : "draining";
      LOG.info("refused {} from {}: gateway is {}", what, client, state);
      return new Refused(
          503,
          shuttingDown
              ? "gateway is shutting down"
              : "gateway is draining; open the session on another node");
    }
    if (selector.route(origin.host(), origin.localPort()) == null) {
      LOG.warn(
          "refused {} from {}: no upstream route for host '{}' on port {}"
              + " (upstream-routes, upstream-route-default)",
          what,
          client,
          origin.host(),
          origin.localPort());
      return new Refused(403, "no upstream for host '" + origin.host() + "'");
    }
    Limit over = admission.tryAdmit(ClientAddress.host(client));
    if (over != null) {
      refuseOverLimit(client, what, over);
      return new Refused(over == Limit.MAX_SESSIONS ? 503 : 429, "too many sessions (" + over + ")");
    }
    return null;
  }

  private record Refused(int status, String reason) {}

  /** Connects an admitted session to a server of its group; a failure releases the admission. */
  private CompletableFuture<UpstreamSelector.Connected> connect(
      SessionOrigin origin, UpstreamListener listener) {
    String group = selector.route(origin.host(), origin.localPort());
    byte[] proxyHeader = proxyHeader(origin);
    long started = System.nanoTime();
    return selector
        .connect(connector, group, listener, proxyHeader)
        .whenComplete(
            (connected, failure) -> {
              if (failure == null) {
                observer.upstreamConnected(System.nanoTime() - started);
                return;
              }
              admission.release(ClientAddress.host(origin.client()));
              String why = UpstreamSelector.describe(failure);
              observer.upstreamConnectFailed();
              if (why.contains("Timeout")) {
                observer.limitHit(Limit.UPSTREAM_CONNECT_TIMEOUT);
              }
              LOG.warn(
                  "no upstream of group '{}' reachable for client {}: {}",
                  group,
                  origin.client(),
                  why);
            });
  }

  /** The PROXY v1 header for the upstream, when upstream-proxy-protocol asks for one. */
  private byte[] proxyHeader(SessionOrigin origin) {
    if (!proxyProtocol || origin.localIp() == null) {
      return null;
    }
    String client = origin.client();
    int colon = client.lastIndexOf(':');
    try {
      return ProxyProtocolV1.header(
          client.substring(0, colon),
          Integer.parseInt(client.substring(colon + 1)),
          origin.localIp(),
          origin.localPort());
    } catch (RuntimeException e) {
      return ProxyProtocolV1.header("", 0, "", 0); // PROXY UNKNOWN: the server keeps its own view
    }
  }

  /**
   * Tracks a raw session whose upstream {@link #connectUpstream} connected; false (and nothing
   * tracked, its admission released) when the gateway is shutting down or draining, in which case
   * the caller closes it.
   */
  public boolean register(GatewaySession session) {
    rawSessions.put(session.id(), session);
    if (shuttingDown || draining) {
      rawSessions.remove(session.id());
      admission.release(ClientAddress.host(session.stats().client()));
      return false;
    }
    observer.opened(session.transport());
    return true;
  }

  /** Sessions (of every transport) closed so far for {@code reason}. */
  public long closedCount(CloseReason reason) {
    return closedByReason.get(reason).get();
  }

  /**
   * Stops accepting sessions: {@code /open/1} gets 503 and new raw connections are closed, while
   * running sessions go on. Idempotent.
   */
  public void startDrain() {
    draining = true;
  }

  public boolean isDraining() {
    return draining;
  }

  /** Live sessions of every transport. */
  public int totalSize() {
    return sessions.size() + rawSessions.size();
  }

  /** Live raw (RTMP/RTMPS) sessions. */
  public int rawSize() {
    return rawSessions.size();
  }

  public List<GatewaySession> rawSessions() {
    return List.copyOf(rawSessions.values());
  }

  private void refuseOverLimit(String client, String what, Limit limit) {
    observer.limitHit(limit);
    LOG.warn(
        "refused {} from {}: {} reached ({} live sessions)",
        what,
        client,
        limit,
        totalSize());
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

  /** The first server of the default group (the {@code upstream} setting). */
  public HostPort upstream() {
    return upstream;
  }

  /** The upstream groups, routes and their health. */
  public UpstreamSelector upstreams() {
    return selector;
  }

  /** Reports a limit a raw connection ran into (RTMPT sessions report through their events). */
  public void limitHit(Limit limit) {
    observer.limitHit(limit);
  }

  /**
   * Gives back the admission of a connection whose upstream {@link #connectUpstream} connected
   * but which will not be registered (its client left meanwhile).
   */
  public void abandon(String client) {
    admission.release(ClientAddress.host(client));
  }

  /** The one place a session's end is recorded: removed from the registry, one log line. */
  public void closed(GatewaySession session) {
    if (!sessions.remove(session.id(), session) && !rawSessions.remove(session.id(), session)) {
      return; // never registered (refused during shutdown) or already recorded
    }
    SessionStats s = session.stats();
    admission.release(ClientAddress.host(s.client()));
    if (s.closeReason() != null) {
      closedByReason.get(s.closeReason()).incrementAndGet();
    }
    observer.closed(s);
    LOG.info(
        "session closed id={} transport={} client={} upstream={} duration={}ms bytes_up={}"
            + " bytes_down={} undelivered={} requests={} reason={}",
        s.id(),
        s.transport(),
        s.client(),
        s.upstream(),
        s.durationMillis(),
        s.bytesUpstream(),
        s.bytesDownstream(),
        s.bufferedDownstream(),
        s.requests(),
        s.closeReason());
  }

  private void sweep() {
    long now = System.nanoTime();
    for (GatewaySession session : allSessions()) {
      try {
        session.checkTimers(now);
      } catch (RuntimeException e) {
        LOG.warn("sweep of {} failed", session, e);
      }
    }
  }

  /** See {@link UpstreamConnector#buffersInUse()}. */
  public long upstreamBuffersInUse() {
    return connector.buffersInUse();
  }

  /** Refuses new sessions, closes every live one, and stops the upstream connector and timer. */
  public void shutdown() {
    shuttingDown = true;
    for (GatewaySession session : allSessions()) {
      session.close(CloseReason.SHUTDOWN);
    }
    timer.shutdownNow();
    try {
      // a servlet container's undeploy checks for threads left behind
      if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warn("session timer did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      connector.stop();
    } catch (Exception e) {
      LOG.warn("stopping the upstream connector failed", e);
    }
  }

  private Iterable<GatewaySession> allSessions() {
    List<GatewaySession> all = new java.util.ArrayList<>(sessions.values());
    all.addAll(rawSessions.values());
    return all;
  }

  /** The timer used for holds; exposed for tests of the session layer. */
  ScheduledExecutorService timer() {
    return timer;
  }
}
