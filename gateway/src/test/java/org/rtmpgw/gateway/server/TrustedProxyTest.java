package org.rtmpgw.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * The real client address from a trusted load balancer (PROXY v1/v2, X-Forwarded-For) — and
 * nobody else's word for it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TrustedProxyTest extends GatewayTestBase {
  private static final byte[] V2_SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  private Socket connect(RunningGateway g) throws IOException {
    Socket s = track(new Socket());
    s.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
    s.setSoTimeout(5_000);
    return s;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] openRequest(String extraHeaders) {
    return ascii(
        "POST /open/1 HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-fcs\r\n"
            + extraHeaders
            + "Content-Length: 1\r\n\r\n\0");
  }

  private static String status(Socket s) throws IOException {
    StringBuilder sb = new StringBuilder();
    int b;
    while ((b = s.getInputStream().read()) >= 0 && b != '\n') {
      sb.append((char) b);
    }
    return sb.toString().strip();
  }

  private String onlyRawClient(RunningGateway g) {
    await().atMost(WAIT).until(() -> g.server().registry().rawSize() == 1);
    return g.server().registry().rawSessions().get(0).stats().client();
  }

  private String onlyRtmptClient(RunningGateway g) {
    await().atMost(WAIT).until(() -> g.server().registry().size() == 1);
    return g.server().registry().sessions().get(0).client();
  }

  @Test
  void proxyV1FromATrustedBalancerGivesTheRealClientToRawRtmp() throws Exception {
    RunningGateway g = gateway(Map.of("trusted-proxies", "127.0.0.0/8"));
    OutputStream out = connect(g).getOutputStream();
    out.write(ascii("PROXY TCP4 203.0.113.7 192.0.2.1 5555 1935\r\n"));
    out.write(Bytes.c0c1());
    assertThat(upstream.awaitConnection(WAIT).awaitBytes(1537, WAIT)).isEqualTo(Bytes.c0c1());
    assertThat(onlyRawClient(g)).isEqualTo("203.0.113.7:5555");
  }

  @Test
  void proxyV2FromATrustedBalancerGivesTheRealClientToRtmpt() throws Exception {
    RunningGateway g = gateway(Map.of("trusted-proxies", "127.0.0.1"));
    Socket s = connect(g);
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.write(V2_SIGNATURE);
    header.write(0x21); // version 2, PROXY
    header.write(0x11); // TCP over IPv4
    header.write(new byte[] {0, 12});
    header.write(new byte[] {(byte) 198, 51, 100, 23}); // source
    header.write(new byte[] {127, 0, 0, 1}); // destination
    header.write(new byte[] {0x1F, (byte) 0x90}); // source port 8080
    header.write(new byte[] {0x07, (byte) 0x8F}); // destination port 1935
    s.getOutputStream().write(header.toByteArray());
    s.getOutputStream().write(openRequest(""));
    assertThat(status(s)).isEqualTo("HTTP/1.1 200 OK");
    assertThat(onlyRtmptClient(g)).isEqualTo("198.51.100.23:8080");
  }

  @Test
  void aTrustedBalancerMaySendNoHeaderAtAll() throws Exception {
    RunningGateway g = gateway(Map.of("trusted-proxies", "127.0.0.1"));
    connect(g).getOutputStream().write(Bytes.c0c1());
    upstream.awaitConnection(WAIT).awaitBytes(1537, WAIT);
    assertThat(onlyRawClient(g)).startsWith("127.0.0.1:");
  }

  @Test
  void aProxyHeaderFromAnUntrustedPeerIsNotBelieved() throws Exception {
    RunningGateway g = gateway(Map.of("trusted-proxies", "10.0.0.0/8"));
    Socket s = connect(g);
    s.getOutputStream().write(ascii("PROXY TCP4 203.0.113.7 192.0.2.1 5555 1935\r\n"));
    s.getOutputStream().write(Bytes.c0c1());
    assertThat(s.getInputStream().read()).as("closed at once").isEqualTo(-1);
    assertThat(upstream.connectionCount()).isZero();
    assertThat(g.server().registry().totalSize()).isZero();
    assertThat(g.server().refusals().get(org.rtmpgw.gateway.metrics.Refusal.PROXY_UNTRUSTED))
        .isEqualTo(1);
  }

  @Test
  void forwardedForFromATrustedBalancerIsTheClient() throws Exception {
    RunningGateway g = gateway(Map.of("trusted-proxies", "127.0.0.1"));
    Socket s = connect(g);
    s.getOutputStream().write(openRequest("X-Forwarded-For: 198.51.100.9, 127.0.0.1\r\n"));
    assertThat(status(s)).isEqualTo("HTTP/1.1 200 OK");
    assertThat(onlyRtmptClient(g)).startsWith("198.51.100.9:");
  }

  @Test
  void forwardedHeadersAreIgnoredWithoutTrustedProxies() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = connect(g);
    s.getOutputStream()
        .write(openRequest("X-Forwarded-For: 198.51.100.9\r\nForwarded: for=198.51.100.10\r\n"));
    assertThat(status(s)).isEqualTo("HTTP/1.1 200 OK");
    assertThat(onlyRtmptClient(g)).startsWith("127.0.0.1:");
  }

  @Test
  void perClientLimitsCountTheRealClient() throws Exception {
    RunningGateway g =
        gateway(Map.of("trusted-proxies", "127.0.0.1", "max-sessions-per-client", "1"));
    Socket a = connect(g);
    a.getOutputStream().write(openRequest("X-Forwarded-For: 198.51.100.1\r\n"));
    assertThat(status(a)).isEqualTo("HTTP/1.1 200 OK");
    Socket b = connect(g);
    b.getOutputStream().write(openRequest("X-Forwarded-For: 198.51.100.2\r\n"));
    assertThat(status(b)).as("another client behind the same balancer").isEqualTo("HTTP/1.1 200 OK");
    Socket c = connect(g);
    c.getOutputStream().write(openRequest("X-Forwarded-For: 198.51.100.1\r\n"));
    assertThat(status(c)).isEqualTo("HTTP/1.1 429 Too Many Requests");
  }
}
