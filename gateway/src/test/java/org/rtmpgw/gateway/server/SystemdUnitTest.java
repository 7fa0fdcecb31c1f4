package org.rtmpgw.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.Setting;

/** Keeps config/rtmp-gateway.service in step with what the gateway does on SIGTERM. */
class SystemdUnitTest {
  private static final Path UNIT =
      Path.of("..").toAbsolutePath().normalize().resolve("config/rtmp-gateway.service");

  private static Map<String, String> service() throws Exception {
    Map<String, String> values = new HashMap<>();
    boolean inService = false;
    for (String line : Files.readAllLines(UNIT, StandardCharsets.UTF_8)) {
      String t = line.strip();
      if (t.startsWith("[")) {
        inService = t.equals("[Service]");
      } else if (inService && !t.startsWith("#") && t.contains("=")) {
        values.put(t.substring(0, t.indexOf('=')), t.substring(t.indexOf('=') + 1));
      }
    }
    return values;
  }

  @Test
  void stopTimeoutOutlastsTheDefaultDrain() throws Exception {
    long drainSeconds = GatewayConfig.defaults().drainTimeout().toSeconds();
    long stopSeconds = Long.parseLong(service().get("TimeoutStopSec"));
    assertThat(stopSeconds).isGreaterThan(drainSeconds + 5);
  }

  @Test
  void cleanStopsAndLowPortsAndDescriptorsAreProvidedFor() throws Exception {
    Map<String, String> s = service();
    assertThat(s.get("KillSignal")).isEqualTo("SIGTERM");
    assertThat(s.get("SuccessExitStatus")).contains("143");
    assertThat(s.get("AmbientCapabilities")).contains("CAP_NET_BIND_SERVICE");
    assertThat(Long.parseLong(s.get("LimitNOFILE"))).isGreaterThanOrEqualTo(65536);
  }

  @Test
  void theGeneratedCertificateGoesWhereTheServiceMayWrite() throws Exception {
    Map<String, String> s = service();
    assertThat(s.get("ExecStart"))
        .contains("--" + Setting.TLS_GENERATED_DIR.key() + " /var/lib/rtmp-gateway");
    assertThat(s.get("ReadWritePaths")).contains("/var/lib/rtmp-gateway");
  }
}
