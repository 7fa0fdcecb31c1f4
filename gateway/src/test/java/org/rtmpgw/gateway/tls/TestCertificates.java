package org.rtmpgw.gateway.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Keys and certificates for tests, made in-process with the JDK and BouncyCastle's builders. */
final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** RSA key generation costs ~100 ms; tests share a few keys. */
  private static final KeyPair[] RSA = new KeyPair[3];

  private TestCertificates() {}

  /** A certificate with its key and the key of whoever signed it. */
  record Issued(X509Certificate certificate, KeyPair keys) {
    X500Name name() {
      return X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    }
  }

  static synchronized KeyPair rsa(int which) {
    if (RSA[which] == null) {
      RSA[which] = generate("RSA");
    }
    return RSA[which];
  }

  static KeyPair ec() {
    return generate("EC");
  }

  private static KeyPair generate(String algorithm) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      if ("EC".equals(algorithm)) {
        generator.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        generator.initialize(2048);
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A self-signed leaf for {@code host}: CN and one DNS subject alternative name. */
  static Issued selfSigned(String host, KeyPair keys) {
    X500Name name = new X500Name("CN=" + host);
    return new Issued(build(name, keys, name, keys, host, false), keys);
  }

  /**
   * A self-signed certificate for {@code host} that may also sign others (key usage keyCertSign),
   * as some hand-made certificates are; Jetty leaves those out of SNI matching.
   */
  static Issued selfSignedCertSigner(String host, KeyPair keys) {
    X500Name name = new X500Name("CN=" + host);
    return new Issued(build(name, keys, name, keys, host, true), keys);
  }

  static Issued rootCa(String name) {
    KeyPair keys = ec();
    X500Name subject = new X500Name("CN=" + name);
    return new Issued(build(subject, keys, subject, keys, null, true), keys);
  }

  static Issued intermediateCa(String name, Issued issuer) {
    KeyPair keys = ec();
    return new Issued(
        build(new X500Name("CN=" + name), keys, issuer.name(), issuer.keys(), null, true), keys);
  }

  static Issued leaf(String host, KeyPair keys, Issued issuer) {
    return new Issued(
        build(new X500Name("CN=" + host), keys, issuer.name(), issuer.keys(), host, false), keys);
  }

  private static X509Certificate build(
      X500Name subject,
      KeyPair subjectKeys,
      X500Name issuer,
      KeyPair issuerKeys,
      String host,
      boolean ca) {
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              issuer,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(30))),
              subject,
              subjectKeys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        builder.addExtension(
            Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      }
      if (host != null) {
        builder.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(new GeneralName(GeneralName.dNSName, host)));
      }
      String algorithm =
          "EC".equals(issuerKeys.getPrivate().getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder(algorithm).build(issuerKeys.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes certificates as consecutive PEM blocks, in the given order. */
  static Path writeChain(Path file, X509Certificate... chain) throws IOException {
    StringBuilder text = new StringBuilder();
    for (X509Certificate certificate : chain) {
      try {
        text.append(PemFileWriter.pem("CERTIFICATE", certificate.getEncoded()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
    Files.writeString(file, text, StandardCharsets.US_ASCII);
    return file;
  }

  /** PKCS#8: {@code BEGIN PRIVATE KEY}. */
  static Path writePkcs8Key(Path file, PrivateKey key) throws IOException {
    Files.writeString(
        file, PemFileWriter.pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
    return file;
  }

  /**
   * The traditional OpenSSL form: PKCS#1 {@code BEGIN RSA PRIVATE KEY} or SEC1 {@code BEGIN EC
   * PRIVATE KEY} with its curve, converted by {@code openssl pkey -traditional}.
   */
  static Path writeTraditionalKey(Path file, PrivateKey key)
      throws IOException, InterruptedException {
    Path pkcs8 = writePkcs8Key(file.resolveSibling(file.getFileName() + ".pkcs8"), key);
    OpenSsl.run("pkey", "-in", pkcs8.toString(), "-traditional", "-out", file.toString());
    Files.delete(pkcs8);
    return file;
  }

  /** A self-signed certificate and PKCS#8 key for {@code host} in {@code dir}, as a pair. */
  static PemPair writePair(Path dir, String host, KeyPair keys) throws IOException {
    Issued issued = selfSigned(host, keys);
    return new PemPair(
        writeChain(dir.resolve(host + ".crt.pem"), issued.certificate()),
        writePkcs8Key(dir.resolve(host + ".key.pem"), keys.getPrivate()));
  }

  static List<String> subjects(List<CertificateInfo> infos) {
    return infos.stream().map(CertificateInfo::subject).toList();
  }
}
