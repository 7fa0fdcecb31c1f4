package org.rtmpgw.gateway.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.rtmpgw.gateway.config.HostPort;
import org.rtmpgw.gateway.config.Setting;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.session.GatewaySession;
import org.rtmpgw.gateway.session.Limit;
import org.rtmpgw.gateway.session.SessionObserver;
import org.rtmpgw.gateway.session.SessionStats;
import org.rtmpgw.gateway.session.Transport;
import org.rtmpgw.gateway.tls.CertificateInfo;
import org.rtmpgw.gateway.upstream.UpstreamSelector;

/**
 * The gateway's Prometheus metrics. Fed by events ({@link SessionObserver}, {@link
 * #rtmptRequest}) and read through callbacks at scrape time (live sessions, refusals,
 * certificates); never the other way round. No label carries a session or a client.
 */
public final class GatewayMetrics implements SessionObserver {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

  private final Counter opened;
  private final Counter closed;
  private final Counter requests;
  private final Counter idleHolds;
  private final Histogram connectSeconds;
  private final Counter connectFailures;
  /** Bytes of sessions already closed; live sessions are summed at scrape time. */
  private final Map<Transport, LongAdder> closedBytesUp = new EnumMap<>(Transport.class);

  private final Map<Transport, LongAdder> closedBytesDown = new EnumMap<>(Transport.class);
  private final Map<Limit, LongAdder> limitHits = new EnumMap<>(Limit.class);
  private final Map<CloseReason, LongAdder> closedByReason = new EnumMap<>(CloseReason.class);
  /** Idle-timeout closes of raw RTMP(S) sessions: raw-idle-timeout-ms, not the RTMPT inactivity. */
  private final LongAdder rawIdleClosed = new LongAdder();
  private final LongAdder bodiesTooLarge = new LongAdder();

  /** Where the live values come from; set once the server is built. */
  public record Sources(
      Supplier<List<GatewaySession>> liveSessions,
      RefusalCounters refusals,
      Supplier<List<CertificateInfo>> certificates,
      BooleanSupplier draining,
      Supplier<UpstreamSelector> upstreams) {}

