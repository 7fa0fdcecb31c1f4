package org.rtmpgw.gateway.server;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.rtmpt.RtmptServlet;
import org.rtmpgw.gateway.session.TunnelRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The embedded gateway: one HTTP listener serving the RTMPT servlet in front of one upstream. */
public final class GatewayServer {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);

  private static final int HTTP_INPUT_BUFFER_BYTES = 64 * 1024;

  private final GatewayConfig config;
  private final TunnelRegistry registry;
  private final Server server;
  private final ServerConnector http;

  public GatewayServer(GatewayConfig config) {
    this.config = config;
    this.registry = new TunnelRegistry(config);
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName("rtmpgw-http");
    this.server = new Server(threads);

    HttpConfiguration httpConfig = new HttpConfiguration();
    httpConfig.setRequestHeaderSize(config.requestHeaderMaxBytes());
    httpConfig.setSendServerVersion(false); // librtmp needs the whole header block in 16 KB
    httpConfig.setSendXPoweredBy(false);
    HttpConnectionFactory h1 = new HttpConnectionFactory(httpConfig);
    // ffmpeg posts ~10 video frames per /send: read them in large slices
    h1.setInputBufferSize(HTTP_INPUT_BUFFER_BYTES);
    this.http =
        config.tcpQuickAck() ? new QuickAckConnector(server, h1) : new ServerConnector(server, h1);
    http.setHost(config.listen().host());
    http.setPort(config.listen().port());
    http.setIdleTimeout(config.httpIdleTimeout().toMillis());
    server.addConnector(http);

    ServletContextHandler context = new ServletContextHandler("/");
    ServletHolder holder = new ServletHolder("rtmpt", new RtmptServlet(registry, config));
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/");
    server.setHandler(context);
  }

  public void start() throws Exception {
    registry.start();
    server.start();
    LOG.info(
        "RTMPT listener on {}:{} forwarding to upstream {}",
        config.listen().host(),
        http.getLocalPort(),
        config.upstream());
  }

  /** Closes every session (logging each), then stops the listener. */
  public void stop() throws Exception {
    registry.shutdown();
    server.stop();
  }

  public void join() throws InterruptedException {
    server.join();
  }

  /** The bound port of the HTTP listener (useful with port 0). */
  public int httpPort() {
    return http.getLocalPort();
  }

  public TunnelRegistry registry() {
    return registry;
  }

  public GatewayConfig config() {
    return config;
  }
}
