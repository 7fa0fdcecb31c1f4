package org.rtmpgw.tunnel;

/**
 * The implementation of {@link RtmptPath#parse(String)}.
 *
 * <p>Works on index ranges of the input rather than {@code split}, so an oversized hostile path
 * costs one scan and no per-segment copies; only the (short, validated) session id is copied.
 */
final class RtmptPathParser {

  /** Longest accepted session id; ours are at most 31 characters, 64 matches FFmpeg's buffer. */
  static final int MAX_SESSION_ID_LENGTH = 64;

  /** 18 decimal digits always fit a non-negative {@code long} (max 19 digits, 9.2e18). */
  static final int MAX_SEQ_DIGITS = 18;

  /** Most input characters a {@link RtmptPath.Malformed#detail()} will quote. */
  static final int MAX_ECHOED_INPUT = 64;

  /** Upper bound of a {@link RtmptPath.Malformed#detail()}'s length. */
  static final int MAX_DETAIL_LENGTH = 100;

  /** The longest command takes three segments; one more is enough to detect trailing ones. */
  private static final int MAX_SEGMENTS_SCANNED = 4;

  private static final String ELLIPSIS = "...";

  private RtmptPathParser() {}

  static RtmptPath parse(String path) {
    if (path == null || path.isEmpty()) {
      return new RtmptPath.Malformed(MalformedReason.EMPTY, "empty path");
    }
    if (path.charAt(0) != '/') {
      return malformed(
          MalformedReason.UNKNOWN_COMMAND, "path must start with '/'", path, 0, path.length());
    }
    // starts[i]..ends[i] is segment i; a trailing '/' yields a final empty segment.
    int[] starts = new int[MAX_SEGMENTS_SCANNED];
    int[] ends = new int[MAX_SEGMENTS_SCANNED];
    int count = 0;
    int start = 1;
    while (count < MAX_SEGMENTS_SCANNED) {
      int slash = path.indexOf('/', start);
      int end = slash < 0 ? path.length() : slash;
      starts[count] = start;
      ends[count] = end;
      count++;
      if (slash < 0) {
        break;
      }
      start = slash + 1;
    }
    Segments s = new Segments(path, starts, ends, count);

    if (s.is(0, "fcs")) {
      return parseIdent(s);
    }
    if (s.is(0, "open")) {
      return parseOpen(s);
    }
    if (s.is(0, "send")) {
      return parseSessionCommand(s, RtmptCommand.SEND);
    }
    if (s.is(0, "idle")) {
      return parseSessionCommand(s, RtmptCommand.IDLE);
    }
    if (s.is(0, "close")) {
      return parseSessionCommand(s, RtmptCommand.CLOSE);
    }
    return malformed(MalformedReason.UNKNOWN_COMMAND, "unknown command", path, 0, path.length());
  }

  private static RtmptPath parseIdent(Segments s) {
    if (s.count == 2 && (s.is(1, "ident2") || s.is(1, "ident"))) {
      return new RtmptRequest(RtmptCommand.IDENT, null, RtmptRequest.NO_SEQ);
    }
    return malformed(MalformedReason.BAD_IDENT, "expected /fcs/ident2", s.path, 0, s.path.length());
  }

  private static RtmptPath parseOpen(Segments s) {
    if (s.count == 2 && s.is(1, "1")) {
      return new RtmptRequest(RtmptCommand.OPEN, null, RtmptRequest.NO_SEQ);
    }
    return malformed(MalformedReason.BAD_OPEN, "expected /open/1", s.path, 0, s.path.length());
  }

  private static RtmptPath parseSessionCommand(Segments s, RtmptCommand command) {
    String path = s.path;
    if (s.count < 2 || s.length(1) == 0) {
      return malformed(
          MalformedReason.MISSING_SESSION_ID, "missing session id", path, 0, path.length());
    }
    if (!isSessionIdToken(path, s.starts[1], s.ends[1])) {
      return malformed(
          MalformedReason.BAD_SESSION_ID, "bad session id", path, s.starts[1], s.ends[1]);
    }
    String sessionId = path.substring(s.starts[1], s.ends[1]);
    if (s.count < 3) {
      if (command == RtmptCommand.CLOSE) {
        return new RtmptRequest(command, sessionId, RtmptRequest.NO_SEQ);
      }
      return malformed(MalformedReason.MISSING_SEQ, "missing seq", path, 0, path.length());
    }
    long seq = parseSeq(path, s.starts[2], s.ends[2]);
    if (seq < 0) {
      return malformed(MalformedReason.BAD_SEQ, "bad seq", path, s.starts[2], s.ends[2]);
    }
    if (s.count > 3) {
      return malformed(
          MalformedReason.TRAILING_SEGMENTS, "trailing segments", path, 0, path.length());
    }
    return new RtmptRequest(command, sessionId, seq);
  }

  /** Returns whether {@code id} is a session id the path grammar accepts. */
  static boolean isSessionId(String id) {
    return id != null && !id.isEmpty() && isSessionIdToken(id, 0, id.length());
  }

  private static boolean isSessionIdToken(String path, int start, int end) {
    if (end - start > MAX_SESSION_ID_LENGTH) {
      return false;
    }
    for (int i = start; i < end; i++) {
      char c = path.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Returns the value, or -1 unless the range is 1..18 ASCII digits (not {@code isDigit}: "١"). */
  private static long parseSeq(String path, int start, int end) {
    int len = end - start;
    if (len < 1 || len > MAX_SEQ_DIGITS) {
      return -1;
    }
    long value = 0;
    for (int i = start; i < end; i++) {
      char c = path.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static RtmptPath.Malformed malformed(
      MalformedReason reason, String message, String input, int start, int end) {
    return new RtmptPath.Malformed(reason, message + ": \"" + quote(input, start, end) + '"');
  }

  /**
   * Copies at most {@link #MAX_ECHOED_INPUT} characters, replacing anything that could break or
   * forge a log line (controls, line separators, bidi and other format characters, lone or split
   * surrogates) with {@code '?'}.
   */
  static String quote(String input, int start, int end) {
    int shown = Math.min(end - start, MAX_ECHOED_INPUT);
    StringBuilder out = new StringBuilder(shown + ELLIPSIS.length());
    for (int i = start; i < start + shown; i++) {
      char c = input.charAt(i);
      out.append(isSafeToEcho(c) ? c : '?');
    }
    if (shown < end - start) {
      out.append(ELLIPSIS);
    }
    return out.toString();
  }

  private static boolean isSafeToEcho(char c) {
    if (c >= 0x20 && c < 0x7f) {
      return c != '"' && c != '\\';
    }
    if (Character.isISOControl(c) || Character.isSurrogate(c)) {
      return false;
    }
    int type = Character.getType(c);
    return type != Character.FORMAT
        && type != Character.LINE_SEPARATOR
        && type != Character.PARAGRAPH_SEPARATOR
        && type != Character.PRIVATE_USE
        && type != Character.UNASSIGNED;
  }

  /** Segment boundaries of one path; {@code count} is capped at {@link #MAX_SEGMENTS_SCANNED}. */
  private record Segments(String path, int[] starts, int[] ends, int count) {
    int length(int i) {
      return ends[i] - starts[i];
    }

    boolean is(int i, String literal) {
      return i < count && length(i) == literal.length() && path.startsWith(literal, starts[i]);
    }
  }
}
