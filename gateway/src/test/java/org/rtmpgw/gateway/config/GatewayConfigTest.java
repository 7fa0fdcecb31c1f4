package org.rtmpgw.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {

  @Test
  void defaultsMatchTheDocumentedValues() {
    GatewayConfig c = GatewayConfig.defaults();
    assertThat(c.upstream()).isEqualTo(new HostPort("127.0.0.1", 1935));
    assertThat(c.listen()).containsExactly(new HostPort("0.0.0.0", 8080));
    assertThat(c.listenTls()).containsExactly(new HostPort("0.0.0.0", 8443));
    assertThat(c.idleHold()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.sessionInactivityTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.identStatus()).isEqualTo(404);
    assertThat(c.tcpQuickAck()).isTrue();
  }

  @Test
  void everyProblemIsReportedWithItsKeyAndValue() {
    assertThatThrownBy(
            () ->
                GatewayConfig.fromValues(
                    Map.of(
                        "upstream", "nohostport",
                        "listen", "0.0.0.0:99999",
                        "idle-hold-ms", "-5",
                        "reply-max-bytes", "lots",
                        "ident-status", "302",
                        "tcp-quickack", "maybe",
                        "node-id", "has space",
                        "bogus-key", "1")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(8)
                    .anySatisfy(p -> assertThat(p).contains("upstream").contains("nohostport"))
                    .anySatisfy(p -> assertThat(p).contains("listen").contains("99999"))
                    .anySatisfy(p -> assertThat(p).contains("idle-hold-ms").contains("0 to 5000"))
                    .anySatisfy(p -> assertThat(p).contains("reply-max-bytes").contains("lots"))
                    .anySatisfy(p -> assertThat(p).contains("ident-status").contains("404 or 200"))
                    .anySatisfy(p -> assertThat(p).contains("tcp-quickack"))
                    .anySatisfy(p -> assertThat(p).contains("node-id"))
                    .anySatisfy(p -> assertThat(p).contains("unknown key 'bogus-key'")));
  }

  @Test
  void upstreamPortZeroIsRefusedButListenPortZeroIsAllowed() throws Exception {
    assertThatThrownBy(() -> GatewayConfig.fromValues(Map.of("upstream", "127.0.0.1:0")))
        .hasMessageContaining("port 0");
    assertThat(GatewayConfig.fromValues(Map.of("listen", "127.0.0.1:0")).listen().get(0).port()).isZero();
  }

  @Test
  void replyCapMayNotExceedTheDownstreamBuffer() {
    assertThatThrownBy(
            () ->
                GatewayConfig.fromValues(
                    Map.of("reply-max-bytes", "65536", "downstream-buffer-bytes", "4096")))
        .hasMessageContaining("downstream-buffer-bytes");
  }

  @Test
  void ipv6AndNamesParse() {
    assertThat(HostPort.parse("[::1]:1935")).isEqualTo(new HostPort("::1", 1935));
    assertThat(HostPort.parse("rtmp.example:1935").host()).isEqualTo("rtmp.example");
    assertThat(HostPort.parse("[::1]:1935").toString()).isEqualTo("[::1]:1935");
    assertThatThrownBy(() -> HostPort.parse("::1:1935")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HostPort.parse("host:")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HostPort.parse("host:12a")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void valuesRoundTrip() throws Exception {
    GatewayConfig c = GatewayConfig.defaults().with(Map.of("node-id", "n1", "idle-hold-ms", "0"));
    assertThat(GatewayConfig.fromValues(c.toValues())).isEqualTo(c);
    assertThat(c.nodeId()).isEqualTo("n1");
    assertThat(c.idleHold()).isZero();
  }
}
