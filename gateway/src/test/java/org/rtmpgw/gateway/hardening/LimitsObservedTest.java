package org.rtmpgw.gateway.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RawHttpClient;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * Each configured limit, when hit, gives its answer, one log line and its metric sample, as
 * listed in docs/RELIABILITY.md. Limits whose answer is tested elsewhere are checked here for
 * their log line and metric; the others (body size, reorder window, downstream buffer,
 * inactivity) are checked in the other classes of this package.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LimitsObservedTest extends GatewayTestBase {
  @TempDir Path certificates;

  @Test
  void maxSessionsRefusesRtmptAndRawWithALineEachAndCountsThem() throws Exception {
    RunningGateway g = gateway(Map.of("max-sessions", "1", "max-sessions-per-client", "0"));
    RtmptTestSession.open(client(g));
    upstream.awaitConnection(WAIT);

    try (LogCapture log = new LogCapture()) {
      RawResponse refused = client(g).post("/open/1", RtmptTestSession.ZERO);
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.bodyText()).isEqualTo("too many sessions (max-sessions)");
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
        raw.setSoTimeout(5_000);
        raw.getOutputStream().write(Bytes.c0c1());
        assertThat(raw.getInputStream().read()).as("raw connection closed").isEqualTo(-1);
      }
      log.awaitLine("refused /open/1 from 127\\.0\\.0\\.1:\\d+: max-sessions reached \\(1 live sessions\\)", WAIT);
      log.awaitLine("refused raw connection from 127\\.0\\.0\\.1:\\d+: max-sessions reached", WAIT);
    }
    assertThat(Metrics.limitHits(g, "max-sessions")).isEqualTo(2);
    assertThat(upstream.connectionCount()).isEqualTo(1);
  }

  @Test
  void maxSessionsPerClientIs429WithALine() throws Exception {
    RunningGateway g = gateway(Map.of("max-sessions-per-client", "1"));
    RtmptTestSession.open(client(g));

    try (LogCapture log = new LogCapture()) {
      RawResponse refused = client(g).post("/open/1", RtmptTestSession.ZERO);
      assertThat(refused.status()).isEqualTo(429);
      assertThat(refused.bodyText()).isEqualTo("too many sessions (max-sessions-per-client)");
      log.awaitLine("refused /open/1 from 127\\.0\\.0\\.1:\\d+: max-sessions-per-client reached", WAIT);
    }
    assertThat(Metrics.limitHits(g, "max-sessions-per-client")).isEqualTo(1);
  }

  @Test
  void maxRequestsPerSecondEndsTheSessionWithALineAndCloseReason() throws Exception {
    RunningGateway g = gateway(Map.of("max-requests-per-second", "20", "idle-hold-ms", "0"));
    RtmptTestSession s = RtmptTestSession.open(client(g));
    upstream.awaitConnection(WAIT);

    try (LogCapture log = new LogCapture()) {
      RawResponse r;
      int sent = 0;
      do {
        r = s.idle();
        sent++;
      } while (r.status() == 200 && sent < 200);
      assertThat(r.status()).isEqualTo(429);
      assertThat(r.bodyText()).isEqualTo("more than 20 requests per second");
      log.awaitLine(s.id() + " .*exceeded 20 requests/s \\(max-requests-per-second\\); closing it", WAIT);
      log.awaitLine("session closed id=" + s.id() + " .* reason=request-rate", WAIT);
    }
    assertThat(Metrics.limitHits(g, "max-requests-per-second")).isEqualTo(1);
    assertThat(Metrics.closed(g, "rtmpt", "request-rate")).isEqualTo(1);
  }

  @Test
  void reorderTimeoutEndsTheSessionAsSeqGapAndCountsIt() throws Exception {
    RunningGateway g = gateway(Map.of("reorder-timeout-ms", "300"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    upstream.awaitConnection(WAIT);
    assertThat(http.post(s.path("send", 0), new byte[] {1}).status()).isEqualTo(200);

    try (LogCapture log = new LogCapture()) {
      RawResponse parked = http.post(s.path("send", 2), new byte[] {2}); // seq 1 never comes
      assertThat(parked.body()).containsExactly(0x00);
      log.awaitLine("session closed id=" + s.id() + " .* reason=seq-gap", WAIT);
    }
    assertThat(Metrics.limitHits(g, "reorder-timeout-ms")).isEqualTo(1);
    assertThat(Metrics.closed(g, "rtmpt", "seq-gap")).isEqualTo(1);
  }

  @Test
  void upstreamWriteTimeoutEndsTheSessionAsWriteStallAndCountsIt() throws Exception {
    RunningGateway g = gateway(Map.of("upstream-write-timeout-ms", "500"));
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    conn.stopReading();
    byte[] chunk = Bytes.pattern(1 << 20, 1);

    try (LogCapture log = new LogCapture()) {
      RawResponse last = null;
      for (int i = 0; i < 64; i++) {
        last = s.send(chunk);
        if (last.body()[0] == 0) {
          break;
        }
      }
      assertThat(last.body()).containsExactly(0x00);
      log.awaitLine("session closed id=" + s.id() + " .* reason=upstream-write-stall", WAIT);
    }
    assertThat(Metrics.limitHits(g, "upstream-write-timeout-ms")).isEqualTo(1);
    assertThat(Metrics.closed(g, "rtmpt", "upstream-write-stall")).isEqualTo(1);
  }

  /**
   * An upstream whose accept queue is full never completes the TCP handshake (Linux drops the
   * SYN), so the connect runs into upstream-connect-timeout-ms.
   */
  @Test
  void upstreamConnectTimeoutIs502WithALineAndCountsIt() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      List<Socket> fillers = new ArrayList<>();
      try {
        for (int i = 0; i < 8; i++) {
          Socket f = new Socket();
          try {
            f.connect(new InetSocketAddress("127.0.0.1", silent.getLocalPort()), 200);
            fillers.add(f);
          } catch (IOException queueFull) {
            f.close();
            break;
          }
        }
        String target = "127.0.0.1:" + silent.getLocalPort();
        RunningGateway g =
            track(RunningGateway.start(target, Map.of("upstream-connect-timeout-ms", "500")));

        try (LogCapture log = new LogCapture()) {
          long start = System.nanoTime();
          RawResponse r = client(g).post("/open/1", RtmptTestSession.ZERO);
          long millis = (System.nanoTime() - start) / 1_000_000;

          assertThat(r.status()).isEqualTo(502);
          assertThat(r.bodyText()).startsWith("upstream unreachable: ").contains(target, "Timeout");
          assertThat(millis).as("at the connect timeout").isBetween(400L, 3000L);
          log.awaitLine(
              "no upstream of group 'default' reachable for client 127\\.0\\.0\\.1:\\d+: .*"
                  + java.util.regex.Pattern.quote(target)
                  + ".*Timeout",
              WAIT);
        }
        assertThat(Metrics.limitHits(g, "upstream-connect-timeout-ms")).isEqualTo(1);
        assertThat(Metrics.value(g, "rtmpgw_upstream_connect_failures_total")).isEqualTo(1);
        assertThat(g.sessionCount()).isZero();
      } finally {
        for (Socket f : fillers) {
          f.close();
        }
      }
    }
  }

  @Test
  void sniffTimeoutClosesWithALineAndCountsIt() throws Exception {
    RunningGateway g = gateway(Map.of("sniff-timeout-ms", "500"));

    try (LogCapture log = new LogCapture();
        Wire w = new Wire(g.port())) {
      w.write("P");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(5));
      assertThat(a.closed()).isTrue();
      assertThat(a.bytes()).isEmpty();
      log.awaitLine("closed connection from 127\\.0\\.0\\.1:\\d+ on 127\\.0\\.0\\.1:\\d+: sniff-timeout after 500 ms", WAIT);
    }
    // at least ours (a stray connection from another process on this host may add one)
    double refused = Metrics.value(g, "rtmpgw_connections_refused_total{reason=\"sniff-timeout\"}");
    assertThat(refused).isGreaterThanOrEqualTo(1);
    assertThat(Metrics.limitHits(g, "sniff-timeout-ms")).isEqualTo(refused);
  }

  @Test
  void tlsHandshakeTimeoutClosesWithALineAndCountsIt() throws Exception {
    Map<String, String> settings = new HashMap<>();
    settings.put("listen-tls", "127.0.0.1:0");
    settings.put("tls-generated-dir", certificates.toString());
    settings.put("tls-handshake-timeout-ms", "500");
    RunningGateway g = gateway(settings);

    try (LogCapture log = new LogCapture();
        Wire w = new Wire(g.server().tlsPort())) {
      // the first bytes of a ClientHello record header, then nothing
      w.write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01});
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(5));
      assertThat(a.closed()).isTrue();
      log.awaitLine("closed connection from 127\\.0\\.0\\.1:\\d+ on 127\\.0\\.0\\.1:\\d+: tls-handshake-timeout after 500 ms", WAIT);
    }
    double refused =
        Metrics.value(g, "rtmpgw_connections_refused_total{reason=\"tls-handshake-timeout\"}");
    assertThat(refused).isGreaterThanOrEqualTo(1);
    assertThat(Metrics.limitHits(g, "tls-handshake-timeout-ms")).isEqualTo(refused);
  }

  /**
   * A raw RTMP connection silent both ways for raw-idle-timeout-ms ends as idle-timeout; its hit
   * is counted under its own setting's label, not under the RTMPT inactivity timeout.
   */
  @Test
  void rawIdleTimeoutEndsTheRawSessionAsIdleTimeout() throws Exception {
    RunningGateway g = gateway(Map.of("raw-idle-timeout-ms", "1000"));

    try (LogCapture log = new LogCapture();
        Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
      raw.setSoTimeout(5_000);
      raw.getOutputStream().write(Bytes.c0c1());
      FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
      conn.awaitBytes(1537, WAIT);
      assertThat(raw.getInputStream().read()).as("closed by the gateway").isEqualTo(-1);
      assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
      log.awaitLine("session closed id=\\S+ transport=rtmp .* reason=idle-timeout", WAIT);
    }
    assertThat(g.server().registry().closedCount(CloseReason.IDLE_TIMEOUT)).isEqualTo(1);
    assertThat(Metrics.closed(g, "rtmp", "idle-timeout")).isEqualTo(1);
    assertThat(Metrics.limitHits(g, "raw-idle-timeout-ms")).isEqualTo(1);
    assertThat(Metrics.limitHits(g, "session-inactivity-timeout-ms")).isZero();
  }

  @Test
  void aHeaderBlockOverRequestHeaderMaxBytesIs431AndTouchesNoSession() throws Exception {
    RunningGateway g = gateway(Map.of("request-header-max-bytes", "4096", "idle-hold-ms", "0"));
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    try (Wire w = new Wire(g.port())) {
      w.write(
          "POST " + s.path("send", 0) + " HTTP/1.1\r\nHost: gw\r\nX-Pad: " + "a".repeat(5000)
              + "\r\nContent-Length: 1\r\n\r\nX");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(5));
      assertThat(a.status()).as(a.toString()).isEqualTo(431);
      assertThat(a.closed()).isTrue();
    }
    assertThat(g.session(s.id()).stats().requests()).isZero();
    assertThat(s.send(new byte[] {5}).status()).isEqualTo(200);
    assertThat(conn.awaitBytes(1, WAIT)).containsExactly(5);
    Thread.sleep(100);
    assertThat(conn.receivedCount()).isEqualTo(1);
  }

  /**
   * DEFECT: the issue asks for a metric and a log line for every limit, but a header block over
   * request-header-max-bytes is answered by Jetty's HTTP parser (431) before any gateway code
   * runs: nothing is logged at INFO and nothing is counted.
   */
  @Test
  void aHeaderBlockOverRequestHeaderMaxBytesIsLoggedAndCounted() throws Exception {
    RunningGateway g = gateway(Map.of("request-header-max-bytes", "4096"));

    try (LogCapture log = new LogCapture();
        Wire w = new Wire(g.port())) {
      w.write("POST /open/1 HTTP/1.1\r\nHost: gw\r\nX-Pad: " + "a".repeat(5000) + "\r\n\r\n");
      assertThat(w.readUntilClosed(Duration.ofSeconds(5)).status()).isEqualTo(431);
      log.awaitLine("request-header-max-bytes", WAIT);
    }
    assertThat(Metrics.limitHits(g, "request-header-max-bytes")).isEqualTo(1);
  }
}
