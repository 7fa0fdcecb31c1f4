package org.rtmpgw.gateway.session;

/**
 * Where a new session comes from: the client ({@code ip:port}, the real one behind a trusted load
 * balancer), the host name it asked for (HTTP Host or TLS SNI; null when it named none) and the
 * gateway address it reached (for routes by listener port and the PROXY header sent upstream).
 */
public record SessionOrigin(String client, String host, String localIp, int localPort) {}
