package org.rtmpgw.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificate chains and keys in the PEM forms operators have, and every way they can be wrong. */
class PemLoadingTest {
  @TempDir Path dir;

  private static GatewayTls load(PemPair... pairs) throws TlsSetupException {
    return GatewayTls.create(
        new TlsSettings(List.of(pairs), null, null, null, Duration.ZERO, false));
  }

  private PemPair opensslPair(String name, String... keyCommand) throws Exception {
    Path key = dir.resolve(name + ".key.pem");
    Path certificate = dir.resolve(name + ".crt.pem");
    // openssl SUBCOMMAND -out KEY OPTIONS... (genrsa wants its key size last)
    String[] command = new String[keyCommand.length + 2];
    command[0] = keyCommand[0];
    command[1] = "-out";
    command[2] = key.toString();
    System.arraycopy(keyCommand, 1, command, 3, keyCommand.length - 1);
    OpenSsl.run(command);
    OpenSsl.run(
        "req",
        "-x509",
        "-key",
        key.toString(),
        "-out",
        certificate.toString(),
        "-days",
        "2",
        "-subj",
        "/CN=" + name + ".test",
        "-addext",
        "subjectAltName=DNS:" + name + ".test");
    return new PemPair(certificate, key);
  }

  private static String firstLine(Path file) throws Exception {
    return Files.readAllLines(file).get(0);
  }

