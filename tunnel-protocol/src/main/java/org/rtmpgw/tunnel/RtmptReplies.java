package org.rtmpgw.tunnel;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Builds RTMPT reply bodies. Bodies are built whole so the caller can set an exact Content-Length:
 * librtmp cannot read chunked replies and (2.6) rejects a length below 1.
 */
public final class RtmptReplies {

  /**
   * The reply Content-Type, exactly, with no parameters: HaishinKit discards replies whose
   * Content-Type string differs, so never let a writer append {@code ; charset=...}.
   */
  public static final String CONTENT_TYPE = "application/x-fcs";

  private static final byte[] CLOSE = {PollingDelay.CLOSING};

  private RtmptReplies() {}

  /**
   * The {@code /open/1} reply: the ASCII session id followed by exactly one {@code '\n'}.
   *
   * <p>That is the only form every client parses: librtmp, Shumway and the Red5 client drop the
   * last byte of the body; FFmpeg, HaishinKit and RootEncoder strip trailing whitespace. With
   * {@code "\r\n"} librtmp would keep the CR in the id; with no terminator it would lose a char.
   *
   * @param sessionId 1 to 64 characters of {@code [A-Za-z0-9_-]}, as the path grammar accepts
   * @throws IllegalArgumentException if the id could not be echoed back in a request path
   */
  public static byte[] open(String sessionId) {
    Objects.requireNonNull(sessionId, "sessionId");
    if (!RtmptPathParser.isSessionId(sessionId)) {
      throw new IllegalArgumentException("not a valid RTMPT session id");
    }
    byte[] ascii = sessionId.getBytes(StandardCharsets.US_ASCII);
    byte[] body = new byte[ascii.length + 1];
    System.arraycopy(ascii, 0, body, 0, ascii.length);
    body[ascii.length] = '\n';
    return body;
  }

  /**
   * A send/idle reply: the polling byte, then {@code len} payload bytes. Never empty, since FFmpeg
   * and HaishinKit always consume the first byte as the polling byte.
   */
  public static byte[] poll(byte delay, byte[] payload, int off, int len) {
    Objects.checkFromIndexSize(off, len, payload.length);
    byte[] body = new byte[len + 1];
    body[0] = delay;
    System.arraycopy(payload, off, body, 1, len);
    return body;
  }

  /** A send/idle reply without payload: just the polling byte. */
  public static byte[] poll(byte delay) {
    return new byte[] {delay};
  }

  /** The close reply: a single 0x00 byte, as Red5, rtmplite and nginx-rtmpt-proxy answer. */
  public static byte[] close() {
    return CLOSE.clone();
  }
}
