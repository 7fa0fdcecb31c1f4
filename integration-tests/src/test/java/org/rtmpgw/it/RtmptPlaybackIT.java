package org.rtmpgw.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.server.GatewayServer;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.session.SessionStats;
import org.rtmpgw.gateway.session.GatewaySession;
import org.rtmpgw.it.harness.FrameCounter;
import org.rtmpgw.it.harness.FrameCounter.Frames;
import org.rtmpgw.it.harness.Media;
import org.rtmpgw.it.harness.NginxRtmp;
import org.rtmpgw.it.harness.PeerProcess;
import org.rtmpgw.it.harness.Peers;
import org.rtmpgw.it.harness.Poll;

/**
 * Live streams through the in-process gateway with the real clients: ffmpeg and rtmpdump speak
 * RTMPT ({@code rtmpt://127.0.0.1:<gateway>/live/<stream>}) to the gateway, which forwards each
 * session as one RTMP connection to a private nginx-rtmp. Every recording must decode with video
 * and audio; the gateway's registry must have carried the sessions and forgotten them once the
 * clients closed.
 *
 * <p>Compare with {@link DirectRtmpIT}, the same peers without the gateway.
 */
class RtmptPlaybackIT {

  /**
   * Length of the published file. Players join ~0.5-1 s after the publish starts and need 4-5 s; an
   * ffmpeg player whose stream ends before its {@code -t} hangs until killed, hence the slack.
   */
  private static final int MEDIA_SECONDS = 8;

  /** Six clients on two cores join more slowly: more slack for the concurrent test. */
  private static final int CONCURRENT_MEDIA_SECONDS = 10;

  private static final int FFMPEG_PLAY_SECONDS = 4;
  private static final int RTMPDUMP_PLAY_SECONDS = 5;

  /** ≥ 2.4 s of decodable video at 25 fps (4 s of play yield ~75-100 frames). */
  private static final long MIN_VIDEO_FRAMES = 60;

  /** ≥ ~1 s of decodable AAC (43 frames per second at 44.1 kHz). */
  private static final long MIN_AUDIO_FRAMES = 40;

  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

  /**
   * Bound on the registry emptying after every client exited. Clients send {@code /close}, so this
   * is milliseconds; the inactivity reaper (30 s by default) would be far slower.
   */
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

  private static final Duration POLL = Duration.ofMillis(50);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path workDir;

  static NginxRtmp nginx;
  static GatewayServer gateway;

  @BeforeAll
  static void startUpstreamAndGateway() throws Exception {
    nginx = NginxRtmp.startForTestClass(workDir.resolve("nginx"));
    gateway =
        new GatewayServer(
            GatewayConfig.defaults()
                .with(
                    Map.of(
                        "upstream", "127.0.0.1:" + nginx.rtmpPort(),
                        "listen", "127.0.0.1:0",
                        "listen-tls", "",
                        "management-listen", "127.0.0.1:0")));
    gateway.start();
  }

  @AfterAll
  static void stopGatewayAndUpstream() throws Exception {
    try {
      if (gateway != null) {
        gateway.stop();
      }
    } finally {
      NginxRtmp.stopAfterTestClass(nginx);
    }
  }

