package org.rtmpgw.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.server.GatewayServer;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.session.GatewaySession;
import org.rtmpgw.it.harness.FreePorts;
import org.rtmpgw.it.harness.Media;
import org.rtmpgw.it.harness.NginxRtmp;
import org.rtmpgw.it.harness.PeerProcess;
import org.rtmpgw.it.harness.Peers;
import org.rtmpgw.it.harness.Poll;
import org.rtmpgw.it.harness.RtmpStat;

/**
 * What the real clients and the upstream see when something breaks: the upstream is down, or a
 * player vanishes without closing its session.
 */
class RtmptFailureIT {

  /** Long enough that the publisher is still live when the vanished player has been reaped. */
  private static final int MEDIA_SECONDS = 20;

  /** The short inactivity timeout of the vanishing-client test. */
  private static final int INACTIVITY_TIMEOUT_MS = 2_000;

  /** Bound of the {@code timeout} wrapper around the ffmpeg that meets a dead upstream. */
  private static final int FFMPEG_BOUND_SECONDS = 30;

  /** A refused upstream must fail the client at once, far below any timeout in play. */
  private static final Duration FAIL_FAST = Duration.ofSeconds(10);

  /** From SIGKILL of the player to the gateway and nginx having let go of it. */
  private static final Duration REAP_TIMEOUT = Duration.ofSeconds(10);

  /** Downstream bytes that prove the player is receiving the stream (~1 s of it). */
  private static final long RECEIVING_BYTES = 50_000;

  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration POLL = Duration.ofMillis(50);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path workDir;

  static NginxRtmp nginx;

  @BeforeAll
  static void startUpstream() throws Exception {
    nginx = NginxRtmp.startForTestClass(workDir.resolve("nginx"));
  }

  @AfterAll
  static void stopUpstream() {
    NginxRtmp.stopAfterTestClass(nginx);
  }

