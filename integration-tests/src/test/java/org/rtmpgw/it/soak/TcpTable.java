package org.rtmpgw.it.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * TCP connections of this host from {@code /proc/net/tcp} (IPv4; everything here binds
 * 127.0.0.1). Used to see, from the upstream's side, that the gateway let go of every upstream
 * connection: nginx-rtmp's {@code /stat} lists only connections that got as far as publish or
 * play, not those still in the handshake.
 */
public final class TcpTable {

  private static final String ESTABLISHED = "01";

  private TcpTable() {}

  /** Established connections whose local port is {@code port} (the server side of each). */
  public static int establishedOnLocalPort(int port) throws IOException {
    List<String> lines = Files.readAllLines(Path.of("/proc/net/tcp"));
    int count = 0;
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 4) {
        continue;
      }
      String local = f[1];
      int colon = local.indexOf(':');
      if (colon < 0) {
        continue;
      }
      int localPort = Integer.parseInt(local.substring(colon + 1), 16);
      if (localPort == port && ESTABLISHED.equals(f[3])) {
        count++;
      }
    }
    return count;
  }
}
