package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Reads a request body without blocking into one array, up to a limit. Works for bodies with a
 * Content-Length and for chunked ones (which no RTMPT client sends, but a proxy might produce).
 */
final class BodyReader implements ReadListener {
  /** The outcome of reading a body. */
  sealed interface Result permits Body, TooLarge, Failed {}

  record Body(byte[] bytes) implements Result {}

  record TooLarge(long limit) implements Result {}

  record Failed(Throwable cause) implements Result {}

  /**
   * A declared length up to this is allocated at once (ffmpeg's batched sends are ~0.1-1 MB, and
   * growing by doubling would copy each body twice); beyond it the buffer grows as bytes arrive,
   * so a lying Content-Length costs at most this much.
   */
  private static final int INITIAL_BUFFER_MAX = 1024 * 1024;

  private final ServletInputStream in;
  private final int limit;
  private final Consumer<Result> done;
  private byte[] buffer;
  private int size;
  private boolean finished;

  private BodyReader(ServletInputStream in, long contentLength, int limit, Consumer<Result> done) {
    this.in = in;
    this.limit = limit;
    this.done = done;
    long initial = contentLength < 0 ? 4096 : Math.min(contentLength, INITIAL_BUFFER_MAX);
    this.buffer = new byte[(int) Math.max(1, Math.min(initial, limit))];
  }

  /** Starts reading; {@code done} runs exactly once, on a container thread. */
  static void read(ServletInputStream in, long contentLength, int limit, Consumer<Result> done) {
    in.setReadListener(new BodyReader(in, contentLength, limit, done));
  }

  @Override
  public void onDataAvailable() throws IOException {
    while (!finished && in.isReady()) {
      if (size == buffer.length) {
        if (buffer.length >= limit) {
          // one more byte would pass the limit: peek for it
          int extra = in.read();
          if (extra < 0) {
            return; // end of body; onAllDataRead follows
          }
          finish(new TooLarge(limit));
          return;
        }
        buffer = Arrays.copyOf(buffer, (int) Math.min((long) buffer.length * 2, limit));
      }
      int n = in.read(buffer, size, buffer.length - size);
      if (n < 0) {
        return;
      }
      size += n;
    }
  }

  @Override
  public void onAllDataRead() {
    finish(new Body(size == buffer.length ? buffer : Arrays.copyOf(buffer, size)));
  }

  @Override
  public void onError(Throwable t) {
    finish(new Failed(t));
  }

  private void finish(Result result) {
    if (!finished) {
      finished = true;
      done.accept(result);
    }
  }
}
