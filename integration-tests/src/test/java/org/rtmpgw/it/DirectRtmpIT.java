package org.rtmpgw.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.it.harness.FrameCounter;
import org.rtmpgw.it.harness.FrameCounter.Frames;
import org.rtmpgw.it.harness.Media;
import org.rtmpgw.it.harness.NginxRtmp;
import org.rtmpgw.it.harness.PeerProcess;
import org.rtmpgw.it.harness.Peers;
import org.rtmpgw.it.harness.Poll;

/**
 * The harness against the real peers with no gateway in between: ffmpeg publishes to nginx-rtmp
 * over plain RTMP while ffmpeg and rtmpdump play the stream; both recordings must decode.
 *
 * <p>This is the baseline the tunnelled tests are compared with: if it fails, the machine (or the
 * harness), not the gateway, is broken.
 */
class DirectRtmpIT {

  /**
   * Length of the published file. Players join ~0.3-1 s after the publish starts and need 4-5 s; an
   * ffmpeg player whose stream ends before its {@code -t} hangs until killed, hence the slack.
   */
  private static final int MEDIA_SECONDS = 8;

  private static final int FFMPEG_PLAY_SECONDS = 4;
  private static final int RTMPDUMP_PLAY_SECONDS = 5;

  /**
   * ≥ 2.4 s of decodable video at 25 fps. ffmpeg's stream copy starts at the first keyframe (up to
   * 1 s after joining), so 4 s of play yield ~75-100 frames; rtmpdump's 5 s yield ~100-120.
   */
  private static final long MIN_VIDEO_FRAMES = 60;

  /** ≥ ~1 s of decodable AAC (43 frames per second at 44.1 kHz). */
  private static final long MIN_AUDIO_FRAMES = 40;

  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STAT_TIMEOUT = Duration.ofSeconds(10);
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

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void ffmpegAndRtmpdumpPlayALiveStreamThatFfmpegPublishes() throws Exception {
    Path flv = Media.testFlv(MEDIA_SECONDS);
    Path dir = workDir.resolve("live-play");
    String url = nginx.rtmpUrl("live", "s1");
    Path ffmpegOut = dir.resolve("ffmpeg-play.flv");
    Path rtmpdumpOut = dir.resolve("rtmpdump-play.flv");

    try (Peers peers = new Peers(dir)) {
      PeerProcess publisher = peers.publish(flv, url, true);
      assertThat(nginx.awaitPublishing("live", "s1", PUBLISH_TIMEOUT))
          .as(() -> "stream live/s1 never published\n" + diagnostics(peers))
          .isTrue();

      PeerProcess ffmpegPlayer = peers.play(url, ffmpegOut, FFMPEG_PLAY_SECONDS);
      PeerProcess rtmpdumpPlayer = peers.rtmpdumpPlay(url, rtmpdumpOut, RTMPDUMP_PLAY_SECONDS);

      // The upstream sees the publisher and both players while they play.
      AtomicInteger maxClients = new AtomicInteger();
      boolean allConnected =
          Poll.until(
              STAT_TIMEOUT,
              POLL,
              () -> maxClients.accumulateAndGet(nginx.connectedClients(), Math::max) >= 3);
      assertThat(allConnected)
          .as(
              () ->
                  "nginx /stat never listed 3 clients (max "
                      + maxClients
                      + ")\n"
                      + diagnostics(peers))
          .isTrue();

      OptionalInt ffmpegExit = ffmpegPlayer.awaitExit(Duration.ofSeconds(FFMPEG_PLAY_SECONDS + 25));
      OptionalInt rtmpdumpExit =
          rtmpdumpPlayer.awaitExit(Duration.ofSeconds(RTMPDUMP_PLAY_SECONDS + 15));
      OptionalInt publisherExit = publisher.awaitExit(Duration.ofSeconds(MEDIA_SECONDS + 15));

      assertThat(ffmpegExit)
          .as(() -> "ffmpeg player exit status\n" + diagnostics(peers))
          .hasValue(0);
      // timeout(1) ends rtmpdump with SIGINT and reports 124; rtmpdump closed the FLV by then.
      assertThat(rtmpdumpExit)
          .as(() -> "rtmpdump did not stop on SIGINT\n" + diagnostics(peers))
          .isPresent();
      assertThat(publisherExit)
          .as(() -> "ffmpeg publisher exit status\n" + diagnostics(peers))
          .hasValue(0);

      Frames ffmpegFrames = FrameCounter.count(ffmpegOut);
      Frames rtmpdumpFrames = FrameCounter.count(rtmpdumpOut);
      System.out.printf(
          "DirectRtmpIT: ffmpeg player %s, rtmpdump player %s, max clients %d%n",
          ffmpegFrames, rtmpdumpFrames, maxClients.get());
      assertDecodes("ffmpeg player", ffmpegFrames, peers);
      assertDecodes("rtmpdump player", rtmpdumpFrames, peers);

      // Every peer has exited: nginx must have seen every connection close.
      assertThat(Poll.until(STAT_TIMEOUT, POLL, () -> nginx.connectedClients() == 0))
          .as(() -> "nginx still lists clients after all peers exited\n" + diagnostics(peers))
          .isTrue();
    }
  }

  private static void assertDecodes(String who, Frames frames, Peers peers) {
    assertThat(frames.video())
        .as(() -> who + ": decoded video frames " + frames + "\n" + diagnostics(peers))
        .isGreaterThanOrEqualTo(MIN_VIDEO_FRAMES);
    assertThat(frames.audio())
        .as(() -> who + ": decoded audio frames " + frames + "\n" + diagnostics(peers))
        .isGreaterThanOrEqualTo(MIN_AUDIO_FRAMES);
  }

  private static String diagnostics(Peers peers) {
    String stat;
    try {
      stat = nginx.stat().toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stat = "(interrupted)";
    } catch (Exception e) {
      stat = "(no /stat: " + e + ")";
    }
    return nginx.describe() + "    /stat: " + stat + "\n" + peers.describeAll();
  }
}
