package org.rtmpgw.gateway.server;

import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.tls.TlsSetupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Standalone entry point: {@code java -jar rtmp-gateway.jar --upstream host:port}. */
public final class Main {
  static final int EXIT_START_FAILED = 1;
  static final int EXIT_BAD_CONFIG = 2;

  private Main() {}

  public static void main(String[] args) {
    CommandLine.Parsed parsed;
    try {
      parsed = CommandLine.parse(args);
    } catch (ConfigException e) {
      System.err.println("invalid configuration:");
      e.problems().forEach(p -> System.err.println("  " + p));
      System.exit(EXIT_BAD_CONFIG);
      return;
    }
    switch (parsed.action()) {
      case HELP -> System.out.print(CommandLine.help());
      case VERSION -> System.out.println("rtmp-gateway " + version());
      case CHECK_CONFIG -> {
        System.out.println("configuration is valid:");
        parsed.config().toValues().forEach((k, v) -> System.out.println("  " + k + " = " + v));
      }
      case RUN -> run(parsed);
    }
  }

  private static void run(CommandLine.Parsed parsed) {
    Logger log = LoggerFactory.getLogger(Main.class);
    GatewayServer server;
    try {
      server = new GatewayServer(parsed.config());
    } catch (TlsSetupException e) {
      System.err.println("invalid TLS configuration: " + e.getMessage());
      System.exit(EXIT_BAD_CONFIG);
      return;
    }
    try {
      server.start();
    } catch (Exception e) {
      log.error("gateway failed to start: {}", e.toString());
      System.exit(EXIT_START_FAILED);
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("stopping: closing {} sessions", server.registry().size());
                  try {
                    server.stop();
                  } catch (Exception e) {
                    log.warn("stop failed", e);
                  }
                },
                "rtmpgw-shutdown"));
    try {
      server.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "development build" : v;
  }
}
