package org.rtmpgw.gateway.config;

import java.net.InetSocketAddress;

/** A host and port as written by an operator: {@code host:port}, {@code [v6addr]:port}. */
public record HostPort(String host, int port) {

  public HostPort {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("host is empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 0-65535");
    }
  }

  /** Parses {@code host:port} or {@code [ipv6]:port}. */
  public static HostPort parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("expected host:port, got nothing");
    }
    String s = text.trim();
    String host;
    String port;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        throw new IllegalArgumentException("expected [ipv6]:port, got '" + text + "'");
      }
      host = s.substring(1, close);
      port = s.substring(close + 2);
    } else {
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || s.indexOf(':') != colon) {
        throw new IllegalArgumentException("expected host:port, got '" + text + "'");
      }
      host = s.substring(0, colon);
      port = s.substring(colon + 1);
    }
    if (!port.matches("[0-9]{1,5}")) {
      throw new IllegalArgumentException("port '" + port + "' is not a number in 0-65535");
    }
    return new HostPort(host, Integer.parseInt(port));
  }

  public InetSocketAddress toUnresolvedAddress() {
    return InetSocketAddress.createUnresolved(host, port);
  }

  public InetSocketAddress toAddress() {
    return new InetSocketAddress(host, port);
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
