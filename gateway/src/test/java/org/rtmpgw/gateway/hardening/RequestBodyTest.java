package org.rtmpgw.gateway.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RawHttpClient;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * Request bodies that lie about their length, are chunked, are too large, or carry a malformed
 * Content-Length: each gets a defined answer, no byte reaches the upstream twice or out of turn,
 * and the session either goes on intact or ends with a logged reason.
 *
 * <p>Already covered elsewhere: a declared or chunked body over the limit is 413 and ends the
 * session, a chunked body under it is forwarded ({@code UpstreamLifecycleTest}).
 */
@Timeout(value = 40, unit = TimeUnit.SECONDS)
class RequestBodyTest extends GatewayTestBase {

  private static String send(String id, long seq, String headers) {
    return "POST /send/" + id + "/" + seq + " HTTP/1.1\r\nHost: gw\r\n" + headers + "\r\n";
  }

  @Test
  void aSendDeclaringMoreThanItSendsEndsAtTheHttpIdleTimeoutWith400() throws Exception {
    RunningGateway g = gateway(Map.of("http-idle-timeout-ms", "1000"));
    HealthySession healthy = track(HealthySession.open(g, upstream)).start();
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);

    try (LogCapture log = new LogCapture();
        Wire w = new Wire(g.port())) {
      // the send's turn has come, so its body is streamed upstream as it arrives
      w.write(send(s.id(), 0, "Content-Length: 100\r\n") + "0123456789");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(8));

