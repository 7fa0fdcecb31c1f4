package org.rtmpgw.gateway.session;

/**
 * Counters of one session. {@code upstream} is the server it was connected to (null before);
 * {@code requests} counts RTMPT requests (0 for raw connections);
 * {@code bufferedDownstream} is what was read from the upstream but not yet delivered.
 */
public record SessionStats(
    String id,
    Transport transport,
    String client,
    String upstream,
    long durationMillis,
    long bytesUpstream,
    long bytesDownstream,
    long requests,
    int bufferedDownstream,
    CloseReason closeReason) {}
