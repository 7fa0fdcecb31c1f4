package org.rtmpgw.gateway.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Every configuration key the gateway understands, with its default and a one-line description.
 *
 * <p>This enum is the single source for the {@code --help} text, the sample configuration and the
 * README reference table, so the three cannot drift apart. Values are parsed and validated by
 * {@link GatewayConfig}.
 *
 * <p>Each key can also be set by the environment variable {@link #envName()} ({@code RTMPGW_} and
 * the key upper-cased with {@code -} as {@code _}) and by the flag {@code --KEY}.
 */
public enum Setting {
  UPSTREAM(
      "upstream",
      "127.0.0.1:1935",
      "RTMP server(s) sessions are forwarded to (host:port; several: balanced, with failover)",
      Trait.LIST),
  UPSTREAM_GROUPS(
      "upstream-groups",
      "",
      "more named groups of RTMP servers: name=host:port|host:port, comma-separated",
      Trait.LIST),
  UPSTREAM_ROUTES(
      "upstream-routes",
      "",
      "host:<name>=group (HTTP Host or TLS SNI) or port:<n>=group (listener port); first match wins",
      Trait.LIST),
  UPSTREAM_ROUTE_DEFAULT(
      "upstream-route-default",
      "default",
      "group for clients no route matches ('default' = the upstream servers); empty = refuse them"),
  UPSTREAM_BALANCE(
      "upstream-balance",
      "round-robin",
      "round-robin: new sessions rotate over a group's servers; first: always the first that"
          + " connects"),
  UPSTREAM_PROXY_PROTOCOL(
      "upstream-proxy-protocol",
      "false",
      "send a PROXY v1 header first on every upstream connection (nginx-rtmp: listen ... proxy_protocol)"),
  LISTEN(
      "listen",
      "0.0.0.0:8080",
      "plain listeners (host:port, comma-separated; [::1]:port for IPv6; empty for none):"
          + " RTMPT and raw RTMP on each",
      Trait.LIST),
  LISTEN_TLS(
      "listen-tls",
      "0.0.0.0:8443",
      "TLS listeners (as listen): RTMPS and RTMPTS on each; plaintext is refused",
      Trait.LIST),
  UPSTREAM_ACCEPTS_RTMPE(
      "upstream-accepts-rtmpe",
      "true",
      "false when the upstream speaks plain RTMP only (nginx-rtmp, SRS): RTMPE/RTMPTE refused at once"),
  NODE_ID(
      "node-id",
      "",
      "prefix of every session id (1-8 letters/digits) so a load balancer can route by path"),
  UPSTREAM_CONNECT_TIMEOUT_MS(
      "upstream-connect-timeout-ms", "5000", "bound on connecting to the upstream during /open/1"),
  UPSTREAM_WRITE_TIMEOUT_MS(
      "upstream-write-timeout-ms",
      "10000",
      "a /send whose body the upstream has not accepted in this time ends the session"),
  IDLE_HOLD_MS(
      "idle-hold-ms",
      "100",
      "how long an /idle that finds no data is held waiting for upstream bytes (0 = answer at once)"),
  SESSION_INACTIVITY_TIMEOUT_MS(
      "session-inactivity-timeout-ms",
      "30000",
      "a session with no request for this long is closed"),
  REPLY_MAX_BYTES(
      "reply-max-bytes", "2097152", "downstream bytes carried by one reply at most; the rest waits"),
  DOWNSTREAM_BUFFER_BYTES(
      "downstream-buffer-bytes",
      "2097152",
      "upstream bytes buffered per session before the gateway stops reading the upstream"),
  REQUEST_BODY_MAX_BYTES(
      "request-body-max-bytes", "16777216", "largest accepted request body (413 above it)"),
  REQUEST_HEADER_MAX_BYTES(
      "request-header-max-bytes", "65536", "largest accepted request header block"),
  REORDER_WINDOW("reorder-window", "8", "requests of a session that may arrive ahead of a gap"),
  SEQ_BASE_GRACE_MS(
      "seq-base-grace-ms",
      "100",
      "a first request numbered above 0 waits this long for lower ones sent in parallel"),
  REORDER_TIMEOUT_MS(
      "reorder-timeout-ms", "5000", "a sequence gap not filled within this time ends the session"),
  EMPTY_REPLIES_BEFORE_BACKOFF(
      "empty-replies-before-backoff",
      "10",
      "consecutive empty replies answered with polling byte 0x01 before the 03..21 ladder"),
  HTTP_IDLE_TIMEOUT_MS(
      "http-idle-timeout-ms", "120000", "idle keep-alive HTTP connections are closed after this"),
  IDENT_STATUS(
      "ident-status", "404", "HTTP status answered to /fcs/ident2 (404 or 200)"),
  IDENT_BODY("ident-body", "", "body answered to /fcs/ident2 when ident-status is 200"),
  TCP_QUICKACK(
      "tcp-quickack",
      "true",
      "acknowledge request bytes at once (Linux); avoids ~40 ms delayed-ACK stalls with ffmpeg"),
  SNIFF_TIMEOUT_MS(
      "sniff-timeout-ms",
      "5000",
      "a new connection that sends no recognisable first bytes for this long is closed"),
  RAW_IDLE_TIMEOUT_MS(
      "raw-idle-timeout-ms",
      "120000",
      "a raw RTMP/RTMPS connection with no bytes either way for this long is closed"),
  TLS_CERT_FILES(
      "tls-cert-files",
      "",
      "PEM certificate chains (comma-separated; the first is served without SNI)",
      Trait.LIST),
  TLS_KEY_FILES(
      "tls-key-files",
      "",
      "PEM private keys (RSA or EC), one per tls-cert-files entry, same order",
      Trait.LIST),
  TLS_KEYSTORE_FILE(
      "tls-keystore-file", "", "PKCS#12 keystore with certificates (instead of or after the PEM ones)"),
  TLS_KEYSTORE_PASSWORD(
      "tls-keystore-password", "", "password of tls-keystore-file", Trait.SECRET),
  TLS_GENERATED_DIR(
      "tls-generated-dir",
      "",
      "where a self-signed certificate is generated when none is configured"
          + " (empty: the config file's folder, else the working directory)"),
  TLS_RELOAD_CHECK_MS(
      "tls-reload-check-ms",
      "2000",
      "how often certificate files are checked for changes (0 = never; new handshakes get them)"),
  TLS_HANDSHAKE_TIMEOUT_MS(
      "tls-handshake-timeout-ms",
      "10000",
      "a TLS client that stalls this long before its first request is closed"),
  TLS13_SESSION_TICKETS(
      "tls13-session-tickets",
      "false",
      "send TLS 1.3 session tickets; librtmp (rtmpdump) fails on them, so off by default"),
  MANAGEMENT_LISTEN(
      "management-listen",
      "127.0.0.1:9935",
      "listener for /metrics, /healthz, /readyz and POST /admin/drain (host:port; empty = none)"),
  DRAIN_TIMEOUT_MS(
      "drain-timeout-ms",
      "30000",
      "on SIGTERM or /admin/drain: how long running sessions may go on before they are closed"),
  UPSTREAM_PROBE_INTERVAL_MS(
      "upstream-probe-interval-ms",
      "5000",
      "how often /readyz checks that the upstream accepts connections (0 = never)"),
  ACCESS_LOG("access-log", "false", "log every RTMPT request (noisy: several per second per client)"),
  LOG_LEVEL("log-level", "info", "error, warn, info, debug or trace"),
  MAX_SESSIONS(
      "max-sessions",
      "10000",
      "live sessions of every transport at most; more are refused (503 / closed) (0 = no limit)"),
  MAX_SESSIONS_PER_CLIENT(
      "max-sessions-per-client",
      "200",
      "live sessions from one client address at most (offices share one NAT address) (0 = no limit)"),
  MAX_REQUESTS_PER_SECOND(
      "max-requests-per-second",
      "1000",
      "RTMPT requests one session may make per second; above it the session ends (0 = no limit)"),
  TRUSTED_PROXIES(
      "trusted-proxies",
      "",
      "load balancers (IPs or CIDRs) whose PROXY protocol header and X-Forwarded-For/Forwarded"
          + " give the real client address; empty = believe no one",
      Trait.LIST);

