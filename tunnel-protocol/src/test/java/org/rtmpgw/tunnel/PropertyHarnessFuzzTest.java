package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A small property-based test harness on plain JUnit Jupiter, used by the {@code *FuzzTest}
 * classes of this package, and the tests of the harness itself.
 *
 * <p>{@link #forAll} runs a check against many generated values. Every try draws its value from its
 * own seed; when a check fails, the value is shrunk (greedily, through the candidates a {@link
 * Shrinker} proposes) and the failure names the try's seed together with the command that replays
 * exactly that case. Nothing is written to disk.
 *
 * <ul>
 *   <li>{@code -Dfuzz.seed=N}: the first try uses seed {@code N} (the seed a failure printed);
 *       without it each run starts from a fresh random seed.
 *   <li>{@code -Dfuzz.tries=N}: overrides every property's number of tries (e.g. {@code 1} to
 *       replay a printed seed, or {@code 100000} for a long local fuzzing run).
 * </ul>
 *
 * <p>Why not jqwik: from 1.10 on (the line built on JUnit Platform 1.14) its maintainers ask that
 * AI coding agents do not use it, and its engine prints a message addressed to such agents into
 * every test run. This code base is developed with AI coding agents, so it respects that request
 * and keeps this small harness instead.
 */
final class PropertyHarnessFuzzTest {

  static final String SEED_PROPERTY = "fuzz.seed";
  static final String TRIES_PROPERTY = "fuzz.tries";

  /** Most checks spent on shrinking one failure. */
  private static final int MAX_SHRINK_CHECKS = 20_000;

  /** Longest rendering of a value in a failure message. */
  private static final int MAX_SHOWN_CHARS = 4_000;

  /** Draws one value. */
  @FunctionalInterface
  interface Gen<T> {
    T next(SplittableRandom random);
  }

  /** Proposes smaller variants of a failing value, most aggressive first; finite. */
  @FunctionalInterface
  interface Shrinker<T> {
    Stream<T> candidates(T value);

    static <T> Shrinker<T> none() {
      return value -> Stream.empty();
    }
  }

  /** The property: returns normally if it holds for the value, throws otherwise. */
  @FunctionalInterface
  interface Check<T> {
    void verify(T value) throws Exception;
  }

  /** A falsified property; the message carries the seed and the shrunk value. */
  static final class Falsified extends AssertionError {
    final long seed;

    Falsified(String message, long seed, Throwable cause) {
      super(message, cause);
      this.seed = seed;
    }
  }

  /** Runs {@code check} on {@code tries} values from {@code gen} (see the class description). */
  static <T> void forAll(
      String property,
      int tries,
      Gen<T> gen,
      Shrinker<T> shrinker,
      Function<? super T, String> show,
      Check<T> check) {
    Long fixedSeed = Long.getLong(SEED_PROPERTY);
    long seed = fixedSeed != null ? fixedSeed : new SplittableRandom().nextLong();
    forAll(property, seed, Integer.getInteger(TRIES_PROPERTY, tries), gen, shrinker, show, check);
  }

  static <T> void forAll(
      String property,
      long firstSeed,
      int tries,
      Gen<T> gen,
      Shrinker<T> shrinker,
      Function<? super T, String> show,
      Check<T> check) {
    long seed = firstSeed;
    for (int i = 0; i < tries; i++, seed = nextSeed(seed)) {
      T value = gen.next(new SplittableRandom(seed));
      Throwable failure = failureOf(check, value);
      if (failure == null) {
        continue;
      }
      T original = value;
      int steps = 0;
      int checks = 0;
      boolean progressed = true;
      while (progressed && checks < MAX_SHRINK_CHECKS) {
        progressed = false;
        for (T candidate : (Iterable<T>) shrinker.candidates(value)::iterator) {
          if (++checks > MAX_SHRINK_CHECKS) {
            break;
          }
          Throwable f = failureOf(check, candidate);
          if (f != null) {
            value = candidate;
            failure = f;
            steps++;
            progressed = true;
            break;
          }
        }
      }
      String message =
          String.format(
              "property \"%s\" falsified at try %d of %d%n"
                  + "  seed %d: replay with -D%s=%d -D%s=1, e.g.%n"
                  + "    mvn -o -q -pl tunnel-protocol test -Dtest=%s -D%s=%d -D%s=1%n"
                  + "  failure: %s%n"
                  + "  shrunk value (%d steps): %s%n"
                  + "  original value: %s",
              property,
              i + 1,
              tries,
              seed,
              SEED_PROPERTY,
              seed,
              TRIES_PROPERTY,
              callingTest(),
              SEED_PROPERTY,
              seed,
              TRIES_PROPERTY,
              failure,
              steps,
              clip(show.apply(value)),
              clip(show.apply(original)));
      throw new Falsified(message, seed, failure);
    }
  }

  /** {@code Class#method} of the test that called {@link #forAll}. */
  private static String callingTest() {
    return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
        .walk(
            frames ->
                frames
                    .filter(f -> !f.getClassName().equals(PropertyHarnessFuzzTest.class.getName()))
                    .filter(f -> f.getClassName().startsWith("org.rtmpgw."))
                    .findFirst())
        .map(f -> f.getDeclaringClass().getSimpleName() + "#" + f.getMethodName())
        .orElse("<class>");
  }

  private static <T> Throwable failureOf(Check<T> check, T value) {
    try {
      check.verify(value);
      return null;
    } catch (OutOfMemoryError e) {
      throw e;
    } catch (Throwable t) {
      return t;
    }
  }

