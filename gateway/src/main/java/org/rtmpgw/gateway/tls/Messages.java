package org.rtmpgw.gateway.tls;

/** Reduces exceptions from parsers to the one line an operator needs. */
final class Messages {
  private Messages() {}

  /** The innermost message of a cause chain, or the exception class when nothing says more. */
  static String rootCause(Throwable failure) {
    if (failure == null) {
      return "unknown error";
    }
    Throwable t = failure;
    String message = null;
    while (t != null) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
      if (t.getCause() == t) {
        break;
      }
      t = t.getCause();
    }
    String line = message == null ? failure.getClass().getSimpleName() : message;
    int newline = line.indexOf('\n');
    return newline < 0 ? line : line.substring(0, newline);
  }
}
