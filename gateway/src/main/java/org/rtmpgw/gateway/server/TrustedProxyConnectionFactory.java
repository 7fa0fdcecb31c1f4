package org.rtmpgw.gateway.server;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ProxyConnectionFactory;

/**
 * First factory of a listener when trusted proxies are configured: a connection from a trusted
 * load balancer may begin with a PROXY protocol header (v1 or v2; optional), which then gives the
 * real client address to everything after it — the session, its limits, logs and the PROXY
 * header the gateway may send upstream. From anyone else no header is looked for: a forged one
 * reaches the sniffer as garbage and is refused.
 */
final class TrustedProxyConnectionFactory extends AbstractConnectionFactory {
  private final TrustedProxies trusted;
  private final ProxyConnectionFactory proxy;
  private final String next;

  TrustedProxyConnectionFactory(TrustedProxies trusted, String next) {
    this(trusted, new ProxyConnectionFactory(next), next);
  }

  /**
   * Takes the PROXY factory's protocol name: when a trusted peer sends no header, that factory
   * falls through to the factory listed after the one carrying its name — this one.
   */
  private TrustedProxyConnectionFactory(
      TrustedProxies trusted, ProxyConnectionFactory proxy, String next) {
    super(proxy.getProtocol());
    this.trusted = trusted;
    this.proxy = proxy;
    this.next = next;
    addBean(proxy);
  }

  @Override
  public Connection newConnection(Connector connector, EndPoint endPoint) {
    if (trusted.trusts(endPoint.getRemoteSocketAddress())) {
      return proxy.newConnection(connector, endPoint);
    }
    return connector.getConnectionFactory(next).newConnection(connector, endPoint);
  }
}
