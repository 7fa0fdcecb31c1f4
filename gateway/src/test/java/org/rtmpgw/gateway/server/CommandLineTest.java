package org.rtmpgw.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.config.Setting;

class CommandLineTest {

  @Test
  void flagsOverrideTheFileWhichOverridesDefaults(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("g.properties");
    Files.writeString(file, "upstream = 10.0.0.1:1935\nidle-hold-ms = 50\n");
    CommandLine.Parsed p =
        CommandLine.parse(new String[] {"--config", file.toString(), "--idle-hold-ms=70"});
    assertThat(p.action()).isEqualTo(CommandLine.Action.RUN);
    assertThat(p.config().upstream().host()).isEqualTo("10.0.0.1");
    assertThat(p.config().idleHold().toMillis()).isEqualTo(70);
    assertThat(p.config().replyMaxBytes())
        .isEqualTo(Integer.parseInt(Setting.REPLY_MAX_BYTES.defaultValue()));
  }

  @Test
  void unknownOptionsMissingValuesAndUnreadableFilesAreAllReported() {
    assertThatThrownBy(
            () ->
                CommandLine.parse(
                    new String[] {"--nope", "1", "stray", "--config", "/nonexistent/x", "--listen"}))
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
  void helpListsEveryOption() throws Exception {
    assertThat(CommandLine.parse(new String[] {"--help"}).action())
        .isEqualTo(CommandLine.Action.HELP);
    String help = CommandLine.help();
    for (Setting s : Setting.values()) {
      assertThat(help).contains("--" + s.key());
    }
    assertThat(help).contains("--config").contains("--check-config").contains("--version");
  }
}
