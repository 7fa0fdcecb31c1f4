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
import org.rtmpgw.gateway.session.TunnelSession;
import org.rtmpgw.it.harness.Poll;

/**
 * Samples an in-process gateway's {@link TunnelRegistry} every few milliseconds while a test runs:
 * the largest number of concurrent sessions, and every session object ever seen.
 *
 * <p>The registry forgets a session when it closes, but the {@link TunnelSession} object keeps its
 * {@link TunnelSession.Stats} (close reason included), so holding on to the objects seen lets a
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
  private final Set<TunnelSession> seen = Collections.newSetFromMap(new IdentityHashMap<>());

  private final List<TunnelSession> order = new ArrayList<>();

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
  List<TunnelSession> sample() {
    List<TunnelSession> live = registry.sessions();
    maxConcurrent.accumulateAndGet(live.size(), Math::max);
    synchronized (seen) {
      for (TunnelSession s : live) {
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

  /** Every session seen so far, in order of first sight. */
  List<TunnelSession> seen() {
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
        .append(registry.size())
        .append(", max concurrent seen ")
        .append(maxConcurrent())
        .append('\n');
    for (TunnelSession s : seen()) {
      sb.append("    ").append(s.isClosed() ? "closed " : "live   ").append(s.stats()).append('\n');
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
