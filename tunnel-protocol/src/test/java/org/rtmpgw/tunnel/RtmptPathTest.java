package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.Locale;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RtmptPathTest {

  private static final String ID_64 = "a".repeat(64);
  private static final String ID_65 = "a".repeat(65);

  static Stream<Arguments> wellFormedPaths() {
    return Stream.of(
        arguments("/fcs/ident2", RtmptCommand.IDENT, null, RtmptRequest.NO_SEQ),
        arguments("/fcs/ident", RtmptCommand.IDENT, null, RtmptRequest.NO_SEQ),
        arguments("/open/1", RtmptCommand.OPEN, null, RtmptRequest.NO_SEQ),
        arguments("/send/abc/0", RtmptCommand.SEND, "abc", 0L),
        arguments("/send/abc/12", RtmptCommand.SEND, "abc", 12L),
        arguments("/idle/abc/1", RtmptCommand.IDLE, "abc", 1L),
        arguments("/close/abc/5", RtmptCommand.CLOSE, "abc", 5L),
        arguments("/close/abc", RtmptCommand.CLOSE, "abc", RtmptRequest.NO_SEQ),
        // Shumway: "/close/2" is a session id of "2" with no seq.
        arguments("/close/2", RtmptCommand.CLOSE, "2", RtmptRequest.NO_SEQ),
        arguments("/idle/A-z_09/000", RtmptCommand.IDLE, "A-z_09", 0L),
        arguments("/send/-/7", RtmptCommand.SEND, "-", 7L),
        arguments("/send/_/7", RtmptCommand.SEND, "_", 7L),
        arguments(
            "/send/node1-AbCdEfGhIjKlMnOpQrStUv/3",
            RtmptCommand.SEND,
            "node1-AbCdEfGhIjKlMnOpQrStUv",
            3L),
        arguments("/send/" + ID_64 + "/1", RtmptCommand.SEND, ID_64, 1L),
        arguments(
            "/send/abc/999999999999999999", RtmptCommand.SEND, "abc", 999_999_999_999_999_999L),
        arguments("/send/abc/000000000000000001", RtmptCommand.SEND, "abc", 1L),
        arguments("/idle/abc/000000000000000000", RtmptCommand.IDLE, "abc", 0L));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wellFormedPaths")
  void wellFormedPathParsesToRequest(
      String path, RtmptCommand command, String sessionId, long seq) {
    assertThat(RtmptPath.parse(path)).isEqualTo(new RtmptRequest(command, sessionId, seq));
  }

  static Stream<Arguments> malformedPaths() {
    return Stream.of(
        arguments("", MalformedReason.EMPTY),
        // Unknown first segment, including case variants and a missing leading slash.
        arguments("/", MalformedReason.UNKNOWN_COMMAND),
        arguments("//", MalformedReason.UNKNOWN_COMMAND),
        arguments("//send/abc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/index.html", MalformedReason.UNKNOWN_COMMAND),
        arguments("/crossdomain.xml", MalformedReason.UNKNOWN_COMMAND),
        arguments("/SEND/a/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/Send/a/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/OPEN/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/FCS/ident2", MalformedReason.UNKNOWN_COMMAND),
        arguments("/Close/abc", MalformedReason.UNKNOWN_COMMAND),
        arguments("send/abc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments(" /send/abc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/ send/abc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/sendx/abc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/sen/abc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/send%2Fabc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/%73end/abc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/send?/abc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/open?x=1", MalformedReason.UNKNOWN_COMMAND),
        arguments("/?", MalformedReason.UNKNOWN_COMMAND),
        arguments("/\u0000", MalformedReason.UNKNOWN_COMMAND),
        arguments("/send\n/abc/1", MalformedReason.UNKNOWN_COMMAND),
        arguments("\\send\\abc\\1", MalformedReason.UNKNOWN_COMMAND),
        arguments("http://host/send/abc/1", MalformedReason.UNKNOWN_COMMAND),
        // ident
        arguments("/fcs", MalformedReason.BAD_IDENT),
        arguments("/fcs/", MalformedReason.BAD_IDENT),
        arguments("/fcs/ident3", MalformedReason.BAD_IDENT),
        arguments("/fcs/IDENT2", MalformedReason.BAD_IDENT),
        arguments("/fcs/ident2/", MalformedReason.BAD_IDENT),
        arguments("/fcs/ident/", MalformedReason.BAD_IDENT),
        arguments("/fcs/ident2/x", MalformedReason.BAD_IDENT),
        arguments("/fcs//ident2", MalformedReason.BAD_IDENT),
        arguments("/fcs/ident2?", MalformedReason.BAD_IDENT),
        arguments("/fcs/ident 2", MalformedReason.BAD_IDENT),
        arguments("/fcs/ident%32", MalformedReason.BAD_IDENT),
        // open
        arguments("/open", MalformedReason.BAD_OPEN),
        arguments("/open/", MalformedReason.BAD_OPEN),
        arguments("/open/2", MalformedReason.BAD_OPEN),
        arguments("/open/0", MalformedReason.BAD_OPEN),
        arguments("/open/01", MalformedReason.BAD_OPEN),
        arguments("/open/1/", MalformedReason.BAD_OPEN),
        arguments("/open/1/x", MalformedReason.BAD_OPEN),
        arguments("/open//1", MalformedReason.BAD_OPEN),
        arguments("/open/1?", MalformedReason.BAD_OPEN),
        arguments("/open/ 1", MalformedReason.BAD_OPEN),
        arguments("/open/+1", MalformedReason.BAD_OPEN),
        arguments("/open/\u0661", MalformedReason.BAD_OPEN),
        arguments("/open/%31", MalformedReason.BAD_OPEN),
        // missing session id
        arguments("/send", MalformedReason.MISSING_SESSION_ID),
        arguments("/send/", MalformedReason.MISSING_SESSION_ID),
        arguments("/idle", MalformedReason.MISSING_SESSION_ID),
        arguments("/idle/", MalformedReason.MISSING_SESSION_ID),
        arguments("/close", MalformedReason.MISSING_SESSION_ID),
        arguments("/close/", MalformedReason.MISSING_SESSION_ID),
        arguments("/send//1", MalformedReason.MISSING_SESSION_ID),
        arguments("/idle//0", MalformedReason.MISSING_SESSION_ID),
        arguments("/close//3", MalformedReason.MISSING_SESSION_ID),
        arguments("/send///", MalformedReason.MISSING_SESSION_ID),
        // bad session id: outside [A-Za-z0-9_-]{1,64}, no percent-decoding
        arguments("/send/a.b/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/./1", MalformedReason.BAD_SESSION_ID),
        arguments("/close/..", MalformedReason.BAD_SESSION_ID),
        arguments("/send/a%2Fb/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/%2F/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/a%20b/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/a b/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/abc /1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/ abc/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/abc?/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/a?x=1/1", MalformedReason.BAD_SESSION_ID),
        arguments("/close/abc?seq=1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/a+b/1", MalformedReason.BAD_SESSION_ID),
        arguments("/close/a:b", MalformedReason.BAD_SESSION_ID),
        arguments("/send/a\\b/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/a;b/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/\u00e9t\u00e9/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/\uD83D\uDE00/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/a\u0000b/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/abc\r\n/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/a\tb/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/\u0661/1", MalformedReason.BAD_SESSION_ID),
        arguments("/send/" + ID_65 + "/1", MalformedReason.BAD_SESSION_ID),
        arguments("/close/" + ID_65, MalformedReason.BAD_SESSION_ID),
        arguments("/send/" + "a".repeat(10_000) + "/1", MalformedReason.BAD_SESSION_ID),
        // missing seq (close may omit it)
        arguments("/send/abc", MalformedReason.MISSING_SEQ),
        arguments("/idle/abc", MalformedReason.MISSING_SEQ),
        // bad seq: 1..18 ASCII digits only
        arguments("/send/abc/", MalformedReason.BAD_SEQ),
        arguments("/idle/abc/", MalformedReason.BAD_SEQ),
        arguments("/close/abc/", MalformedReason.BAD_SEQ),
        arguments("/send/abc//", MalformedReason.BAD_SEQ),
        arguments("/send/abc//1", MalformedReason.BAD_SEQ),
        arguments("/send/abc/+1", MalformedReason.BAD_SEQ),
        arguments("/send/abc/-1", MalformedReason.BAD_SEQ),
        arguments("/send/abc/0x1", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1a", MalformedReason.BAD_SEQ),
        arguments("/send/abc/a", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1 ", MalformedReason.BAD_SEQ),
        arguments("/send/abc/ 1", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1.0", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1e3", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1_000", MalformedReason.BAD_SEQ),
        arguments("/send/abc/%31", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1?", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1?x=2", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1#", MalformedReason.BAD_SEQ),
        arguments("/send/abc/\u0661", MalformedReason.BAD_SEQ),
        arguments("/send/abc/\u0661\u0662", MalformedReason.BAD_SEQ),
        arguments("/send/abc/\uff11", MalformedReason.BAD_SEQ),
        arguments("/send/abc/\u00b9", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1\u0000", MalformedReason.BAD_SEQ),
        arguments("/send/abc/1\n", MalformedReason.BAD_SEQ),
        arguments("/send/abc/" + "1".repeat(19), MalformedReason.BAD_SEQ),
        arguments("/send/abc/" + "0".repeat(19), MalformedReason.BAD_SEQ),
        arguments("/send/abc/9223372036854775807", MalformedReason.BAD_SEQ),
        arguments("/send/abc/9223372036854775808", MalformedReason.BAD_SEQ),
        arguments("/send/abc/" + "9".repeat(1_000), MalformedReason.BAD_SEQ),
        arguments("/close/abc/x", MalformedReason.BAD_SEQ),
        arguments("/close/abc/-1", MalformedReason.BAD_SEQ),
        // trailing segments
        arguments("/send/abc/1/", MalformedReason.TRAILING_SEGMENTS),
        arguments("/idle/abc/1/", MalformedReason.TRAILING_SEGMENTS),
        arguments("/close/abc/1/", MalformedReason.TRAILING_SEGMENTS),
        arguments("/send/abc/1/x", MalformedReason.TRAILING_SEGMENTS),
        arguments("/idle/abc/1/2", MalformedReason.TRAILING_SEGMENTS),
        arguments("/close/abc/1/x", MalformedReason.TRAILING_SEGMENTS),
        arguments("/send/abc/1//", MalformedReason.TRAILING_SEGMENTS),
        arguments("/send/abc/1/x/y/z", MalformedReason.TRAILING_SEGMENTS),
        arguments("/send/abc/1/" + "/".repeat(5_000), MalformedReason.TRAILING_SEGMENTS));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("malformedPaths")
  void malformedPathIsRejectedWithReason(String path, MalformedReason reason) {
    RtmptPath parsed = RtmptPath.parse(path);

    assertThat(parsed).isInstanceOf(RtmptPath.Malformed.class);
    RtmptPath.Malformed malformed = (RtmptPath.Malformed) parsed;
    assertThat(malformed.reason()).isEqualTo(reason);
    assertDetailIsSafe(malformed.detail());
  }

  @Test
  void nullPathIsEmpty() {
    assertThat(RtmptPath.parse(null))
        .isInstanceOfSatisfying(
            RtmptPath.Malformed.class,
            m -> assertThat(m.reason()).isEqualTo(MalformedReason.EMPTY));
  }

  @Test
  void detailQuotesTheOffendingSegment() {
    RtmptPath.Malformed malformed = (RtmptPath.Malformed) RtmptPath.parse("/send/a.b/1");

    assertThat(malformed.detail()).contains("\"a.b\"");
  }

  @Test
  void detailEchoesAtMost64CharactersOfAHugePath() {
    String huge = "/x" + "y".repeat(100_000);

    RtmptPath.Malformed malformed = (RtmptPath.Malformed) RtmptPath.parse(huge);

    assertThat(malformed.reason()).isEqualTo(MalformedReason.UNKNOWN_COMMAND);
    assertThat(malformed.detail()).hasSizeLessThanOrEqualTo(100);
    assertThat(malformed.detail().chars().filter(c -> c == 'y').count()).isLessThanOrEqualTo(64);
  }

  @Test
  void detailCannotForgeALogLine() {
    String forged = "/send/abc\r\n2024-01-01 INFO admin logged in\u2028\u202e/1";

    RtmptPath.Malformed malformed = (RtmptPath.Malformed) RtmptPath.parse(forged);

    assertThat(malformed.reason()).isEqualTo(MalformedReason.BAD_SESSION_ID);
    assertThat(malformed.detail()).doesNotContain("\r", "\n", "\u2028", "\u202e");
    assertDetailIsSafe(malformed.detail());
  }

  @Test
  void detailNeverSplitsASurrogatePair() {
    String emoji = "\uD83D\uDE00";
    RtmptPath.Malformed malformed =
        (RtmptPath.Malformed) RtmptPath.parse("/send/" + emoji.repeat(40) + "/1");

    assertDetailIsSafe(malformed.detail());
  }

  @Test
  void randomPathsNeverThrowAndRequestsSatisfyTheGrammar() {
    String[] pieces = {
      "/",
      "/",
      "/",
      "send",
      "idle",
      "close",
      "open",
      "fcs",
      "ident2",
      "1",
      "0",
      "42",
      "abc",
      "-",
      "_",
      ".",
      "%2F",
      " ",
      "?",
      "\u0661",
      "\n",
      "9".repeat(18),
      "9".repeat(19),
      ID_65
    };
    Random random = new Random(20240601L);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder path = new StringBuilder();
      int n = random.nextInt(8);
      for (int j = 0; j < n; j++) {
        path.append(pieces[random.nextInt(pieces.length)]);
      }
      String input = path.toString();

      RtmptPath parsed = RtmptPath.parse(input);

      assertThat(parsed).as(input).isNotNull();
      if (parsed instanceof RtmptRequest request) {
        String expected = expectedCanonicalShape(request);
        assertThat(input).as("accepted path").matches(expected);
      } else {
        assertDetailIsSafe(((RtmptPath.Malformed) parsed).detail());
      }
    }
  }

  private static String expectedCanonicalShape(RtmptRequest request) {
    return switch (request.command()) {
      case IDENT -> "/fcs/ident2?";
      case OPEN -> "/open/1";
      case SEND, IDLE, CLOSE -> {
        String prefix =
            "/"
                + request.command().name().toLowerCase(Locale.ROOT)
                + "/"
                + Pattern.quote(request.sessionId());
        // Leading zeros are accepted, so "0*"; "0*0" also covers a seq of zero.
        yield request.hasSeq() ? prefix + "/0*" + request.seq() : prefix;
      }
    };
  }

  @Test
  void malformedRecordRejectsNulls() {
    assertThatCode(() -> new RtmptPath.Malformed(null, "x"))
        .isInstanceOf(NullPointerException.class);
    assertThatCode(() -> new RtmptPath.Malformed(MalformedReason.EMPTY, null))
        .isInstanceOf(NullPointerException.class);
  }

  private static void assertDetailIsSafe(String detail) {
    assertThat(detail).isNotBlank().hasSizeLessThanOrEqualTo(100);
    for (int i = 0; i < detail.length(); i++) {
      char c = detail.charAt(i);
      assertThat(Character.isISOControl(c) || Character.isSurrogate(c))
          .as("unsafe char U+%04X in %s", (int) c, detail)
          .isFalse();
      assertThat(Character.getType(c))
          .isNotIn(
              (int) Character.FORMAT,
              (int) Character.LINE_SEPARATOR,
              (int) Character.PARAGRAPH_SEPARATOR);
    }
  }
}
