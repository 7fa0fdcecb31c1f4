package org.rtmpgw.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test media generated with ffmpeg into a cache directory, once per JVM and per parameter set.
 *
 * <p>The directory is the system property {@code it.media.dir} (the POM passes {@code
 * target/media}), else {@code target/media} under the working directory. Files are written under a
 * temporary name and moved into place, so a killed run never leaves a half file behind that a later
 * JVM would trust (each JVM regenerates anyway).
 */
public final class Media {

  /** Video frame rate of generated media; one keyframe per second. */
  public static final int FPS = 25;

  /** Audio sample rate; AAC frames carry 1024 samples, so ~43 audio frames per second. */
  public static final int AUDIO_RATE = 44_100;

  private static final Duration GENERATE_TIMEOUT = Duration.ofSeconds(120);

  /** Guarded by the class lock. */
  private static final Map<String, Path> GENERATED = new HashMap<>();

  private Media() {}

  public static Path cacheDir() {
    return Path.of(System.getProperty("it.media.dir", "target/media")).toAbsolutePath();
  }

  /**
   * H.264 (libx264 ultrafast/zerolatency, 320x240 testsrc2, {@value #FPS} fps, keyframe every
   * second, no scene-cut keyframes) plus AAC (1 kHz sine, mono) in FLV, {@code seconds} long.
   */
  public static synchronized Path testFlv(int seconds) throws IOException, InterruptedException {
    String fileName = "testsrc2-320x240-" + FPS + "fps-aac-" + seconds + "s.flv";
    Path cached = GENERATED.get(fileName);
    if (cached != null && Files.isRegularFile(cached)) {
      return cached;
    }
    Path dir = cacheDir();
    Files.createDirectories(dir);
    Path target = dir.resolve(fileName);
    Path partial = dir.resolve(fileName + ".partial.flv");
    List<String> command =
        List.of(
            "timeout",
            "-k",
            "5",
            Long.toString(GENERATE_TIMEOUT.toSeconds()),
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=" + FPS,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=1000:sample_rate=" + AUDIO_RATE,
            "-t",
            Integer.toString(seconds),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-pix_fmt",
            "yuv420p",
            "-g",
            Integer.toString(FPS),
            "-keyint_min",
            Integer.toString(FPS),
            "-sc_threshold",
            "0",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-f",
            "flv",
            partial.toString());
    PeerProcess ffmpeg =
        PeerProcess.run("ffmpeg-generate", dir, command, GENERATE_TIMEOUT.plusSeconds(10));
    if (ffmpeg.exitCode().orElse(-1) != 0 || !Files.isRegularFile(partial)) {
      throw new IllegalStateException("cannot generate " + target + "\n" + ffmpeg.describe());
    }
    FrameCounter.Frames frames = FrameCounter.count(partial);
    if (frames.video() == 0 || frames.audio() == 0) {
      throw new IllegalStateException("generated " + partial + " does not decode: " + frames);
    }
    Files.move(
        partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    GENERATED.put(fileName, target);
    return target;
  }
}
