package org.rtmpgw.gateway.tls;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;

/**
 * A minimal Jetty HTTPS server on 127.0.0.1 and an ephemeral port, answering "ok" to everything.
 */
final class TlsTestServer implements AutoCloseable {
  private final Server server = new Server();
  private final ServerConnector connector;

  private TlsTestServer(GatewayTls tls) {
    HttpConfiguration http = new HttpConfiguration();
    // these tests look at certificates, not at whether the Host header agrees with the SNI
    http.addCustomizer(new SecureRequestCustomizer(false));
    connector =
        new ServerConnector(
            server,
            new SslConnectionFactory(tls.sslContextFactory(), "http/1.1"),
            new HttpConnectionFactory(http));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 2);
            Content.Sink.write(response, true, "ok", callback);
            return true;
          }
        });
  }

  static TlsTestServer start(GatewayTls tls) throws Exception {
    TlsTestServer s = new TlsTestServer(tls);
    s.server.start();
    return s;
  }

  int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
