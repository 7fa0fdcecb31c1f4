package org.rtmpgw.tunnel;

/**
 * The commands of the RTMPT URL grammar.
 *
 * <p>{@link #IDENT} covers both {@code /fcs/ident2} (sent first by Flash Player, HaishinKit,
 * RootEncoder and Shumway) and FMS's older {@code /fcs/ident}; neither carries a session id or a
 * sequence number. {@link #OPEN} is always literally {@code /open/1}. {@link #SEND}, {@link #IDLE}
 * and {@link #CLOSE} address an existing session.
 */
public enum RtmptCommand {
  /** {@code /fcs/ident2} or {@code /fcs/ident}: server identification probe. */
  IDENT,
  /** {@code /open/1}: create a session; the reply carries the new session id. */
  OPEN,
  /** {@code /send/<id>/<seq>}: the body is the next slice of the upstream-bound byte stream. */
  SEND,
  /** {@code /idle/<id>/<seq>}: a poll for downstream bytes. */
  IDLE,
  /** {@code /close/<id>/<seq>} or {@code /close/<id>}: end the session. */
  CLOSE
}
