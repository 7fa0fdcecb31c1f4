package org.rtmpgw.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Counts the frames of a media file that actually <em>decode</em>: {@code ffprobe -count_frames} on
 * the first video and the first audio stream.
 *
 * <p>A file that ffprobe cannot open or decode yields zero for the stream concerned, never an
 * exception; what ffprobe said is kept in {@link Frames#errors()} for the assertion message.
 * ffprobe's logs go next to the probed file.
 */
public final class FrameCounter {

  /** Bound on one ffprobe run (decoding a few seconds of 320x240 takes well under a second). */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Decoded frame counts.
   *
   * @param errors what ffprobe reported (empty if nothing), for messages only
   */
  public record Frames(long video, long audio, String errors) {

    public Frames(long video, long audio) {
      this(video, audio, "");
    }

    @Override
    public String toString() {
      return "Frames{video="
          + video
          + ", audio="
          + audio
          + (errors.isEmpty() ? "" : ", ffprobe said:\n" + errors)
          + "}";
    }
  }

  private FrameCounter() {}

  /** Decodes {@code file} (twice: video, then audio) and counts the frames. */
  public static Frames count(Path file) throws IOException, InterruptedException {
    if (!Files.isRegularFile(file)) {
      return new Frames(0, 0, "no such file: " + file);
    }
    StringBuilder errors = new StringBuilder();
    long video = countStream(file, "v:0", errors);
    long audio = countStream(file, "a:0", errors);
    return new Frames(video, audio, errors.toString().strip());
  }

  private static long countStream(Path file, String selector, StringBuilder errors)
      throws IOException, InterruptedException {
    List<String> command =
        List.of(
            "timeout",
            "-k",
            "5",
            Long.toString(PROBE_TIMEOUT.toSeconds()),
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            selector,
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
            file.toString());
    Path logDir = file.toAbsolutePath().getParent();
    String label = "ffprobe-" + file.getFileName() + "-" + selector.charAt(0);
    PeerProcess probe = PeerProcess.run(label, logDir, command, PROBE_TIMEOUT.plusSeconds(10));
    String stderr = Files.readString(probe.stderrLog(), StandardCharsets.UTF_8).strip();
    String stdout = Files.readString(probe.stdoutLog(), StandardCharsets.UTF_8).strip();
    int exit = probe.exitCode().orElse(-1);
    if (exit != 0 || !stderr.isEmpty()) {
      errors.append('[').append(selector).append(", exit ").append(exit).append("] ");
      errors.append(stderr.isEmpty() ? "(no stderr)" : abbreviate(stderr)).append('\n');
    }
    String first = stdout.lines().findFirst().orElse("").replace(",", "").strip();
    if (exit != 0 || first.isEmpty() || !first.chars().allMatch(Character::isDigit)) {
      return 0; // no such stream, "N/A", or an undecodable file
    }
    return Long.parseLong(first);
  }

  private static String abbreviate(String text) {
    List<String> lines = text.lines().toList();
    if (lines.size() <= 20) {
      return text;
    }
    return String.join("\n", lines.subList(0, 10))
        + "\n... ("
        + (lines.size() - 20)
        + " lines) ...\n"
        + String.join("\n", lines.subList(lines.size() - 10, lines.size()));
  }
}
