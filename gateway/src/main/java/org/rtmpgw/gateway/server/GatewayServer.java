package org.rtmpgw.gateway.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.HostPort;
import org.rtmpgw.gateway.metrics.RefusalCounters;
import org.rtmpgw.gateway.rtmpt.RtmptServlet;
import org.rtmpgw.gateway.session.TunnelRegistry;
import org.rtmpgw.gateway.tls.GatewayTls;
import org.rtmpgw.gateway.tls.PemPair;
import org.rtmpgw.gateway.tls.TlsSettings;
import org.rtmpgw.gateway.tls.TlsSetupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded gateway: plain and TLS listeners that each serve RTMPT (through the servlet) and
 * raw RTMP/RTMPS (through {@code RawRtmpConnection}) in front of one upstream.
 */
public final class GatewayServer {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);

  private final GatewayConfig config;
  private final TunnelRegistry registry;
  private final RefusalCounters refusals = new RefusalCounters();
  private final Server server;
  private final List<ServerConnector> plain = new ArrayList<>();
  private final List<ServerConnector> tls = new ArrayList<>();
  private final GatewayTls gatewayTls;
  private ScheduledExecutorService certificateWatch;

  /**
   * @throws TlsSetupException when a TLS listener is configured and its certificates cannot be
   *     loaded or generated
   */
  public GatewayServer(GatewayConfig config) throws TlsSetupException {
    this.config = config;
    this.registry = new TunnelRegistry(config);
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName("rtmpgw-http");
    this.server = new Server(threads);
    this.gatewayTls = config.tlsEnabled() ? GatewayTls.create(tlsSettings(config)) : null;

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
    ServletHolder holder = new ServletHolder("rtmpt", new RtmptServlet(registry, config));
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/");
    server.setHandler(context);
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
    if (gatewayTls != null) {
      certificateWatch =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "rtmpgw-certificate-watch");
                t.setDaemon(true);
                return t;
              });
      gatewayTls.startWatching(certificateWatch); // the certificates were logged when loaded
    }
    for (ServerConnector c : plain) {
      LOG.info("plain listener on {}:{} (RTMPT, RTMP)", c.getHost(), c.getLocalPort());
    }
    for (ServerConnector c : tls) {
      LOG.info("TLS listener on {}:{} (RTMPTS, RTMPS)", c.getHost(), c.getLocalPort());
    }
    LOG.info("forwarding to upstream {}", config.upstream());
  }

  /** Closes every session (logging each), then stops the listeners. */
  public void stop() throws Exception {
    registry.shutdown();
    if (gatewayTls != null) {
      gatewayTls.close();
    }
    if (certificateWatch != null) {
      certificateWatch.shutdownNow();
    }
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

  public TunnelRegistry registry() {
    return registry;
  }

  public RefusalCounters refusals() {
    return refusals;
  }

  /** The TLS material being served, or null when no TLS listener is configured. */
  public GatewayTls tls() {
    return gatewayTls;
  }

  public GatewayConfig config() {
    return config;
  }
}
