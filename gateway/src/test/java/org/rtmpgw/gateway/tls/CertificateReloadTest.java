package org.rtmpgw.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates replaced on disk are served to new handshakes without a restart; connections already
 * open keep working, and a broken replacement leaves the old certificates in place.
 */
class CertificateReloadTest {
  private static final Duration CHECK_INTERVAL = Duration.ofMillis(50);
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir Path dir;

  private ScheduledExecutorService scheduler;
  private GatewayTls tls;
  private TlsTestServer server;

  @BeforeEach
  void startScheduler() {
    scheduler = Executors.newSingleThreadScheduledExecutor();
  }

  @AfterEach
  void stopAll() throws Exception {
    if (tls != null) {
      tls.close();
    }
    if (server != null) {
      server.close();
    }
    scheduler.shutdownNow();
  }

  private int serveWatching(PemPair pair) throws Exception {
    tls =
        GatewayTls.create(new TlsSettings(List.of(pair), null, null, null, CHECK_INTERVAL, false));
    server = TlsTestServer.start(tls);
    tls.startWatching(scheduler);
    return server.port();
  }

  private void awaitServedSubject(String subject) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> tls.certificates().get(0).subject().equals(subject));
  }

  /**
   * Writes a self-signed certificate and key for {@code host} to the given files, each replaced by
   * rename.
   */
  private void replace(Path certificateFile, Path keyFile, String host, KeyPair keys)
      throws Exception {
    PemPair fresh = TestCertificates.writePair(Files.createTempDirectory(dir, "new"), host, keys);
    Files.move(
        fresh.certificateChain(),
        certificateFile,
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
    Files.move(
        fresh.privateKey(),
        keyFile,
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void replacedFilesAreServedToNewConnectionsWhileOpenOnesKeepWorking() throws Exception {
    PemPair pair = TestCertificates.writePair(dir, "old.test", TestCertificates.ec());
    int port = serveWatching(pair);

    try (TlsTestClient before = TlsTestClient.connect(port, null)) {
      assertThat(before.servedSubject()).isEqualTo("CN=old.test");
      assertThat(before.get()).isEqualTo("HTTP/1.1 200 OK ok");

      replace(pair.certificateChain(), pair.privateKey(), "new.test", TestCertificates.ec());
      awaitServedSubject("CN=new.test");

      try (TlsTestClient after = TlsTestClient.connect(port, null)) {
        assertThat(after.servedSubject()).isEqualTo("CN=new.test");
      }
      assertThat(before.get()).isEqualTo("HTTP/1.1 200 OK ok");
      assertThat(before.servedSubject()).isEqualTo("CN=old.test");
    }
    assertThat(tls.lastReloadFailure()).isEmpty();
  }

  @Test
  void filesOverwrittenInPlaceAreNoticedToo() throws Exception {
    PemPair pair = TestCertificates.writePair(dir, "old.test", TestCertificates.ec());
    int port = serveWatching(pair);
    PemPair fresh =
        TestCertificates.writePair(
            Files.createTempDirectory(dir, "new"), "new.test", TestCertificates.ec());

    Files.write(pair.privateKey(), Files.readAllBytes(fresh.privateKey()));
    Files.write(pair.certificateChain(), Files.readAllBytes(fresh.certificateChain()));

    awaitServedSubject("CN=new.test");
    try (TlsTestClient client = TlsTestClient.connect(port, null)) {
      assertThat(client.servedSubject()).isEqualTo("CN=new.test");
    }
  }

  @Test
  void kubernetesStyleSymlinkSwapIsNoticed() throws Exception {
    // tls.crt -> ..data/tls.crt, ..data -> ..2024_01 ; the update repoints ..data atomically
    Path first = Files.createDirectory(dir.resolve("..2024_01"));
    TestCertificates.writeChain(
        first.resolve("tls.crt"), TestCertificates.selfSigned("old.test", keys(0)).certificate());
    TestCertificates.writePkcs8Key(first.resolve("tls.key"), keys(0).getPrivate());
    Path data = Files.createSymbolicLink(dir.resolve("..data"), first.getFileName());
    Path certificate = Files.createSymbolicLink(dir.resolve("tls.crt"), Path.of("..data/tls.crt"));
    Path key = Files.createSymbolicLink(dir.resolve("tls.key"), Path.of("..data/tls.key"));
    int port = serveWatching(new PemPair(certificate, key));

    try (TlsTestClient before = TlsTestClient.connect(port, null)) {
      assertThat(before.servedSubject()).isEqualTo("CN=old.test");

      Path second = Files.createDirectory(dir.resolve("..2024_02"));
      TestCertificates.writeChain(
          second.resolve("tls.crt"),
          TestCertificates.selfSigned("new.test", keys(1)).certificate());
      TestCertificates.writePkcs8Key(second.resolve("tls.key"), keys(1).getPrivate());
      Path swap = Files.createSymbolicLink(dir.resolve("..data_tmp"), second.getFileName());
      Files.move(swap, data, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

      awaitServedSubject("CN=new.test");
      try (TlsTestClient after = TlsTestClient.connect(port, null)) {
        assertThat(after.servedSubject()).isEqualTo("CN=new.test");
      }
      assertThat(before.get()).isEqualTo("HTTP/1.1 200 OK ok");
    }
  }

  @Test
  void certbotStyleLinksRepointedOneAfterTheOtherReloadOnceWithoutWarning() throws Exception {
    // live/cert.pem -> ../archive/cert1.pem, renewal writes cert2/privkey2 and relinks each
    Path archive = Files.createDirectory(dir.resolve("archive"));
    Path live = Files.createDirectory(dir.resolve("live"));
    TestCertificates.writeChain(
        archive.resolve("cert1.pem"),
        TestCertificates.selfSigned("old.test", keys(0)).certificate());
    TestCertificates.writePkcs8Key(archive.resolve("privkey1.pem"), keys(0).getPrivate());
    Path certificate =
        Files.createSymbolicLink(live.resolve("cert.pem"), Path.of("../archive/cert1.pem"));
    Path key =
        Files.createSymbolicLink(live.resolve("privkey.pem"), Path.of("../archive/privkey1.pem"));
    int port = serveWatching(new PemPair(certificate, key));

    TestCertificates.writeChain(
        archive.resolve("cert2.pem"),
        TestCertificates.selfSigned("new.test", keys(1)).certificate());
    TestCertificates.writePkcs8Key(archive.resolve("privkey2.pem"), keys(1).getPrivate());
    relink(certificate, Path.of("../archive/cert2.pem"));
    relink(key, Path.of("../archive/privkey2.pem"));

    awaitServedSubject("CN=new.test");
    try (TlsTestClient client = TlsTestClient.connect(port, null)) {
      assertThat(client.servedSubject()).isEqualTo("CN=new.test");
    }
    assertThat(tls.lastReloadFailure()).isEmpty();
  }

  private static void relink(Path link, Path target) throws Exception {
    Path temporary =
        Files.createSymbolicLink(link.resolveSibling(link.getFileName() + ".tmp"), target);
    Files.move(
        temporary, link, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void brokenReplacementKeepsTheOldCertificateAndWarnsUntilFixed() throws Exception {
    PemPair pair = TestCertificates.writePair(dir, "old.test", TestCertificates.ec());
    int port = serveWatching(pair);
    KeyPair newKeys = TestCertificates.ec();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, log), true, StandardCharsets.UTF_8));
    try {
      // a new certificate with a key that belongs to something else
      Path staging = Files.createTempDirectory(dir, "new");
      Path newCertificate =
          TestCertificates.writeChain(
              staging.resolve("c.pem"),
              TestCertificates.selfSigned("new.test", newKeys).certificate());
      Files.move(newCertificate, pair.certificateChain(), StandardCopyOption.REPLACE_EXISTING);
      TestCertificates.writePkcs8Key(pair.privateKey(), TestCertificates.ec().getPrivate());

      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(10))
          .until(() -> tls.lastReloadFailure().isPresent());
      assertThat(tls.lastReloadFailure().get())
          .startsWith(pair.privateKey() + ": private key does not match")
          .contains(pair.certificateChain().toString());
      await().atMost(WAIT).until(() -> log.toString(StandardCharsets.UTF_8).contains("[WARN]"));
      assertThat(log.toString(StandardCharsets.UTF_8))
          .contains("still serving the previous certificates")
          .contains(pair.privateKey().toString());
    } finally {
      System.setErr(originalErr);
    }
    assertThat(tls.certificates().get(0).subject()).isEqualTo("CN=old.test");
    try (TlsTestClient client = TlsTestClient.connect(port, null)) {
      assertThat(client.servedSubject()).isEqualTo("CN=old.test");
    }

    // the matching key arrives: the next change is tried again
    TestCertificates.writePkcs8Key(pair.privateKey(), newKeys.getPrivate());
    awaitServedSubject("CN=new.test");
    assertThat(tls.lastReloadFailure()).isEmpty();
    try (TlsTestClient client = TlsTestClient.connect(port, null)) {
      assertThat(client.servedSubject()).isEqualTo("CN=new.test");
    }
  }

  @Test
  void deletedFilesKeepTheOldCertificate() throws Exception {
    PemPair pair = TestCertificates.writePair(dir, "old.test", TestCertificates.ec());
    int port = serveWatching(pair);
    Files.delete(pair.privateKey());
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> tls.lastReloadFailure().isPresent());
    assertThat(tls.lastReloadFailure().get()).isEqualTo(pair.privateKey() + ": file not found");
    try (TlsTestClient client = TlsTestClient.connect(port, null)) {
      assertThat(client.servedSubject()).isEqualTo("CN=old.test");
    }
  }

  @Test
  void secondCertificateIsReloadedToo() throws Exception {
    PemPair first = TestCertificates.writePair(dir, "a.test", TestCertificates.ec());
    PemPair second = TestCertificates.writePair(dir, "b.test", TestCertificates.ec());
    tls =
        GatewayTls.create(
            new TlsSettings(List.of(first, second), null, null, null, CHECK_INTERVAL, false));
    server = TlsTestServer.start(tls);
    tls.startWatching(scheduler);

    // same host name, new key: only the fingerprint tells them apart
    String before = tls.certificates().get(1).sha256Fingerprint();
    replace(second.certificateChain(), second.privateKey(), "b.test", TestCertificates.ec());
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> !tls.certificates().get(1).sha256Fingerprint().equals(before));

    try (TlsTestClient client = TlsTestClient.connect(server.port(), "b.test")) {
      assertThat(Fingerprints.sha256(client.served()))
          .isEqualTo(tls.certificates().get(1).sha256Fingerprint());
    }
  }

  @Test
  void watchingTwiceIsAMistake() throws Exception {
    serveWatching(TestCertificates.writePair(dir, "a.test", TestCertificates.ec()));
    assertThatThrownBy(() -> tls.startWatching(scheduler))
        .isInstanceOf(IllegalStateException.class);
  }

  private static final KeyPair[] KEYS = {TestCertificates.ec(), TestCertificates.ec()};

  private static KeyPair keys(int which) {
    return KEYS[which];
  }

  /** Writes to two streams, so captured log lines still show in the test output. */
  private static final class TeeStream extends OutputStream {
    private final OutputStream first;
    private final OutputStream second;

    TeeStream(OutputStream first, OutputStream second) {
      this.first = first;
      this.second = second;
    }

    @Override
    public void write(int b) throws IOException {
      first.write(b);
      synchronized (second) {
        second.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      first.write(b, off, len);
      synchronized (second) {
        second.write(b, off, len);
      }
    }
  }
}
