package org.rtmpgw.it.harness;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One external program started by a test (ffmpeg, rtmpdump, ffprobe, nginx, ...).
 *
 * <p>stdin is {@code /dev/null}; stdout and stderr go to files in the given log directory, so the
 * process never blocks on a full pipe and the logs survive for the failure message ({@link
 * #describe()}). The process is stopped only through its own {@link Process} handle: {@link
 * #stop(Duration)} sends SIGTERM, waits, then SIGKILLs the process and any descendants it had (a
 * {@code timeout} wrapper cannot forward a SIGKILL to its child).
 *
 * <p>Thread-safety: all methods may be called from any thread; the fields are final.
 */
public final class PeerProcess implements AutoCloseable {

  /** Grace period after SIGTERM before SIGKILL; covers {@code timeout -k 5}. */
  public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(8);

  /** Lines of each log included in {@link #describe()}. */
  private static final int TAIL_LINES = 25;

  /** Bytes read from the end of a log for the tail (ffmpeg progress lines are long). */
  private static final int TAIL_BYTES = 8 * 1024;

  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private final String name;
  private final List<String> command;
  private final Path stdout;
  private final Path stderr;
  private final Process process;
  private final long startedNanos;

  private PeerProcess(
      String name, List<String> command, Path stdout, Path stderr, Process process) {
    this.name = name;
    this.command = List.copyOf(command);
    this.stdout = stdout;
    this.stderr = stderr;
    this.process = process;
    this.startedNanos = System.nanoTime();
  }

  /**
   * Starts {@code command} with its working directory and logs in {@code logDir}.
   *
   * @param label short name used for the log files ({@code <label>-<n>.stdout.log}) and messages
   */
  public static PeerProcess start(String label, Path logDir, List<String> command)
      throws IOException {
    Files.createDirectories(logDir);
    String name = label + "-" + SEQUENCE.incrementAndGet();
    Path out = logDir.resolve(name + ".stdout.log");
    Path err = logDir.resolve(name + ".stderr.log");
    Process process =
        new ProcessBuilder(command)
            .directory(logDir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    return new PeerProcess(name, command, out, err, process);
  }

  /** Starts a process, waits for it to exit within {@code timeout} and returns it (exited). */
  public static PeerProcess run(String label, Path logDir, List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    PeerProcess peer = start(label, logDir, command);
    if (peer.awaitExit(timeout).isEmpty()) {
      peer.stop(DEFAULT_STOP_GRACE);
      throw new IllegalStateException(
          "did not finish within " + timeout + ", stopped\n" + peer.describe());
    }
    return peer;
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path stdoutLog() {
    return stdout;
  }

  public Path stderrLog() {
    return stderr;
  }

  /** Waits at most {@code timeout}; returns the exit code, or empty if still running. */
  public OptionalInt awaitExit(Duration timeout) throws InterruptedException {
    if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return OptionalInt.of(process.exitValue());
    }
    return OptionalInt.empty();
  }

  /** Exit code if the process has exited, otherwise empty. */
  public OptionalInt exitCode() {
    return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
  }

  /**
   * SIGTERM, wait up to {@code grace}, then SIGKILL to the process and the descendants it had.
   *
   * @return true if the process (and every descendant seen) has exited
   */
  public boolean stop(Duration grace) {
    return stopAfter(grace);
  }

  /** Sends SIGTERM and returns at once (the process may take its time to exit). */
  public void signalTerm() {
    process.destroy();
  }

  private boolean stopAfter(Duration grace) {
    List<ProcessHandle> descendants = process.descendants().toList();
    boolean interrupted = false;
    if (process.isAlive()) {
      process.destroy();
      try {
        process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (process.isAlive()) {
      descendants.forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
    // A wrapper (timeout) may exit on SIGTERM while its child still runs.
    descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    boolean exited = awaitGone(interrupted);
    for (ProcessHandle d : descendants) {
      exited &= !d.isAlive();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return exited;
  }

  private boolean awaitGone(boolean interrupted) {
    if (interrupted) {
      return !process.isAlive();
    }
    try {
      return process.waitFor(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  @Override
  public void close() {
    stop(DEFAULT_STOP_GRACE);
  }

  /** Name, command, state, and the tails of stdout and stderr: for assertion messages. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("--- ").append(name).append(" (pid ").append(process.pid()).append(") ");
    OptionalInt code = exitCode();
    sb.append(code.isPresent() ? "exited " + code.getAsInt() : "running");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    sb.append(", ").append(ms).append(" ms since start\n");
    sb.append("    $ ").append(String.join(" ", command)).append('\n');
    appendTail(sb, "stdout", stdout);
    appendTail(sb, "stderr", stderr);
    return sb.toString();
  }

  private static void appendTail(StringBuilder sb, String label, Path file) {
    List<String> lines = tail(file, TAIL_LINES);
    sb.append("    [").append(label).append(' ').append(file).append("]");
    if (lines.isEmpty()) {
      sb.append(" (empty)\n");
      return;
    }
    sb.append('\n');
    for (String line : lines) {
      sb.append("    | ").append(line).append('\n');
    }
  }

  /**
   * The last {@code maxLines} non-blank lines of a text file; carriage returns (progress lines of
   * ffmpeg and rtmpdump) count as line breaks. Never throws: a read error becomes the one line.
   */
  public static List<String> tail(Path file, int maxLines) {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      int n = (int) Math.min(length, TAIL_BYTES);
      byte[] bytes = new byte[n];
      raf.seek(length - n);
      raf.readFully(bytes);
      String text = new String(bytes, StandardCharsets.UTF_8);
      List<String> lines = new ArrayList<>();
      for (String line : text.split("[\r\n]+")) {
        if (!line.isBlank()) {
          lines.add(line.stripTrailing());
        }
      }
      if (n < length && !lines.isEmpty()) {
        lines.set(0, "..." + lines.get(0));
      }
      return lines.subList(Math.max(0, lines.size() - maxLines), lines.size());
    } catch (IOException e) {
      return List.of("(cannot read " + file + ": " + e + ")");
    }
  }

  @Override
  public String toString() {
    return "PeerProcess@"
        + Integer.toHexString(hashCode())
        + "{"
        + name
        + " pid="
        + process.pid()
        + " "
        + (process.isAlive() ? "running" : "exited")
        + "}";
  }
}
