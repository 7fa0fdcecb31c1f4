package org.rtmpgw.tunnel;

import java.util.Objects;

/**
 * The result of parsing an RTMPT request path: either a well-formed {@link RtmptRequest} or a
 * {@link Malformed} value saying why not.
 *
 * <p>Parsing is total (it never throws) so that servlet code can switch over the result and answer
 * every malformed form with a plain error instead of a stack trace.
 */
public sealed interface RtmptPath permits RtmptRequest, RtmptPath.Malformed {

  /**
   * Parses a decoded request path, without query string and without context path.
   *
   * <p>The grammar is exact and case-sensitive, with no percent-decoding, no empty segments, no
   * trailing slash and no double slashes:
   *
   * <ul>
   *   <li>{@code /fcs/ident2}, {@code /fcs/ident} → {@link RtmptCommand#IDENT}
   *   <li>{@code /open/1} → {@link RtmptCommand#OPEN}
   *   <li>{@code /send/<id>/<seq>}, {@code /idle/<id>/<seq>} → {@link RtmptCommand#SEND}, {@link
   *       RtmptCommand#IDLE}
   *   <li>{@code /close/<id>/<seq>} and {@code /close/<id>} → {@link RtmptCommand#CLOSE}
   *       (HaishinKit and RootEncoder omit the seq; Shumway sends {@code /close/2}, which parses as
   *       id {@code "2"} without seq)
   * </ul>
   *
   * <p>{@code <id>} is 1 to {@value RtmptPathParser#MAX_SESSION_ID_LENGTH} characters of {@code
   * [A-Za-z0-9_-]}. {@code <seq>} is 1 to {@value RtmptPathParser#MAX_SEQ_DIGITS} ASCII decimal
   * digits (leading zeros allowed), so it always fits a non-negative {@code long}.
   *
   * @param path the decoded path, e.g. {@code "/send/abc/12"}; may be {@code null}
   * @return a request, or a {@link Malformed} with the first reason found left to right
   */
  static RtmptPath parse(String path) {
    return RtmptPathParser.parse(path);
  }

  /**
   * A path outside the RTMPT grammar.
   *
   * @param reason machine-readable cause, for metrics and status mapping
   * @param detail short text for logs and plain-text error bodies: at most {@value
   *     RtmptPathParser#MAX_DETAIL_LENGTH} characters, echoing at most {@value
   *     RtmptPathParser#MAX_ECHOED_INPUT} characters of the input, with control and other invisible
   *     characters replaced so that a hostile path cannot forge log lines
   */
  record Malformed(MalformedReason reason, String detail) implements RtmptPath {
    public Malformed {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(detail, "detail");
    }
  }
}
