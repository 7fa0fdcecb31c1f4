package org.rtmpgw.gateway.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * Slow-loris clients: headers and bodies trickled a byte at a time, or stalled half way.
 *
 * <p>What bounds them today (measured here): {@code sniff-timeout-ms} until the first three bytes
 * say HTTP, then {@code http-idle-timeout-ms}, which Jetty re-arms on every byte received. Request
 * headers have no absolute deadline at all; a request body is cut off by the servlet's async
 * timeout (reorder-timeout + upstream-write-timeout + idle-hold + 5 s, 20.1 s by default), which
 * starts once the headers are complete.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowLorisTest extends GatewayTestBase {
  private static final byte[] OPEN =
      ("POST /open/1 HTTP/1.1\r\nHost: gw\r\nUser-Agent: Shockwave Flash\r\n"
              + "Content-Type: application/x-fcs\r\nContent-Length: 1\r\n\r\n\0")
          .getBytes(StandardCharsets.ISO_8859_1);

  /**
   * No absolute header deadline: a client that sends one header byte every 300 ms keeps its
   * connection (a file descriptor and Jetty buffers, no thread) for 6 s, six times the HTTP idle
   * timeout and the sniff timeout, and is then served. At the default 120 s idle timeout a 64 KiB
   * header block could be stretched over months.
   */
  @Test
  void headerBytesTrickledWithinTheIdleTimeoutKeepTheConnectionWithoutAnyDeadline()
      throws Exception {
    RunningGateway g = gateway(Map.of("http-idle-timeout-ms", "1000", "sniff-timeout-ms", "1000"));

    try (Wire w = new Wire(g.port())) {
      long start = System.nanoTime();
      int sent = 0;
      while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(6000)) {
        w.write(new byte[] {OPEN[sent++]});
        Thread.sleep(300);
      }
      assertThat(sent).as("header bytes trickled").isLessThan(OPEN.length - 20);
      w.write(Arrays.copyOfRange(OPEN, sent, OPEN.length));
      Wire.Answer a = w.read(Duration.ofMillis(500), Duration.ofSeconds(5));
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertThat(a.status()).as("served after %d ms of trickled headers: %s", millis, a).isEqualTo(200);
      assertThat(millis).isGreaterThanOrEqualTo(6000);
    }
    assertThat(g.sessionCount()).isEqualTo(1);
  }

  @Test
  void aConnectionSilentInTheMiddleOfItsHeadersIsClosedAtTheHttpIdleTimeoutWithoutAnswer()
      throws Exception {
    RunningGateway g = gateway(Map.of("http-idle-timeout-ms", "1000", "sniff-timeout-ms", "5000"));

    try (LogCapture log = new LogCapture();
        Wire w = new Wire(g.port())) {
      w.write(Arrays.copyOfRange(OPEN, 0, 30));
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(8));

      assertThat(a.closed()).isTrue();
      assertThat(a.bytes()).as("closed without an answer").isEmpty();
      assertThat(a.millis()).as("at the HTTP idle timeout, not the sniff timeout").isBetween(800L, 3000L);
      assertThat(log.lines("closed connection from")).as("not counted as a refusal").isEmpty();
    }
    assertThat(g.sessionCount()).isZero();
    assertThat(upstream.connectionCount()).isZero();
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAtTheHttpIdleTimeout() throws Exception {
    RunningGateway g = gateway(Map.of("http-idle-timeout-ms", "1000", "sniff-timeout-ms", "5000"));

    try (Wire w = new Wire(g.port())) {
      w.write(OPEN);
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(8));

      assertThat(a.status()).isEqualTo(200);
      assertThat(a.closed()).isTrue();
      assertThat(a.millis()).as("closed after a second of silence").isBetween(800L, 3000L);
    }
  }

  /**
   * A send whose turn has come is streamed: every trickled byte is forwarded as it arrives, and
   * the session is not reaped for inactivity meanwhile (a send in progress is activity). The
   * request is cut off at the container timeout (5.2 s here), not at the HTTP idle timeout (1 s),
   * which each byte re-arms. What happens to the session afterwards is a defect, see {@code
   * RequestBodyTest#aStalledSendBodyEndsItsSessionAndFreesItsSlot}.
   */
  @Test
  void aSendBodyTrickledWithinTheIdleTimeoutIsForwardedAsItArrivesUntilTheContainerTimeout()
      throws Exception {
    RunningGateway g =
        gateway(
            Map.of(
                "http-idle-timeout-ms", "1000",
                "reorder-timeout-ms", "100",
                "upstream-write-timeout-ms", "100",
                "idle-hold-ms", "0",
                "session-inactivity-timeout-ms", "1000"));
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    byte[] body = new byte[60];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) i;
    }

    try (Wire w = new Wire(g.port())) {
      w.write("POST " + s.path("send", 0) + " HTTP/1.1\r\nHost: gw\r\nContent-Length: 60\r\n\r\n");
      long start = System.nanoTime();
      int sent = 0;
      boolean aliveAfterThreeSeconds = false;
      try {
        while (sent < body.length) {
          w.write(new byte[] {body[sent]});
          sent++;
          Thread.sleep(300);
          if (!aliveAfterThreeSeconds && System.nanoTime() - start > TimeUnit.SECONDS.toNanos(3)) {
            aliveAfterThreeSeconds = g.server().registry().find(s.id()) != null;
          }
        }
      } catch (java.io.IOException e) {
        // the gateway closed the connection: the cut-off
      }
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(5));
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertThat(aliveAfterThreeSeconds)
          .as("session alive 3 s into the body (inactivity timeout 1 s)")
          .isTrue();
      assertThat(a.status()).as(a.toString()).isBetween(500, 503);
      assertThat(a.closed()).isTrue();
      assertThat(millis).as("cut off at the container timeout").isBetween(4500L, 9000L);
      assertThat(sent).as("bytes trickled before the cut").isBetween(10, 40);
      byte[] got = c.received();
      assertThat(got.length).as("forwarded as they arrived").isBetween(sent - 2, sent);
      assertThat(got).isEqualTo(Arrays.copyOf(body, got.length));
    }
  }

  /**
   * 200 connections trickling header bytes for 4 s (four HTTP idle timeouts) are all still open at
   * the end: there is no cap on connections that have not become sessions. A healthy session
   * streams byte-exact meanwhile.
   */
  @Test
  void manySlowLorisConnectionsStayOpenAndDoNotDisturbAHealthySession() throws Exception {
    RunningGateway g = gateway(Map.of("http-idle-timeout-ms", "1000", "sniff-timeout-ms", "5000"));
    HealthySession healthy = track(HealthySession.open(g, upstream)).start();
    List<Wire> loris = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      loris.add(track(new Wire(g.port())));
    }

    long start = System.nanoTime();
    int sent = 0;
    while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4)) {
      for (Wire w : loris) {
        w.write(new byte[] {OPEN[sent]});
      }
      sent++;
      Thread.sleep(300);
    }
    int open = 0;
    for (Wire w : loris) {
      if (!w.read(Duration.ofMillis(1), Duration.ofMillis(1)).closed()) {
        open++;
      }
    }

    assertThat(open).as("slow-loris connections still open after 4 s").isEqualTo(200);
    assertThat(g.sessionCount()).as("only the healthy session").isEqualTo(1);
    healthy.stopAndVerify(5);
  }
}
