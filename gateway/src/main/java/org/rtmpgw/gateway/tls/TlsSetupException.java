package org.rtmpgw.gateway.tls;

import java.nio.file.Path;

/**
 * Certificates that cannot be served. The message is one line an operator can act on: the file and
 * what is wrong with it, never a stack trace.
 */
public final class TlsSetupException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public TlsSetupException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  public TlsSetupException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The file the problem is about. */
  public Path file() {
    return file;
  }
}
