package org.rtmpgw.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.io.Reader;
import org.junit.jupiter.api.Test;

/**
 * Keeps README.md's configuration table and config/gateway.properties in step with {@link
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
    Properties sample = new Properties();
    try (Reader r =
        Files.newBufferedReader(ROOT.resolve("config/gateway.properties"), StandardCharsets.UTF_8)) {
      sample.load(r);
    }
    for (Setting s : Setting.values()) {
      assertThat(sample.getProperty(s.key()))
          .as("config/gateway.properties value of %s", s.key())
          .isEqualTo(s.defaultValue());
    }
    assertThat(sample.stringPropertyNames()).hasSize(Setting.values().length);
    Map<String, String> values = new java.util.HashMap<>();
    sample.forEach((k, v) -> values.put((String) k, (String) v));
    assertThat(GatewayConfig.fromValues(values)).isEqualTo(GatewayConfig.defaults());
  }
}
