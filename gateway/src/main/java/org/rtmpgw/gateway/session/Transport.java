package org.rtmpgw.gateway.session;

/** How a client reached the gateway; the text is what logs and metrics show. */
public enum Transport {
  /** RTMP tunnelled in HTTP POSTs. */
  RTMPT("rtmpt"),
  /** RTMPT inside TLS (HTTPS). */
  RTMPTS("rtmpts"),
  /** Raw RTMP (or RTMPE) bytes on a plain listener. */
  RTMP("rtmp"),
  /** Raw RTMP (or RTMPE) bytes inside TLS. */
  RTMPS("rtmps");

  private final String text;

  Transport(String text) {
    this.text = text;
  }

  /** The tunnelled transport for a request that arrived over TLS or not. */
  public static Transport tunnelled(boolean secure) {
    return secure ? RTMPTS : RTMPT;
  }

  /** The raw transport for a connection that arrived over TLS or not. */
  public static Transport raw(boolean secure) {
    return secure ? RTMPS : RTMP;
  }

  /** True for raw RTMP(S) bytes, false for the HTTP tunnel. */
  public boolean isRaw() {
    return this == RTMP || this == RTMPS;
  }

  @Override
  public String toString() {
    return text;
  }
}
