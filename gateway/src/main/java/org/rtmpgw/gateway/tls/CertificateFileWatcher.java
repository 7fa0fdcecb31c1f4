package org.rtmpgw.gateway.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls certificate files and reports a change once it has settled.
 *
 * <p>Renewal tools replace a certificate and its key one after the other (certbot relinks four
 * files in turn), so the first poll after a change may see a new certificate with the old key.
 * Waiting until two polls in a row agree avoids trying that half-written state and warning about
 * it. Each settled state is reported once: a broken set is retried when the files change again.
 *
 * <p>Polling rather than a {@code WatchService}: it sees symlink swaps in other directories (the
 * link's target changes, not the watched directory), works on network and container file systems
 * without inotify, and costs a few stat calls per interval.
 */
final class CertificateFileWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CertificateFileWatcher.class);

  private final List<Path> files;
  private final Runnable onSettledChange;
  private Map<Path, FileStamp> previousPoll;
  private Map<Path, FileStamp> lastReported;
  private ScheduledFuture<?> task;

  /**
   * @param baseline the files' stamps taken just before they were read, so a change made while they
   *     were being read is still noticed
   * @param onSettledChange runs on the scheduler's thread, never twice at the same time
   */
  CertificateFileWatcher(
      List<Path> files, Map<Path, FileStamp> baseline, Runnable onSettledChange) {
    this.files = List.copyOf(files);
    this.previousPoll = baseline;
    this.lastReported = baseline;
    this.onSettledChange = onSettledChange;
  }

  static Map<Path, FileStamp> stamps(List<Path> files) {
    Map<Path, FileStamp> stamps = new LinkedHashMap<>();
    for (Path file : files) {
      stamps.put(file, FileStamp.of(file));
    }
    return stamps;
  }

  synchronized void start(ScheduledExecutorService scheduler, Duration interval) {
    if (task != null) {
      throw new IllegalStateException("already watching");
    }
    long millis = Math.max(1, interval.toMillis());
    // fixed delay: a slow reload is never overlapped by the next check
    task = scheduler.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    if (task != null) {
      task.cancel(false);
    }
  }

  private void poll() {
    try {
      Map<Path, FileStamp> now = stamps(files);
      if (!now.equals(previousPoll)) {
        previousPoll = now; // still changing, or just changed: look again next time
        return;
      }
      if (now.equals(lastReported)) {
        return;
      }
      lastReported = now;
      onSettledChange.run();
    } catch (RuntimeException e) {
      // an exception escaping a periodic task would end it silently
      LOG.warn("Checking the TLS certificate files {} failed; will check again", files, e);
    }
  }
}
