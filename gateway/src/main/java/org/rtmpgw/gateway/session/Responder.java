package org.rtmpgw.gateway.session;

/**
 * Answers one RTMPT request. Implementations make every call after the first a no-op, so the
 * session layer may answer a request from whichever path finishes it first (reply, close,
 * timeout) without double writes.
 */
public interface Responder {

  /** 200, {@code application/x-fcs}, this exact body. */
  void reply(byte[] body);

  /** A non-200 answer with a short plain-text reason (empty for a bare 404). */
  void error(int status, String reason);
}
