package org.rtmpgw.gateway.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
 * Sequence numbers over HTTP at their edges: not a number, negative, beyond a long, leading
 * zeros, the exact edge of the reorder window, stale, and repeats of a parked request. Each is
 * answered as defined, nothing is forwarded twice or out of turn, and the session goes on.
 *
 * <p>Already covered in {@code SequenceOverHttpTest}: a seq far beyond the window (400, session
 * goes on), a repeated send (replayed, forwarded once), a retry of a held idle, a gap that never
 * fills (session ends); in {@code RtmptWireTest}: "-1" and "x" are 400.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SeqEdgeCasesTest extends GatewayTestBase {

  @Test
  void seqsThatAreNotPlainDecimalNumbersAre400AndTouchNothing() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    List<String> bad =
        List.of(
            "x", "1e3", "0x10", "+1", "-1", "-0", "1.0", "1_000", "%31", "%D9%A1", "0 ",
            "9223372036854775807", // Long.MAX_VALUE: 19 digits, beyond the 18-digit grammar
            "9223372036854775808", // Long.MAX_VALUE + 1
            "99999999999999999999999999",
            "0000000000000000001"); // 19 characters, though its value is 1

    for (String seq : bad) {
      RawResponse r = http.post("/send/" + s.id() + "/" + seq.replace(" ", "%20"), new byte[] {9});
      assertThat(r.status()).as(seq).isEqualTo(400);
      assertThat(r.bodyText()).as(seq).startsWith("not an RTMPT request: bad seq: \"");
      assertThat(r.announcesClose()).as(seq).isFalse();
    }

    assertThat(g.session(s.id()).stats().requests()).as("none reached the session").isZero();
    assertThat(s.send(new byte[] {1, 2}).status()).isEqualTo(200);
    assertThat(c.awaitBytes(2, WAIT)).containsExactly(1, 2);
    Thread.sleep(100);
    assertThat(c.receivedCount()).isEqualTo(2);
  }

  @Test
  void theLargestGrammaticalSeqIsRejectedAsTooFarAndCountedAgainstTheReorderWindow()
      throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    assertThat(http.post(s.path("send", 0), new byte[] {1}).status()).isEqualTo(200);

    try (LogCapture log = new LogCapture()) {
      RawResponse r = http.post("/send/" + s.id() + "/999999999999999999", new byte[] {2});

      assertThat(r.status()).isEqualTo(400);
      assertThat(r.bodyText()).isEqualTo("seq 999999999999999999 rejected: TOO_FAR");
      log.awaitLine("rejected seq 999999999999999999 \\(TOO_FAR\\); expected around 1", WAIT);
    }
    assertThat(Metrics.limitHits(g, "reorder-window")).isEqualTo(1);
    assertThat(http.post(s.path("send", 1), new byte[] {3}).status()).isEqualTo(200);
    assertThat(c.awaitBytes(2, WAIT)).containsExactly(1, 3);
    Thread.sleep(100);
    assertThat(c.receivedCount()).isEqualTo(2);
  }

  @Test
  void theReorderWindowParksUpToItsEdgeAndRefusesOneBeyond() throws Exception {
    RunningGateway g = gateway(Map.of("reorder-window", "4", "idle-hold-ms", "0"));
    RawHttpClient a = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    assertThat(a.post(s.path("send", 0), new byte[] {0}).status()).isEqualTo(200);

    // next expected is 1: 1..4 fit the window of 4, 5 does not
    RawHttpClient b = client(g);
    RawResponse beyond = b.post(s.path("send", 5), new byte[] {5});
    assertThat(beyond.status()).isEqualTo(400);
    assertThat(beyond.bodyText()).isEqualTo("seq 5 rejected: TOO_FAR");
    b.sendRaw(b.postBytes(s.path("send", 4), new byte[] {4})); // parked at the edge
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 3);
    assertThat(a.post(s.path("send", 1), new byte[] {1}).status()).isEqualTo(200);
    assertThat(a.post(s.path("send", 2), new byte[] {2}).status()).isEqualTo(200);
    assertThat(a.post(s.path("send", 3), new byte[] {3}).status()).isEqualTo(200);
    assertThat(b.readResponse().status()).as("the parked seq 4").isEqualTo(200);
    assertThat(a.post(s.path("send", 5), new byte[] {5}).status()).as("5 in its turn").isEqualTo(200);

    assertThat(c.awaitBytes(6, WAIT)).containsExactly(0, 1, 2, 3, 4, 5);
    Thread.sleep(100);
    assertThat(c.receivedCount()).isEqualTo(6);
    assertThat(Metrics.limitHits(g, "reorder-window")).isEqualTo(1);
  }

  @Test
  void leadingZerosNameTheSameSeq() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    byte[] body0 = Bytes.pattern(100, 1);
    byte[] body1 = Bytes.pattern(200, 2);

    RawResponse r0 = http.post("/send/" + s.id() + "/0", body0);
    RawResponse again = http.post("/send/" + s.id() + "/000", body0); // seq 0 again: replayed
    RawResponse r1 = http.post("/send/" + s.id() + "/000000000000000001", body1); // 18 digits

    assertThat(r0.status()).isEqualTo(200);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.body()).isEqualTo(r0.body());
    assertThat(r1.status()).isEqualTo(200);
    byte[] want = new byte[300];
    System.arraycopy(body0, 0, want, 0, 100);
    System.arraycopy(body1, 0, want, 100, 200);
    assertThat(c.awaitBytes(300, WAIT)).isEqualTo(want);
    Thread.sleep(100);
    assertThat(c.receivedCount()).as("seq 0 forwarded once").isEqualTo(300);
  }

  @Test
  void aSeqOlderThanTheLastAnsweredIsRejectedAsStaleAndNotForwarded() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    for (int i = 0; i < 3; i++) {
      assertThat(http.post(s.path("send", i), new byte[] {(byte) i}).status()).isEqualTo(200);
    }

    RawResponse stale = http.post(s.path("send", 0), new byte[] {0});
    RawResponse repeatOfLast = http.post(s.path("send", 2), new byte[] {2});

    assertThat(stale.status()).isEqualTo(400);
    assertThat(stale.bodyText()).isEqualTo("seq 0 rejected: STALE");
    assertThat(repeatOfLast.status()).as("only the last answer is kept for replay").isEqualTo(200);
    assertThat(http.post(s.path("send", 3), new byte[] {3}).status()).isEqualTo(200);
    assertThat(c.awaitBytes(4, WAIT)).containsExactly(0, 1, 2, 3);
    Thread.sleep(100);
    assertThat(c.receivedCount()).isEqualTo(4);
  }

  @Test
  void aRepeatOfAParkedSeqIsRefusedAndTheParkedOneIsForwardedOnce() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient a = client(g);
    RtmptTestSession s = RtmptTestSession.open(a);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    assertThat(a.post(s.path("send", 0), new byte[] {0}).status()).isEqualTo(200);

    RawHttpClient b = client(g);
    b.sendRaw(b.postBytes(s.path("send", 2), new byte[] {2})); // parked, waiting for 1
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().requests() == 2);
    RawResponse duplicate = client(g).post(s.path("send", 2), new byte[] {2});
    assertThat(duplicate.status()).isEqualTo(400);
    assertThat(duplicate.bodyText()).isEqualTo("seq 2 rejected: DUPLICATE_PARKED");

    assertThat(a.post(s.path("send", 1), new byte[] {1}).status()).isEqualTo(200);
    assertThat(b.readResponse().status()).isEqualTo(200);
    assertThat(c.awaitBytes(3, WAIT)).containsExactly(0, 1, 2);
    Thread.sleep(100);
    assertThat(c.receivedCount()).isEqualTo(3);
  }

  @Test
  void aRepeatedIdleReplaysItsDataWithoutTakingItTwice() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    byte[] down = Bytes.pattern(1000, 3);
    c.send(down);
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().bufferedDownstream() == 1000);
    byte[] more = Bytes.pattern(10, 4);

    RawResponse first = http.post(s.path("idle", 0), RtmptTestSession.ZERO);
    c.send(more); // arrives before the repeat: must not be mixed into the replay
    await().atMost(WAIT).until(() -> g.session(s.id()).stats().bufferedDownstream() == 10);
    RawResponse repeat = http.post(s.path("idle", 0), RtmptTestSession.ZERO);
    RawResponse next = http.post(s.path("idle", 1), RtmptTestSession.ZERO);

    assertThat(first.body()).hasSize(1001);
    assertThat(repeat.body()).isEqualTo(first.body());
    assertThat(next.body()).hasSize(11);
    assertThat(java.util.Arrays.copyOfRange(next.body(), 1, 11)).isEqualTo(more);
    assertThat(g.session(s.id()).stats().bytesDownstream()).isEqualTo(1010);
  }

  @Test
  void aCloseIsHonouredWhateverItsSeq() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    assertThat(http.post(s.path("idle", 0), RtmptTestSession.ZERO).status()).isEqualTo(200);

    RawResponse close = http.post("/close/" + s.id() + "/999999999999999999", RtmptTestSession.ZERO);

    assertThat(close.status()).isEqualTo(200);
    assertThat(close.body()).containsExactly(0x00);
    assertThat(c.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(http.post(s.path("idle", 1), RtmptTestSession.ZERO).status()).isEqualTo(404);
    assertThat(http.post(s.path("close", 2), RtmptTestSession.ZERO).body())
        .as("closing twice is not an error")
        .containsExactly(0x00);
  }
}
