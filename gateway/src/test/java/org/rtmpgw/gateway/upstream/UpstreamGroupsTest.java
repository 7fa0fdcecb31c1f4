package org.rtmpgw.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/** Several upstream servers: balancing, failover at open, routes by host and port, PROXY v1. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UpstreamGroupsTest extends GatewayTestBase {

  private FakeRtmpUpstream second() throws IOException {
    return track(FakeRtmpUpstream.start());
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String openWithHost(RunningGateway g, String host) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
      s.setSoTimeout(5_000);
      s.getOutputStream()
          .write(
              ("POST /open/1 HTTP/1.1\r\nHost: "
                      + host
                      + "\r\nContent-Type: application/x-fcs\r\nContent-Length: 1\r\n\r\n\0")
                  .getBytes(StandardCharsets.US_ASCII));
      StringBuilder line = new StringBuilder();
      int b;
      while ((b = s.getInputStream().read()) >= 0 && b != '\n') {
        line.append((char) b);
      }
      return line.toString().strip();
    }
  }

  @Test
  void newSessionsRotateOverTheServersOfAGroup() throws Exception {
    FakeRtmpUpstream b = second();
    RunningGateway g = gateway(Map.of("upstream", upstream.hostPort() + "," + b.hostPort()));
    for (int i = 0; i < 4; i++) {
      RtmptTestSession.open(client(g));
    }
    await().atMost(WAIT).until(() -> upstream.connectionCount() + b.connectionCount() == 4);
    assertThat(upstream.connectionCount()).isEqualTo(2);
    assertThat(b.connectionCount()).isEqualTo(2);
  }

  @Test
  void firstMeansAlwaysTheFirstThatConnects() throws Exception {
    FakeRtmpUpstream b = second();
    RunningGateway g =
        gateway(
            Map.of("upstream", upstream.hostPort() + "," + b.hostPort(), "upstream-balance", "first"));
    for (int i = 0; i < 3; i++) {
      RtmptTestSession.open(client(g));
    }
    await().atMost(WAIT).until(() -> upstream.connectionCount() == 3);
    assertThat(b.connectionCount()).isZero();
  }

  @Test
  void aRefusingServerIsSkippedAtOpenAndTheLogNamesTheServerUsed() throws Exception {
    int dead = closedPort();
    RunningGateway g = gateway(Map.of("upstream", "127.0.0.1:" + dead + "," + upstream.hostPort()));
    for (int i = 0; i < 3; i++) {
      RtmptTestSession s = RtmptTestSession.open(client(g));
      assertThat(g.session(s.id()).stats().upstream()).isEqualTo(upstream.hostPort());
    }
    await().atMost(WAIT).until(() -> upstream.connectionCount() == 3);
  }

  @Test
  void everyServerDownAnswers502NamingEach() throws Exception {
    int dead1 = closedPort();
    int dead2 = closedPort();
    RunningGateway g =
        gateway(Map.of("upstream", "127.0.0.1:" + dead1 + ",127.0.0.1:" + dead2));
    var r = client(g).post("/open/1", RtmptTestSession.ZERO);
    assertThat(r.status()).isEqualTo(502);
    assertThat(r.bodyText()).contains("127.0.0.1:" + dead1, "127.0.0.1:" + dead2);
  }

  @Test
  void routesByHostAndPortWithAnAllowList() throws Exception {
    FakeRtmpUpstream vod = second();
    int port = closedPort(); // free now: the gateway listens on it
    RunningGateway g =
        gateway(
            Map.of(
                "listen", "127.0.0.1:" + port,
                "upstream-groups", "vod=" + vod.hostPort(),
                "upstream-routes", "host:vod.example.org=vod,host:live.example.org=default",
                "upstream-route-default", ""));
    assertThat(openWithHost(g, "vod.example.org")).isEqualTo("HTTP/1.1 200 OK");
    assertThat(openWithHost(g, "LIVE.example.org:" + port)).isEqualTo("HTTP/1.1 200 OK");
    assertThat(openWithHost(g, "other.example.org")).isEqualTo("HTTP/1.1 403 Forbidden");
    await().atMost(WAIT).until(() -> vod.connectionCount() == 1 && upstream.connectionCount() == 1);

    // raw RTMP names no host: with no default group it is refused
    Socket raw = track(new Socket());
    raw.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
    raw.setSoTimeout(5_000);
    raw.getOutputStream().write(Bytes.c0c1());
    assertThat(raw.getInputStream().read()).isEqualTo(-1);
    assertThat(vod.connectionCount() + upstream.connectionCount()).isEqualTo(2);
  }

  @Test
  void routesByListenerPortServeRawRtmp() throws Exception {
    FakeRtmpUpstream vod = second();
    int plain = closedPort();
    int vodPort = closedPort();
    RunningGateway g =
        gateway(
            Map.of(
                "listen", "127.0.0.1:" + plain + ",127.0.0.1:" + vodPort,
                "upstream-groups", "vod=" + vod.hostPort(),
                "upstream-routes", "port:" + vodPort + "=vod"));
    Socket raw = track(new Socket());
    raw.connect(new InetSocketAddress("127.0.0.1", vodPort), 2_000);
    raw.getOutputStream().write(Bytes.c0c1());
    assertThat(vod.awaitConnection(WAIT).awaitBytes(1537, WAIT)).isEqualTo(Bytes.c0c1());
    assertThat(upstream.connectionCount()).isZero();
  }

  @Test
  void upstreamProxyProtocolSendsTheRealClientFirst() throws Exception {
    RunningGateway g = gateway(Map.of("upstream-proxy-protocol", "true"));
    Socket raw = track(new Socket());
    raw.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
    raw.getOutputStream().write(Bytes.c0c1());
    String expected =
        "PROXY TCP4 127.0.0.1 127.0.0.1 " + raw.getLocalPort() + " " + g.port() + "\r\n";
    byte[] header = expected.getBytes(StandardCharsets.US_ASCII);
    byte[] got = upstream.awaitConnection(WAIT).awaitBytes(header.length + 1537, WAIT);
    assertThat(new String(Arrays.copyOf(got, header.length), StandardCharsets.US_ASCII))
        .isEqualTo(expected);
    assertThat(Arrays.copyOfRange(got, header.length, got.length)).isEqualTo(Bytes.c0c1());

    RtmptTestSession s = RtmptTestSession.open(client(g));
    s.send(Bytes.c0c1());
    byte[] tunnelled = upstream.awaitConnection(WAIT).awaitBytes(20, WAIT);
    assertThat(new String(tunnelled, StandardCharsets.US_ASCII)).startsWith("PROXY TCP4 127.0.0.1 127.0.0.1 ");
  }

  @Test
  void readinessAndMetricsShowEachServer() throws Exception {
    int dead = closedPort();
    RunningGateway g =
        gateway(
            Map.of(
                "upstream", upstream.hostPort(),
                "upstream-groups", "vod=127.0.0.1:" + dead,
                "upstream-probe-interval-ms", "200"));
    await()
        .atMost(WAIT)
        .until(() -> g.server().registry().upstreams().notReadyReason() != null);
    assertThat(g.server().registry().upstreams().notReadyReason())
        .contains("[vod]", "127.0.0.1:" + dead);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    g.server().metrics().write(out);
    String metrics = out.toString(StandardCharsets.UTF_8);
    assertThat(metrics)
        .contains("rtmpgw_upstream_up{group=\"vod\",server=\"127.0.0.1:" + dead + "\"} 0")
        .contains("rtmpgw_upstream_up{group=\"default\",server=\"" + upstream.hostPort() + "\"} 1");
  }

  @Test
  void routesMustNameExistingGroups() {
    assertThatThrownBy(
            () ->
                GatewayConfig.defaults()
                    .with(
                        Map.of(
                            "upstream-routes", "host:a.example=nope",
                            "upstream-route-default", "missing")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("route 'host:a.example=nope' names no group")
        .hasMessageContaining("'missing' is not a group");
    assertThatThrownBy(() -> GatewayConfig.defaults().with(Map.of("upstream-groups", "vod=")))
        .hasMessageContaining("group 'vod' has no server");
    assertThatThrownBy(() -> GatewayConfig.defaults().with(Map.of("upstream-routes", "sni:x=default")))
        .hasMessageContaining("neither host:<name> nor port:<n>");
  }

  @Test
  void rtmpsIsRoutedByTheSniTheClientSent(@org.junit.jupiter.api.io.TempDir java.nio.file.Path certs)
      throws Exception {
    FakeRtmpUpstream vod = second();
    RunningGateway g =
        gateway(
            Map.of(
                "listen-tls", "127.0.0.1:0",
                "tls-generated-dir", certs.toString(),
                "upstream-groups", "vod=" + vod.hostPort(),
                "upstream-routes", "host:vod.example.org=vod"));
    for (String sni : new String[] {"vod.example.org", "live.example.org"}) {
      // a fresh client context each time: a resumed session would carry the first name
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(
          null,
          new javax.net.ssl.TrustManager[] {
            new javax.net.ssl.X509TrustManager() {
              @Override
              public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}

              @Override
              public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}

              @Override
              public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
              }
            }
          },
          null);
      javax.net.ssl.SSLSocket s =
          (javax.net.ssl.SSLSocket) context.getSocketFactory().createSocket();
      track(s);
      s.connect(new InetSocketAddress("127.0.0.1", g.server().tlsPort()), 2_000);
      javax.net.ssl.SSLParameters params = s.getSSLParameters();
      params.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(sni)));
      s.setSSLParameters(params);
      s.startHandshake();
      s.getOutputStream().write(Bytes.c0c1());
      s.getOutputStream().flush();
    }
    assertThat(vod.awaitConnection(WAIT).awaitBytes(1537, WAIT)).isEqualTo(Bytes.c0c1());
    assertThat(upstream.awaitConnection(WAIT).awaitBytes(1537, WAIT)).isEqualTo(Bytes.c0c1());
    assertThat(vod.connectionCount()).isEqualTo(1);
  }
}
