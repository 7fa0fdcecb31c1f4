package org.rtmpgw.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of a process or thread, read from {@code /proc}. */
final class ProcCpu {
  /** USER_HZ: 100 on every Linux architecture this runs on. */
  static final long CLOCK_TICKS_PER_SECOND = 100;

  private ProcCpu() {}

  /** User + system CPU seconds a process (all its threads, live and ended) has used so far. */
  static double seconds(long pid) throws IOException {
    return ticks(Path.of("/proc/" + pid + "/stat")) / (double) CLOCK_TICKS_PER_SECOND;
  }

  /** utime + stime of a {@code /proc/.../stat} file, in clock ticks. */
  static long ticks(Path stat) throws IOException {
    String text = Files.readString(stat);
    String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
    // fields after the command: state is f[0]; utime is field 14 overall, i.e. f[11]
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
