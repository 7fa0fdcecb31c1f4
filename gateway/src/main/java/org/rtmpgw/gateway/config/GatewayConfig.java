package org.rtmpgw.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Typed, validated, immutable gateway configuration. Built from key/value text (file, command
 * line) by {@link #fromValues}; every key is a {@link Setting}.
 */
public record GatewayConfig(
    HostPort upstream,
    List<HostPort> listen,
    List<HostPort> listenTls,
    boolean upstreamAcceptsRtmpe,
    String nodeId,
    Duration upstreamConnectTimeout,
    Duration upstreamWriteTimeout,
    Duration idleHold,
    Duration sessionInactivityTimeout,
    int replyMaxBytes,
    int downstreamBufferBytes,
    int requestBodyMaxBytes,
    int requestHeaderMaxBytes,
    int reorderWindow,
    Duration seqBaseGrace,
    Duration reorderTimeout,
    int emptyRepliesBeforeBackoff,
    Duration httpIdleTimeout,
    int identStatus,
    String identBody,
    boolean tcpQuickAck,
    Duration sniffTimeout,
    Duration rawIdleTimeout,
    List<Path> tlsCertFiles,
    List<Path> tlsKeyFiles,
    Path tlsKeystoreFile,
    String tlsKeystorePassword,
    Path tlsGeneratedDir,
    Duration tlsReloadCheck,
    Duration tlsHandshakeTimeout,
    boolean tls13SessionTickets,
    HostPort managementListen,
    Duration drainTimeout,
    Duration upstreamProbeInterval,
    boolean accessLog,
    String logLevel,
    int maxSessions,
    int maxSessionsPerClient,
    int maxRequestsPerSecond,
    List<String> trustedProxies,
    UpstreamRouting upstreamRouting,
    boolean upstreamRoundRobin,
    boolean upstreamProxyProtocol) {

  /** The configuration with every default. */
  public static GatewayConfig defaults() {
    try {
      return fromValues(Map.of());
    } catch (ConfigException e) {
      throw new IllegalStateException("defaults do not validate: " + e.getMessage(), e);
    }
  }

  /**
   * Builds a configuration from values by key; missing keys take their default.
   *
   * @throws ConfigException listing every unknown key and every invalid value at once
   */
  public static GatewayConfig fromValues(Map<String, String> values) throws ConfigException {
    List<String> problems = new ArrayList<>();
    Map<Setting, String> raw = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      raw.put(s, s.defaultValue());
    }
    values.forEach(
        (k, v) ->
            Setting.byKey(k)
                .ifPresentOrElse(
                    s -> raw.put(s, v.trim()),
                    () -> problems.add("unknown key '" + k + "'")));
    Reader r = new Reader(raw, problems);
    GatewayConfig config =
        new GatewayConfig(
            r.get(Setting.UPSTREAM, GatewayConfig::firstHostPort, "host:port list"),
            r.get(Setting.LISTEN, GatewayConfig::hostPorts, "host:port list", List.of()),
            r.get(Setting.LISTEN_TLS, GatewayConfig::hostPorts, "host:port list", List.of()),
            r.get(Setting.UPSTREAM_ACCEPTS_RTMPE, GatewayConfig::bool, "true or false", true),
            r.get(Setting.NODE_ID, GatewayConfig::nodeId, "1-8 letters or digits, or empty"),
            r.millis(Setting.UPSTREAM_CONNECT_TIMEOUT_MS, 1, 600_000),
            r.millis(Setting.UPSTREAM_WRITE_TIMEOUT_MS, 1, 600_000),
            r.millis(Setting.IDLE_HOLD_MS, 0, 5_000),
            r.millis(Setting.SESSION_INACTIVITY_TIMEOUT_MS, 1_000, 3_600_000),
            r.integer(Setting.REPLY_MAX_BYTES, 1_024, 16 << 20),
            r.integer(Setting.DOWNSTREAM_BUFFER_BYTES, 1_024, 256 << 20),
            r.integer(Setting.REQUEST_BODY_MAX_BYTES, 1_024, 1 << 30),
            r.integer(Setting.REQUEST_HEADER_MAX_BYTES, 4_096, 1 << 20),
            r.integer(Setting.REORDER_WINDOW, 1, 1_024),
            r.millis(Setting.SEQ_BASE_GRACE_MS, 0, 5_000),
            r.millis(Setting.REORDER_TIMEOUT_MS, 10, 600_000),
            r.integer(Setting.EMPTY_REPLIES_BEFORE_BACKOFF, 0, 1_000_000),
            r.millis(Setting.HTTP_IDLE_TIMEOUT_MS, 1_000, 3_600_000),
            r.get(Setting.IDENT_STATUS, GatewayConfig::identStatus, "404 or 200", 404),
            r.get(Setting.IDENT_BODY, Function.identity(), "text"),
            r.get(Setting.TCP_QUICKACK, GatewayConfig::bool, "true or false", true),
            r.millis(Setting.SNIFF_TIMEOUT_MS, 100, 600_000),
            r.millis(Setting.RAW_IDLE_TIMEOUT_MS, 1_000, 3_600_000),
            r.get(Setting.TLS_CERT_FILES, GatewayConfig::paths, "file list", List.of()),
            r.get(Setting.TLS_KEY_FILES, GatewayConfig::paths, "file list", List.of()),
            r.get(Setting.TLS_KEYSTORE_FILE, GatewayConfig::optionalPath, "a file"),
            r.get(Setting.TLS_KEYSTORE_PASSWORD, Function.identity(), "text"),
            r.get(Setting.TLS_GENERATED_DIR, GatewayConfig::optionalPath, "a folder"),
            r.millis(Setting.TLS_RELOAD_CHECK_MS, 0, 3_600_000),
            r.millis(Setting.TLS_HANDSHAKE_TIMEOUT_MS, 100, 600_000),
            r.get(Setting.TLS13_SESSION_TICKETS, GatewayConfig::bool, "true or false", false),
            r.get(Setting.MANAGEMENT_LISTEN, GatewayConfig::optionalHostPort, "host:port or empty"),
            r.millis(Setting.DRAIN_TIMEOUT_MS, 0, 3_600_000),
            r.millis(Setting.UPSTREAM_PROBE_INTERVAL_MS, 0, 600_000),
            r.get(Setting.ACCESS_LOG, GatewayConfig::bool, "true or false", false),
            r.get(Setting.LOG_LEVEL, GatewayConfig::logLevel, "error, warn, info, debug or trace", "info"),
            r.integer(Setting.MAX_SESSIONS, 0, 10_000_000),
            r.integer(Setting.MAX_SESSIONS_PER_CLIENT, 0, 10_000_000),
            r.integer(Setting.MAX_REQUESTS_PER_SECOND, 0, 10_000_000),
            r.get(
                Setting.TRUSTED_PROXIES,
                GatewayConfig::addressPatterns,
                "IP addresses or CIDR blocks (10.0.0.0/8, ::1)",
                List.of()),
            r.routing(),
            r.get(
                Setting.UPSTREAM_BALANCE,
                GatewayConfig::roundRobin,
                "round-robin or first",
                true),
            r.get(Setting.UPSTREAM_PROXY_PROTOCOL, GatewayConfig::bool, "true or false", false));
    // listen port 0 is allowed on purpose: the server then binds an ephemeral port (tests)
    if (config.upstream != null && config.upstream.port() == 0) {
      problems.add("upstream: port 0 is not a valid destination");
    }
    if (config.listen.isEmpty() && config.listenTls.isEmpty()) {
      problems.add("listen and listen-tls are both empty: the gateway would accept nothing");
    }
    if (config.tlsCertFiles.size() != config.tlsKeyFiles.size()) {
      problems.add(
          "tls-cert-files names "
              + config.tlsCertFiles.size()
              + " file(s) but tls-key-files "
              + config.tlsKeyFiles.size()
              + "; give one key per certificate chain, in the same order");
    }
    if (config.downstreamBufferBytes < config.replyMaxBytes) {
      problems.add(
          Setting.DOWNSTREAM_BUFFER_BYTES.key()
              + " ("
              + config.downstreamBufferBytes
              + ") must be at least "
              + Setting.REPLY_MAX_BYTES.key()
              + " ("
              + config.replyMaxBytes
              + ")");
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return config;
  }

  /** A copy with some values replaced, for tests and command-line overrides. */
  public GatewayConfig with(Map<String, String> overrides) throws ConfigException {
    Map<String, String> all = new java.util.LinkedHashMap<>(toValues());
    all.putAll(overrides);
    return fromValues(all);
  }

  /** The configuration as key/value text, the inverse of {@link #fromValues}. */
  public Map<String, String> toValues() {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    m.put(Setting.UPSTREAM.key(), join(upstreamRouting.groups().get(UpstreamRouting.DEFAULT_GROUP)));
    m.put(Setting.LISTEN.key(), join(listen));
    m.put(Setting.LISTEN_TLS.key(), join(listenTls));
    m.put(Setting.UPSTREAM_ACCEPTS_RTMPE.key(), Boolean.toString(upstreamAcceptsRtmpe));
    m.put(Setting.NODE_ID.key(), nodeId);
    m.put(Setting.UPSTREAM_CONNECT_TIMEOUT_MS.key(), ms(upstreamConnectTimeout));
    m.put(Setting.UPSTREAM_WRITE_TIMEOUT_MS.key(), ms(upstreamWriteTimeout));
    m.put(Setting.IDLE_HOLD_MS.key(), ms(idleHold));
    m.put(Setting.SESSION_INACTIVITY_TIMEOUT_MS.key(), ms(sessionInactivityTimeout));
    m.put(Setting.REPLY_MAX_BYTES.key(), Integer.toString(replyMaxBytes));
    m.put(Setting.DOWNSTREAM_BUFFER_BYTES.key(), Integer.toString(downstreamBufferBytes));
    m.put(Setting.REQUEST_BODY_MAX_BYTES.key(), Integer.toString(requestBodyMaxBytes));
    m.put(Setting.REQUEST_HEADER_MAX_BYTES.key(), Integer.toString(requestHeaderMaxBytes));
    m.put(Setting.REORDER_WINDOW.key(), Integer.toString(reorderWindow));
    m.put(Setting.SEQ_BASE_GRACE_MS.key(), ms(seqBaseGrace));
    m.put(Setting.REORDER_TIMEOUT_MS.key(), ms(reorderTimeout));
    m.put(Setting.EMPTY_REPLIES_BEFORE_BACKOFF.key(), Integer.toString(emptyRepliesBeforeBackoff));
    m.put(Setting.HTTP_IDLE_TIMEOUT_MS.key(), ms(httpIdleTimeout));
    m.put(Setting.IDENT_STATUS.key(), Integer.toString(identStatus));
    m.put(Setting.IDENT_BODY.key(), identBody);
    m.put(Setting.TCP_QUICKACK.key(), Boolean.toString(tcpQuickAck));
    m.put(Setting.SNIFF_TIMEOUT_MS.key(), ms(sniffTimeout));
    m.put(Setting.RAW_IDLE_TIMEOUT_MS.key(), ms(rawIdleTimeout));
    m.put(Setting.TLS_CERT_FILES.key(), join(tlsCertFiles));
    m.put(Setting.TLS_KEY_FILES.key(), join(tlsKeyFiles));
    m.put(Setting.TLS_KEYSTORE_FILE.key(), tlsKeystoreFile == null ? "" : tlsKeystoreFile.toString());
    m.put(Setting.TLS_KEYSTORE_PASSWORD.key(), tlsKeystorePassword);
    m.put(Setting.TLS_GENERATED_DIR.key(), tlsGeneratedDir == null ? "" : tlsGeneratedDir.toString());
    m.put(Setting.TLS_RELOAD_CHECK_MS.key(), ms(tlsReloadCheck));
    m.put(Setting.TLS_HANDSHAKE_TIMEOUT_MS.key(), ms(tlsHandshakeTimeout));
    m.put(Setting.TLS13_SESSION_TICKETS.key(), Boolean.toString(tls13SessionTickets));
    m.put(
        Setting.MANAGEMENT_LISTEN.key(),
        managementListen == null ? "" : managementListen.toString());
    m.put(Setting.DRAIN_TIMEOUT_MS.key(), ms(drainTimeout));
    m.put(Setting.UPSTREAM_PROBE_INTERVAL_MS.key(), ms(upstreamProbeInterval));
    m.put(Setting.ACCESS_LOG.key(), Boolean.toString(accessLog));
    m.put(Setting.LOG_LEVEL.key(), logLevel);
    m.put(Setting.MAX_SESSIONS.key(), Integer.toString(maxSessions));
    m.put(Setting.MAX_SESSIONS_PER_CLIENT.key(), Integer.toString(maxSessionsPerClient));
    m.put(Setting.MAX_REQUESTS_PER_SECOND.key(), Integer.toString(maxRequestsPerSecond));
    m.put(Setting.TRUSTED_PROXIES.key(), join(trustedProxies));
    List<String> groups = new ArrayList<>();
    upstreamRouting.groups().forEach(
        (name, servers) -> {
          if (!name.equals(UpstreamRouting.DEFAULT_GROUP)) {
            groups.add(name + "=" + String.join("|", servers.stream().map(Object::toString).toList()));
          }
        });
    m.put(Setting.UPSTREAM_GROUPS.key(), String.join(",", groups));
    m.put(Setting.UPSTREAM_ROUTES.key(), join(upstreamRouting.routes()));
    m.put(Setting.UPSTREAM_ROUTE_DEFAULT.key(), upstreamRouting.defaultGroup());
    m.put(Setting.UPSTREAM_BALANCE.key(), upstreamRoundRobin ? "round-robin" : "first");
    m.put(Setting.UPSTREAM_PROXY_PROTOCOL.key(), Boolean.toString(upstreamProxyProtocol));
    return m;
  }

  /** True when a TLS listener is configured. */
  public boolean tlsEnabled() {
    return !listenTls.isEmpty();
  }

  private static String join(List<?> items) {
    return String.join(",", items.stream().map(Object::toString).toList());
  }

  private static List<String> items(String s) {
    List<String> out = new ArrayList<>();
    for (String part : s.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  private static List<HostPort> hostPorts(String s) {
    return items(s).stream().map(HostPort::parse).toList();
  }

  private static List<Path> paths(String s) {
    return items(s).stream().map(Path::of).toList();
  }

  /** IP addresses and CIDR blocks, checked by Jetty's InetAddressSet (which also uses them). */
  private static List<String> addressPatterns(String s) {
    List<String> patterns = items(s);
    org.eclipse.jetty.util.InetAddressSet set = new org.eclipse.jetty.util.InetAddressSet();
    for (String p : patterns) {
      if (!p.matches("[0-9A-Fa-f:.]+(/[0-9]{1,3})?")) {
        throw new IllegalArgumentException("'" + p + "' is not an IP address or CIDR block");
      }
      try {
        set.add(p);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("'" + p + "' is not an IP address or CIDR block");
      }
    }
    return patterns;
  }

  private static HostPort firstHostPort(String s) {
    List<HostPort> all = hostPorts(s);
    if (all.isEmpty()) {
      throw new IllegalArgumentException("at least one host:port is needed");
    }
    return all.get(0);
  }

  private static Boolean roundRobin(String s) {
    return switch (s.trim()) {
      case "round-robin" -> true;
      case "first" -> false;
      default -> throw new IllegalArgumentException();
    };
  }

  private static HostPort optionalHostPort(String s) {
    return s.isBlank() ? null : HostPort.parse(s.trim());
  }

  private static String logLevel(String s) {
    String level = s.trim().toLowerCase(java.util.Locale.ROOT);
    if (!List.of("error", "warn", "info", "debug", "trace").contains(level)) {
      throw new IllegalArgumentException();
    }
    return level;
  }

  private static Path optionalPath(String s) {
    return s.isBlank() ? null : Path.of(s.trim());
  }

  private static String ms(Duration d) {
    return Long.toString(d.toMillis());
  }

  private static String nodeId(String s) {
    if (!s.isEmpty() && !s.matches("[A-Za-z0-9]{1,8}")) {
      throw new IllegalArgumentException();
    }
    return s;
  }

  private static Integer identStatus(String s) {
    if (!s.equals("404") && !s.equals("200")) {
      throw new IllegalArgumentException();
    }
    return Integer.parseInt(s);
  }

  private static Boolean bool(String s) {
    if (s.equalsIgnoreCase("true")) {
      return true;
    }
    if (s.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException();
  }

  /** Parses values by key and records a problem (key, value, what is allowed) for each bad one. */
  private static final class Reader {
    private final Map<Setting, String> raw;
    private final List<String> problems;

    Reader(Map<Setting, String> raw, List<String> problems) {
      this.raw = raw;
      this.problems = problems;
    }

    /** As {@link #get(Setting, Function, String)}, with a stand-in while the value is invalid. */
    <T> T get(Setting s, Function<String, T> parse, String allowed, T invalidStandIn) {
      T value = get(s, parse, allowed);
      return value == null ? invalidStandIn : value;
    }

    <T> T get(Setting s, Function<String, T> parse, String allowed) {
      String value = raw.get(s);
      try {
        return parse.apply(value);
      } catch (RuntimeException e) {
        String why = e.getMessage() == null ? "expected " + allowed : e.getMessage();
        problems.add(s.key() + ": '" + value + "' is not valid; " + why);
        return null;
      }
    }

    int integer(Setting s, int min, int max) {
      return get(
              s,
              text -> {
                long n = Long.parseLong(text);
                if (n < min || n > max) {
                  throw new IllegalArgumentException();
                }
                return (int) n;
              },
              "a whole number from " + min + " to " + max,
              0);
    }

    /** Groups, routes and default together: a route must name a group that exists. */
    UpstreamRouting routing() {
      java.util.Map<String, List<HostPort>> groups = new java.util.LinkedHashMap<>();
      List<HostPort> defaults;
      try {
        defaults = hostPorts(raw.get(Setting.UPSTREAM));
      } catch (RuntimeException e) {
        defaults = List.of(); // reported once already, by the upstream component
      }
      groups.put(UpstreamRouting.DEFAULT_GROUP, defaults);
      groups.putAll(
          get(Setting.UPSTREAM_GROUPS, UpstreamRouting::parseGroups, "name=host:port|...", java.util.Map.of()));
      List<UpstreamRouting.Route> routes =
          get(Setting.UPSTREAM_ROUTES, UpstreamRouting::parseRoutes, "host:<name>=group or port:<n>=group", List.of());
      String fallback = raw.get(Setting.UPSTREAM_ROUTE_DEFAULT).trim();
      for (UpstreamRouting.Route r : routes) {
        if (!groups.containsKey(r.group())) {
          problems.add(
              Setting.UPSTREAM_ROUTES.key() + ": route '" + r + "' names no group; groups are "
                  + groups.keySet());
        }
      }
      if (!fallback.isEmpty() && !groups.containsKey(fallback)) {
        problems.add(
            Setting.UPSTREAM_ROUTE_DEFAULT.key() + ": '" + fallback + "' is not a group; groups are "
                + groups.keySet());
      }
      return new UpstreamRouting(java.util.Map.copyOf(groups), routes, fallback);
    }

    Duration millis(Setting s, int min, int max) {
      return Duration.ofMillis(integer(s, min, max));
    }
  }
}
