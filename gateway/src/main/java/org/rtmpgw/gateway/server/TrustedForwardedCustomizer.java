package org.rtmpgw.gateway.server;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.Request;

/**
 * Applies {@code Forwarded} / {@code X-Forwarded-For} (and the other X-Forwarded headers) only to
 * requests whose connection comes from a trusted load balancer; from anyone else the headers are
 * ignored, since any client could send them.
 */
final class TrustedForwardedCustomizer extends ForwardedRequestCustomizer {
  private final TrustedProxies trusted;

  TrustedForwardedCustomizer(TrustedProxies trusted) {
    this.trusted = trusted;
  }

  @Override
  public Request customize(Request request, HttpFields.Mutable responseHeaders) {
    if (trusted.trusts(request.getConnectionMetaData().getRemoteSocketAddress())) {
      return super.customize(request, responseHeaders);
    }
    return request;
  }
}
