package org.rtmpgw.gateway.metrics;

/** Why a listener closed a connection before it became a session; the text names the metric. */
public enum Refusal {
  /** Nothing recognisable arrived within sniff-timeout-ms. */
  SNIFF_TIMEOUT("sniff-timeout"),
  /** The TLS handshake (or the first request after it) stalled past tls-handshake-timeout-ms. */
  TLS_HANDSHAKE_TIMEOUT("tls-handshake-timeout"),
  /** The TLS handshake failed: old protocol version, no common cipher, garbage records. */
  TLS_HANDSHAKE_FAILED("tls-handshake-failed"),
  /** RTMP or HTTP bytes sent in the clear to a TLS listener. */
  PLAINTEXT_ON_TLS("plaintext-on-tls"),
  /** A TLS handshake sent to a plain listener (or TLS inside TLS). */
  TLS_ON_PLAIN("tls-on-plain"),
  /** First bytes that are neither RTMP, RTMPE, HTTP nor TLS. */
  UNRECOGNISED("unrecognised-bytes"),
  /** A PROXY protocol header from an address not in trusted-proxies. */
  PROXY_UNTRUSTED("proxy-untrusted"),
  /** RTMPE while the upstream is declared plain-only. */
  RTMPE_REFUSED("rtmpe-refused");

  private final String text;

  Refusal(String text) {
    this.text = text;
  }

  @Override
  public String toString() {
    return text;
  }
}
