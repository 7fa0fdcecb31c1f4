package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SessionIdGeneratorTest {

  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  /** Records every bound asked for and answers from a script, cycling. */
  private static final class ScriptedRandom extends SecureRandom {
    final List<Integer> bounds = new ArrayList<>();
    private final int[] script;
    private int next;

    ScriptedRandom(int... script) {
      this.script = script;
    }

    @Override
    public int nextInt(int bound) {
      bounds.add(bound);
      return script[next++ % script.length];
    }
  }

  @ParameterizedTest
  @NullAndEmptySource
  void withoutPrefixIdIs22Alphanumerics(String noPrefix) {
    String id = new SessionIdGenerator(new SecureRandom(), noPrefix).next();

    assertThat(id).hasSize(SessionIdGenerator.RANDOM_CHARS).matches("[A-Za-z0-9]{22}");
    assertThat(SessionIdGenerator.isWellFormed(id)).isTrue();
    assertThat(SessionIdGenerator.nodePrefixOf(id)).isEmpty();
  }

  @Test
  void withPrefixIdIsPrefixDashAnd22Alphanumerics() {
    String id = new SessionIdGenerator(new SecureRandom(), "node1").next();

    assertThat(id).startsWith("node1-").hasSize(5 + 1 + 22).matches("node1-[A-Za-z0-9]{22}");
    assertThat(SessionIdGenerator.isWellFormed(id)).isTrue();
    assertThat(SessionIdGenerator.nodePrefixOf(id)).isEqualTo("node1");
  }

  @Test
  void longestPrefixKeepsIdWithinNodeRtspRtmpServerLimitOf31() {
    String id = new SessionIdGenerator(new SecureRandom(), "Ab345678").next();

    assertThat(id).hasSize(31);
    assertThat(SessionIdGenerator.MAX_ID_LENGTH).isEqualTo(31);
    assertThat(SessionIdGenerator.nodePrefixOf(id)).isEqualTo("Ab345678");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "123456789",
        "a-b",
        "a_b",
        "-",
        " ",
        "a ",
        "n\u00e9",
        "a/b",
        "a.b",
        "\u0661",
        "node\n"
      })
  void badPrefixIsRejected(String prefix) {
    assertThatThrownBy(() -> new SessionIdGenerator(new SecureRandom(), prefix))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nullRandomIsRejected() {
    assertThatThrownBy(() -> new SessionIdGenerator(null, "n"))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void eachCharacterIsOneDrawOf62() {
    ScriptedRandom random = new ScriptedRandom(0, 25, 26, 51, 52, 61);

    String id = new SessionIdGenerator(random, "n").next();

    assertThat(random.bounds).hasSize(22).containsOnly(62);
    assertThat(id).isEqualTo("n-" + "AZaz09AZaz09AZaz09AZaz");
  }

  @Test
  void tenThousandIdsAreUniqueAndWellFormed() {
    SessionIdGenerator generator = new SessionIdGenerator(new SecureRandom(), "gw");
    Set<String> ids = new HashSet<>();
    Set<Character> symbols = new HashSet<>();

    for (int i = 0; i < 10_000; i++) {
      String id = generator.next();
      assertThat(SessionIdGenerator.isWellFormed(id)).as(id).isTrue();
      ids.add(id);
      for (char c : id.substring(3).toCharArray()) {
        symbols.add(c);
      }
    }

    assertThat(ids).hasSize(10_000);
    assertThat(symbols).hasSize(62);
  }

  @Test
  void generatedIdsPassThePathGrammar() {
    SessionIdGenerator generator = new SessionIdGenerator(new SecureRandom(), "Node42");
    for (int i = 0; i < 100; i++) {
      String id = generator.next();
      assertThat(RtmptPath.parse("/send/" + id + "/0"))
          .isEqualTo(new RtmptRequest(RtmptCommand.SEND, id, 0));
    }
  }

  @Test
  void everyAlphabetSymbolIsReachable() {
    int[] script = new int[62];
    for (int i = 0; i < 62; i++) {
      script[i] = i;
    }
    SessionIdGenerator generator = new SessionIdGenerator(new ScriptedRandom(script), null);

    String all = generator.next() + generator.next() + generator.next();

    assertThat(all.substring(0, 62)).isEqualTo(ALPHABET);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "AbCdEfGhIjKlMnOpQrStUv",
        "a-AbCdEfGhIjKlMnOpQrStUv",
        "12345678-AbCdEfGhIjKlMnOpQrStUv",
        "0000000000000000000000"
      })
  void wellFormedIds(String id) {
    assertThat(SessionIdGenerator.isWellFormed(id)).isTrue();
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "2",
        "AbCdEfGhIjKlMnOpQrStU",
        "AbCdEfGhIjKlMnOpQrStUvW",
        "-AbCdEfGhIjKlMnOpQrStUv",
        "123456789-AbCdEfGhIjKlMnOpQrStUv",
        "a_AbCdEfGhIjKlMnOpQrStUv",
        "a-b-AbCdEfGhIjKlMnOpQrStU",
        "ab-AbCdEfGhIjKlMnOpQrSt-v",
        "a-AbCdEfGhIjKlMnOpQrStU_",
        "a--AbCdEfGhIjKlMnOpQrStUv",
        "AbCdEfGhIjKlMnOpQrStU\u0661",
        "AbCdEfGhIjKlMnOpQrStU ",
        "AbCdEfGhIjKlMnOpQrStUv-"
      })
  void malformedIds(String id) {
    assertThat(SessionIdGenerator.isWellFormed(id)).isFalse();
    assertThat(SessionIdGenerator.nodePrefixOf(id)).isEmpty();
  }
}
