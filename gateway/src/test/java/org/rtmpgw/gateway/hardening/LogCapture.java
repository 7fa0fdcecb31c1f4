package org.rtmpgw.gateway.hardening;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * Captures what slf4j-simple writes (it looks up {@code System.err} at every write, as long as
 * {@code org.slf4j.simpleLogger.cacheOutputStream} is false, the default), while still passing it
 * through to the real stderr. Close it to restore stderr.
 */
final class LogCapture implements AutoCloseable {
  private final PrintStream original;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  LogCapture() {
    original = System.err;
    OutputStream tee =
        new OutputStream() {
          @Override
          public void write(int b) {
            original.write(b);
            synchronized (captured) {
              captured.write(b);
            }
          }

          @Override
          public void write(byte[] b, int off, int len) {
            original.write(b, off, len);
            synchronized (captured) {
              captured.write(b, off, len);
            }
          }
        };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  String text() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }

  /** Every captured line matching {@code regex} (found anywhere in the line). */
  List<String> lines(String regex) {
    Pattern p = Pattern.compile(regex);
    return text().lines().filter(l -> p.matcher(l).find()).toList();
  }

  /** Waits until a line matching {@code regex} has been logged, and returns the first. */
  String awaitLine(String regex, Duration timeout) {
    Awaitility.await("a log line matching /" + regex + "/")
        .atMost(timeout)
        .until(() -> !lines(regex).isEmpty());
    return lines(regex).get(0);
  }

  @Override
  public void close() {
    System.setErr(original);
  }
}