      assertThat(a.status()).as(a.toString()).isEqualTo(400);
      assertThat(a.text()).endsWith("\r\n\r\nrequest body could not be read");
      assertThat(a.closed()).isTrue();
      assertThat(a.millis()).as("answered at the HTTP idle timeout").isBetween(800L, 4000L);
      assertThat(c.awaitClosedByPeer(WAIT)).as("upstream closed").isTrue();
      assertThat(c.received())
          .as("the 10 bytes that arrived were already streamed; nothing else")
          .isEqualTo("0123456789".getBytes(StandardCharsets.US_ASCII));
      log.awaitLine("session closed id=" + s.id() + " .* reason=body-read-failed", WAIT);
    }
    assertThat(g.server().registry().closedCount(CloseReason.BODY_READ_FAILED)).isEqualTo(1);
    assertThat(Metrics.closed(g, "rtmpt", "body-read-failed")).isEqualTo(1);
    assertThat(client(g).post(s.path("idle", 1), RtmptTestSession.ZERO).status()).isEqualTo(404);
    healthy.stopAndVerify(3);
  }

  @Test
  void aParkedSendDeclaringMoreThanItSendsForwardsNothingAndEndsTheSession() throws Exception {
    RunningGateway g = gateway(Map.of("http-idle-timeout-ms", "1000", "idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    assertThat(http.post(s.path("idle", 0), RtmptTestSession.ZERO).status()).isEqualTo(200);

    try (Wire w = new Wire(g.port())) {
      // seq 2 waits for seq 1, so its body is collected in memory, never streamed
      w.write(send(s.id(), 2, "Content-Length: 100\r\n") + "0123456789");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(8));

      assertThat(a.status()).as(a.toString()).isEqualTo(400);
      assertThat(a.text()).endsWith("\r\n\r\nrequest body could not be read");
      assertThat(a.millis()).isBetween(800L, 4000L);
    }
    assertThat(c.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(c.received()).as("nothing of the incomplete body").isEmpty();
    assertThat(g.server().registry().closedCount(CloseReason.BODY_READ_FAILED)).isEqualTo(1);
  }

  /**
   * With the default settings the HTTP idle timeout (120 s) is longer than the servlet's own
   * async timeout (reorder + write + hold + 5 s = 20.1 s), so a stalled body is cut off by the
   * latter. Here it is scaled down to 5.2 s. The request is answered (a 5xx, connection closed)
   * and nothing beyond the bytes that arrived is forwarded.
   */
  @Test
  void aStalledSendBodyIsCutOffAtTheContainerTimeout() throws Exception {
    RunningGateway g =
        gateway(
            Map.of(
                "http-idle-timeout-ms", "60000",
                "reorder-timeout-ms", "100",
                "upstream-write-timeout-ms", "100",
                "idle-hold-ms", "0"));
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);

    try (Wire w = new Wire(g.port())) {
      w.write(send(s.id(), 0, "Content-Length: 100\r\n") + "0123456789");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(15));

      assertThat(a.status()).as(a.toString()).isBetween(500, 503);
      assertThat(a.closed()).isTrue();
      assertThat(a.millis()).as("the container timeout, 5.2 s").isBetween(4500L, 9000L);
    }
    assertThat(c.received()).isEqualTo("0123456789".getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * DEFECT: after the container timeout above, the session is never closed. Its send stays "in
   * progress" ({@code TunnelSession.streaming} is never reset, as neither {@code StreamingBody}
   * nor {@code RtmptServlet.TimeoutAnswer} ends the {@code StreamedSend}), {@code checkTimers}
   * skips the inactivity timeout while streaming, and the sequencer keeps seq 0 in progress so the
   * seq-gap timer never runs either. The session keeps its upstream connection and its admission
   * slot (max-sessions, max-sessions-per-client) until the gateway stops; even an upstream reset
   * does not end it, and every later request of it waits for the container timeout in turn.
   */
  @Test
  void aStalledSendBodyEndsItsSessionAndFreesItsSlot() throws Exception {
    RunningGateway g = gateway(stalledSendSettings());
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);

    try (Wire w = new Wire(g.port())) {
      w.write(send(s.id(), 0, "Content-Length: 100\r\n") + "0123456789");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(15));
      assertThat(a.status()).as(a.toString()).isBetween(500, 503);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> assertThat(g.sessionCount()).as("sessions left after the cut-off").isZero());
    assertThat(c.awaitClosedByPeer(WAIT)).isTrue();
    g.awaitPooledBuffersGivenBack(WAIT); // the cut-off body's slice too
    assertThat(client(g).post("/open/1", RtmptTestSession.ZERO).status())
        .as("the slot of max-sessions-per-client is free again")
        .isEqualTo(200);
  }

  /**
   * DEFECT: {@code RtmptServlet.TimeoutAnswer.onTimeout} logs "answering 503" but the client gets
   * Jetty's HTML 500 "AsyncContext timeout": {@code AsyncResponder} writes through a {@code
   * WriteListener}, so nothing is written or completed before {@code onTimeout} returns, and the
   * container then produces its own error response.
   */
  @Test
  void aRequestCutOffByTheContainerTimeoutIsAnswered503() throws Exception {
    RunningGateway g = gateway(stalledSendSettings());
    RtmptTestSession s = RtmptTestSession.open(client(g));
    upstream.awaitConnection(WAIT);

    try (Wire w = new Wire(g.port())) {
      w.write(send(s.id(), 0, "Content-Length: 100\r\n") + "0123456789");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(15));
      assertThat(a.status()).as(a.toString()).isEqualTo(503);
      assertThat(a.text()).endsWith("\r\n\r\nrequest timed out");
    }
  }

  /** Scales the container timeout down to 5.2 s; one client per address. */
  private static Map<String, String> stalledSendSettings() {
    return Map.of(
        "http-idle-timeout-ms", "60000",
        "reorder-timeout-ms", "100",
        "upstream-write-timeout-ms", "100",
        "idle-hold-ms", "0",
        "session-inactivity-timeout-ms", "1000",
        "max-sessions-per-client", "1");
  }

  @Test
  void aSendDeclaringLessThanItSendsForwardsTheDeclaredBytesAndTheRestIsABadRequest()
      throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);

    try (Wire w = new Wire(g.port())) {
      w.write(send(s.id(), 0, "Content-Length: 3\r\n") + "ABC" + "XGARBAGE\r\n\r\n");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(5));

      assertThat(a.responses()).as(a.toString()).isEqualTo(2);
      assertThat(a.text()).startsWith("HTTP/1.1 200 ");
      assertThat(a.text()).contains("Content-Length: 1\r\n\r\n\u0001HTTP/1.1 400 ");
      assertThat(a.closed()).as("the connection ends after the 400").isTrue();
    }
    assertThat(c.awaitBytes(3, WAIT)).containsExactly('A', 'B', 'C');
    // the session is intact: the next seq goes on, on a new connection
    RawHttpClient http = client(g);
    assertThat(http.post(s.path("send", 1), new byte[] {'D'}).status()).isEqualTo(200);
    assertThat(c.awaitBytes(4, WAIT)).containsExactly('A', 'B', 'C', 'D');
    Thread.sleep(100);
    assertThat(c.receivedCount()).isEqualTo(4);
  }

  @Test
  void aSendDeclaringLessWhoseRestIsAWholeRequestServesItAsTheNextOfTheConnection()
      throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    RawHttpClient http = client(g);

    // what a desynchronised proxy would produce: the tail of the body is itself a request
    http.sendRaw(
        (send(s.id(), 0, "Content-Length: 2\r\n") + "AB" + send(s.id(), 1, "Content-Length: 2\r\n") + "CD")
            .getBytes(StandardCharsets.US_ASCII));

    assertThat(http.readResponse().status()).isEqualTo(200);
    assertThat(http.readResponse().status()).isEqualTo(200);
    assertThat(c.awaitBytes(4, WAIT)).containsExactly('A', 'B', 'C', 'D');
  }

  @Test
  void malformedContentLengthsAre400WithConnectionCloseAndNeverReachTheSession() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    Map<String, String> cases =
        Map.of(
            "Content-Length: abc\r\n", "Invalid Content-Length Value",
            "Content-Length: -1\r\n", "Invalid Content-Length Value",
            "Content-Length: +1\r\n", "Invalid Content-Length Value",
            "Content-Length: 1, 1\r\n", "Invalid Content-Length Value",
            "Content-Length: 1\r\nContent-Length: 1\r\n", "Multiple Content-Lengths",
            "Content-Length: 1\r\nContent-Length: 2\r\n", "Multiple Content-Lengths",
            "Content-Length: 99999999999999999999999\r\n", "Bad Request",
            "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n",
                "Transfer-Encoding and Content-Length");

    for (Map.Entry<String, String> e : cases.entrySet()) {
      try (Wire w = new Wire(g.port())) {
        w.write(send(s.id(), 0, e.getKey()) + "1\r\nX\r\n0\r\n\r\n");
        Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(5));
        assertThat(a.status()).as(e.getKey() + " -> " + a).isEqualTo(400);
        assertThat(a.text()).as(e.getKey()).contains("Connection: close").contains(e.getValue());
        assertThat(a.closed()).as(e.getKey()).isTrue();
      }
    }

    assertThat(g.session(s.id()).stats().requests()).as("the servlet never saw them").isZero();
    assertThat(c.receivedCount()).isZero();
    assertThat(s.send(new byte[] {7}).status()).isEqualTo(200);
    assertThat(c.awaitBytes(1, WAIT)).containsExactly(7);
  }

  @Test
  void aHugeDeclaredLengthIs413AtOnceWithoutReadingAndEndsTheSession() throws Exception {
    RunningGateway g = gateway(Map.of());
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);

    try (LogCapture log = new LogCapture();
        Wire w = new Wire(g.port())) {
      w.write(send(s.id(), 0, "Content-Length: 9223372036854775807\r\n") + "ABC");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(5));

      assertThat(a.status()).as(a.toString()).isEqualTo(413);
      assertThat(a.text())
          .contains("Connection: close")
          .endsWith("\r\n\r\nrequest body larger than 16777216 bytes");
      assertThat(a.millis()).as("no waiting for a body that will not be read").isLessThan(2000);
      log.awaitLine(
          "Content-Length 9223372036854775807 exceeds 16777216; refused", WAIT);
      log.awaitLine("session closed id=" + s.id() + " .* reason=body-too-large", WAIT);
    }
    assertThat(c.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(c.received()).isEmpty();
    assertThat(Metrics.limitHits(g, "request-body-max-bytes")).isEqualTo(1);
    assertThat(Metrics.closed(g, "rtmpt", "body-too-large")).isEqualTo(1);
  }

  @Test
  void bodiesOverTheLimitDeclaredOrChunkedAreCountedAndLogged() throws Exception {
    RunningGateway g = gateway(Map.of("request-body-max-bytes", "2048"));
    RtmptTestSession declared = RtmptTestSession.open(client(g));
    upstream.awaitConnection(WAIT);
    RtmptTestSession chunked = RtmptTestSession.open(client(g));
    upstream.awaitConnection(WAIT);

    try (LogCapture log = new LogCapture()) {
      RawHttpClient a = client(g);
      assertThat(a.post(declared.path("send", 0), Bytes.pattern(2049, 1)).status()).isEqualTo(413);
      RawHttpClient b = client(g);
      b.sendRaw(
          b.chunkedPostBytes(
              chunked.path("send", 0), List.of(Bytes.pattern(2000, 2), Bytes.pattern(49, 3))));
      RawResponse r = b.readResponse();
      assertThat(r.status()).isEqualTo(413);
      assertThat(r.bodyText()).isEqualTo("request body larger than 2048 bytes");

      log.awaitLine("Content-Length 2049 exceeds 2048; refused", WAIT);
      log.awaitLine("exceeds 2048 bytes \\(chunked\\); refused", WAIT);
    }
    await().atMost(WAIT).until(() -> g.sessionCount() == 0);
    assertThat(Metrics.limitHits(g, "request-body-max-bytes")).isEqualTo(2);
    assertThat(Metrics.closed(g, "rtmpt", "body-too-large")).isEqualTo(2);
  }

  @Test
  void aBodyExactlyAtTheLimitIsAccepted() throws Exception {
    RunningGateway g = gateway(Map.of("request-body-max-bytes", "2048"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    byte[] declared = Bytes.pattern(2048, 4);
    byte[] chunked = Bytes.pattern(2048, 5);

    assertThat(s.send(declared).status()).isEqualTo(200);
    http.sendRaw(
        http.chunkedPostBytes(
            s.path("send", s.takeSeq()),
            List.of(Arrays.copyOfRange(chunked, 0, 1024), Arrays.copyOfRange(chunked, 1024, 2048))));
    assertThat(http.readResponse().status()).isEqualTo(200);

    byte[] want = new byte[4096];
    System.arraycopy(declared, 0, want, 0, 2048);
    System.arraycopy(chunked, 0, want, 2048, 2048);
    assertThat(c.awaitBytes(4096, WAIT)).isEqualTo(want);
  }

  @Test
  void chunkedSendsOfOneByteChunksWithExtensionsAndTrailersAreForwardedOnceInOrder()
      throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    byte[] first = Bytes.pattern(300, 10);
    byte[] second = Bytes.pattern(5000, 11);
    byte[] third = Bytes.pattern(700, 12);

    byte[] chunkedFirst = oneByteChunks("/send/" + s.id() + "/0", first);
    http.sendRaw(chunkedFirst);
    RawResponse r0 = http.readResponse();
    assertThat(r0.status()).isEqualTo(200);
    // a retry of the chunked send (same seq, same chunks) is replayed, not forwarded again
    http.sendRaw(chunkedFirst);
    assertThat(http.readResponse().body()).isEqualTo(r0.body());
    List<byte[]> parts = new ArrayList<>();
    for (int off = 0; off < second.length; off += 1000) {
      parts.add(Arrays.copyOfRange(second, off, Math.min(second.length, off + 1000)));
    }
    http.sendRaw(http.chunkedPostBytes("/send/" + s.id() + "/1", parts));
    assertThat(http.readResponse().status()).isEqualTo(200);
    assertThat(http.post("/send/" + s.id() + "/2", third).status()).isEqualTo(200);

    ByteArrayOutputStream want = new ByteArrayOutputStream();
    want.writeBytes(first);
    want.writeBytes(second);
    want.writeBytes(third);
    byte[] got = c.awaitBytes(want.size(), WAIT);
    Thread.sleep(100);
    assertThat(Arrays.mismatch(c.received(), want.toByteArray())).isEqualTo(-1);
    assertThat(got.length).isEqualTo(want.size());
  }

  @Test
  void aMalformedChunkEndsTheSendWith400AndTheSession() throws Exception {
    RunningGateway g = gateway(Map.of());
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);

    try (Wire w = new Wire(g.port())) {
      w.write(send(s.id(), 0, "Transfer-Encoding: chunked\r\n") + "zz\r\nA\r\n0\r\n\r\n");
      Wire.Answer a = w.readUntilClosed(Duration.ofSeconds(5));
      assertThat(a.status()).as(a.toString()).isEqualTo(400);
      assertThat(a.text()).endsWith("\r\n\r\nrequest body could not be read");
      assertThat(a.closed()).isTrue();
    }
    assertThat(c.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(c.received()).isEmpty();
    assertThat(g.server().registry().closedCount(CloseReason.BODY_READ_FAILED)).isEqualTo(1);
  }

  /** A chunked POST whose body is sent one byte per chunk, with chunk extensions and a trailer. */
  private static byte[] oneByteChunks(String path, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ("POST " + path + " HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    for (byte b : body) {
      out.writeBytes("1;ext=\"x\"\r\n".getBytes(StandardCharsets.US_ASCII));
      out.write(b);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes("0\r\nX-Trailer: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }
}
