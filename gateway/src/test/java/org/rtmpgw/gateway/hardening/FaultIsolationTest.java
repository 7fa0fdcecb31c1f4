package org.rtmpgw.gateway.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
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
 * Faults of one session's upstream or client, each while a healthy session on the same gateway
 * streams both ways and must stay byte-exact.
 *
 * <p>Already covered in {@code UpstreamLifecycleTest}: upstream refuses (502), FIN, reset with a
 * held idle, blackhole (write stall), reset or FIN on accept, and a slow client back-pressuring
 * the upstream without loss; in {@code SequenceOverHttpTest}: a retry on the same connection after
 * the answer, and a retry of a held idle that is still held.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultIsolationTest extends GatewayTestBase {
  private static final Set<Byte> POLLING_BYTES =
      Set.of((byte) 0x01, (byte) 0x03, (byte) 0x05, (byte) 0x09, (byte) 0x11, (byte) 0x21);

  @Test
  void anUpstreamThatNeverAnswersTheHandshakeKeepsPollsEmptyUntilTheInactivityTimeout()
      throws Exception {
    RunningGateway g =
        gateway(Map.of("session-inactivity-timeout-ms", "1500", "idle-hold-ms", "50"));
    HealthySession healthy = track(HealthySession.open(g, upstream)).start();
    RtmptTestSession mute = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection muteConn = upstream.awaitConnection(WAIT);
    byte[] c0c1 = Bytes.c0c1();

    try (LogCapture log = new LogCapture()) {
      RawResponse first = mute.send(c0c1);
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).containsExactly(0x01);
      assertThat(muteConn.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);

      // the client keeps polling for S0S1S2 that never come: empty replies, session alive
      long pollUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
      int polls = 0;
      while (System.nanoTime() < pollUntil) {
        RawResponse r = mute.idle();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).as("poll %d carries no data", polls).hasSize(1);
        assertThat(POLLING_BYTES).as("poll %d polling byte", polls).contains(r.body()[0]);
        polls++;
        Thread.sleep(100);
      }
      assertThat(polls).isGreaterThan(10);
      assertThat(g.session(mute.id()).isClosed())
          .as("alive after 2.5 s of polling (inactivity timeout 1.5 s)")
          .isFalse();

      // the client gives up: the inactivity timeout ends the session and its upstream connection
      long stopped = System.nanoTime();
      assertThat(muteConn.awaitClosedByPeer(Duration.ofSeconds(6))).isTrue();
      long millis = (System.nanoTime() - stopped) / 1_000_000;
      assertThat(millis).as("closed at the inactivity timeout").isBetween(1200L, 4000L);
      log.awaitLine("session closed id=" + mute.id() + " .* reason=idle-timeout", WAIT);
    }
    assertThat(mute.idle().status()).isEqualTo(404);
    assertThat(g.server().registry().closedCount(CloseReason.IDLE_TIMEOUT)).isEqualTo(1);
    assertThat(Metrics.limitHits(g, "session-inactivity-timeout-ms")).isEqualTo(1);
    healthy.stopAndVerify(5);
  }

  @Test
  void anUpstreamResetMidStreamEndsOnlyItsSessionAndDeliversAPrefixThenTheClosingByte()
      throws Exception {
    RunningGateway g =
        gateway(
            Map.of(
                "reply-max-bytes", "16384",
                "downstream-buffer-bytes", "131072",
                "idle-hold-ms", "20"));
    HealthySession healthy = track(HealthySession.open(g, upstream)).start();
    upstream.sendBufferBytes(64 * 1024); // so that most of the stream is still unsent at the reset
    RtmptTestSession victim = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection victimConn = upstream.awaitConnection(WAIT);
    byte[] down = Bytes.pattern(16 << 20, 77);
    victimConn.sendInBackground(down, 16 * 1024);

    ByteArrayOutputStream got = new ByteArrayOutputStream();
    RawResponse r;
    boolean reset = false;
    int polls = 0;
    while (true) {
      r = victim.idle();
      polls++;
      assertThat(r.status()).isEqualTo(200);
      if (r.body()[0] == 0) {
        break;
      }
      got.write(r.body(), 1, r.body().length - 1);
      if (!reset && got.size() >= 256 * 1024) {
        victimConn.reset(); // mid-stream, with megabytes still to come
        reset = true;
      }
      assertThat(polls).as("the closing byte arrives").isLessThan(2000);
    }

    assertThat(reset).isTrue();
    assertThat(got.size()).as("bytes delivered before the end").isLessThan(down.length);
    assertThat(Arrays.mismatch(got.toByteArray(), Arrays.copyOf(down, got.size())))
        .as("what was delivered is an exact prefix")
        .isEqualTo(-1);
    assertThat(r.body()).as("then the closing byte alone").containsExactly(0x00);
    assertThat(victim.idle().status()).isEqualTo(404);
    await().atMost(WAIT).until(() -> g.sessionCount() == 1);
    assertThat(
            g.server().registry().closedCount(CloseReason.UPSTREAM_ERROR)
                + g.server().registry().closedCount(CloseReason.UPSTREAM_EOF))
        .isEqualTo(1);
    healthy.stopAndVerify(5);
  }

  @Test
  void aClientThatStopsPollingIsBoundedBackPressuresItsUpstreamAndEndsAtTheInactivityTimeout()
      throws Exception {
    int bufferBytes = 65536;
    RunningGateway g =
        gateway(
            Map.of(
                "downstream-buffer-bytes", Integer.toString(bufferBytes),
                "reply-max-bytes", "16384",
                "session-inactivity-timeout-ms", "2000"));
    upstream.sendBufferBytes(64 * 1024);
    HealthySession healthy = track(HealthySession.open(g, upstream)).start();

    try (LogCapture log = new LogCapture()) {
      long opened = System.nanoTime();
      RtmptTestSession gone = RtmptTestSession.open(client(g)); // and never polls
      FakeRtmpUpstream.Connection goneConn = upstream.awaitConnection(WAIT);
      TunnelSession session = g.session(gone.id());
      FakeRtmpUpstream.BackgroundWrite writer =
          goneConn.sendInBackground(Bytes.pattern(16 << 20, 5), 16 * 1024);

      int maxBuffered = 0;
      long writtenWhileOpen = 0;
      while (!session.isClosed()) {
        assertThat(System.nanoTime() - opened).as("closed in time").isLessThan(TimeUnit.SECONDS.toNanos(8));
        maxBuffered = Math.max(maxBuffered, session.stats().bufferedDownstream());
        writtenWhileOpen = writer.bytesWritten();
        Thread.sleep(20);
      }
      long millis = (System.nanoTime() - opened) / 1_000_000;

      assertThat(maxBuffered).as("gateway memory for the session").isBetween(1, bufferBytes);
      assertThat(writtenWhileOpen)
          .as("bytes the upstream got rid of: it was back-pressured")
          .isLessThan(4L << 20);
      assertThat(millis).as("ended at the inactivity timeout").isBetween(1800L, 5000L);
      assertThat(session.stats().closeReason()).isEqualTo(CloseReason.IDLE_TIMEOUT);
      assertThat(goneConn.awaitClosedByPeer(WAIT)).isTrue();
      await().atMost(WAIT).until(writer::isDone);
      assertThat(writer.failure()).as("the upstream's blocked write fails once closed").isNotNull();
      log.awaitLine("session " + gone.id() + " .*downstream buffer full \\(65536 bytes\\)", WAIT);
      log.awaitLine(
          "session closed id=" + gone.id() + " .* undelivered=65536 .* reason=idle-timeout", WAIT);
    }
    assertThat(Metrics.limitHits(g, "downstream-buffer-bytes")).isGreaterThanOrEqualTo(1);
    assertThat(Metrics.limitHits(g, "session-inactivity-timeout-ms")).isEqualTo(1);
    assertThat(Metrics.closed(g, "rtmpt", "idle-timeout")).isEqualTo(1);
    healthy.stopAndVerify(5);
  }

  /**
   * The client's connection drops after it sent a whole send but before the answer, while the
   * send is still being written upstream (the upstream has stopped reading). Its retry (same seq,
   * same body, new connection) joins the send in progress: the body reaches the upstream once,
   * and the retry gets the answer.
   */
  @Test
  void aSendRetriedOnANewConnectionBeforeTheOriginalWasAnsweredIsForwardedOnce()
      throws Exception {
    RunningGateway g =
        gateway(Map.of("upstream-write-timeout-ms", "30000", "idle-hold-ms", "0"));
    HealthySession healthy = track(HealthySession.open(g, upstream)).start();
    RawHttpClient a = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    byte[] c0c1 = Bytes.c0c1();
    assertThat(s.send(c0c1).status()).isEqualTo(200);
    sent.writeBytes(c0c1);
    conn.awaitBytes(c0c1.length, WAIT);
    conn.stopReading(); // the RTMP server pauses (GC, disk), the gateway's writes back up

    // sends of 64 KiB each fit in the socket buffers, so the client finishes writing every one;
    // the first that is not answered within a second is the one stuck upstream
    a.timeout(Duration.ofSeconds(1));
    long stuckSeq = -1;
    byte[] stuckBody = null;
    for (int i = 0; i < 400 && stuckSeq < 0; i++) {
      long seq = s.takeSeq();
      byte[] body = Bytes.pattern(64 * 1024, 100 + seq);
      a.sendRaw(a.postBytes(s.path("send", seq), body));
      sent.writeBytes(body);
      try {
        RawResponse r = a.readResponse();
        assertThat(r.status()).isEqualTo(200);
      } catch (AssertionError noAnswerYet) {
        stuckSeq = seq;
        stuckBody = body;
      }
    }
    assertThat(stuckSeq).as("a send got stuck upstream").isPositive();
    long requestsBefore = g.session(s.id()).stats().requests();
    a.close(); // the connection drops before the answer

    RawHttpClient b = client(g);
    b.sendRaw(b.postBytes(s.path("send", stuckSeq), stuckBody));
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == requestsBefore + 1);
    conn.resumeReading();
    RawResponse retried = b.readResponse();
    assertThat(retried.status()).isEqualTo(200);
    assertThat(retried.body()).as("an answer without data").hasSize(1);
    assertThat(POLLING_BYTES).contains(retried.body()[0]);

    byte[] next = Bytes.pattern(1000, 99);
    assertThat(b.post(s.path("send", s.takeSeq()), next).status()).isEqualTo(200);
    sent.writeBytes(next);
    byte[] want = sent.toByteArray();
    conn.awaitBytes(want.length, Duration.ofSeconds(10));
    Thread.sleep(200);
    assertThat(conn.receivedCount()).as("no byte twice").isEqualTo(want.length);
    assertThat(Arrays.mismatch(conn.received(), want)).as("first mismatch upstream").isEqualTo(-1);
    assertThat(g.session(s.id()).isClosed()).isFalse();
    healthy.stopAndVerify(3);
  }

  /**
   * The answer to a send (carrying upstream bytes) is lost with its connection; the retry on a new
   * connection gets the very same answer from the stored reply, the body is not forwarded again,
   * and the carried bytes reach the client exactly once.
   */
  @Test
  void aSendRetriedAfterItsAnswerWasLostGetsTheSameAnswerAndNothingTwice() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient a = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] down = Bytes.pattern(3000, 30);
    conn.send(down);
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().bufferedDownstream() == 3000);
    byte[] body0 = Bytes.pattern(5000, 31);
    byte[] body1 = Bytes.pattern(700, 32);

    a.sendRaw(a.postBytes(s.path("send", 0), body0));
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().bytesDownstream() == 3000);
    a.close(); // the answer, with the 3000 bytes, is lost

    RawHttpClient b = client(g);
    RawResponse retry = b.post(s.path("send", 0), body0);
    RawResponse next = b.post(s.path("send", 1), body1);

    assertThat(retry.status()).isEqualTo(200);
    assertThat(retry.body()[0]).isEqualTo((byte) 0x01);
    assertThat(Arrays.copyOfRange(retry.body(), 1, retry.body().length)).isEqualTo(down);
    assertThat(next.body()).as("nothing delivered twice").containsExactly(0x01);
    byte[] want = new byte[body0.length + body1.length];
    System.arraycopy(body0, 0, want, 0, body0.length);
    System.arraycopy(body1, 0, want, body0.length, body1.length);
    conn.awaitBytes(want.length, WAIT);
    Thread.sleep(100);
    assertThat(conn.received()).as("body of seq 0 forwarded once").isEqualTo(want);
  }

  @Test
  void aHeldIdleWhoseConnectionDroppedIsRetriedAndGetsTheDataItCarried() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "3000"));
    RawHttpClient a = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    a.sendRaw(a.postBytes(s.path("idle", 0), RtmptTestSession.ZERO)); // held
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 1);
    a.close();
    byte[] down = Bytes.pattern(2000, 40);
    conn.send(down); // releases the held idle: its answer goes to the closed connection
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().bytesDownstream() == 2000);

    RawHttpClient b = client(g);
    RawResponse retry = b.post(s.path("idle", 0), RtmptTestSession.ZERO);
    RawResponse next = b.post(s.path("idle", 1), RtmptTestSession.ZERO);

    assertThat(retry.status()).isEqualTo(200);
    assertThat(Arrays.copyOfRange(retry.body(), 1, retry.body().length)).isEqualTo(down);
    assertThat(next.status()).isEqualTo(200);
    assertThat(next.body()).as("nothing delivered twice").hasSize(1);
  }

  /**
   * A connection that drops in the middle of a send body: the part that arrived was already
   * streamed upstream and the rest never comes, so the stream cannot go on intact. The session
   * ends at once (body-read-failed) and a retry of the send finds it gone (404).
   */
  @Test
  void aConnectionDroppedInTheMiddleOfASendBodyEndsTheSession() throws Exception {
    RunningGateway g = gateway(Map.of());
    RtmptTestSession s = RtmptTestSession.open(client(g));
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] body = Bytes.pattern(100_000, 50);
    long dropped;

    try (LogCapture log = new LogCapture()) {
      try (Wire w = new Wire(g.port())) {
        w.write(
            "POST " + s.path("send", 0) + " HTTP/1.1\r\nHost: gw\r\nContent-Length: 100000\r\n\r\n");
        w.write(Arrays.copyOf(body, 30_000));
        conn.awaitBytes(30_000, WAIT);
      }
      dropped = System.nanoTime();
      assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
      log.awaitLine("session closed id=" + s.id() + " .* reason=body-read-failed", WAIT);
    }
    assertThat((System.nanoTime() - dropped) / 1_000_000).as("at once").isLessThan(2000);
    assertThat(conn.received()).isEqualTo(Arrays.copyOf(body, 30_000));
    assertThat(client(g).post(s.path("send", 0), body).status()).isEqualTo(404);
  }
}
