package org.rtmpgw.gateway.session;

/** Why a session ended; the text is what the close log line and metrics show. */
public enum CloseReason {
  CLIENT_CLOSE("client-close"),
  CLIENT_ERROR("client-error"),
  RTMPE_REFUSED("rtmpe-refused"),
  REQUEST_RATE("request-rate"),
  UPSTREAM_EOF("upstream-eof"),
  UPSTREAM_ERROR("upstream-error"),
  UPSTREAM_WRITE_FAILED("upstream-write-failed"),
  UPSTREAM_WRITE_STALL("upstream-write-stall"),
  IDLE_TIMEOUT("idle-timeout"),
  SEQ_GAP("seq-gap"),
  BODY_TOO_LARGE("body-too-large"),
  BODY_READ_FAILED("body-read-failed"),
  SHUTDOWN("shutdown");

  private final String text;

  CloseReason(String text) {
    this.text = text;
  }

  @Override
  public String toString() {
    return text;
  }
}
