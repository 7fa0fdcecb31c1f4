package org.rtmpgw.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RawHttpClient;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * A send whose turn has come is forwarded while its body arrives (ffmpeg posts ~10 frames per
 * send), yet answered only after the whole body was written upstream.
 */
class StreamedSendTest extends GatewayTestBase {

  @Test
  void bodyReachesTheUpstreamBeforeItEndsAndTheReplyWaitsForTheRest() throws Exception {
    RawHttpClient http = client(gateway(Map.of()));
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    byte[] body = Bytes.pattern(300_000, 7);
    byte[] request = http.postBytes(s.path("send", s.takeSeq()), body);
    int headerAndFirstPart = request.length - body.length + 100_000;

    http.sendRaw(Arrays.copyOfRange(request, 0, headerAndFirstPart));
    assertThat(conn.awaitBytes(100_000, WAIT))
        .as("the first part is forwarded before the body is complete")
        .hasSize(100_000)
        .isEqualTo(Arrays.copyOfRange(body, 0, 100_000));
    assertThat(http.isClosedByServer(Duration.ofMillis(300)))
        .as("no reply byte (that would fail here) and no close before the body is complete")
        .isFalse();

    http.sendRaw(Arrays.copyOfRange(request, headerAndFirstPart, request.length));
    RawResponse reply = http.readResponse();
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body()).containsExactly(0x01);
    assertThat(conn.awaitBytes(body.length, WAIT)).isEqualTo(body);

    // the next send is streamed too and lands after the first, byte-exact
    byte[] second = Bytes.pattern(70_000, 8);
    assertThat(s.send(second).status()).isEqualTo(200);
    byte[] all = conn.awaitBytes(body.length + second.length, WAIT);
    assertThat(Arrays.copyOfRange(all, body.length, all.length)).isEqualTo(second);
  }

  /**
   * Pieces of odd sizes, and a body that ends exactly on a slice boundary (two 64 KiB slices):
   * reads are gathered into slices across pieces, and the end is seen once, after the last slice.
   */
  @Test
  void bodyArrivingInPiecesIsForwardedWholeAndInOrder() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection conn = upstream.awaitConnection(WAIT);
    int forwarded = 0;
    for (int length : new int[] {2 * 64 * 1024, 64 * 1024 + 1, 3}) {
      byte[] body = Bytes.pattern(length, length % 251);
      byte[] request = http.postBytes(s.path("send", s.takeSeq()), body);
      int headerLength = request.length - body.length;
      http.sendRaw(Arrays.copyOfRange(request, 0, headerLength));
      int at = headerLength;
      for (int piece = 1; at < request.length; piece = piece * 3 + 1) {
        int end = Math.min(request.length, at + piece * 97);
        http.sendRaw(Arrays.copyOfRange(request, at, end));
        at = end;
      }
      RawResponse reply = http.readResponse();
      assertThat(reply.status()).isEqualTo(200);
      byte[] all = conn.awaitBytes(forwarded + length, WAIT);
      assertThat(Arrays.copyOfRange(all, forwarded, all.length))
          .as("body of %d bytes", length)
          .isEqualTo(body);
      forwarded += length;
    }
    http.close();
    g.awaitPooledBuffersGivenBack(WAIT); // send slices and request buffers
  }
}
