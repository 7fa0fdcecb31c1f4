package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.escape;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.forAll;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.shrinkString;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.weighted;

import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.rtmpgw.tunnel.PropertyHarnessFuzzTest.Shrinker;

/**
 * Property-based fuzzing of the RTMPT request grammar ({@link RtmptPath#parse}): arbitrary input
 * never escapes as an exception, agrees with an independent reference parser written from the
 * documented grammar, and valid paths (ids from {@link SessionIdGenerator}, seqs in range) parse
 * to exactly what they say and round-trip.
 */
class RtmptPathFuzzTest {

  private static final int TRIES = 2_000;

  // ---------------------------------------------------------------------------------------------
  // Reference: the grammar of RtmptPath#parse's javadoc, written with split and regexes.

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern SEQ = Pattern.compile("[0-9]{1,18}");

  /** What the grammar says {@code path} is: a {@link RtmptRequest} or a {@link MalformedReason}. */
  static Object reference(String path) {
    if (path == null || path.isEmpty()) {
      return MalformedReason.EMPTY;
    }
    if (path.charAt(0) != '/') {
      return MalformedReason.UNKNOWN_COMMAND;
    }
    String[] seg = path.substring(1).split("/", -1);
    switch (seg[0]) {
      case "fcs":
        return seg.length == 2 && (seg[1].equals("ident2") || seg[1].equals("ident"))
            ? new RtmptRequest(RtmptCommand.IDENT, null, RtmptRequest.NO_SEQ)
            : MalformedReason.BAD_IDENT;
      case "open":
        return seg.length == 2 && seg[1].equals("1")
            ? new RtmptRequest(RtmptCommand.OPEN, null, RtmptRequest.NO_SEQ)
            : MalformedReason.BAD_OPEN;
      case "send":
      case "idle":
      case "close":
        RtmptCommand command = RtmptCommand.valueOf(seg[0].toUpperCase(Locale.ROOT));
        if (seg.length < 2 || seg[1].isEmpty()) {
          return MalformedReason.MISSING_SESSION_ID;
        }
        if (!ID.matcher(seg[1]).matches()) {
          return MalformedReason.BAD_SESSION_ID;
        }
        if (seg.length < 3) {
          return command == RtmptCommand.CLOSE
              ? new RtmptRequest(command, seg[1], RtmptRequest.NO_SEQ)
              : MalformedReason.MISSING_SEQ;
        }
        if (!SEQ.matcher(seg[2]).matches()) {
          return MalformedReason.BAD_SEQ;
        }
        if (seg.length > 3) {
          return MalformedReason.TRAILING_SEGMENTS;
        }
        return new RtmptRequest(command, seg[1], Long.parseLong(seg[2]));
      default:
        return MalformedReason.UNKNOWN_COMMAND;
    }
  }

  /** The canonical path of a request: no leading zeros, IDENT as {@code /fcs/ident2}. */
  static String render(RtmptRequest r) {
    return switch (r.command()) {
      case IDENT -> "/fcs/ident2";
      case OPEN -> "/open/1";
      case SEND, IDLE, CLOSE ->
          "/"
              + r.command().name().toLowerCase(Locale.ROOT)
              + "/"
              + r.sessionId()
              + (r.hasSeq() ? "/" + r.seq() : "");
    };
  }

  /** Whether a character may appear in a log line as it is (independent of the parser's copy). */
  private static boolean safeToEcho(char c) {
    if (c < 0x80) {
      return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    }
    if (Character.isISOControl(c) || Character.isSurrogate(c)) {
      return false;
    }
    int t = Character.getType(c);
    return t != Character.FORMAT
        && t != Character.LINE_SEPARATOR
        && t != Character.PARAGRAPH_SEPARATOR
        && t != Character.PRIVATE_USE
        && t != Character.UNASSIGNED;
  }

