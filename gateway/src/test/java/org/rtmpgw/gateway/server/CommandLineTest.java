package org.rtmpgw.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.config.ConfigFile;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.Setting;

class CommandLineTest {
  private static final Map<String, String> NO_ENV = Map.of();

  @Test
  void flagsOverrideTheEnvironmentWhichOverridesTheFileWhichOverridesDefaults(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("g.yaml");
    Files.writeString(
        file, "upstream: 10.0.0.1:1935\nidle-hold-ms: 50\nreorder-window: 2\nlog-level: warn\n");
    CommandLine.Parsed p =
        CommandLine.parse(
            new String[] {"--config", file.toString(), "--idle-hold-ms=70"},
            Map.of("RTMPGW_IDLE_HOLD_MS", "60", "RTMPGW_REORDER_WINDOW", "3"));
    assertThat(p.action()).isEqualTo(CommandLine.Action.RUN);
    assertThat(p.config().upstream().host()).as("file over default").isEqualTo("10.0.0.1");
    assertThat(p.config().logLevel()).as("file over default").isEqualTo("warn");
    assertThat(p.config().reorderWindow()).as("env over file").isEqualTo(3);
    assertThat(p.config().idleHold().toMillis()).as("flag over env").isEqualTo(70);
    assertThat(p.config().replyMaxBytes())
        .as("default")
        .isEqualTo(Integer.parseInt(Setting.REPLY_MAX_BYTES.defaultValue()));
    assertThat(p.config().tlsGeneratedDir())
        .as("a generated certificate goes beside the config file")
        .isEqualTo(dir.toAbsolutePath());
  }

  @Test
  void propertiesFilesAreStillAccepted(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("g.properties");
    Files.writeString(file, "upstream = 10.0.0.1:1935\nidle-hold-ms = 50\n");
    CommandLine.Parsed p =
        CommandLine.parse(new String[] {"--config", file.toString(), "--idle-hold-ms=70"}, NO_ENV);
    assertThat(p.config().upstream().host()).isEqualTo("10.0.0.1");
    assertThat(p.config().idleHold().toMillis()).isEqualTo(70);
    assertThat(p.effective().origin(Setting.UPSTREAM)).isEqualTo("file");
  }

