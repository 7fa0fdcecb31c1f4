package org.rtmpgw.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the real RTMP clients (ffmpeg, rtmpdump) for one test and owns them: {@link #close()}
 * stops every process started here, by its handle, newest first.
 *
 * <p>Every command runs under {@code timeout -k 5 <bound>} as a second, external bound: ffmpeg
 * ignores the first SIGTERM while blocked on the network, and a hung peer must not outlive the
 * test. Logs go to {@code workDir}; {@link #describeAll()} returns their tails for messages.
 *
 * <p>Thread-safety: the process list is guarded by {@code this}.
 */
public final class Peers implements AutoCloseable {

  /** Hard bound for a publisher, far above the media used by the tests. */
  public static final Duration DEFAULT_PUBLISH_BOUND = Duration.ofSeconds(120);

  /** Extra time a player gets beyond its nominal duration (connect, probe, a late stream). */
  private static final int PLAY_SLACK_SECONDS = 20;

  /** Seconds between the polite signal of {@code timeout} and its SIGKILL. */
  private static final String KILL_AFTER_SECONDS = "5";

  private static final List<Path> PROGRAMS =
      List.of(
          Path.of("/usr/bin/timeout"),
          Path.of("/usr/bin/ffmpeg"),
          Path.of("/usr/bin/ffprobe"),
          Path.of("/usr/bin/rtmpdump"));

  private final Path workDir;
  private final List<PeerProcess> started = new ArrayList<>();

  public Peers(Path workDir) {
    this.workDir = workDir;
  }

  /** True if timeout, ffmpeg, ffprobe and rtmpdump are installed (for assumptions). */
  public static boolean isAvailable() {
    return PROGRAMS.stream().allMatch(Files::isExecutable);
  }

  public Path workDir() {
    return workDir;
  }

  /**
   * {@code ffmpeg [-re] -i flv -c copy -f flv url}: publishes a file; the returned process exits by
   * itself at the end of the file.
   *
   * @param realtime {@code -re}: read the input at its native rate, as a live encoder would
   */
  public PeerProcess publish(Path flv, String url, boolean realtime) throws IOException {
    return publish(flv, url, realtime, DEFAULT_PUBLISH_BOUND);
  }

  public PeerProcess publish(Path flv, String url, boolean realtime, Duration bound)
      throws IOException {
    List<String> command = new ArrayList<>(timeout(null, bound.toSeconds()));
    command.addAll(List.of("ffmpeg", "-nostdin", "-hide_banner"));
    if (realtime) {
      command.add("-re");
    }
    command.addAll(List.of("-i", flv.toString(), "-c", "copy", "-f", "flv", url));
    return start("ffmpeg-publish", command);
  }

  /**
   * {@code ffmpeg -i url -t seconds -c copy -f flv out}: plays {@code seconds} of a stream into a
   * file and exits by itself. Stream copy drops packets before the first keyframe, so the output
   * starts at a keyframe.
   */
  public PeerProcess play(String url, Path outFlv, int seconds) throws IOException {
    List<String> command = new ArrayList<>(timeout(null, seconds + PLAY_SLACK_SECONDS));
    command.addAll(
        List.of(
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-y",
            "-i",
            url,
            "-t",
            Integer.toString(seconds),
            "-c",
            "copy",
            "-f",
            "flv",
            outFlv.toString()));
    return start("ffmpeg-play", command);
  }

  /**
   * {@code rtmpdump -r url -o out -v}: records a live stream for {@code seconds}, then {@code
   * timeout} sends SIGINT (rtmpdump's {@code --stop}/{@code -B} do not end a live stream joined
   * mid-way) and rtmpdump closes the FLV. Expect exit status 124 from {@code timeout}; validate the
   * file, not the status.
   */
  public PeerProcess rtmpdumpPlay(String url, Path outFlv, int seconds) throws IOException {
    List<String> command = new ArrayList<>(timeout("INT", seconds));
    command.addAll(List.of("rtmpdump", "-r", url, "-o", outFlv.toString(), "-v"));
    return start("rtmpdump-play", command);
  }

  /** Starts any command (already wrapped in {@code timeout} by the caller) owned by this. */
  public synchronized PeerProcess start(String label, List<String> command) throws IOException {
    PeerProcess peer = PeerProcess.start(label, workDir, command);
    started.add(peer);
    return peer;
  }

  /** {@code timeout [-s signal] -k 5 seconds}. */
  public static List<String> timeout(String signal, long seconds) {
    List<String> prefix = new ArrayList<>(List.of("timeout"));
    if (signal != null) {
      prefix.addAll(List.of("-s", signal));
    }
    prefix.addAll(List.of("-k", KILL_AFTER_SECONDS, Long.toString(seconds)));
    return prefix;
  }

  /** Every process started here, with the tails of its logs. */
  public synchronized String describeAll() {
    StringBuilder sb = new StringBuilder();
    for (PeerProcess peer : started) {
      sb.append(peer.describe());
    }
    return sb.toString();
  }

  /** Stops every process still running, newest first. */
  @Override
  public void close() {
    List<PeerProcess> copy;
    synchronized (this) {
      copy = new ArrayList<>(started);
    }
    for (int i = copy.size() - 1; i >= 0; i--) {
      copy.get(i).close();
    }
  }
}
