package org.rtmpgw.gateway.session;

import org.rtmpgw.tunnel.ReplyBody;

/**
 * Answers one RTMPT request. Implementations make every call after the first a no-op, so the
 * session layer may answer a request from whichever path finishes it first (reply, close,
 * timeout) without double writes.
 */
public interface Responder {

  /** 200, {@code application/x-fcs}, this exact body. */
  void reply(ReplyBody body);

  /** 200, {@code application/x-fcs}, this exact body. */
  default void reply(byte[] body) {
    reply(ReplyBody.of(body));
  }

  /** A non-200 answer with a short plain-text reason (empty for a bare 404). */
  void error(int status, String reason);
}