  /**
   * Checks everything parse promises about {@code path}: no exception, the reference's verdict,
   * and for a malformed path a bounded detail whose quote is the offending input, masked.
   */
  static void checkParse(String path) {
    RtmptPath parsed = RtmptPath.parse(path);
    Object expected = reference(path);

    assertThat(parsed).isNotNull();
    if (expected instanceof RtmptRequest request) {
      assertThat(parsed).isEqualTo(request);
      return;
    }
    assertThat(parsed).isInstanceOf(RtmptPath.Malformed.class);
    RtmptPath.Malformed malformed = (RtmptPath.Malformed) parsed;
    assertThat(malformed.reason()).isEqualTo(expected);
    String detail = malformed.detail();
    assertThat(detail.length()).isBetween(1, RtmptPathParser.MAX_DETAIL_LENGTH);
    if (expected == MalformedReason.EMPTY) {
      return;
    }
    int open = detail.indexOf(": \"");
    assertThat(open).as(() -> "detail " + escape(detail)).isPositive();
    assertThat(detail).endsWith("\"");
    String message = detail.substring(0, open);
    String echo = detail.substring(open + 3, detail.length() - 1);
    assertThat(message).doesNotContain("\"");

    String[] seg = path.substring(1).split("/", -1);
    String quoted =
        switch ((MalformedReason) expected) {
          case BAD_SESSION_ID -> seg[1];
          case BAD_SEQ -> seg[2];
          default -> path;
        };
    int shown = Math.min(quoted.length(), RtmptPathParser.MAX_ECHOED_INPUT);
    StringBuilder masked = new StringBuilder();
    for (int i = 0; i < shown; i++) {
      char c = quoted.charAt(i);
      masked.append(safeToEcho(c) ? c : '?');
    }
    if (shown < quoted.length()) {
      masked.append("...");
    }
    if (!echo.equals(masked.toString())) {
      throw new AssertionError("echo " + escape(echo) + " should be " + escape(masked.toString()));
    }
    for (int i = 0; i < detail.length(); i++) {
      char c = detail.charAt(i);
      if (c != '"' && !safeToEcho(c)) {
        throw new AssertionError("unsafe char in detail " + escape(detail));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Generators.

  private static final String[] VOCABULARY = {
    "/", "/", "/", "//", "send", "idle", "close", "open", "fcs", "ident", "ident2", "1", "0", "00",
    "..", ".", "%2F", "%2f", "%00", "%", "%25", " ", "\t", "\n", "\r\n", "\u0000", "-1", "+1", "-",
    "_", "9223372036854775807", "9223372036854775808", "18446744073709551616",
    "999999999999999999", "1000000000000000000", "0000000000000000001", "\u0661\u0662",
    "\uff11", "\u00e9", "\u202e", "\u2028", "\u200b", "\ufeff", "\ud800", "\udc00",
    "\ud83d\ude00", "\ue000", "SEND", "Send", "?a=b", "#x", ";jsessionid=1", "\\", "\u00ff",
    "\u0085", "\u007f", "\"",
  };

  /** A session id as the generator makes them, from a seeded (reproducible) random source. */
  static String generatedId(SplittableRandom random) {
    long seed = random.nextLong();
    SecureRandom source =
        new SecureRandom() {
          private final SplittableRandom inner = new SplittableRandom(seed);

          @Override
          public int nextInt(int bound) {
            return inner.nextInt(bound);
          }
        };
    String prefix = random.nextBoolean() ? "" : alnum(random, 1 + random.nextInt(8));
    return new SessionIdGenerator(source, prefix).next();
  }

  private static final String ALNUM =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  private static String alnum(SplittableRandom random, int length) {
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(ALNUM.charAt(random.nextInt(ALNUM.length())));
    }
    return b.toString();
  }

  /** Any id of the grammar: 1 to 64 of [A-Za-z0-9_-], length edges favoured. */
  static String grammarId(SplittableRandom random) {
    int length =
        switch (weighted(random, 1, 1, 1, 4)) {
          case 0 -> 1;
          case 1 -> RtmptPathParser.MAX_SESSION_ID_LENGTH;
          case 2 -> SessionIdGenerator.MAX_ID_LENGTH;
          default -> 1 + random.nextInt(RtmptPathParser.MAX_SESSION_ID_LENGTH);
        };
    String alphabet = ALNUM + "_-";
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  static final long MAX_SEQ = 999_999_999_999_999_999L; // 18 digits

  /** A seq the grammar accepts, edges favoured. */
  static long seq(SplittableRandom random) {
    return switch (weighted(random, 2, 2, 2, 1, 1, 4)) {
      case 0 -> 0;
      case 1 -> 1 + random.nextInt(10);
      case 2 -> random.nextInt(1_000_000);
      case 3 -> MAX_SEQ;
      case 4 -> MAX_SEQ - random.nextInt(1000);
      default -> random.nextLong(MAX_SEQ + 1);
    };
  }

  /** A valid request; ids from the generator or the whole id grammar. */
  static RtmptRequest validRequest(SplittableRandom random) {
    String id = random.nextBoolean() ? generatedId(random) : grammarId(random);
    return switch (weighted(random, 1, 1, 4, 4, 2, 1)) {
      case 0 -> new RtmptRequest(RtmptCommand.IDENT, null, RtmptRequest.NO_SEQ);
      case 1 -> new RtmptRequest(RtmptCommand.OPEN, null, RtmptRequest.NO_SEQ);
      case 2 -> new RtmptRequest(RtmptCommand.SEND, id, seq(random));
      case 3 -> new RtmptRequest(RtmptCommand.IDLE, id, seq(random));
      case 4 -> new RtmptRequest(RtmptCommand.CLOSE, id, seq(random));
      default -> new RtmptRequest(RtmptCommand.CLOSE, id, RtmptRequest.NO_SEQ);
    };
  }

  /** A valid path, possibly not canonical: leading zeros within 18 digits, {@code /fcs/ident}. */
  static String validPath(SplittableRandom random) {
    RtmptRequest r = validRequest(random);
    if (r.command() == RtmptCommand.IDENT && random.nextBoolean()) {
      return "/fcs/ident";
    }
    String path = render(r);
    if (r.hasSeq() && random.nextInt(4) == 0) {
      String digits = Long.toString(r.seq());
      int zeros = random.nextInt(RtmptPathParser.MAX_SEQ_DIGITS - digits.length() + 1);
      path = path.substring(0, path.length() - digits.length()) + "0".repeat(zeros) + digits;
    }
    return path;
  }

  private static char anyChar(SplittableRandom random) {
    return switch (weighted(random, 3, 2, 1)) {
      case 0 -> (char) (0x20 + random.nextInt(0x5f)); // printable ASCII
      case 1 -> (char) random.nextInt(0x100); // a byte, as ISO-8859-1 decoding gives it
      default -> (char) random.nextInt(0x10000); // any UTF-16 unit, lone surrogates included
    };
  }

  private static final List<String> SEQ_LOOKALIKES =
      List.of("", "0x10", "1e3", "1.0", "1_000", "\uff11", "%31", "1;");

  /** A digit-ish seq segment: in range, too long, signed, padded, non-ASCII digits, empty... */
  static String seqish(SplittableRandom random) {
    return switch (weighted(random, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1)) {
      case 0 -> Long.toString(seq(random));
      case 1 -> "0".repeat(random.nextInt(20)) + seq(random);
      case 2 -> digits(random, 19 + random.nextInt(30));
      case 3 -> "-" + seq(random);
      case 4 -> "+" + seq(random);
      case 5 -> Long.toUnsignedString(Long.MIN_VALUE + random.nextLong(Long.MAX_VALUE));
      case 6 -> (random.nextBoolean() ? " " : "") + seq(random) + (random.nextBoolean() ? " " : "");
      case 7 -> "\u0661\u0662\u0663".substring(0, 1 + random.nextInt(3));
      case 8 -> SEQ_LOOKALIKES.get(random.nextInt(SEQ_LOOKALIKES.size()));
      default -> digits(random, 1 + random.nextInt(18)) + anyChar(random);
    };
  }

  private static String digits(SplittableRandom random, int n) {
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append((char) ('0' + random.nextInt(10)));
    }
    return b.toString();
  }

  /** Any string at all, shaped to hit the grammar's corners. */
  static String anyPath(SplittableRandom random) {
    switch (weighted(random, 6, 3, 2, 6, 2, 1)) {
      case 0: // tokens of the grammar and of its neighbours, glued together
        {
          StringBuilder b = new StringBuilder();
          int n = random.nextInt(12);
          for (int i = 0; i < n; i++) {
            switch (weighted(random, 8, 1, 1, 1, 1)) {
              case 0 -> b.append(VOCABULARY[random.nextInt(VOCABULARY.length)]);
              case 1 -> b.append(generatedId(random));
              case 2 -> b.append(grammarId(random));
              case 3 -> b.append(seqish(random));
              default -> b.append(anyChar(random));
            }
          }
          return b.toString();
        }
      case 1: // random characters, slashes in between
        {
          StringBuilder b = new StringBuilder();
          int n = random.nextInt(40);
          for (int i = 0; i < n; i++) {
            b.append(random.nextInt(5) == 0 ? '/' : anyChar(random));
          }
          return b.toString();
        }
      case 2: // a command with a near-miss seq
        {
          String command = List.of("send", "idle", "close").get(random.nextInt(3));
          String id = random.nextBoolean() ? generatedId(random) : grammarId(random);
          return "/" + command + "/" + id + "/" + seqish(random);
        }
      case 3: // a valid path with a few edits
        {
          StringBuilder b = new StringBuilder(validPath(random));
          int edits = 1 + random.nextInt(3);
          for (int e = 0; e < edits; e++) {
            int at = random.nextInt(b.length() + 1);
            switch (random.nextInt(7)) {
              case 0 -> b.insert(at, VOCABULARY[random.nextInt(VOCABULARY.length)]);
              case 1 -> b.insert(at, anyChar(random));
              case 2 -> {
                if (at < b.length()) {
                  b.deleteCharAt(at);
                }
              }
              case 3 -> {
                if (at < b.length()) {
                  b.setCharAt(at, anyChar(random));
                }
              }
              case 4 -> b.append('/');
              case 5 -> b.insert(0, random.nextBoolean() ? "/" : "/rtmpt");
              default -> {
                if (at < b.length()) {
                  b.setCharAt(at, Character.toUpperCase(b.charAt(at)));
                }
              }
            }
          }
          return b.toString();
        }
      case 4: // a valid path as it is
        return validPath(random);
      default: // very long
        return switch (random.nextInt(4)) {
          case 0 -> validPath(random) + "x".repeat(random.nextInt(200_000));
          case 1 -> "/".repeat(1 + random.nextInt(100_000));
          case 2 ->
              "/send/"
                  + "a".repeat(60 + random.nextInt(10)) // ids just over the 64 limit
                  + "/"
                  + digits(random, 17 + random.nextInt(3));
          default ->
              "/send/" + generatedId(random) + "/" + digits(random, 1 + random.nextInt(50_000));
        };
    }
  }

  private static Stream<String> shrinkPath(String path) {
    return path == null ? Stream.empty() : shrinkString(path);
  }

  // ---------------------------------------------------------------------------------------------
  // Properties.

  @Test
  void anyInputParsesWithoutThrowingAndAgreesWithTheReferenceGrammar() {
    checkParse(null);
    forAll(
        "parse(any string) is total and agrees with the reference grammar",
        TRIES * 5,
        RtmptPathFuzzTest::anyPath,
        RtmptPathFuzzTest::shrinkPath,
        PropertyHarnessFuzzTest::escape,
        RtmptPathFuzzTest::checkParse);
  }

  @Test
  void nearMissSeqsAreBadSeqAndInRangeSeqsParseExactly() {
    forAll(
        "a seq segment is accepted iff it is 1 to 18 ASCII digits, and then read exactly",
        TRIES,
        r ->
            List.of(
                List.of("send", "idle", "close").get(r.nextInt(3)),
                grammarId(r),
                seqish(r).replace('/', '|')),
        v -> shrinkString(v.get(2)).map(seq -> List.of(v.get(0), v.get(1), seq)),
        v -> v.get(0) + " " + v.get(1) + " " + escape(v.get(2)),
        v -> {
          String seq = v.get(2);
          String path = "/" + v.get(0) + "/" + v.get(1) + "/" + seq;
          RtmptPath parsed = RtmptPath.parse(path);
          if (SEQ.matcher(seq).matches()) {
            assertThat(parsed).isInstanceOf(RtmptRequest.class);
            assertThat(((RtmptRequest) parsed).seq())
                .isEqualTo(Long.parseLong(seq))
                .isBetween(0L, MAX_SEQ);
          } else {
            assertThat(parsed).isInstanceOf(RtmptPath.Malformed.class);
            assertThat(((RtmptPath.Malformed) parsed).reason()).isEqualTo(MalformedReason.BAD_SEQ);
          }
          checkParse(path);
        });
  }

  @Test
  void validPathsParseToExactlyTheirCommandIdAndSeq() {
    forAll(
        "a valid path parses to exactly its command, id and seq",
        TRIES,
        r -> {
          RtmptRequest request = validRequest(r);
          int zeros = r.nextInt(RtmptPathParser.MAX_SEQ_DIGITS);
          return new Object[] {request, zeros};
        },
        Shrinker.none(),
        v -> v[0] + " with up to " + v[1] + " leading zeros",
        v -> {
          RtmptRequest request = (RtmptRequest) v[0];
          String path = render(request);
          if (request.hasSeq()) {
            String digits = Long.toString(request.seq());
            int zeros = Math.min((int) v[1], RtmptPathParser.MAX_SEQ_DIGITS - digits.length());
            path = path.substring(0, path.length() - digits.length()) + "0".repeat(zeros) + digits;
          }
          if (request.sessionId() != null) {
            assertThat(RtmptPathParser.isSessionId(request.sessionId())).isTrue();
          }
          assertThat(RtmptPath.parse(path)).as(escape(path)).isEqualTo(request);
        });
  }

  @Test
  void generatedSessionIdsAreWellFormedAndRoundTripThroughEveryCommand() {
    forAll(
        "ids from SessionIdGenerator are accepted by the grammar and echoed verbatim",
        TRIES,
        r -> new Object[] {generatedId(r), seq(r)},
        Shrinker.none(),
        v -> v[0] + " seq " + v[1],
        v -> {
          String id = (String) v[0];
          long seq = (long) v[1];
          assertThat(SessionIdGenerator.isWellFormed(id)).isTrue();
          assertThat(id.length()).isLessThanOrEqualTo(SessionIdGenerator.MAX_ID_LENGTH);
          assertThat(RtmptReplies.open(id)).hasSize(id.length() + 1);
          for (RtmptCommand command :
              List.of(RtmptCommand.SEND, RtmptCommand.IDLE, RtmptCommand.CLOSE)) {
            RtmptRequest request = new RtmptRequest(command, id, seq);
            assertThat(RtmptPath.parse(render(request))).isEqualTo(request);
          }
          assertThat(RtmptPath.parse("/close/" + id))
              .isEqualTo(new RtmptRequest(RtmptCommand.CLOSE, id, RtmptRequest.NO_SEQ));
        });
  }

  @Test
  void parsedRequestsRoundTripThroughTheirCanonicalPath() {
    forAll(
        "parse(render(parse(p))) == parse(p), and render(parse(p)) == p for canonical p",
        TRIES * 2,
        r -> r.nextBoolean() ? validPath(r) : anyPath(r),
        RtmptPathFuzzTest::shrinkPath,
        PropertyHarnessFuzzTest::escape,
        path -> {
          if (!(RtmptPath.parse(path) instanceof RtmptRequest request)) {
            return;
          }
          String canonical = render(request);
          assertThat(RtmptPath.parse(canonical)).isEqualTo(request);
          boolean leadingZero = request.hasSeq() && !path.endsWith("/" + request.seq());
          if (!leadingZero && !path.equals("/fcs/ident")) {
            assertThat(canonical).isEqualTo(path);
          }
        });
  }
}
