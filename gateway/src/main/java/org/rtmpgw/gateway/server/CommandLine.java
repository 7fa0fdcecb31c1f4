package org.rtmpgw.gateway.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.Setting;

/**
 * Parses the command line: {@code --config FILE}, {@code --KEY VALUE} or {@code --KEY=VALUE} for
 * every {@link Setting}, and the actions {@code --help}, {@code --version}, {@code --check-config}.
 * Precedence: built-in defaults, then the file, then flags.
 */
final class CommandLine {
  enum Action {
    RUN,
    HELP,
    VERSION,
    CHECK_CONFIG
  }

  record Parsed(Action action, GatewayConfig config) {}

  private CommandLine() {}

  static Parsed parse(String[] args) throws ConfigException {
    Action action = Action.RUN;
    Path file = null;
    Map<String, String> flags = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> action = Action.HELP;
        case "--version" -> action = Action.VERSION;
        case "--check-config" -> action = Action.CHECK_CONFIG;
        default -> {
          if (!arg.startsWith("--")) {
            problems.add("unexpected argument '" + arg + "' (options start with --)");
            continue;
          }
          String name = arg.substring(2);
          String value;
          int eq = name.indexOf('=');
          if (eq >= 0) {
            value = name.substring(eq + 1);
            name = name.substring(0, eq);
          } else if (i + 1 < args.length) {
            value = args[++i];
          } else {
            problems.add("--" + name + " needs a value");
            continue;
          }
          if (name.equals("config")) {
            file = Path.of(value);
          } else if (Setting.byKey(name).isEmpty()) {
            problems.add("unknown option --" + name + " (see --help)");
          } else {
            flags.put(name, value);
          }
        }
      }
    }
    if (action == Action.HELP || action == Action.VERSION) {
      return new Parsed(action, null);
    }
    Map<String, String> values = new LinkedHashMap<>();
    if (file != null) {
      try {
        values.putAll(readFile(file));
      } catch (IOException e) {
        problems.add("config: cannot read " + file + ": " + e.getMessage());
      }
    }
    values.putAll(flags);
    if (file != null && !values.containsKey(Setting.TLS_GENERATED_DIR.key())) {
      // a generated certificate is kept beside the configuration it belongs to
      Path folder = file.toAbsolutePath().getParent();
      if (folder != null) {
        values.put(Setting.TLS_GENERATED_DIR.key(), folder.toString());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new Parsed(action, GatewayConfig.fromValues(values));
  }

  /** A {@code key = value} file (Java properties syntax, {@code #} comments). */
  static Map<String, String> readFile(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      values.put(key, p.getProperty(key));
    }
    return values;
  }

  static String help() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: java -jar rtmp-gateway.jar [--config FILE] [--KEY VALUE]...\n\n");
    sb.append("RTMP tunnelling gateway: clients speak RTMPT, RTMPTS, RTMPS or raw RTMP to its\n");
    sb.append("listeners; each session becomes one RTMP connection to the upstream server.\n\n");
    sb.append("Actions:\n");
    sb.append("  --help                 this text\n");
    sb.append("  --version              print the version\n");
    sb.append("  --check-config         validate the configuration and exit (0 valid, 2 not)\n");
    sb.append("  --config FILE          read KEY = VALUE lines (properties syntax) from FILE\n\n");
    sb.append("Options (flags override the file; defaults in brackets):\n");
    for (Setting s : Setting.values()) {
      sb.append(String.format("  --%-30s %s [%s]%n", s.key() + " V", s.description(), s.defaultValue()));
    }
    sb.append("\nExit codes: 0 normal stop, 1 start-up failure, 2 invalid configuration.\n");
    return sb.toString();
  }
}
