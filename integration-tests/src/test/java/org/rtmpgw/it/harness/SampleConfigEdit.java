package org.rtmpgw.it.harness;

/**
 * Edits a sample configuration from {@code config/} (the load-balancer samples) into the one a
 * test runs, failing loudly when the sample no longer has the shape the edit expects — so the
 * tests keep running the samples operators copy, not a drifting copy of them.
 */
final class SampleConfigEdit {
  private SampleConfigEdit() {}

  /** {@code text} with its only occurrence of {@code what} replaced. */
  static String replaceOnce(String sample, String text, String what, String with) {
    int at = text.indexOf(what);
    require(sample, at >= 0 && text.indexOf(what, at + 1) < 0, "exactly one '" + what.strip() + "'");
    return text.substring(0, at) + with + text.substring(at + what.length());
  }

  static void require(String sample, boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(sample + " changed: expected " + what);
    }
  }
}
