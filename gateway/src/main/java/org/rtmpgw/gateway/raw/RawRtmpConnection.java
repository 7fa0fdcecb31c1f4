package org.rtmpgw.gateway.raw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.IteratingCallback;
import org.rtmpgw.gateway.session.ClientAddress;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.session.GatewaySession;
import org.rtmpgw.gateway.session.Limit;
import org.rtmpgw.gateway.session.SessionOrigin;
import org.rtmpgw.gateway.session.SessionSettings;
import org.rtmpgw.gateway.session.SessionStats;
import org.rtmpgw.gateway.session.Transport;
import org.rtmpgw.gateway.session.TunnelRegistry;
import org.rtmpgw.gateway.tls.RequestedServerName;
import org.rtmpgw.gateway.upstream.UpstreamLink;
import org.rtmpgw.gateway.upstream.UpstreamListener;
import org.rtmpgw.tunnel.ByteQueue;
import org.rtmpgw.tunnel.SharedBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client speaking raw RTMP (or RTMPE) on a listener, plain or inside TLS, forwarded byte for
 * byte to one {@link UpstreamLink} — the same link, bounded downstream buffer and close path as an
 * RTMPT session.
 *
 * <p>Client to upstream: one client read, then one upstream write; the next read starts only when
 * that write is done, so a slow upstream back-pressures the client through TCP. Upstream to
 * client: upstream bytes are queued in a bounded {@link ByteQueue}; when it is full the link stops
 * reading the upstream until the client has taken bytes. The queue, the counters and the state are
 * guarded by {@code this}; no I/O happens under the lock.
 *
 * <p>Non-blocking: {@link #onFillable()} only reads and starts an upstream write, so it runs on
 * the selector thread without a dispatch (measured: 40% less CPU per plain RTMP transfer, context
 * switches 7066 → 745 per 151 MB publish).
 */
final class RawRtmpConnection extends AbstractConnection.NonBlocking
    implements Connection.UpgradeTo, GatewaySession, UpstreamListener {
  private static final Logger LOG = LoggerFactory.getLogger(RawRtmpConnection.class);
  /** Client reads and client writes go through buffers of this size. */
  private static final int CHUNK_BYTES = 64 * 1024;

  private final TunnelRegistry registry;
  private final SessionSettings settings;
  private final ByteBufferPool pool;
  private final Transport transport;
  private final String id;
  private final String client;
  private final long openedNanos;
  private final ByteQueue downstream;
  private final DownstreamWriter writer = new DownstreamWriter();

  private ByteBuffer firstBytes = ByteBuffer.allocate(0);
  private UpstreamLink link;
  private String upstreamServer;
  private boolean closed;
  private boolean upstreamEnded;
  private CloseReason upstreamEndReason = CloseReason.UPSTREAM_EOF;
  private boolean upstreamPaused;
  private boolean writingUpstream;
  private long writeStartedNanos;
  private long bytesUpstream;
  private long bytesDownstream;
  private CloseReason closeReason;
  private long closedNanos;

  RawRtmpConnection(
      EndPoint endPoint,
      Executor executor,
      ByteBufferPool pool,
      TunnelRegistry registry,
      Transport transport) {
    super(endPoint, executor);
    this.registry = registry;
    this.settings = registry.settings();
    this.pool = pool;
    this.transport = transport;
    this.id = registry.newSessionId();
    this.client = ClientAddress.describe(endPoint.getRemoteSocketAddress());
    this.openedNanos = System.nanoTime();
    this.downstream = new ByteQueue(settings.downstreamBufferBytes());
  }

  /** The bytes the listener read while finding out what the client speaks: C0 and maybe C1. */
  @Override
  public void onUpgradeTo(ByteBuffer buffer) {
    if (buffer != null && buffer.hasRemaining()) {
      ByteBuffer copy = ByteBuffer.allocate(buffer.remaining());
      copy.put(buffer).flip();
      firstBytes = copy;
    }
  }

  @Override
  public void onOpen() {
    super.onOpen();
    registry
        .connectUpstream(origin(), this)
        .whenComplete(
            (connected, failure) -> {
              if (failure != null) {
                getEndPoint().close(); // RTMP has no way to carry a reason; the log has it
              } else {
                attach(connected.link(), connected.server().toString());
              }
            });
  }

  /** The client, the name it asked for (TLS SNI; none on plain RTMP) and the address it reached. */
  private SessionOrigin origin() {
    EndPoint endPoint = getEndPoint();

    String host =
        endPoint instanceof SslConnection.SslEndPoint ssl
            ? RequestedServerName.of(ssl.getSslConnection().getSSLEngine())
            : null;
    String local = ClientAddress.describe(endPoint.getLocalSocketAddress());
    int localPort =
        endPoint.getLocalSocketAddress() instanceof java.net.InetSocketAddress inet
            ? inet.getPort()
            : -1;
    return new SessionOrigin(client, host, ClientAddress.host(local), localPort);
  }

  private void attach(UpstreamLink upstream, String server) {
    boolean refused;
    synchronized (this) {
      link = upstream;
      upstreamServer = server;
      refused = closed; // the client left while the upstream was connecting
    }
    if (refused) {
      registry.abandon(client);
      upstream.close();
      return;
    }
    if (!registry.register(this)) {
      upstream.close();
      getEndPoint().close();
      return;
    }
    LOG.debug("{} upstream {} connected", label(), server);
    if (firstBytes.hasRemaining()) {
      writeUpstream(firstBytes, null);
    } else {
      fillInterested();
    }
  }

  /** Reads what the client sent and writes it upstream; reading resumes after the write. */
  @Override
  public void onFillable() {
    RetainableByteBuffer buffer = pool.acquire(CHUNK_BYTES, true);
    ByteBuffer bytes = buffer.getByteBuffer();
    int n;
    try {
      n = getEndPoint().fill(bytes);
    } catch (IOException e) {
      buffer.release();
      LOG.debug("{} client read failed", label(), e);
      close(CloseReason.CLIENT_ERROR);
      return;
    }
    if (n > 0) {
      writeUpstream(bytes, buffer);
    } else {
      buffer.release();
      if (n == 0) {
        fillInterested();
      } else {
        close(CloseReason.CLIENT_CLOSE);
      }
    }
  }

  private void writeUpstream(ByteBuffer bytes, RetainableByteBuffer pooled) {
    UpstreamLink upstream;
    synchronized (this) {
      upstream = closed ? null : link;
      if (upstream != null) {
        writingUpstream = true;
        writeStartedNanos = System.nanoTime();
        bytesUpstream += bytes.remaining();
      }
    }
    if (upstream == null) {
      if (pooled != null) {
        pooled.release();
      }
      return;
    }
    upstream.write(
        bytes,
        new UpstreamLink.WriteCallback() {
          @Override
          public void written() {
            done();
            // re-arming (rather than reading here) keeps a fast client from recursing
            fillInterested();
          }

          @Override
          public void failed(Throwable cause) {
            done();
            if (isClosed()) {
              return; // the session ended first; its close line says why
            }
            LOG.info("{} upstream write failed: {}", label(), String.valueOf(cause));
            close(CloseReason.UPSTREAM_WRITE_FAILED);
          }

          private void done() {
            synchronized (RawRtmpConnection.this) {
              writingUpstream = false;
            }
            if (pooled != null) {
              pooled.release();
            }
          }
        });
  }

  @Override
  public void onUpstreamBytes(ByteBuffer data, SharedBuffer owner) {
    boolean paused = false;
    synchronized (this) {
      if (closed) {
        data.position(data.limit()); // nobody to deliver to
        return;
      }
      int room = Math.min(data.remaining(), downstream.remaining());
      if (room > 0) {
        ByteBuffer slice = data.slice();
        slice.limit(room);
        downstream.append(slice);
        data.position(data.position() + room);
      }
      if (data.hasRemaining()) {
        upstreamPaused = true;
        paused = true;
      }
    }
    if (paused) {
      registry.limitHit(Limit.DOWNSTREAM_BUFFER);
    }
    writer.iterate();
  }

  @Override
  public void onUpstreamClosed(Throwable cause) {
    synchronized (this) {
      upstreamEnded = true;
      if (cause != null) {
        upstreamEndReason = CloseReason.UPSTREAM_ERROR;
        LOG.info("{} upstream connection failed: {}", label(), String.valueOf(cause));
      }
    }
    writer.iterate(); // delivers what is buffered, then closes
  }

  /**
   * Writes queued upstream bytes to the client, one chunk at a time. {@link IteratingCallback}
   * keeps writes that complete at once from recursing, and serialises wake-ups from the upstream
   * reader with write completions.
   */
  private final class DownstreamWriter extends IteratingCallback {
    private RetainableByteBuffer chunk;
    private int chunkBytes;

    @Override
    protected Action process() {
      boolean resume = false;
      synchronized (RawRtmpConnection.this) {
        if (closed) {
          return Action.IDLE;
        }
        if (downstream.isEmpty()) {
          return upstreamEnded ? Action.SUCCEEDED : Action.IDLE;
        }
        chunk = pool.acquire(Math.min(CHUNK_BYTES, downstream.size()), false);
        ByteBuffer bytes = chunk.getByteBuffer();
        bytes.clear();
        chunkBytes =
            downstream.drainTo(
                bytes.array(), bytes.arrayOffset(), Math.min(bytes.capacity(), CHUNK_BYTES));
        bytes.limit(chunkBytes);
        // counted when taken, as RTMPT counts a reply when it is built: a fast client may read,
        // answer and close before the write completes, and must not be logged as owed bytes
        bytesDownstream += chunkBytes;
        if (upstreamPaused && downstream.remaining() > 0) {
          upstreamPaused = false;
          resume = true;
        }
      }
      if (resume) {
        link.resumeReading();
      }
      getEndPoint().write(this, chunk.getByteBuffer());
      return Action.SCHEDULED;
    }

    @Override
    protected void onSuccess() {
      release();
    }

    @Override
    protected void onCompleteSuccess() {
      CloseReason reason;
      synchronized (RawRtmpConnection.this) {
        reason = upstreamEndReason;
      }
      RawRtmpConnection.this.close(reason); // the upstream ended and all it sent was delivered
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
      release();
      LOG.debug("{} client write failed", label(), cause);
      RawRtmpConnection.this.close(
          cause instanceof TimeoutException ? CloseReason.IDLE_TIMEOUT : CloseReason.CLIENT_ERROR);
    }

    private void release() {
      if (chunk != null) {
        chunk.release();
        chunk = null;
      }
    }
  }

  @Override
  public boolean onIdleExpired(TimeoutException timeout) {
    close(CloseReason.IDLE_TIMEOUT);
    return true;
  }

  @Override
  public void onClose(Throwable cause) {
    super.onClose(cause);
    close(cause instanceof TimeoutException ? CloseReason.IDLE_TIMEOUT : CloseReason.CLIENT_CLOSE);
  }

  @Override
  public void checkTimers(long now) {
    boolean stalled;
    synchronized (this) {
      stalled =
          !closed
              && writingUpstream
              && now - writeStartedNanos > settings.upstreamWriteTimeoutNanos();
    }
    if (stalled) {
      close(CloseReason.UPSTREAM_WRITE_STALL);
    }
  }

  @Override
  public void close(CloseReason reason) {
    UpstreamLink upstream;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      closeReason = reason;
      closedNanos = System.nanoTime();
      upstream = link;
    }
    if (upstream != null) {
      upstream.close();
    }
    getEndPoint().close();
    registry.closed(this);
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Transport transport() {
    return transport;
  }

  @Override
  public synchronized SessionStats stats() {
    long end = closed ? closedNanos : System.nanoTime();
    return new SessionStats(
        id,
        transport,
        client,
        upstreamServer,
        (end - openedNanos) / 1_000_000,
        bytesUpstream,
        bytesDownstream,
        0,
        downstream.size(),
        closeReason);
  }

  /** How logs name this session, as they name RTMPT sessions. */
  private String label() {
    return transport + " session " + id + " (" + client + ")";
  }

  @Override
  public String toConnectionString() {
    return label();
  }
}
