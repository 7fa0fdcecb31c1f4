package org.rtmpgw.gateway.upstream;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.config.HostPort;
import org.rtmpgw.gateway.config.UpstreamRouting;

/**
 * Picks and connects the upstream server of a new session: the client's route gives a group; the
 * group's servers are tried in turn — those whose last probe succeeded first, rotating from one
 * session to the next with round-robin — until one connects (failover at {@code /open/1}). Nothing
 * a client sends can name a server outside the configured groups.
 */
public final class UpstreamSelector {
  private final UpstreamRouting routing;
  private final Map<String, Group> groups = new LinkedHashMap<>();
  private final Map<HostPort, UpstreamProbe> probes = new LinkedHashMap<>();
  private final boolean roundRobin;
  private final Duration probeInterval;

  /** The connected server, for logs; the link is ready for the session's first bytes. */
  public record Connected(UpstreamLink link, HostPort server) {}

  private static final class Group {
    final String name;
    final List<HostPort> servers;
    final AtomicInteger next = new AtomicInteger();

    Group(String name, List<HostPort> servers) {
      this.name = name;
      this.servers = servers;
    }
  }

  public UpstreamSelector(GatewayConfig config) {
    this.routing = config.upstreamRouting();
    this.roundRobin = config.upstreamRoundRobin();
    this.probeInterval = config.upstreamProbeInterval();
    routing
        .groups()
        .forEach(
            (name, servers) -> {
              groups.put(name, new Group(name, servers));
              for (HostPort s : servers) {
                probes.computeIfAbsent(
                    s,
                    target ->
                        new UpstreamProbe(target, probeInterval, config.upstreamConnectTimeout()));
              }
            });
  }

  /** The group a client reaching {@code localPort} for {@code host} is routed to, or null. */
  public String route(String host, int localPort) {
    return routing.groupFor(host, localPort);
  }

  public void startProbes(ScheduledExecutorService scheduler) {
    probes.values().forEach(p -> p.start(scheduler));
  }

  /** Servers of {@code group} in the order a new session tries them. */
  List<HostPort> attemptOrder(String group) {
    Group g = groups.get(group);
    int n = g.servers.size();
    int start = roundRobin ? Math.floorMod(g.next.getAndIncrement(), n) : 0;
    List<HostPort> up = new ArrayList<>();
    List<HostPort> down = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      HostPort s = g.servers.get((start + i) % n);
      (isUp(s) ? up : down).add(s);
    }
    up.addAll(down); // a server whose probe failed may be back: try it last, not never
    return up;
  }

  /**
   * Connects to the first server of {@code group} that accepts; {@code firstBytes} (a PROXY
   * header, or null) is written before the link is handed over. Fails with an exception naming
   * every server tried and why.
   */
  public CompletableFuture<Connected> connect(
      UpstreamConnector connector, String group, UpstreamListener listener, byte[] firstBytes) {
    CompletableFuture<Connected> result = new CompletableFuture<>();
    tryNext(connector, attemptOrder(group), 0, listener, firstBytes, new ArrayList<>(), result);
    return result;
  }

  private void tryNext(
      UpstreamConnector connector,
      List<HostPort> order,
      int index,
      UpstreamListener listener,
      byte[] firstBytes,
      List<String> failures,
      CompletableFuture<Connected> result) {
    if (index >= order.size()) {
      result.completeExceptionally(new UpstreamUnreachableException(failures));
      return;
    }
    HostPort server = order.get(index);
    connector
        .connect(server, listener)
        .whenComplete(
            (link, failure) -> {
              if (failure != null) {
                failures.add(server + ": " + describe(failure));
                tryNext(connector, order, index + 1, listener, firstBytes, failures, result);
              } else if (firstBytes == null) {
                result.complete(new Connected(link, server));
              } else {
                link.write(
                    ByteBuffer.wrap(firstBytes),
                    new UpstreamLink.WriteCallback() {
                      @Override
                      public void written() {
                        result.complete(new Connected(link, server));
                      }

                      @Override
                      public void failed(Throwable cause) {
                        link.close();
                        failures.add(server + ": " + describe(cause));
                        tryNext(connector, order, index + 1, listener, firstBytes, failures, result);
                      }
                    });
              }
            });
  }

  /**
   * A one-line reason for a failed connect or write: exception type and message, unwrapped from a
   * {@link CompletionException}. The words every upstream failure is logged and answered with.
   */
  public static String describe(Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    String message = cause.getMessage();
    String type = cause.getClass().getSimpleName();
    return message == null || message.isBlank() ? type : type + ": " + message;
  }

  public boolean isUp(HostPort server) {
    UpstreamProbe p = probes.get(server);
    return p == null || p.isUp();
  }

  /** Every configured server with its group(s), for metrics: group → servers. */
  public Map<String, List<HostPort>> groups() {
    return routing.groups();
  }

  /** Null when every group has a server whose last probe succeeded; else which have none. */
  public String notReadyReason() {
    Set<String> dead = new LinkedHashSet<>();
    groups.forEach(
        (name, g) -> {
          if (g.servers.stream().noneMatch(this::isUp)) {
            dead.add(name);
          }
        });
    if (dead.isEmpty()) {
      return null;
    }
    StringBuilder sb =
        new StringBuilder("upstream unreachable: no server of group(s) ").append(dead).append(" accepts connections");
    for (String name : dead) {
      for (HostPort s : groups.get(name).servers) {
        sb.append("; ").append(s).append(": ").append(probes.get(s).lastFailure());
      }
    }
    return sb.toString();
  }

  /** Every server tried for a session failed. */
  public static final class UpstreamUnreachableException extends Exception {
    UpstreamUnreachableException(List<String> failures) {
      super(String.join("; ", failures), null, false, false);
    }
  }
}
