package org.rtmpgw.it.load;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started as a child process with its own open-file limit (through {@code prlimit}, which
 * execs the command, so the handle's pid is the JVM's), and what {@code /proc} and {@code jcmd}
 * tell about it. Stopped by its own handle only.
 */
final class ChildJvm implements AutoCloseable {
  private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");
  private static final long JCMD_TIMEOUT_SECONDS = 120;

  private final String name;
  private final Process process;
  private final Path log;

  private ChildJvm(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code java <javaArgs>}, output to {@code log}. When {@code nofile} is above this
   * process's own soft open-file limit, the child gets it (soft and hard) through prlimit; raising
   * it above our hard limit needs CAP_SYS_RESOURCE, so callers cap it with {@link
   * #childFileLimit}. (A JVM raises its own soft limit to the hard one at start.)
   */
  static ChildJvm start(String name, long nofile, Path log, List<String> javaArgs) throws IOException {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(PRLIMIT) && nofile > Proc.maxOpenFiles(Path.of("/proc/self/limits"))) {
      command.addAll(List.of(PRLIMIT.toString(), "--nofile=" + nofile + ":" + nofile, "--"));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(javaArgs);
    Files.createDirectories(log.getParent());
    Process p = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    return new ChildJvm(name, p, log);
  }

  /** {@code wanted}, capped at what a child can get: this process's hard open-file limit. */
  static long childFileLimit(long wanted) throws IOException {
    return Math.min(wanted, Proc.maxOpenFilesHard(Path.of("/proc/self/limits")));
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  /** User + system CPU ticks (1/100 s) of the whole process so far. */
  long cpuTicks() throws IOException {
    return Proc.cpuTicks(Path.of("/proc/" + pid() + "/stat"));
  }

  /** A field of {@code /proc/<pid>/status} ({@code Threads}, {@code VmRSS} ...) as a number. */
  long status(String field) throws IOException {
    return Proc.statusField(pid(), field);
  }

  /** Open file descriptors now. */
  long openFds() throws IOException {
    return Proc.openFds(pid());
  }

  /** The "Max open files" soft limit the process runs with. */
  long maxOpenFiles() throws IOException {
    return Proc.maxOpenFiles(pid());
  }

  /** Runs {@code jcmd <pid> <args>} (bounded) and returns its output. */
  String jcmd(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    command.add(Long.toString(pid()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(log.getParent(), "jcmd", ".txt");
    try {
      Process p = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(out.toFile())
          .start();
      if (!p.waitFor(JCMD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new IOException("jcmd " + String.join(" ", args) + " did not finish in "
            + JCMD_TIMEOUT_SECONDS + " s");
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException("jcmd " + String.join(" ", args) + " exited " + p.exitValue() + ": " + text);
      }
      return text;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** Last lines of the log, for failure messages. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** SIGTERM, up to {@code graceSeconds} to exit, then SIGKILL (bounded). True if it exited. */
  boolean stop(long graceSeconds) throws InterruptedException {
    if (!process.isAlive()) {
      return true;
    }
    process.destroy();
    if (process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
      return true;
    }
    process.destroyForcibly();
    return process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    stop(30);
  }

  @Override
  public String toString() {
    return name + " pid " + pid();
  }
}
