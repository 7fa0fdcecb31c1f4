package org.rtmpgw.gateway.session;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Formats a client's address the same way in every log line: {@code host:port}. */
public final class ClientAddress {
  private ClientAddress() {}

  /** The host part of a {@link #describe}d address: what per-client limits count by. */
  public static String host(String described) {
    int colon = described.lastIndexOf(':');
    return colon > 0 ? described.substring(0, colon) : described;
  }

  public static String describe(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }
}