  /** Prefix of the environment variables that set keys: {@code RTMPGW_UPSTREAM} sets upstream. */
  public static final String ENV_PREFIX = "RTMPGW_";

  /** Marks a setting: a list value, or a secret that is masked whenever it is shown. */
  private enum Trait {
    LIST,
    SECRET
  }

  private final String key;
  private final String defaultValue;
  private final String description;
  private final boolean list;
  private final boolean secret;

  Setting(String key, String defaultValue, String description, Trait... traits) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.description = description;
    this.list = Arrays.asList(traits).contains(Trait.LIST);
    this.secret = Arrays.asList(traits).contains(Trait.SECRET);
  }

  public String key() {
    return key;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  /** True for keys holding a comma-separated list (a YAML sequence in the config file). */
  public boolean isList() {
    return list;
  }

  /** True for values never shown in clear (--print-config, --check-config): passwords. */
  public boolean isSecret() {
    return secret;
  }

  /** The environment variable that sets this key, e.g. {@code RTMPGW_LISTEN_TLS}. */
  public String envName() {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  public static Optional<Setting> byKey(String key) {
    return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst();
  }

  /** The setting named by an environment variable such as {@code RTMPGW_UPSTREAM}. */
  public static Optional<Setting> byEnvName(String name) {
    return Arrays.stream(values()).filter(s -> s.envName().equals(name)).findFirst();
  }

  /**
   * The key an operator probably meant when writing {@code unknown}: same letters ignoring case and
   * {@code _}/{@code -}, or at most two edits away. Empty when nothing is close.
   */
  public static Optional<Setting> closest(String unknown) {
    String norm = unknown.toLowerCase(Locale.ROOT).replace('_', '-');
    Setting best = null;
    int bestDistance = 3;
    for (Setting s : values()) {
      int d = distance(norm, s.key);
      if (d < bestDistance) {
        best = s;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
