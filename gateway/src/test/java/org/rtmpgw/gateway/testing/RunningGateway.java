package org.rtmpgw.gateway.testing;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.awaitility.Awaitility;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.server.GatewayServer;
import org.rtmpgw.gateway.session.TunnelSession;

/** An in-process gateway on an ephemeral loopback port, stopped by {@link #close()}. */
public final class RunningGateway implements AutoCloseable {
  private final GatewayServer server;
  private boolean stopped;

  private RunningGateway(GatewayServer server) {
    this.server = server;
  }

  /** Starts a gateway forwarding to {@code upstream} (host:port) with these setting overrides. */
  public static RunningGateway start(String upstream, Map<String, String> overrides)
      throws Exception {
    Map<String, String> values = new HashMap<>();
    values.put("upstream", upstream);
    values.put("listen", "127.0.0.1:0");
    values.put("listen-tls", "");
    values.put("management-listen", "127.0.0.1:0");
    values.put("upstream-probe-interval-ms", "0"); // tests count upstream connections
    values.putAll(overrides);
    GatewayServer server = new GatewayServer(GatewayConfig.defaults().with(values));
    server.start();
    return new RunningGateway(server);
  }

  public static RunningGateway start(FakeRtmpUpstream upstream, Map<String, String> overrides)
      throws Exception {
    return start(upstream.hostPort(), overrides);
  }

  public static RunningGateway start(FakeRtmpUpstream upstream) throws Exception {
    return start(upstream, Map.of());
  }

  public GatewayServer server() {
    return server;
  }

  public int port() {
    return server.httpPort();
  }

  /** A new keep-alive client connection to this gateway. */
  public RawHttpClient client() throws java.io.IOException {
    return new RawHttpClient(port());
  }

  /** The live session with this id; fails if there is none. */
  public TunnelSession session(String id) {
    TunnelSession s = server.registry().find(id);
    if (s == null) {
      throw new AssertionError("no live session " + id);
    }
    return s;
  }

  /** Waits, up to {@code wait}, until every pooled buffer is back in its pool. */
  public void awaitPooledBuffersGivenBack(Duration wait) {
    Awaitility.await()
        .atMost(wait)
        .untilAsserted(
            () ->
                Assertions.assertThat(server.pooledBuffersInUse())
                    .as("pooled buffers not given back")
                    .isZero());
  }

  public int sessionCount() {
    return server.registry().size();
  }

  public void stop() throws Exception {
    if (!stopped) {
      stopped = true;
      server.stop();
    }
  }

  @Override
  public void close() throws Exception {
    stop();
  }
}
