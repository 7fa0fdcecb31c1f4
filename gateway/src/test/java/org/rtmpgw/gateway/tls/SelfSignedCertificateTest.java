package org.rtmpgw.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The certificate used when none is configured: generated once, then reused. */
class SelfSignedCertificateTest {
  @TempDir Path dir;

  private TlsTestServer server;

  @AfterEach
  void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static GatewayTls create(Path generatedDir) throws TlsSetupException {
    return GatewayTls.create(
        new TlsSettings(List.of(), null, null, generatedDir, Duration.ofSeconds(2), false));
  }

  @Test
  void generatedOnceIntoANewDirectoryThenReused() throws Exception {
    Path generatedDir = dir.resolve("state/tls");
    Path certificateFile = generatedDir.resolve("gateway-selfsigned.crt.pem");
    Path keyFile = generatedDir.resolve("gateway-selfsigned.key.pem");

    CertificateInfo first = create(generatedDir).certificates().get(0);

    assertThat(certificateFile).exists();
    assertThat(keyFile).exists();
    assertThat(Files.getPosixFilePermissions(keyFile))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(first.source()).isEqualTo(certificateFile);
    String certificateText = Files.readString(certificateFile);
    String keyText = Files.readString(keyFile);

    CertificateInfo second = create(generatedDir).certificates().get(0);

    assertThat(second.sha256Fingerprint()).isEqualTo(first.sha256Fingerprint());
    assertThat(Files.readString(certificateFile)).isEqualTo(certificateText);
    assertThat(Files.readString(keyFile)).isEqualTo(keyText);
    assertThat(generatedDir).isDirectoryNotContaining("glob:**/.tmp-*");
  }

  @Test
  void fingerprintIsWhatOpensslPrints() throws Exception {
    CertificateInfo info = create(dir).certificates().get(0);
    String openssl =
        OpenSsl.run(
            "x509",
            "-in",
            dir.resolve("gateway-selfsigned.crt.pem").toString(),
            "-noout",
            "-fingerprint",
            "-sha256");
    // "sha256 Fingerprint=AB:CD:..."
    assertThat(openssl.trim()).endsWith("=" + info.sha256Fingerprint());
    assertThat(info.sha256Fingerprint()).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
  }

  @Test
  void certificateContents() throws Exception {
    create(dir);
    X509Certificate certificate =
        PemCertificates.readChain(dir.resolve("gateway-selfsigned.crt.pem")).get(0);

    assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=rtmp-gateway");
    assertThat(certificate.getIssuerX500Principal())
        .isEqualTo(certificate.getSubjectX500Principal());
    assertThat(certificate.getVersion()).isEqualTo(3);
    assertThat(certificate.getPublicKey().getAlgorithm()).isEqualTo("EC");
    assertThat(certificate.getSigAlgName()).isEqualTo("SHA256withECDSA");
    certificate.verify(certificate.getPublicKey());
    Instant now = Instant.now();
    assertThat(certificate.getNotBefore().toInstant())
        .isBetween(now.minus(Duration.ofDays(1)).minusSeconds(60), now.minus(Duration.ofHours(23)));
    assertThat(certificate.getNotAfter().toInstant())
        .isCloseTo(now.plus(Duration.ofDays(3650)), within(1, ChronoUnit.MINUTES));
    assertThat(certificate.getBasicConstraints()).isEqualTo(-1);
    assertThat(CertificateInfo.of("cert-0", certificate, dir).hostNames())
        .contains("localhost", "127.0.0.1")
        .anyMatch(name -> name.startsWith("0:0:0:0:0:0:0:1") || name.equals("::1"));
    // the key file is PKCS#8 and readable by openssl
    assertThat(
            OpenSsl.run(
                "pkey",
                "-in",
                dir.resolve("gateway-selfsigned.key.pem").toString(),
                "-noout",
                "-text"))
        .contains("ASN1 OID: prime256v1");
  }

  @Test
  void servedOverTls() throws Exception {
    GatewayTls tls = create(dir);
    server = TlsTestServer.start(tls);
    try (TlsTestClient client = TlsTestClient.connect(server.port(), null)) {
      assertThat(client.servedSubject()).isEqualTo("CN=rtmp-gateway");
      assertThat(Fingerprints.sha256(client.served()))
          .isEqualTo(tls.certificates().get(0).sha256Fingerprint());
    }
  }

  @Test
  void halfWrittenPairIsRegenerated() throws Exception {
    Files.writeString(
        dir.resolve("gateway-selfsigned.key.pem"), "left over from an interrupted start\n");
    CertificateInfo info = create(dir).certificates().get(0);
    assertThat(info.subject()).isEqualTo("CN=rtmp-gateway");
  }

  @Test
  void damagedPairIsAnErrorNotSilentlyReplaced() throws Exception {
    create(dir);
    Path keyFile = dir.resolve("gateway-selfsigned.key.pem");
    Files.writeString(keyFile, "damaged\n");
    assertThatThrownBy(() -> create(dir))
        .isInstanceOf(TlsSetupException.class)
        .hasMessageStartingWith(keyFile + ": no private key found");
  }

  @Test
  void startWatchingIsANoOpForTheGeneratedCertificate() throws Exception {
    GatewayTls tls = create(dir);
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      tls.startWatching(scheduler);
      tls.close();
    } finally {
      scheduler.shutdownNow();
    }
    assertThat(tls.certificates()).hasSize(1);
  }
}
