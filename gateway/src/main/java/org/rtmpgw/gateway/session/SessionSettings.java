package org.rtmpgw.gateway.session;

import org.rtmpgw.gateway.config.GatewayConfig;

/** The per-session limits, in the units the session code uses. */
public record SessionSettings(
    long idleHoldNanos,
    long inactivityNanos,
    long upstreamWriteTimeoutNanos,
    long reorderTimeoutNanos,
    long seqBaseGraceNanos,
    int reorderWindow,
    int replyMaxBytes,
    int downstreamBufferBytes,
    int emptyRepliesBeforeBackoff,
    boolean upstreamAcceptsRtmpe,
    int maxRequestsPerSecond) {

  public static SessionSettings from(GatewayConfig c) {
    return new SessionSettings(
        c.idleHold().toNanos(),
        c.sessionInactivityTimeout().toNanos(),
        c.upstreamWriteTimeout().toNanos(),
        c.reorderTimeout().toNanos(),
        c.seqBaseGrace().toNanos(),
        c.reorderWindow(),
        c.replyMaxBytes(),
        c.downstreamBufferBytes(),
        c.emptyRepliesBeforeBackoff(),
        c.upstreamAcceptsRtmpe(),
        c.maxRequestsPerSecond());
  }
}
