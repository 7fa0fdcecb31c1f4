package org.rtmpgw.gateway.session;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Formats a client's address the same way in every log line: {@code host:port}. */
public final class ClientAddress {
  private ClientAddress() {}

  public static String describe(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress() + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }
}
