package org.rtmpgw.gateway.tls;

import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's TLS server side: certificates from PEM files, a PKCS#12 file or a generated
 * self-signed pair, served by one Jetty {@link SslContextFactory.Server} and reloaded when their
 * files change.
 */
public final class GatewayTls implements AutoCloseable {
  /**
   * The JDK's {@code sun.security.ssl.NewSessionTicket.MAX_TICKET_LIFETIME}: a server whose session
   * timeout is longer sends no NewSessionTicket ("Session timeout is too long. No ticket sent.").
   * Same in JDK 17 and 25.
   */
  static final int MAX_TICKET_LIFETIME_SECONDS = 604_800;

  private static final Logger LOG = LoggerFactory.getLogger(GatewayTls.class);

  private final TlsSettings settings;
  private final SslContextFactory.Server sslContextFactory;

  /** Protects the keys inside the in-memory key store only; it never leaves this process. */
  private final String keyStorePassword;

  /** Empty for the generated certificate, which nobody else changes. */
  private final List<Path> watchedFiles;

  private final Map<Path, FileStamp> baseline;

  private volatile KeyStore servedKeyStore;
  private volatile List<CertificateInfo> served;
  private volatile String lastReloadFailure;

  private CertificateFileWatcher watcher;
  private boolean closed;

  private GatewayTls(
      TlsSettings settings,
      CertificateSet certificates,
      List<Path> watchedFiles,
      Map<Path, FileStamp> baseline) {
    this.settings = settings;
    this.watchedFiles = watchedFiles;
    this.baseline = baseline;
    this.keyStorePassword = randomPassword();
    this.servedKeyStore = certificates.toKeyStore(keyStorePassword);
    this.served = certificates.describe();
    this.sslContextFactory = newSslContextFactory(settings, servedKeyStore, keyStorePassword);
  }

  /**
   * Loads (or generates) the certificates; the exception's message names the file and the problem.
   */
  public static GatewayTls create(TlsSettings settings) throws TlsSetupException {
    Objects.requireNonNull(settings, "settings");
    if (!settings.hasConfiguredCertificates()) {
      if (settings.generatedCertificateDir() == null) {
        throw new IllegalArgumentException(
            "no PEM pair, no PKCS#12 file and no directory for a generated certificate");
      }
      CertificateSet generated =
          SelfSignedCertificate.loadOrGenerate(settings.generatedCertificateDir());
      return new GatewayTls(settings, generated, List.of(), Map.of());
    }
    List<Path> files = CertificateSet.configuredFiles(settings);
    // stamped before reading, so a change made while they are read is noticed by the first check
    Map<Path, FileStamp> baseline = CertificateFileWatcher.stamps(files);
    CertificateSet configured = CertificateSet.loadConfigured(settings);
    GatewayTls tls = new GatewayTls(settings, configured, files, baseline);
    tls.logServed("Serving TLS certificate");
    return tls;
  }

  /** A configured, not yet started factory for Jetty's {@code SslConnectionFactory}. */
  public SslContextFactory.Server sslContextFactory() {
    return sslContextFactory;
  }

  /**
   * Checks the certificate files for changes every {@link TlsSettings#reloadCheckInterval()} on
   * {@code scheduler}, and serves the new set to new handshakes once it reads completely and every
   * key matches its certificate. Does nothing for a generated certificate or a zero interval.
   */
  public void startWatching(ScheduledExecutorService scheduler) {
    Objects.requireNonNull(scheduler, "scheduler");
    if (watchedFiles.isEmpty()) {
      return;
    }
    if (settings.reloadCheckInterval().isZero()) {
      LOG.info("TLS certificate files are not checked for changes (reload check interval is 0)");
      return;
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      if (watcher != null) {
        throw new IllegalStateException("already watching");
      }
      watcher = new CertificateFileWatcher(watchedFiles, baseline, this::reloadFromFiles);
      watcher.start(scheduler, settings.reloadCheckInterval());
    }
    LOG.info(
        "Checking TLS certificate files {} for changes every {}",
        watchedFiles,
        settings.reloadCheckInterval());
  }

  /** What is served now, the default ({@code cert-0}) first. */
  public List<CertificateInfo> certificates() {
    return served;
  }

