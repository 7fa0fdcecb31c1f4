package org.rtmpgw.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.rtmpgw.gateway.session.TunnelRegistry;
import org.rtmpgw.gateway.session.GatewaySession;
import org.rtmpgw.gateway.session.SessionStats;
import org.rtmpgw.gateway.session.Transport;
import org.rtmpgw.it.harness.Poll;

/**
 * Samples an in-process gateway's {@link TunnelRegistry} every few milliseconds while a test runs:
 * the largest number of concurrent sessions, and every session object ever seen.
 *
 * <p>The registry forgets a session when it closes, but the {@link GatewaySession} object keeps its
 * {@link SessionStats} (close reason included), so holding on to the objects seen lets a
 * test assert why each session ended without capturing log output.
 *
 * <p>Thread-safety: sampling runs on one daemon thread; the query methods may be called from any
 * thread.
 */
final class SessionWatch implements AutoCloseable {

  private static final long SAMPLE_MILLIS = 10;

  private final TunnelRegistry registry;
  private final ScheduledExecutorService sampler;
  private final AtomicInteger maxConcurrent = new AtomicInteger();

  /** Guarded by itself; insertion order = order of first sight. */
  private final Set<GatewaySession> seen = Collections.newSetFromMap(new IdentityHashMap<>());

  private final List<GatewaySession> order = new ArrayList<>();

  private SessionWatch(TunnelRegistry registry) {
    this.registry = registry;
    this.sampler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "it-session-watch");
              t.setDaemon(true);
              return t;
            });
  }

  static SessionWatch start(TunnelRegistry registry) {
    SessionWatch watch = new SessionWatch(registry);
    watch.sampler.scheduleWithFixedDelay(watch::sample, 0, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
    return watch;
  }

  /** Takes one sample now (also called by the sampler thread); returns the live sessions. */
  List<GatewaySession> sample() {
    List<GatewaySession> live = new ArrayList<>(registry.sessions());
    live.addAll(registry.rawSessions());
    maxConcurrent.accumulateAndGet(live.size(), Math::max);
    synchronized (seen) {
      for (GatewaySession s : live) {
        if (seen.add(s)) {
          order.add(s);
        }
      }
    }
    return live;
  }

  int maxConcurrent() {
    return maxConcurrent.get();
  }

  /** The transports of every session seen so far. */
  Set<Transport> transportsSeen() {
    Set<Transport> transports = java.util.EnumSet.noneOf(Transport.class);
    for (GatewaySession s : seen()) {
      transports.add(s.transport());
    }
    return transports;
  }

  /** Every session seen so far, in order of first sight. */
  List<GatewaySession> seen() {
    synchronized (seen) {
      return List.copyOf(order);
    }
  }

  /** Waits (bounded) until the registry holds no session. */
  boolean awaitEmpty(Duration timeout) throws InterruptedException {
    return Poll.until(timeout, Duration.ofMillis(20), () -> sample().isEmpty());
  }

  /** Stats of every session seen (live or closed) and the registry size: for messages. */
  String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("=== gateway sessions: registry size ")
        .append(registry.size() + registry.rawSize())
        .append(", max concurrent seen ")
        .append(maxConcurrent())
        .append('\n');
    for (GatewaySession s : seen()) {
      SessionStats stats = s.stats();
      sb.append("    ").append(stats.closeReason() != null ? "closed " : "live   ").append(stats);
      sb.append('\n');
    }
    return sb.toString();
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    try {
      sampler.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
