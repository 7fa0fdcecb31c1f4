package org.rtmpgw.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Keeps README.md's configuration table and config/gateway.yaml in step with {@link
 * Setting}: a new key, a changed default or description fails here until the docs follow.
 */
class SettingsDocumentationTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String BEGIN = "<!-- settings-table:begin -->";
  private static final String END = "<!-- settings-table:end -->";

  static String markdownTable() {
    StringBuilder sb = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
    for (Setting s : Setting.values()) {
      String def = s.defaultValue().isEmpty() ? "(empty)" : "`" + s.defaultValue() + "`";
      sb.append("| `").append(s.key()).append("` | ").append(def).append(" | ");
      sb.append(s.description()).append(" |\n");
    }
    return sb.toString();
  }

  @Test
  void readmeTableListsEverySettingWithItsDefault() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    int begin = readme.indexOf(BEGIN);
    int end = readme.indexOf(END);
    assertThat(begin).as("README has the settings table markers").isGreaterThanOrEqualTo(0);
    assertThat(end).isGreaterThan(begin);
    String table = readme.substring(begin + BEGIN.length(), end).strip() + "\n";
    assertThat(table)
        .as("README table between the markers; regenerate it from Setting")
        .isEqualTo(markdownTable());
  }

  @Test
  void sampleConfigurationSetsEveryKeyToItsDefault() throws Exception {
    Path file = ROOT.resolve("config/gateway.yaml");
    Map<String, String> sample =
        ConfigFile.parseYaml(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    for (Setting s : Setting.values()) {
      assertThat(sample)
          .as("config/gateway.yaml value of %s", s.key())
          .containsEntry(s.key(), s.defaultValue());
    }
    assertThat(sample).hasSize(Setting.values().length);
    assertThat(GatewayConfig.fromValues(sample)).isEqualTo(GatewayConfig.defaults());
  }

  @Test
  void sampleConfigurationExplainsEveryKey() throws IOException {
    // a comment line (the explanation) precedes each key's line or block of lines
    String[] lines =
        Files.readString(ROOT.resolve("config/gateway.yaml"), StandardCharsets.UTF_8).split("\n");
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].matches("[a-z0-9-]+:.*")) {
        int j = i - 1;
        while (j >= 0 && (lines[j].matches("[a-z0-9-]+:.*") || lines[j].startsWith("  - "))) {
          j--;
        }
        assertThat(j).as("a comment above %s", lines[i]).isGreaterThanOrEqualTo(0);
        assertThat(lines[j]).as("the line above %s", lines[i]).startsWith("#");
      }
    }
  }

  @Test
  void thePropertiesSampleIsGone() {
    assertThat(ROOT.resolve("config/gateway.properties")).doesNotExist();
  }
}
