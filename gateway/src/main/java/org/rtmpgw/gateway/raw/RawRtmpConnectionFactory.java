package org.rtmpgw.gateway.raw;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.rtmpgw.gateway.session.Transport;
import org.rtmpgw.gateway.session.TunnelRegistry;
import org.rtmpgw.tunnel.FirstBytes;

/**
 * Recognises raw RTMP (C0 0x03) and, when the upstream accepts it, RTMPE (0x06, 0x08, 0x09, 0x0A)
 * among a listener's first bytes, and turns such a connection into a {@link RawRtmpConnection}.
 * Only the first byte is needed: a whole C1 is never waited for.
 */
public final class RawRtmpConnectionFactory extends AbstractConnectionFactory
    implements ConnectionFactory.Detecting {
  private final TunnelRegistry registry;
  private final Duration idleTimeout;
  private final boolean acceptsRtmpe;

  public RawRtmpConnectionFactory(
      String protocol, TunnelRegistry registry, Duration idleTimeout, boolean acceptsRtmpe) {
    super(protocol);
    this.registry = registry;
    this.idleTimeout = idleTimeout;
    this.acceptsRtmpe = acceptsRtmpe;
  }

  @Override
  public Detection detect(ByteBuffer buffer) {
    FirstBytes.Kind kind = FirstBytes.classify(buffer);
    if (kind == FirstBytes.Kind.NEED_MORE) {
      return Detection.NEED_MORE_BYTES;
    }
    boolean ours = kind == FirstBytes.Kind.RTMP || (kind == FirstBytes.Kind.RTMPE && acceptsRtmpe);
    return ours ? Detection.RECOGNIZED : Detection.NOT_RECOGNIZED;
  }

  @Override
  public Connection newConnection(Connector connector, EndPoint endPoint) {
    endPoint.setIdleTimeout(idleTimeout.toMillis()); // identified: the sniff timeout no longer applies
    boolean secure = endPoint instanceof SslConnection.SslEndPoint;
    return configure(
        new RawRtmpConnection(
            endPoint,
            connector.getExecutor(),
            connector.getByteBufferPool(),
            registry,
            Transport.raw(secure)),
        connector,
        endPoint);
  }
}
