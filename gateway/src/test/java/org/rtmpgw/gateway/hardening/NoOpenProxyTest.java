package org.rtmpgw.gateway.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
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
 * The gateway is not an open proxy: nothing a client sends (Host, the request target, CONNECT,
 * forwarding headers, query parameters, path tricks, or a tcUrl inside the RTMP bytes) makes it
 * connect anywhere but the configured upstream. A second listener, the "attacker" server that a
 * client names in every way it can, must never see a connection.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NoOpenProxyTest extends GatewayTestBase {
  private FakeRtmpUpstream attacker;
  private String elsewhere;

  @BeforeEach
  void startAttacker() throws Exception {
    attacker = track(FakeRtmpUpstream.start());
    elsewhere = attacker.hostPort();
  }

  /** After a pause for stray connections, only the configured upstream was ever connected. */
  private void assertOnlyTheConfiguredUpstream(int expectedConnections) throws Exception {
    Thread.sleep(300);
    assertThat(attacker.connectionCount()).as("connections to " + elsewhere).isZero();
    assertThat(upstream.connectionCount())
        .as("connections to the configured upstream")
        .isEqualTo(expectedConnections);
  }

  /** A POST with exactly these header lines (no Host added) and a Content-Length body. */
  private static byte[] request(String method, String target, List<String> headers, byte[] body) {
    StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
    for (String h : headers) {
      head.append(h).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      out.writeBytes(body);
    }
    return out.toByteArray();
  }

  /** Requires a 200 open reply and returns the session id. */
  private static String openedId(RawResponse r) {
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    String body = r.bodyText();
    assertThat(body).endsWith("\n");
    return body.substring(0, body.length() - 1);
  }

  /** Sends C0C1 through session {@code id} and checks the configured upstream got it. */
  private void c0c1ReachesTheConfiguredUpstream(RawHttpClient http, String id) throws Exception {
    byte[] c0c1 = Bytes.c0c1();
    assertThat(http.post("/send/" + id + "/0", c0c1).status()).isEqualTo(200);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    assertThat(c.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);
  }

  @Test
  void aHostHeaderNamingAnotherServerIsIgnored() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);

    http.sendRaw(request("POST", "/open/1", List.of("Host: " + elsewhere), RtmptTestSession.ZERO));
    String id = openedId(http.readResponse());

    c0c1ReachesTheConfiguredUpstream(http, id);
    assertOnlyTheConfiguredUpstream(1);
  }

  @Test
  void anAbsoluteFormRequestTargetIsNotFollowed() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);

    // authority and Host agree on the other server: Jetty serves the path, here, as /open/1
    http.sendRaw(
        request(
            "POST",
            "http://" + elsewhere + "/open/1",
            List.of("Host: " + elsewhere),
            RtmptTestSession.ZERO));
    String id = openedId(http.readResponse());
    c0c1ReachesTheConfiguredUpstream(http, id);

    // authority names the other server, Host names the gateway: refused by Jetty
    RawHttpClient second = client(g);
    second.sendRaw(
        request(
            "POST",
            "http://" + elsewhere + "/open/1",
            List.of("Host: 127.0.0.1:" + g.port()),
            RtmptTestSession.ZERO));
    RawResponse mismatch = second.readResponse();
    assertThat(mismatch.status()).isEqualTo(400);
    assertThat(mismatch.bodyText()).contains("Authority!=Host");

    // an absolute-form GET is refused the same way, or with 405 when it gets through
    RawHttpClient third = client(g);
    third.sendRaw(request("GET", "http://" + elsewhere + "/", List.of("Host: x"), null));
    assertThat(third.readResponse().status()).isIn(400, 405);

    assertOnlyTheConfiguredUpstream(1);
    assertThat(g.sessionCount()).isEqualTo(1);
  }

  @Test
  void connectIsAnsweredWith405AndConnectsNothing() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);

    http.sendRaw(request("CONNECT", elsewhere, List.of("Host: " + elsewhere), null));
    RawResponse r = http.readResponse();

    assertThat(r.status()).isEqualTo(405);
    assertThat(r.headers("Allow")).containsExactly("POST");
    assertThat(r.bodyText()).isEqualTo("RTMPT accepts POST only");
    // no tunnel was opened: the connection still speaks HTTP to the gateway itself
    assertThat(http.post("/fcs/ident2", RtmptTestSession.ZERO).status()).isEqualTo(404);
    assertThat(g.sessionCount()).isZero();
    assertOnlyTheConfiguredUpstream(0);
  }

  @Test
  void forwardingHeadersDoNotChooseTheUpstream() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    String attackerPort = Integer.toString(attacker.port());

    http.sendRaw(
        request(
            "POST",
            "/open/1",
            List.of(
                "Host: 127.0.0.1:" + g.port(),
                "X-Forwarded-Host: " + elsewhere,
                "X-Forwarded-Server: " + elsewhere,
                "X-Forwarded-Port: " + attackerPort,
                "X-Forwarded-Proto: rtmp",
                "X-Forwarded-For: 127.0.0.1",
                "X-Real-IP: 127.0.0.1",
                "X-Original-URL: http://" + elsewhere + "/open/1",
                "X-Rewrite-URL: http://" + elsewhere + "/open/1",
                "Forwarded: for=127.0.0.1;host=" + elsewhere + ";proto=http",
                "Upstream: " + elsewhere,
                "X-Upstream: " + elsewhere),
            RtmptTestSession.ZERO));
    String id = openedId(http.readResponse());

    c0c1ReachesTheConfiguredUpstream(http, id);
    assertOnlyTheConfiguredUpstream(1);
  }

  @Test
  void queryParametersAndOpenBodiesDoNotChooseTheUpstream() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);

    String query =
        "?upstream=" + elsewhere + "&host=127.0.0.1&port=" + attacker.port()
            + "&tcUrl=rtmp://" + elsewhere + "/live";
    RawResponse r =
        http.post("/open/1" + query, ("rtmp://" + elsewhere + "/live").getBytes(StandardCharsets.US_ASCII));
    String id = openedId(r);
    byte[] c0c1 = Bytes.c0c1();
    assertThat(http.post("/send/" + id + "/0" + query, c0c1).status()).isEqualTo(200);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    assertThat(c.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);

    assertOnlyTheConfiguredUpstream(1);
  }

  @Test
  void pathTricksAreRefusedWithoutTouchingAnySession() throws Exception {
    RunningGateway g = gateway(Map.of("idle-hold-ms", "0"));
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    String id = s.id();
    Map<String, String> refused =
        Map.ofEntries(
            // dot segments reach the servlet verbatim and fail the RTMPT grammar
            Map.entry("/send/" + id + "/../../open/1", "not an RTMPT request"),
            Map.entry("/send/" + id + "/0/..", "not an RTMPT request"),
            Map.entry("/send/../" + elsewhere + "/0", "not an RTMPT request"),
            // encoded separators and dots are ambiguous: Jetty refuses them before the servlet
            Map.entry("/send/" + id + "%2F..%2F0", "Ambiguous URI path separator"),
            Map.entry("/send/" + id + "/%2e%2e/0", "Ambiguous URI path segment"),
            Map.entry("/send/..%2F" + elsewhere + "/0", "Ambiguous URI path separator"),
            Map.entry("//" + elsewhere + "/open/1", "Ambiguous URI empty segment"),
            Map.entry("/send/" + id + "%2f0", "Ambiguous URI path separator"));

    for (Map.Entry<String, String> e : refused.entrySet()) {
      RawHttpClient fresh = client(g);
      RawResponse r = fresh.post(e.getKey(), new byte[] {3, 1, 2, 3});
      assertThat(r.status()).as(e.getKey()).isEqualTo(400);
      assertThat(r.bodyText()).as(e.getKey()).contains(e.getValue());
    }

    // the session was not touched: seq 0 is still the next one, nothing was forwarded
    assertThat(g.session(id).stats().requests()).isZero();
    assertThat(c.receivedCount()).isZero();
    byte[] c0c1 = Bytes.c0c1();
    assertThat(s.send(c0c1).status()).isEqualTo(200);
    assertThat(c.awaitBytes(c0c1.length, WAIT)).isEqualTo(c0c1);
    assertOnlyTheConfiguredUpstream(1);
  }

  /**
   * With upstream groups and Host routes configured, the Host header picks among the configured
   * groups only: a route's name reaches its group, anything else the default group, and with no
   * default group an unrouted Host is refused (403) without any connection. Forwarding headers
   * from a client that is not a trusted proxy do not take part in routing.
   */
  @Test
  void hostRoutesChooseOnlyAmongConfiguredGroups() throws Exception {
    FakeRtmpUpstream studio = track(FakeRtmpUpstream.start());
    Map<String, String> routed =
        Map.of(
            "upstream-groups", "studio=" + studio.hostPort(),
            "upstream-routes", "host:studio.example=studio");
    RunningGateway g = gateway(routed);

    RawHttpClient a = client(g);
    a.sendRaw(request("POST", "/open/1", List.of("Host: studio.example"), RtmptTestSession.ZERO));
    openedId(a.readResponse());
    studio.awaitConnection(WAIT);

    for (String host : List.of(elsewhere, "127.0.0.1", "attacker.example", "studio.example.evil")) {
      RawHttpClient b = client(g);
      b.sendRaw(request("POST", "/open/1", List.of("Host: " + host), RtmptTestSession.ZERO));
      openedId(b.readResponse());
      upstream.awaitConnection(WAIT);
    }
    RawHttpClient c = client(g);
    c.sendRaw(
        request(
            "POST",
            "/open/1",
            List.of(
                "Host: 127.0.0.1:" + g.port(),
                "X-Forwarded-Host: studio.example",
                "Forwarded: host=studio.example"),
            RtmptTestSession.ZERO));
    openedId(c.readResponse());
    upstream.awaitConnection(WAIT);

    assertThat(studio.connectionCount()).as("only the routed Host reached the studio group").isEqualTo(1);
    assertOnlyTheConfiguredUpstream(5);
  }

  @Test
  void withoutADefaultGroupAnUnroutedHostIsRefusedWith403AndConnectsNothing() throws Exception {
    FakeRtmpUpstream studio = track(FakeRtmpUpstream.start());
    RunningGateway g =
        gateway(
            Map.of(
                "upstream-groups", "studio=" + studio.hostPort(),
                "upstream-routes", "host:studio.example=studio",
                "upstream-route-default", ""));

    for (String host : List.of(elsewhere, "attacker.example")) {
      RawHttpClient http = client(g);
      http.sendRaw(request("POST", "/open/1", List.of("Host: " + host), RtmptTestSession.ZERO));
      RawResponse r = http.readResponse();
      assertThat(r.status()).as(host).isEqualTo(403);
      assertThat(r.bodyText()).as(host).startsWith("no upstream for host '");
    }
    assertThat(g.sessionCount()).isZero();
    assertThat(studio.connectionCount()).isZero();
    assertOnlyTheConfiguredUpstream(0);
  }

  @Test
  void aTcUrlNamingAnotherHostInsideRawRtmpGoesOnlyToTheConfiguredUpstream() throws Exception {
    RunningGateway g = gateway(Map.of());
    byte[] bytes = concat(Bytes.c0c1(), connectCommand("rtmp://" + elsewhere + "/live"));

    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
      raw.getOutputStream().write(bytes);
      FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
      assertThat(c.awaitBytes(bytes.length, WAIT)).isEqualTo(bytes);
    }
    assertOnlyTheConfiguredUpstream(1);
  }

  @Test
  void aTcUrlNamingAnotherHostInsideAnRtmptSendGoesOnlyToTheConfiguredUpstream() throws Exception {
    RunningGateway g = gateway(Map.of());
    RawHttpClient http = client(g);
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = upstream.awaitConnection(WAIT);
    byte[] c0c1 = Bytes.c0c1();
    byte[] connect = connectCommand("rtmp://" + elsewhere + "/live");

    assertThat(s.send(c0c1).status()).isEqualTo(200);
    assertThat(s.send(connect).status()).isEqualTo(200);

    assertThat(c.awaitBytes(c0c1.length + connect.length, WAIT)).isEqualTo(concat(c0c1, connect));
    assertOnlyTheConfiguredUpstream(1);
  }

  /**
   * An RTMP "connect" command message (AMF0, chunk stream 3, one chunk of at most 128 bytes) with
   * this tcUrl, as ffmpeg sends it after the handshake.
   */
  static byte[] connectCommand(String tcUrl) {
    ByteArrayOutputStream amf = new ByteArrayOutputStream();
    amfString(amf, "connect");
    amf.write(0x00); // number 1.0: transaction id
    amf.writeBytes(new byte[] {0x3F, (byte) 0xF0, 0, 0, 0, 0, 0, 0});
    amf.write(0x03); // object
    amfKey(amf, "app");
    amfString(amf, "live");
    amfKey(amf, "tcUrl");
    amfString(amf, tcUrl);
    amf.writeBytes(new byte[] {0, 0, 0x09});
    byte[] payload = amf.toByteArray();
    if (payload.length > 128) {
      throw new IllegalArgumentException("keep the connect command within one chunk");
    }
    ByteArrayOutputStream msg = new ByteArrayOutputStream();
    msg.writeBytes(new byte[] {0x03, 0, 0, 0}); // fmt 0, csid 3, timestamp 0
    msg.writeBytes(
        new byte[] {(byte) (payload.length >> 16), (byte) (payload.length >> 8), (byte) payload.length});
    msg.write(0x14); // AMF0 command
    msg.writeBytes(new byte[] {0, 0, 0, 0}); // message stream 0
    msg.writeBytes(payload);
    return msg.toByteArray();
  }

  private static void amfKey(ByteArrayOutputStream out, String key) {
    byte[] b = key.getBytes(StandardCharsets.UTF_8);
    out.write(b.length >> 8);
    out.write(b.length);
    out.writeBytes(b);
  }

  private static void amfString(ByteArrayOutputStream out, String value) {
    out.write(0x02);
    amfKey(out, value);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = new byte[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
