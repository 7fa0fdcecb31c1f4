package org.rtmpgw.it.harness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private nginx load balancer started from the repository's sample {@code config/nginx-lb.conf},
 * so the integration test exercises the sample itself.
 *
 * <p>{@link #configFromSample} replaces only what ties the sample to a real host: its main-context
 * lines ({@code user}, {@code worker_processes}, {@code pid}, the Debian module include, {@code
 * error_log}: replaced by a foreground nginx with one worker, a pid/lock file and logs under its
 * own prefix), the log paths, the node addresses ({@code 10.0.0.x:80|443|1935} become the test
 * nodes' loopback ports) and the {@code listen} ports (free 127.0.0.1 ports); it adds the temp
 * paths under the prefix. The {@code stream {}} block (RTMPS/RTMP at L4) is kept only when the
 * stream module is installed ({@code libnginx-mod-stream}); without it the block is dropped and
 * {@link #streamEnabled()} is false. It fails if any replaced part is not found.
 *
 * <p>nginx runs in the foreground as a child of the test JVM and is stopped by its process handle.
 *
 * <p>Thread-safety: start and stop from one thread; the query methods may be called from any thread
 * once started.
 */
public final class NginxLb implements AutoCloseable {
  private static final String SAMPLE = "config/nginx-lb.conf";


  public static final Path NGINX = Path.of("/usr/sbin/nginx");

  /** Installed by Debian's {@code libnginx-mod-stream}. */
  public static final Path STREAM_MODULE = Path.of("/usr/lib/nginx/modules/ngx_stream_module.so");

  /** One gateway node as the sample names it ({@code n1} = 10.0.0.11, {@code n2} = 10.0.0.12). */
  public record Node(String address, int plainPort, int tlsPort) {}

  private static final Pattern MAIN_LINE =
      Pattern.compile(
          "(?m)^(user|worker_processes|pid|include|error_log|worker_rlimit_nofile)\\s[^\\n]*\\n");
  private static final Pattern NODE_ADDRESS = Pattern.compile("(10\\.0\\.0\\.\\d+):(\\d+)");

  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final int START_ATTEMPTS = 3;

  private final Path prefix;
  private final Path sample;
  private final Map<String, Node> nodes;
  private final boolean stream;

  private volatile int httpPort;
  private volatile int tlsPort;
  private volatile int rtmpPort;
  private volatile PeerProcess process;

  /**
   * @param nodes by the sample's node address ({@code 10.0.0.11}, {@code 10.0.0.12})
   */
  public NginxLb(Path prefix, Path sample, Map<String, Node> nodes) {
    this.prefix = prefix.toAbsolutePath();
    this.sample = sample.toAbsolutePath();
    this.nodes = new LinkedHashMap<>(nodes);
    this.stream = isStreamModuleAvailable();
  }

  public static boolean isAvailable() {
    return Files.isExecutable(NGINX);
  }

  public static boolean isStreamModuleAvailable() {
    return Files.isRegularFile(STREAM_MODULE);
  }

  /** Writes the configuration (checked with {@code nginx -t}), starts nginx, waits for it. */
  public NginxLb start() throws IOException, InterruptedException {
    if (process != null) {
      throw new IllegalStateException("already started: " + this);
    }
    for (String d : List.of("logs", "temp")) {
      Files.createDirectories(prefix.resolve(d));
    }
    String template = Files.readString(sample, StandardCharsets.UTF_8);
    String lastFailure = "";
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      httpPort = FreePorts.loopback();
      tlsPort = FreePorts.loopback();
      rtmpPort = FreePorts.loopback();
      Files.writeString(
          configFile(),
          configFromSample(template, prefix, nodes, stream, httpPort, tlsPort, rtmpPort),
          StandardCharsets.UTF_8);
      List<String> base =
          List.of(
              NGINX.toString(),
              "-p",
              prefix + "/",
              "-c",
              configFile().toString(),
              "-e",
              errorLog().toString());
      List<String> test = new ArrayList<>(base);
      test.add("-t");
      PeerProcess check =
          PeerProcess.run("nginx-lb-check", prefix.resolve("logs"), test, Duration.ofSeconds(20));
      if (check.exitCode().orElse(-1) != 0) {
        throw new IllegalStateException("nginx -t refused the configuration\n" + check.describe());
      }
      PeerProcess nginx = PeerProcess.start("nginx-lb", prefix.resolve("logs"), base);
      process = nginx;
      boolean up =
          Poll.until(
              START_TIMEOUT,
              POLL,
              () ->
                  !nginx.isAlive()
                      || (accepts(httpPort)
                          && (!stream || (accepts(tlsPort) && accepts(rtmpPort)))));
      if (up && nginx.isAlive()) {
        return this;
      }
      lastFailure = describe();
      nginx.stop(STOP_GRACE);
      process = null;
      if (!lastFailure.contains("Address already in use")) {
        break;
      }
    }
    throw new IllegalStateException("nginx load balancer did not start\n" + lastFailure);
  }

  /**
   * The sample with its host-specific parts replaced (see the class comment).
   *
   * @throws IllegalStateException if the sample no longer has what is replaced here
   */
  public static String configFromSample(
      String sample,
      Path prefix,
      Map<String, Node> nodes,
      boolean withStream,
      int http,
      int tls,
      int rtmp)
      throws IOException {
    Matcher main = MAIN_LINE.matcher(sample);
    int removed = 0;
    StringBuilder sb = new StringBuilder();
    while (main.find()) {
      main.appendReplacement(sb, "");
      removed++;
    }
    main.appendTail(sb);
    SampleConfigEdit.require(SAMPLE, removed >= 5, "main-context user/worker_processes/pid/include/error_log lines");
    String config = sb.toString();
    String mainContext =
        String.join(
            "\n",
            "# written by " + NginxLb.class.getName() + " from config/nginx-lb.conf",
            "daemon off;",
            "master_process on;",
            "worker_processes 1;",
            isRoot() ? "user root;" : "# not root: no user directive",
            "pid " + prefix.resolve("nginx.pid") + ";",
            "lock_file " + prefix.resolve("nginx.lock") + ";",
            "error_log " + prefix.resolve("logs/error.log") + " info;",
            withStream ? "load_module " + STREAM_MODULE + ";" : "# no stream module installed",
            "");
    config = SampleConfigEdit.replaceOnce(SAMPLE, config, "events {", mainContext + "events {");
    Path temp = prefix.resolve("temp");
    StringBuilder temps = new StringBuilder("http {\n");
    for (String kind : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
      temps
          .append("    ")
          .append(kind)
          .append("_temp_path ")
          .append(temp.resolve(kind))
          .append(";\n");
    }
    config = SampleConfigEdit.replaceOnce(SAMPLE, config, "http {\n", temps.toString());
    SampleConfigEdit.require(SAMPLE, config.contains("/var/log/nginx/"), "log paths under /var/log/nginx/");
    config = config.replace("/var/log/nginx/", prefix.resolve("logs") + "/");
    if (!withStream) {
      int at = config.indexOf("\nstream {");
      SampleConfigEdit.require(SAMPLE, at >= 0, "a stream {} block");
      config =
          config.substring(0, at + 1)
              + "# stream {} dropped: "
              + STREAM_MODULE
              + " is missing\n"
              + config.substring(closingBrace(config, config.indexOf('{', at)) + 1);
    }
    StringBuilder out = new StringBuilder();
    int replaced = 0;
    for (String line : config.split("\n", -1)) {
      if (line.strip().startsWith("#")) {
        out.append(line).append('\n');
        continue;
      }
      Matcher address = NODE_ADDRESS.matcher(line);
      StringBuilder replacedLine = new StringBuilder();
      while (address.find()) {
        Node node = nodes.get(address.group(1));
        SampleConfigEdit.require(SAMPLE, node != null, "only the test's nodes " + nodes.keySet() + ": " + line.strip());
        int port =
            switch (address.group(2)) {
              case "80", "1935" -> node.plainPort();
              case "443" -> node.tlsPort();
              default -> throw new IllegalStateException("unexpected node port: " + line.strip());
            };
        address.appendReplacement(replacedLine, "127.0.0.1:" + port);
        replaced++;
      }
      address.appendTail(replacedLine);
      out.append(replacedLine).append('\n');
    }
    out.setLength(out.length() - 1);
    SampleConfigEdit.require(SAMPLE, replaced >= 2 * nodes.size(), "node addresses 10.0.0.x:port");
    config = out.toString();
    config = SampleConfigEdit.replaceOnce(SAMPLE, config, "listen 80;", "listen 127.0.0.1:" + http + ";");
    if (withStream) {
      config = SampleConfigEdit.replaceOnce(SAMPLE, config, "listen 443;", "listen 127.0.0.1:" + tls + ";");
      config = SampleConfigEdit.replaceOnce(SAMPLE, config, "listen 1935;", "listen 127.0.0.1:" + rtmp + ";");
    }
    SampleConfigEdit.require(SAMPLE, !withoutComments(config).contains("10.0.0."), "no sample address left");
    return config;
  }

  private static String withoutComments(String config) {
    StringBuilder sb = new StringBuilder();
    for (String line : config.split("\n")) {
      if (!line.strip().startsWith("#")) {
        sb.append(line).append('\n');
      }
    }
    return sb.toString();
  }

  private static int closingBrace(String text, int open) {
    int depth = 0;
    for (int i = open; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return i;
      }
    }
    throw new IllegalStateException("config/nginx-lb.conf changed: unbalanced braces");
  }


  public int httpPort() {
    return httpPort;
  }

  /** RTMPS/RTMPTS at L4; only with {@link #streamEnabled()}. */
  public int tlsPort() {
    return tlsPort;
  }

  /** Raw RTMP at L4; only with {@link #streamEnabled()}. */
  public int rtmpPort() {
    return rtmpPort;
  }

  /** True when the stream module is installed and the sample's stream {} block is in use. */
  public boolean streamEnabled() {
    return stream;
  }

  public Path configFile() {
    return prefix.resolve("nginx.conf");
  }

  public Path errorLog() {
    return prefix.resolve("logs/error.log");
  }

  /** The sample's RTMPT access log ({@code log_format rtmpt}). */
  public Path accessLog() {
    return prefix.resolve("logs/rtmpt-access.log");
  }

  /** The sample's stream access log ({@code log_format l4}). */
  public Path streamLog() {
    return prefix.resolve("logs/rtmp-stream-access.log");
  }

  /** Lines of a log file, empty if it does not exist yet. */
  public static List<String> lines(Path log) throws IOException {
    return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
  }

  public boolean isRunning() {
    PeerProcess p = process;
    return p != null && p.isAlive();
  }

  /** SIGTERM (fast shutdown) by the process handle, SIGKILL after 5 s; true once exited. */
  public boolean stop() {
    PeerProcess p = process;
    return p == null || p.stop(STOP_GRACE);
  }

  @Override
  public void close() {
    stop();
  }

  /** State, process logs and the error log tail: for assertion messages. */
  public String describe() {
    StringBuilder sb = new StringBuilder("=== ").append(this).append('\n');
    PeerProcess p = process;
    if (p != null) {
      sb.append(p.describe());
    }
    sb.append("    [error.log ").append(errorLog()).append("]\n");
    if (Files.exists(errorLog())) {
      for (String line : PeerProcess.tail(errorLog(), 30)) {
        sb.append("    | ").append(line).append('\n');
      }
    }
    return sb.toString();
  }

  /** Effective uid 0, from {@code /proc/self/status}. */
  private static boolean isRoot() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        String[] ids = line.substring(4).trim().split("\\s+");
        return ids.length > 1 && ids[1].equals("0");
      }
    }
    return "root".equals(System.getProperty("user.name"));
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    PeerProcess p = process;
    return "NginxLb{http=127.0.0.1:"
        + httpPort
        + (stream ? " tls=127.0.0.1:" + tlsPort + " rtmp=127.0.0.1:" + rtmpPort : " (no stream)")
        + " prefix="
        + prefix
        + " "
        + (p == null ? "not started" : p.isAlive() ? "running pid " + p.pid() : "exited")
        + "}";
  }
}
