package org.rtmpgw.it.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Figures of a Linux process read from {@code /proc}. */
final class Proc {
  /** USER_HZ: 100 on every Linux architecture this runs on. */
  static final long CLOCK_TICKS_PER_SECOND = 100;

  private Proc() {}

  /** utime + stime of a {@code /proc/.../stat} file, in clock ticks. */
  static long cpuTicks(Path stat) throws IOException {
    // readAllLines, not readString: a /proc file reports size 0, and readString may stop short
    String text = String.join("\n", Files.readAllLines(stat));
    String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
    // fields after the command: state is f[0]; utime is field 14 overall, i.e. f[11]
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** CPU ticks of this JVM (the load client). */
  static long selfCpuTicks() throws IOException {
    return cpuTicks(Path.of("/proc/self/stat"));
  }

  /** Busy (not idle, not iowait) CPU ticks of the whole machine, summed over its cores. */
  static long machineBusyTicks() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    // cpu user nice system idle iowait irq softirq steal (guest time is already in user)
    for (int i = 1; i <= 8 && i < f.length; i++) {
      if (i != 4 && i != 5) {
        busy += Long.parseLong(f[i]);
      }
    }
    return busy;
  }

  /** The 1-minute load average. */
  static double loadAverage() throws IOException {
    return Double.parseDouble(Files.readAllLines(Path.of("/proc/loadavg")).get(0).split(" ")[0]);
  }

  /** A numeric field of {@code /proc/<pid>/status}: {@code Threads}, {@code VmRSS} (kB) ... */
  static long statusField(long pid, String field) throws IOException {
    return statusField(Path.of("/proc/" + pid + "/status"), field);
  }

  static long statusField(Path status, String field) throws IOException {
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith(field + ":")) {
        String v = line.substring(field.length() + 1).trim().split("\\s+")[0];
        return Long.parseLong(v);
      }
    }
    throw new IOException("no " + field + " in " + status);
  }

  static long openFds(long pid) throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return s.count();
    }
  }

  static long maxOpenFiles(long pid) throws IOException {
    return maxOpenFiles(Path.of("/proc/" + pid + "/limits"));
  }

  /** Soft "Max open files" of a {@code /proc/.../limits} file. */
  static long maxOpenFiles(Path limits) throws IOException {
    for (String line : Files.readAllLines(limits)) {
      if (line.startsWith("Max open files")) {
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        return "unlimited".equals(f[0]) ? Long.MAX_VALUE : Long.parseLong(f[0]);
      }
    }
    throw new IOException("no Max open files in " + limits);
  }

  /** Hard "Max open files" of a {@code /proc/.../limits} file. */
  static long maxOpenFilesHard(Path limits) throws IOException {
    for (String line : Files.readAllLines(limits)) {
      if (line.startsWith("Max open files")) {
        String[] f = line.substring("Max open files".length()).trim().split("\\s+");
        return "unlimited".equals(f[1]) ? Long.MAX_VALUE : Long.parseLong(f[1]);
      }
    }
    throw new IOException("no Max open files in " + limits);
  }
}
