package org.rtmpgw.gateway.rtmpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.session.SessionStats;
import org.rtmpgw.gateway.session.TunnelSession;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RawHttpClient;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * Sequence numbers over real HTTP (wire notes section 6): either base, out-of-order arrival over
 * parallel connections (Flash Player), retries (HaishinKit), far-off seqs, and gaps that never
 * fill.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SequenceOverHttpTest extends GatewayTestBase {
  @Test
  void sessionWhoseFirstSeqIsOneWorks() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http, 1); // Red5 client numbering
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] c0c1 = Bytes.c0c1();

    RawResponse send = s.send(c0c1);
    RawResponse idle = s.idle();
    RawResponse idle2 = s.idle();

    assertThat(send.status()).isEqualTo(200);
    assertThat(send.body()).containsExactly(0x01);
    assertThat(idle.status()).isEqualTo(200);
    assertThat(idle2.status()).isEqualTo(200);
    assertThat(conn.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);
  }

  @Test
  void flashPlayersFirstSendOvertakingItsFirstIdleStillWorks() throws Exception {
    // Flash Player posts idle 0 and send 1 on two connections; here send 1 arrives first
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0", "seq-base-grace-ms", "2000"));
    RawHttpClient a = client(g);
    RawHttpClient b = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] c0c1 = Bytes.c0c1();

    b.sendRaw(b.postBytes(s.path("send", 1), c0c1));
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 1);
    long start = System.nanoTime();
    RawResponse idle0 = a.post(s.path("idle", 0), RtmptTestSession.ZERO);
    RawResponse send1 = b.readResponse();
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(idle0.status()).isEqualTo(200);
    assertThat(send1.status()).isEqualTo(200);
    assertThat(millis).as("seq 0 arriving in time needs no grace wait").isLessThan(1500);
    assertThat(conn.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);
    assertThat(a.post(s.path("idle", 2), RtmptTestSession.ZERO).status()).isEqualTo(200);
  }

  @Test
  void sendsArrivingOutOfOrderOnParallelConnectionsReachUpstreamInSeqOrder() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient a = client(g);
    RawHttpClient b = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    assertThat(a.post(s.path("idle", 0), RtmptTestSession.ZERO).status()).isEqualTo(200); // base
    byte[] body1 = Bytes.pattern(1000, 1);
    byte[] body2 = Bytes.pattern(2000, 2);

    b.sendRaw(b.postBytes(s.path("send", 2), body2));
    // the gateway has seen seq 2 (it counts every request it handles) but must hold it back
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 2);
    Thread.sleep(100);
    assertThat(conn.receivedCount()).as("seq 2 must wait for seq 1").isZero();
    RawResponse r1 = a.post(s.path("send", 1), body1);
    RawResponse r2 = b.readResponse();

    assertThat(r1.status()).isEqualTo(200);
    assertThat(r2.status()).isEqualTo(200);
    assertThat(r1.body()[0]).isEqualTo((byte) 0x01);
    assertThat(r2.body()[0]).isEqualTo((byte) 0x01);
    byte[] expected = new byte[body1.length + body2.length];
    System.arraycopy(body1, 0, expected, 0, body1.length);
    System.arraycopy(body2, 0, expected, body1.length, body2.length);
    assertThat(conn.awaitBytes(expected.length, WAIT)).isEqualTo(expected);
  }

  @Test
  void repeatedSeqIsAnsweredWithIdenticalReplyAndForwardedOnce() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] down = Bytes.pattern(500, 7);
    conn.send(down); // so the reply carries data, which a replay must repeat, not re-read
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().bufferedDownstream() == 500);
    byte[] body0 = Bytes.pattern(700, 8);
    byte[] body1 = Bytes.pattern(300, 9);

    RawResponse first = http.post(s.path("send", 0), body0);
    RawResponse retry = http.post(s.path("send", 0), body0); // HaishinKit retry
    RawResponse next = http.post(s.path("send", 1), body1);

    assertThat(first.status()).isEqualTo(200);
    assertThat(first.body()).hasSize(501);
    assertThat(retry.status()).isEqualTo(200);
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(next.status()).isEqualTo(200);
    assertThat(next.body()).containsExactly(0x01);
    byte[] expected = new byte[body0.length + body1.length];
    System.arraycopy(body0, 0, expected, 0, body0.length);
    System.arraycopy(body1, 0, expected, body0.length, body1.length);
    byte[] got = conn.awaitBytes(expected.length, WAIT);
    Thread.sleep(100);
    assertThat(conn.received()).as("body of seq 0 forwarded once").isEqualTo(expected);
    assertThat(got).isEqualTo(expected);
  }

  @Test
  void seqFarBeyondWindowIs400AndSessionGoesOn() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    assertThat(http.post(s.path("send", 0), new byte[] {1, 2, 3}).status()).isEqualTo(200);

    RawResponse far = http.post(s.path("send", 1000), new byte[] {9, 9, 9});

    assertThat(far.status()).isEqualTo(400);
    assertThat(far.announcesClose()).isFalse();
    RawResponse ok = http.post(s.path("send", 1), new byte[] {4, 5});
    assertThat(ok.status()).isEqualTo(200);
    assertThat(http.post(s.path("idle", 2), RtmptTestSession.ZERO).status()).isEqualTo(200);
    byte[] got = conn.awaitBytes(5, WAIT);
    Thread.sleep(100);
    assertThat(conn.received()).containsExactly(1, 2, 3, 4, 5);
    assertThat(got).startsWith(1, 2, 3);
    assertThat(g.session(s.id()).isClosed()).isFalse();
  }

  @Test
  void gapThatNeverFillsEndsSessionAndAnswersParkedRequest() throws Exception {
    RunningGateway g = gateway(Map.of("reorder-timeout-ms", "300"));
    RawHttpClient a = client(g);
    RawHttpClient b = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    assertThat(a.post(s.path("send", 0), new byte[] {1}).status()).isEqualTo(200);

    long start = System.nanoTime();
    RawResponse parked = b.post(s.path("send", 2), new byte[] {2}); // seq 1 never comes
    long waitedMillis = (System.nanoTime() - start) / 1_000_000;

    assertThat(parked.status()).isEqualTo(200);
    assertThat(parked.body()).as("closing byte").containsExactly(0x00);
    assertThat(waitedMillis).as("answered after the reorder timeout").isBetween(250L, 3000L);
    assertThat(a.post(s.path("idle", 1), RtmptTestSession.ZERO).status()).isEqualTo(404);
    assertThat(b.post(s.path("send", 3), new byte[] {3}).status()).isEqualTo(404);
    assertThat(conn.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(conn.received()).as("the parked body was never forwarded").containsExactly(1);
    await().atMost(WAIT).until(() -> g.sessionCount() == 0);
  }

  @Test
  void retryOfHeldIdleOnAnotherConnectionGetsTheSameReply() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "2000"));
    RawHttpClient a = client(g);
    RawHttpClient b = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);

    a.sendRaw(a.postBytes(s.path("idle", 0), RtmptTestSession.ZERO)); // held
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 1);
    b.sendRaw(b.postBytes(s.path("idle", 0), RtmptTestSession.ZERO)); // retry joins it
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 2);
    conn.send(new byte[] {10, 11, 12});
    RawResponse ra = a.readResponse();
    RawResponse rb = b.readResponse();

    assertThat(ra.status()).isEqualTo(200);
    assertThat(ra.body()).containsExactly(0x01, 10, 11, 12);
    assertThat(rb.body()).as("retry answered with the very same bytes").isEqualTo(ra.body());
    SessionStats stats = g.session(s.id()).stats();
    assertThat(stats.bytesDownstream()).as("the data was taken from the buffer once").isEqualTo(3);
    assertThat(stats.bufferedDownstream()).isZero();
  }

  @Test
  void interleavedSendsOverFourPipelinedConnectionsReachUpstreamInSeqOrder() throws Exception {
    RunningGateway g = gateway(Map.of());
    List<RawHttpClient> conns = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      conns.add(client(g));
    }
    RtmptTestSession s = RtmptTestSession.open(conns.get(0));
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    // the first seq seen is the base, so fix it before the racing starts
    assertThat(conns.get(0).post(s.path("idle", 0), RtmptTestSession.ZERO).status()).isEqualTo(200);
    int n = 200;
    byte[][] bodies = new byte[n][];
    java.io.ByteArrayOutputStream[] perConn = new java.io.ByteArrayOutputStream[4];
    for (int c = 0; c < 4; c++) {
      perConn[c] = new java.io.ByteArrayOutputStream();
    }
    java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < n; i++) {
      bodies[i] = Bytes.pattern(50 + (i * 131) % 4000, i);
      expected.writeBytes(bodies[i]);
      RawHttpClient c = conns.get(i % 4);
      perConn[i % 4].writeBytes(c.postBytes(s.path("send", i + 1), bodies[i]));
    }

    // each connection gets its share in one write, highest connection first
    for (int c = 3; c >= 0; c--) {
      conns.get(c).sendRaw(perConn[c].toByteArray());
    }
    for (int i = 0; i < n; i++) {
      RawResponse r = conns.get(i % 4).readResponse();
      assertThat(r.status()).as("seq " + (i + 1)).isEqualTo(200);
    }

    byte[] want = expected.toByteArray();
    byte[] got = conn.awaitBytes(want.length, WAIT);
    assertThat(java.util.Arrays.mismatch(got, want)).as("first mismatching byte").isEqualTo(-1);
  }
}
