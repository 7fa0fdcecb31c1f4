package org.rtmpgw.it.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.rtmpgw.it.harness.FreePorts;

/**
 * The shaded gateway jar as its own JVM (heap as in the systemd unit, open-file limit raised), with
 * its management listener, and what it reports: {@code /metrics}, heap after a forced GC, the
 * class histogram.
 */
final class GatewayUnderLoad implements AutoCloseable {
  /** G1, Parallel and Serial print "... heap total NK, used NK"; ZGC "ZHeap used NM". */
  private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K");
  private static final Pattern ZHEAP_USED = Pattern.compile("ZHeap\\s+used (\\d+)([KMG])");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final ChildJvm jvm;
  private int fullGcsRequested;
  private final int port;
  private final int managementPort;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private GatewayUnderLoad(ChildJvm jvm, int port, int managementPort) {
    this.jvm = jvm;
    this.port = port;
    this.managementPort = managementPort;
  }

  static GatewayUnderLoad start(
      Path jar, Path dir, String name, long nofile, List<String> jvmFlags, int upstreamPort,
      List<String> gatewayArgs) throws IOException, InterruptedException {
    int port = FreePorts.loopback();
    int management;
    do {
      management = FreePorts.loopback();
    } while (management == port);
    List<String> args = new ArrayList<>(jvmFlags);
    // gc+cpu: User/Sys/Real of each pause, which tells a slow collector from a starved one
    args.add("-Xlog:gc,gc+cpu:file=" + dir.resolve("gc-" + name + ".log") + ":uptime");
    args.addAll(List.of("-jar", jar.toString(),
        "--upstream", "127.0.0.1:" + upstreamPort,
        "--listen", "127.0.0.1:" + port,
        "--listen-tls", "",
        "--management-listen", "127.0.0.1:" + management,
        "--upstream-probe-interval-ms", "0"));
    args.addAll(gatewayArgs);
    ChildJvm jvm = ChildJvm.start("gateway", nofile, dir.resolve("gateway-" + name + ".log"), args);
    GatewayUnderLoad g = new GatewayUnderLoad(jvm, port, management);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline && jvm.isAlive()) {
      if (accepts(port)) {
        try {
          g.metrics();
          return g;
        } catch (IOException e) {
          // management not up yet
        }
      }
      Thread.sleep(100);
    }
    String tail = jvm.logTail(40);
    g.close();
    throw new IOException("gateway did not start within " + START_TIMEOUT + "; log:\n" + tail);
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Full GCs this bench asked for through jcmd (each is a "System.gc()" line in the GC log). */
  int fullGcsRequested() {
    return fullGcsRequested;
  }

  ChildJvm jvm() {
    return jvm;
  }

  InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", port);
  }

  /** The Prometheus text of {@code /metrics}, as series (name with labels) to value. */
  Map<String, Double> metrics() throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/metrics"))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("GET /metrics: HTTP " + response.statusCode());
    }
    Map<String, Double> out = new HashMap<>();
    for (String line : response.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      try {
        out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      } catch (NumberFormatException | IndexOutOfBoundsException e) {
        // not a sample line
      }
    }
    return out;
  }

  /** {@code rtmpgw_sessions_active{transport="rtmpt"}}. */
  long rtmptSessions() throws IOException, InterruptedException {
    return Math.round(metrics().getOrDefault("rtmpgw_sessions_active{transport=\"rtmpt\"}", -1.0));
  }

  /** Forces a full GC ({@code jcmd GC.run}) and returns the heap used after it, in bytes. */
  long heapAfterGc() throws IOException, InterruptedException {
    fullGcsRequested++;
    jvm.jcmd("GC.run");
    String info = jvm.jcmd("GC.heap_info");
    Matcher m = HEAP_USED.matcher(info);
    if (m.find()) {
      return Long.parseLong(m.group(1)) * 1024;
    }
    Matcher z = ZHEAP_USED.matcher(info);
    if (z.find()) {
      long n = Long.parseLong(z.group(1));
      return switch (z.group(2)) {
        case "G" -> n << 30;
        case "M" -> n << 20;
        default -> n << 10;
      };
    }
    // another collector: the JVM's own figure, read right after the full GC
    Double used = metrics().get("jvm_memory_used_bytes{area=\"heap\"}");
    if (used == null) {
      throw new IOException("no heap figure in GC.heap_info nor /metrics:\n" + info);
    }
    return used.longValue();
  }

  /** {@code jcmd GC.class_histogram} (itself a full GC first). */
  String classHistogram() throws IOException, InterruptedException {
    fullGcsRequested++;
    return jvm.jcmd("GC.class_histogram");
  }

  /** Waits (bounded) until the gateway reports {@code expected} RTMPT sessions; the last count. */
  long awaitSessions(long expected, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long last = -1;
    while (true) {
      try {
        last = rtmptSessions();
      } catch (IOException e) {
        last = -1;
      }
      if (last == expected || System.nanoTime() - deadline > 0 || !jvm.isAlive()) {
        return last;
      }
      Thread.sleep(200);
    }
  }

  @Override
  public void close() throws InterruptedException {
    // SIGTERM starts a graceful drain of up to drain-timeout-ms (30 s); then SIGKILL
    if (!jvm.stop(40)) {
      throw new IllegalStateException("gateway " + jvm + " did not exit");
    }
  }
}
