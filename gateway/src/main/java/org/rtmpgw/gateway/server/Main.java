package org.rtmpgw.gateway.server;

import java.util.concurrent.atomic.AtomicBoolean;
import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.tls.TlsSetupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Standalone entry point: {@code java -jar rtmp-gateway.jar --upstream host:port}. */
public final class Main {
  static final int EXIT_START_FAILED = 1;
  static final int EXIT_BAD_CONFIG = 2;
  private static final String SIMPLE_LOGGER_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

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
        String certificates = checkCertificates(parsed.config());
        if (certificates != null) {
          System.err.println("invalid configuration:");
          System.err.println("  " + certificates);
          System.exit(EXIT_BAD_CONFIG);
          return;
        }
        System.out.print(CommandLine.checkConfig(parsed));
      }
      case PRINT_CONFIG -> System.out.print(CommandLine.printConfig(parsed));
      case RUN -> run(parsed);
    }
  }

  private static void run(CommandLine.Parsed parsed) {
    if (System.getProperty(SIMPLE_LOGGER_LEVEL) == null) {
      // before the first logger exists; -D on the java command line still wins
      System.setProperty(SIMPLE_LOGGER_LEVEL, parsed.config().logLevel());
    }
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
    server.afterDrain(() -> System.exit(0));
    StopOnSignal stop = new StopOnSignal(server, log);
    stop.install("TERM");
    stop.install("INT");
    // any other way out (System.exit elsewhere, a signal we do not handle) still closes sessions
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
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

  /**
   * SIGTERM and SIGINT start a graceful drain and exit 0 when it is done; a second signal during
   * the drain closes every session at once. Replacing the JVM's own handlers is what lets the
   * process exit 0 after a drain instead of 143.
   */
  private static final class StopOnSignal {
    private final GatewayServer server;
    private final Logger log;
    private final AtomicBoolean draining = new AtomicBoolean();

    StopOnSignal(GatewayServer server, Logger log) {
      this.server = server;
      this.log = log;
    }

    @SuppressWarnings("restriction")
    void install(String name) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> onSignal(name));
      } catch (IllegalArgumentException e) {
        log.warn("cannot handle SIG{}: {}; it will stop the gateway without a drain", name, e.getMessage());
      }
    }

    private void onSignal(String name) {
      if (!draining.compareAndSet(false, true)) {
        log.info("SIG{} during the drain: closing every session now", name);
        new Thread(this::stopNowAndExit, "rtmpgw-stop").start();
        return;
      }
      log.info("SIG{}: starting a graceful drain", name);
      new Thread(
              () -> {
                try {
                  server.drainAndStop();
                } catch (Exception e) {
                  log.warn("drain failed", e);
                }
                System.exit(0);
              },
              "rtmpgw-drain")
          .start();
    }

    private void stopNowAndExit() {
      try {
        server.stop();
      } catch (Exception e) {
        log.warn("stop failed", e);
      }
      System.exit(0);
    }
  }

  /**
   * Loads the configured certificates the way a start would, without starting: a missing,
   * unreadable or mismatched file is a configuration error. A generated certificate is not
   * checked (checking must not create files).
   */
  static String checkCertificates(org.rtmpgw.gateway.config.GatewayConfig config) {
    boolean configured =
        !config.tlsCertFiles().isEmpty() || config.tlsKeystoreFile() != null;
    if (!config.tlsEnabled() || !configured) {
      return null;
    }
    try {
      org.rtmpgw.gateway.tls.GatewayTls.create(GatewayServer.tlsSettings(config)).close();
      return null;
    } catch (TlsSetupException e) {
      return "tls: " + e.getMessage();
    }
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "development build" : v;
  }
}
