package org.rtmpgw.it.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The gateway's {@code session closed ...} log lines (one per session, README "Run it"). */
final class CloseLog {

  /** One closed session as logged. */
  record Closed(
      String id,
      String transport,
      int clientPort,
      long durationMillis,
      long bytesUp,
      long bytesDown,
      long undelivered,
      long requests,
      String reason,
      String line) {}

  private static final Pattern LINE =
      Pattern.compile(
          "session closed id=(\\S+) transport=(\\S+) client=\\S*:(\\d+) upstream=\\S+"
              + " duration=(\\d+)ms bytes_up=(\\d+) bytes_down=(\\d+) undelivered=(\\d+)"
              + " requests=(\\d+) reason=(\\S+)");

  private CloseLog() {}

  static List<Closed> read(Path log) throws IOException {
    List<Closed> closed = new ArrayList<>();
    Matcher m = LINE.matcher(Files.readString(log, StandardCharsets.UTF_8));
    while (m.find()) {
      closed.add(
          new Closed(
              m.group(1),
              m.group(2),
              Integer.parseInt(m.group(3)),
              Long.parseLong(m.group(4)),
              Long.parseLong(m.group(5)),
              Long.parseLong(m.group(6)),
              Long.parseLong(m.group(7)),
              Long.parseLong(m.group(8)),
              m.group(9),
              m.group()));
    }
    return closed;
  }
}
