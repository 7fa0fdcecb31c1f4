package org.rtmpgw.gateway.config;

import java.util.Arrays;
import java.util.Optional;

/**
 * Every configuration key the gateway understands, with its default and a one-line description.
 *
 * <p>This enum is the single source for the {@code --help} text, the sample configuration and the
 * README reference table, so the three cannot drift apart. Values are parsed and validated by
 * {@link GatewayConfig}.
 */
public enum Setting {
  UPSTREAM("upstream", "127.0.0.1:1935", "RTMP server every session is forwarded to (host:port)"),
  LISTEN("listen", "0.0.0.0:8080", "HTTP listener for RTMPT (host:port; use [::1]:port for IPv6)"),
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
      "reply-max-bytes", "1048576", "downstream bytes carried by one reply at most; the rest waits"),
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
      "acknowledge request bytes at once (Linux); avoids ~40 ms delayed-ACK stalls with ffmpeg");

  private final String key;
  private final String defaultValue;
  private final String description;

  Setting(String key, String defaultValue, String description) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.description = description;
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

  public static Optional<Setting> byKey(String key) {
    return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst();
  }
}
