package org.rtmpgw.gateway.raw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.metrics.Refusal;
import org.rtmpgw.gateway.session.GatewaySession;
import org.rtmpgw.gateway.session.Transport;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * Raw RTMP on the plain listener, next to RTMPT on the same port: byte-exact forwarding both
 * ways, back-pressure, delivery before close, and the refusals of the sniffer.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RawRtmpListenerTest extends GatewayTestBase {

  private Socket connect(RunningGateway g) throws IOException {
    Socket s = track(new Socket());
    s.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
    s.setSoTimeout(5_000);
    return s;
  }

  private static byte[] readExactly(InputStream in, int n) throws IOException {
    byte[] out = in.readNBytes(n);
    assertThat(out).as("bytes before end of stream").hasSize(n);
    return out;
  }

  /** True once the gateway closed the socket (end of stream or reset) within the read timeout. */
  private static boolean closedByGateway(Socket s) {
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  @Test
  void c0SentAloneThenC1InPiecesReachesTheUpstreamByteExact() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = connect(g);
    OutputStream out = s.getOutputStream();
    byte[] c0c1 = Bytes.c0c1();
    out.write(c0c1, 0, 1); // the sniffer must not wait for a whole C1
    out.flush();
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    assertThat(up).as("upstream connected on C0 alone").isNotNull();
    for (int off = 1; off < c0c1.length; off += 500) {
      out.write(c0c1, off, Math.min(500, c0c1.length - off));
      out.flush();
    }
    assertThat(up.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);

    byte[] s0s1 = Bytes.pattern(1537, 7);
    up.send(s0s1);
    assertThat(readExactly(s.getInputStream(), s0s1.length)).isEqualTo(s0s1);

    await().atMost(WAIT).until(() -> g.server().registry().rawSize() == 1);
    GatewaySession session = g.server().registry().rawSessions().get(0);
    assertThat(session.transport()).isEqualTo(Transport.RTMP);
    assertThat(session.stats().bytesUpstream()).isEqualTo(c0c1.length);
    await().atMost(WAIT).until(() -> session.stats().bytesDownstream() == s0s1.length);
  }

  @Test
  void eightMegabytesEachWayWithASlowReaderArriveWhole() throws Exception {
    // a small downstream buffer forces the upstream to be paused and resumed many times
    RunningGateway g =
        gateway(Map.of("downstream-buffer-bytes", "65536", "reply-max-bytes", "16384"));
    Socket s = connect(g);
    byte[] up8 = Bytes.pattern(8 << 20, 11);
    up8[0] = 0x03;
    FakeRtmpUpstream.BackgroundWrite[] downWrite = new FakeRtmpUpstream.BackgroundWrite[1];
    Thread writer =
        new Thread(
            () -> {
              try {
                s.getOutputStream().write(up8);
              } catch (IOException ignored) {
                // the assertions below report what arrived
              }
            });
    writer.start();
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    byte[] down8 = Bytes.pattern(8 << 20, 13);
    downWrite[0] = up.sendInBackground(down8, 100_000);

    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[8192];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (got.size() < down8.length && System.nanoTime() < deadline) {
      int n = in.read(buf);
      if (n < 0) {
        break;
      }
      got.write(buf, 0, n);
      if (got.size() % (1 << 20) < 8192) {
        Thread.sleep(5); // a slow player: the gateway's buffer fills, the upstream must wait
      }
    }
    assertThat(Bytes.firstMismatch(got.toByteArray(), down8)).isEqualTo(-1);
    assertThat(up.awaitBytes(up8.length, Duration.ofSeconds(20))).isEqualTo(up8);
    writer.join(5_000);
    assertThat(downWrite[0].await(WAIT)).isTrue();
  }

  @Test
  void upstreamEndDeliversWhatItSentThenClosesTheClient() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = connect(g);
    s.getOutputStream().write(Bytes.c0c1());
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    byte[] last = Bytes.pattern(300_000, 5);
    up.send(last);
    up.closeOutput();
    assertThat(readExactly(s.getInputStream(), last.length)).isEqualTo(last);
    assertThat(s.getInputStream().read()).as("end of stream after the bytes").isEqualTo(-1);
    await().atMost(WAIT).until(() -> g.server().registry().rawSize() == 0);
  }

  @Test
  void clientEndClosesTheUpstream() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = connect(g);
    s.getOutputStream().write(Bytes.c0c1());
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    up.awaitBytes(1537, WAIT);
    s.close();
    assertThat(up.awaitClosedByPeer(WAIT)).isTrue();
    await().atMost(WAIT).until(() -> g.server().registry().rawSize() == 0);
  }

  @Test
  void unreachableUpstreamClosesTheClient() throws Exception {
    upstream.close();
    RunningGateway g = gateway(Map.of("upstream-connect-timeout-ms", "1000"));
    Socket s = connect(g);
    s.getOutputStream().write(Bytes.c0c1());
    assertThat(closedByGateway(s)).isTrue();
    assertThat(g.server().registry().rawSize()).isZero();
  }

  @Test
  void rtmptStillWorksOnTheSamePort() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawResponse open = client(g).post("/open/1", RtmptTestSession.ZERO);
    assertThat(open.status()).isEqualTo(200);
    assertThat(g.sessionCount()).isEqualTo(1);
  }

  @Test
  void rtmpeIsForwardedWhenTheUpstreamAcceptsIt() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = connect(g);
    byte[] c0c1 = Bytes.c0c1();
    c0c1[0] = 0x06;
    s.getOutputStream().write(c0c1);
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    assertThat(up.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);
  }

  @Test
  void rtmpeIsRefusedAtOnceWhenTheUpstreamIsPlainOnly() throws Exception {
    RunningGateway g = gateway(Map.of("upstream-accepts-rtmpe", "false"));
    Socket s = connect(g);
    byte[] c0c1 = Bytes.c0c1();
    c0c1[0] = 0x06;
    s.getOutputStream().write(c0c1);
    assertThat(closedByGateway(s)).isTrue();
    assertThat(upstream.connectionCount()).as("no upstream connection is made").isZero();
    assertThat(g.server().refusals().get(Refusal.RTMPE_REFUSED)).isEqualTo(1);
  }

  @Test
  void tlsOnThePlainListenerIsRefused() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = connect(g);
    s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00, 0x10});
    assertThat(closedByGateway(s)).isTrue();
    assertThat(g.server().refusals().get(Refusal.TLS_ON_PLAIN)).isEqualTo(1);
  }

  @Test
  void garbageIsRefused() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = connect(g);
    s.getOutputStream().write(new byte[] {0x00, 0x01, 0x02});
    assertThat(closedByGateway(s)).isTrue();
    assertThat(g.server().refusals().get(Refusal.UNRECOGNISED)).isEqualTo(1);
    assertThat(upstream.connectionCount()).isZero();
  }

  @Test
  void aClientThatSendsNothingIsClosedAfterTheSniffTimeout() throws Exception {
    RunningGateway g = gateway(Map.of("sniff-timeout-ms", "300"));
    Socket s = connect(g);
    long start = System.nanoTime();
    assertThat(closedByGateway(s)).isTrue();
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(millis).isLessThan(4_000);
    await().atMost(WAIT).until(() -> g.server().refusals().get(Refusal.SNIFF_TIMEOUT) == 1);
  }

  @Test
  void aClientThatStopsAfterOneLetterIsClosedAfterTheSniffTimeout() throws Exception {
    RunningGateway g = gateway(Map.of("sniff-timeout-ms", "300"));
    Socket s = connect(g);
    s.getOutputStream().write("P".getBytes(StandardCharsets.US_ASCII));
    assertThat(closedByGateway(s)).isTrue();
    await().atMost(WAIT).until(() -> g.server().refusals().get(Refusal.SNIFF_TIMEOUT) == 1);
  }

  @Test
  void httpKeepAliveOutlivesTheSniffTimeout() throws Exception {
    RunningGateway g = gateway(Map.of("sniff-timeout-ms", "200"));
    var http = client(g);
    assertThat(http.post("/fcs/ident2", RtmptTestSession.ZERO).status()).isEqualTo(404);
    Thread.sleep(600);
    assertThat(http.post("/fcs/ident2", RtmptTestSession.ZERO).status())
        .as("same connection after 3 sniff timeouts")
        .isEqualTo(404);
  }

  @Test
  void aQuietRawConnectionOutlivesTheSniffTimeoutButNotItsIdleTimeout() throws Exception {
    RunningGateway g = gateway(Map.of("sniff-timeout-ms", "200", "raw-idle-timeout-ms", "1500"));
    Socket s = connect(g);
    s.getOutputStream().write(Bytes.c0c1());
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    up.awaitBytes(1537, WAIT);
    s.setSoTimeout(700);
    assertThat(closedByGateway(s)).as("alive after 3 sniff timeouts").isFalse();
    s.setSoTimeout(5_000);
    assertThat(closedByGateway(s)).as("closed by the raw idle timeout").isTrue();
    assertThat(up.awaitClosedByPeer(WAIT)).isTrue();
  }

  @Test
  void shutdownClosesRawSessions() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = connect(g);
    s.getOutputStream().write(Bytes.c0c1());
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    await().atMost(WAIT).until(() -> g.server().registry().rawSize() == 1);
    g.stop();
    assertThat(closedByGateway(s)).isTrue();
    assertThat(up.awaitClosedByPeer(WAIT)).isTrue();
  }

  @Test
  void aStalledUpstreamWriteEndsTheSession() throws Exception {
    RunningGateway g = gateway(Map.of("upstream-write-timeout-ms", "500"));
    upstream.sendBufferBytes(4096);
    Socket s = connect(g);
    s.getOutputStream().write(Bytes.c0c1());
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    up.awaitBytes(1537, WAIT);
    up.stopReading();
    byte[] chunk = new byte[64 * 1024];
    Arrays.fill(chunk, (byte) 1);
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < 400; i++) {
                  s.getOutputStream().write(chunk); // ~25 MB: more than all socket buffers
                }
              } catch (IOException expected) {
                // the gateway closes the connection
              }
            });
    writer.setDaemon(true);
    writer.start();
    // (the fake upstream, no longer reading, cannot see the close itself)
    await().atMost(Duration.ofSeconds(10)).until(() -> g.server().registry().rawSize() == 0);
    assertThat(closedByGateway(s)).isTrue();
  }
}
