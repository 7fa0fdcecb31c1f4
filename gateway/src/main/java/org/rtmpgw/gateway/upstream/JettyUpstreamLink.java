package org.rtmpgw.gateway.upstream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.Callback;
import org.rtmpgw.tunnel.SharedBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jetty connection behind an {@link UpstreamLink}.
 *
 * <p>Threading: {@link #onFillable()} runs on Jetty's executor and is never concurrent with itself:
 * it either re-arms fill interest or, when the listener could not take everything, keeps the rest
 * in {@link #held} and returns without re-arming ({@code PAUSED}). {@link #resumeReading()}
 * re-dispatches the loop only from {@code PAUSED}; a resume that lands while the listener is
 * still deciding ({@code RESUME_PENDING}) makes the loop offer the bytes once more instead of
 * pausing, so no wake-up is lost. An idle session holds no buffer.
 */
final class JettyUpstreamLink extends AbstractConnection implements UpstreamLink {
  private static final Logger LOG = LoggerFactory.getLogger(JettyUpstreamLink.class);

  private final ByteBufferPool pool;
  private final UpstreamListener listener;
  private static final int RUNNING = 0;
  private static final int PAUSED = 1;
  private static final int RESUME_PENDING = 2;

  private final AtomicInteger readState = new AtomicInteger(RUNNING);
  private final AtomicBoolean closeReported = new AtomicBoolean();
  private RetainableByteBuffer held;
  private SharedBuffer heldShare;

  JettyUpstreamLink(
      EndPoint endPoint, Executor executor, ByteBufferPool pool, UpstreamListener listener) {
    super(endPoint, executor);
    this.pool = pool;
    this.listener = listener;
  }

  @Override
  public void onOpen() {
    super.onOpen();
    fillInterested();
  }

  @Override
  public void onFillable() {
    try {
      if (held != null && !offer(held)) {
        return;
      }
      while (true) {
        RetainableByteBuffer buffer = pool.acquire(UpstreamConnector.READ_BUFFER_BYTES, true);
        ByteBuffer bytes = buffer.getByteBuffer();
        int n = getEndPoint().fill(bytes);
        if (n > 0) {
          held = buffer;
          heldShare = buffer.canRetain() ? new PooledBuffer(buffer) : null;
          if (!offer(buffer)) {
            return;
          }
        } else {
          buffer.release();
          if (n == 0) {
            fillInterested();
          } else {
            reportClosed(null);
            getEndPoint().close();
          }
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("upstream read failed", e);
      releaseHeld();
      reportClosed(e);
      getEndPoint().close(e);
    }
  }

  /** Offers a filled buffer; false when the listener left bytes in it (reading pauses). */
  private boolean offer(RetainableByteBuffer buffer) {
    ByteBuffer bytes = buffer.getByteBuffer();
    while (true) {
      readState.set(RUNNING);
      listener.onUpstreamBytes(bytes, heldShare);
      if (!bytes.hasRemaining()) {
        releaseHeld();
        return true;
      }
      if (readState.compareAndSet(RUNNING, PAUSED)) {
        return false;
      }
    }
  }

  private void releaseHeld() {
    if (held != null) {
      held.release();
      held = null;
      heldShare = null;
    }
  }

  @Override
  public void resumeReading() {
    while (true) {
      int state = readState.get();
      if (state == PAUSED) {
        if (readState.compareAndSet(PAUSED, RUNNING)) {
          getExecutor().execute(this::onFillable);
          return;
        }
      } else if (state == RESUME_PENDING || readState.compareAndSet(RUNNING, RESUME_PENDING)) {
        return;
      }
    }
  }

  @Override
  public void write(ByteBuffer bytes, WriteCallback callback) {
    getEndPoint()
        .write(Callback.from(callback::written, callback::failed), bytes);
  }

  @Override
  public void onClose(Throwable cause) {
    super.onClose(cause);
    if (readState.compareAndSet(PAUSED, RUNNING)) {
      releaseHeld(); // no read loop runs while paused, so the held buffer is ours to free
    }
    reportClosed(cause);
  }

  private void reportClosed(Throwable cause) {
    if (closeReported.compareAndSet(false, true)) {
      listener.onUpstreamClosed(cause);
    }
  }

  @Override
  public void close() {
    getEndPoint().close();
  }

  /** A pool buffer as the tunnel layer sees it: listeners keep it instead of copying its bytes. */
  private record PooledBuffer(RetainableByteBuffer buffer) implements SharedBuffer {
    @Override
    public int capacity() {
      return buffer.capacity();
    }

    @Override
    public void retain() {
      buffer.retain();
    }

    @Override
    public void release() {
      buffer.release();
    }
  }
}
