package org.rtmpgw.gateway.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the {@code openssl} command line tool with a bounded wait. */
final class OpenSsl {
  private static final String BINARY = "/usr/bin/openssl";
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private OpenSsl() {}

  record Result(int exitCode, String output) {}

  /** Runs {@code openssl args...}; fails the test when it exits non-zero. */
  static String run(String... args) throws IOException, InterruptedException {
    Result result = runWithInput("", args);
    if (result.exitCode() != 0) {
      throw new AssertionError(
          "openssl " + String.join(" ", args) + " failed:\n" + result.output());
    }
    return result.output();
  }

  /** Runs {@code openssl args...} with {@code input} on stdin; stdout and stderr are merged. */
  static Result runWithInput(String input, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(BINARY);
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (OutputStream stdin = process.getOutputStream()) {
      stdin.write(input.getBytes(StandardCharsets.US_ASCII));
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> copy(process.getInputStream(), output), "openssl-output");
    reader.setDaemon(true);
    reader.start();
    if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      throw new AssertionError(
          "openssl " + String.join(" ", args) + " did not finish within " + TIMEOUT);
    }
    reader.join(TimeUnit.SECONDS.toMillis(5));
    synchronized (output) {
      return new Result(process.exitValue(), output.toString(StandardCharsets.UTF_8));
    }
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        synchronized (out) {
          out.write(buffer, 0, n);
        }
      }
    } catch (IOException e) {
      // process ended
    }
  }
}
