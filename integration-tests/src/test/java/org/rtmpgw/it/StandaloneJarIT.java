package org.rtmpgw.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.it.harness.FrameCounter;
import org.rtmpgw.it.harness.FrameCounter.Frames;
import org.rtmpgw.it.harness.FreePorts;
import org.rtmpgw.it.harness.Media;
import org.rtmpgw.it.harness.NginxRtmp;
import org.rtmpgw.it.harness.PeerProcess;
import org.rtmpgw.it.harness.Peers;
import org.rtmpgw.it.harness.Poll;

/**
 * The shaded jar as an operator runs it ({@code java -jar rtmp-gateway.jar ...}): its command line,
 * a live stream published and played through it over RTMPT, and its shutdown on SIGTERM.
 *
 * <p>Skipped (assumption) when the jar named by the system property {@code gateway.jar} is absent,
 * e.g. when only the test classes were compiled.
 */
class StandaloneJarIT {

  private static final int MEDIA_SECONDS = 8;
  private static final int RTMPDUMP_PLAY_SECONDS = 5;
  private static final long MIN_VIDEO_FRAMES = 60;
  private static final long MIN_AUDIO_FRAMES = 40;

  /** Bound on a short-lived {@code java -jar} run (--help, a bad flag). */
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);

  private static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final int START_ATTEMPTS = 3;

  /** The close line the registry logs for every session. */
  private static final Pattern SESSION_CLOSED =
      Pattern.compile(
          "session closed id=(\\S+) transport=(\\S+) client=127\\.0\\.0\\.1:\\d+ upstream=(\\S+)"
              + " duration=\\d+ms"
              + " bytes_up=(\\d+) bytes_down=(\\d+) undelivered=\\d+ requests=(\\d+) reason=(\\S+)");

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path workDir;

  static Path jar;
  static NginxRtmp nginx;

  @BeforeAll
  static void startUpstream() throws Exception {
    String property = System.getProperty("gateway.jar", "");
    jar = property.isEmpty() ? null : Path.of(property).toAbsolutePath();
    assumeTrue(
        jar != null && Files.isRegularFile(jar),
        "gateway.jar not built (system property gateway.jar=" + property + ")");
    nginx = NginxRtmp.startForTestClass(workDir.resolve("nginx"));
  }

  @AfterAll
  static void stopUpstream() {
    NginxRtmp.stopAfterTestClass(nginx);
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void helpListsTheOptionsAndABadListenAddressExitsWithTwo() throws Exception {
    Path dir = workDir.resolve("cli");

    PeerProcess help = PeerProcess.run("gateway-help", dir, java("--help"), CLI_TIMEOUT);
    String helpOut = Files.readString(help.stdoutLog(), StandardCharsets.UTF_8);
    assertThat(help.exitCode()).as(help::describe).hasValue(0);
    assertThat(helpOut).as(help::describe).contains("--upstream", "--listen", "--idle-hold-ms");

    PeerProcess bad =
        PeerProcess.run("gateway-bad-listen", dir, java("--listen", "nonsense"), CLI_TIMEOUT);
    String badErr = Files.readString(bad.stderrLog(), StandardCharsets.UTF_8);
    System.out.printf(
        "StandaloneJarIT --listen nonsense: exit %s, stderr: %s%n", bad.exitCode(), badErr.strip());
    assertThat(bad.exitCode()).as(bad::describe).hasValue(2);
    assertThat(badErr).as(bad::describe).contains("listen").contains("nonsense");

    Path missing = dir.resolve("missing.crt.pem");
    PeerProcess badCert =
        PeerProcess.run(
            "gateway-check-bad-cert",
            dir,
            java(
                "--check-config",
                "--listen-tls", "127.0.0.1:8443",
                "--tls-cert-files", missing.toString(),
                "--tls-key-files", dir.resolve("missing.key.pem").toString()),
            CLI_TIMEOUT);
    String badCertErr = Files.readString(badCert.stderrLog(), StandardCharsets.UTF_8);
    assertThat(badCert.exitCode()).as(badCert::describe).hasValue(2);
    assertThat(badCertErr).as(badCert::describe).contains(missing.toString()).doesNotContain("\tat ");
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void theJarTunnelsALiveStreamAndLogsEverySessionUntilSigterm() throws Exception {
    Path flv = Media.testFlv(MEDIA_SECONDS);
    Path dir = workDir.resolve("jar-live");
    Path out = dir.resolve("rtmpdump-play.flv");
    String upstream = "127.0.0.1:" + nginx.rtmpPort();

    PeerProcess gateway = null;
    int port = -1;
    int tlsPort = -1;
    String failures = "";
    Path config = dir.resolve("etc").resolve("gateway.properties");
    Files.createDirectories(config.getParent());
    for (int attempt = 0; attempt < START_ATTEMPTS && gateway == null; attempt++) {
      port = FreePorts.loopback();
      tlsPort = FreePorts.loopback();
      // no certificate configured: the jar generates one beside this file
      Files.writeString(
          config,
          "upstream = " + upstream + "\nlisten = 127.0.0.1:" + port + "\nlisten-tls = 127.0.0.1:"
              + tlsPort + "\nmanagement-listen = 127.0.0.1:0\ndrain-timeout-ms = 2000\n");
      PeerProcess candidate =
          PeerProcess.start("gateway-jar", dir, java("--config", config.toString()));
      int p = port;
      int t = tlsPort;
      boolean up =
          Poll.until(LISTEN_TIMEOUT, POLL, () -> !candidate.isAlive() || (accepts(p) && accepts(t)));
      if (up && candidate.isAlive()) {
        gateway = candidate;
      } else {
        candidate.stop(PeerProcess.DEFAULT_STOP_GRACE);
        failures += candidate.describe();
      }
    }
    assertThat(gateway).as("the jar never listened\n%s", failures).isNotNull();
    PeerProcess jarProcess = gateway;

    try (Peers peers = new Peers(dir)) {
      String url = "rtmpt://127.0.0.1:" + port + "/live/j";
      PeerProcess publisher = peers.publish(flv, url, true);
      assertThat(nginx.awaitPublishing("live", "j", PUBLISH_TIMEOUT))
          .as(
              () ->
                  "live/j never published through the jar\n"
                      + jarProcess.describe()
                      + peers.describeAll())
          .isTrue();
      PeerProcess player = peers.rtmpdumpPlay(url, out, RTMPDUMP_PLAY_SECONDS);
      Path rtmpsOut = dir.resolve("ffmpeg-rtmps-play.flv");
      PeerProcess rtmpsPlayer =
          peers.play("rtmps://127.0.0.1:" + tlsPort + "/live/j", rtmpsOut, RTMPDUMP_PLAY_SECONDS);

      OptionalInt playerExit = player.awaitExit(Duration.ofSeconds(RTMPDUMP_PLAY_SECONDS + 15));
      OptionalInt publisherExit = publisher.awaitExit(Duration.ofSeconds(MEDIA_SECONDS + 20));
      assertThat(playerExit)
          .as(
              () ->
                  "rtmpdump did not stop on SIGINT\n" + jarProcess.describe() + peers.describeAll())
          .isPresent();
      assertThat(publisherExit)
          .as(() -> "ffmpeg publisher exit status\n" + jarProcess.describe() + peers.describeAll())
          .hasValue(0);

      assertThat(rtmpsPlayer.awaitExit(Duration.ofSeconds(RTMPDUMP_PLAY_SECONDS + 25)))
          .as(() -> "ffmpeg rtmps player exit status\n" + jarProcess.describe() + peers.describeAll())
          .hasValue(0);
      Frames rtmpsFrames = FrameCounter.count(rtmpsOut);
      System.out.printf("StandaloneJarIT ffmpeg via jar over rtmps: %s%n", rtmpsFrames);
      assertThat(rtmpsFrames.video())
          .as(() -> "rtmps video frames " + rtmpsFrames + "\n" + jarProcess.describe())
          .isGreaterThanOrEqualTo(MIN_VIDEO_FRAMES);
      assertThat(rtmpsFrames.audio())
          .as(() -> "rtmps audio frames " + rtmpsFrames + "\n" + jarProcess.describe())
          .isGreaterThanOrEqualTo(MIN_AUDIO_FRAMES);
      Path generatedCert = config.getParent().resolve("gateway-selfsigned.crt.pem");
      assertThat(generatedCert).as("certificate generated beside the config").isRegularFile();
      assertThat(config.getParent().resolve("gateway-selfsigned.key.pem")).isRegularFile();
      assertThat(Files.readString(jarProcess.stderrLog(), StandardCharsets.UTF_8))
          .as("the generated certificate's SHA-256 fingerprint is logged")
          .containsPattern("SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}");

      Frames frames = FrameCounter.count(out);
      System.out.printf("StandaloneJarIT rtmpdump via jar: %s%n", frames);
      assertThat(frames.video())
          .as(
              () ->
                  "decoded video frames "
                      + frames
                      + "\n"
                      + jarProcess.describe()
                      + peers.describeAll())
          .isGreaterThanOrEqualTo(MIN_VIDEO_FRAMES);
      assertThat(frames.audio())
          .as(
              () ->
                  "decoded audio frames "
                      + frames
                      + "\n"
                      + jarProcess.describe()
                      + peers.describeAll())
          .isGreaterThanOrEqualTo(MIN_AUDIO_FRAMES);

      // A session still open at SIGTERM: the shutdown must close (and log) it too.
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(HTTP_TIMEOUT)
              .build();
      HttpResponse<String> open =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/open/1"))
                  .timeout(HTTP_TIMEOUT)
                  .header("Content-Type", "application/x-fcs")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0}))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(open.statusCode()).as(open::body).isEqualTo(200);
      String openId = open.body().strip();

      long stopping = System.nanoTime();
      boolean exited = jarProcess.stop(STOP_TIMEOUT); // SIGTERM (Process.destroy), then SIGKILL
      long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping);
      OptionalInt jarExit = jarProcess.exitCode();
      String log = Files.readString(jarProcess.stderrLog(), StandardCharsets.UTF_8);
      List<String> closed = new ArrayList<>();
      List<String> reasons = new ArrayList<>();
      List<String> transports = new ArrayList<>();
      Matcher m = SESSION_CLOSED.matcher(log);
      while (m.find()) {
        closed.add(m.group());
        reasons.add(m.group(7));
        transports.add(m.group(2));
        assertThat(m.group(3)).as(m.group()).isEqualTo(upstream);
      }
      System.out.printf(
          "StandaloneJarIT SIGTERM: exit %s after %d ms; session lines:%n  %s%n",
          jarExit, stopMs, String.join("\n  ", closed));

      assertThat(exited).as(jarProcess::describe).isTrue();
      // 143 = 128 + SIGTERM: the JVM ran its shutdown hooks and exited; 137 would mean SIGKILL
      assertThat(jarExit).as(jarProcess::describe).isPresent();
      assertThat(jarExit.getAsInt()).as(jarProcess::describe).isIn(0, 143);
      assertThat(stopMs).as(jarProcess::describe).isLessThan(STOP_TIMEOUT.toMillis());
      // publisher and players closed their sessions; the last RTMPT one was closed by the shutdown
      assertThat(closed).as(jarProcess::describe).hasSize(4);
      assertThat(reasons)
          .as(jarProcess::describe)
          .containsExactlyInAnyOrder("client-close", "client-close", "client-close", "shutdown");
      assertThat(transports)
          .as(jarProcess::describe)
          .containsExactlyInAnyOrder("rtmpt", "rtmpt", "rtmps", "rtmpt");
      assertThat(log)
          .as(jarProcess::describe)
          .contains("session closed id=" + openId + " ")
          .containsPattern("session closed id=" + Pattern.quote(openId) + " .* reason=shutdown");
    } finally {
      jarProcess.stop(PeerProcess.DEFAULT_STOP_GRACE);
    }
  }

  private static List<String> java(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(List.of(args));
    return command;
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
