package org.rtmpgw.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {

  private static List<String> problemsOf(String yaml) {
    List<String> problems = new ArrayList<>();
    ConfigFile.parseYaml(yaml, "g.yaml", problems);
    return problems;
  }

  @Test
  void scalarsAreTakenAsWrittenWhateverTheirYamlType() throws Exception {
    Map<String, String> v =
        ConfigFile.parseYaml(
            """
            upstream: 127.0.0.1:1935
            idle-hold-ms: 50
            access-log: True
            tcp-quickack: false
            tls-keystore-password: 0123
            ident-body: 1.50
            node-id: "n1"
            log-level: 'debug'
            """,
            "g.yaml");
    assertThat(v)
        .containsEntry("upstream", "127.0.0.1:1935")
        .containsEntry("idle-hold-ms", "50")
        .containsEntry("access-log", "True")
        .containsEntry("tcp-quickack", "false")
        .containsEntry("tls-keystore-password", "0123")
        .containsEntry("ident-body", "1.50")
        .containsEntry("node-id", "n1")
        .containsEntry("log-level", "debug");
    GatewayConfig c = GatewayConfig.fromValues(v);
    assertThat(c.accessLog()).isTrue();
    assertThat(c.tlsKeystorePassword()).isEqualTo("0123");
    assertThat(c.idleHold().toMillis()).isEqualTo(50);
  }

  @Test
  void nullTildeAndNothingMeanEmpty() throws Exception {
    Map<String, String> v =
        ConfigFile.parseYaml("node-id:\nident-body: ~\nmanagement-listen: null\n", "g.yaml");
    assertThat(v)
        .containsEntry("node-id", "")
        .containsEntry("ident-body", "")
        .containsEntry("management-listen", "");
    assertThat(GatewayConfig.fromValues(v).managementListen()).isNull();
  }

  @Test
  void listsTakeASequenceOrCommaSeparatedText() throws Exception {
    Map<String, String> v =
        ConfigFile.parseYaml(
            """
            listen:
              - 0.0.0.0:80
              - "[::1]:1935"
            listen-tls: 0.0.0.0:443, 127.0.0.1:8443
            tls-cert-files: [a.pem, b.pem]
            tls-key-files: []
            """,
            "g.yaml");
    assertThat(v)
        .containsEntry("listen", "0.0.0.0:80,[::1]:1935")
        .containsEntry("listen-tls", "0.0.0.0:443, 127.0.0.1:8443")
        .containsEntry("tls-cert-files", "a.pem,b.pem")
        .containsEntry("tls-key-files", "");
    GatewayConfig c = GatewayConfig.fromValues(v.entrySet().stream()
        .filter(e -> !e.getKey().startsWith("tls-"))
        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    assertThat(c.listen()).containsExactly(new HostPort("0.0.0.0", 80), new HostPort("::1", 1935));
    assertThat(c.listenTls())
        .containsExactly(new HostPort("0.0.0.0", 443), new HostPort("127.0.0.1", 8443));
  }

  @Test
  void emptyOrCommentOnlyFileMeansEveryDefault() throws Exception {
    assertThat(ConfigFile.parseYaml("", "g.yaml")).isEmpty();
    assertThat(ConfigFile.parseYaml("# nothing set\n\n", "g.yaml")).isEmpty();
  }

  @Test
  void syntaxErrorNamesFileLineAndColumn() {
    assertThat(problemsOf("upstream: 127.0.0.1:1935\nlisten: [0.0.0.0:80\nlog-level: info\n"))
        .singleElement()
        .satisfies(
            p ->
                assertThat(p)
                    .startsWith("config g.yaml: YAML syntax error at line 3, column ")
                    .contains("expected ',' or ']'"));
    assertThat(problemsOf("upstream: a:1\n  listen: b:2\n"))
        .singleElement()
        .asString()
        .isEqualTo(
            "config g.yaml: YAML syntax error at line 2, column 9: mapping values are not allowed"
                + " here");
    assertThat(problemsOf("\tupstream: a:1\n"))
        .singleElement()
        .asString()
        .contains("line 1, column 1")
        .contains("TAB");
  }

  @Test
  void syntaxErrorThrowsAConfigExceptionFromTheConvenienceParser() {
    assertThatThrownBy(() -> ConfigFile.parseYaml("upstream: \"open\n", "x.yaml"))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .singleElement()
                    .asString()
                    .startsWith("config x.yaml: YAML syntax error at line 2, column 1"));
  }

  @Test
  void topLevelMustBeAMapping() {
    assertThat(problemsOf("- upstream: a:1\n- listen: b:2\n"))
        .singleElement()
        .asString()
        .isEqualTo(
            "config g.yaml: the top level must be a mapping of 'key: value' lines"
                + " (e.g. 'upstream: 127.0.0.1:1935'), not a list");
    assertThat(problemsOf("upstream 127.0.0.1:1935\n"))
        .singleElement()
        .asString()
        .contains("top level must be a mapping")
        .contains("not the text 'upstream 127.0.0.1:1935'");
  }

  @Test
  void duplicateKeysAreRefusedWithTheirLine() {
    assertThat(problemsOf("upstream: a:1\nlisten: b:2\nupstream: c:3\n"))
        .singleElement()
        .asString()
        .isEqualTo(
            "config g.yaml: at line 3, column 1: duplicate key 'upstream' (give each key once)");
  }

  @Test
  void nestedValuesAreRefusedKeyByKeyAndTheRestIsKept() {
    List<String> problems = new ArrayList<>();
    Optional<Map<String, String>> v =
        ConfigFile.parseYaml(
            """
            upstream:
              host: 127.0.0.1
              port: 1935
            node-id: [a, b]
            listen: [[0.0.0.0:80]]
            listen-tls: {a: b}
            log-level: debug
            """,
            "g.yaml",
            problems);
    assertThat(v).hasValue(Map.of("log-level", "debug"));
    assertThat(problems)
        .containsExactly(
            "config g.yaml: upstream: a nested mapping is not allowed; expected a list of text"
                + " values or comma-separated text",
            "config g.yaml: node-id: a list is not allowed; expected a single value"
                + " (the file is flat: one 'key: value' per line)",
            "config g.yaml: listen: a list holding a list or mapping is not allowed; expected a"
                + " list of text values or comma-separated text",
            "config g.yaml: listen-tls: a nested mapping is not allowed; expected a list of text"
                + " values or comma-separated text");
  }

  @Test
  void moreThanOneDocumentIsRefused() {
    assertThat(problemsOf("upstream: a:1\n---\nupstream: b:2\n"))
        .singleElement()
        .asString()
        .contains("line 2")
        .contains("single document");
  }

  @Test
  void unknownKeysAreLeftToTheCaller() throws Exception {
    assertThat(ConfigFile.parseYaml("bogus: 1\n", "g.yaml")).containsEntry("bogus", "1");
  }

  @Test
  void propertiesFilesAreStillRead(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("gateway.properties");
    Files.writeString(file, "# old format\nupstream = 10.0.0.1:1935\nlisten = 0.0.0.0:80,0.0.0.0:1935\n");
    List<String> problems = new ArrayList<>();
    assertThat(ConfigFile.read(file, problems))
        .hasValue(Map.of("upstream", "10.0.0.1:1935", "listen", "0.0.0.0:80,0.0.0.0:1935"));
    assertThat(problems).isEmpty();
    assertThat(ConfigFile.isProperties(file)).isTrue();
    assertThat(ConfigFile.isProperties(dir.resolve("gateway.yaml"))).isFalse();
    assertThat(ConfigFile.isProperties(dir.resolve("gateway.conf"))).isFalse();
  }

  @Test
  void anyOtherNameIsReadAsYaml(@TempDir Path dir) throws Exception {
    for (String name : List.of("g.yaml", "g.yml", "gateway.conf")) {
      Path file = dir.resolve(name);
      Files.writeString(file, "upstream: 10.0.0.2:1935\n");
      List<String> problems = new ArrayList<>();
      assertThat(ConfigFile.read(file, problems)).hasValue(Map.of("upstream", "10.0.0.2:1935"));
      assertThat(problems).isEmpty();
    }
  }

  @Test
  void unreadableFilesAreOneProblemNamingTheFile(@TempDir Path dir) throws Exception {
    List<String> problems = new ArrayList<>();
    Path missing = dir.resolve("missing.yaml");
    assertThat(ConfigFile.read(missing, problems)).isEmpty();
    assertThat(ConfigFile.read(dir, problems)).isEmpty();
    Path latin1 = dir.resolve("latin1.yaml");
    Files.write(latin1, "ident-body: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(ConfigFile.read(latin1, problems)).isEmpty();
    assertThat(problems)
        .containsExactly(
            "config " + missing + ": cannot read it: no such file",
            problems.get(1),
            "config " + latin1 + ": cannot read it: not UTF-8 text");
    assertThat(problems.get(1)).startsWith("config " + dir + ": cannot read it");
  }

  @Test
  void aByteOrderMarkIsIgnored() throws Exception {
    assertThat(ConfigFile.parseYaml("\uFEFFupstream: a:1\n", "g.yaml")).containsEntry("upstream", "a:1");
  }
}
