package org.rtmpgw.it.harness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private HAProxy started from the repository's sample {@code config/haproxy.cfg}, so the
 * integration test exercises the sample itself, not a look-alike.
 *
 * <p>{@link #configFromSample} rewrites only what ties the sample to a real deployment: its {@code
 * global} section (syslog, chroot, user, daemon, admin socket: replaced by a log on stdout, a pid
 * file and an admin socket in the test's directory; every other global line, such as {@code
 * h1-case-adjust}, is kept), the node addresses ({@code 10.0.0.x:80|443|1935} and {@code check port
 * 9935} become the test nodes' loopback ports) and the frontends' {@code bind} lines (free
 * 127.0.0.1 ports). It fails if any of those is not found, so the sample and the test cannot drift
 * apart silently.
 *
 * <p>HAProxy runs in the foreground ({@code -db}) as a child of the test JVM and is stopped by its
 * process handle ({@link #stop()}). Its log (one line per request or TCP connection, plus server
 * state changes) goes to the process's stdout file.
 *
 * <p>Thread-safety: start and stop from one thread; the query methods may be called from any thread
 * once started.
 */
public final class HaproxyLb implements AutoCloseable {
  private static final String SAMPLE = "config/haproxy.cfg";


  public static final Path HAPROXY = Path.of("/usr/sbin/haproxy");

  /** One gateway node as the sample names it ({@code n1}, {@code n2}) with its test ports. */
  public record Node(String name, int plainPort, int tlsPort, int managementPort) {}

  /** The sample's node addresses: {@code server n1 10.0.0.11:80 ...}. */
  private static final Pattern SERVER_LINE =
      Pattern.compile("(?m)^(\\s*server\\s+)(\\S+)\\s+10\\.0\\.0\\.\\d+:(\\d+)(.*)$");

  /** Global directives that tie the sample to a real host; everything else in global is kept. */
  private static final Pattern HOST_GLOBAL =
      Pattern.compile(
          "^\\s*(log|chroot|stats|user|group|daemon|pidfile|maxconn|nbthread|master-worker)\\b.*");

  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final int START_ATTEMPTS = 3;

  private final Path dir;
  private final Path sample;
  private final List<Node> nodes;

  private volatile int httpPort;
  private volatile int tlsPort;
  private volatile int rtmpPort;
  private volatile int statsPort;
  private volatile PeerProcess process;

  public HaproxyLb(Path dir, Path sample, List<Node> nodes) {
    this.dir = dir.toAbsolutePath();
    this.sample = sample.toAbsolutePath();
    this.nodes = List.copyOf(nodes);
  }

  public static boolean isAvailable() {
    return Files.isExecutable(HAPROXY);
  }

  /**
   * Writes the configuration (checked with {@code haproxy -c}), starts HAProxy and waits until its
   * frontends accept connections.
   */
  public HaproxyLb start() throws IOException, InterruptedException {
    if (process != null) {
      throw new IllegalStateException("already started: " + this);
    }
    Files.createDirectories(dir);
    String template = Files.readString(sample, StandardCharsets.UTF_8);
    String lastFailure = "";
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      httpPort = FreePorts.loopback();
      tlsPort = FreePorts.loopback();
      rtmpPort = FreePorts.loopback();
      statsPort = FreePorts.loopback();
      Files.writeString(
          configFile(),
          configFromSample(template, dir, nodes, httpPort, tlsPort, rtmpPort, statsPort),
          StandardCharsets.UTF_8);
      PeerProcess check =
          PeerProcess.run(
              "haproxy-check",
              dir,
              List.of(HAPROXY.toString(), "-c", "-f", configFile().toString()),
              Duration.ofSeconds(20));
      if (check.exitCode().orElse(-1) != 0) {
        throw new IllegalStateException(
            "haproxy -c refused the configuration\n" + check.describe());
      }
      PeerProcess haproxy =
          PeerProcess.start(
              "haproxy", dir, List.of(HAPROXY.toString(), "-db", "-f", configFile().toString()));
      process = haproxy;
      boolean up =
          Poll.until(
              START_TIMEOUT,
              POLL,
              () ->
                  !haproxy.isAlive()
                      || (accepts(httpPort)
                          && accepts(tlsPort)
                          && accepts(rtmpPort)
                          && Files.exists(adminSocket())));
      if (up && haproxy.isAlive()) {
        return this;
      }
      lastFailure = haproxy.describe();
      haproxy.stop(STOP_GRACE);
      process = null;
      if (!lastFailure.contains("Address already in use") && !lastFailure.contains("cannot bind")) {
        break;
      }
    }
    throw new IllegalStateException("haproxy did not start\n" + lastFailure);
  }

  /**
   * The sample with its host-specific parts replaced (see the class comment).
   *
   * @throws IllegalStateException if the sample no longer has what is replaced here
   */
  public static String configFromSample(
      String sample, Path dir, List<Node> nodes, int http, int tls, int rtmp, int stats) {
    Matcher global = Pattern.compile("(?ms)^global\\n(.*?)(?=^\\S)").matcher(sample);
    SampleConfigEdit.require(SAMPLE, global.find(), "a global section");
    StringBuilder kept = new StringBuilder();
    for (String line : global.group(1).split("\n")) {
      if (!line.isBlank()
          && !line.strip().startsWith("#")
          && !HOST_GLOBAL.matcher(line).matches()) {
        kept.append(line).append('\n');
      }
    }
    String testGlobal =
        "global\n"
            + "    # written by "
            + HaproxyLb.class.getName()
            + " from the sample's global section\n"
            + "    log stdout format raw local0 info\n"
            + "    pidfile "
            + dir.resolve("haproxy.pid")
            + "\n"
            + "    stats socket "
            + dir.resolve("admin.sock")
            + " mode 600 level admin\n"
            + "    maxconn 2000\n"
            + kept
            + "\n";
    String config =
        sample.substring(0, global.start()) + testGlobal + sample.substring(global.end());

    Map<String, Node> byName = new LinkedHashMap<>();
    nodes.forEach(n -> byName.put(n.name(), n));
    Matcher server = SERVER_LINE.matcher(config);
    StringBuilder out = new StringBuilder();
    int servers = 0;
    while (server.find()) {
      Node node = byName.get(server.group(2));
      SampleConfigEdit.require(SAMPLE, node != null, "only the test's nodes " + byName.keySet() + ": " + server.group());
      int port =
          switch (server.group(3)) {
            case "80", "1935" -> node.plainPort();
            case "443" -> node.tlsPort();
            default -> throw new IllegalStateException("unexpected node port: " + server.group());
          };
      String rest = server.group(4);
      SampleConfigEdit.require(SAMPLE, rest.contains(" port 9935") || !rest.contains(" check"), "check port 9935: " + rest);
      rest = rest.replace(" port 9935", " port " + node.managementPort());
      server.appendReplacement(
          out,
          Matcher.quoteReplacement(server.group(1) + node.name() + " 127.0.0.1:" + port + rest));
      servers++;
    }
    server.appendTail(out);
    SampleConfigEdit.require(SAMPLE, servers == 3 * nodes.size(), "3 server lines per node, found " + servers);
    config = out.toString();
    config = SampleConfigEdit.replaceOnce(SAMPLE, config, "bind :80\n", "bind 127.0.0.1:" + http + "\n");
    config = SampleConfigEdit.replaceOnce(SAMPLE, config, "bind :443\n", "bind 127.0.0.1:" + tls + "\n");
    config = SampleConfigEdit.replaceOnce(SAMPLE, config, "bind :1935\n", "bind 127.0.0.1:" + rtmp + "\n");
    config = SampleConfigEdit.replaceOnce(SAMPLE, config, "bind 127.0.0.1:8404\n", "bind 127.0.0.1:" + stats + "\n");
    SampleConfigEdit.require(SAMPLE, !withoutComments(config).contains("10.0.0."), "no sample address left");
    SampleConfigEdit.require(SAMPLE, !Pattern.compile("(?m)^\\s*bind :").matcher(config).find(), "no wildcard bind left");
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


  /** RTMPT frontend (the sample's :80). */
  public int httpPort() {
    return httpPort;
  }

  /** RTMPS/RTMPTS frontend at L4 (the sample's :443). */
  public int tlsPort() {
    return tlsPort;
  }

  /** Raw RTMP frontend at L4 (the sample's :1935). */
  public int rtmpPort() {
    return rtmpPort;
  }

  public Path configFile() {
    return dir.resolve("haproxy.cfg");
  }

  public Path adminSocket() {
    return dir.resolve("admin.sock");
  }

  /** The log: one line per HTTP request or TCP connection, and server state changes. */
  public String log() throws IOException {
    PeerProcess p = process;
    return p == null ? "" : Files.readString(p.stdoutLog(), StandardCharsets.UTF_8);
  }

  /** One line of the sample's log formats: {@code %ci:%cp [...] %ft %b/%s %bi:%bp ...}. */
  public record LogLine(
      int index,
      String clientPort,
      String frontend,
      String backend,
      String server,
      String balancerPort,
      String retries,
      String request,
      String text) {

    /** True when HAProxy re-sent the request to another server ({@code %rc} starts with +). */
    public boolean redispatched() {
      return retries.startsWith("+");
    }
  }

  private static final Pattern LOG_LINE =
      Pattern.compile(
          "^\\S+:(\\d+) \\[[^\\]]+\\] (\\S+) ([^/\\s]+)/(\\S+) \\S+:(\\d+|-) .*?"
              + " \\d+/\\d+/\\d+/\\d+/(\\+?\\d+) \\d+/\\d+(?: \"([^\"]*)\")?$");

  /** The request and connection lines of the log, in order. */
  public List<LogLine> logLines() throws IOException {
    List<LogLine> lines = new ArrayList<>();
    String[] all = log().split("\n");
    for (int i = 0; i < all.length; i++) {
      Matcher m = LOG_LINE.matcher(all[i]);
      if (m.matches()) {
        lines.add(
            new LogLine(
                i,
                m.group(1),
                m.group(2),
                m.group(3),
                m.group(4),
                m.group(5),
                m.group(6),
                m.group(7) == null ? "" : m.group(7),
                all[i]));
      }
    }
    return lines;
  }

  /** Index of the first log line containing {@code text}, if any. */
  public Optional<Integer> firstLogLineContaining(String text) throws IOException {
    String[] all = log().split("\n");
    for (int i = 0; i < all.length; i++) {
      if (all[i].contains(text)) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  /** A command on the admin socket ({@code show stat}, {@code show servers state}, ...). */
  public String admin(String command) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(adminSocket()));
      channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
      // HAProxy answers and closes the connection (non-interactive mode).
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (InputStream in = Channels.newInputStream(channel)) {
        in.transferTo(out);
      }
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  /** Status of one server as HAProxy sees it ({@code UP}, {@code DOWN}, {@code DOWN 1/2}, ...). */
  public String serverStatus(String backend, String server) throws IOException {
    String[] lines = admin("show stat").split("\n");
    if (lines.length == 0 || !lines[0].startsWith("# ")) {
      throw new IOException("unexpected show stat answer: " + String.join("\n", lines));
    }
    List<String> header = List.of(lines[0].substring(2).split(","));
    int status = header.indexOf("status");
    for (String line : lines) {
      String[] f = line.split(",", -1);
      if (f.length > status && f[0].equals(backend) && f[1].equals(server)) {
        return f[status];
      }
    }
    throw new IOException("no server " + backend + "/" + server + " in show stat");
  }

  /** Waits (bounded) until every listed backend/server has the status. */
  public boolean awaitStatus(String status, Duration timeout, String... backendSlashServer)
      throws InterruptedException {
    return Poll.until(
        timeout,
        Duration.ofMillis(100),
        () -> {
          for (String bs : backendSlashServer) {
            String[] p = bs.split("/");
            if (!serverStatus(p[0], p[1]).equals(status)) {
              return false;
            }
          }
          return true;
        });
  }

  public boolean isRunning() {
    PeerProcess p = process;
    return p != null && p.isAlive();
  }

  /** SIGTERM by the process handle, then SIGKILL after 5 s; true once it has exited. */
  public boolean stop() {
    PeerProcess p = process;
    return p == null || p.stop(STOP_GRACE);
  }

  @Override
  public void close() {
    stop();
  }

  /** State, configuration and log tails: for assertion messages. */
  public String describe() {
    StringBuilder sb = new StringBuilder("=== ").append(this).append('\n');
    PeerProcess p = process;
    if (p != null) {
      sb.append(p.describe());
    }
    return sb.toString();
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
    return "HaproxyLb{http=127.0.0.1:"
        + httpPort
        + " tls=127.0.0.1:"
        + tlsPort
        + " rtmp=127.0.0.1:"
        + rtmpPort
        + " dir="
        + dir
        + " "
        + (p == null ? "not started" : p.isAlive() ? "running pid " + p.pid() : "exited")
        + "}";
  }
}
