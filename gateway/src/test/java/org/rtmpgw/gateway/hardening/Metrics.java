package org.rtmpgw.gateway.hardening;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.rtmpgw.gateway.testing.RunningGateway;

/** Reads one sample of the gateway's Prometheus exposition, as /metrics would serve it. */
final class Metrics {
  private Metrics() {}

  /** The value of {@code sample} (name and labels exactly as exposed), or -1 if absent. */
  static double value(RunningGateway g, String sample) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      g.server().metrics().write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$")
            .matcher(out.toString(StandardCharsets.UTF_8));
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  static double limitHits(RunningGateway g, String setting) {
    return value(g, "rtmpgw_limit_hits_total{limit=\"" + setting + "\"}");
  }

  static double closed(RunningGateway g, String transport, String reason) {
    return value(
        g,
        "rtmpgw_sessions_closed_total{reason=\"" + reason + "\",transport=\"" + transport + "\"}");
  }
}
