package org.rtmpgw.it.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Collects what is logged to java.util.logging while it is installed (on the root logger): the
 * WAR's SLF4J provider (slf4j-jdk14) and Tomcat's JULI both log there, so the tests read the
 * gateway's and the container's messages as an operator's log would show them.
 *
 * <p>Thread-safe.
 */
public final class WarLogCapture extends Handler implements AutoCloseable {

  /** One record: level, logger name, the formatted message and what was thrown (or null). */
  public record Line(Level level, String logger, String message, Throwable thrown) {
    @Override
    public String toString() {
      return level + " " + logger + " - " + message + (thrown == null ? "" : " [" + thrown + "]");
    }
  }

  private final SimpleFormatter formatter = new SimpleFormatter();
  private final List<Line> lines = new ArrayList<>();

  private WarLogCapture() {
    setLevel(Level.ALL);
  }

  public static WarLogCapture install() {
    WarLogCapture capture = new WarLogCapture();
    Logger.getLogger("").addHandler(capture);
    return capture;
  }

  @Override
  public synchronized void publish(LogRecord record) {
    lines.add(
        new Line(
            record.getLevel(),
            String.valueOf(record.getLoggerName()),
            formatter.formatMessage(record),
            record.getThrown()));
  }

  /** Everything captured so far. */
  public synchronized List<Line> lines() {
    return List.copyOf(lines);
  }

  /** Captured lines that match. */
  public List<Line> matching(Predicate<Line> filter) {
    return lines().stream().filter(filter).toList();
  }

  /** Forgets what was captured. */
  public synchronized void clear() {
    lines.clear();
  }

  /** The captured lines, one per line, for assertion messages. */
  public String dump() {
    StringBuilder sb = new StringBuilder("    [java.util.logging]\n");
    List<Line> all = lines();
    for (Line line : all.subList(Math.max(0, all.size() - 80), all.size())) {
      sb.append("    | ").append(line).append('\n');
    }
    return sb.toString();
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    Logger.getLogger("").removeHandler(this);
  }
}
