package org.rtmpgw.it.soak;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of the gateway's {@code /metrics} (Prometheus text format), parsed into samples.
 *
 * <p>Label order in the text does not matter: labels are compared as maps.
 */
final class Metrics {

  /** One sample line: name, labels, value. */
  record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+\\S+)?$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final List<Sample> samples;

  private Metrics(List<Sample> samples) {
    this.samples = samples;
  }

  static Metrics parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line.strip());
      if (!m.matches()) {
        continue;
      }
      Map<String, String> labels = new TreeMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, number(m.group(3))));
    }
    return new Metrics(List.copyOf(samples));
  }

  private static double number(String s) {
    return switch (s) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(s);
    };
  }

  /**
   * Sum of the samples named {@code name} whose labels include every pair of {@code labelPairs}
   * ({@code "transport", "rtmpt", ...}); 0 if none.
   */
  double sum(String name, String... labelPairs) {
    double total = 0;
    for (Sample s : samples) {
      if (s.name().equals(name) && matches(s.labels(), labelPairs)) {
        total += s.value();
      }
    }
    return total;
  }

  /** Sums of {@code name}, grouped by the values of {@code label} (insertion order). */
  Map<String, Double> byLabel(String name, String label, String... labelPairs) {
    Map<String, Double> sums = new LinkedHashMap<>();
    for (Sample s : samples) {
      if (s.name().equals(name) && matches(s.labels(), labelPairs)) {
        sums.merge(s.labels().getOrDefault(label, ""), s.value(), Double::sum);
      }
    }
    return sums;
  }

  /** Samples of {@code name}, for messages and deltas. */
  List<Sample> samples(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  private static boolean matches(Map<String, String> labels, String... pairs) {
    if (pairs.length % 2 != 0) {
      throw new IllegalArgumentException("label pairs must come in twos");
    }
    for (int i = 0; i < pairs.length; i += 2) {
      if (!pairs[i + 1].equals(labels.get(pairs[i]))) {
        return false;
      }
    }
    return true;
  }
}
