package org.rtmpgw.gateway.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The configuration after every layer has been applied, with where each value came from.
 *
 * <p>Precedence, lowest first: built-in defaults ({@link Setting#defaultValue()}), the config file,
 * environment variables ({@link Setting#ENV_PREFIX} + key, see {@link Setting#envName()}),
 * command-line flags. Each layer overrides the ones before it, key by key.
 */
public final class EffectiveConfig {
  /** What a secret's value is shown as. */
  public static final String MASK = "****";

  private static final String DEFAULT = "default";
  private static final String DERIVED_DIR = "default: the config file's folder";
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./][A-Za-z0-9_./:@+=-]*");
  private static final Pattern YAML_NULL = Pattern.compile("null|Null|NULL|~");
  private static final int COMMENT_COLUMN = 44;

  private final GatewayConfig config;
  private final Map<Setting, String> origins;
  private final Path file;

  private EffectiveConfig(GatewayConfig config, Map<Setting, String> origins, Path file) {
    this.config = config;
    this.origins = Collections.unmodifiableMap(new EnumMap<>(origins));
    this.file = file;
  }

  /**
   * Applies the layers and validates the result.
   *
   * @param file the config file ({@code --config}), or null for none
   * @param env the environment; only {@code RTMPGW_*} variables are looked at, and an unknown one
   *     is a problem
   * @param flags command-line values by key
   * @throws ConfigException every problem of every layer at once, each naming its key (or
   *     variable, or file), its value and what is allowed
   */
  public static EffectiveConfig resolve(Path file, Map<String, String> env, Map<String, String> flags)
      throws ConfigException {
    List<String> problems = new ArrayList<>();
    Map<String, String> values = new LinkedHashMap<>();
    Map<Setting, String> origins = new EnumMap<>(Setting.class);
    boolean complete = true;

    if (file != null) {
      Optional<Map<String, String>> fromFile = ConfigFile.read(file, problems);
      complete = fromFile.isPresent();
      fromFile
          .orElse(Map.of())
          .forEach(
              (key, value) ->
                  Setting.byKey(key)
                      .ifPresentOrElse(
                          s -> {
                            values.put(key, value);
                            origins.put(s, "file");
                          },
                          () ->
                              problems.add(
                                  "config "
                                      + file
                                      + ": unknown key '"
                                      + key
                                      + "'"
                                      + suggestion(key, Setting::key)
                                      + "; the keys are listed by --help")));
    }

    new TreeMap<>(env)
        .forEach(
            (name, value) -> {
              if (!name.startsWith(Setting.ENV_PREFIX)) {
                return;
              }
              Setting.byEnvName(name)
                  .ifPresentOrElse(
                      s -> {
                        values.put(s.key(), value);
                        origins.put(s, "env " + name);
                      },
                      () ->
                          problems.add(
                              "environment variable "
                                  + name
                                  + ": not a setting"
                                  + suggestion(
                                      name.substring(Setting.ENV_PREFIX.length()),
                                      Setting::envName)
                                  + "; "
                                  + Setting.ENV_PREFIX
                                  + "* variables are the keys upper-cased with '_' for '-',"
                                  + " e.g. "
                                  + Setting.LISTEN_TLS.envName()));
            });

    flags.forEach(
        (key, value) ->
            Setting.byKey(key)
                .ifPresentOrElse(
                    s -> {
                      values.put(key, value);
                      origins.put(s, "flag --" + key);
                    },
                    () -> problems.add("unknown option --" + key + " (see --help)")));

    if (file != null && !values.containsKey(Setting.TLS_GENERATED_DIR.key())) {
      // a generated certificate is kept beside the configuration it belongs to
      Path folder = file.toAbsolutePath().getParent();
      if (folder != null) {
        values.put(Setting.TLS_GENERATED_DIR.key(), folder.toString());
        origins.put(Setting.TLS_GENERATED_DIR, DERIVED_DIR);
      }
    }

    GatewayConfig config = null;
    if (complete) {
      try {
        config = GatewayConfig.fromValues(values);
      } catch (ConfigException e) {
        e.problems().forEach(p -> problems.add(withOrigin(p, origins, file)));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    for (Setting s : Setting.values()) {
      origins.putIfAbsent(s, DEFAULT);
    }
    return new EffectiveConfig(config, origins, file);
  }

  public GatewayConfig config() {
    return config;
  }

  /**
   * Where the value of {@code s} came from: {@code default}, {@code file}, {@code env RTMPGW_X},
   * {@code flag --x}, or {@code default: the config file's folder} for a derived tls-generated-dir.
   */
  public String origin(Setting s) {
    return origins.get(s);
  }

  /** The config file read, if any. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  /**
   * The effective configuration as YAML that can be used as a config file: every key, secrets
   * shown as {@value #MASK}, and after each a comment saying where its value came from.
   */
  public String toYaml() {
    StringBuilder sb = new StringBuilder();
    sb.append("# rtmp-gateway effective configuration\n");
    sb.append("# precedence: defaults < config file < environment (")
        .append(Setting.ENV_PREFIX)
        .append("*) < command-line flags\n");
    sb.append("# config file: ").append(file == null ? "(none)" : file.toString()).append('\n');
    sb.append("# secrets are shown as \"").append(MASK).append("\"\n");
    Map<String, String> values = config.toValues();
    for (Setting s : Setting.values()) {
      String value = values.get(s.key());
      String origin = origins.get(s);
      String yaml;
      if (s.isSecret() && !value.isEmpty()) {
        yaml = quote(MASK);
        origin += " (masked)";
      } else if (s.isList()) {
        yaml = list(value);
      } else {
        yaml = scalar(value);
      }
      String line = s.key() + ": " + yaml;
      sb.append(line);
      sb.append(" ".repeat(Math.max(2, COMMENT_COLUMN - line.length())));
      sb.append("# ").append(origin).append('\n');
    }
    return sb.toString();
  }

  /** A YAML scalar reading back as exactly {@code value}: plain when unambiguous, else quoted. */
  static String scalar(String value) {
    if (PLAIN.matcher(value).matches() && !value.endsWith(":") && !YAML_NULL.matcher(value).matches()) {
      return value;
    }
    return quote(value);
  }

  private static String list(String commaSeparated) {
    List<String> items = new ArrayList<>();
    for (String part : commaSeparated.split(",")) {
      if (!part.isBlank()) {
        items.add(scalar(part.trim()));
      }
    }
    return "[" + String.join(", ", items) + "]";
  }

  private static String quote(String value) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /** Appends where the value came from to a fromValues problem that starts with its key. */
  private static String withOrigin(String problem, Map<Setting, String> origins, Path file) {
    for (Setting s : Setting.values()) {
      String origin = origins.get(s);
      if (origin != null && problem.startsWith(s.key() + ": ")) {
        if (origin.equals("file")) {
          return problem + " (set in config " + file + ")";
        }
        return origin.startsWith(DEFAULT) ? problem : problem + " (set by " + origin + ")";
      }
    }
    return problem;
  }

  private static String suggestion(
      String unknown, java.util.function.Function<Setting, String> spelling) {
    return Setting.closest(unknown)
        .map(s -> " (did you mean '" + spelling.apply(s) + "'?)")
        .orElse("");
  }
}