  /** ffmpeg publishes through the tunnel and ffmpeg plays through the tunnel. */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void ffmpegPublishesAndPlaysThroughTheTunnel() throws Exception {
    Path flv = Media.testFlv(MEDIA_SECONDS);
    Path dir = workDir.resolve("ffmpeg-to-ffmpeg");
    String url = rtmptUrl("a");
    Path out = dir.resolve("ffmpeg-play.flv");

    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(gateway.registry())) {
      PeerProcess publisher = peers.publish(flv, url, true);
      assertThat(nginx.awaitPublishing("live", "a", PUBLISH_TIMEOUT))
          .as(() -> "live/a never published through the gateway\n" + diagnostics(peers, watch))
          .isTrue();
      // Only the publisher is connected yet: its session is the one the registry holds.
      List<GatewaySession> beforePlayer = watch.sample();
      assertThat(beforePlayer)
          .as(() -> "sessions while only the publisher runs\n" + diagnostics(peers, watch))
          .hasSize(1);
      GatewaySession publisherSession = beforePlayer.get(0);

      PeerProcess player = peers.play(url, out, FFMPEG_PLAY_SECONDS);
      assertThat(Poll.until(CONNECT_TIMEOUT, POLL, () -> watch.maxConcurrent() >= 2))
          .as(
              () ->
                  "the gateway never held publisher and player at once\n"
                      + diagnostics(peers, watch))
          .isTrue();

      OptionalInt playerExit = player.awaitExit(Duration.ofSeconds(FFMPEG_PLAY_SECONDS + 25));
      OptionalInt publisherExit = publisher.awaitExit(Duration.ofSeconds(MEDIA_SECONDS + 20));
      assertThat(playerExit)
          .as(() -> "ffmpeg player exit status\n" + diagnostics(peers, watch))
          .hasValue(0);
      assertThat(publisherExit)
          .as(() -> "ffmpeg publisher exit status\n" + diagnostics(peers, watch))
          .hasValue(0);

      Frames frames = FrameCounter.count(out);
      assertDrained(peers, watch);
      System.out.printf(
          "RtmptPlaybackIT ffmpeg->ffmpeg: player %s, sessions seen %d, max concurrent %d%n%s",
          frames, watch.seen().size(), watch.maxConcurrent(), watch.describe());
      assertDecodes("ffmpeg player (rtmpt)", frames, peers, watch);

      assertThat(watch.seen())
          .as(() -> "sessions seen by the gateway\n" + diagnostics(peers, watch))
          .hasSizeGreaterThanOrEqualTo(2);
      SessionStats publisherStats = publisherSession.stats();
      assertThat(publisherStats.closeReason())
          .as(() -> "publisher session close reason\n" + diagnostics(peers, watch))
          .isEqualTo(CloseReason.CLIENT_CLOSE);
      // ~8 s of 320x240 H.264 + AAC went up through this session
      assertThat(publisherStats.bytesUpstream())
          .as(() -> "bytes the publisher sent upstream\n" + diagnostics(peers, watch))
          .isGreaterThan(100_000);
      assertAllClosedBy(CloseReason.CLIENT_CLOSE, peers, watch);
    }
  }

  /** ffmpeg publishes straight to nginx; rtmpdump plays through the tunnel. */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void rtmpdumpPlaysThroughTheTunnelWhatFfmpegPublishesDirectly() throws Exception {
    Path flv = Media.testFlv(MEDIA_SECONDS);
    Path dir = workDir.resolve("direct-to-rtmpdump");
    Path out = dir.resolve("rtmpdump-play.flv");

    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(gateway.registry())) {
      PeerProcess publisher = peers.publish(flv, nginx.rtmpUrl("live", "b"), true);
      assertThat(nginx.awaitPublishing("live", "b", PUBLISH_TIMEOUT))
          .as(() -> "live/b never published\n" + diagnostics(peers, watch))
          .isTrue();

      PeerProcess player = peers.rtmpdumpPlay(rtmptUrl("b"), out, RTMPDUMP_PLAY_SECONDS);
      assertThat(Poll.until(CONNECT_TIMEOUT, POLL, () -> watch.maxConcurrent() >= 1))
          .as(() -> "rtmpdump never opened a gateway session\n" + diagnostics(peers, watch))
          .isTrue();

      OptionalInt playerExit = player.awaitExit(Duration.ofSeconds(RTMPDUMP_PLAY_SECONDS + 15));
      // timeout(1) ends rtmpdump with SIGINT and reports 124; rtmpdump closed the FLV by then.
      assertThat(playerExit)
          .as(() -> "rtmpdump did not stop on SIGINT\n" + diagnostics(peers, watch))
          .isPresent();
      OptionalInt publisherExit = publisher.awaitExit(Duration.ofSeconds(MEDIA_SECONDS + 20));
      assertThat(publisherExit)
          .as(() -> "ffmpeg publisher exit status\n" + diagnostics(peers, watch))
          .hasValue(0);

      Frames frames = FrameCounter.count(out);
      assertDrained(peers, watch);
      System.out.printf(
          "RtmptPlaybackIT direct->rtmpdump: player %s (exit %s)%n%s",
          frames, playerExit, watch.describe());
      assertDecodes("rtmpdump player (rtmpt)", frames, peers, watch);
      assertThat(watch.seen())
          .as(() -> "sessions seen by the gateway\n" + diagnostics(peers, watch))
          .hasSize(1);
      assertAllClosedBy(CloseReason.CLIENT_CLOSE, peers, watch);
    }
  }

  /** One publisher and five players (3 ffmpeg, 2 rtmpdump), all through the tunnel at once. */
  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void fivePlayersAndAPublisherShareTheGateway() throws Exception {
    Path flv = Media.testFlv(CONCURRENT_MEDIA_SECONDS);
    Path dir = workDir.resolve("concurrent");
    String url = rtmptUrl("c");
    int ffmpegPlayers = 3;
    int rtmpdumpPlayers = 2;
    int sessions = 1 + ffmpegPlayers + rtmpdumpPlayers;

    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(gateway.registry())) {
      PeerProcess publisher = peers.publish(flv, url, true);
      assertThat(nginx.awaitPublishing("live", "c", PUBLISH_TIMEOUT))
          .as(() -> "live/c never published through the gateway\n" + diagnostics(peers, watch))
          .isTrue();

      List<PeerProcess> players = new ArrayList<>();
      List<Path> outputs = new ArrayList<>();
      for (int i = 0; i < ffmpegPlayers; i++) {
        Path out = dir.resolve("ffmpeg-play-" + i + ".flv");
        outputs.add(out);
        players.add(peers.play(url, out, FFMPEG_PLAY_SECONDS));
      }
      for (int i = 0; i < rtmpdumpPlayers; i++) {
        Path out = dir.resolve("rtmpdump-play-" + i + ".flv");
        outputs.add(out);
        players.add(peers.rtmpdumpPlay(url, out, RTMPDUMP_PLAY_SECONDS));
      }

      AtomicInteger maxUpstreamClients = new AtomicInteger();
      boolean allConnected =
          Poll.until(
              CONNECT_TIMEOUT,
              POLL,
              () ->
                  watch.maxConcurrent() >= sessions
                      & maxUpstreamClients.accumulateAndGet(nginx.connectedClients(), Math::max)
                          >= sessions);
      assertThat(allConnected)
          .as(
              () ->
                  "expected "
                      + sessions
                      + " concurrent gateway sessions and nginx clients; nginx max "
                      + maxUpstreamClients
                      + "\n"
                      + diagnostics(peers, watch))
          .isTrue();

      List<OptionalInt> exits = new ArrayList<>();
      for (PeerProcess player : players) {
        exits.add(player.awaitExit(Duration.ofSeconds(FFMPEG_PLAY_SECONDS + 25)));
      }
      OptionalInt publisherExit =
          publisher.awaitExit(Duration.ofSeconds(CONCURRENT_MEDIA_SECONDS + 20));
      for (int i = 0; i < players.size(); i++) {
        String name = players.get(i).name();
        OptionalInt exit = exits.get(i);
        assertThat(exit).as(() -> name + " did not end\n" + diagnostics(peers, watch)).isPresent();
        if (i < ffmpegPlayers) {
          assertThat(exit)
              .as(() -> name + " exit status\n" + diagnostics(peers, watch))
              .hasValue(0);
        }
      }
      assertThat(publisherExit)
          .as(() -> "ffmpeg publisher exit status\n" + diagnostics(peers, watch))
          .hasValue(0);

      List<Frames> frames = new ArrayList<>();
      for (Path out : outputs) {
        frames.add(FrameCounter.count(out));
      }
      assertDrained(peers, watch);
      System.out.printf(
          "RtmptPlaybackIT concurrent: players %s, max concurrent sessions %d, nginx max clients"
              + " %d%n%s",
          frames, watch.maxConcurrent(), maxUpstreamClients.get(), watch.describe());
      for (int i = 0; i < outputs.size(); i++) {
        assertDecodes(players.get(i).name(), frames.get(i), peers, watch);
      }
      assertThat(watch.seen())
          .as(() -> "sessions seen by the gateway\n" + diagnostics(peers, watch))
          .hasSize(sessions);
      assertAllClosedBy(CloseReason.CLIENT_CLOSE, peers, watch);
    }
  }

  private static String rtmptUrl(String stream) {
    return "rtmpt://127.0.0.1:" + gateway.httpPort() + "/live/" + stream;
  }

  /** Every client has exited: the registry must be empty again, well before any reaper runs. */
  private static void assertDrained(Peers peers, SessionWatch watch) throws InterruptedException {
    assertThat(watch.awaitEmpty(DRAIN_TIMEOUT))
        .as(
            () ->
                "gateway still holds sessions after every client exited\n"
                    + diagnostics(peers, watch))
        .isTrue();
  }

  private static void assertAllClosedBy(CloseReason reason, Peers peers, SessionWatch watch) {
    for (GatewaySession session : watch.seen()) {
      assertThat(session.stats().closeReason())
          .as(() -> "close reason of " + session + "\n" + diagnostics(peers, watch))
          .isEqualTo(reason);
    }
  }

  private static void assertDecodes(String who, Frames frames, Peers peers, SessionWatch watch) {
    assertThat(frames.video())
        .as(() -> who + ": decoded video frames " + frames + "\n" + diagnostics(peers, watch))
        .isGreaterThanOrEqualTo(MIN_VIDEO_FRAMES);
    assertThat(frames.audio())
        .as(() -> who + ": decoded audio frames " + frames + "\n" + diagnostics(peers, watch))
        .isGreaterThanOrEqualTo(MIN_AUDIO_FRAMES);
  }

  private static String diagnostics(Peers peers, SessionWatch watch) {
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
