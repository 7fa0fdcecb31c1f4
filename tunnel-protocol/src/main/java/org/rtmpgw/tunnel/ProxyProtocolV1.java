package org.rtmpgw.tunnel;

import java.nio.charset.StandardCharsets;

/**
 * The PROXY protocol v1 header the gateway sends first on an upstream connection, so that an RTMP
 * server that accepts it (nginx-rtmp {@code listen ... proxy_protocol}) sees the real client:
 * {@code PROXY TCP4 <client ip> <gateway ip> <client port> <gateway port>\r\n}.
 */
public final class ProxyProtocolV1 {
  /** The longest v1 header the specification allows, CRLF included. */
  public static final int MAX_LENGTH = 107;

  private ProxyProtocolV1() {}

  /**
   * The header for a client at {@code sourceIp:sourcePort} that reached the gateway at {@code
   * destinationIp:destinationPort}. Both addresses must be of the same family (textual IPv4 or
   * IPv6 literals); mixed families give {@code PROXY UNKNOWN}, which a server accepts and ignores.
   */
  public static byte[] header(
      String sourceIp, int sourcePort, String destinationIp, int destinationPort) {
    checkPort(sourcePort);
    checkPort(destinationPort);
    String source = unbracket(sourceIp);
    String destination = unbracket(destinationIp);
    boolean v6 = isV6(source);
    String line;
    if (v6 != isV6(destination) || !isIp(source) || !isIp(destination)) {
      line = "PROXY UNKNOWN\r\n";
    } else {
      line =
          "PROXY "
              + (v6 ? "TCP6 " : "TCP4 ")
              + source
              + " "
              + destination
              + " "
              + sourcePort
              + " "
              + destinationPort
              + "\r\n";
    }
    return line.getBytes(StandardCharsets.US_ASCII);
  }

  private static void checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port);
    }
  }

  private static String unbracket(String ip) {
    if (ip.startsWith("[") && ip.endsWith("]")) {
      return ip.substring(1, ip.length() - 1);
    }
    return ip;
  }

  private static boolean isV6(String ip) {
    return ip.indexOf(':') >= 0;
  }

  /** Digits, dots, hex and colons only: never a host name, never a space or CRLF. */
  private static boolean isIp(String ip) {
    return !ip.isEmpty() && ip.length() <= 39 && ip.matches("[0-9A-Fa-f:.]+");
  }
}
