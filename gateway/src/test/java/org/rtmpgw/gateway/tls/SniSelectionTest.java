package org.rtmpgw.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which certificate real handshakes get: the SNI-matching one, otherwise the first configured
 * (default) one, including for clients that send no SNI at all, as librtmp does.
 */
class SniSelectionTest {
  @TempDir Path dir;

  private TlsTestServer server;

  @AfterEach
  void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private int serve(List<PemPair> pairs) throws Exception {
    GatewayTls tls =
        GatewayTls.create(new TlsSettings(pairs, null, null, null, Duration.ZERO, false));
    server = TlsTestServer.start(tls);
    return server.port();
  }

  private List<PemPair> twoRsaCertificates() throws Exception {
    return List.of(
        TestCertificates.writePair(dir, "a.test", TestCertificates.rsa(0)),
        TestCertificates.writePair(dir, "b.test", TestCertificates.rsa(1)));
  }

  @Test
  void clientWithoutSniGetsTheFirstCertificate() throws Exception {
    int port = serve(twoRsaCertificates());
    try (TlsTestClient client = TlsTestClient.connect(port, null)) {
      assertThat(client.servedSubject()).isEqualTo("CN=a.test");
      assertThat(client.get()).isEqualTo("HTTP/1.1 200 OK ok");
    }
  }

  @Test
  void sniNamingTheSecondCertificateGetsIt() throws Exception {
    int port = serve(twoRsaCertificates());
    try (TlsTestClient client = TlsTestClient.connect(port, "b.test")) {
      assertThat(client.servedSubject()).isEqualTo("CN=b.test");
    }
  }

  @Test
  void unknownSniGetsTheFirstCertificate() throws Exception {
    int port = serve(twoRsaCertificates());
    try (TlsTestClient client = TlsTestClient.connect(port, "unknown.example")) {
      assertThat(client.servedSubject()).isEqualTo("CN=a.test");
    }
  }

  @Test
  void defaultIsTheFirstConfiguredNotTheKeyManagersPick() throws Exception {
    // Jetty alone hands SNI misses to the JDK key manager, which picks in hash order: with these
    // 20 aliases it would serve cert-9 (host9.test)
    List<PemPair> pairs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      pairs.add(TestCertificates.writePair(dir, "host" + i + ".test", TestCertificates.ec()));
    }
    int port = serve(pairs);
    for (int i = 0; i < 3; i++) {
      try (TlsTestClient client = TlsTestClient.connect(port, null)) {
        assertThat(client.servedSubject()).isEqualTo("CN=host0.test");
      }
    }
    try (TlsTestClient client = TlsTestClient.connect(port, "host4.test")) {
      assertThat(client.servedSubject()).isEqualTo("CN=host4.test");
    }
  }

  @Test
  void rsaDefaultIsServedWithoutSniEvenThoughTheClientPrefersEcdsa() throws Exception {
    KeyPair ec = TestCertificates.ec();
    int port =
        serve(
            List.of(
                TestCertificates.writePair(dir, "rsa.test", TestCertificates.rsa(0)),
                TestCertificates.writePair(dir, "ec.test", ec)));
    // the JDK client (TLS 1.3) lists ECDSA signature schemes before RSA ones
    try (TlsTestClient client = TlsTestClient.connect(port, null)) {
      assertThat(client.servedSubject()).isEqualTo("CN=rsa.test");
    }
    try (TlsTestClient client = TlsTestClient.connect(port, "ec.test")) {
      assertThat(client.servedSubject()).isEqualTo("CN=ec.test");
    }
    OpenSsl.Result noSni =
        OpenSsl.runWithInput(
            "", "s_client", "-connect", "127.0.0.1:" + port, "-noservername", "-tls1_2");
    assertThat(noSni.output()).contains("subject=CN = rsa.test");
  }

  @Test
  void clientThatCannotVerifyTheDefaultsKeyTypeGetsACertificateItCanUse() throws Exception {
    int port =
        serve(
            List.of(
                TestCertificates.writePair(dir, "rsa.test", TestCertificates.rsa(0)),
                TestCertificates.writePair(dir, "ec.test", TestCertificates.ec())));
    OpenSsl.Result ecdsaOnly =
        OpenSsl.runWithInput(
            "",
            "s_client",
            "-connect",
            "127.0.0.1:" + port,
            "-noservername",
            "-tls1_3",
            "-sigalgs",
            "ECDSA+SHA256");
    assertThat(ecdsaOnly.output()).contains("subject=CN = ec.test");
  }

  @Test
  void defaultThatJettyLeavesOutOfSniMatchingIsStillTheDefault() throws Exception {
    KeyPair keys = TestCertificates.ec();
    PemPair signer =
        new PemPair(
            TestCertificates.writeChain(
                dir.resolve("signer.pem"),
                TestCertificates.selfSignedCertSigner("signer.test", keys).certificate()),
            TestCertificates.writePkcs8Key(dir.resolve("signer.key"), keys.getPrivate()));
    int port =
        serve(
            List.of(
                signer,
                TestCertificates.writePair(dir, "b.test", TestCertificates.ec()),
                TestCertificates.writePair(dir, "c.test", TestCertificates.ec())));
    try (TlsTestClient client = TlsTestClient.connect(port, null)) {
      assertThat(client.servedSubject()).isEqualTo("CN=signer.test");
    }
    try (TlsTestClient client = TlsTestClient.connect(port, "c.test")) {
      assertThat(client.servedSubject()).isEqualTo("CN=c.test");
    }
  }

  @Test
  void chainWithIntermediateIsServedWhole() throws Exception {
    TestCertificates.Issued root = TestCertificates.rootCa("Test Root");
    TestCertificates.Issued intermediate =
        TestCertificates.intermediateCa("Test Intermediate", root);
    TestCertificates.Issued leaf =
        TestCertificates.leaf("chain.test", TestCertificates.ec(), intermediate);
    PemPair pair =
        new PemPair(
            TestCertificates.writeChain(
                dir.resolve("fullchain.pem"), leaf.certificate(), intermediate.certificate()),
            TestCertificates.writeTraditionalKey(
                dir.resolve("privkey.pem"), leaf.keys().getPrivate()));
    int port = serve(List.of(pair));
    try (TlsTestClient client = TlsTestClient.connect(port, null)) {
      assertThat(client.servedChain())
          .containsExactly(leaf.certificate(), intermediate.certificate());
    }
  }
}
