package org.rtmpgw.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** What a deployed gateway could leave behind: its threads and its upstream sockets. */
public final class WarLeaks {

  /**
   * Thread name prefixes of the gateway: its own ({@code rtmpgw-session-timer}, {@code
   * rtmpgw-upstream-*}) and Jetty's defaults for an unnamed {@code ClientConnector}, which the
   * gateway must not be using.
   */
  private static final List<String> GATEWAY_PREFIXES =
      List.of("rtmpgw-", "client-pool@", "client-scheduler@");

  private WarLeaks() {}

  /** Live threads named like the gateway's, or whose context class loader is {@code webapp}. */
  public static List<String> gatewayThreads(ClassLoader webapp) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(
            t ->
                GATEWAY_PREFIXES.stream().anyMatch(p -> t.getName().startsWith(p))
                    || (webapp != null && t.getContextClassLoader() == webapp))
        .map(t -> t.getName() + (t.getContextClassLoader() == webapp ? " (webapp loader)" : ""))
        .sorted()
        .toList();
  }

  /**
   * Container request threads whose stack is inside gateway code now (a container thread held by
   * the gateway), as "thread: top gateway frame".
   */
  public static List<String> containerThreadsInGatewayCode(String namePrefix) {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> e.getKey().getName().startsWith(namePrefix))
        .filter(
            e ->
                java.util.Arrays.stream(e.getValue())
                    .anyMatch(f -> f.getClassName().startsWith("org.rtmpgw.gateway.")))
        .map(
            e ->
                e.getKey().getName()
                    + ": "
                    + java.util.Arrays.stream(e.getValue())
                        .filter(f -> f.getClassName().startsWith("org.rtmpgw.gateway."))
                        .findFirst()
                        .map(StackTraceElement::toString)
                        .orElse("?"))
        .toList();
  }

  /**
   * TCP connections of this machine in state ESTABLISHED whose remote end is 127.0.0.1:{@code
   * port} ({@code /proc/net/tcp}, and {@code /proc/net/tcp6} for IPv4-mapped addresses, which
   * Java's dual-stack sockets use): with the upstream on that port and every client going through
   * the gateway, these are the gateway's upstream sockets.
   */
  public static int establishedTo(int port) throws IOException {
    String remotePort = ":" + String.format(Locale.ROOT, "%04X", port);
    int n = 0;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path file = Path.of(table);
      if (!Files.exists(file)) {
        continue;
      }
      for (String line : Files.readAllLines(file)) {
        String[] f = line.trim().split("\\s+");
        // f[2] is the remote address: 0100007F:PORT, or 0000000000000000FFFF00000100007F:PORT
        if (f.length > 3
            && f[2].endsWith("0100007F" + remotePort)
            && f[3].equals("01")) {
          n++;
        }
      }
    }
    return n;
  }
}