  public GatewayMetrics(Sources sources) {
    for (Transport t : Transport.values()) {
      closedBytesUp.put(t, new LongAdder());
      closedBytesDown.put(t, new LongAdder());
    }
    for (Limit l : Limit.values()) {
      limitHits.put(l, new LongAdder());
    }
    for (CloseReason r : CloseReason.values()) {
      closedByReason.put(r, new LongAdder());
    }
    opened =
        Counter.builder()
            .name("rtmpgw_sessions_opened_total")
            .help("Sessions opened (upstream connected), by transport")
            .labelNames("transport")
            .register(registry);
    closed =
        Counter.builder()
            .name("rtmpgw_sessions_closed_total")
            .help("Sessions closed, by transport and reason")
            .labelNames("transport", "reason")
            .register(registry);
    requests =
        Counter.builder()
            .name("rtmpgw_rtmpt_requests_total")
            .help("RTMPT requests answered, by command and HTTP status")
            .labelNames("command", "status")
            .register(registry);
    idleHolds =
        Counter.builder()
            .name("rtmpgw_rtmpt_idle_holds_total")
            .help("Empty /idle requests held waiting for upstream bytes")
            .register(registry);
    connectSeconds =
        Histogram.builder()
            .name("rtmpgw_upstream_connect_seconds")
            .help("Time to establish the upstream TCP connection")
            .classicOnly()
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
            .register(registry);
    connectFailures =
        Counter.builder()
            .name("rtmpgw_upstream_connect_failures_total")
            .help("Upstream connections that could not be established")
            .register(registry);
    GaugeWithCallback.builder()
        .name("rtmpgw_sessions_active")
        .help("Live sessions, by transport")
        .labelNames("transport")
        .callback(
            cb -> {
              Map<Transport, Integer> counts = new EnumMap<>(Transport.class);
              for (Transport t : Transport.values()) {
                counts.put(t, 0);
              }
              for (GatewaySession s : sources.liveSessions().get()) {
                counts.merge(s.transport(), 1, Integer::sum);
              }
              counts.forEach((t, n) -> cb.call(n, t.toString()));
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("rtmpgw_bytes_total")
        .help("Bytes forwarded, by direction (upstream = client to RTMP server) and transport")
        .labelNames("direction", "transport")
        .callback(
            cb -> {
              Map<Transport, long[]> live = new EnumMap<>(Transport.class);
              for (Transport t : Transport.values()) {
                live.put(t, new long[2]);
              }
              for (GatewaySession s : sources.liveSessions().get()) {
                SessionStats st = s.stats();
                long[] sum = live.get(st.transport());
                sum[0] += st.bytesUpstream();
                sum[1] += st.bytesDownstream();
              }
              for (Transport t : Transport.values()) {
                cb.call(closedBytesUp.get(t).sum() + live.get(t)[0], "upstream", t.toString());
                cb.call(closedBytesDown.get(t).sum() + live.get(t)[1], "downstream", t.toString());
              }
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("rtmpgw_connections_refused_total")
        .help("Connections closed before they became a session, by reason")
        .labelNames("reason")
        .callback(
            cb -> {
              for (Refusal r : Refusal.values()) {
                cb.call(sources.refusals().get(r), r.toString());
              }
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("rtmpgw_tls_handshake_failures_total")
        .help("TLS handshakes that failed (old protocol, no common cipher, garbage)")
        .callback(cb -> cb.call(sources.refusals().get(Refusal.TLS_HANDSHAKE_FAILED)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("rtmpgw_tls_certificate_expiry_timestamp_seconds")
        .help("When each served certificate expires (Unix time)")
        .labelNames("alias", "subject")
        .callback(
            cb -> {
              for (CertificateInfo c : sources.certificates().get()) {
                cb.call(c.notAfter().getEpochSecond(), c.alias(), c.subject());
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("rtmpgw_draining")
        .help("1 while the gateway refuses new sessions and drains running ones")
        .callback(cb -> cb.call(sources.draining().getAsBoolean() ? 1 : 0))
        .register(registry);
    GaugeWithCallback.builder()
        .name("rtmpgw_upstream_up")
        .help("1 when the upstream server accepted the last TCP probe, by group and server")
        .labelNames("group", "server")
        .callback(
            cb -> {
              UpstreamSelector upstreams = sources.upstreams().get();
              upstreams
                  .groups()
                  .forEach(
                      (group, servers) -> {
                        for (HostPort server : servers) {
                          cb.call(upstreams.isUp(server) ? 1 : 0, group, server.toString());
                        }
                      });
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("rtmpgw_limit_hits_total")
        .help("Times a client ran into a configured limit, by the setting that limits it")
        .labelNames("limit")
        .callback(
            cb -> {
              for (Limit l : Limit.values()) {
                cb.call(limitHits.get(l).sum(), l.toString());
              }
              long rawIdle = rawIdleClosed.sum();
              cb.call(
                  closed(CloseReason.IDLE_TIMEOUT) - rawIdle,
                  Setting.SESSION_INACTIVITY_TIMEOUT_MS.key());
              cb.call(rawIdle, Setting.RAW_IDLE_TIMEOUT_MS.key());
              cb.call(closed(CloseReason.SEQ_GAP), Setting.REORDER_TIMEOUT_MS.key());
              cb.call(closed(CloseReason.UPSTREAM_WRITE_STALL), Setting.UPSTREAM_WRITE_TIMEOUT_MS.key());
              cb.call(bodiesTooLarge.sum(), Setting.REQUEST_BODY_MAX_BYTES.key());
              cb.call(sources.refusals().get(Refusal.SNIFF_TIMEOUT), Setting.SNIFF_TIMEOUT_MS.key());
              cb.call(
                  sources.refusals().get(Refusal.TLS_HANDSHAKE_TIMEOUT),
                  Setting.TLS_HANDSHAKE_TIMEOUT_MS.key());
            })
        .register(registry);
    JvmMetrics.builder().register(registry);
  }

  @Override
  public void opened(Transport transport) {
    opened.labelValues(transport.toString()).inc();
  }

  @Override
  public void closed(SessionStats stats) {
    String reason = stats.closeReason() == null ? "unknown" : stats.closeReason().toString();
    closed.labelValues(stats.transport().toString(), reason).inc();
    if (stats.closeReason() != null) {
      closedByReason.get(stats.closeReason()).increment();
      if (stats.closeReason() == CloseReason.IDLE_TIMEOUT && stats.transport().isRaw()) {
        rawIdleClosed.increment();
      }
    }
    closedBytesUp.get(stats.transport()).add(stats.bytesUpstream());
    closedBytesDown.get(stats.transport()).add(stats.bytesDownstream());
  }

  @Override
  public void limitHit(Limit limit) {
    limitHits.get(limit).increment();
  }

  private long closed(CloseReason reason) {
    return closedByReason.get(reason).sum();
  }

  @Override
  public void idleHeld() {
    idleHolds.inc();
  }

  @Override
  public void upstreamConnected(long nanos) {
    connectSeconds.observe(nanos / 1e9);
  }

  @Override
  public void upstreamConnectFailed() {
    connectFailures.inc();
  }

  /** One RTMPT request answered; {@code command} is null for a request that was not RTMPT. */
  public void rtmptRequest(String command, int status) {
    String label = command == null ? "invalid" : command.toLowerCase(Locale.ROOT);
    requests.labelValues(label, Integer.toString(status)).inc();
    if (status == 413) {
      bodiesTooLarge.increment();
    }
  }

  public String contentType() {
    return writer.getContentType();
  }

  /** Writes every metric in the Prometheus text format. */
  public void write(OutputStream out) throws IOException {
    writer.write(out, registry.scrape());
  }
}
