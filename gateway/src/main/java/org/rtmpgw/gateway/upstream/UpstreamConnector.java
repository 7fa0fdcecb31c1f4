package org.rtmpgw.gateway.upstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.rtmpgw.gateway.config.HostPort;

/**
 * Opens {@link UpstreamLink}s to the RTMP server on Jetty's non-blocking {@link ClientConnector}:
 * one selector for every upstream connection, no thread per session.
 *
 * <p>Its threads are named {@value #THREAD_NAME}-&lt;n&gt; (selector and I/O) and {@value
 * #SCHEDULER_THREAD_NAME} (connect timeouts), so an operator, or a servlet container's leak check,
 * can tell them apart; {@link #stop()} returns once they have ended (bounded).
 */
public final class UpstreamConnector {
  /** Reads from the RTMP server go through buffers of this size, taken from the pool per read. */
  static final int READ_BUFFER_BYTES = 64 * 1024;

  /** Name (prefix) of the selector and I/O threads. */
  public static final String THREAD_NAME = "rtmpgw-upstream";

  /** Name of the thread that times out upstream connects. */
  public static final String SCHEDULER_THREAD_NAME = "rtmpgw-upstream-scheduler";

  /** Bound on waiting for the scheduler thread to end in {@link #stop()}. */
  private static final long SCHEDULER_STOP_WAIT_MILLIS = 5_000;

  private final ClientConnector connector = new ClientConnector();
  private final ScheduledThreadPoolExecutor scheduler;

  public UpstreamConnector(Duration connectTimeout) {
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName(THREAD_NAME);
    connector.setExecutor(threads); // managed by the connector: started and stopped (joined) with it
    scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, SCHEDULER_THREAD_NAME);
              t.setDaemon(true);
              return t;
            });
    scheduler.setRemoveOnCancelPolicy(true);
    connector.setScheduler(new ScheduledExecutorScheduler(scheduler)); // ours to stop, see stop()
    connector.setConnectTimeout(connectTimeout);
    // Quiet players can leave an RTMP connection silent for long stretches; the session layer
    // owns inactivity, so the endpoint itself never times out.
    connector.setIdleTimeout(Duration.ZERO);
    connector.setSelectors(1);
  }

  public void start() throws Exception {
    connector.start();
  }

  /** Stops the connector (closing every link) and waits, bounded, for its threads to end. */
  public void stop() throws Exception {
    try {
      connector.stop();
    } finally {
      scheduler.shutdownNow();
      scheduler.awaitTermination(SCHEDULER_STOP_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Pooled read buffers taken and not given back ({@link BufferPools#inUse}): upstream bytes still
   * queued for clients or in replies being written or kept for replays.
   */
  public long buffersInUse() {
    return BufferPools.inUse(connector.getByteBufferPool());
  }

  /** Connects to {@code target}; the future completes with the link or the connect failure. */
  public CompletableFuture<UpstreamLink> connect(HostPort target, UpstreamListener listener) {
    CompletableFuture<UpstreamLink> result = new CompletableFuture<>();
    InetSocketAddress address;
    try {
      address = new InetSocketAddress(target.host(), target.port());
      if (address.isUnresolved()) {
        throw new IOException("cannot resolve host " + target.host());
      }
    } catch (IOException | RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    Map<String, Object> context = new HashMap<>();
    context.put(Transport.CONTEXT_KEY, Transport.TCP_IP);
    context.put(
        ClientConnectionFactory.CONTEXT_KEY,
        (ClientConnectionFactory)
            (EndPoint endPoint, Map<String, Object> ctx) ->
                new JettyUpstreamLink(
                    endPoint, connector.getExecutor(), connector.getByteBufferPool(), listener));
    context.put(
        ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY,
        Promise.<Connection>from(
            c -> result.complete((UpstreamLink) c), result::completeExceptionally));
    try {
      connector.connect(address, context);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
    return result;
  }
}
