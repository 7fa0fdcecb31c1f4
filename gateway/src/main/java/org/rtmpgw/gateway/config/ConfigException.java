package org.rtmpgw.gateway.config;

import java.util.List;

/** Configuration that cannot be used; carries one message per problem, each naming its key. */
public final class ConfigException extends Exception {
  private final List<String> problems;

  public ConfigException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
