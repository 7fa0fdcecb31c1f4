package org.rtmpgw.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.rtmpgw.it.harness.Media;

/** The benchmark's media, generated once into the media cache and reused across runs. */
final class BenchMedia {
  private BenchMedia() {}

  /** ~150 MB: 60 s of 1280x720 noisy test pattern at 20 Mbit/s plus AAC, for throughput. */
  static Path highBitrate() throws IOException, InterruptedException {
    return generate(
        "bench-720p-20mbit-60s.flv",
        List.of(
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=30:allf=t",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "60", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "20M",
            "-maxrate", "20M", "-bufsize", "4M", "-g", "60", "-c:a", "aac", "-b:a", "128k"));
  }

  /** A live-like ~2 Mbit/s stream: 640x360, 25 fps, keyframe every second, AAC; 40 s. */
  static Path live2Mbit() throws IOException, InterruptedException {
    return generate(
        "bench-360p-2mbit-40s.flv",
        List.of(
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25,noise=alls=12:allf=t",
            "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100",
            "-t", "40", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
            "-b:v", "2M", "-maxrate", "2M", "-bufsize", "1M", "-g", "25", "-keyint_min", "25",
            "-c:a", "aac", "-b:a", "96k"));
  }

  private static Path generate(String name, List<String> encode)
      throws IOException, InterruptedException {
    Path dir = Media.cacheDir();
    Files.createDirectories(dir);
    Path target = dir.resolve(name);
    if (Files.isRegularFile(target) && Files.size(target) > 0) {
      return target;
    }
    Path partial = dir.resolve(name + ".partial.flv");
    List<String> command =
        new ArrayList<>(List.of("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"));
    command.addAll(encode);
    command.addAll(List.of("-f", "flv", partial.toString()));
    Process p = new ProcessBuilder(command).inheritIO().start();
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("could not generate " + name);
    }
    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }
}
