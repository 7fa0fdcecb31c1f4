package org.rtmpgw.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/** The management listener: metrics that move with traffic, health, readiness and drain. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ManagementEndpointsTest extends GatewayTestBase {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private HttpResponse<String> get(RunningGateway g, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.server().managementPort() + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(RunningGateway g, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.server().managementPort() + path))
            .timeout(Duration.ofSeconds(5))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of one sample line of the exposition, e.g. {@code name{labels}}; -1 if absent. */
  private static double sample(String metrics, String nameAndLabels) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  @Test
  void healthAndReadinessWithAReachableUpstream() throws Exception {
    RunningGateway g = gateway(Map.of("upstream-probe-interval-ms", "200"));
    assertThat(get(g, "/healthz").statusCode()).isEqualTo(200);
    await().atMost(WAIT).until(() -> get(g, "/readyz").statusCode() == 200);
    assertThat(get(g, "/nothing").statusCode()).isEqualTo(404);
    assertThat(post(g, "/metrics").statusCode()).isEqualTo(405);
  }

  @Test
  void notReadyWhileTheUpstreamIsDown() throws Exception {
    RunningGateway g = gateway(Map.of("upstream-probe-interval-ms", "200"));
    await().atMost(WAIT).until(() -> get(g, "/readyz").statusCode() == 200);
    upstream.close();
    await().atMost(WAIT).until(() -> get(g, "/readyz").statusCode() == 503);
    assertThat(get(g, "/readyz").body()).contains("upstream", "unreachable");
    assertThat(get(g, "/healthz").statusCode()).as("alive all the same").isEqualTo(200);
    assertThat(
            sample(
                get(g, "/metrics").body(),
                "rtmpgw_upstream_up{group=\"default\",server=\"" + upstream.hostPort() + "\"}"))
        .isEqualTo(0);
  }

  @Test
  void metricsMoveWithTraffic() throws Exception {
    RunningGateway g = gateway(Map.of());
    String before = get(g, "/metrics").body();
    assertThat(sample(before, "rtmpgw_sessions_active{transport=\"rtmpt\"}")).isEqualTo(0);
    assertThat(before).contains("jvm_memory_used_bytes");

    RtmptTestSession rtmpt = RtmptTestSession.open(client(g));
    var up = upstream.awaitConnection(WAIT);
    rtmpt.send(Bytes.c0c1());
    up.awaitBytes(1537, WAIT);
    up.send(Bytes.pattern(1000, 1));
    Socket raw = track(new Socket());
    raw.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
    raw.getOutputStream().write(Bytes.c0c1());
    upstream.awaitConnection(WAIT).awaitBytes(1537, WAIT);

    String during = get(g, "/metrics").body();
    assertThat(sample(during, "rtmpgw_sessions_active{transport=\"rtmpt\"}")).isEqualTo(1);
    assertThat(sample(during, "rtmpgw_sessions_active{transport=\"rtmp\"}")).isEqualTo(1);
    assertThat(sample(during, "rtmpgw_sessions_opened_total{transport=\"rtmpt\"}")).isEqualTo(1);
    assertThat(sample(during, "rtmpgw_bytes_total{direction=\"upstream\",transport=\"rtmpt\"}"))
        .isEqualTo(1537);
    assertThat(sample(during, "rtmpgw_bytes_total{direction=\"upstream\",transport=\"rtmp\"}"))
        .isEqualTo(1537);
    assertThat(sample(during, "rtmpgw_rtmpt_requests_total{command=\"open\",status=\"200\"}"))
        .isEqualTo(1);
    assertThat(sample(during, "rtmpgw_upstream_connect_seconds_count")).isEqualTo(2);

    rtmpt.close();
    await()
        .atMost(WAIT)
        .until(
            () ->
                sample(
                        get(g, "/metrics").body(),
                        "rtmpgw_sessions_closed_total{reason=\"client-close\",transport=\"rtmpt\"}")
                    == 1);
    String after = get(g, "/metrics").body();
    assertThat(sample(after, "rtmpgw_sessions_active{transport=\"rtmpt\"}")).isEqualTo(0);
    assertThat(sample(after, "rtmpgw_bytes_total{direction=\"upstream\",transport=\"rtmpt\"}"))
        .as("bytes of closed sessions are kept")
        .isEqualTo(1537);
    assertThat(client(g).post("/send/nope/1", new byte[] {1}).status()).isEqualTo(404);
    assertThat(
            sample(
                get(g, "/metrics").body(),
                "rtmpgw_rtmpt_requests_total{command=\"send\",status=\"404\"}"))
        .isEqualTo(1);
  }

  @Test
  void drainRefusesNewSessionsLetsRunningOnesFinishThenStops() throws Exception {
    RunningGateway g = gateway(Map.of("drain-timeout-ms", "20000"));
    CountDownLatch drained = new CountDownLatch(1);
    g.server().afterDrain(drained::countDown);
    RtmptTestSession running = RtmptTestSession.open(client(g));
    upstream.awaitConnection(WAIT);

    assertThat(post(g, "/admin/drain").statusCode()).isEqualTo(202);
    await().atMost(WAIT).until(() -> get(g, "/readyz").statusCode() == 503);
    assertThat(get(g, "/readyz").body()).contains("draining");
    RawResponse refused = client(g).post("/open/1", RtmptTestSession.ZERO);
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.bodyText()).contains("draining");
    Socket raw = track(new Socket());
    raw.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
    raw.setSoTimeout(5_000);
    raw.getOutputStream().write(Bytes.c0c1());
    assertThat(raw.getInputStream().read()).as("raw connection refused").isEqualTo(-1);

    // the running session still works during the drain
    running.send(new byte[] {1, 2, 3});
    assertThat(drained.getCount()).isEqualTo(1);
    running.close();
    assertThat(drained.await(10, TimeUnit.SECONDS)).as("drain ends when the last session does").isTrue();
  }

  @Test
  void drainClosesWhatRemainsAtItsTimeout() throws Exception {
    RunningGateway g = gateway(Map.of("drain-timeout-ms", "500"));
    CountDownLatch drained = new CountDownLatch(1);
    g.server().afterDrain(drained::countDown);
    RtmptTestSession.open(client(g));
    var up = upstream.awaitConnection(WAIT);
    long start = System.nanoTime();
    post(g, "/admin/drain");
    assertThat(drained.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat((System.nanoTime() - start) / 1_000_000).isBetween(400L, 8_000L);
    assertThat(up.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(g.sessionCount()).isZero();
  }
}
