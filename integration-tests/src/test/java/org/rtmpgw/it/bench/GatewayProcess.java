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

  private final Process process;
  private final int port;
  private final int tlsPort;
  private final Path log;

  record ClosedSession(String id, long durationMillis, long bytesUp, long bytesDown, long requests, String reason) {}

  /**
   * How a gateway is started beyond its plain listener: JVM flags and a TLS listener. Without
   * {@link #tlsGenerated} or {@link #tlsPem} the gateway has no TLS listener.
   */
  static final class Options {
    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> gatewayArgs = new ArrayList<>();
    private final List<String> tlsArgs = new ArrayList<>();

    /** Plain listener only, with these extra gateway flags. */
    static Options of(String... gatewayArgs) {
      Options o = new Options();
      o.gatewayArgs.addAll(List.of(gatewayArgs));
      return o;
    }

    /** Flags for the gateway's JVM, before {@code -jar}. */
    Options jvm(String... flags) {
      jvmArgs.addAll(List.of(flags));
      return this;
    }

    /** A TLS listener on a free loopback port with a self-signed certificate generated into {@code dir}. */
    Options tlsGenerated(Path dir) {
      tlsArgs.clear();
      tlsArgs.addAll(List.of("--tls-generated-dir", dir.toString()));
      return this;
    }

    /** A TLS listener on a free loopback port serving this PEM certificate chain and key. */
    Options tlsPem(Path certFile, Path keyFile) {
      tlsArgs.clear();
      tlsArgs.addAll(List.of("--tls-cert-files", certFile.toString(), "--tls-key-files", keyFile.toString()));
      return this;
    }

    boolean tls() {
      return !tlsArgs.isEmpty();
    }
  }

  private GatewayProcess(Process process, int port, int tlsPort, Path log) {
    this.process = process;
    this.port = port;
    this.tlsPort = tlsPort;
    this.log = log;
  }

  static GatewayProcess start(Path jar, Path logDir, int upstreamPort, String... extraArgs)
      throws IOException, InterruptedException {
    return start(jar, logDir, upstreamPort, Options.of(extraArgs));
  }

  static GatewayProcess start(Path jar, Path logDir, int upstreamPort, Options options)
      throws IOException, InterruptedException {
    int port = FreePorts.loopback();
    int tlsPort = -1;
    if (options.tls()) {
      do {
        tlsPort = FreePorts.loopback();
      } while (tlsPort == port);
    }
    Files.createDirectories(logDir);
    Path log = logDir.resolve("gateway-" + port + ".log");
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(options.jvmArgs);
    command.addAll(List.of("-jar", jar.toString(),
        "--upstream", "127.0.0.1:" + upstreamPort, "--listen", "127.0.0.1:" + port,
        "--listen-tls", options.tls() ? "127.0.0.1:" + tlsPort : "",
        "--management-listen", "", "--upstream-probe-interval-ms", "0"));
    command.addAll(options.tlsArgs);
    command.addAll(options.gatewayArgs);
    Process p = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    GatewayProcess g = new GatewayProcess(p, port, tlsPort, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (accepts(port) && (tlsPort < 0 || accepts(tlsPort))) {
        return g;
      }
      Thread.sleep(100);
    }
    g.close();
    throw new IOException("gateway did not start; log:\n" + Files.readString(log));
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  int port() {
    return port;
  }

  /** The TLS listener's port; only when started with a TLS option. */
  int tlsPort() {
    if (tlsPort < 0) {
      throw new IllegalStateException("gateway started without a TLS listener");
    }
    return tlsPort;
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  String rtmptUrl(String app, String stream) {
    return "rtmpt://127.0.0.1:" + port + "/" + app + "/" + stream;
  }

  /** Raw RTMP to the plain listener (which serves RTMPT and RTMP on one port). */
  String rtmpUrl(String app, String stream) {
    return "rtmp://127.0.0.1:" + port + "/" + app + "/" + stream;
  }

  String rtmpsUrl(String app, String stream) {
    return "rtmps://127.0.0.1:" + tlsPort() + "/" + app + "/" + stream;
  }

  /** User + system CPU seconds used so far. */
  double cpuSeconds() throws IOException {
    return ProcCpu.seconds(process.pid());
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
          ticks += ProcCpu.ticks(task.resolve("stat"));
        } catch (IOException e) {
          // the thread ended between listing and reading
        }
      }
    }
    return ticks / (double) ProcCpu.CLOCK_TICKS_PER_SECOND;
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
