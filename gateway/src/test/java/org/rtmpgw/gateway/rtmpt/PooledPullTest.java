package org.rtmpgw.gateway.rtmpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
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
 * A fast pull: upstream reads fill the gateway's pooled buffers, which are queued and written to
 * the client as they are, shared by the queue, the reply being written and the reply kept for
 * replays. Every byte must arrive once and in order, a retry must get the very same bytes while
 * the stream goes on, and every pooled buffer must be back once the session has ended.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PooledPullTest extends GatewayTestBase {

  @Test
  void largeRepliesArriveByteExactRetriesReplayThemAndEveryBufferComesBack() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "20"));
    RawHttpClient http = client(g);
    RawHttpClient retries = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    int total = 24 << 20;
    byte[] data = Bytes.pattern(total, 21);
    FakeRtmpUpstream.BackgroundWrite writer = conn.sendInBackground(data, 64 * 1024);

    ByteArrayOutputStream got = new ByteArrayOutputStream(total);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    int largest = 0;
    int replayed = 0;
    for (int poll = 0; got.size() < total; poll++) {
      assertThat(System.nanoTime()).as("all data within 40 s").isLessThan(deadline);
      long seq = s.takeSeq();
      RawResponse r = http.post(s.path("idle", seq), RtmptTestSession.ZERO);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()[0]).as("polling byte").isNotEqualTo((byte) 0);
      if (poll % 3 == 1) {
        RawResponse again = retries.post(s.path("idle", seq), RtmptTestSession.ZERO);
        assertThat(again.body()).as("retry of seq " + seq).isEqualTo(r.body());
        replayed++;
      }
      largest = Math.max(largest, r.body().length - 1);
      got.write(r.body(), 1, r.body().length - 1);
    }

    assertThat(writer.await(WAIT)).as("upstream writer finished").isTrue();
    assertThat(Arrays.mismatch(got.toByteArray(), data)).as("first mismatching byte").isEqualTo(-1);
    assertThat(largest).as("replies large enough to share pooled buffers").isGreaterThan(1 << 20);
    assertThat(replayed).isPositive();
    assertThat(s.idle().body()).as("nothing more, nothing duplicated").hasSize(1);
    assertThat(s.close().body()).containsExactly(0x00);
    g.awaitPooledBuffersGivenBack(WAIT);
  }

  @Test
  void sessionEndingWithBytesQueuedGivesTheirBuffersBack() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "20"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    conn.sendInBackground(Bytes.pattern(8 << 20, 22), 64 * 1024);
    await()
        .atMost(WAIT)
        .until(() -> g.session(s.id()).stats().bufferedDownstream() > (1 << 20));
    RawResponse first = s.idle();
    assertThat(first.body().length).isGreaterThan(1 << 20);
    await()
        .atMost(WAIT)
        .until(() -> g.session(s.id()).stats().bufferedDownstream() > (1 << 20));
    // 2 MiB now sit in the queue, mostly as 64 KiB read buffers kept in place. (How many of them
    // the pool counts varies: beyond what it keeps, it hands out unpooled buffers.)

    assertThat(s.close().body()).containsExactly(0x00);

    g.awaitPooledBuffersGivenBack(WAIT);
  }
}
