package org.rtmpgw.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.gateway.metrics.Refusal;
import org.rtmpgw.gateway.session.Transport;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * The TLS listener over real sockets: after the handshake the decrypted bytes are sniffed like
 * on a plain listener (raw RTMP → RTMPS session, HTTP → RTMPTS session); plaintext, old TLS
 * versions, silent and stalled clients are refused with a count; and the plain listener's
 * sniffing edge cases (split bytes, a slow first byte, half-open connections).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TlsListenerTest extends GatewayTestBase {
  @TempDir Path certificates;

  private RunningGateway tlsGateway(Map<String, String> overrides) throws Exception {
    Map<String, String> all = new HashMap<>();
    all.put("listen-tls", "127.0.0.1:0");
    all.put("tls-generated-dir", certificates.toString());
    all.putAll(overrides);
    return gateway(all);
  }

  private Socket plainSocket(int port) throws IOException {
    Socket s = track(new Socket());
    s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
    s.setSoTimeout(5_000);
    return s;
  }

  private SSLSocket tlsSocket(int port, String... protocols) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {new TrustAll()}, null);
    SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
    track(s);
    s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
    s.setSoTimeout(5_000);
    if (protocols.length > 0) {
      s.setEnabledProtocols(protocols);
    }
    return s;
  }

  /**
   * True once the gateway closed the socket within the read timeout. What it sends before (a TLS
   * alert, say) is skipped, up to a bound.
   */
  private static boolean closedByGateway(Socket s) {
    try {
      InputStream in = s.getInputStream();
      for (int skipped = 0; skipped < 64 * 1024; skipped++) {
        if (in.read() == -1) {
          return true;
        }
      }
      return false;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void rawRtmpInsideTlsBecomesAnRtmpsSession() throws Exception {
    RunningGateway g = tlsGateway(Map.of());
    SSLSocket s = tlsSocket(g.server().tlsPort());
    s.startHandshake();
    byte[] c0c1 = Bytes.c0c1();
    s.getOutputStream().write(c0c1);
    s.getOutputStream().flush();
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    assertThat(up.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);
    byte[] s0s1 = Bytes.pattern(1537, 3);
    up.send(s0s1);
    assertThat(s.getInputStream().readNBytes(s0s1.length)).isEqualTo(s0s1);
    await().atMost(WAIT).until(() -> g.server().registry().rawSize() == 1);
    assertThat(g.server().registry().rawSessions().get(0).transport()).isEqualTo(Transport.RTMPS);
  }

  @Test
  void httpInsideTlsBecomesAnRtmptsSession() throws Exception {
    RunningGateway g = tlsGateway(Map.of());
    SSLSocket s = tlsSocket(g.server().tlsPort());
    OutputStream out = s.getOutputStream();
    out.write(
        ("POST /open/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-fcs\r\n"
                + "Content-Length: 1\r\n\r\n\0")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String head = readHead(s.getInputStream());
    assertThat(head).startsWith("HTTP/1.1 200");
    assertThat(g.sessionCount()).isEqualTo(1);
    assertThat(g.server().registry().sessions().get(0).transport()).isEqualTo(Transport.RTMPTS);
  }

  @Test
  void servesTls13AndTls12ButNotTls11() throws Exception {
    RunningGateway g = tlsGateway(Map.of());
    SSLSocket v13 = tlsSocket(g.server().tlsPort(), "TLSv1.3");
    v13.startHandshake();
    assertThat(v13.getSession().getProtocol()).isEqualTo("TLSv1.3");
    SSLSocket v12 = tlsSocket(g.server().tlsPort(), "TLSv1.2");
    v12.startHandshake();
    assertThat(v12.getSession().getProtocol()).isEqualTo("TLSv1.2");

    SSLSocket v11 = tlsSocket(g.server().tlsPort(), "TLSv1.1");
    // the JDK client may itself refuse to offer TLS 1.1; either way no session is established
    assertThatThrownBy(v11::startHandshake).isInstanceOf(SSLException.class);
  }

  @Test
  void aTls10ClientHelloIsRefusedWithAHandshakeFailure() throws Exception {
    RunningGateway g = tlsGateway(Map.of());
    Socket s = plainSocket(g.server().tlsPort());
    s.getOutputStream().write(tls10ClientHello());
    assertThat(closedByGateway(s)).isTrue();
    await()
        .atMost(WAIT)
        .until(() -> g.server().refusals().get(Refusal.TLS_HANDSHAKE_FAILED) == 1);
  }

  @Test
  void plaintextRtmpAndHttpOnTheTlsListenerAreRefused() throws Exception {
    RunningGateway g = tlsGateway(Map.of());
    Socket rtmp = plainSocket(g.server().tlsPort());
    rtmp.getOutputStream().write(Bytes.c0c1());
    assertThat(closedByGateway(rtmp)).isTrue();
    Socket http = plainSocket(g.server().tlsPort());
    http.getOutputStream().write("POST /open/1 HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(closedByGateway(http)).isTrue();
    assertThat(g.server().refusals().get(Refusal.PLAINTEXT_ON_TLS)).isEqualTo(2);
    assertThat(upstream.connectionCount()).isZero();
  }

  @Test
  void garbageOnTheTlsListenerIsRefused() throws Exception {
    RunningGateway g = tlsGateway(Map.of());
    Socket s = plainSocket(g.server().tlsPort());
    s.getOutputStream().write(new byte[] {(byte) 0xFF, 0x00, 0x13});
    assertThat(closedByGateway(s)).isTrue();
    assertThat(g.server().refusals().get(Refusal.UNRECOGNISED)).isEqualTo(1);
  }

  @Test
  void aTlsAlertAsFirstRecordEndsTheConnection() throws Exception {
    RunningGateway g = tlsGateway(Map.of());
    Socket s = plainSocket(g.server().tlsPort());
    // alert record, TLS 1.2, length 2: fatal (2), handshake_failure (40)
    s.getOutputStream().write(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28});
    assertThat(closedByGateway(s)).isTrue();
    assertThat(upstream.connectionCount()).isZero();
  }

  @Test
  void aClientSilentAfterConnectingIsClosedAfterTheSniffTimeout() throws Exception {
    RunningGateway g = tlsGateway(Map.of("sniff-timeout-ms", "300"));
    Socket s = plainSocket(g.server().tlsPort());
    assertThat(closedByGateway(s)).isTrue();
    await().atMost(WAIT).until(() -> g.server().refusals().get(Refusal.SNIFF_TIMEOUT) == 1);
  }

  @Test
  void aClientSilentAfterTheHandshakeIsClosedAfterTheHandshakeTimeout() throws Exception {
    RunningGateway g =
        tlsGateway(Map.of("sniff-timeout-ms", "5000", "tls-handshake-timeout-ms", "400"));
    SSLSocket s = tlsSocket(g.server().tlsPort());
    s.startHandshake();
    long start = System.nanoTime();
    assertThat(closedByGateway(s)).isTrue();
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(4_000);
    await()
        .atMost(WAIT)
        .until(() -> g.server().refusals().get(Refusal.TLS_HANDSHAKE_TIMEOUT) == 1);
  }

  @Test
  void aClientStalledMidHandshakeIsClosedAfterTheHandshakeTimeout() throws Exception {
    RunningGateway g =
        tlsGateway(Map.of("sniff-timeout-ms", "5000", "tls-handshake-timeout-ms", "400"));
    Socket s = plainSocket(g.server().tlsPort());
    byte[] hello = tls10ClientHello();
    s.getOutputStream().write(hello, 0, 8); // a record header and a little: then nothing
    assertThat(closedByGateway(s)).isTrue();
    await()
        .atMost(WAIT)
        .until(() -> g.server().refusals().get(Refusal.TLS_HANDSHAKE_TIMEOUT) == 1);
  }

  @Test
  void aSlowFirstByteWithinTheSniffTimeoutIsServed() throws Exception {
    RunningGateway g = gateway(Map.of("sniff-timeout-ms", "2000"));
    Socket s = plainSocket(g.port());
    Thread.sleep(700);
    s.getOutputStream().write(0x03);
    Thread.sleep(300);
    byte[] c0c1 = Bytes.c0c1();
    s.getOutputStream().write(c0c1, 1, c0c1.length - 1);
    assertThat(upstream.awaitConnection(WAIT).awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);
  }

  @Test
  void anHttpMethodSplitAcrossReadsIsServed() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = plainSocket(g.port());
    OutputStream out = s.getOutputStream();
    byte[] request =
        "POST /fcs/ident2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n\0"
            .getBytes(StandardCharsets.US_ASCII);
    for (byte b : request) {
      out.write(b);
      out.flush();
    }
    assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 404");
  }

  @Test
  void aHalfOpenConnectionBeforeAnyByteIsClosed() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = plainSocket(g.port());
    s.shutdownOutput();
    assertThat(closedByGateway(s)).isTrue();
    assertThat(upstream.connectionCount()).isZero();
  }

  @Test
  void aHalfOpenRawClientEndsItsSessionAndTheUpstream() throws Exception {
    RunningGateway g = gateway(Map.of());
    Socket s = plainSocket(g.port());
    s.getOutputStream().write(Bytes.c0c1());
    FakeRtmpUpstream.Connection up = upstream.awaitConnection(WAIT);
    up.awaitBytes(1537, WAIT);
    s.shutdownOutput();
    assertThat(up.awaitClosedByPeer(WAIT)).isTrue();
    assertThat(closedByGateway(s)).isTrue();
    await().atMost(WAIT).until(() -> g.server().registry().rawSize() == 0);
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    while (!sb.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      sb.append((char) b);
    }
    return sb.toString();
  }

  /** A minimal TLS 1.0 ClientHello (record version 3.1, client version 3.1). */
  private static byte[] tls10ClientHello() {
    byte[] random = Bytes.pattern(32, 9);
    // handshake body: version, random, session id len 0, 2 cipher suites, 1 compression (null)
    byte[] body = new byte[2 + 32 + 1 + 2 + 4 + 1 + 1];
    int i = 0;
    body[i++] = 0x03;
    body[i++] = 0x01;
    System.arraycopy(random, 0, body, i, 32);
    i += 32;
    body[i++] = 0x00;
    body[i++] = 0x00;
    body[i++] = 0x04;
    body[i++] = 0x00;
    body[i++] = 0x2F; // TLS_RSA_WITH_AES_128_CBC_SHA
    body[i++] = 0x00;
    body[i++] = 0x35; // TLS_RSA_WITH_AES_256_CBC_SHA
    body[i++] = 0x01;
    body[i] = 0x00;
    byte[] handshake = new byte[4 + body.length];
    handshake[0] = 0x01; // ClientHello
    handshake[3] = (byte) body.length;
    System.arraycopy(body, 0, handshake, 4, body.length);
    byte[] record = new byte[5 + handshake.length];
    record[0] = 0x16;
    record[1] = 0x03;
    record[2] = 0x01;
    record[4] = (byte) handshake.length;
    System.arraycopy(handshake, 0, record, 5, handshake.length);
    return record;
  }

  /** The tests look at what is served; they do not judge the certificate. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
