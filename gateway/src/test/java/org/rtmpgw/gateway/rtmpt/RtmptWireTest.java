package org.rtmpgw.gateway.rtmpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RawHttpClient;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * Byte-exact HTTP framing of every RTMPT exchange, as librtmp, FFmpeg, HaishinKit and Shumway need
 * it (wire notes sections 2, 5, 6 and 12), checked on raw sockets against an in-process gateway
 * and a fake RTMP upstream.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RtmptWireTest extends GatewayTestBase {
  /** The header checks every RTMPT answer must pass, whatever its status. */
  private static void assertKeepAliveFraming(RawResponse r) {
    assertThat(r.headerLines())
        .as("Content-Length in canonical case, one space, equal to the body length (librtmp)")
        .filteredOn(l -> l.regionMatches(true, 0, "content-length:", 0, 15))
        .containsExactly("Content-Length: " + r.body().length);
    assertThat(r.headers("Transfer-Encoding")).isEmpty();
    assertThat(r.announcesClose()).as("Connection: close breaks FFmpeg and librtmp").isFalse();
    assertThat(r.rawHeaderBytes().length)
        .as("status line + headers must fit librtmp's 16 KB buffer with room to spare")
        .isLessThan(1024);
  }

  /** Checks of every 200 RTMPT answer: the exact content type and no-cache. */
  private static void assertRtmptOk(RawResponse r) {
    assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
    assertThat(r.headerLines())
        .as("Content-Type exactly application/x-fcs, no charset (HaishinKit compares strings)")
        .filteredOn(l -> l.regionMatches(true, 0, "content-type:", 0, 13))
        .containsExactly("Content-Type: application/x-fcs");
    assertThat(r.headerLines()).contains("Cache-Control: no-cache");
    assertKeepAliveFraming(r);
  }

  @Test
  void openAnswersIdAndOneLineFeedWithExactHeaders() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);

    RawResponse r = http.post("/open/1", RtmptTestSession.ZERO);

    assertRtmptOk(r);
    String body = new String(r.body(), StandardCharsets.US_ASCII);
    assertThat(body).matches("[A-Za-z0-9-]{22,31}\n");
    assertThat(body.chars().filter(c -> c == '\n').count()).isEqualTo(1);
    assertThat(body).doesNotContain("\r");
    upstream.awaitConnection(WAIT);
    assertThat(g.session(body.substring(0, body.length() - 1))).isNotNull();
  }

  @Test
  void openAcceptsEmptyAndMissingBodies() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);

    RawResponse empty = http.post("/open/1", new byte[0]); // RootEncoder sends no body
    assertRtmptOk(empty);
    // no Content-Length at all: an empty body; and a second open on the same connection
    http.sendRaw(http.requestBytes("POST", "/open/1", List.of("Connection: keep-alive"), null));
    RawResponse noLength = http.readResponse();
    assertRtmptOk(noLength);
    assertThat(noLength.bodyText()).matches("[A-Za-z0-9-]{22,31}\n");
    assertThat(empty.bodyText()).isNotEqualTo(noLength.bodyText());
    assertThat(g.sessionCount()).isEqualTo(2);
  }

  @Test
  void sendOfC0C1ReachesUpstreamExactlyAndReplyStartsWithPollingByte() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] c0c1 = Bytes.c0c1();

    RawResponse r = s.send(c0c1);

    assertRtmptOk(r);
    assertThat(r.body()).isNotEmpty();
    assertThat(r.body()[0]).isEqualTo((byte) 0x01);
    assertThat(conn.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);
  }

  @Test
  void idleCarriesBufferedUpstreamBytesAfterPollingByte() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] s0s1s2 = Bytes.pattern(3000, 1);

    conn.send(s0s1s2);
    await()
        .atMost(WAIT)
        .until(() -> g.session(s.id()).stats().bufferedDownstream() == s0s1s2.length);
    RawResponse r = s.idle();

    assertRtmptOk(r);
    byte[] expected = new byte[s0s1s2.length + 1];
    expected[0] = 0x01;
    System.arraycopy(s0s1s2, 0, expected, 1, s0s1s2.length);
    assertThat(r.body()).isEqualTo(expected);
  }

  @Test
  void pollingByteClimbsRed5LadderOnEmptyIdlesAndDropsBackWithData() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    List<Integer> bytes = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      RawResponse r = s.idle();
      assertRtmptOk(r);
      assertThat(r.body()).hasSize(1);
      bytes.add(r.body()[0] & 0xff);
    }
    assertThat(bytes)
        .containsExactly(
            0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x03, 0x05, 0x09, 0x11,
            0x21, 0x21);

    conn.send(new byte[] {42, 43});
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().bufferedDownstream() == 2);
    assertThat(s.idle().body()).containsExactly(0x01, 42, 43);
    assertThat(s.idle().body()).as("ladder restarted by data").containsExactly(0x01);
  }

  @Test
  void closeAnswersSingleZeroByteClosesUpstreamAndLaterIdleIs404() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    assertThat(s.idle().status()).isEqualTo(200);

    RawResponse closed = s.close();

    assertRtmptOk(closed);
    assertThat(closed.body()).containsExactly(0x00);
    assertThat(conn.awaitClosedByPeer(WAIT)).as("upstream connection closed").isTrue();
    RawResponse after = s.idle();
    assertThat(after.status()).isEqualTo(404);
    assertThat(after.headerLines()).contains("Content-Length: 0");
    assertThat(after.body()).isEmpty();
    assertKeepAliveFraming(after);
    await().atMost(WAIT).until(() -> g.sessionCount() == 0);
  }

  @Test
  void closeWithoutSeqAndWithEmptyBodyIsHonoured() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    RawResponse closed = http.post("/close/" + s.id(), new byte[0]); // HaishinKit form

    assertRtmptOk(closed);
    assertThat(closed.body()).containsExactly(0x00);
    assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
    // closing again, or a Shumway-style /close/2, is not an error either
    assertThat(http.post("/close/" + s.id(), new byte[0]).body()).containsExactly(0x00);
    RawResponse shumway = http.post("/close/2", RtmptTestSession.ZERO);
    assertRtmptOk(shumway);
    assertThat(shumway.body()).containsExactly(0x00);
  }

  @Test
  void ident2IsA404WithEmptyBodyByDefault() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);

    RawResponse r = http.post("/fcs/ident2", RtmptTestSession.ZERO);

    assertThat(r.statusLine()).startsWith("HTTP/1.1 404 ");
    assertThat(r.body()).isEmpty();
    assertThat(r.headerLines()).contains("Content-Length: 0");
    assertKeepAliveFraming(r);
    assertThat(http.post("/fcs/ident2", RtmptTestSession.ZERO).status())
        .as("connection still usable")
        .isEqualTo(404);
  }

  @Test
  void ident2AnswersConfiguredBodyWhenStatusIs200() throws Exception {
    RunningGateway g = gateway(Map.of("ident-status", "200", "ident-body", "x"));
    RawHttpClient http = client(g);

    RawResponse r = http.post("/fcs/ident2", RtmptTestSession.ZERO);

    assertRtmptOk(r);
    assertThat(r.body()).containsExactly('x');
  }

  @Test
  void getIsRefusedWith405AndAllowPost() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);

    RawResponse r = http.get("/open/1");

    assertThat(r.statusLine()).startsWith("HTTP/1.1 405 ");
    assertThat(r.headers("Allow")).containsExactly("POST");
    assertKeepAliveFraming(r);
    assertThat(g.sessionCount()).isZero();
    assertThat(upstream.connectionCount()).isZero();
    assertThat(http.post("/fcs/ident2", RtmptTestSession.ZERO).status()).isEqualTo(404);
  }

  @Test
  void unknownSessionIdIs404WithContentLengthZero() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);

    for (String path :
        List.of("/idle/NoSuchSession0000000000/0", "/send/NoSuchSession0000000000/3")) {
      RawResponse r = http.post(path, RtmptTestSession.ZERO);
      assertThat(r.statusLine()).as(path).startsWith("HTTP/1.1 404 ");
      assertThat(r.headerLines()).as(path).contains("Content-Length: 0");
      assertThat(r.body()).isEmpty();
      assertKeepAliveFraming(r);
    }
  }

  @Test
  void malformedPathsAre400AndConnectionStaysUsable() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    upstream.awaitConnection(WAIT);
    String id = s.id();
    List<String> bad =
        List.of(
            "/send/abc",
            "/send/" + id + "/-1",
            "/send/" + id + "/x",
            "/open/2",
            "/idle//1",
            "/send/" + id + "/1/2");
    List<String> closedBy = new ArrayList<>();
    for (String path : bad) {
      RawResponse r = http.post(path, RtmptTestSession.ZERO);
      assertThat(r.status()).as(path).isEqualTo(400);
      assertThat(r.headers("Transfer-Encoding")).as(path).isEmpty();
      if (r.announcesClose() || http.isClosedByServer(Duration.ofMillis(50))) {
        closedBy.add(path);
        http = client(g);
      } else {
        assertThat(http.post("/fcs/ident2", RtmptTestSession.ZERO).status())
            .as("keep-alive connection usable after " + path)
            .isEqualTo(404);
      }
    }
    RawResponse notRtmpt = http.post("/index.html", RtmptTestSession.ZERO);
    assertThat(notRtmpt.status()).isEqualTo(404);
    assertKeepAliveFraming(notRtmpt);
    assertThat(http.post("/fcs/ident2", RtmptTestSession.ZERO).status()).isEqualTo(404);
    // none of the malformed requests may have hurt the session
    RawResponse idle = client(g).post(s.path("idle", 0), RtmptTestSession.ZERO);
    assertThat(idle.status()).isEqualTo(200);
    assertThat(closedBy).as("malformed paths after which the server dropped keep-alive").isEmpty();
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] c0c1 = Bytes.c0c1();

    byte[] send = http.postBytes(s.path("send", 0), c0c1);
    byte[] ident = http.postBytes("/fcs/ident2", RtmptTestSession.ZERO);
    byte[] idle = http.postBytes(s.path("idle", 1), RtmptTestSession.ZERO);
    byte[] close = http.postBytes(s.path("close", 2), RtmptTestSession.ZERO);
    http.sendRaw(concat(send, ident, idle, close));

    RawResponse r1 = http.readResponse();
    RawResponse r2 = http.readResponse();
    RawResponse r3 = http.readResponse();
    RawResponse r4 = http.readResponse();
    assertRtmptOk(r1);
    assertThat(r1.body()).containsExactly(0x01);
    assertThat(r2.status()).isEqualTo(404);
    assertRtmptOk(r3);
    assertThat(r3.body()).containsExactly(0x01);
    assertRtmptOk(r4);
    assertThat(r4.body()).containsExactly(0x00);
    assertThat(conn.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);
    assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
  }

  @Test
  void pipelinedSendsCarryingUpstreamReplyKeepOrder() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    int n = 50;
    byte[][] bodies = new byte[n][];
    byte[][] requests = new byte[n][];
    for (int i = 0; i < n; i++) {
      bodies[i] = Bytes.pattern(100 + i * 37, i);
      requests[i] = http.postBytes(s.path("send", i), bodies[i]);
    }

    http.sendRaw(concat(requests));

    for (int i = 0; i < n; i++) {
      RawResponse r = http.readResponse();
      assertRtmptOk(r);
      assertThat(r.body()).as("send reply #" + i + ": just the polling byte").hasSize(1);
      assertThat(r.body()[0]).as("polling byte, never 0x00 mid-session").isBetween((byte) 1, (byte) 0x21);
    }
    byte[] expected = concat(bodies);
    assertThat(conn.awaitBytes(expected.length, WAIT)).isEqualTo(expected);
  }

  @Test
  void thousandsOfRequestsOnOneKeepAliveConnectionAreAllAnswered() throws Exception {
    // no rate limit: this client polls far faster than max-requests-per-second allows
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0", "max-requests-per-second", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    upstream.awaitConnection(WAIT);

    for (int i = 0; i < 2000; i++) {
      RawResponse r = s.idle();
      assertThat(r.status()).as("idle #" + i).isEqualTo(200);
      assertThat(r.announcesClose()).as("Connection: close on idle #" + i).isFalse();
      assertThat(r.body()).hasSize(1);
    }
    assertThat(http.isClosedByServer(Duration.ofMillis(50))).isFalse();
  }

  private static byte[] concat(byte[]... parts) {
    int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
    byte[] all = new byte[n];
    int off = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, off, p.length);
      off += p.length;
    }
    return all;
  }

  @Test
  void nodeIdPrefixesSessionIdWithinThirtyOneChars() throws Exception {
    RunningGateway g = gateway(Map.of("node-id", "edge7"));
    RawHttpClient http = client(g);

    RawResponse r = http.post("/open/1", RtmptTestSession.ZERO);

    assertRtmptOk(r);
    assertThat(r.bodyText()).matches("edge7-[A-Za-z0-9]{22}\n");
    assertThat(r.body().length - 1).isLessThanOrEqualTo(31);
  }

  @Test
  void sendIdleAndCloseAcceptEmptyAndLargeBodies() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] big = Bytes.pattern(3 << 20, 3); // FFmpeg may batch several video frames in one POST

    RawResponse empty = http.post(s.path("send", 0), new byte[0]);
    RawResponse emptyIdle = http.post(s.path("idle", 1), new byte[0]);
    RawResponse large = http.post(s.path("send", 2), big);
    RawResponse emptyClose = http.post(s.path("close", 3), new byte[0]);

    assertRtmptOk(empty);
    assertThat(empty.body()).hasSize(1);
    assertRtmptOk(emptyIdle);
    assertThat(emptyIdle.body()).hasSize(1);
    assertRtmptOk(large);
    assertThat(large.body()).hasSize(1);
    assertRtmptOk(emptyClose);
    assertThat(emptyClose.body()).containsExactly(0x00);
    assertThat(Arrays.mismatch(conn.awaitBytes(big.length, WAIT), big)).isEqualTo(-1);
  }
}
