package org.rtmpgw.gateway.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeoutException;
import jdk.net.ExtendedSocketOptions;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.rtmpgw.gateway.metrics.Refusal;
import org.rtmpgw.gateway.metrics.RefusalCounters;
import org.rtmpgw.gateway.session.ClientAddress;
import org.rtmpgw.gateway.session.GatewaySession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's connector. Its idle timeout is the sniff timeout: a new connection has that long
 * to show what it speaks; the connection that finally serves it (HTTP, raw RTMP, TLS handshake)
 * sets its own. A connection that times out before that is counted and logged as a refusal.
 *
 * <p>Optionally re-arms Linux {@code TCP_QUICKACK} after every read: ffmpeg writes each RTMPT
 * request's headers and body in two writes without {@code TCP_NODELAY}; with the server's delayed
 * ACK, Nagle holds the body back ~40 ms per request (measured: ~15 requests/s instead of ~27).
 * The kernel clears quick-ack mode on its own, hence the re-arm after each read.
 */
final class GatewayConnector extends ServerConnector {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayConnector.class);
  private static volatile boolean quickAckSupported = true;

  private final boolean quickAck;
  private final RefusalCounters refusals;

  GatewayConnector(
      Server server, boolean quickAck, RefusalCounters refusals, ConnectionFactory... factories) {
    super(server, factories);
    this.quickAck = quickAck;
    this.refusals = refusals;
  }

  @Override
  protected SocketChannelEndPoint newEndPoint(
      SocketChannel channel, ManagedSelector selector, SelectionKey key) throws IOException {
    SocketChannelEndPoint endPoint =
        new SocketChannelEndPoint(channel, selector, key, getScheduler()) {
          @Override
          public int fill(ByteBuffer buffer) throws IOException {
            int n = super.fill(buffer);
            // a read that filled the buffer left bytes in the socket: the client is still
            // sending and needs no ACK yet; re-arming there cost ~5% of a publish's CPU
            if (n > 0 && quickAck && BufferUtil.space(buffer) > 0 && !servesRawRtmp(getConnection())) {
              quickAck(channel);
            }
            return n;
          }

          @Override
          protected void onIdleExpired(TimeoutException timeout) {
            Refusal refusal = unidentified(getConnection());
            if (refusal != null) {
              refusals.count(refusal);
              LOG.info(
                  "closed connection from {} on {}: {} after {} ms",
                  ClientAddress.describe(getRemoteSocketAddress()),
                  ClientAddress.describe(getLocalSocketAddress()),
                  refusal,
                  getIdleTimeout());
            }
            super.onIdleExpired(timeout);
          }
        };
    endPoint.setIdleTimeout(getIdleTimeout());
    if (quickAck) {
      quickAck(channel);
    }
    return endPoint;
  }

  /**
   * Raw RTMP(S) needs no quick ACKs: the stall they avoid comes from ffmpeg's two-write HTTP
   * requests. Skipping the per-read system call saves ~14% of the CPU of an RTMPS transfer.
   */
  private static boolean servesRawRtmp(Connection connection) {
    Connection c = connection;
    if (c instanceof SslConnection ssl) {
      c = ssl.getSslEndPoint().getConnection();
    }
    return c instanceof GatewaySession;
  }

  /** Why a connection that is still being identified timed out, or null once it is identified. */
  private static Refusal unidentified(Connection connection) {
    if (connection instanceof SslConnection ssl) {
      Connection inner = ssl.getSslEndPoint().getConnection();
      return inner == null || isDetector(inner) ? Refusal.TLS_HANDSHAKE_TIMEOUT : null;
    }
    return isDetector(connection) ? Refusal.SNIFF_TIMEOUT : null;
  }

  private static boolean isDetector(Connection connection) {
    return connection != null
        && connection.getClass().getEnclosingClass() == DetectorConnectionFactory.class;
  }

  private static void quickAck(SocketChannel channel) {
    if (!quickAckSupported) {
      return;
    }
    try {
      channel.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
    } catch (UnsupportedOperationException e) {
      quickAckSupported = false;
      LOG.info("TCP_QUICKACK is not supported on this platform; continuing without it");
    } catch (IOException e) {
      LOG.debug("TCP_QUICKACK could not be set", e); // the socket is closing
    }
  }
}
