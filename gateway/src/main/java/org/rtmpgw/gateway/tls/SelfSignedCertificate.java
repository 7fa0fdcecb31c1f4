package org.rtmpgw.gateway.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate served when the operator configured none: an EC P-256 self-signed certificate
 * kept in {@code generatedCertificateDir}, so its fingerprint stays stable across restarts and
 * clients can pin it.
 */
final class SelfSignedCertificate {
  static final String CERTIFICATE_FILE = "gateway-selfsigned.crt.pem";
  static final String KEY_FILE = "gateway-selfsigned.key.pem";
  static final String COMMON_NAME = "rtmp-gateway";

  private static final Logger LOG = LoggerFactory.getLogger(SelfSignedCertificate.class);
  private static final Duration BACKDATE = Duration.ofDays(1); // tolerate clients with slow clocks
  private static final Duration VALIDITY = Duration.ofDays(3650);
  private static final Pattern DNS_NAME =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");
  private static final Pattern IPV4 = Pattern.compile("[0-9.]+");

  private SelfSignedCertificate() {}

  /** Reads the pair from {@code dir}, generating and writing it first when it is not there. */
  static CertificateSet loadOrGenerate(Path dir) throws TlsSetupException {
    Path certificateFile = dir.resolve(CERTIFICATE_FILE);
    Path keyFile = dir.resolve(KEY_FILE);
    if (Files.exists(certificateFile) && Files.exists(keyFile)) {
      List<X509Certificate> chain = PemCertificates.readChain(certificateFile);
      PrivateKey key = PemPrivateKeys.read(keyFile);
      KeyPairCheck.requireMatch(key, chain.get(0), keyFile, certificateFile);
      LOG.info(
          "Using the self-signed TLS certificate {} (no certificate configured); SHA-256"
              + " fingerprint {}",
          certificateFile,
          Fingerprints.sha256(chain.get(0)));
      return new CertificateSet(List.of(new ServedCertificate(key, chain, certificateFile)));
    }
    // also when only one of the two exists: that is a generation that was interrupted, since
    // the key is written first and the certificate last
    ServedCertificate generated = generate(certificateFile);
    try {
      Files.createDirectories(dir);
      PemFileWriter.writePrivateKey(keyFile, generated.key());
      PemFileWriter.writeCertificate(certificateFile, generated.leaf());
    } catch (IOException e) {
      throw new TlsSetupException(
          dir, "cannot write the self-signed certificate: " + Messages.rootCause(e), e);
    }
    LOG.info(
        "Generated a self-signed TLS certificate {} with key {} (no certificate configured);"
            + " SHA-256 fingerprint {}",
        certificateFile,
        keyFile,
        Fingerprints.sha256(generated.leaf()));
    return new CertificateSet(List.of(generated));
  }

  private static ServedCertificate generate(Path certificateFile) throws TlsSetupException {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = generator.generateKeyPair();

      Instant now = Instant.now();
      X500Name name = new X500Name("CN=" + COMMON_NAME);
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              new BigInteger(127, new SecureRandom()).add(BigInteger.ONE),
              Date.from(now.minus(BACKDATE)),
              Date.from(now.plus(VALIDITY)),
              name,
              pair.getPublic());
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder.addExtension(
          Extension.subjectAlternativeName, false, new GeneralNames(subjectAltNames()));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      // no keyCertSign: Jetty skips certificates that can sign others when it indexes SNI names
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          extensions.createSubjectKeyIdentifier(pair.getPublic()));

      // the JDK's own Signature and CertificateFactory do the work (no BouncyCastle provider)
      ContentSigner signer =
          new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
      X509Certificate certificate =
          new JcaX509CertificateConverter().getCertificate(builder.build(signer));
      return new ServedCertificate(pair.getPrivate(), List.of(certificate), certificateFile);
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new TlsSetupException(
          certificateFile,
          "cannot generate a self-signed certificate: " + Messages.rootCause(e),
          e);
    }
  }

  private static GeneralName[] subjectAltNames() {
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.dNSName, "localhost"));
    String hostName = machineHostName();
    if (hostName != null && !hostName.equalsIgnoreCase("localhost")) {
      names.add(new GeneralName(GeneralName.dNSName, hostName));
    }
    names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    names.add(new GeneralName(GeneralName.iPAddress, "::1"));
    return names.toArray(new GeneralName[0]);
  }

  private static String machineHostName() {
    try {
      String name = InetAddress.getLocalHost().getHostName();
      return DNS_NAME.matcher(name).matches() && !IPV4.matcher(name).matches() ? name : null;
    } catch (UnknownHostException e) {
      // common in containers whose host name is not in /etc/hosts; the other names still work
      LOG.debug("No host name for the self-signed certificate: {}", e.getMessage());
      return null;
    }
  }
}
