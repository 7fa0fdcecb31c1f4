package org.rtmpgw.gateway.tls;

import java.nio.file.Path;
import java.util.Objects;

/** Paths to a PEM certificate chain (leaf first) and its private key. */
public record PemPair(Path certificateChain, Path privateKey) {

  public PemPair {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
  }
}
