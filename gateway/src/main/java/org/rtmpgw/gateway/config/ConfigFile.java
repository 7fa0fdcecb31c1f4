package org.rtmpgw.gateway.config;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.snakeyaml.engine.v2.api.ConstructNode;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.ConstructorException;
import org.snakeyaml.engine.v2.exceptions.DuplicateKeyException;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads a configuration file into key/value text for {@link GatewayConfig#fromValues}.
 *
 * <p>YAML (the default): the top level is a flat mapping of the {@link Setting} keys. Scalars are
 * taken as written ({@code 5000}, {@code true}, {@code 127.0.0.1:1935}, quoted or not); {@code
 * null}, {@code ~} and an empty value mean empty text. List keys ({@link Setting#isList()}) take a
 * YAML sequence or a comma-separated string. Syntax errors name the file, line and column;
 * duplicate keys, nested mappings and a top level that is not a mapping are problems too.
 *
 * <p>A file whose name ends in {@code .properties} is read as {@code key = value} lines (Java
 * properties syntax), the format of earlier versions.
 *
 * <p>Keys are not checked here: the caller reports unknown ones (see {@link EffectiveConfig}).
 */
public final class ConfigFile {
  private static final int MAX_BYTES = 1 << 20;

  private ConfigFile() {}

  /**
   * Reads {@code file}: properties syntax if its name ends in {@code .properties}, YAML otherwise.
   * Every problem found (naming the file) is added to {@code problems}.
   *
   * @return the values that could be read, or empty when the file could not be read or parsed at
   *     all (then its settings are unknown and validating the rest would mislead)
   */
  public static Optional<Map<String, String>> read(Path file, List<String> problems) {
    String name = file.toString();
    String text;
    try {
      if (Files.size(file) > MAX_BYTES) {
        problems.add("config " + name + ": larger than 1 MiB; is this the right file?");
        return Optional.empty();
      }
      text = decode(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      problems.add("config " + name + ": cannot read it: no such file");
      return Optional.empty();
    } catch (AccessDeniedException e) {
      problems.add("config " + name + ": cannot read it: permission denied");
      return Optional.empty();
    } catch (CharacterCodingException e) {
      problems.add("config " + name + ": cannot read it: not UTF-8 text");
      return Optional.empty();
    } catch (IOException e) {
      problems.add("config " + name + ": cannot read it: " + e.getMessage());
      return Optional.empty();
    }
    return isProperties(file) ? parseProperties(text, name, problems) : parseYaml(text, name, problems);
  }

  /** True when {@code file} is read as Java properties rather than YAML. */
  public static boolean isProperties(Path file) {
    Path fileName = file.getFileName();
    return fileName != null && fileName.toString().endsWith(".properties");
  }

  /**
   * Parses YAML text; {@code name} (the file) starts every problem.
   *
   * @throws ConfigException listing every problem
   */
  public static Map<String, String> parseYaml(String text, String name) throws ConfigException {
    List<String> problems = new ArrayList<>();
    Optional<Map<String, String>> values = parseYaml(text, name, problems);
    if (!problems.isEmpty() || values.isEmpty()) {
      throw new ConfigException(problems);
    }
    return values.get();
  }

  /**
   * Parses YAML text, adding each problem to {@code problems}.
   *
   * @return the values of the well-formed keys, or empty when the text is not YAML or its top
   *     level is not a mapping
   */
  public static Optional<Map<String, String>> parseYaml(
      String text, String name, List<String> problems) {
    String prefix = "config " + name + ": ";
    Object document;
    try {
      document = new Load(yamlSettings(name)).loadFromString(stripBom(text));
    } catch (DuplicateKeyException e) {
      // problem "found duplicate key upstream", marked at the second occurrence
      String key = e.getProblem().replaceFirst("^found duplicate key ", "");
      problems.add(prefix + at(e.getProblemMark()) + "duplicate key '" + key + "' (give each key once)");
      return Optional.empty();
    } catch (MarkedYamlEngineException e) {
      Optional<Mark> mark = e.getProblemMark().isPresent() ? e.getProblemMark() : e.getContextMark();
      String what = e.getProblem() == null ? e.getContext() : e.getProblem();
      if (e.getProblem() != null && e.getContext() != null) {
        what += " (" + e.getContext() + ")";
      }
      String kind = e instanceof ConstructorException ? "YAML error " : "YAML syntax error ";
      problems.add(prefix + kind + at(mark) + what);
      return Optional.empty();
    } catch (YamlEngineException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains("Non scalar key")) {
        message = "a key is a list or mapping; every key must be a setting name";
      }
      problems.add(prefix + "not valid YAML: " + message);
      return Optional.empty();
    }
    if (document == null) {
      return Optional.of(new LinkedHashMap<>()); // empty, or comments only: every default
    }
    if (!(document instanceof Map<?, ?> map)) {
      problems.add(
          prefix
              + "the top level must be a mapping of 'key: value' lines (e.g. 'upstream:"
              + " 127.0.0.1:1935'), not "
              + describe(document));
      return Optional.empty();
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key) || key.isBlank()) {
        problems.add(prefix + "every key must be a setting name, not " + describe(e.getKey()));
        continue;
      }
      boolean list = Setting.byKey(key).map(Setting::isList).orElse(false);
      toText(e.getValue(), list)
          .ifPresentOrElse(
              v -> values.put(key, v),
              () ->
                  problems.add(
                      prefix
                          + key
                          + ": "
                          + (list && e.getValue() instanceof List<?>
                              ? "a list holding a list or mapping"
                              : describe(e.getValue()))
                          + " is not allowed; expected "
                          + (list
                              ? "a list of text values or comma-separated text"
                              : "a single value (the file is flat: one 'key: value' per line)")));
    }
    return Optional.of(values);
  }

  /** Parses Java properties text ({@code key = value}, {@code #} comments). */
  public static Optional<Map<String, String>> parseProperties(
      String text, String name, List<String> problems) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(text));
    } catch (IOException | IllegalArgumentException e) {
      problems.add("config " + name + ": not a valid properties file: " + e.getMessage());
      return Optional.empty();
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      values.put(key, p.getProperty(key));
    }
    return Optional.of(values);
  }

  private static LoadSettings yamlSettings(String name) {
    // Scalars keep their written text: the gateway's own parsers validate them with a message
    // naming the key, and a password like 0123 or 1.50 must not become 123 or 1.5.
    ConstructNode asWritten =
        node -> {
          if (!(node instanceof ScalarNode scalar)) {
            throw new YamlEngineException("tag " + node.getTag() + " on a non-scalar");
          }
          return scalar.getValue();
        };
    ConstructNode asNull = node -> null;
    Map<Tag, ConstructNode> constructors = new LinkedHashMap<>();
    constructors.put(Tag.NULL, asNull);
    constructors.put(Tag.BOOL, asWritten);
    constructors.put(Tag.INT, asWritten);
    constructors.put(Tag.FLOAT, asWritten);
    return LoadSettings.builder()
        .setLabel(name)
        .setSchema(new CoreSchema())
        .setTagConstructors(constructors)
        .setAllowDuplicateKeys(false)
        .setAllowRecursiveKeys(false)
        .setMaxAliasesForCollections(50)
        .setUseMarks(true)
        .build();
  }

  /** The text of a YAML value, or empty when it cannot be one setting's value. */
  private static Optional<String> toText(Object value, boolean list) {
    if (value == null) {
      return Optional.of("");
    }
    if (value instanceof String s) {
      return Optional.of(s);
    }
    if (list && value instanceof List<?> items) {
      List<String> parts = new ArrayList<>();
      for (Object item : items) {
        if (item == null) {
          continue;
        }
        if (!(item instanceof String s)) {
          return Optional.empty();
        }
        parts.add(s);
      }
      return Optional.of(String.join(",", parts));
    }
    return Optional.empty();
  }

  private static String describe(Object value) {
    if (value == null) {
      return "an empty (null) value";
    }
    if (value instanceof Map<?, ?>) {
      return "a nested mapping";
    }
    if (value instanceof List<?>) {
      return "a list";
    }
    if (value instanceof String s) {
      return "the text '" + s + "'";
    }
    if (value instanceof byte[]) {
      return "binary data";
    }
    return "a " + value.getClass().getSimpleName() + " value";
  }

  private static String at(Optional<Mark> mark) {
    return mark.map(m -> "at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1) + ": ")
        .orElse("");
  }

  private static String stripBom(String text) {
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  private static String decode(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }
}
