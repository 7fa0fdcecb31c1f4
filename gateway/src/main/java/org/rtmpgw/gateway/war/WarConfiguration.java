package org.rtmpgw.gateway.war;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.config.EffectiveConfig;
import org.rtmpgw.gateway.config.Setting;

/**
 * The gateway's configuration inside a servlet container: the same keys, layers and validation as
 * the standalone jar ({@link EffectiveConfig#resolve}), with servlet context parameters in place of
 * command-line flags.
 *
 * <p>Precedence, lowest first: built-in defaults, the config file, {@code RTMPGW_*} environment
 * variables, context parameters named like the keys ({@code upstream}, {@code idle-hold-ms}, …).
 * The config file is named by the context parameter {@value #CONFIG_NAME}, else the system
 * property {@value #CONFIG_NAME}, else the environment variable {@value #CONFIG_ENV}.
 *
 * <p>Other context parameters are left alone (containers and frameworks have their own), except
 * names that look like a misspelt key (no dot, at most two edits from a key) and {@code rtmpgw.*}
 * names other than {@value #CONFIG_NAME}: those are problems, as unknown keys are in the jar.
 */
public final class WarConfiguration {
  /** Context parameter and system property naming the config file. */
  public static final String CONFIG_NAME = "rtmpgw.config";

  /** Environment variable naming the config file when neither the parameter nor the property does. */
  public static final String CONFIG_ENV = "RTMPGW_CONFIG";

  /**
   * Settings of the standalone jar's own listeners and process that do nothing inside a container:
   * its connectors serve HTTP (RTMPT) and HTTPS (RTMPTS), and keep-alive, header limits, access
   * logging and log levels are the container's settings.
   */
  public static final Set<Setting> NOT_APPLICABLE =
      EnumSet.of(
          Setting.LISTEN,
          Setting.LISTEN_TLS,
          Setting.MANAGEMENT_LISTEN,
          Setting.TLS_CERT_FILES,
          Setting.TLS_KEY_FILES,
          Setting.TLS_KEYSTORE_FILE,
          Setting.TLS_KEYSTORE_PASSWORD,
          Setting.TLS_GENERATED_DIR,
          Setting.TLS_RELOAD_CHECK_MS,
          Setting.TLS_HANDSHAKE_TIMEOUT_MS,
          Setting.TLS13_SESSION_TICKETS,
          Setting.SNIFF_TIMEOUT_MS,
          Setting.RAW_IDLE_TIMEOUT_MS,
          Setting.TCP_QUICKACK,
          Setting.HTTP_IDLE_TIMEOUT_MS,
          Setting.REQUEST_HEADER_MAX_BYTES,
          Setting.DRAIN_TIMEOUT_MS,
          Setting.UPSTREAM_PROBE_INTERVAL_MS,
          Setting.ACCESS_LOG,
          Setting.LOG_LEVEL);

  private static final String FLAG_ORIGIN = "flag --";
  private static final String PARAMETER_ORIGIN = "context parameter ";

  private WarConfiguration() {}

  /** Where the config file came from, for the start-up log line. */
  public record ConfigFile(Path path, String source) {}