  /**
   * Why the last reload attempt was rejected (the old certificates are still served), or empty when
   * the last attempt succeeded or there was none. For health checks.
   */
  public Optional<String> lastReloadFailure() {
    return Optional.ofNullable(lastReloadFailure);
  }

  /** Stops watching; the factory keeps serving what it has. */
  @Override
  public synchronized void close() {
    closed = true;
    if (watcher != null) {
      watcher.close();
    }
  }

  private static SslContextFactory.Server newSslContextFactory(
      TlsSettings settings, KeyStore keyStore, String password) {
    SslContextFactory.Server factory = new SslContextFactory.Server();
    factory.setKeyStore(keyStore);
    factory.setKeyStorePassword(password); // without it start() fails: UnrecoverableKeyException
    // pinned, so that a JDK update does not silently change what the gateway accepts; Jetty's
    // default cipher exclusions stay in force
    factory.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    factory.setNeedClientAuth(false);
    factory.setWantClientAuth(false);
    // RTMP clients (librtmp) send no SNI; they must get the default certificate, not a failure
    factory.setSniRequired(false);
    // the default when Jetty has no SNI key manager (one certificate, or none with host names)
    factory.setCertAlias(CertificateSet.DEFAULT_ALIAS);
    factory.setSNISelector(new DefaultCertificateSniSelector(factory));
    if (!settings.tls13SessionTickets()) {
      // librtmp (rtmpdump) breaks when a TLS 1.3 server sends a NewSessionTicket after the
      // handshake. JDK 17 has no per-context switch for that (jdk.tls.server.newSessionTicketCount
      // came later, and is JVM-wide), but sends no ticket when the session timeout exceeds the
      // 7-day maximum ticket lifetime, so that is how tickets are turned off. TLS 1.3 stays on for
      // other clients; TLS 1.2 session-id resumption keeps working.
      factory.setSslSessionTimeout(MAX_TICKET_LIFETIME_SECONDS + 1);
      // the same timeout breaks the JDK's TLS 1.2 stateless tickets; see there
      Tls12SessionTickets.disableStatelessTickets();
    }
    return factory;
  }

  /** Runs on the watcher's thread only. */
  private void reloadFromFiles() {
    CertificateSet next;
    KeyStore nextKeyStore;
    try {
      next = CertificateSet.loadConfigured(settings);
      nextKeyStore = next.toKeyStore(keyStorePassword);
    } catch (TlsSetupException | RuntimeException e) {
      rejectReload(e.getMessage());
      return;
    }
    try {
      sslContextFactory.reload(
          f -> {
            f.setKeyStore(nextKeyStore);
            f.setKeyStorePassword(keyStorePassword);
          });
    } catch (Exception e) {
      rejectReload("Jetty refused the new certificates: " + Messages.rootCause(e));
      restoreServedKeyStore();
      return;
    }
    servedKeyStore = nextKeyStore;
    served = next.describe();
    lastReloadFailure = null;
    logServed("Reloaded TLS certificate");
  }

  private void rejectReload(String reason) {
    lastReloadFailure = reason;
    LOG.warn(
        "TLS certificate files changed but cannot be used; still serving the previous certificates:"
            + " {}",
        reason);
  }

  /** A failed Jetty reload may leave the factory without a context; put the working set back. */
  private void restoreServedKeyStore() {
    KeyStore previous = servedKeyStore;
    try {
      sslContextFactory.reload(
          f -> {
            f.setKeyStore(previous);
            f.setKeyStorePassword(keyStorePassword);
          });
    } catch (Exception e) {
      LOG.error("Could not restore the previous TLS certificates: {}", Messages.rootCause(e), e);
    }
  }

  private void logServed(String what) {
    Instant now = Instant.now();
    for (CertificateInfo info : served) {
      String role = CertificateSet.DEFAULT_ALIAS.equals(info.alias()) ? " (default)" : "";
      LOG.info("{} {}{}: {}", what, info.alias(), role, info.describe());
      if (info.notAfter().isBefore(now)) {
        LOG.warn(
            "TLS certificate {} from {} expired at {}",
            info.alias(),
            info.source(),
            info.notAfter());
      }
    }
  }

  private static String randomPassword() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }
}
