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
 * The jar as an operator watches it: {@code /metrics} moves while a real ffmpeg stream passes,
 * and SIGTERM drains — the running stream keeps playing, {@code /readyz} turns 503, a new {@code
 * /open/1} is refused, and the process exits 0 once the stream's sessions have ended.
 */
class OperationsIT {
  private static final int MEDIA_SECONDS = 12;
  private static final int PLAY_SECONDS = 7;
  private static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final int DRAIN_TIMEOUT_SECONDS = 40;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path workDir;

  static Path jar;
  static NginxRtmp nginx;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(3))
          .build();

  @BeforeAll
  static void startUpstream() throws Exception {
    String property = System.getProperty("gateway.jar", "");
    jar = property.isEmpty() ? null : Path.of(property).toAbsolutePath();
    assumeTrue(jar != null && Files.isRegularFile(jar), "gateway.jar not built");
    nginx = NginxRtmp.startForTestClass(workDir.resolve("nginx"));
  }

  @AfterAll
  static void stopUpstream() {
    NginxRtmp.stopAfterTestClass(nginx);
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void metricsMoveWithALiveStreamAndSigtermDrainsItThenExitsZero() throws Exception {
    Path dir = workDir.resolve("drain");
    Files.createDirectories(dir);
    int port = FreePorts.loopback();
    int management = FreePorts.loopback();
    Path config = dir.resolve("gateway.properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "upstream = 127.0.0.1:" + nginx.rtmpPort(),
            "listen = 127.0.0.1:" + port,
            "listen-tls =",
            "management-listen = 127.0.0.1:" + management,
            "upstream-probe-interval-ms = 500",
            "drain-timeout-ms = " + DRAIN_TIMEOUT_SECONDS * 1000,
            ""));
    PeerProcess gateway =
        PeerProcess.start(
            "gateway-jar",
            dir,
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "--config",
                config.toString()));
    try (Peers peers = new Peers(dir)) {
      assertThat(Poll.until(LISTEN_TIMEOUT, POLL, () -> accepts(port) && accepts(management)))
          .as(gateway::describe)
          .isTrue();
      assertThat(Poll.until(LISTEN_TIMEOUT, POLL, () -> status(management, "/readyz") == 200))
          .as(gateway::describe)
          .isTrue();
      String url = "rtmpt://127.0.0.1:" + port + "/live/ops";
      PeerProcess publisher = peers.publish(Media.testFlv(MEDIA_SECONDS), url, true);
      assertThat(nginx.awaitPublishing("live", "ops", Duration.ofSeconds(15)))
          .as(() -> gateway.describe() + peers.describeAll())
          .isTrue();
      Path out = dir.resolve("play.flv");
      PeerProcess player = peers.play(url, out, PLAY_SECONDS);

      // metrics move while the stream passes
      assertThat(
              Poll.until(
                  Duration.ofSeconds(15),
                  POLL,
                  () -> sample(metrics(management), "rtmpgw_sessions_active{transport=\"rtmpt\"}") == 2))
          .as(() -> metrics(management) + gateway.describe())
          .isTrue();
      double down1 = sample(metrics(management), "rtmpgw_bytes_total{direction=\"downstream\",transport=\"rtmpt\"}");
      double up1 = sample(metrics(management), "rtmpgw_bytes_total{direction=\"upstream\",transport=\"rtmpt\"}");
      Thread.sleep(1_000);
      String m2 = metrics(management);
      assertThat(sample(m2, "rtmpgw_bytes_total{direction=\"downstream\",transport=\"rtmpt\"}"))
          .as(m2)
          .isGreaterThan(down1);
      assertThat(sample(m2, "rtmpgw_bytes_total{direction=\"upstream\",transport=\"rtmpt\"}"))
          .as(m2)
          .isGreaterThan(up1);
      assertThat(sample(m2, "rtmpgw_rtmpt_requests_total{command=\"idle\",status=\"200\"}"))
          .isPositive();
      assertThat(sample(m2, "rtmpgw_upstream_connect_seconds_count")).isGreaterThanOrEqualTo(2);
      assertThat(
              sample(
                  m2,
                  "rtmpgw_upstream_up{group=\"default\",server=\"127.0.0.1:" + nginx.rtmpPort() + "\"}"))
          .isEqualTo(1);

      // SIGTERM: drain
      long termAt = System.nanoTime();
      gateway.signalTerm();
      assertThat(Poll.until(Duration.ofSeconds(5), POLL, () -> status(management, "/readyz") == 503))
          .as(gateway::describe)
          .isTrue();
      HttpResponse<String> open =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/open/1"))
                  .timeout(Duration.ofSeconds(5))
                  .header("Content-Type", "application/x-fcs")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0}))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(open.statusCode()).as(open::body).isEqualTo(503);
      assertThat(gateway.isAlive()).as("still serving the running stream").isTrue();

      OptionalInt playerExit = player.awaitExit(Duration.ofSeconds(PLAY_SECONDS + 30));
      OptionalInt publisherExit = publisher.awaitExit(Duration.ofSeconds(MEDIA_SECONDS + 30));
      assertThat(playerExit).as(peers::describeAll).hasValue(0);
      assertThat(publisherExit).as(peers::describeAll).hasValue(0);
      Frames frames = FrameCounter.count(out);
      System.out.printf("OperationsIT player through the drain: %s%n", frames);
      assertThat(frames.video()).as(frames::toString).isGreaterThanOrEqualTo(100);
      assertThat(frames.audio()).as(frames::toString).isGreaterThanOrEqualTo(80);

      OptionalInt gatewayExit = gateway.awaitExit(Duration.ofSeconds(DRAIN_TIMEOUT_SECONDS + 10));
      long exitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - termAt);
      String log = Files.readString(gateway.stderrLog(), StandardCharsets.UTF_8);
      System.out.printf("OperationsIT gateway exit %s %d ms after SIGTERM%n", gatewayExit, exitMillis);
      assertThat(gatewayExit).as(gateway::describe).hasValue(0);
      assertThat(exitMillis).isLessThan(DRAIN_TIMEOUT_SECONDS * 1000L);
      assertThat(log).contains("starting a graceful drain", "drained: every session ended");
      List<String> reasons = new ArrayList<>();
      Matcher m = Pattern.compile("session closed .* reason=(\\S+)").matcher(log);
      while (m.find()) {
        reasons.add(m.group(1));
      }
      assertThat(reasons).as(log).containsExactly("client-close", "client-close");
    } finally {
      gateway.stop(PeerProcess.DEFAULT_STOP_GRACE);
    }
  }

  private String metrics(int port) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "(no metrics: " + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(interrupted)";
    }
  }

  private int status(int port, String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static double sample(String metrics, String nameAndLabels) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
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
