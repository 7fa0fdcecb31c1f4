package org.rtmpgw.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.session.TunnelSession;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RawHttpClient;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * The upstream side of a session over real sockets: refusal, end of stream, idle holds,
 * back-pressure, reaping, shutdown, oversized bodies, resets and stalls.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UpstreamLifecycleTest extends GatewayTestBase {
  @Test
  void refusedUpstreamAnswersOpenWith502NamingTheUpstream() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    String target = "127.0.0.1:" + closedPort;
    RunningGateway g =
        track(RunningGateway.start(target, Map.of("upstream-connect-timeout-ms", "2000")));
    RawHttpClient http = client(g);

    long start = System.nanoTime();
    RawResponse r = http.post("/open/1", RtmptTestSession.ZERO);
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(r.status()).isEqualTo(502);
    assertThat(r.header("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    assertThat(r.bodyText()).contains(target);
    assertThat(millis).as("within the connect timeout").isLessThan(2500);
    assertThat(r.announcesClose()).isFalse();
    assertThat(http.post("/fcs/ident2", RtmptTestSession.ZERO).status())
        .as("gateway still answers on the same connection")
        .isEqualTo(404);
    assertThat(g.sessionCount()).isZero();
  }

  @Test
  void upstreamDataThenFinIsDeliveredWholeThenClosingByteThen404() throws Exception {
    int replyMax = 16384;
    RunningGateway g = gateway(Map.of("reply-max-bytes", Integer.toString(replyMax)));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] data = Bytes.pattern(200 * 1024, 200);

    conn.send(data);
    conn.closeOutput();

    ByteArrayOutputStream got = new ByteArrayOutputStream();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (got.size() < data.length) {
      assertThat(System.nanoTime()).as("all data within 10 s").isLessThan(deadline);
      RawResponse r = s.idle();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body().length).isBetween(1, replyMax + 1);
      assertThat(r.body()[0])
          .as("no closing byte before all %d bytes are delivered (got %d)", data.length, got.size())
          .isNotEqualTo((byte) 0);
      got.write(r.body(), 1, r.body().length - 1);
    }
    assertThat(Arrays.mismatch(got.toByteArray(), data)).as("first mismatching byte").isEqualTo(-1);
    RawResponse end = s.idle();
    assertThat(end.status()).isEqualTo(200);
    assertThat(end.body()).containsExactly(0x00);
    assertThat(s.idle().status()).isEqualTo(404);
    assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
    await().atMost(WAIT).until(() -> g.sessionCount() == 0);
  }

  @Test
  void heldIdleIsReleasedAsSoonAsUpstreamSendsBytes() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "2000"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    long start = System.nanoTime();
    http.sendRaw(http.postBytes(s.path("idle", 0), RtmptTestSession.ZERO));
    Thread.sleep(200); // the idle is parked by now; an unheld idle would already be answered
    conn.send(new byte[] {7, 8, 9});
    RawResponse r = http.readResponse();
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).as("held, then released with the data").containsExactly(0x01, 7, 8, 9);
    assertThat(millis).as("well before the 2 s hold").isLessThan(1500);
  }

  @Test
  void heldIdleIsReleasedByNewerRequestOfSameSession() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "2000"));
    RawHttpClient a = client(g);
    RawHttpClient b = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    long start = System.nanoTime();
    a.sendRaw(a.postBytes(s.path("idle", 0), RtmptTestSession.ZERO));
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 1);
    Thread.sleep(100);
    RawResponse send = b.post(s.path("send", 1), new byte[] {5, 6});
    RawResponse idle = a.readResponse();
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(idle.status()).isEqualTo(200);
    assertThat(idle.body()).containsExactly(0x01);
    assertThat(send.status()).isEqualTo(200);
    assertThat(millis).as("well before the 2 s hold").isLessThan(1500);
    assertThat(conn.awaitBytes(2, WAIT)).containsExactly(5, 6);
  }

  /**
   * An idle is not held when a newer request of the same session is already parked behind it:
   * here seq 2 (a send, from a parallel connection as Flash Player does) is parked before idle
   * seq 1 starts; holding idle 1 would make send 2 wait the whole hold too.
   */
  @Test
  void idleWhoseSuccessorIsAlreadyParkedIsNotHeld() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "2000"));
    RawHttpClient a = client(g);
    RawHttpClient b = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    assertThat(a.post(s.path("send", 0), new byte[] {1}).status()).isEqualTo(200);
    b.sendRaw(b.postBytes(s.path("send", 2), new byte[] {3})); // arrives before seq 1
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 2);

    long start = System.nanoTime();
    RawResponse idle = a.post(s.path("idle", 1), RtmptTestSession.ZERO);
    RawResponse send2 = b.readResponse();
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(idle.status()).isEqualTo(200);
    assertThat(send2.status()).isEqualTo(200);
    assertThat(conn.awaitBytes(2, WAIT)).containsExactly(1, 3);
    assertThat(millis)
        .as("a parked newer request must not wait for the idle hold (2000 ms)")
        .isLessThan(1000);
  }

  @Test
  void slowClientBackPressuresUpstreamWithoutLosingBytes() throws Exception {
    int bufferBytes = 65536;
    int replyMax = 16384;
    RunningGateway g =
        gateway(
            Map.of(
                "downstream-buffer-bytes", Integer.toString(bufferBytes),
                "reply-max-bytes", Integer.toString(replyMax),
                "idle-hold-ms", "20"));
    upstream.sendBufferBytes(64 * 1024); // fixed kernel buffer: the bound below is meaningful
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    int total = 8 << 20;
    byte[] data = Bytes.pattern(total, 8);

    FakeRtmpUpstream.BackgroundWrite writer = conn.sendInBackground(data, 16 * 1024);
    Thread.sleep(2000); // the client does not poll

    long writtenWhileStalled = writer.bytesWritten();
    System.out.println("back-pressure: upstream wrote " + writtenWhileStalled + " of " + total
        + " bytes while the client did not poll");
    TunnelSession session = g.session(s.id());
    int buffered = session.stats().bufferedDownstream();
    assertThat(writer.isDone()).as("upstream writer must be blocked").isFalse();
    assertThat(writtenWhileStalled).as("bytes the upstream got rid of").isLessThan(4L << 20);
    assertThat(buffered).as("gateway buffer is bounded").isBetween(1, bufferBytes);

    ByteArrayOutputStream got = new ByteArrayOutputStream(total);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int maxBuffered = buffered;
    while (got.size() < total) {
      assertThat(System.nanoTime()).as("all data within 20 s").isLessThan(deadline);
      RawResponse r = s.idle();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body().length).isBetween(1, replyMax + 1);
      assertThat(r.body()[0]).isNotEqualTo((byte) 0);
      got.write(r.body(), 1, r.body().length - 1);
      maxBuffered = Math.max(maxBuffered, session.stats().bufferedDownstream());
    }
    assertThat(writer.await(WAIT)).as("writer finished").isTrue();
    assertThat(got.size()).isEqualTo(total);
    assertThat(Arrays.mismatch(got.toByteArray(), data)).as("first mismatching byte").isEqualTo(-1);
    assertThat(maxBuffered).isLessThanOrEqualTo(bufferBytes);
    assertThat(s.idle().body()).as("nothing more, nothing duplicated").hasSize(1);
  }

  /**
   * After the upstream sent its last bytes and FIN, a client request that happens to be a send
   * (librtmp posts RTMP acknowledgements as sends) still gets the buffered bytes, and 0x00 only
   * once they are delivered, exactly as an idle would.
   */
  @Test
  void sendAfterUpstreamEofStillDeliversBufferedBytes() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] last = Bytes.pattern(1000, 1000); // e.g. a final onStatus / _error before the close
    conn.send(last);
    conn.closeOutput();
    assertThat(conn.awaitClosedByPeer(WAIT)).as("gateway saw the EOF").isTrue();
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().bufferedDownstream() == 1000);

    ByteArrayOutputStream got = new ByteArrayOutputStream();
    RawResponse r = s.send(new byte[] {2, 0, 0, 0, 0, 0, 4, 3}); // an RTMP ack, say
    int polls = 0;
    while (r.status() == 200 && r.body()[0] != 0 && polls++ < 10) {
      got.write(r.body(), 1, r.body().length - 1);
      r = s.idle();
    }
    if (r.status() == 200) {
      got.write(r.body(), 1, r.body().length - 1);
    }

    assertThat(got.size())
        .as("bytes the upstream sent before its FIN that reached the client before the closing byte")
        .isEqualTo(last.length);
    assertThat(Arrays.mismatch(got.toByteArray(), last)).isEqualTo(-1);
  }

  @Test
  void sessionWithoutRequestsIsReapedAfterInactivityTimeout() throws Exception {
    RunningGateway g = gateway(Map.of("session-inactivity-timeout-ms", "1000"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    assertThat(g.sessionCount()).isEqualTo(1);

    long start = System.nanoTime();
    assertThat(conn.awaitClosedByPeer(WAIT)).as("upstream closed by the reaper").isTrue();
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(millis).as("not before the timeout").isGreaterThanOrEqualTo(700);
    await().atMost(WAIT).until(() -> g.sessionCount() == 0);
    assertThat(s.idle().status()).isEqualTo(404);
  }

  @Test
  void stopClosesEveryUpstreamConnection() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    List<FakeRtmpUpstream.Connection> conns = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RtmptTestSession.open(http);
      conns.add(upstream.awaitConnection(WAIT));
    }
    assertThat(g.sessionCount()).isEqualTo(3);

    g.stop();

    for (FakeRtmpUpstream.Connection c : conns) {
      assertThat(c.awaitClosedByPeer(WAIT)).as(c.toString()).isTrue();
    }
    assertThat(g.sessionCount()).isZero();
  }

  @Test
  void oversizedBodyIs413AndEndsTheSession() throws Exception {
    RunningGateway g = gateway(Map.of("request-body-max-bytes", "2048"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    RawResponse r = http.post(s.path("send", 0), Bytes.pattern(4096, 4));

    assertThat(r.status()).isEqualTo(413);
    assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(conn.received()).isEmpty();
    RawHttpClient fresh = client(g);
    assertThat(fresh.post(s.path("idle", 1), RtmptTestSession.ZERO).status()).isEqualTo(404);
  }

  /**
   * A 413 for an oversized Content-Length announces {@code Connection: close}: the unread body
   * stays on the connection, so the client must not reuse it.
   */
  @Test
  void oversizedContentLengthAnswer413AnnouncesConnectionClose() throws Exception {
    RunningGateway g = gateway(Map.of("request-body-max-bytes", "2048"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    upstream.awaitConnection(WAIT);

    RawResponse r = http.post(s.path("send", 0), Bytes.pattern(4096, 4));

    assertThat(r.status()).isEqualTo(413);
    assertThat(r.headers("Connection")).as("Connection header of the 413").containsExactly("close");
    assertThat(http.isClosedByServer(Duration.ofSeconds(2))).isTrue();
  }

  @Test
  void chunkedRequestBodyUnderLimitIsForwarded() throws Exception {
    RunningGateway g = gateway(Map.of("request-body-max-bytes", "2048"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] body = Bytes.pattern(1500, 15);

    http.sendRaw(
        http.chunkedPostBytes(
            s.path("send", 0),
            List.of(
                Arrays.copyOfRange(body, 0, 1), Arrays.copyOfRange(body, 1, 1000),
                Arrays.copyOfRange(body, 1000, 1500))));
    RawResponse r = http.readResponse();

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).containsExactly(0x01);
    assertThat(conn.awaitBytes(body.length, WAIT)).isEqualTo(body);
    assertThat(http.post(s.path("idle", 1), RtmptTestSession.ZERO).status()).isEqualTo(200);
  }

  @Test
  void chunkedRequestBodyOverLimitIs413AndEndsTheSession() throws Exception {
    RunningGateway g = gateway(Map.of("request-body-max-bytes", "2048"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] body = Bytes.pattern(3000, 30);

    http.sendRaw(
        http.chunkedPostBytes(
            s.path("send", 0),
            List.of(Arrays.copyOfRange(body, 0, 1500), Arrays.copyOfRange(body, 1500, 3000))));
    RawResponse r = http.readResponse();

    assertThat(r.status()).isEqualTo(413);
    assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(conn.received()).isEmpty();
    assertThat(client(g).post(s.path("idle", 1), RtmptTestSession.ZERO).status()).isEqualTo(404);
  }

  @Test
  void upstreamResetEndsSessionAndReleasesHeldIdleWithClosingByte() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "2000"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    long start = System.nanoTime();
    http.sendRaw(http.postBytes(s.path("idle", 0), RtmptTestSession.ZERO));
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 1);
    conn.reset();
    RawResponse r = http.readResponse();
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).containsExactly(0x00);
    assertThat(millis).isLessThan(1500);
    assertThat(s.idle().status()).isEqualTo(404);
    await().atMost(WAIT).until(() -> g.sessionCount() == 0);
  }

  @Test
  void upstreamThatStopsReadingEndsSessionWithWriteStall() throws Exception {
    RunningGateway g = gateway(Map.of("upstream-write-timeout-ms", "1000"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    assertThat(s.send(Bytes.c0c1()).status()).isEqualTo(200);
    conn.awaitBytes(1537, WAIT);
    conn.stopReading(); // the RTMP server hangs: it never reads again
    TunnelSession session = g.session(s.id());
    byte[] chunk = Bytes.pattern(1 << 20, 1);

    // Each send is answered once written upstream; kernel buffers absorb a few MB, then one hangs
    // until the stall timer ends the session, which answers it with the closing byte.
    RawResponse last = null;
    long start = System.nanoTime();
    for (int i = 0; i < 64; i++) {
      last = s.send(chunk);
      assertThat(last.status()).isEqualTo(200);
      if (last.body()[0] == 0) {
        break;
      }
    }
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(last.body()).as("the stalled send ends with the closing byte").containsExactly(0x00);
    assertThat(session.stats().closeReason()).isEqualTo(CloseReason.UPSTREAM_WRITE_STALL);
    assertThat(millis).isLessThan(6000);
    assertThat(s.idle().status()).isEqualTo(404);
    assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
  }

  @Test
  void upstreamResettingOnAcceptLeavesNoSessionBehind() throws Exception {
    RunningGateway g = gateway(Map.of());
    upstream.policy(FakeRtmpUpstream.Policy.RESET_ON_ACCEPT);
    RawHttpClient http = client(g);

    for (int i = 0; i < 20; i++) {
      RawResponse r = http.post("/open/1", RtmptTestSession.ZERO);
      assertThat(r.status()).isIn(200, 502);
      if (r.status() == 200) {
        String id = r.bodyText().trim();
        RawResponse idle = http.post("/idle/" + id + "/0", RtmptTestSession.ZERO);
        // either the closing byte (upstream gone) or 404 (already reaped), never a live poll
        if (idle.status() == 200) {
          assertThat(idle.body()).containsExactly(0x00);
        } else {
          assertThat(idle.status()).isEqualTo(404);
        }
      }
    }
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(g.server().registry().sessions())
                    .as("sessions whose upstream reset at once")
                    .isEmpty());
  }

  @Test
  void upstreamFinOnAcceptIsReportedWithClosingByte() throws Exception {
    RunningGateway g = gateway(Map.of());
    upstream.policy(FakeRtmpUpstream.Policy.FIN_ON_ACCEPT);
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    RawResponse r = s.idle();

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).containsExactly(0x00);
    assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(s.idle().status()).isEqualTo(404);
    await().atMost(WAIT).until(() -> g.sessionCount() == 0);
  }
}
