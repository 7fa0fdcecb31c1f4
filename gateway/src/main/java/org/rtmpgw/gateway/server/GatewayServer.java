package org.rtmpgw.gateway.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.CustomRequestLog;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.Slf4jRequestLogWriter;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.HostPort;
import org.rtmpgw.gateway.metrics.GatewayMetrics;
import org.rtmpgw.gateway.metrics.RefusalCounters;
import org.rtmpgw.gateway.rtmpt.RtmptServlet;
import org.rtmpgw.gateway.session.GatewaySession;
import org.rtmpgw.gateway.session.TunnelRegistry;
import org.rtmpgw.gateway.tls.GatewayTls;
import org.rtmpgw.gateway.tls.PemPair;
import org.rtmpgw.gateway.tls.TlsSettings;
import org.rtmpgw.gateway.tls.TlsSetupException;
import org.rtmpgw.gateway.upstream.BufferPools;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded gateway: plain and TLS listeners that each serve RTMPT (through the servlet) and
 * raw RTMP/RTMPS (through {@code RawRtmpConnection}) in front of one upstream, and a management
 * listener for metrics, health and drain.
 */
public final class GatewayServer {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
  private static final long DRAIN_POLL_MILLIS = 100;
  private static final long DRAIN_PROGRESS_LOG_MILLIS = 5_000;

  private final GatewayConfig config;
  private final TunnelRegistry registry;
  private final RefusalCounters refusals = new RefusalCounters();
  private final GatewayMetrics metrics;
  private final Server server;
  private final List<ServerConnector> plain = new ArrayList<>();
  private final List<ServerConnector> tls = new ArrayList<>();
  private final ServerConnector management;
  private final GatewayTls gatewayTls;
  private final ScheduledExecutorService background;
  private final AtomicBoolean drainStarted = new AtomicBoolean();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private volatile Runnable afterDrain = () -> {};

