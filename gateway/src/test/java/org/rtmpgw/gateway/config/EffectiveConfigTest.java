package org.rtmpgw.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EffectiveConfigTest {

  private static List<String> problems(Path file, Map<String, String> env, Map<String, String> flags) {
    try {
      EffectiveConfig.resolve(file, env, flags);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("expected problems");
  }

  @Test
  void eachLayerOverridesTheOneBefore(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("g.yaml");
    // four keys: set by file, file+env, file+env+flag, and none (default)
    Files.writeString(
        file, "upstream: 10.0.0.1:1935\nidle-hold-ms: 10\nreorder-window: 2\n");
    Map<String, String> env =
        Map.of("RTMPGW_IDLE_HOLD_MS", "20", "RTMPGW_REORDER_WINDOW", "3", "PATH", "/bin");
    Map<String, String> flags = Map.of("reorder-window", "4");

    EffectiveConfig e = EffectiveConfig.resolve(file, env, flags);

    assertThat(e.config().upstream()).isEqualTo(new HostPort("10.0.0.1", 1935));
    assertThat(e.config().idleHold().toMillis()).isEqualTo(20);
    assertThat(e.config().reorderWindow()).isEqualTo(4);
    assertThat(e.config().replyMaxBytes())
        .isEqualTo(Integer.parseInt(Setting.REPLY_MAX_BYTES.defaultValue()));
    assertThat(e.origin(Setting.UPSTREAM)).isEqualTo("file");
    assertThat(e.origin(Setting.IDLE_HOLD_MS)).isEqualTo("env RTMPGW_IDLE_HOLD_MS");
    assertThat(e.origin(Setting.REORDER_WINDOW)).isEqualTo("flag --reorder-window");
    assertThat(e.origin(Setting.REPLY_MAX_BYTES)).isEqualTo("default");
    assertThat(e.file()).hasValue(file);
  }

  @Test
  void environmentOverridesDefaultsWithoutAFileAndFlagsOverrideIt() throws Exception {
    EffectiveConfig e =
        EffectiveConfig.resolve(
            null,
            Map.of("RTMPGW_UPSTREAM", "10.0.0.9:1935", "RTMPGW_LISTEN_TLS", ""),
            Map.of("upstream", "10.0.0.8:1935"));
    assertThat(e.config().upstream().host()).isEqualTo("10.0.0.8");
    assertThat(e.config().listenTls()).as("an empty variable sets an empty value").isEmpty();
    assertThat(e.origin(Setting.LISTEN_TLS)).isEqualTo("env RTMPGW_LISTEN_TLS");
    assertThat(e.config().tlsGeneratedDir()).as("no file: nothing derived").isNull();
  }

  @Test
  void everyKeyHasItsEnvironmentVariable() throws Exception {
    assertThat(Setting.UPSTREAM.envName()).isEqualTo("RTMPGW_UPSTREAM");
    assertThat(Setting.LISTEN_TLS.envName()).isEqualTo("RTMPGW_LISTEN_TLS");
    assertThat(Setting.TLS_KEYSTORE_PASSWORD.envName()).isEqualTo("RTMPGW_TLS_KEYSTORE_PASSWORD");
    Map<String, String> env = new LinkedHashMap<>();
    for (Setting s : Setting.values()) {
      assertThat(Setting.byEnvName(s.envName())).hasValue(s);
      env.put(s.envName(), s.defaultValue());
    }
    EffectiveConfig e = EffectiveConfig.resolve(null, env, Map.of());
    assertThat(e.config()).isEqualTo(GatewayConfig.defaults());
    for (Setting s : Setting.values()) {
      assertThat(e.origin(s)).isEqualTo("env " + s.envName());
    }
  }

  @Test
  void tlsGeneratedDirIsTheFileFolderUnlessSomeLayerSetsIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("g.yaml");
    Files.writeString(file, "log-level: info\n");
    EffectiveConfig derived = EffectiveConfig.resolve(file, Map.of(), Map.of());
    assertThat(derived.config().tlsGeneratedDir()).isEqualTo(dir.toAbsolutePath());
    assertThat(derived.origin(Setting.TLS_GENERATED_DIR)).isEqualTo("default: the config file's folder");
    EffectiveConfig fromEnv =
        EffectiveConfig.resolve(file, Map.of("RTMPGW_TLS_GENERATED_DIR", "/var/lib/x"), Map.of());
    assertThat(fromEnv.config().tlsGeneratedDir()).isEqualTo(Path.of("/var/lib/x"));
  }

  @Test
  void unknownKeysInTheFileAreReportedWithTheFileAndASuggestion(@TempDir Path dir) {
    Path file = dir.resolve("g.yaml");
    writeQuietly(file, "listen_tls: 0.0.0.0:443\nfrobnicate: 1\n");
    assertThat(problems(file, Map.of(), Map.of()))
        .containsExactly(
            "config " + file + ": unknown key 'listen_tls' (did you mean 'listen-tls'?);"
                + " the keys are listed by --help",
            "config " + file + ": unknown key 'frobnicate'; the keys are listed by --help");
  }

  @Test
  void unknownRtmpgwVariablesAreReportedByName() {
    assertThat(
            problems(
                null,
                Map.of("RTMPGW_LISTEN_TSL", "0.0.0.0:443", "RTMPGW_OPTS", "-Xmx1g", "HOME", "/root"),
                Map.of()))
        .containsExactly(
            "environment variable RTMPGW_LISTEN_TSL: not a setting (did you mean"
                + " 'RTMPGW_LISTEN_TLS'?); RTMPGW_* variables are the keys upper-cased with '_'"
                + " for '-', e.g. RTMPGW_LISTEN_TLS",
            "environment variable RTMPGW_OPTS: not a setting; RTMPGW_* variables are the keys"
                + " upper-cased with '_' for '-', e.g. RTMPGW_LISTEN_TLS");
  }

  @Test
  void badValuesNameKeyValueWhatIsAllowedAndWhereTheValueCameFrom(@TempDir Path dir) {
    Path file = dir.resolve("g.yaml");
    writeQuietly(file, "upstream: rtmp.example.org\nlisten: [0.0.0.0:80, 0.0.0.0:99999]\n");
    assertThat(
            problems(
                file,
                Map.of("RTMPGW_MANAGEMENT_LISTEN", "localhost:port"),
                Map.of("idle-hold-ms", "-1")))
        .containsExactlyInAnyOrder(
            "upstream: 'rtmp.example.org' is not valid; expected host:port, got"
                + " 'rtmp.example.org' (set in config " + file + ")",
            "listen: '0.0.0.0:80,0.0.0.0:99999' is not valid; port 99999 is outside 0-65535"
                + " (set in config " + file + ")",
            "idle-hold-ms: '-1' is not valid; expected a whole number from 0 to 5000"
                + " (set by flag --idle-hold-ms)",
            "management-listen: 'localhost:port' is not valid; port 'port' is not a number in"
                + " 0-65535 (set by env RTMPGW_MANAGEMENT_LISTEN)");
  }

  @Test
  void aFileThatCannotBeParsedIsReportedWithoutSecondGuessingTheRest(@TempDir Path dir) {
    Path file = dir.resolve("g.yaml");
    writeQuietly(file, "upstream: [\n");
    assertThat(problems(file, Map.of("RTMPGW_NOPE", "1"), Map.of("listen", "bad")))
        .hasSize(2)
        .anySatisfy(p -> assertThat(p).startsWith("config " + file + ": YAML syntax error at line 2"))
        .anySatisfy(p -> assertThat(p).startsWith("environment variable RTMPGW_NOPE"));
  }

  @Test
  void printedYamlShowsEveryKeyWithItsOriginAndParsesBackToTheSameConfiguration(
      @TempDir Path dir) throws Exception {
    Path file = dir.resolve("g.yaml");
    Files.writeString(file, "upstream: 10.0.0.1:1935\nlisten: 0.0.0.0:80,[::1]:1935\n");
    EffectiveConfig e =
        EffectiveConfig.resolve(
            file,
            Map.of("RTMPGW_IDENT_BODY", "  odd: \"text\" # not a comment\n\\ null"),
            Map.of("node-id", "null", "tls-cert-files", "a.pem,b.pem", "tls-key-files", "a.key,b.key"));
    String yaml = e.toYaml();

    assertThat(yaml)
        .contains("upstream: [10.0.0.1:1935]")
        .containsPattern("(?m)^upstream: \\[10\\.0\\.0\\.1:1935\\] +# file$")
        .containsPattern("(?m)^listen: \\[0\\.0\\.0\\.0:80, \"\\[::1\\]:1935\"\\] +# file$")
        .containsPattern("(?m)^ident-body: \".*\" +# env RTMPGW_IDENT_BODY$")
        .containsPattern("(?m)^node-id: \"null\" +# flag --node-id$")
        .containsPattern("(?m)^reply-max-bytes: 2097152 +# default$")
        .containsPattern("(?m)^tls-generated-dir: .+ +# default: the config file's folder$")
        .contains("# config file: " + file);
    for (Setting s : Setting.values()) {
      assertThat(yaml).containsPattern("(?m)^" + s.key() + ": ");
    }
    Map<String, String> back = ConfigFile.parseYaml(yaml, "printed");
    assertThat(back).hasSize(Setting.values().length);
    assertThat(GatewayConfig.fromValues(back)).isEqualTo(e.config());
  }

  @Test
  void defaultsPrintAndParseBack() throws Exception {
    EffectiveConfig e = EffectiveConfig.resolve(null, Map.of(), Map.of());
    assertThat(GatewayConfig.fromValues(ConfigFile.parseYaml(e.toYaml(), "printed")))
        .isEqualTo(GatewayConfig.defaults());
    assertThat(e.toYaml())
        .containsPattern("(?m)^tls-keystore-password: \"\" +# default$")
        .containsPattern("(?m)^listen: \\[0\\.0\\.0\\.0:8080\\] +# default$")
        .containsPattern("(?m)^tls-cert-files: \\[\\] +# default$");
  }

  @Test
  void secretsAreMasked() throws Exception {
    assertThat(Setting.TLS_KEYSTORE_PASSWORD.isSecret()).isTrue();
    assertThat(
            java.util.Arrays.stream(Setting.values()).filter(Setting::isSecret).toList())
        .containsExactly(Setting.TLS_KEYSTORE_PASSWORD);
    EffectiveConfig e =
        EffectiveConfig.resolve(
            null, Map.of("RTMPGW_TLS_KEYSTORE_PASSWORD", "hunter2"), Map.of());
    assertThat(e.config().tlsKeystorePassword()).isEqualTo("hunter2");
    assertThat(e.toYaml())
        .doesNotContain("hunter2")
        .containsPattern(
            "(?m)^tls-keystore-password: \"\\*\\*\\*\\*\" +# env RTMPGW_TLS_KEYSTORE_PASSWORD \\(masked\\)$");
  }

  @Test
  void scalarsAreQuotedOnlyWhenPlainTextWouldReadDifferently() throws Exception {
    for (String value :
        List.of("", "plain", "0.0.0.0:80", "[::1]:80", "null", "~", "a: b", "#x", "x #y", " lead",
            "trail ", "quote\"s", "back\\slash", "tab\there", "line\nbreak", "- item", "key:",
            "{a}", "caf\u00e9", "\u0007bell", "'single'", "&anchor", "*alias", "!tag", "%pct",
            "@at", "`tick`", "yes", "0123", "1e3", "true")) {
      String yaml = "ident-body: " + EffectiveConfig.scalar(value) + "\n";
      assertThat(ConfigFile.parseYaml(yaml, "t")).as(yaml).containsEntry("ident-body", value);
    }
    assertThat(EffectiveConfig.scalar("0.0.0.0:80")).isEqualTo("0.0.0.0:80");
    assertThat(EffectiveConfig.scalar("5000")).isEqualTo("5000");
    assertThat(EffectiveConfig.scalar("")).isEqualTo("\"\"");
    assertThat(EffectiveConfig.scalar("null")).isEqualTo("\"null\"");
  }

  private static void writeQuietly(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
