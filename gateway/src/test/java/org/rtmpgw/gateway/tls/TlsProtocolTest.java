package org.rtmpgw.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Protocol versions and TLS 1.3 session tickets, seen by {@code openssl s_client}: librtmp breaks
 * on a NewSessionTicket, so the gateway can stop sending them while keeping TLS 1.3.
 */
class TlsProtocolTest {
  private static final String TICKET = "Post-Handshake New Session Ticket arrived";

  @TempDir Path dir;

  private TlsTestServer server;

  @AfterEach
  void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private GatewayTls tls;

  private int serve(boolean tls13SessionTickets) throws Exception {
    PemPair pair = TestCertificates.writePair(dir, "proto.test", TestCertificates.ec());
    tls =
        GatewayTls.create(
            new TlsSettings(List.of(pair), null, null, null, Duration.ZERO, tls13SessionTickets));
    server = TlsTestServer.start(tls);
    return server.port();
  }

  /**
   * One HTTP request over {@code openssl s_client}. With only {@code </dev/null} as input s_client
   * quits right after the handshake, before a ticket could arrive, so it would never show one;
   * {@code -ign_eof} makes it read until the server closes, which {@code Connection: close} makes
   * happen right after the response.
   */
  private static OpenSsl.Result sClient(int port, String... options) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of("s_client", "-connect", "127.0.0.1:" + port, "-servername", "x", "-ign_eof"));
    args.addAll(List.of(options));
    return OpenSsl.runWithInput(
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", args.toArray(new String[0]));
  }

  @Test
  void tls13WithoutSessionTicketsWhenTheyAreOff() throws Exception {
    int port = serve(false);
    OpenSsl.Result result = sClient(port, "-tls1_3");
    // the response arrived after any ticket would have, so the absence is meaningful
    assertThat(result.output())
        .contains("New, TLSv1.3")
        .contains("HTTP/1.1 200")
        .doesNotContain(TICKET);
  }

  @Test
  void ticketsStayOffAfterAReload() throws Exception {
    int port = serve(false);
    // Jetty builds a new SSLContext on reload and applies the session timeout to it again
    tls.sslContextFactory().reload(f -> {});
    OpenSsl.Result result = sClient(port, "-tls1_3");
    assertThat(result.output())
        .contains("New, TLSv1.3")
        .contains("HTTP/1.1 200")
        .doesNotContain(TICKET);
  }

  @Test
  void tls12SessionResumptionStillWorksWithoutTickets() throws Exception {
    int port = serve(false);
    String session = dir.resolve("tls12.session").toString();
    OpenSsl.Result first = sClient(port, "-tls1_2", "-sess_out", session);
    OpenSsl.Result second = sClient(port, "-tls1_2", "-sess_in", session);
    assertThat(first.output()).contains("New, TLSv1.2");
    assertThat(second.output()).contains("Reused, TLSv1.2");
  }

  @Test
  void tls13SendsSessionTicketsWhenTheyAreOn() throws Exception {
    int port = serve(true);
    OpenSsl.Result result = sClient(port, "-tls1_3");
    assertThat(result.output()).contains("New, TLSv1.3").contains("HTTP/1.1 200").contains(TICKET);
  }

  @Test
  void tls12IsAccepted() throws Exception {
    int port = serve(false);
    OpenSsl.Result result = sClient(port, "-tls1_2");
    assertThat(result.output()).contains("New, TLSv1.2").contains("HTTP/1.1 200");
  }

  @Test
  void tls11IsRefusedByTheServer() throws Exception {
    int port = serve(false);
    // security level 0 lets this openssl offer TLS 1.1 at all, so the refusal is the server's
    OpenSsl.Result result = sClient(port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.output()).contains("alert protocol version");
  }
}
