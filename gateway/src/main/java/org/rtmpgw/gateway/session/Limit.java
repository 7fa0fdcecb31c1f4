package org.rtmpgw.gateway.session;

import org.rtmpgw.gateway.config.Setting;

/** A configured limit that a client ran into; named by its setting in logs and metrics. */
public enum Limit {
  MAX_SESSIONS(Setting.MAX_SESSIONS),
  MAX_SESSIONS_PER_CLIENT(Setting.MAX_SESSIONS_PER_CLIENT),
  REQUEST_RATE(Setting.MAX_REQUESTS_PER_SECOND),
  REORDER_WINDOW(Setting.REORDER_WINDOW),
  DOWNSTREAM_BUFFER(Setting.DOWNSTREAM_BUFFER_BYTES),
  UPSTREAM_CONNECT_TIMEOUT(Setting.UPSTREAM_CONNECT_TIMEOUT_MS),
  REQUEST_HEADER_SIZE(Setting.REQUEST_HEADER_MAX_BYTES);

  private final Setting setting;

  Limit(Setting setting) {
    this.setting = setting;
  }

  public Setting setting() {
    return setting;
  }

  @Override
  public String toString() {
    return setting.key();
  }
}
