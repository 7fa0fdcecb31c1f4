package org.rtmpgw.gateway.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;

/**
 * Everything served at one time: the certificates in configuration order (the first is the default)
 * and the files they were read from.
 */
final class CertificateSet {
  /** The alias of the default certificate; Jetty serves it when SNI selects nothing. */
  static final String DEFAULT_ALIAS = alias(0);

  private final List<ServedCertificate> certificates;

  CertificateSet(List<ServedCertificate> certificates) {
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("no certificates");
    }
    this.certificates = List.copyOf(certificates);
  }

  /**
   * Reads the operator's PEM pairs, then the PKCS#12 entries, checking every key against its leaf.
   */
  static CertificateSet loadConfigured(TlsSettings settings) throws TlsSetupException {
    List<ServedCertificate> served = new ArrayList<>();
    for (PemPair pair : settings.pemPairs()) {
      List<X509Certificate> chain = PemCertificates.readChain(pair.certificateChain());
      PrivateKey key = PemPrivateKeys.read(pair.privateKey());
      KeyPairCheck.requireMatch(key, chain.get(0), pair.privateKey(), pair.certificateChain());
      served.add(new ServedCertificate(key, chain, pair.certificateChain()));
    }
    if (settings.pkcs12File() != null) {
      served.addAll(Pkcs12Certificates.read(settings.pkcs12File(), settings.pkcs12Password()));
    }
    return new CertificateSet(served);
  }

  /** The files whose change means the configured set must be read again. */
  static List<Path> configuredFiles(TlsSettings settings) {
    Set<Path> files = new LinkedHashSet<>();
    for (PemPair pair : settings.pemPairs()) {
      files.add(pair.certificateChain());
      files.add(pair.privateKey());
    }
    if (settings.pkcs12File() != null) {
      files.add(settings.pkcs12File());
    }
    return List.copyOf(files);
  }

  static String alias(int index) {
    return "cert-" + index;
  }

  /**
   * A PKCS#12 key store held only in memory, one alias per certificate in order; {@code password}
   * protects the keys inside it and must be given to Jetty as the key store password as well.
   */
  KeyStore toKeyStore(String password) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < certificates.size(); i++) {
        ServedCertificate served = certificates.get(i);
        store.setKeyEntry(
            alias(i),
            served.key(),
            password.toCharArray(),
            served.chain().toArray(new X509Certificate[0]));
      }
      // what Jetty will do with it on start or reload; failing here keeps a bad set from
      // replacing a working one
      KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm())
          .init(store, password.toCharArray());
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "cannot build the in-memory key store: " + Messages.rootCause(e), e);
    }
  }

  List<CertificateInfo> describe() {
    List<CertificateInfo> infos = new ArrayList<>(certificates.size());
    for (int i = 0; i < certificates.size(); i++) {
      ServedCertificate served = certificates.get(i);
      infos.add(CertificateInfo.of(alias(i), served.leaf(), served.source()));
    }
    return List.copyOf(infos);
  }
}
