package org.rtmpgw.gateway.server;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import org.eclipse.jetty.util.InetAddressSet;

/**
 * The load balancers whose word about the real client is believed (PROXY protocol header,
 * X-Forwarded-For, Forwarded). Anyone else could forge those, so they are ignored for everyone
 * not listed.
 */
final class TrustedProxies {
  private final InetAddressSet addresses = new InetAddressSet();
  private final boolean any;

  TrustedProxies(List<String> patterns) {
    patterns.forEach(addresses::add);
    this.any = !patterns.isEmpty();
  }

  boolean isEmpty() {
    return !any;
  }

  boolean trusts(SocketAddress peer) {
    return any
        && peer instanceof InetSocketAddress inet
        && inet.getAddress() != null
        && addresses.test(inet.getAddress());
  }
}
