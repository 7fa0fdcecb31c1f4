package org.rtmpgw.gateway.upstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.rtmpgw.gateway.config.HostPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks periodically that the upstream accepts TCP connections, so that {@code /readyz} can tell
 * a load balancer to send new sessions elsewhere while it does not. Connects and closes at once;
 * writes nothing. Runs on the scheduler it is given (one thread for the whole gateway).
 */
public final class UpstreamProbe {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamProbe.class);

  private final HostPort target;
  private final Duration interval;
  private final Duration timeout;
  private volatile boolean up;
  private volatile String lastFailure = "not probed yet";

  public UpstreamProbe(HostPort target, Duration interval, Duration timeout) {
    this.target = target;
    this.interval = interval;
    this.timeout = timeout;
  }

  /** Starts probing; with a zero interval nothing is probed and the upstream counts as up. */
  public void start(ScheduledExecutorService scheduler) {
    if (interval.isZero()) {
      up = true;
      lastFailure = null;
      return;
    }
    scheduler.scheduleWithFixedDelay(this::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Probes once, now, on the calling thread. */
  public void probe() {
    boolean wasUp = up;
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress(target.host(), target.port()), (int) timeout.toMillis());
      up = true;
      lastFailure = null;
      if (!wasUp) {
        LOG.info("upstream {} accepts connections", target);
      }
    } catch (IOException | RuntimeException e) {
      up = false;
      lastFailure = UpstreamSelector.describe(e);
      if (wasUp) {
        LOG.warn("upstream {} unreachable: {}", target, lastFailure);
      }
    }
  }

  public boolean isUp() {
    return up;
  }

  /** Why the last probe failed, or null when it succeeded. */
  public String lastFailure() {
    return lastFailure;
  }
}
