package org.rtmpgw.gateway.upstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.Promise;
import org.rtmpgw.gateway.config.HostPort;

/**
 * Opens {@link UpstreamLink}s to the RTMP server on Jetty's non-blocking {@link ClientConnector}:
 * one selector for every upstream connection, no thread per session.
 */
public final class UpstreamConnector {
  /** Reads from the RTMP server go through buffers of this size, taken from the pool per read. */
  static final int READ_BUFFER_BYTES = 64 * 1024;

  private final ClientConnector connector = new ClientConnector();

  public UpstreamConnector(Duration connectTimeout) {
    connector.setConnectTimeout(connectTimeout);
    // Quiet players can leave an RTMP connection silent for long stretches; the session layer
    // owns inactivity, so the endpoint itself never times out.
    connector.setIdleTimeout(Duration.ZERO);
    connector.setSelectors(1);
  }

  public void start() throws Exception {
    connector.start();
  }

  public void stop() throws Exception {
    connector.stop();
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
