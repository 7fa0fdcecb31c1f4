package org.rtmpgw.gateway.raw;

import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executor;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.rtmpgw.gateway.metrics.Refusal;
import org.rtmpgw.gateway.metrics.RefusalCounters;
import org.rtmpgw.gateway.session.ClientAddress;
import org.rtmpgw.tunnel.FirstBytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recognises first bytes a listener must not serve (plaintext on a TLS listener, TLS on a plain
 * one, RTMPE for a plain-only upstream, garbage) and closes such a connection at once with one log
 * line and a count, instead of letting it reach the HTTP parser or the upstream.
 */
public final class RefusingConnectionFactory extends AbstractConnectionFactory
    implements ConnectionFactory.Detecting {
  private static final Logger LOG = LoggerFactory.getLogger(RefusingConnectionFactory.class);

  private final Map<FirstBytes.Kind, Refusal> refusals;
  private final RefusalCounters counters;

  public RefusingConnectionFactory(
      String protocol, Map<FirstBytes.Kind, Refusal> refusals, RefusalCounters counters) {
    super(protocol);
    this.refusals = new EnumMap<>(refusals);
    this.counters = counters;
  }

  @Override
  public Detection detect(ByteBuffer buffer) {
    FirstBytes.Kind kind = FirstBytes.classify(buffer);
    if (kind == FirstBytes.Kind.NEED_MORE) {
      return Detection.NEED_MORE_BYTES;
    }
    return refusals.containsKey(kind) ? Detection.RECOGNIZED : Detection.NOT_RECOGNIZED;
  }

  @Override
  public Connection newConnection(Connector connector, EndPoint endPoint) {
    return configure(new RefusedConnection(endPoint, connector.getExecutor()), connector, endPoint);
  }

  private static String explain(Refusal refusal) {
    return switch (refusal) {
      case PLAINTEXT_ON_TLS -> "plaintext sent to a TLS listener";
      case TLS_ON_PLAIN -> "TLS sent to a plain listener (use the TLS port)";
      case PROXY_UNTRUSTED ->
          "PROXY protocol header from an address not in trusted-proxies (a balancer missing"
              + " from the list, or a forged header)";
      case RTMPE_REFUSED ->
          "RTMPE refused: the upstream is declared plain-only (upstream-accepts-rtmpe=false)";
      default -> "first bytes are neither RTMP, RTMPE, HTTP nor TLS";
    };
  }

  private static String hex(ByteBuffer bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = bytes.position(); i < Math.min(bytes.limit(), bytes.position() + 8); i++) {
      sb.append(String.format("%02x", bytes.get(i) & 0xFF));
    }
    return sb.toString();
  }

  private final class RefusedConnection extends AbstractConnection
      implements Connection.UpgradeTo {
    private Refusal refusal = Refusal.UNRECOGNISED;
    private String firstBytes = "";

    RefusedConnection(EndPoint endPoint, Executor executor) {
      super(endPoint, executor);
    }

    @Override
    public void onUpgradeTo(ByteBuffer buffer) {
      if (buffer != null) {
        refusal = refusals.getOrDefault(FirstBytes.classify(buffer), Refusal.UNRECOGNISED);
        firstBytes = hex(buffer);
      }
    }

    @Override
    public void onOpen() {
      super.onOpen();
      counters.count(refusal);
      LOG.info(
          "closed connection from {} on {}: {} (first bytes {})",
          ClientAddress.describe(getEndPoint().getRemoteSocketAddress()),
          ClientAddress.describe(getEndPoint().getLocalSocketAddress()),
          explain(refusal),
          firstBytes);
      getEndPoint().close();
    }

    @Override
    public void onFillable() {
      getEndPoint().close();
    }
  }
}
