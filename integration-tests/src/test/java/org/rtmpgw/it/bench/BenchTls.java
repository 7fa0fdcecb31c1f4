package org.rtmpgw.it.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Security;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.rtmpgw.it.harness.PeerProcess;

/** TLS pieces of the RTMPS benchmark: a PEM pair, TLS version pinning, handshake probes. */
final class BenchTls {
  /** The TLS versions the gateway enables (GatewayTls pins exactly these). */
  static final List<String> GATEWAY_VERSIONS = List.of("TLSv1.3", "TLSv1.2");

  private static final Duration PROBE_BOUND = Duration.ofSeconds(30);
  /** GnuTLS (ffmpeg's TLS library here) names versions by their wire numbers. */
  private static final Map<String, String> GNUTLS_VERSIONS =
      Map.of("3.4", "TLSv1.3", "3.3", "TLSv1.2", "3.2", "TLSv1.1", "3.1", "TLSv1");
  private static final Pattern NEGOTIATED = Pattern.compile("Negotiated version: (\\S+)");
  private static final Pattern SERVER_VERSION = Pattern.compile("Server's version: (\\S+)");
  private static final Pattern CIPHER = Pattern.compile("Selected cipher suite: (\\S+)");
  private static final Pattern GROUP = Pattern.compile("Selected group (\\S+)");
  private static final Pattern OPENSSL_NEW = Pattern.compile("New, (\\S+), Cipher is (\\S+)");

  private BenchTls() {}

  /** A certificate chain and its private key, both PEM files. */
  record Pem(Path cert, Path key, String keyType) {}

  /** What one client's handshake negotiated. */
  record Negotiated(String version, String cipher, String group) {
    @Override
    public String toString() {
      return version + ", " + cipher + (group.isEmpty() ? "" : ", " + group);
    }
  }

  /**
   * A self-signed EC P-256 certificate for 127.0.0.1 generated with openssl into {@code dir}: the
   * same pair is served by stunnel and by the gateway, so both sign the handshake with the same
   * key type.
   */
  static Pem selfSigned(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path cert = dir.resolve("bench-cert.pem");
    Path key = dir.resolve("bench-key.pem");
    PeerProcess p = PeerProcess.run("openssl-req", dir, List.of(
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-days", "2", "-subj", "/CN=rtmpgw-bench",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout", key.toString(), "-out", cert.toString()), PROBE_BOUND);
    if (p.exitCode().orElse(-1) != 0 || !Files.isRegularFile(cert) || !Files.isRegularFile(key)) {
      throw new IOException("openssl could not make a certificate\n" + p.describe());
    }
    return new Pem(cert, key, "EC P-256");
  }

  /**
   * JVM flags that leave the gateway only {@code version} of the two it enables: a
   * {@code java.security} override adding the other version to {@code jdk.tls.disabledAlgorithms}
   * (the gateway has no flag for its TLS versions). The bench and the gateway run the same JDK.
   */
  static List<String> pinGatewayJvm(Path dir, String version) throws IOException {
    if (!GATEWAY_VERSIONS.contains(version)) {
      throw new IllegalArgumentException("the gateway enables only " + GATEWAY_VERSIONS + ": " + version);
    }
    List<String> disable = new ArrayList<>(GATEWAY_VERSIONS);
    disable.remove(version);
    String current = Security.getProperty("jdk.tls.disabledAlgorithms");
    Path file = dir.resolve("pin-" + version + ".security");
    Files.writeString(file, "jdk.tls.disabledAlgorithms=" + current + ", " + String.join(", ", disable) + "\n",
        StandardCharsets.UTF_8);
    return List.of("-Djava.security.properties=" + file);
  }

  /**
   * Publishes one second of {@code flv} with ffmpeg to {@code url} with GnuTLS debug logging and
   * returns what ffmpeg's own TLS client negotiated.
   */
  static Negotiated probeFfmpeg(Path flv, String url, Path log) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
        "-t", "1", "-i", flv.toString(), "-c", "copy", "-f", "flv", url)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("GNUTLS_DEBUG_LEVEL", "4");
    Process p = pb.start();
    if (!p.waitFor(PROBE_BOUND.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      throw new IOException("ffmpeg TLS probe did not finish; see " + log);
    }
    String text = Files.readString(log);
    String wire = last(NEGOTIATED, text);
    if (wire.isEmpty()) {
      wire = last(SERVER_VERSION, text); // TLS 1.2: no supported_versions extension in the reply
    }
    if (p.exitValue() != 0 || wire.isEmpty()) {
      throw new IOException("ffmpeg TLS probe failed (exit " + p.exitValue() + "); see " + log);
    }
    return new Negotiated(GNUTLS_VERSIONS.getOrDefault(wire, wire), last(CIPHER, text), last(GROUP, text));
  }

  /**
   * One {@code openssl s_client} handshake, optionally restricted to one version ({@code
   * -tls1_2}, {@code -tls1_3}): the protocol and cipher suite, or empty when the handshake failed.
   */
  static String probeOpenssl(int port, String version, Path dir, String label)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port));
    if (version != null) {
      command.add(version.equals("TLSv1.3") ? "-tls1_3" : "-tls1_2");
    }
    PeerProcess p = PeerProcess.run(label, dir, command, PROBE_BOUND);
    Matcher m = OPENSSL_NEW.matcher(Files.readString(p.stdoutLog()));
    return p.exitCode().orElse(-1) == 0 && m.find() && !m.group(1).equals("(NONE)")
        ? m.group(1) + ", " + m.group(2)
        : "";
  }

  private static String last(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    String found = "";
    while (m.find()) {
      found = m.group(1);
    }
    return found;
  }
}
