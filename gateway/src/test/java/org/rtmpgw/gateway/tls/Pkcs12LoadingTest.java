package org.rtmpgw.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PKCS#12 keystores: every key entry is served, after any PEM pairs. */
class Pkcs12LoadingTest {
  @TempDir Path dir;

  private static TlsSettings settings(List<PemPair> pairs, Path pkcs12, String password) {
    return new TlsSettings(pairs, pkcs12, password, null, Duration.ZERO, false);
  }

  /** A keystore written by the JDK with one key entry per host, in order. */
  private Path keyStore(String password, String... hosts) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    for (String host : hosts) {
      TestCertificates.Issued issued = TestCertificates.selfSigned(host, TestCertificates.ec());
      store.setKeyEntry(
          host,
          issued.keys().getPrivate(),
          password.toCharArray(),
          new Certificate[] {issued.certificate()});
    }
    Path file = dir.resolve("keystore.p12");
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, password.toCharArray());
    }
    return file;
  }

  @Test
  void opensslExportedKeystoreWithPassword() throws Exception {
    PemPair pem = TestCertificates.writePair(dir, "p12.test", TestCertificates.rsa(0));
    Path p12 = dir.resolve("openssl.p12");
    OpenSsl.run(
        "pkcs12",
        "-export",
        "-in",
        pem.certificateChain().toString(),
        "-inkey",
        pem.privateKey().toString(),
        "-name",
        "gateway",
        "-passout",
        "pass:s3cret",
        "-out",
        p12.toString());

    GatewayTls tls = GatewayTls.create(settings(List.of(), p12, "s3cret"));

    assertThat(tls.certificates())
        .singleElement()
        .satisfies(
            info -> {
              assertThat(info.subject()).isEqualTo("CN=p12.test");
              assertThat(info.alias()).isEqualTo("cert-0");
              assertThat(info.source()).isEqualTo(p12);
            });
  }

  @Test
  void everyKeyEntryIsServedInFileOrder() throws Exception {
    Path p12 = keyStore("pw", "one.test", "two.test", "three.test");
    GatewayTls tls = GatewayTls.create(settings(List.of(), p12, "pw"));
    assertThat(TestCertificates.subjects(tls.certificates()))
        .containsExactly("CN=one.test", "CN=two.test", "CN=three.test");
  }

  @Test
  void pemPairsComeFirstThenTheKeystoreEntries() throws Exception {
    PemPair pem = TestCertificates.writePair(dir, "pem.test", TestCertificates.ec());
    Path p12 = keyStore("pw", "p12.test");
    GatewayTls tls = GatewayTls.create(settings(List.of(pem), p12, "pw"));
    assertThat(tls.certificates())
        .extracting(CertificateInfo::alias, CertificateInfo::subject)
        .containsExactly(tuple("cert-0", "CN=pem.test"), tuple("cert-1", "CN=p12.test"));
  }

  @Test
  void wrongPassword() throws Exception {
    Path p12 = keyStore("right", "x.test");
    assertThatThrownBy(() -> GatewayTls.create(settings(List.of(), p12, "wrong")))
        .isInstanceOf(TlsSetupException.class)
        .hasMessage(p12 + ": wrong PKCS#12 password (or the file is damaged)");
  }

  @Test
  void missingPassword() throws Exception {
    Path p12 = keyStore("right", "x.test");
    assertThatThrownBy(() -> GatewayTls.create(settings(List.of(), p12, null)))
        .isInstanceOf(TlsSetupException.class)
        .hasMessageStartingWith(p12 + ": ");
  }

  @Test
  void emptyPasswordKeystore() throws Exception {
    Path p12 = keyStore("", "nopass.test");
    GatewayTls tls = GatewayTls.create(settings(List.of(), p12, ""));
    assertThat(TestCertificates.subjects(tls.certificates())).containsExactly("CN=nopass.test");
  }

  @Test
  void keystoreWithoutKeyEntries() throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("ca", TestCertificates.rootCa("CA").certificate());
    Path p12 = dir.resolve("trust.p12");
    try (OutputStream out = Files.newOutputStream(p12)) {
      store.store(out, "pw".toCharArray());
    }
    assertThatThrownBy(() -> GatewayTls.create(settings(List.of(), p12, "pw")))
        .isInstanceOf(TlsSetupException.class)
        .hasMessageContaining("contains no private key entry");
  }

  @Test
  void notAKeystore() throws Exception {
    Path pem =
        TestCertificates.writePair(dir, "pem.test", TestCertificates.ec()).certificateChain();
    assertThatThrownBy(() -> GatewayTls.create(settings(List.of(), pem, "pw")))
        .isInstanceOf(TlsSetupException.class)
        .hasMessageStartingWith(pem + ": not a readable PKCS#12 file")
        .hasMessageNotContaining("\n");
  }

  @Test
  void missingKeystore() {
    Path p12 = dir.resolve("missing.p12");
    assertThatThrownBy(() -> GatewayTls.create(settings(List.of(), p12, "pw")))
        .isInstanceOf(TlsSetupException.class)
        .hasMessage(p12 + ": file not found");
  }
}
