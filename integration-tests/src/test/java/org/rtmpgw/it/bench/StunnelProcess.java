package org.rtmpgw.it.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.rtmpgw.it.harness.FreePorts;
import org.rtmpgw.it.harness.PeerProcess;

/**
 * stunnel in server mode terminating TLS in front of an RTMP server: the reference the gateway's
 * RTMPS listener is measured against. Runs in the foreground as a child of the bench JVM, on a
 * free loopback port, and is stopped through its own process handle (SIGTERM, then SIGKILL).
 */
final class StunnelProcess implements AutoCloseable {
  static final Path STUNNEL = Path.of("/usr/bin/stunnel");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  private static final int START_ATTEMPTS = 3;

  private final PeerProcess process;
  private final int port;

  private StunnelProcess(PeerProcess process, int port) {
    this.process = process;
    this.port = port;
  }

  static boolean isAvailable() {
    return Files.isExecutable(STUNNEL);
  }

  /**
   * Starts stunnel with its config, pid file and logs in {@code dir}, accepting TLS of exactly
   * {@code tlsVersion} ({@code TLSv1.2} or {@code TLSv1.3}) and forwarding the plaintext to
   * 127.0.0.1:{@code connectPort}.
   */
  static StunnelProcess start(Path dir, int connectPort, BenchTls.Pem pem, String tlsVersion)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    String failure = "";
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      int port = FreePorts.loopback();
      Path conf = dir.resolve("stunnel.conf");
      Files.writeString(conf, String.join("\n",
          "foreground = yes",
          "pid = " + dir.resolve("stunnel.pid"),
          "syslog = no",
          // info: one line per connection with the negotiated protocol and cipher suite
          "debug = info",
          "",
          "[rtmps]",
          "accept = 127.0.0.1:" + port,
          "connect = 127.0.0.1:" + connectPort,
          "cert = " + pem.cert(),
          "key = " + pem.key(),
          "sslVersionMin = " + tlsVersion,
          "sslVersionMax = " + tlsVersion,
          ""), StandardCharsets.UTF_8);
      PeerProcess p = PeerProcess.start("stunnel", dir, List.of(STUNNEL.toString(), conf.toString()));
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline && p.isAlive()) {
        if (accepts(port)) {
          return new StunnelProcess(p, port);
        }
        Thread.sleep(50);
      }
      failure = p.describe();
      p.stop(STOP_GRACE);
      if (!failure.contains("Address already in use")) {
        break;
      }
    }
    throw new IOException("stunnel did not start\n" + failure);
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

  String rtmpsUrl(String app, String stream) {
    return "rtmps://127.0.0.1:" + port + "/" + app + "/" + stream;
  }

  /** User + system CPU seconds of the stunnel process (all its threads) so far. */
  double cpuSeconds() throws IOException {
    return ProcCpu.seconds(process.pid());
  }

  /** "stunnel 5.68, OpenSSL 3.0.19" from the start-up lines of its log, or what is missing. */
  String version() {
    try {
      String text = Files.readString(log());
      Matcher stunnel = Pattern.compile("stunnel (\\S+) on").matcher(text);
      Matcher openssl = Pattern.compile("Running +with (OpenSSL \\S+)").matcher(text);
      return (stunnel.find() ? "stunnel " + stunnel.group(1) : "stunnel (version not logged)")
          + (openssl.find() ? ", " + openssl.group(1) : "");
    } catch (IOException e) {
      return "stunnel (log unreadable)";
    }
  }

  /** stunnel's log (stderr in the foreground). */
  Path log() {
    return process.stderrLog();
  }

  @Override
  public void close() {
    process.stop(STOP_GRACE);
  }
}
