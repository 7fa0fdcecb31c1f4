package org.rtmpgw.gateway.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.config.EffectiveConfig;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.Setting;

/**
 * Parses the command line: {@code --config FILE}, {@code --KEY VALUE} or {@code --KEY=VALUE} for
 * every {@link Setting}, and the actions {@code --help}, {@code --version}, {@code --check-config},
 * {@code --print-config}. Precedence, lowest first: built-in defaults, the file (YAML, or Java
 * properties when its name ends in {@code .properties}), {@code RTMPGW_*} environment variables,
 * flags (see {@link EffectiveConfig}).
 */
final class CommandLine {
  enum Action {
    RUN,
    HELP,
    VERSION,
    CHECK_CONFIG,
    PRINT_CONFIG
  }

  /**
   * The action and, except for HELP and VERSION, the validated configuration with where each value
   * came from.
   */
  record Parsed(Action action, EffectiveConfig effective) {
    GatewayConfig config() {
      return effective == null ? null : effective.config();
    }
  }

  private CommandLine() {}

  /** Parses {@code args} against the process environment. */
  static Parsed parse(String[] args) throws ConfigException {
    return parse(args, System.getenv());
  }

  /**
   * Parses {@code args}; {@code env} stands for the environment (only {@code RTMPGW_*} variables
   * are read).
   *
   * @throws ConfigException every problem at once: of the arguments, the file, the environment and
   *     the values
   */
  static Parsed parse(String[] args, Map<String, String> env) throws ConfigException {
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
        case "--print-config" -> action = Action.PRINT_CONFIG;
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
            problems.add(
                "unknown option --"
                    + name
                    + Setting.closest(name).map(s -> " (did you mean --" + s.key() + "?)").orElse("")
                    + "; see --help");
          } else {
            flags.put(name, value);
          }
        }
      }
    }
    if (action == Action.HELP || action == Action.VERSION) {
      return new Parsed(action, null);
    }
    EffectiveConfig effective = null;
    try {
      effective = EffectiveConfig.resolve(file, env, flags);
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new Parsed(action, effective);
  }

  /**
   * The text of {@code --print-config}: the effective configuration as YAML usable as a config
   * file, secrets masked, each line commented with where its value came from.
   */
  static String printConfig(Parsed parsed) {
    return parsed.effective().toYaml();
  }

  /** The text of {@code --check-config} for a valid configuration: a verdict, then as printConfig. */
  static String checkConfig(Parsed parsed) {
    return "# configuration is valid\n" + printConfig(parsed);
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
    sb.append("  --print-config         print the effective configuration as YAML (secrets\n");
    sb.append("                         masked, each value's source in a comment) and exit\n");
    sb.append("  --config FILE          read settings from FILE: YAML, one 'KEY: VALUE' per line\n");
    sb.append("                         (a name ending in .properties: 'KEY = VALUE' lines)\n\n");
    sb.append("Every KEY below can be set in the file, by the environment variable\n");
    sb.append("RTMPGW_KEY (upper case, '_' for '-', e.g. RTMPGW_LISTEN_TLS) or by --KEY VALUE.\n");
    sb.append("Precedence: defaults < config file < environment < command-line flags.\n");
    sb.append("Lists (listen, listen-tls, tls-cert-files, tls-key-files) are comma-separated\n");
    sb.append("(in the file, a YAML list works too). config/gateway.yaml is the commented sample.\n\n");
    sb.append("Options (defaults in brackets):\n");
    for (Setting s : Setting.values()) {
      sb.append(String.format("  --%-30s %s [%s]%n", s.key() + " V", s.description(), s.defaultValue()));
    }
    sb.append("\nExit codes: 0 normal stop, 1 start-up failure, 2 invalid configuration.\n");
    return sb.toString();
  }
}
