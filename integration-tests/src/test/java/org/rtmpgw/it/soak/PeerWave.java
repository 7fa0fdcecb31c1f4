package org.rtmpgw.it.soak;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.rtmpgw.it.harness.FrameCounter;
import org.rtmpgw.it.harness.NginxRtmp;
import org.rtmpgw.it.harness.PeerProcess;
import org.rtmpgw.it.harness.Peers;
import org.rtmpgw.it.harness.Poll;
import org.rtmpgw.it.harness.RtmpStat;

/**
 * The real peers of one soak wave, all through the gateway and all at once, while the soak's own
 * clients churn next to them:
 *
 * <ul>
 *   <li>a publisher ({@code ffmpeg -re}, RTMPT) of a short clip, which must end by itself (exit 0);
 *   <li>three players of that stream that must run to their end and decode: ffmpeg over RTMPT,
 *       rtmpdump over RTMPT, and ffmpeg over RTMPS or RTMPTS (alternating by wave);
 *   <li>a second publisher (RTMPT) and a second ffmpeg player (RTMPT or RTMPS), both SIGKILLed
 *       mid-stream through their own process handles: the gateway must reap what they leave.
 * </ul>
 *
 * <p>Each peer opens exactly one gateway session. Peers run under {@code timeout} (see {@link
 * Peers}); everything started here is stopped by {@link Peers#close()} at the latest.
 */
public final class PeerWave {

  /** Seconds each surviving player records. */
  public static final int PLAY_SECONDS = 4;

  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration PUBLISHER_BOUND = Duration.ofSeconds(60);

  /** How long the victims go on streaming next to the joining players before they are killed. */
  private static final long VICTIM_MILLIS = 1_500;

  /** Bound on the victim player joining the stream. */
  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(20);

  /** A player that ran to its end: its output decoded. */
  public record Played(String label, PeerProcess process, Path out, OptionalInt exit) {}

  /**
   * What the wave did.
   *
   * @param sessions gateway sessions the peers opened, by transport (one per peer)
   * @param killed peers SIGKILLed mid-stream
   */
  public record Result(
      int wave,
      Map<String, Integer> sessions,
      int killed,
      OptionalInt publisherExit,
      List<Played> players,
      String failure) {

    public int sessionCount() {
      return sessions.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  private final int wave;
  private final Peers peers;
  private final NginxRtmp nginx;
  private final int plainPort;
  private final int tlsPort;
  private final Path flv;

  public PeerWave(int wave, Peers peers, NginxRtmp nginx, int plainPort, int tlsPort, Path flv) {
    this.wave = wave;
    this.peers = peers;
    this.nginx = nginx;
    this.plainPort = plainPort;
    this.tlsPort = tlsPort;
    this.flv = flv;
  }

  /** Runs the wave to its end (bounded); never throws for a peer failure, reports it instead. */
  public Result run() throws IOException, InterruptedException {
    String stream = "soak" + wave;
    String victimStream = "victim" + wave;
    String rtmpt = "rtmpt://127.0.0.1:" + plainPort + "/live/";
    boolean tlsRaw = wave % 2 == 1;
    String tlsPlayUrl =
        (tlsRaw ? "rtmps://127.0.0.1:" : "rtmpts://127.0.0.1:") + tlsPort + "/live/" + stream;
    String victimPlayUrl =
        tlsRaw ? rtmpt + stream : "rtmps://127.0.0.1:" + tlsPort + "/live/" + stream;
    Map<String, Integer> sessions = new TreeMap<>();

    PeerProcess publisher = peers.publish(flv, rtmpt + stream, true, PUBLISHER_BOUND);
    PeerProcess victimPublisher = peers.publish(flv, rtmpt + victimStream, true, PUBLISHER_BOUND);
    sessions.merge("rtmpt", 2, Integer::sum);
    if (!nginx.awaitPublishing("live", stream, PUBLISH_TIMEOUT)
        || !nginx.awaitPublishing("live", victimStream, PUBLISH_TIMEOUT)) {
      return new Result(wave, sessions, 0, OptionalInt.empty(), List.of(), "wave " + wave + ": streams never published");
    }
    // The victim player joins first and is killed only once nginx serves it, so it surely holds
    // a gateway session however slowly this machine starts processes.
    Path dir = peers.workDir();
    PeerProcess victimPlayer = peers.play(victimPlayUrl, dir.resolve("victim-" + wave + ".flv"), 60);
    sessions.merge(tlsRaw ? "rtmpt" : "rtmps", 1, Integer::sum);
    boolean joined =
        Poll.until(
            JOIN_TIMEOUT,
            Duration.ofMillis(100),
            () ->
                nginx.stat().stream("live", stream).map(RtmpStat.Stream::clients).orElse(0) >= 2);
    List<Played> players = new ArrayList<>();
    Path ffmpegOut = dir.resolve("ffmpeg-rtmpt-" + wave + ".flv");
    players.add(
        new Played(
            "ffmpeg rtmpt",
            peers.play(rtmpt + stream, ffmpegOut, PLAY_SECONDS),
            ffmpegOut,
            OptionalInt.empty()));
    Path dumpOut = dir.resolve("rtmpdump-rtmpt-" + wave + ".flv");
    players.add(
        new Played(
            "rtmpdump rtmpt",
            peers.rtmpdumpPlay(rtmpt + stream, dumpOut, PLAY_SECONDS + 1),
            dumpOut,
            OptionalInt.empty()));
    Path tlsOut = dir.resolve("ffmpeg-" + (tlsRaw ? "rtmps" : "rtmpts") + "-" + wave + ".flv");
    players.add(
        new Played(
            "ffmpeg " + (tlsRaw ? "rtmps" : "rtmpts"),
            peers.play(tlsPlayUrl, tlsOut, PLAY_SECONDS),
            tlsOut,
            OptionalInt.empty()));
    sessions.merge("rtmpt", 2, Integer::sum); // ffmpeg and rtmpdump
    sessions.merge(tlsRaw ? "rtmps" : "rtmpts", 1, Integer::sum);

    Thread.sleep(VICTIM_MILLIS);
    int killed = kill(victimPlayer) + kill(victimPublisher);

    List<Played> ended = new ArrayList<>();
    for (Played p : players) {
      OptionalInt exit = p.process().awaitExit(Duration.ofSeconds(PLAY_SECONDS + 40));
      ended.add(new Played(p.label(), p.process(), p.out(), exit));
    }
    OptionalInt publisherExit = publisher.awaitExit(PUBLISHER_BOUND);
    String failure =
        joined ? null : "wave " + wave + ": the victim player never joined live/" + stream;
    return new Result(wave, sessions, killed, publisherExit, ended, failure);
  }

  /**
   * SIGKILLs the real client under its {@code timeout} wrapper (which cannot pass SIGKILL on) by
   * that client's own process handle; returns 1 if it was running and died.
   */
  private static int kill(PeerProcess wrapped) throws InterruptedException {
    List<ProcessHandle> clients =
        ProcessHandle.of(wrapped.pid()).stream().flatMap(ProcessHandle::descendants).toList();
    int killed = 0;
    for (ProcessHandle client : clients) {
      if (client.destroyForcibly()) {
        try {
          client.onExit().get(5, TimeUnit.SECONDS);
          killed = 1;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          // reported below: the wrapper is still alive
        }
      }
    }
    wrapped.awaitExit(Duration.ofSeconds(5));
    return killed;
  }

  /** Decoded frames of a player's output. */
  public static FrameCounter.Frames frames(Played played) throws IOException, InterruptedException {
    return FrameCounter.count(played.out());
  }
}
