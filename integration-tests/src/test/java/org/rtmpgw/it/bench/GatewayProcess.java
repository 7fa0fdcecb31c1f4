package org.rtmpgw.it.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.rtmpgw.it.harness.FreePorts;

/**
 * The shaded gateway jar run as its own process, so its CPU time can be read from /proc and its
 * session close lines from its log.
 */
final class GatewayProcess implements AutoCloseable {
  private static final Pattern CLOSED =
      Pattern.compile("session closed id=(\\S+) .* duration=(\\d+)ms bytes_up=(\\d+) bytes_down=(\\d+) undelivered=\\d+ requests=(\\d+) reason=(\\S+)");
  private static final long CLOCK_TICKS_PER_SECOND = 100;

  private final Process process;
  private final int port;
  private final Path log;

  record ClosedSession(String id, long durationMillis, long bytesUp, long bytesDown, long requests, String reason) {}

  private GatewayProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  static GatewayProcess start(Path jar, Path logDir, int upstreamPort, String... extraArgs)
      throws IOException, InterruptedException {
    int port = FreePorts.loopback();
    Files.createDirectories(logDir);
    Path log = logDir.resolve("gateway-" + port + ".log");
    List<String> command = new ArrayList<>(List.of("java", "-jar", jar.toString(),
        "--upstream", "127.0.0.1:" + upstreamPort, "--listen", "127.0.0.1:" + port,
        "--listen-tls", ""));
    command.addAll(List.of(extraArgs));
    Process p = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    GatewayProcess g = new GatewayProcess(p, port, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return g;
      } catch (IOException e) {
        if (!p.isAlive()) {
          break;
        }
        Thread.sleep(100);
      }
    }
    g.close();
    throw new IOException("gateway did not start; log:\n" + Files.readString(log));
  }

  int port() {
    return port;
  }

  String rtmptUrl(String app, String stream) {
    return "rtmpt://127.0.0.1:" + port + "/" + app + "/" + stream;
  }

  /** User + system CPU seconds used so far. */
  double cpuSeconds() throws IOException {
    return cpuTicks(Path.of("/proc/" + process.pid() + "/stat")) / (double) CLOCK_TICKS_PER_SECOND;
  }

  /** utime + stime of a {@code /proc/.../stat} file, in clock ticks. */
  private static long cpuTicks(Path stat) throws IOException {
    String text = Files.readString(stat);
    String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
    // fields after the command: state is f[0]; utime is field 14 overall, i.e. f[11]
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /**
   * CPU seconds of the gateway's own threads, leaving out the JIT compiler threads: a fresh JVM
   * keeps compiling for tens of seconds at a low request rate, which says nothing about the cost
   * of a session.
   */
  double cpuSecondsWithoutJit() throws IOException {
    long ticks = 0;
    try (var tasks = Files.list(Path.of("/proc/" + process.pid() + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String comm = Files.readString(task.resolve("comm")).trim();
          if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
            continue;
          }
          ticks += cpuTicks(task.resolve("stat"));
        } catch (IOException e) {
          // the thread ended between listing and reading
        }
      }
    }
    return ticks / (double) CLOCK_TICKS_PER_SECOND;
  }

  List<ClosedSession> closedSessions() throws IOException {
    List<ClosedSession> out = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      Matcher m = CLOSED.matcher(line);
      if (m.find()) {
        out.add(new ClosedSession(m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
            Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), m.group(6)));
      }
    }
    return out;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
