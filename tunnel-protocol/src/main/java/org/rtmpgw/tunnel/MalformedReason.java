package org.rtmpgw.tunnel;

/**
 * Why a request path is not part of the RTMPT grammar; see {@link RtmptPath#parse(String)}.
 *
 * <p>Reasons are checked left to right along the path, so the first offending segment decides.
 */
public enum MalformedReason {
  /** The path is {@code null} or the empty string. */
  EMPTY,
  /**
   * The first segment is not {@code fcs}, {@code open}, {@code send}, {@code idle}, {@code close}.
   */
  UNKNOWN_COMMAND,
  /** Under {@code /open} but not exactly {@code /open/1}. */
  BAD_OPEN,
  /** Under {@code /fcs} but not exactly {@code /fcs/ident2} or {@code /fcs/ident}. */
  BAD_IDENT,
  /** A send, idle or close without a session id segment, or with an empty one. */
  MISSING_SESSION_ID,
  /** A session id segment outside {@code [A-Za-z0-9_-]{1,64}}. */
  BAD_SESSION_ID,
  /** A send or idle without a sequence number segment. */
  MISSING_SEQ,
  /** A sequence number segment that is not 1 to 18 ASCII decimal digits. */
  BAD_SEQ,
  /** More segments than the command takes (including a trailing slash). */
  TRAILING_SEGMENTS
}