  @Test
  void rsaKeyInPkcs1Form() throws Exception {
    PemPair pair = opensslPair("rsa1", "genrsa", "-traditional", "2048");
    assertThat(firstLine(pair.privateKey())).isEqualTo("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(load(pair).certificates())
        .extracting(CertificateInfo::subject)
        .containsExactly("CN=rsa1.test");
  }

  @Test
  void rsaKeyInPkcs8Form() throws Exception {
    PemPair pair =
        opensslPair("rsa8", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048");
    assertThat(firstLine(pair.privateKey())).isEqualTo("-----BEGIN PRIVATE KEY-----");
    assertThat(load(pair).certificates())
        .extracting(CertificateInfo::subject)
        .containsExactly("CN=rsa8.test");
  }

  @Test
  void ecKeyInSec1FormAfterEcParameters() throws Exception {
    PemPair pair = opensslPair("ec1", "ecparam", "-name", "prime256v1", "-genkey");
    assertThat(firstLine(pair.privateKey())).isEqualTo("-----BEGIN EC PARAMETERS-----");
    assertThat(Files.readString(pair.privateKey())).contains("-----BEGIN EC PRIVATE KEY-----");
    assertThat(load(pair).certificates())
        .extracting(CertificateInfo::subject)
        .containsExactly("CN=ec1.test");
  }

  @Test
  void ecKeyInPkcs8Form() throws Exception {
    PemPair pair =
        opensslPair("ec8", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384");
    assertThat(firstLine(pair.privateKey())).isEqualTo("-----BEGIN PRIVATE KEY-----");
    assertThat(load(pair).certificates())
        .extracting(CertificateInfo::subject)
        .containsExactly("CN=ec8.test");
  }

  @Test
  void chainWithIntermediateDescribesTheLeaf() throws Exception {
    TestCertificates.Issued root = TestCertificates.rootCa("Root");
    TestCertificates.Issued intermediate = TestCertificates.intermediateCa("Intermediate", root);
    KeyPair keys = TestCertificates.ec();
    TestCertificates.Issued leaf = TestCertificates.leaf("leaf.test", keys, intermediate);
    Path chain =
        TestCertificates.writeChain(
            dir.resolve("chain.pem"), leaf.certificate(), intermediate.certificate());
    Path key = TestCertificates.writeTraditionalKey(dir.resolve("key.pem"), keys.getPrivate());

    CertificateInfo info = load(new PemPair(chain, key)).certificates().get(0);

    assertThat(info.alias()).isEqualTo("cert-0");
    assertThat(info.subject()).isEqualTo("CN=leaf.test");
    assertThat(info.hostNames()).containsExactly("leaf.test");
    assertThat(info.sha256Fingerprint()).isEqualTo(Fingerprints.sha256(leaf.certificate()));
    assertThat(info.notAfter()).isEqualTo(leaf.certificate().getNotAfter().toInstant());
    assertThat(info.source()).isEqualTo(chain);
  }

  @Test
  void chainInTheWrongOrderIsReportedAsAKeyMismatchWithAHint() throws Exception {
    TestCertificates.Issued root = TestCertificates.rootCa("Root");
    KeyPair keys = TestCertificates.ec();
    TestCertificates.Issued leaf = TestCertificates.leaf("leaf.test", keys, root);
    Path chain =
        TestCertificates.writeChain(
            dir.resolve("chain.pem"), root.certificate(), leaf.certificate());
    Path key = TestCertificates.writePkcs8Key(dir.resolve("key.pem"), keys.getPrivate());

    assertThatThrownBy(() -> load(new PemPair(chain, key)))
        .isInstanceOf(TlsSetupException.class)
        .hasMessageContaining("leaf certificate must come first");
  }

  // ---- what goes wrong

  private PemPair validPair() throws Exception {
    return TestCertificates.writePair(dir, "valid.test", TestCertificates.ec());
  }

  /** Loads, expects a one-line TlsSetupException naming {@code file}, returns its message. */
  private static String failure(PemPair pair, Path file) {
    Throwable thrown = catchThrowable(() -> load(pair));
    assertThat(thrown).isInstanceOf(TlsSetupException.class);
    assertThat(((TlsSetupException) thrown).file()).isEqualTo(file);
    assertThat(thrown.getMessage()).startsWith(file + ": ").doesNotContain("\n");
    return thrown.getMessage();
  }

  @Test
  void missingCertificateFile() throws Exception {
    PemPair valid = validPair();
    Path missing = dir.resolve("nope.crt.pem");
    assertThat(failure(new PemPair(missing, valid.privateKey()), missing))
        .endsWith("file not found");
  }

  @Test
  void missingKeyFile() throws Exception {
    PemPair valid = validPair();
    Path missing = dir.resolve("nope.key.pem");
    assertThat(failure(new PemPair(valid.certificateChain(), missing), missing))
        .endsWith("file not found");
  }

  @Test
  void emptyCertificateFile() throws Exception {
    PemPair valid = validPair();
    Path empty = Files.writeString(dir.resolve("empty.pem"), "");
    assertThat(failure(new PemPair(empty, valid.privateKey()), empty)).endsWith("file is empty");
  }

  @Test
  void blankKeyFile() throws Exception {
    PemPair valid = validPair();
    Path blank = Files.writeString(dir.resolve("blank.pem"), "\n  \n");
    assertThat(failure(new PemPair(valid.certificateChain(), blank), blank))
        .endsWith("file is empty");
  }

  @Test
  void directoryInsteadOfFile() throws Exception {
    PemPair valid = validPair();
    Path directory = Files.createDirectory(dir.resolve("certs"));
    assertThat(failure(new PemPair(directory, valid.privateKey()), directory))
        .contains("is a directory");
  }

  @Test
  void unreadableFile() throws Exception {
    assumeFalse("root".equals(System.getProperty("user.name")), "root reads any file");
    PemPair valid = validPair();
    Files.setPosixFilePermissions(valid.privateKey(), PosixFilePermissions.fromString("---------"));
    assertThat(failure(valid, valid.privateKey())).contains("permission denied");
  }

  @Test
  void garbageCertificateFile() throws Exception {
    PemPair valid = validPair();
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "this is not a certificate\n");
    assertThat(failure(new PemPair(garbage, valid.privateKey()), garbage))
        .contains("no certificate found");
  }

  @Test
  void corruptCertificateBlock() throws Exception {
    PemPair valid = validPair();
    Path corrupt =
        Files.writeString(
            dir.resolve("corrupt.pem"),
            "-----BEGIN CERTIFICATE-----\nMIIBfoo!!\n-----END CERTIFICATE-----\n");
    assertThat(failure(new PemPair(corrupt, valid.privateKey()), corrupt))
        .contains("cannot parse certificate");
  }

  @Test
  void garbageKeyFile() throws Exception {
    PemPair valid = validPair();
    Path garbage = Files.writeString(dir.resolve("garbage.key"), "hello\n");
    assertThat(failure(new PemPair(valid.certificateChain(), garbage), garbage))
        .contains("no private key found");
  }

  @Test
  void corruptKeyBlock() throws Exception {
    PemPair valid = validPair();
    Path corrupt =
        Files.writeString(
            dir.resolve("corrupt.key"),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assertThat(failure(new PemPair(valid.certificateChain(), corrupt), corrupt))
        .contains("cannot parse private key");
  }

  @Test
  void swappedPaths() throws Exception {
    PemPair valid = validPair();
    assertThat(
            failure(new PemPair(valid.privateKey(), valid.certificateChain()), valid.privateKey()))
        .contains("contains a private key, not a certificate");
  }

  @Test
  void certificateGivenAsKey() throws Exception {
    PemPair valid = validPair();
    assertThat(
            failure(
                new PemPair(valid.certificateChain(), valid.certificateChain()),
                valid.certificateChain()))
        .contains("contains a certificate but no private key");
  }

  @Test
  void encryptedPkcs8Key() throws Exception {
    PemPair valid = validPair();
    Path encrypted = dir.resolve("encrypted.key");
    OpenSsl.run(
        "pkey",
        "-in",
        valid.privateKey().toString(),
        "-aes256",
        "-passout",
        "pass:secret",
        "-out",
        encrypted.toString());
    assertThat(firstLine(encrypted)).isEqualTo("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    assertThat(failure(new PemPair(valid.certificateChain(), encrypted), encrypted))
        .contains("encrypted private keys are not supported; decrypt with openssl pkey");
  }

  @Test
  void encryptedTraditionalKey() throws Exception {
    PemPair valid = validPair();
    Path encrypted = dir.resolve("encrypted-traditional.key");
    OpenSsl.run(
        "ec",
        "-in",
        valid.privateKey().toString(),
        "-aes128",
        "-passout",
        "pass:secret",
        "-out",
        encrypted.toString());
    assertThat(Files.readString(encrypted)).contains("Proc-Type: 4,ENCRYPTED");
    assertThat(failure(new PemPair(valid.certificateChain(), encrypted), encrypted))
        .contains("encrypted private keys are not supported; decrypt with openssl pkey");
  }

  @Test
  void keyOfAnotherCertificateNamesBothFiles() throws Exception {
    PemPair a = TestCertificates.writePair(dir, "a.test", TestCertificates.ec());
    PemPair b = TestCertificates.writePair(dir, "b.test", TestCertificates.ec());
    assertThat(failure(new PemPair(a.certificateChain(), b.privateKey()), b.privateKey()))
        .contains("private key does not match")
        .contains(a.certificateChain().toString());
  }

  @Test
  void rsaKeyForAnEcCertificate() throws Exception {
    PemPair ec = TestCertificates.writePair(dir, "ec.test", TestCertificates.ec());
    PemPair rsa = TestCertificates.writePair(dir, "rsa.test", TestCertificates.rsa(0));
    assertThat(failure(new PemPair(ec.certificateChain(), rsa.privateKey()), rsa.privateKey()))
        .contains("the key is RSA but the certificate's key is EC");
  }

  @Test
  void unsupportedKeyAlgorithm() throws Exception {
    PemPair valid = validPair();
    Path ed25519 = dir.resolve("ed25519.key");
    OpenSsl.run("genpkey", "-algorithm", "ed25519", "-out", ed25519.toString());
    assertThat(failure(new PemPair(valid.certificateChain(), ed25519), ed25519))
        .contains("unsupported key algorithm");
  }

  @Test
  void oversizedFile() throws Exception {
    PemPair valid = validPair();
    Path huge = dir.resolve("huge.pem");
    Files.write(huge, new byte[(int) CertificateFiles.MAX_BYTES + 1]);
    assertThat(failure(new PemPair(huge, valid.privateKey()), huge)).contains("too large");
  }

  @Test
  void problemInTheSecondPairNamesThatPair() throws Exception {
    PemPair valid = validPair();
    Path missing = dir.resolve("second.crt.pem");
    Throwable thrown = catchThrowable(() -> load(valid, new PemPair(missing, valid.privateKey())));
    assertThat(thrown).hasMessage(missing + ": file not found");
  }

  @Test
  void combinedFileWithChainAndKeyServesAsBoth() throws Exception {
    PemPair valid = validPair();
    Path combined =
        Files.writeString(
            dir.resolve("combined.pem"),
            Files.readString(valid.privateKey()) + Files.readString(valid.certificateChain()));
    assertThat(load(new PemPair(combined, combined)).certificates()).hasSize(1);
  }

  @Test
  void textAroundPemBlocksIsIgnored() throws Exception {
    PemPair valid = validPair();
    String text =
        "Subject: whatever\n"
            + Files.readString(valid.certificateChain(), StandardCharsets.US_ASCII);
    Path annotated = Files.writeString(dir.resolve("annotated.pem"), text);
    assertThat(load(new PemPair(annotated, valid.privateKey())).certificates()).hasSize(1);
  }
}
