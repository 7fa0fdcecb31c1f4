package org.rtmpgw.gateway.server;

import java.time.Duration;
import java.util.Map;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.HostPort;
import org.rtmpgw.gateway.metrics.Refusal;
import org.rtmpgw.gateway.metrics.RefusalCounters;
import org.rtmpgw.gateway.raw.RawRtmpConnectionFactory;
import org.rtmpgw.gateway.raw.RefusingConnectionFactory;
import org.rtmpgw.gateway.session.TunnelRegistry;
import org.rtmpgw.tunnel.FirstBytes.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the listeners. Every listener sniffs the first bytes (see {@code FirstBytes}): raw
 * RTMP/RTMPE goes to a {@code RawRtmpConnection}, HTTP to the RTMPT servlet; a TLS listener first
 * terminates TLS and then sniffs the decrypted bytes the same way. Anything else is refused with a
 * log line and a count.
 *
 * <pre>
 * ([PROXY header from a trusted balancer] →)
 * plain: [sniff: rtmp | refuse(tls, garbage)] → http/1.1
 * tls:   [sniff: ssl  | refuse(plaintext)] → ssl → [sniff: rtmp | refuse(tls, garbage)] → http/1.1
 * </pre>
 */
final class ListenerBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(ListenerBuilder.class);
  /**
   * Request read buffer of each HTTP connection. A connection holds one while an idle is held, so
   * with 10 000 polling sessions 64 KiB buffers drove direct memory to the JVM limit (LoadBench);
   * 8 KiB keeps it under 20 MiB.
   */
  private static final int HTTP_INPUT_BUFFER_BYTES = 8 * 1024;

  private final Server server;
  private final GatewayConfig config;
  private final TunnelRegistry registry;
  private final RefusalCounters refusals;
  private final TrustedProxies trusted;

  ListenerBuilder(
      Server server, GatewayConfig config, TunnelRegistry registry, RefusalCounters refusals) {
    this.server = server;
    this.config = config;
    this.registry = registry;
    this.refusals = refusals;
    this.trusted = new TrustedProxies(config.trustedProxies());
  }

  ServerConnector plain(HostPort address) {
    DetectorConnectionFactory sniff = decryptedSniffer("sniff");
    return connector(address, sniff, http(httpConfiguration()));
  }

  ServerConnector tls(HostPort address, SslContextFactory.Server sslContext) {
    DetectorConnectionFactory inner = decryptedSniffer("sniff-tls");
    SslConnectionFactory ssl = new HandshakeTimedSslConnectionFactory(sslContext, inner.getProtocol());
    ssl.addBean(new HandshakeFailureLog());
    // Only the customizer below: Jetty's default one checks SNI against Host, and librtmp sends no
    // SNI while clients connecting by IP send no useful one.
    ssl.setEnsureSecureRequestCustomizer(false);
    RefusingConnectionFactory plaintext =
        new RefusingConnectionFactory(
            "refuse-plaintext",
            Map.of(
                Kind.RTMP, Refusal.PLAINTEXT_ON_TLS,
                Kind.RTMPE, Refusal.PLAINTEXT_ON_TLS,
                Kind.HTTP, Refusal.PLAINTEXT_ON_TLS,
                Kind.PROXY, Refusal.PROXY_UNTRUSTED,
                Kind.UNKNOWN, Refusal.UNRECOGNISED),
            refusals);
    DetectorConnectionFactory outer = new DetectorConnectionFactory(ssl, plaintext);
    HttpConfiguration secure = httpConfiguration();
    secure.addCustomizer(new SecureRequestCustomizer(false, false, -1, false));
    // the inner detector must precede http: it falls through to the factory listed after it
    return connector(address, outer, inner, http(secure));
  }

  /**
   * Sniffs bytes that are already plaintext (on a plain listener, or after TLS). The refusing
   * factory's name makes the detector's protocol name unique on its connector.
   */
  private DetectorConnectionFactory decryptedSniffer(String name) {
    RawRtmpConnectionFactory raw =
        new RawRtmpConnectionFactory(
            "rtmp", registry, config.rawIdleTimeout(), config.upstreamAcceptsRtmpe());
    RefusingConnectionFactory refuse =
        new RefusingConnectionFactory(
            "refuse-" + name,
            Map.of(
                Kind.TLS, Refusal.TLS_ON_PLAIN,
                Kind.RTMPE, Refusal.RTMPE_REFUSED,
                Kind.PROXY, Refusal.PROXY_UNTRUSTED,
                Kind.UNKNOWN, Refusal.UNRECOGNISED),
            refusals);
    // raw RTMP first: with upstream-accepts-rtmpe the raw factory takes RTMPE before the refusal
    return new DetectorConnectionFactory(raw, refuse);
  }

  private ServerConnector connector(HostPort address, ConnectionFactory... factories) {
    if (!trusted.isEmpty()) {
      ConnectionFactory[] withProxy = new ConnectionFactory[factories.length + 1];
      withProxy[0] = new TrustedProxyConnectionFactory(trusted, factories[0].getProtocol());
      System.arraycopy(factories, 0, withProxy, 1, factories.length);
      factories = withProxy;
    }
    GatewayConnector connector =
        new GatewayConnector(server, config.tcpQuickAck(), refusals, factories);
    connector.setHost(address.host());
    connector.setPort(address.port());
    connector.setIdleTimeout(config.sniffTimeout().toMillis());
    return connector;
  }

  private HttpConfiguration httpConfiguration() {
    HttpConfiguration httpConfig = new HttpConfiguration();
    httpConfig.setRequestHeaderSize(config.requestHeaderMaxBytes());
    httpConfig.setSendServerVersion(false); // librtmp needs the whole header block in 16 KB
    httpConfig.setSendXPoweredBy(false);
    // Jetty's per-connection header-field cache (1024 x 48 chars, ~100 KiB per keep-alive
    // connection) ran a 512 MiB heap out at ~4 200 sessions; RTMPT sends a handful of headers
    httpConfig.setHeaderCacheSize(0);
    if (!trusted.isEmpty()) {
      httpConfig.addCustomizer(new TrustedForwardedCustomizer(trusted));
    }
    return httpConfig;
  }

  private HttpConnectionFactory http(HttpConfiguration httpConfig) {
    HttpConnectionFactory h1 = new IdleTimedHttpConnectionFactory(httpConfig, config.httpIdleTimeout());
    h1.setInputBufferSize(HTTP_INPUT_BUFFER_BYTES);
    return h1;
  }

  /** HTTP keep-alive connections get the HTTP idle timeout once they are known to be HTTP. */
  private static final class IdleTimedHttpConnectionFactory extends HttpConnectionFactory {
    private final Duration idleTimeout;

    IdleTimedHttpConnectionFactory(HttpConfiguration httpConfig, Duration idleTimeout) {
      super(httpConfig);
      this.idleTimeout = idleTimeout;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
      endPoint.setIdleTimeout(idleTimeout.toMillis());
      return super.newConnection(connector, endPoint);
    }
  }

  /** The TLS handshake, and the first request after it, get the handshake timeout. */
  private final class HandshakeTimedSslConnectionFactory extends SslConnectionFactory {
    HandshakeTimedSslConnectionFactory(SslContextFactory.Server factory, String next) {
      super(factory, next);
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
      endPoint.setIdleTimeout(config.tlsHandshakeTimeout().toMillis());
      return super.newConnection(connector, endPoint);
    }
  }

  /** Failed handshakes (TLS 1.0 clients, no common cipher, garbage records): a line and a count. */
  private final class HandshakeFailureLog implements SslHandshakeListener {
    @Override
    public void handshakeFailed(Event event, Throwable failure) {
      refusals.count(Refusal.TLS_HANDSHAKE_FAILED);
      LOG.info(
          "TLS handshake failed from {}:{}: {}",
          event.getSSLEngine().getPeerHost(),
          event.getSSLEngine().getPeerPort(),
          failure.getMessage());
    }
  }
}
