package org.rtmpgw.gateway.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Named groups of upstream servers and the routes that pick one for a client, as configured:
 * {@code upstream} is the group {@value #DEFAULT_GROUP}; {@code upstream-groups} adds more
 * ({@code name=host:port|host:port}); {@code upstream-routes} maps {@code host:<name>} (HTTP Host
 * or TLS SNI) or {@code port:<n>} (the listener port the client reached) to a group, first match
 * wins; unmatched clients go to {@code upstream-route-default}, or are refused when it is empty.
 */
public record UpstreamRouting(
    Map<String, List<HostPort>> groups, List<Route> routes, String defaultGroup) {
  public static final String DEFAULT_GROUP = "default";

  /** One route: a match on the client's host name or listener port, and its group. */
  public record Route(String host, int port, String group) {
    boolean matches(String clientHost, int localPort) {
      return host != null ? host.equalsIgnoreCase(stripDot(clientHost)) : port == localPort;
    }

    @Override
    public String toString() {
      return (host != null ? "host:" + host : "port:" + port) + "=" + group;
    }
  }

  /** The group for a client, or null when no route matches and there is no default group. */
  public String groupFor(String clientHost, int localPort) {
    for (Route r : routes) {
      if (r.matches(clientHost, localPort)) {
        return r.group;
      }
    }
    return defaultGroup.isEmpty() ? null : defaultGroup;
  }

  private static String stripDot(String host) {
    if (host == null) {
      return "";
    }
    return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
  }

  static Map<String, List<HostPort>> parseGroups(String text) {
    Map<String, List<HostPort>> groups = new LinkedHashMap<>();
    for (String item : text.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int eq = item.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("'" + item.trim() + "' is not name=host:port|host:port");
      }
      String name = item.substring(0, eq).trim();
      checkName(name);
      if (name.equals(DEFAULT_GROUP) || groups.containsKey(name)) {
        throw new IllegalArgumentException("group '" + name + "' is defined twice");
      }
      List<HostPort> servers = new ArrayList<>();
      for (String server : item.substring(eq + 1).split("\\|")) {
        if (!server.isBlank()) {
          servers.add(HostPort.parse(server.trim()));
        }
      }
      if (servers.isEmpty()) {
        throw new IllegalArgumentException("group '" + name + "' has no server");
      }
      groups.put(name, List.copyOf(servers));
    }
    return groups;
  }

  static List<Route> parseRoutes(String text) {
    List<Route> routes = new ArrayList<>();
    for (String item : text.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      int eq = item.lastIndexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("'" + item.trim() + "' is not host:<name>=group or port:<n>=group");
      }
      String match = item.substring(0, eq).trim();
      String group = item.substring(eq + 1).trim();
      checkName(group);
      if (match.startsWith("host:") && match.length() > 5) {
        routes.add(new Route(match.substring(5).toLowerCase(Locale.ROOT), -1, group));
      } else if (match.startsWith("port:")) {
        int port;
        try {
          port = Integer.parseInt(match.substring(5));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("'" + match + "' has no port number");
        }
        if (port < 1 || port > 65535) {
          throw new IllegalArgumentException("'" + match + "': port out of range");
        }
        routes.add(new Route(null, port, group));
      } else {
        throw new IllegalArgumentException("'" + match + "' is neither host:<name> nor port:<n>");
      }
    }
    return routes;
  }

  private static void checkName(String name) {
    if (!name.matches("[A-Za-z0-9_-]{1,32}")) {
      throw new IllegalArgumentException("'" + name + "' is not a group name (letters, digits, - _)");
    }
  }
}