  @Test
  void unknownOptionsMissingValuesAndUnreadableFilesAreAllReported() {
    assertThatThrownBy(
            () ->
                CommandLine.parse(
                    new String[] {"--nope", "1", "stray", "--config", "/nonexistent/x", "--listen"},
                    NO_ENV))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(s -> assertThat(s).contains("--nope"))
                    .anySatisfy(s -> assertThat(s).contains("stray"))
                    .anySatisfy(s -> assertThat(s).contains("/nonexistent/x"))
                    .anySatisfy(s -> assertThat(s).contains("--listen needs a value")));
  }

  @Test
  void problemsOfArgumentsFileEnvironmentAndValuesComeTogether(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("g.yaml");
    Files.writeString(file, "upstream: nohostport\nbogus: 1\n");
    assertThatThrownBy(
            () ->
                CommandLine.parse(
                    new String[] {"--config", file.toString(), "--listen-tsl", "x", "--listen=:80"},
                    Map.of("RTMPGW_BOGUS", "1")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactlyInAnyOrder(
                        "unknown option --listen-tsl (did you mean --listen-tls?); see --help",
                        "config " + file + ": unknown key 'bogus'; the keys are listed by --help",
                        "environment variable RTMPGW_BOGUS: not a setting; RTMPGW_* variables"
                            + " are the keys upper-cased with '_' for '-', e.g. RTMPGW_LISTEN_TLS",
                        "upstream: 'nohostport' is not valid; expected host:port, got"
                            + " 'nohostport' (set in config " + file + ")",
                        "listen: ':80' is not valid; expected host:port, got ':80'"
                            + " (set by flag --listen)"));
  }

  @Test
  void yamlSyntaxErrorsAreReportedWithLineAndColumn(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("g.yaml");
    Files.writeString(file, "upstream: 10.0.0.1:1935\nlisten: [0.0.0.0:80\n");
    assertThatThrownBy(() -> CommandLine.parse(new String[] {"--config", file.toString()}, NO_ENV))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .singleElement()
                    .asString()
                    .startsWith("config " + file + ": YAML syntax error at line 3, column 1:"));
  }

  @Test
  void printConfigShowsTheEffectiveConfigurationWithSecretsMasked(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("g.yaml");
    Files.writeString(file, "upstream: 10.0.0.1:1935\ntls-keystore-password: fromfile\n");
    CommandLine.Parsed p =
        CommandLine.parse(
            new String[] {"--config", file.toString(), "--print-config", "--node-id", "n1"},
            Map.of("RTMPGW_TLS_KEYSTORE_PASSWORD", "s3cret", "RTMPGW_LOG_LEVEL", "debug"));
    assertThat(p.action()).isEqualTo(CommandLine.Action.PRINT_CONFIG);
    String text = CommandLine.printConfig(p);
    assertThat(text)
        .doesNotContain("s3cret")
        .doesNotContain("fromfile")
        .containsPattern(
            "(?m)^tls-keystore-password: \"\\*\\*\\*\\*\" +# env RTMPGW_TLS_KEYSTORE_PASSWORD"
                + " \\(masked\\)$")
        .containsPattern("(?m)^upstream: \\[10\\.0\\.0\\.1:1935\\] +# file$")
        .containsPattern("(?m)^log-level: debug +# env RTMPGW_LOG_LEVEL$")
        .containsPattern("(?m)^node-id: n1 +# flag --node-id$")
        .containsPattern("(?m)^idle-hold-ms: 100 +# default$");
    // fed back as a config file it gives the same configuration, but for the masked secret
    Path printed = dir.resolve("printed.yaml");
    Files.writeString(printed, text);
    CommandLine.Parsed again = CommandLine.parse(new String[] {"--config", printed.toString()}, NO_ENV);
    assertThat(again.config())
        .isEqualTo(p.config().with(Map.of("tls-keystore-password", "****")));
  }

  @Test
  void checkConfigPrintsTheSameMaskedYamlAfterItsVerdict() throws Exception {
    CommandLine.Parsed p =
        CommandLine.parse(
            new String[] {"--check-config", "--tls-keystore-password", "s3cret"}, NO_ENV);
    assertThat(p.action()).isEqualTo(CommandLine.Action.CHECK_CONFIG);
    String text = CommandLine.checkConfig(p);
    assertThat(text)
        .startsWith("# configuration is valid\n")
        .endsWith(CommandLine.printConfig(p))
        .doesNotContain("s3cret")
        .containsPattern(
            "(?m)^tls-keystore-password: \"\\*\\*\\*\\*\" +# flag --tls-keystore-password"
                + " \\(masked\\)$");
    assertThat(GatewayConfig.fromValues(ConfigFile.parseYaml(text, "check")))
        .isEqualTo(p.config().with(Map.of("tls-keystore-password", "****")));
  }

  @Test
  void helpAndVersionIgnoreTheConfiguration() throws Exception {
    assertThat(CommandLine.parse(new String[] {"--version", "--config", "/nonexistent"}, NO_ENV).action())
        .isEqualTo(CommandLine.Action.VERSION);
    assertThat(CommandLine.parse(new String[] {"-h"}, Map.of("RTMPGW_NOPE", "1")).action())
        .isEqualTo(CommandLine.Action.HELP);
  }

  @Test
  void helpListsEveryOptionTheEnvironmentAndThePrecedence() throws Exception {
    assertThat(CommandLine.parse(new String[] {"--help"}).action())
        .isEqualTo(CommandLine.Action.HELP);
    String help = CommandLine.help();
    for (Setting s : Setting.values()) {
      assertThat(help).contains("--" + s.key());
    }
    assertThat(help)
        .contains("--config")
        .contains("--check-config")
        .contains("--print-config")
        .contains("--version")
        .contains("YAML")
        .contains("RTMPGW_")
        .contains("RTMPGW_LISTEN_TLS")
        .contains("defaults < config file < environment < command-line flags");
  }
}
