package org.rtmpgw.it.soak;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.rtmpgw.it.harness.PeerProcess;

/**
 * Reads what a running gateway process holds: live sessions and counters from its {@code
 * /metrics}, open file descriptors and threads from {@code /proc/<pid>}, thread names and states
 * and the heap after a forced full GC through {@code jcmd}.
 *
 * <p>Every management request is a fresh {@code Connection: close} connection read to its end, so
 * the probe never leaves a keep-alive connection (an open descriptor) in the gateway it measures.
 */
public final class GatewayProbe {

  private static final int HTTP_TIMEOUT_MILLIS = 5_000;
  private static final Duration JCMD_TIMEOUT = Duration.ofSeconds(30);

  /** Heap after GC is taken this many times; the smallest reading counts (see heapAfterGc). */
  private static final int HEAP_READINGS = 3;

  private final long pid;
  private final int managementPort;
  private final Path jcmd;
  private final Path logDir;

  /** What the gateway holds at one moment. */
  public record Snapshot(
      String label,
      int sessions,
      int fds,
      Map<String, Integer> fdKinds,
      int threads,
      ThreadCensus census,
      long heapAfterGcBytes,
      long directBufferBytes) {}

  public GatewayProbe(long pid, int managementPort, Path jcmd, Path logDir) {
    this.pid = pid;
    this.managementPort = managementPort;
    this.jcmd = jcmd;
    this.logDir = logDir;
  }

  /** The jcmd of the JDK running the tests (same version as the gateway's java). */
  public static Path jcmdOfThisJdk() {
    return Path.of(System.getProperty("java.home"), "bin", "jcmd");
  }

  Metrics metrics() throws IOException {
    return Metrics.parse(get("/metrics"));
  }

  /** Live sessions of every transport ({@code rtmpgw_sessions_active}). */
  public int sessionsActive() throws IOException {
    return (int) metrics().sum("rtmpgw_sessions_active");
  }

  /** Entries of {@code /proc/<pid>/fd}. */
  public int openFds() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) fds.count();
    }
  }

  /**
   * Open descriptors by kind: {@code socket}, {@code pipe}, {@code anon_inode:[eventpoll]}, or the
   * file path (the jar, the JDK's modules image, logs, /dev/random…).
   */
  public Map<String, Integer> fdKinds() throws IOException {
    Map<String, Integer> kinds = new TreeMap<>();
    List<Path> fds;
    try (Stream<Path> list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      fds = list.toList();
    }
    for (Path fd : fds) {
      String target;
      try {
        target = Files.readSymbolicLink(fd).toString();
      } catch (IOException e) {
        continue; // closed while listing
      }
      String kind =
          target.startsWith("socket:") ? "socket" : target.startsWith("pipe:") ? "pipe" : target;
      kinds.merge(kind, 1, Integer::sum);
    }
    return kinds;
  }

  /** {@code Threads:} of {@code /proc/<pid>/status}: every native thread of the process. */
  public int threads() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("Threads:")) {
        return Integer.parseInt(line.substring("Threads:".length()).trim());
      }
    }
    throw new IOException("no Threads: line for pid " + pid);
  }

  public ThreadCensus threadCensus() throws IOException, InterruptedException {
    return ThreadCensus.parse(jcmd("Thread.print"));
  }

  /**
   * Heap in use right after a full GC ({@code jcmd GC.run}, i.e. {@code System.gc()}), read from
   * {@code jvm_memory_used_bytes{area="heap"}}. The reading includes the allocation buffers
   * threads took between the GC and the scrape (a few hundred KiB), so the smallest of {@value
   * #HEAP_READINGS} readings is returned.
   */
  public long heapAfterGc() throws IOException, InterruptedException {
    long min = Long.MAX_VALUE;
    for (int i = 0; i < HEAP_READINGS; i++) {
      jcmd("GC.run");
      long used = (long) metrics().sum("jvm_memory_used_bytes", "area", "heap");
      min = Math.min(min, used);
    }
    return min;
  }

  /** A class histogram after GC (top lines), as evidence when the heap did not come back. */
  public String classHistogram(int lines) throws IOException, InterruptedException {
    return jcmd("GC.class_histogram").lines().limit(lines).reduce("", (a, b) -> a + b + "\n");
  }

  /**
   * Everything at once. Descriptors are read {@value #FD_READINGS} times {@value
   * #FD_READING_GAP_MILLIS} ms apart and the smallest reading counts: the probe's own management
   * connection (and a jcmd attach connection) may still be closing in the gateway for a moment
   * after the probe read its answer.
   */
  public Snapshot snapshot(String label) throws IOException, InterruptedException {
    long heap = heapAfterGc();
    Metrics m = metrics();
    int fds = Integer.MAX_VALUE;
    Map<String, Integer> kinds = Map.of();
    for (int i = 0; i < FD_READINGS; i++) {
      Thread.sleep(FD_READING_GAP_MILLIS);
      Map<String, Integer> k = fdKinds();
      int n = k.values().stream().mapToInt(Integer::intValue).sum();
      if (n < fds) {
        fds = n;
        kinds = k;
      }
    }
    return new Snapshot(
        label,
        (int) m.sum("rtmpgw_sessions_active"),
        fds,
        kinds,
        threads(),
        threadCensus(),
        heap,
        (long) m.sum("jvm_buffer_pool_used_bytes", "pool", "direct"));
  }

  private static final int FD_READINGS = 5;
  private static final long FD_READING_GAP_MILLIS = 100;

  private String jcmd(String command) throws IOException, InterruptedException {
    PeerProcess p =
        PeerProcess.run(
            "jcmd-" + command.replace('.', '-'),
            logDir,
            List.of(jcmd.toString(), Long.toString(pid), command),
            JCMD_TIMEOUT);
    if (p.exitCode().orElse(-1) != 0) {
      throw new IOException("jcmd " + command + " failed\n" + p.describe());
    }
    String out = Files.readString(p.stdoutLog(), StandardCharsets.UTF_8);
    Files.deleteIfExists(p.stdoutLog()); // thread dumps are large; keep only failures
    Files.deleteIfExists(p.stderrLog());
    return out;
  }

  /** GET on the management listener over a fresh connection that the gateway closes. */
  private String get(String path) throws IOException {
    try (Socket socket = Tls.connect(managementPort, HTTP_TIMEOUT_MILLIS)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + managementPort
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream(64 * 1024);
      in.transferTo(all); // to EOF: the gateway closed its side, so no descriptor stays behind
      String response = all.toString(StandardCharsets.UTF_8);
      int end = response.indexOf("\r\n\r\n");
      if (!response.startsWith("HTTP/1.1 200") || end < 0) {
        throw new IOException(
            "GET " + path + ": " + response.substring(0, Math.min(200, response.length())));
      }
      return response.substring(end + 4);
    }
  }
}
