package org.rtmpgw.it.harness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private nginx with the RTMP module, the real upstream for integration tests.
 *
 * <p>Everything lives under its own prefix directory (config, pid, lock, logs, http temp paths); it
 * listens on 127.0.0.1 only, on free ports: RTMP with applications {@code live} (live, no
 * recording) and {@code vod} (files from a configurable directory), and HTTP with {@code /stat}
 * ({@code rtmp_stat all}) and {@code /control} ({@code rtmp_control all}). nginx runs in the
 * foreground ({@code daemon off}) as a child of the test JVM and is stopped by its process handle
 * ({@link #stop()}): SIGTERM is a fast shutdown that also ends the worker.
 *
 * <p>Thread-safety: start and stop from one thread (a test class's {@code @BeforeAll} and
 * {@code @AfterAll}); the query methods may be called from any thread once started.
 */
public final class NginxRtmp implements AutoCloseable {

  public static final Path NGINX = Path.of("/usr/sbin/nginx");

  /** Installed by Debian's {@code libnginx-mod-rtmp} ({@code dpkg -L libnginx-mod-rtmp}). */
  public static final Path RTMP_MODULE = Path.of("/usr/lib/nginx/modules/ngx_rtmp_module.so");

  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

  /** Attempts with fresh ports when another process took a port between probe and bind. */
  private static final int START_ATTEMPTS = 3;

  private static final int ERROR_LOG_TAIL_LINES = 30;

  private final Path prefix;
  private final Path vodDir;
  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(HTTP_TIMEOUT)
          .version(HttpClient.Version.HTTP_1_1)
          .build();

  private volatile int rtmpPort;
  private volatile int statPort;
  private volatile PeerProcess process;

  /** An nginx under {@code prefix} whose {@code vod} application serves {@code prefix/vod}. */
  public NginxRtmp(Path prefix) {
    this(prefix, prefix.resolve("vod"));
  }

  /** An nginx under {@code prefix} whose {@code vod} application serves {@code vodDir}. */
  public NginxRtmp(Path prefix, Path vodDir) {
    this.prefix = prefix.toAbsolutePath();
    this.vodDir = vodDir.toAbsolutePath();
  }

  /** True if the nginx binary and the RTMP module are installed (for assumptions). */
  /**
   * Starts an upstream for one test class in {@code dir}; the class is skipped (an assumption, not
   * a failure) when nginx-rtmp or the client peers are not installed.
   */
  public static NginxRtmp startForTestClass(Path dir) throws IOException, InterruptedException {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        isAvailable(), "nginx and libnginx-mod-rtmp are not installed");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Peers.isAvailable(), "ffmpeg, ffprobe, rtmpdump or timeout is not installed");
    return new NginxRtmp(dir).start();
  }

  /** Stops an upstream started by {@link #startForTestClass} (null-safe); fails if it lingers. */
  public static void stopAfterTestClass(NginxRtmp nginx) {
    if (nginx == null) {
      return;
    }
    boolean exited = nginx.stop();
    org.assertj.core.api.Assertions.assertThat(exited)
        .as(() -> "nginx did not exit on stop()\n" + nginx.describe())
        .isTrue();
    org.assertj.core.api.Assertions.assertThat(nginx.isRunning()).as(nginx::describe).isFalse();
  }

  public static boolean isAvailable() {
    return Files.isExecutable(NGINX) && Files.isRegularFile(RTMP_MODULE);
  }

  /**
   * Writes the configuration, starts nginx and waits until the RTMP port accepts connections.
   *
   * @throws IllegalStateException with the error log tail if nginx did not come up within 10 s
   */
  public NginxRtmp start() throws IOException, InterruptedException {
    if (process != null) {
      throw new IllegalStateException("already started: " + this);
    }
    for (String dir : List.of("logs", "temp")) {
      Files.createDirectories(prefix.resolve(dir));
    }
    Files.createDirectories(vodDir);
    String lastFailure = "";
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      rtmpPort = FreePorts.loopback();
      statPort = FreePorts.loopback();
      while (statPort == rtmpPort) {
        statPort = FreePorts.loopback();
      }
      Files.writeString(configFile(), config(), StandardCharsets.UTF_8);
      PeerProcess nginx =
          PeerProcess.start(
              "nginx",
              prefix.resolve("logs"),
              List.of(
                  NGINX.toString(),
                  "-p",
                  prefix + "/",
                  "-c",
                  configFile().toString(),
                  "-e",
                  errorLog().toString()));
      process = nginx;
      int rtmp = rtmpPort;
      int stat = statPort;
      boolean listening =
          Poll.until(
              START_TIMEOUT,
              POLL_INTERVAL,
              () -> !nginx.isAlive() || (accepts(stat) && accepts(rtmp)));
      if (listening && nginx.isAlive()) {
        return this;
      }
      lastFailure = describe();
      nginx.stop(STOP_GRACE);
      process = null;
      if (!lastFailure.contains("Address already in use")) {
        break;
      }
    }
    throw new IllegalStateException("nginx-rtmp did not start\n" + lastFailure);
  }

  public int rtmpPort() {
    return rtmpPort;
  }

  public int statPort() {
    return statPort;
  }

  /** {@code rtmp://127.0.0.1:<port>/<app>/<stream>}. */
  public String rtmpUrl(String app, String stream) {
    return "rtmp://127.0.0.1:" + rtmpPort + "/" + app + "/" + stream;
  }

  public Path vodDir() {
    return vodDir;
  }

  public Path errorLog() {
    return prefix.resolve("logs/error.log");
  }

  public boolean isRunning() {
    PeerProcess p = process;
    return p != null && p.isAlive();
  }

  /** Fetches and parses {@code /stat}. */
  public RtmpStat stat() throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statPort + "/stat"))
            .timeout(HTTP_TIMEOUT)
            .GET()
            .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("GET /stat: HTTP " + response.statusCode() + "\n" + response.body());
    }
    return RtmpStat.parse(response.body());
  }

  /**
   * RTMP clients currently publishing or playing in any application ({@code <client>} elements of
   * {@code /stat}). A connection shows up here once it issued publish or play, and disappears when
   * nginx has seen it close.
   */
  public int connectedClients() throws IOException, InterruptedException {
    return stat().clients();
  }

  /**
   * Waits (bounded) until {@code app/stream} is being published and nginx has its codec headers
   * ({@code <meta>}): from then on a player gets a decodable stream at once.
   *
   * <p>Measured with nginx-rtmp 1.2.2: a player that asks for a stream nobody publishes is kept
   * waiting ({@code idle_streams} is on by default), listed in {@code /stat} with timestamp 0, and
   * served when a publisher appears; if none does, ffmpeg waits until killed. Starting players only
   * after this returns makes join time and frame counts predictable.
   */
  public boolean awaitPublishing(String app, String stream, Duration timeout)
      throws InterruptedException {
    return Poll.until(
        timeout,
        POLL_INTERVAL,
        () -> stat().stream(app, stream).filter(s -> s.publishing() && s.hasMeta()).isPresent());
  }

  /**
   * Stops nginx by its process handle: SIGTERM, wait up to 5 s, then SIGKILL.
   *
   * @return true if the process has exited (also true if it was never started)
   */
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
    StringBuilder sb = new StringBuilder();
    sb.append("=== ").append(this).append('\n');
    PeerProcess p = process;
    if (p != null) {
      sb.append(p.describe());
    }
    sb.append("    [error.log ").append(errorLog()).append("]\n");
    if (Files.exists(errorLog())) {
      for (String line : PeerProcess.tail(errorLog(), ERROR_LOG_TAIL_LINES)) {
        sb.append("    | ").append(line).append('\n');
      }
    }
    return sb.toString();
  }

  private Path configFile() {
    return prefix.resolve("nginx.conf");
  }

  private String config() throws IOException {
    Path temp = prefix.resolve("temp");
    return String.join(
        "\n",
        "# Generated by " + NginxRtmp.class.getName() + " for one test run.",
        "load_module " + RTMP_MODULE + ";",
        "daemon off;",
        "master_process on;",
        "worker_processes 1;",
        // As root, workers would otherwise run as nobody and could not read the temp dirs.
        isRoot() ? "user root;" : "# not root: no user directive",
        "pid " + prefix.resolve("nginx.pid") + ";",
        "lock_file " + prefix.resolve("nginx.lock") + ";",
        "error_log " + errorLog() + " info;",
        "events { worker_connections 1024; }",
        "rtmp {",
        "  server {",
        "    listen 127.0.0.1:" + rtmpPort + ";",
        "    application live { live on; record off; }",
        "    application vod { play " + vodDir + "; }",
        "  }",
        "}",
        "http {",
        "  access_log " + prefix.resolve("logs/access.log") + ";",
        "  client_body_temp_path " + temp.resolve("client_body") + ";",
        "  proxy_temp_path " + temp.resolve("proxy") + ";",
        "  fastcgi_temp_path " + temp.resolve("fastcgi") + ";",
        "  uwsgi_temp_path " + temp.resolve("uwsgi") + ";",
        "  scgi_temp_path " + temp.resolve("scgi") + ";",
        "  server {",
        "    listen 127.0.0.1:" + statPort + ";",
        "    location /stat { rtmp_stat all; }",
        "    location /control { rtmp_control all; }",
        "  }",
        "}",
        "");
  }

  /** Effective uid 0, from {@code /proc/self/status} (same answer as {@code id -u}). */
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
    return "NginxRtmp@"
        + Integer.toHexString(hashCode())
        + "{rtmp=127.0.0.1:"
        + rtmpPort
        + " stat=127.0.0.1:"
        + statPort
        + " prefix="
        + prefix
        + " "
        + (p == null ? "not started" : p.isAlive() ? "running pid " + p.pid() : "exited")
        + "}";
  }
}