  /**
   * Resolves the configuration.
   *
   * @param contextParameters every servlet context init parameter
   * @param systemProperties looks up a system property (null when unset)
   * @param env the environment
   * @throws ConfigException every problem at once; a value's problem names the layer that set it
   *     ("set by context parameter idle-hold-ms", "set by env RTMPGW_UPSTREAM", the file)
   */
  public static EffectiveConfig resolve(
      Map<String, String> contextParameters,
      UnaryOperator<String> systemProperties,
      Map<String, String> env)
      throws ConfigException {
    List<String> problems = new ArrayList<>();
    Map<String, String> values = new LinkedHashMap<>();
    new TreeMap<>(contextParameters)
        .forEach(
            (name, value) -> {
              if (Setting.byKey(name).isPresent()) {
                values.put(name, value == null ? "" : value);
              } else if (!name.equals(CONFIG_NAME)) {
                unknownParameter(name).ifPresent(problems::add);
              }
            });
    Optional<ConfigFile> file = configFile(contextParameters, systemProperties, env);
    Map<String, String> settingsEnv = new TreeMap<>(env);
    settingsEnv.remove(CONFIG_ENV); // names the file; not a setting
    try {
      EffectiveConfig effective =
          EffectiveConfig.resolve(file.map(ConfigFile::path).orElse(null), settingsEnv, values);
      if (problems.isEmpty()) {
        return effective;
      }
    } catch (ConfigException e) {
      for (String problem : e.problems()) {
        problems.add(problem.replace("(set by " + FLAG_ORIGIN, "(set by " + PARAMETER_ORIGIN));
      }
    }
    throw new ConfigException(problems);
  }

  /**
   * The config file: the context parameter {@value #CONFIG_NAME}, else the system property of that
   * name, else the environment variable {@value #CONFIG_ENV}; a blank value counts as unset.
   */
  public static Optional<ConfigFile> configFile(
      Map<String, String> contextParameters,
      UnaryOperator<String> systemProperties,
      Map<String, String> env) {
    String fromParameter = contextParameters.get(CONFIG_NAME);
    if (fromParameter != null && !fromParameter.isBlank()) {
      return Optional.of(
          new ConfigFile(Path.of(fromParameter.trim()), "context parameter " + CONFIG_NAME));
    }
    String fromProperty = systemProperties.apply(CONFIG_NAME);
    if (fromProperty != null && !fromProperty.isBlank()) {
      return Optional.of(
          new ConfigFile(Path.of(fromProperty.trim()), "system property " + CONFIG_NAME));
    }
    String fromEnv = env.get(CONFIG_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Optional.of(new ConfigFile(Path.of(fromEnv.trim()), "environment " + CONFIG_ENV));
    }
    return Optional.empty();
  }

  /** {@code origin} of {@link EffectiveConfig#origin} in this layer's words. */
  public static String origin(EffectiveConfig effective, Setting setting) {
    String origin = effective.origin(setting);
    return origin.startsWith(FLAG_ORIGIN)
        ? PARAMETER_ORIGIN + origin.substring(FLAG_ORIGIN.length())
        : origin;
  }

  /**
   * The one log line about the settings that do not apply in a container: which of them were set
   * (and where), or that none was.
   */
  public static String notApplicableLine(EffectiveConfig effective) {
    List<String> set = new ArrayList<>();
    for (Setting s : NOT_APPLICABLE) {
      String origin = origin(effective, s);
      if (!origin.startsWith("default")) {
        set.add(s.key() + " (" + origin + ")");
      }
    }
    String why =
        "inside a servlet container its connectors serve HTTP (RTMPT) and HTTPS (RTMPTS), and"
            + " keep-alive, header limits, access log and log levels are its settings";
    if (set.isEmpty()) {
      return "settings of the standalone jar's own listeners ("
          + NOT_APPLICABLE.stream().map(Setting::key).collect(Collectors.joining(", "))
          + ") do not apply: "
          + why;
    }
    return "ignoring " + String.join(", ", set) + ": " + why;
  }

  private static Optional<String> unknownParameter(String name) {
    if (name.startsWith("rtmpgw.")) {
      return Optional.of(
          "context parameter "
              + name
              + ": not a setting; name context parameters exactly like the keys (e.g. 'upstream'),"
              + " and the config file with '"
              + CONFIG_NAME
              + "'");
    }
    if (name.contains(".")) {
      return Optional.empty(); // a container's or a framework's parameter
    }
    return Setting.closest(name)
        .map(
            s ->
                "context parameter "
                    + name
                    + ": not a setting (did you mean '"
                    + s.key()
                    + "'?); context parameters named like the keys set them");
  }
}
