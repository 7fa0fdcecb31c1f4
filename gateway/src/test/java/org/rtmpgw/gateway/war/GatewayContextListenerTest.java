package org.rtmpgw.gateway.war;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.RawHttpClient;
import org.rtmpgw.gateway.testing.RawResponse;

/**
 * The WAR's listener in a plain servlet context (Jetty's {@link ServletContextHandler}, standing in
 * for any container): it registers the RTMPT servlet from context parameters, and the context's
 * stop closes every session's upstream connection and ends the gateway's threads. The real
 * containers (Tomcat, Jetty's webapp deployer) are exercised in integration-tests.
 */
class GatewayContextListenerTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  private FakeRtmpUpstream upstream;
  private Server server;
  private Set<Thread> threadsBefore;

  @BeforeEach
  void startUpstream() throws Exception {
    upstream = FakeRtmpUpstream.start();
    threadsBefore = gatewayThreads();
  }

  @AfterEach
  void stopAll() throws Exception {
    if (server != null) {
      server.stop();
    }
    upstream.close();
  }

  private int start(String contextPath, Map<String, String> params) throws Exception {
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler(contextPath);
    context.setClassLoader(getClass().getClassLoader());
    params.forEach(context::setInitParameter);
    context.addEventListener(new GatewayContextListener());
    server.setHandler(context);
    server.start();
    return connector.getLocalPort();
  }

  @Test
  void servesRtmptFromContextParametersAndClosesEverythingOnStop() throws Exception {
    int port = start("/", Map.of("upstream", upstream.hostPort(), "idle-hold-ms", "0"));
    try (RawHttpClient client = new RawHttpClient(port)) {
      RawResponse open = client.post("/open/1", new byte[] {0});
      assertThat(open.status()).as(open::toString).isEqualTo(200);
      String id = open.bodyText().strip();
      FakeRtmpUpstream.Connection upstreamSide = upstream.awaitConnection(WAIT);

      RawResponse send = client.post("/send/" + id + "/1", "C0C1".getBytes(StandardCharsets.US_ASCII));
      assertThat(send.status()).as(send::toString).isEqualTo(200);
      assertThat(upstreamSide.awaitBytes(4, WAIT)).isEqualTo("C0C1".getBytes(StandardCharsets.US_ASCII));
      assertThat(gatewayThreads()).as("gateway threads while running").hasSizeGreaterThan(threadsBefore.size());

      server.stop();

      assertThat(upstreamSide.awaitClosedByPeer(WAIT))
          .as("the upstream connection is closed when the context stops")
          .isTrue();
      assertThat(names(newGatewayThreads()))
          .as("gateway threads left after the context stopped")
          .isEmpty();
    }
  }

  @Test
  void anInvalidConfigurationRegistersNothing() throws Exception {
    int port = start("/", Map.of("upstream", "nonsense", "idle_hold_ms", "5"));
    try (RawHttpClient client = new RawHttpClient(port)) {
      RawResponse open = client.post("/open/1", new byte[] {0});
      assertThat(open.status())
          .as("the container's own answer: Jetty's for a POST nothing is mapped to\n%s", open)
          .isIn(404, 405);
    }
    assertThat(upstream.connectionCount()).isZero();
    assertThat(names(newGatewayThreads())).as("no gateway thread was started").isEmpty();
  }

  @Test
  void underAContextPathItServesBelowThatPath() throws Exception {
    int port = start("/gw", Map.of("upstream", upstream.hostPort()));
    try (RawHttpClient client = new RawHttpClient(port)) {
      RawResponse open = client.post("/gw/open/1", new byte[] {0});
      assertThat(open.status()).as(open::toString).isEqualTo(200);
      assertThat(client.post("/open/1", new byte[] {0}).status())
          .as("the server root is not the gateway's")
          .isEqualTo(404);
    }
  }

  private Set<Thread> newGatewayThreads() throws InterruptedException {
    // the listener waits for its threads before the context's stop returns; allow a little
    // scheduling slack for a thread that is past its last line
    long deadline = System.nanoTime() + WAIT.toNanos();
    Set<Thread> left;
    do {
      left = gatewayThreads();
      left.removeAll(threadsBefore);
      if (left.isEmpty()) {
        break;
      }
      Thread.sleep(10);
    } while (System.nanoTime() < deadline);
    return left;
  }

  private static Set<Thread> gatewayThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("rtmpgw-"))
        .collect(Collectors.toSet());
  }

  private static Set<String> names(Set<Thread> threads) {
    return threads.stream().map(Thread::getName).collect(Collectors.toSet());
  }
}
