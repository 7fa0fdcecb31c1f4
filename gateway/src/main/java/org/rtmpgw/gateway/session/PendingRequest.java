package org.rtmpgw.gateway.session;

import org.rtmpgw.tunnel.RtmptCommand;

/** A send, idle or close whose body has been read in full and that waits for its answer. */
public record PendingRequest(RtmptCommand command, long seq, byte[] body, Responder responder) {}
