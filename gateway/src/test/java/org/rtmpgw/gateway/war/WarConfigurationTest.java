package org.rtmpgw.gateway.war;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.config.EffectiveConfig;
import org.rtmpgw.gateway.config.HostPort;
import org.rtmpgw.gateway.config.Setting;

class WarConfigurationTest {
  private static final UnaryOperator<String> NO_PROPERTIES = name -> null;

  private static List<String> problems(
      Map<String, String> params, UnaryOperator<String> properties, Map<String, String> env) {
    try {
      WarConfiguration.resolve(params, properties, env);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("expected problems");
  }

  @Test
  void withNothingSetEveryDefaultApplies() throws Exception {
    EffectiveConfig e = WarConfiguration.resolve(Map.of(), NO_PROPERTIES, Map.of("PATH", "/bin"));
    assertThat(e.config().upstream()).isEqualTo(HostPort.parse(Setting.UPSTREAM.defaultValue()));
    assertThat(e.file()).isEmpty();
  }

  @Test
  void contextParametersOverrideTheEnvironmentWhichOverridesTheFile(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(
        file, "upstream: 10.0.0.1:1935\nidle-hold-ms: 10\nreorder-window: 2\nnode-id: f\n");
    Map<String, String> env =
        Map.of(
            "RTMPGW_CONFIG", file.toString(),
            "RTMPGW_IDLE_HOLD_MS", "20",
            "RTMPGW_REORDER_WINDOW", "3");
    Map<String, String> params =
        Map.of(
            "reorder-window", "4",
            "org.example.framework.setting", "anything", // not ours: left alone
            "contextConfigLocation", "/WEB-INF/x.xml");

    EffectiveConfig e = WarConfiguration.resolve(params, NO_PROPERTIES, env);

    assertThat(e.file()).hasValue(file);
    assertThat(e.config().upstream()).isEqualTo(new HostPort("10.0.0.1", 1935));
    assertThat(e.config().nodeId()).isEqualTo("f");
    assertThat(e.config().idleHold().toMillis()).isEqualTo(20);
    assertThat(e.config().reorderWindow()).isEqualTo(4);
    assertThat(WarConfiguration.origin(e, Setting.UPSTREAM)).isEqualTo("file");
    assertThat(WarConfiguration.origin(e, Setting.IDLE_HOLD_MS)).isEqualTo("env RTMPGW_IDLE_HOLD_MS");
    assertThat(WarConfiguration.origin(e, Setting.REORDER_WINDOW))
        .isEqualTo("context parameter reorder-window");
    assertThat(WarConfiguration.origin(e, Setting.REPLY_MAX_BYTES)).isEqualTo("default");
  }

  @Test
  void theFileIsNamedByTheParameterElseThePropertyElseTheEnvironment(@TempDir Path dir)
      throws Exception {
    Path a = dir.resolve("a.yaml");
    Path b = dir.resolve("b.yaml");
    Path c = dir.resolve("c.yaml");
    Files.writeString(a, "upstream: 10.0.0.1:1935\n");
    Files.writeString(b, "upstream: 10.0.0.2:1935\n");
    Files.writeString(c, "upstream: 10.0.0.3:1935\n");
    Map<String, String> env = Map.of("RTMPGW_CONFIG", c.toString());
    UnaryOperator<String> property = name -> name.equals("rtmpgw.config") ? b.toString() : null;
    Map<String, String> param = Map.of("rtmpgw.config", a.toString());

    assertThat(WarConfiguration.resolve(param, property, env).config().upstream().host())
        .isEqualTo("10.0.0.1");
    assertThat(WarConfiguration.resolve(Map.of(), property, env).config().upstream().host())
        .isEqualTo("10.0.0.2");
    assertThat(WarConfiguration.resolve(Map.of(), NO_PROPERTIES, env).config().upstream().host())
        .isEqualTo("10.0.0.3");
    assertThat(WarConfiguration.configFile(Map.of(), property, env))
        .hasValueSatisfying(f -> assertThat(f.source()).isEqualTo("system property rtmpgw.config"));
    assertThat(WarConfiguration.configFile(Map.of("rtmpgw.config", " "), NO_PROPERTIES, Map.of()))
        .as("blank means unset")
        .isEmpty();
  }

  @Test
  void everyProblemIsReportedAtOnceWithTheLayerThatSetIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(file, "upstream: 10.0.0.1:1935\nreply-max-byte: 5\n");
    List<String> problems =
        problems(
            Map.of(
                "rtmpgw.config", file.toString(),
                "upstream", "nonsense",
                "idle-hold-ms", "-5",
                "idle_hold_ms", "100",
                "rtmpgw.upstream", "10.0.0.1:1935"),
            NO_PROPERTIES,
            Map.of("RTMPGW_LISTEN_TSL", "0.0.0.0:443"));

    assertThat(problems)
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("upstream: 'nonsense' is not valid")
                    .endsWith("(set by context parameter upstream)"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("idle-hold-ms: '-5'")
                    .endsWith("(set by context parameter idle-hold-ms)"))
        .anySatisfy(
            p -> assertThat(p).contains("context parameter idle_hold_ms:", "did you mean 'idle-hold-ms'"))
        .anySatisfy(p -> assertThat(p).contains("context parameter rtmpgw.upstream: not a setting"))
        .anySatisfy(p -> assertThat(p).contains("unknown key 'reply-max-byte'"))
        .anySatisfy(p -> assertThat(p).contains("RTMPGW_LISTEN_TSL", "RTMPGW_LISTEN_TLS"));
    assertThat(problems).noneMatch(p -> p.contains("flag --") || p.contains("RTMPGW_CONFIG"));
  }

  @Test
  void aMissingFileIsAProblem(@TempDir Path dir) {
    Path missing = dir.resolve("missing.yaml");
    assertThat(problems(Map.of(), NO_PROPERTIES, Map.of("RTMPGW_CONFIG", missing.toString())))
        .anySatisfy(p -> assertThat(p).contains(missing.toString()));
  }

  @Test
  void listenerSettingsAreValidatedButReportedAsIgnored() throws Exception {
    assertThat(problems(Map.of("listen", "nowhere"), NO_PROPERTIES, Map.of()))
        .anySatisfy(p -> assertThat(p).startsWith("listen: 'nowhere'"));

    EffectiveConfig none = WarConfiguration.resolve(Map.of(), NO_PROPERTIES, Map.of());
    assertThat(WarConfiguration.notApplicableLine(none))
        .startsWith("settings of the standalone jar's own listeners (listen, listen-tls,")
        .contains("do not apply");

    EffectiveConfig some =
        WarConfiguration.resolve(
            Map.of("listen-tls", "0.0.0.0:443", "idle-hold-ms", "50"),
            NO_PROPERTIES,
            Map.of("RTMPGW_TLS_CERT_FILES", "/etc/x.pem", "RTMPGW_TLS_KEY_FILES", "/etc/x.key"));
    assertThat(WarConfiguration.notApplicableLine(some))
        .startsWith("ignoring ")
        .contains(
            "listen-tls (context parameter listen-tls)",
            "tls-cert-files (env RTMPGW_TLS_CERT_FILES)",
            "tls-key-files (env RTMPGW_TLS_KEY_FILES)",
            "HTTPS (RTMPTS)")
        .doesNotContain("idle-hold-ms");
  }
}