  /**
   * The gateway forwards to a port nobody listens on: ffmpeg's {@code /open/1} is answered 502 and
   * ffmpeg gives up at once; the gateway keeps serving and explains the failure in plain text.
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void deadUpstreamFailsTheClientFastAndTheGatewayStaysUp() throws Exception {
    int deadPort = FreePorts.loopback();
    String upstream = "127.0.0.1:" + deadPort;
    GatewayServer gateway = startGateway(Map.of("upstream", upstream));
    Path dir = workDir.resolve("dead-upstream");
    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(gateway.registry())) {
      String url = "rtmpt://127.0.0.1:" + gateway.httpPort() + "/live/x";
      List<String> command = new ArrayList<>(Peers.timeout(null, FFMPEG_BOUND_SECONDS));
      command.addAll(
          List.of("ffmpeg", "-nostdin", "-hide_banner", "-i", url, "-t", "1", "-f", "null", "-"));
      long started = System.nanoTime();
      PeerProcess ffmpeg = peers.start("ffmpeg-play-dead-upstream", command);
      OptionalInt exit = ffmpeg.awaitExit(Duration.ofSeconds(FFMPEG_BOUND_SECONDS + 10));
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      String log = Files.readString(ffmpeg.stderrLog(), StandardCharsets.UTF_8);
      System.out.printf(
          "RtmptFailureIT dead upstream: ffmpeg exit %s after %d ms; log tail: %s%n",
          exit, took.toMillis(), PeerProcess.tail(ffmpeg.stderrLog(), 3));

      assertThat(exit).as(() -> "ffmpeg did not end\n" + describe(peers, watch)).isPresent();
      // 124/137: the timeout wrapper ended it, i.e. ffmpeg hung instead of failing
      assertThat(exit.getAsInt())
          .as(() -> "ffmpeg exit status against a dead upstream\n" + describe(peers, watch))
          .isNotIn(0, 124, 137);
      assertThat(took)
          .as(() -> "ffmpeg took " + took.toMillis() + " ms to fail\n" + describe(peers, watch))
          .isLessThan(FAIL_FAST);
      assertThat(log)
          .as(() -> "ffmpeg's report of the HTTP error\n" + describe(peers, watch))
          .containsAnyOf("502", "5XX");
      assertThat(watch.seen())
          .as(
              () ->
                  "a session without upstream must never be registered\n" + describe(peers, watch))
          .isEmpty();

      // The same gateway still answers, and says why it cannot open a session.
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(HTTP_TIMEOUT)
              .build();
      HttpRequest open =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.httpPort() + "/open/1"))
              .timeout(HTTP_TIMEOUT)
              .header("Content-Type", "application/x-fcs")
              .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0}))
              .build();
      HttpResponse<String> response = http.send(open, HttpResponse.BodyHandlers.ofString());
      System.out.printf(
          "RtmptFailureIT dead upstream: POST /open/1 -> %d %s \"%s\"%n",
          response.statusCode(),
          response.headers().firstValue("Content-Type").orElse("(no type)"),
          response.body());
      assertThat(response.statusCode()).as(response::body).isEqualTo(502);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
      assertThat(response.body()).contains("upstream").contains(upstream);
      assertThat(gateway.registry().size()).isZero();
    } finally {
      gateway.stop();
    }
  }

  /**
   * A playing ffmpeg is SIGKILLed: it never sends {@code /close}. The gateway's inactivity timer
   * must end the session and close its upstream connection, so nginx stops serving a player that is
   * gone, while the publisher keeps publishing.
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void vanishedPlayerIsReapedAndItsUpstreamConnectionClosed() throws Exception {
    Path flv = Media.testFlv(MEDIA_SECONDS);
    GatewayServer gateway =
        startGateway(
            Map.of(
                "upstream",
                "127.0.0.1:" + nginx.rtmpPort(),
                "session-inactivity-timeout-ms",
                Integer.toString(INACTIVITY_TIMEOUT_MS)));
    Path dir = workDir.resolve("vanished-player");
    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(gateway.registry())) {
      PeerProcess publisher = peers.publish(flv, nginx.rtmpUrl("live", "v"), true);
      assertThat(nginx.awaitPublishing("live", "v", PUBLISH_TIMEOUT))
          .as(() -> "live/v never published\n" + describe(peers, watch))
          .isTrue();

      String url = "rtmpt://127.0.0.1:" + gateway.httpPort() + "/live/v";
      // plays far longer than the test lasts: it must be killed, not end by itself
      PeerProcess player = peers.play(url, dir.resolve("ffmpeg-play.flv"), 60);

      AtomicReference<GatewaySession> session = new AtomicReference<>();
      boolean receiving =
          Poll.until(
              CONNECT_TIMEOUT,
              POLL,
              () -> {
                List<GatewaySession> live = watch.sample();
                if (live.size() != 1) {
                  return false;
                }
                session.set(live.get(0));
                return live.get(0).stats().bytesDownstream() >= RECEIVING_BYTES
                    && streamClients("v") == 2; // the publisher and the tunnelled player
              });
      assertThat(receiving)
          .as(
              () ->
                  "the player never received the stream through the gateway\n"
                      + describe(peers, watch))
          .isTrue();

      // SIGKILL the ffmpeg itself, not only its timeout(1) wrapper (which cannot forward SIGKILL).
      List<ProcessHandle> ffmpeg =
          ProcessHandle.of(player.pid()).stream().flatMap(ProcessHandle::descendants).toList();
      assertThat(ffmpeg)
          .as(() -> "the player's ffmpeg under timeout(1)\n" + describe(peers, watch))
          .isNotEmpty();
      long killed = System.nanoTime();
      ffmpeg.forEach(ProcessHandle::destroyForcibly);
      for (ProcessHandle h : ffmpeg) {
        h.onExit().get(5, TimeUnit.SECONDS);
      }
      OptionalInt wrapperExit = player.awaitExit(Duration.ofSeconds(5));
      assertThat(wrapperExit)
          .as(() -> "timeout(1) should exit when its ffmpeg is killed\n" + describe(peers, watch))
          .isPresent();

      AtomicLong gatewayReapedMs = new AtomicLong(-1);
      AtomicLong upstreamClosedMs = new AtomicLong(-1);
      boolean reaped =
          Poll.until(
              REAP_TIMEOUT,
              Duration.ofMillis(20),
              () -> {
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                if (gatewayReapedMs.get() < 0 && gateway.registry().size() == 0) {
                  gatewayReapedMs.set(ms);
                }
                if (upstreamClosedMs.get() < 0 && streamClients("v") == 1) {
                  upstreamClosedMs.set(ms);
                }
                return gatewayReapedMs.get() >= 0 && upstreamClosedMs.get() >= 0;
              });
      System.out.printf(
          "RtmptFailureIT vanished player: wrapper exit %s, gateway reaped after %d ms, nginx"
              + " dropped the player after %d ms%n%s",
          wrapperExit, gatewayReapedMs.get(), upstreamClosedMs.get(), watch.describe());
      assertThat(reaped)
          .as(
              () ->
                  "within "
                      + REAP_TIMEOUT
                      + " of SIGKILL: gateway reaped after "
                      + gatewayReapedMs
                      + " ms, nginx dropped the player after "
                      + upstreamClosedMs
                      + " ms (-1 = not yet)\n"
                      + describe(peers, watch))
          .isTrue();
      assertThat(session.get().stats().closeReason())
          .as(() -> "close reason of the vanished player's session\n" + describe(peers, watch))
          .isEqualTo(CloseReason.IDLE_TIMEOUT);

      assertThat(publisher.isAlive())
          .as(() -> "the publisher must be unaffected\n" + describe(peers, watch))
          .isTrue();
      Optional<RtmpStat.Stream> stream = nginx.stat().stream("live", "v");
      assertThat(stream)
          .as(() -> "live/v after the player vanished\n" + describe(peers, watch))
          .hasValueSatisfying(
              s -> {
                assertThat(s.publishing()).isTrue();
                assertThat(s.clients()).isEqualTo(1);
              });
    } finally {
      gateway.stop();
    }
  }

  private static GatewayServer startGateway(Map<String, String> settings) throws Exception {
    Map<String, String> all = new HashMap<>(settings);
    all.put("listen", "127.0.0.1:0");
    all.put("listen-tls", "");
    all.put("management-listen", "127.0.0.1:0");
    GatewayServer gateway = new GatewayServer(GatewayConfig.defaults().with(all));
    gateway.start();
    return gateway;
  }

  /** Clients (publisher and players) nginx lists for {@code live/<name>}; 0 if no such stream. */
  private static int streamClients(String name) throws Exception {
    return nginx.stat().stream("live", name).map(RtmpStat.Stream::clients).orElse(0);
  }

  private static String describe(Peers peers, SessionWatch watch) {
    String stat;
    try {
      stat = nginx.stat().toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stat = "(interrupted)";
    } catch (Exception e) {
      stat = "(no /stat: " + e + ")";
    }
    return watch.describe() + nginx.describe() + "    /stat: " + stat + "\n" + peers.describeAll();
  }
}
