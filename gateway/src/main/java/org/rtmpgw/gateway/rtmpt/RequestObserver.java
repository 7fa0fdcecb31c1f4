package org.rtmpgw.gateway.rtmpt;

import org.rtmpgw.tunnel.RtmptCommand;

/** Told of every RTMPT request the servlet answers, for metrics. Must be thread-safe and quick. */
public interface RequestObserver {
  RequestObserver NONE = (command, status) -> {};

  /** {@code command} is null for a request that was not a well-formed RTMPT request. */
  void answered(RtmptCommand command, int status);
}
