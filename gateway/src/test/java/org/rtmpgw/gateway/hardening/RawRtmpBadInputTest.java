package org.rtmpgw.gateway.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * Truncated and nonsensical RTMP on a raw listener. The gateway does not parse RTMP: whatever
 * follows a recognised C0 is forwarded to the configured upstream as it is, and the connection
 * ends when either side ends or at raw-idle-timeout-ms. (Garbage as the very first bytes, TLS on
 * the plain port and silent clients are refused: {@code RawRtmpListenerTest}.)
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RawRtmpBadInputTest extends GatewayTestBase {

  private static Socket connect(RunningGateway g) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
    s.setSoTimeout(5_000);
    return s;
  }

  private static boolean closedByGateway(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    try {
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void aTruncatedHandshakeIsForwardedAsItIsAndEndsAtTheRawIdleTimeout() throws Exception {
    RunningGateway g = gateway(Map.of("raw-idle-timeout-ms", "1000"));
    byte[] partial = Arrays.copyOf(Bytes.c0c1(), 101); // C0 and 100 of C1's 1536 bytes

    try (LogCapture log = new LogCapture();
        Socket s = track(connect(g))) {
      s.getOutputStream().write(partial);
      FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
      assertThat(up.awaitBytes(101, WAIT)).isEqualTo(partial);
      long start = System.nanoTime();
      assertThat(closedByGateway(s)).isTrue();
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertThat(millis).as("at the raw idle timeout").isBetween(700L, 4000L);
      assertThat(up.awaitClosedByPeer(WAIT)).isTrue();
      assertThat(up.receivedCount()).isEqualTo(101);
      log.awaitLine("session closed id=\\S+ transport=rtmp .* bytes_up=101 .* reason=idle-timeout", WAIT);
    }
  }

  @Test
  void aTruncatedHandshakeFollowedByTheClientsCloseEndsBothSidesAtOnce() throws Exception {
    RunningGateway g = gateway(Map.of());
    byte[] partial = Arrays.copyOf(Bytes.c0c1(), 700);

    try (LogCapture log = new LogCapture()) {
      try (Socket s = connect(g)) {
        s.getOutputStream().write(partial);
        FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
        assertThat(up.awaitBytes(700, WAIT)).isEqualTo(partial);
        s.shutdownOutput();
        assertThat(up.awaitClosedByPeer(WAIT)).isTrue();
        assertThat(closedByGateway(s)).isTrue();
      }
      log.awaitLine("session closed id=\\S+ transport=rtmp .* bytes_up=700 .* reason=client-close", WAIT);
    }
  }

  @Test
  void bytesAfterAValidC0AreForwardedUncheckedToTheConfiguredUpstreamOnly() throws Exception {
    RunningGateway g = gateway(Map.of());
    byte[] nonsense = Bytes.pattern(5000, 9);
    nonsense[0] = 0x03; // a plain RTMP C0, then noise where C1 and chunks should be
    FakeRtmpUpstream other = track(FakeRtmpUpstream.start());

    try (Socket s = track(connect(g))) {
      s.getOutputStream().write(nonsense);
      FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
      assertThat(up.awaitBytes(nonsense.length, WAIT)).isEqualTo(nonsense);
      byte[] answer = Bytes.pattern(300, 10);
      up.send(answer);
      assertThat(s.getInputStream().readNBytes(300)).isEqualTo(answer);
    }
    assertThat(other.connectionCount()).isZero();
    assertThat(upstream.connectionCount()).isEqualTo(1);
  }
}
