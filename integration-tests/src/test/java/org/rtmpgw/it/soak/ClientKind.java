package org.rtmpgw.it.soak;

import java.util.Set;

/**
 * What one soak client does, and what the gateway must make of it: the session it opens (its
 * transport), the close reasons that are correct for it, or the refusal it must count.
 */
public enum ClientKind {
  /** RTMPT: open, C0C1, idles until S0S1S2, C2, two more idles, /close, orderly TCP close. */
  RTMPT_CLEAN("rtmpt", Set.of("client-close"), null, "RTMPT clean (open, handshake, idles, /close)"),
  /** The same inside TLS on the TLS listener. */
  RTMPTS_CLEAN("rtmpts", Set.of("client-close"), null, "RTMPTS clean"),
  /** RTMPT: /open/1, then the client vanishes (FIN) before sending a byte of RTMP. */
  RTMPT_VANISH_AFTER_OPEN(
      "rtmpt", Set.of("idle-timeout"), null, "RTMPT vanishes after /open/1 (FIN, no /close)"),
  /** RTMPT: handshake received, then the client vanishes (FIN) without sending C2. */
  RTMPT_VANISH_BEFORE_C2(
      "rtmpt", Set.of("idle-timeout"), null, "RTMPT vanishes mid-handshake (FIN, no /close)"),
  /** RTMPT: handshake completed, then the client vanishes with a TCP RST. */
  RTMPT_RESET_AFTER_C2(
      "rtmpt", Set.of("idle-timeout"), null, "RTMPT vanishes after the handshake (RST, no /close)"),
  /** RTMPT: handshake completed, an /idle sent, and the client resets before its answer. */
  RTMPT_RESET_IDLE_IN_FLIGHT(
      "rtmpt", Set.of("idle-timeout"), null, "RTMPT resets with an /idle in flight"),
  /** RTMPTS: handshake completed, then TCP FIN without TLS close_notify nor /close. */
  RTMPTS_VANISH_AFTER_C2(
      "rtmpts", Set.of("idle-timeout"), null, "RTMPTS vanishes (FIN without close_notify)"),
  /** Raw RTMP: C0C1, S0S1S2, C2, orderly close. */
  RTMP_RAW_CLOSE("rtmp", Set.of("client-close", "client-error"), null, "raw RTMP, orderly close"),
  /** Raw RTMP: C0C1, S0S1 read, then RST with S2 unread. */
  RTMP_RAW_RESET("rtmp", Set.of("client-close", "client-error"), null, "raw RTMP, RST mid-handshake"),
  /** RTMPS: as RTMP_RAW_CLOSE inside TLS, closed with close_notify. */
  RTMPS_RAW_CLOSE("rtmps", Set.of("client-close", "client-error"), null, "RTMPS, orderly close"),
  /** RTMPS: S0S1 read, then RST without close_notify. */
  RTMPS_RAW_RESET("rtmps", Set.of("client-close", "client-error"), null, "RTMPS, RST mid-handshake"),
  /** One malformed RTMPT request (bad path, unknown or closed id, wrong method) on its own connection. */
  MALFORMED_REQUEST(null, Set.of(), null, "malformed request / unknown session id"),
  /** Bytes that are neither RTMP, HTTP nor TLS, on the plain listener. */
  GARBAGE_PLAIN(null, Set.of(), "unrecognised-bytes", "garbage bytes on the plain listener"),
  /** The same on the TLS listener. */
  GARBAGE_TLS(null, Set.of(), "unrecognised-bytes", "garbage bytes on the TLS listener"),
  /** A plaintext RTMP C0C1 on the TLS listener. */
  PLAINTEXT_ON_TLS(null, Set.of(), "plaintext-on-tls", "plain RTMP on the TLS listener"),
  /** A TLS ClientHello on the plain listener. */
  TLS_ON_PLAIN(null, Set.of(), "tls-on-plain", "TLS on the plain listener");

  private final String transport;
  private final Set<String> reasons;
  private final String refusal;
  private final String description;

  ClientKind(String transport, Set<String> reasons, String refusal, String description) {
    this.transport = transport;
    this.reasons = reasons;
    this.refusal = refusal;
    this.description = description;
  }

  /** The transport of the session this client opens, or null if it opens none. */
  public String transport() {
    return transport;
  }

  public boolean opensSession() {
    return transport != null;
  }

  /** True for RTMPT/RTMPTS sessions, whose id the client knows. */
  public boolean tunnelled() {
    return "rtmpt".equals(transport) || "rtmpts".equals(transport);
  }

  /** Close reasons the gateway may log for this client's session. */
  public Set<String> reasons() {
    return reasons;
  }

  /** The refusal counter this client must raise, or null. */
  public String refusal() {
    return refusal;
  }

  public String description() {
    return description;
  }
}
