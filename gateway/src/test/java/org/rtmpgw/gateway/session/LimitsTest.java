package org.rtmpgw.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.GatewayTestBase;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/** The session limits over real sockets: total, per client address, requests per second. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LimitsTest extends GatewayTestBase {

  private Socket rawClient(RunningGateway g) throws IOException {
    Socket s = track(new Socket());
    s.connect(new InetSocketAddress("127.0.0.1", g.port()), 2_000);
    s.setSoTimeout(5_000);
    s.getOutputStream().write(Bytes.c0c1());
    return s;
  }

  private static boolean closedByGateway(Socket s) {
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void maxSessionsRefusesRtmptAndRawAlikeAndFreesOnClose() throws Exception {
    RunningGateway g = gateway(Map.of("max-sessions", "2", "max-sessions-per-client", "0"));
    RtmptTestSession first = RtmptTestSession.open(client(g));
    Socket raw = rawClient(g);
    upstream.awaitConnection(WAIT);
    upstream.awaitConnection(WAIT);
    await().atMost(WAIT).until(() -> g.server().registry().totalSize() == 2);

    RawResponse refused = client(g).post("/open/1", RtmptTestSession.ZERO);
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.bodyText()).contains("max-sessions");
    assertThat(closedByGateway(rawClient(g))).as("a raw connection over the limit").isTrue();
    assertThat(upstream.connectionCount()).as("no upstream for refused sessions").isEqualTo(2);

    first.close();
    raw.close();
    await().atMost(WAIT).until(() -> g.server().registry().totalSize() == 0);
    assertThat(client(g).post("/open/1", RtmptTestSession.ZERO).status()).isEqualTo(200);
    assertThat(metric(g, "rtmpgw_limit_hits_total{limit=\"max-sessions\"}")).isEqualTo(2);
  }

  @Test
  void maxSessionsPerClientAnswers429() throws Exception {
    RunningGateway g = gateway(Map.of("max-sessions-per-client", "1"));
    RtmptTestSession.open(client(g));
    RawResponse second = client(g).post("/open/1", RtmptTestSession.ZERO);
    assertThat(second.status()).isEqualTo(429);
    assertThat(second.bodyText()).contains("max-sessions-per-client");
    assertThat(metric(g, "rtmpgw_limit_hits_total{limit=\"max-sessions-per-client\"}"))
        .isEqualTo(1);
  }

  @Test
  void aFailedUpstreamConnectGivesItsAdmissionBack() throws Exception {
    upstream.close();
    RunningGateway g =
        gateway(Map.of("max-sessions", "1", "upstream-connect-timeout-ms", "1000"));
    for (int i = 0; i < 3; i++) {
      assertThat(client(g).post("/open/1", RtmptTestSession.ZERO).status())
          .as("attempt %d fails on the upstream, not on the limit", i)
          .isEqualTo(502);
    }
  }

  @Test
  void aSessionOverTheRequestRateEndsWith429() throws Exception {
    RunningGateway g = gateway(Map.of("max-requests-per-second", "20", "idle-hold-ms", "0"));
    RtmptTestSession s = RtmptTestSession.open(client(g));
    upstream.awaitConnection(WAIT);
    int status = 200;
    int sent = 0;
    while (status == 200 && sent < 200) {
      status = s.idle().status();
      sent++;
    }
    assertThat(status).as("answer after %d idles", sent).isEqualTo(429);
    assertThat(sent).isBetween(21, 200);
    assertThat(s.idle().status()).as("the session is gone").isEqualTo(404);
    assertThat(g.server().registry().closedCount(CloseReason.REQUEST_RATE)).isEqualTo(1);
    assertThat(metric(g, "rtmpgw_limit_hits_total{limit=\"max-requests-per-second\"}"))
        .isEqualTo(1);
  }

  @Test
  void aFullDownstreamBufferIsCounted() throws Exception {
    RunningGateway g =
        gateway(Map.of("downstream-buffer-bytes", "4096", "reply-max-bytes", "4096"));
    RtmptTestSession.open(client(g));
    upstream.awaitConnection(WAIT).send(Bytes.pattern(64 * 1024, 3));
    await()
        .atMost(WAIT)
        .until(() -> metric(g, "rtmpgw_limit_hits_total{limit=\"downstream-buffer-bytes\"}") >= 1);
  }

  @Test
  void admissionCountsPerHostAndReleasesExactly() {
    SessionAdmission a = new SessionAdmission(3, 2);
    assertThat(a.tryAdmit("10.0.0.1")).isNull();
    assertThat(a.tryAdmit("10.0.0.1")).isNull();
    assertThat(a.tryAdmit("10.0.0.1")).isEqualTo(Limit.MAX_SESSIONS_PER_CLIENT);
    assertThat(a.tryAdmit("10.0.0.2")).isNull();
    assertThat(a.tryAdmit("10.0.0.3")).isEqualTo(Limit.MAX_SESSIONS);
    assertThat(a.total()).isEqualTo(3);
    a.release("10.0.0.1");
    assertThat(a.ofClient("10.0.0.1")).isEqualTo(1);
    assertThat(a.tryAdmit("10.0.0.3")).isNull();
    a.release("10.0.0.1");
    a.release("10.0.0.2");
    a.release("10.0.0.3");
    assertThat(a.total()).isZero();
    assertThat(a.ofClient("10.0.0.1")).isZero();
    SessionAdmission unlimited = new SessionAdmission(0, 0);
    for (int i = 0; i < 1000; i++) {
      assertThat(unlimited.tryAdmit("h")).isNull();
    }
  }

  private static double metric(RunningGateway g, String sample) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    g.server().metrics().write(out);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "(?m)^" + java.util.regex.Pattern.quote(sample) + " (\\S+)$")
            .matcher(out.toString(java.nio.charset.StandardCharsets.UTF_8));
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }
}