  /**
   * @throws TlsSetupException when a TLS listener is configured and its certificates cannot be
   *     loaded or generated
   */
  public GatewayServer(GatewayConfig config) throws TlsSetupException {
    this.config = config;
    this.gatewayTls = config.tlsEnabled() ? GatewayTls.create(tlsSettings(config)) : null;
    TunnelRegistry[] registryRef = new TunnelRegistry[1];
    this.metrics =
        new GatewayMetrics(
            new GatewayMetrics.Sources(
                () -> liveSessions(registryRef[0]),
                refusals,
                () -> gatewayTls == null ? List.of() : gatewayTls.certificates(),
                () -> registryRef[0].isDraining(),
                () -> registryRef[0].upstreams()));
    this.registry = new TunnelRegistry(config, metrics);
    registryRef[0] = registry;

    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName("rtmpgw-http");
    this.server = new Server(threads);
    this.background =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "rtmpgw-background");
              t.setDaemon(true);
              return t;
            });

    ListenerBuilder listeners = new ListenerBuilder(server, config, registry, refusals);
    for (HostPort address : config.listen()) {
      plain.add(listeners.plain(address));
    }
    for (HostPort address : config.listenTls()) {
      tls.add(listeners.tls(address, gatewayTls.sslContextFactory()));
    }
    plain.forEach(server::addConnector);
    tls.forEach(server::addConnector);

    ServletContextHandler context = new ServletContextHandler("/");
    ServletHolder holder =
        new ServletHolder(
            "rtmpt",
            new RtmptServlet(
                registry,
                config,
                (command, status) ->
                    metrics.rtmptRequest(command == null ? null : command.name(), status),
                new JettyServletIo(server.getByteBufferPool())));
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/");

    if (config.managementListen() != null) {
      management = new ServerConnector(server, new HttpConnectionFactory());
      management.setHost(config.managementListen().host());
      management.setPort(config.managementListen().port());
      management.setName("management");
      server.addConnector(management);
      server.setHandler(
          new ManagementRouting(
              management, new ManagementHandler(metrics, new Control()), context));
    } else {
      management = null;
      server.setHandler(context);
    }
    server.setErrorHandler(
        new LimitCountingErrorHandler(metrics, config.requestHeaderMaxBytes()));
    if (config.accessLog()) {
      Slf4jRequestLogWriter writer = new Slf4jRequestLogWriter();
      writer.setLoggerName("rtmpgw.access");
      server.setRequestLog(new CustomRequestLog(writer, CustomRequestLog.EXTENDED_NCSA_FORMAT));
    }
  }

  private static List<GatewaySession> liveSessions(TunnelRegistry registry) {
    List<GatewaySession> all = new ArrayList<>(registry.sessions());
    all.addAll(registry.rawSessions());
    return all;
  }

  static TlsSettings tlsSettings(GatewayConfig config) {
    List<PemPair> pairs = new ArrayList<>();
    for (int i = 0; i < config.tlsCertFiles().size(); i++) {
      pairs.add(new PemPair(config.tlsCertFiles().get(i), config.tlsKeyFiles().get(i)));
    }
    Path generated =
        config.tlsGeneratedDir() == null ? Path.of("").toAbsolutePath() : config.tlsGeneratedDir();
    return new TlsSettings(
        pairs,
        config.tlsKeystoreFile(),
        config.tlsKeystorePassword(),
        generated,
        config.tlsReloadCheck(),
        config.tls13SessionTickets());
  }

  public void start() throws Exception {
    registry.start();
    server.start();
    registry.upstreams().startProbes(background);
    if (gatewayTls != null) {
      gatewayTls.startWatching(background); // the certificates were logged when loaded
    }
    for (ServerConnector c : plain) {
      logListener("plain", c, "rtmpt,rtmp");
    }
    for (ServerConnector c : tls) {
      logListener("tls", c, "rtmpts,rtmps");
    }
    if (management != null) {
      logListener("management", management, "metrics,healthz,readyz,admin");
    }
    config
        .upstreamRouting()
        .groups()
        .forEach((group, servers) -> LOG.info("upstream group '{}': {}", group, servers));
    if (!config.upstreamRouting().routes().isEmpty()) {
      LOG.info(
          "upstream routes {}; unmatched clients go to '{}'",
          config.upstreamRouting().routes(),
          config.upstreamRouting().defaultGroup().isEmpty()
              ? "(refused)"
              : config.upstreamRouting().defaultGroup());
    }
  }

  private static void logListener(String kind, ServerConnector c, String serves) {
    LOG.info(
        "listener started kind={} address={}:{} serves={}", kind, c.getHost(), c.getLocalPort(), serves);
  }

  /**
   * Graceful stop: refuses new sessions at once, lets running ones go on for up to {@code
   * drain-timeout-ms} (logging progress), then closes what remains and stops. Blocks until done;
   * a second call waits for the first.
   */
  public void drainAndStop() throws Exception {
    if (!drainStarted.compareAndSet(false, true)) {
      return;
    }
    registry.startDrain();
    long timeoutMillis = config.drainTimeout().toMillis();
    LOG.info(
        "draining: refusing new sessions; {} running may go on for up to {} ms",
        registry.totalSize(),
        timeoutMillis);
    long start = System.nanoTime();
    long lastLog = start;
    while (registry.totalSize() > 0) {
      long now = System.nanoTime();
      long elapsed = TimeUnit.NANOSECONDS.toMillis(now - start);
      if (elapsed >= timeoutMillis) {
        break;
      }
      if (TimeUnit.NANOSECONDS.toMillis(now - lastLog) >= DRAIN_PROGRESS_LOG_MILLIS) {
        LOG.info(
            "draining: {} sessions left, {} ms to go", registry.totalSize(), timeoutMillis - elapsed);
        lastLog = now;
      }
      Thread.sleep(Math.min(DRAIN_POLL_MILLIS, Math.max(1, timeoutMillis - elapsed)));
    }
    int left = registry.totalSize();
    if (left > 0) {
      LOG.info("drain timeout: closing the {} remaining sessions", left);
    } else {
      LOG.info("drained: every session ended");
    }
    stop();
  }

  /** What runs after a drain requested through {@code POST /admin/drain} (Main: exit 0). */
  public void afterDrain(Runnable action) {
    this.afterDrain = action;
  }

  /** Closes every session (logging each), then stops the listeners. Idempotent. */
  public void stop() throws Exception {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    registry.shutdown();
    if (gatewayTls != null) {
      gatewayTls.close();
    }
    background.shutdownNow();
    server.stop();
  }

  public void join() throws InterruptedException {
    server.join();
  }

  /** The bound port of the first plain listener (useful with port 0), or -1 without one. */
  public int httpPort() {
    return plain.isEmpty() ? -1 : plain.get(0).getLocalPort();
  }

  /** The bound port of the first TLS listener, or -1 without one. */
  public int tlsPort() {
    return tls.isEmpty() ? -1 : tls.get(0).getLocalPort();
  }

  /** The bound port of the management listener, or -1 without one. */
  public int managementPort() {
    return management == null ? -1 : management.getLocalPort();
  }

  /**
   * Pooled buffers taken and not given back ({@link BufferPools#inUse}) by the HTTP side (request
   * buffers, send-body slices) and the upstream side; -1 if a pool cannot tell.
   */
  public long pooledBuffersInUse() {
    long http = BufferPools.inUse(server.getByteBufferPool());
    long upstream = registry.upstreamBuffersInUse();
    return http < 0 || upstream < 0 ? -1 : http + upstream;
  }

  public TunnelRegistry registry() {
    return registry;
  }

  public RefusalCounters refusals() {
    return refusals;
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  /** The TLS material being served, or null when no TLS listener is configured. */
  public GatewayTls tls() {
    return gatewayTls;
  }

  public GatewayConfig config() {
    return config;
  }

  /** Readiness and the drain request, as the management endpoints see them. */
  private final class Control implements ManagementHandler.Control {
    @Override
    public String notReadyReason() {
      if (registry.isDraining()) {
        return "draining";
      }
      return registry.upstreams().notReadyReason();
    }

    @Override
    public void drain() {
      if (drainStarted.get()) {
        return;
      }
      Thread t =
          new Thread(
              () -> {
                try {
                  drainAndStop();
                } catch (Throwable e) { // whatever happens, the process must still end
                  LOG.warn("drain failed", e);
                } finally {
                  afterDrain.run();
                }
              },
              "rtmpgw-drain");
      t.start();
    }
  }

  /** Sends requests that arrive on the management connector to the management endpoints. */
  private static final class ManagementRouting extends Handler.Wrapper {
    private final ServerConnector management;
    private final Handler managementHandler;

    ManagementRouting(ServerConnector management, Handler managementHandler, Handler gateway) {
      super(gateway);
      this.management = management;
      this.managementHandler = managementHandler;
      addBean(managementHandler);
    }

    @Override
    public void setServer(org.eclipse.jetty.server.Server server) {
      super.setServer(server);
      managementHandler.setServer(server);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      if (request.getConnectionMetaData().getConnector() == management) {
        return managementHandler.handle(request, response, callback);
      }
      return super.handle(request, response, callback);
    }
  }
}
