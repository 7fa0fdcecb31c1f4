package org.rtmpgw.it.soak;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.rtmpgw.it.harness.NginxRtmp;

/**
 * The counters the soak compares before and after the churn: the gateway's session, refusal,
 * request and byte counters, nginx's accepted connections, and the gateway's close log lines.
 */
public final class Counters {

  static final List<String> TRANSPORTS = List.of("rtmpt", "rtmpts", "rtmp", "rtmps");

  final Map<String, Double> opened = new TreeMap<>();
  final Map<String, Double> closed = new TreeMap<>();
  /** "transport reason" → closed sessions. */
  final Map<String, Double> closedByReason = new TreeMap<>();
  final Map<String, Double> refused = new TreeMap<>();
  /** "command status" → RTMPT requests answered. */
  final Map<String, Double> requests = new TreeMap<>();
  /** "transport direction" → bytes. */
  final Map<String, Double> bytes = new TreeMap<>();
  final long nginxAccepted;
  final List<CloseLog.Closed> closeLines;

  private Counters(Metrics m, long nginxAccepted, List<CloseLog.Closed> closeLines) {
    for (String t : TRANSPORTS) {
      opened.put(t, m.sum("rtmpgw_sessions_opened_total", "transport", t));
      closed.put(t, m.sum("rtmpgw_sessions_closed_total", "transport", t));
      m.byLabel("rtmpgw_sessions_closed_total", "reason", "transport", t)
          .forEach((reason, v) -> closedByReason.put(t + " " + reason, v));
      for (String direction : List.of("upstream", "downstream")) {
        bytes.put(
            t + " " + direction,
            m.sum("rtmpgw_bytes_total", "transport", t, "direction", direction));
      }
    }
    refused.putAll(m.byLabel("rtmpgw_connections_refused_total", "reason"));
    for (Metrics.Sample s : m.samples("rtmpgw_rtmpt_requests_total")) {
      requests.merge(
          s.labels().get("command") + " " + s.labels().get("status"), s.value(), Double::sum);
    }
    this.nginxAccepted = nginxAccepted;
    this.closeLines = closeLines;
  }

  /** Reads every counter now. */
  public static Counters read(GatewayProbe probe, NginxRtmp nginx, Path gatewayLog)
      throws IOException, InterruptedException {
    Metrics m = probe.metrics();
    long accepted = nginx.stat().acceptedConnections();
    return new Counters(m, accepted, CloseLog.read(gatewayLog));
  }

  /** {@code after - before} of one map entry (0 when absent). */
  static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
    return after.getOrDefault(key, 0.0) - before.getOrDefault(key, 0.0);
  }
}