  /** The seed of the try after the one seeded {@code seed} (a SplitMix64 step). */
  static long nextSeed(long seed) {
    long z = seed + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static String clip(String s) {
    return s.length() <= MAX_SHOWN_CHARS
        ? s
        : s.substring(0, MAX_SHOWN_CHARS) + "... (" + s.length() + " chars)";
  }

  // ---------------------------------------------------------------------------------------------
  // Shrinkers and helpers shared by the fuzz tests.

  /**
   * Sublists of {@code list}: without a chunk of n/2, n/4, ..., 1 elements at each position, the
   * biggest cuts first, then with single elements replaced by their own smaller candidates.
   */
  static <E> Stream<List<E>> shrinkList(List<E> list, Shrinker<E> element) {
    Stream<List<E>> cuts =
        Stream.iterate(Math.max(1, list.size() / 2), n -> n >= 1, n -> n / 2)
            .flatMap(
                n ->
                    Stream.iterate(0, from -> from + n <= list.size(), from -> from + n)
                        .map(
                            from -> {
                              List<E> shorter = new ArrayList<>(list.subList(0, from));
                              shorter.addAll(list.subList(from + n, list.size()));
                              return shorter;
                            }));
    Stream<List<E>> smallerElements =
        Stream.iterate(0, i -> i < list.size(), i -> i + 1)
            .flatMap(
                i ->
                    element
                        .candidates(list.get(i))
                        .map(
                            e -> {
                              List<E> copy = new ArrayList<>(list);
                              copy.set(i, e);
                              return copy;
                            }));
    return list.isEmpty() ? Stream.empty() : Stream.concat(cuts, smallerElements);
  }

  /** Shorter strings: chunks of characters removed, as for {@link #shrinkList}. */
  static Stream<String> shrinkString(String s) {
    List<Character> chars = new ArrayList<>(s.length());
    for (int i = 0; i < s.length(); i++) {
      chars.add(s.charAt(i));
    }
    return shrinkList(chars, Shrinker.none())
        .map(
            cs -> {
              StringBuilder b = new StringBuilder(cs.size());
              cs.forEach(b::append);
              return b.toString();
            });
  }

  /** Shorter byte arrays, then bytes moved towards 0. */
  static Stream<byte[]> shrinkBytes(byte[] bytes) {
    List<Byte> list = new ArrayList<>(bytes.length);
    for (byte b : bytes) {
      list.add(b);
    }
    return shrinkList(list, b -> b == 0 ? Stream.empty() : Stream.of((byte) 0, (byte) (b / 2)))
        .map(
            bs -> {
              byte[] out = new byte[bs.size()];
              for (int i = 0; i < out.length; i++) {
                out[i] = bs.get(i);
              }
              return out;
            });
  }

  /** A Java-literal-like rendering that shows every invisible or non-ASCII character. */
  static String escape(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c >= 0x20 && c < 0x7f) {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    return b.append('"').append(" (").append(s.length()).append(" chars)").toString();
  }

  /** Picks one of {@code choices} by weight. */
  static int weighted(SplittableRandom random, int... weights) {
    int total = 0;
    for (int w : weights) {
      total += w;
    }
    int r = random.nextInt(total);
    for (int i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) {
        return i;
      }
    }
    throw new AssertionError();
  }

  // ---------------------------------------------------------------------------------------------
  // Tests of the harness itself.

  @Test
  void sameSeedGivesSameValues() {
    List<Integer> first = new ArrayList<>();
    List<Integer> second = new ArrayList<>();
    forAll("collect", 42L, 50, r -> r.nextInt(), Shrinker.none(), String::valueOf, first::add);
    forAll("collect", 42L, 50, r -> r.nextInt(), Shrinker.none(), String::valueOf, second::add);

    assertThat(first).hasSize(50).isEqualTo(second);
    assertThat(first).doesNotHaveDuplicates();
  }

  @Test
  void failureNamesASeedThatReplaysTheFailingCaseFirst() {
    Gen<Integer> gen = r -> r.nextInt(1000);
    Check<Integer> check = v -> assertThat(v).isLessThan(990);

    Falsified failure = null;
    try {
      forAll("below 990", 7L, 100_000, gen, Shrinker.none(), String::valueOf, check);
    } catch (Falsified f) {
      failure = f;
    }

    assertThat(failure).isNotNull();
    assertThat(failure.getMessage())
        .contains("below 990", "seed " + failure.seed, "-Dfuzz.seed=" + failure.seed);
    int replayed = gen.next(new SplittableRandom(failure.seed));
    assertThat(replayed).isGreaterThanOrEqualTo(990);
    final long seed = failure.seed;
    assertThatThrownBy(
            () -> forAll("below 990", seed, 1, gen, Shrinker.none(), String::valueOf, check))
        .isInstanceOf(Falsified.class)
        .hasMessageContaining("at try 1 of 1");
  }

  @Test
  void failingListIsShrunkToAMinimalOne() {
    Gen<List<Integer>> gen =
        r -> Stream.generate(() -> r.nextInt(10)).limit(5 + r.nextInt(50)).toList();
    Check<List<Integer>> noSevenAfterThree =
        list -> {
          int three = list.indexOf(3);
          assertThat(three >= 0 && list.subList(three, list.size()).contains(7)).isFalse();
        };

    assertThatThrownBy(
            () ->
                forAll(
                    "no 7 after a 3",
                    1L,
                    1000,
                    gen,
                    list -> shrinkList(list, Shrinker.none()),
                    String::valueOf,
                    noSevenAfterThree))
        .isInstanceOf(Falsified.class)
        .hasMessageContaining("shrunk value (")
        .hasMessageContaining("): [3, 7]\n");
  }

  @Test
  void escapeShowsInvisibleCharacters() {
    assertThat(escape("a\n\u202e\"")).isEqualTo("\"a\\u000a\\u202e\\\"\" (4 chars)");
  }
}
