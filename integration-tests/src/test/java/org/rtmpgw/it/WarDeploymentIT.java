package org.rtmpgw.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.rtmpgw.it.harness.FrameCounter;
import org.rtmpgw.it.harness.FrameCounter.Frames;
import org.rtmpgw.it.harness.Media;
import org.rtmpgw.it.harness.NginxRtmp;
import org.rtmpgw.it.harness.PeerProcess;
import org.rtmpgw.it.harness.Peers;
import org.rtmpgw.it.harness.Poll;
import org.rtmpgw.it.harness.WarContainer;
import org.rtmpgw.it.harness.WarContainer.Kind;
import org.rtmpgw.it.harness.WarLeaks;
import org.rtmpgw.it.harness.WarLogCapture;
import org.rtmpgw.it.harness.WarRawHttp;
import org.rtmpgw.it.harness.WarTomcatServer;

/**
 * The built WAR ({@code gateway/target/rtmp-gateway.war}) deployed into two real servlet
 * containers, Jetty 12 (ee10) and Tomcat 11, each started here on 127.0.0.1 in a class loader of
 * its own ({@link WarContainer}), in front of a private nginx-rtmp:
 *
 * <ul>
 *   <li>ffmpeg publishes over RTMPT through the container and ffmpeg and rtmpdump play it back
 *       through it; every recording decodes with video and audio;
 *   <li>undeploying with a session still open closes it and its upstream socket (nginx lists no
 *       client, no connection to nginx is left) and leaves no gateway thread;
 *   <li>a redeploy in the same JVM, configured by a YAML file named by the system property {@code
 *       rtmpgw.config}, works again: idle holds do not occupy container threads (Tomcat runs with
 *       4 request threads), a player reaches nginx through it, and the second undeploy leaks
 *       nothing either;
 *   <li>under a context path other than the root it logs the warning; an invalid configuration is
 *       one ERROR and no servlet.
 * </ul>
 *
 * <p>Skipped (assumption) when the WAR is not built or the container jar lists are absent (run
 * outside Maven).
 */
class WarDeploymentIT {

  private static final int MEDIA_SECONDS = 8;
  private static final int FFMPEG_PLAY_SECONDS = 4;
  private static final int RTMPDUMP_PLAY_SECONDS = 5;
  private static final long MIN_VIDEO_FRAMES = 60;
  private static final long MIN_AUDIO_FRAMES = 40;

  /** Idle hold of the redeployed gateway: long enough to see whether holds occupy threads. */
  private static final int LONG_IDLE_HOLD_MS = 1_000;

  /** Concurrent held idles: twice Tomcat's request threads. */
  private static final int HELD_IDLES = 2 * WarTomcatServer.MAX_THREADS;

  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration POLL = Duration.ofMillis(50);

  private static final String LISTENER_LOGGER = "org.rtmpgw.gateway.war.GatewayContextListener";

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path workDir;

  static Path war;
  static NginxRtmp nginx;

  /** One container of each kind for the whole class, started on first use. */
  private static final Map<Kind, WarContainer> CONTAINERS = new EnumMap<>(Kind.class);

  private WarLogCapture logs;
  private WarContainer container;

  @BeforeAll
  static void startUpstream() throws Exception {
    String property = System.getProperty("gateway.war", "");
    war = property.isEmpty() ? null : Path.of(property).toAbsolutePath();
    assumeTrue(
        war != null && Files.isRegularFile(war),
        "gateway.war not built (system property gateway.war=" + property + ")");
    for (Kind kind : Kind.values()) {
      assumeTrue(kind.isAvailable(), kind + ": no jar list (" + kind.classpathProperty() + ")");
    }
    nginx = NginxRtmp.startForTestClass(workDir.resolve("nginx"));
  }

  @AfterAll
  static void stopContainersAndUpstream() throws Exception {
    try {
      for (WarContainer c : CONTAINERS.values()) {
        c.close();
      }
      CONTAINERS.clear();
    } finally {
      NginxRtmp.stopAfterTestClass(nginx);
    }
  }

  @BeforeEach
  void captureLogs() {
    logs = WarLogCapture.install();
  }

  @AfterEach
  void undeployLeftovers() throws Exception {
    try {
      if (container != null && container.deployed()) {
        container.undeploy(); // a test that failed half-way
      }
    } finally {
      System.clearProperty("rtmpgw.config");
      logs.close();
    }
  }

  /** The container of this kind (started on first use; the same one for every test). */
  private WarContainer container(Kind kind) throws Exception {
    WarContainer c = CONTAINERS.get(kind);
    if (c == null) {
      c = WarContainer.start(kind, workDir.resolve(kind.name().toLowerCase(Locale.ROOT)));
      CONTAINERS.put(kind, c);
    }
    container = c;
    return c;
  }

  /** What the WAR carries: the gateway and its libraries, not the container's own jars. */
  @Test
  void theWarHoldsTheGatewayButNotTheContainersJars() throws IOException {
    List<String> libs = new ArrayList<>();
    boolean webXml;
    boolean servletClass;
    try (ZipFile zip = new ZipFile(war.toFile())) {
      webXml = zip.getEntry("WEB-INF/web.xml") != null;
      servletClass =
          zip.getEntry("WEB-INF/classes/org/rtmpgw/gateway/rtmpt/RtmptServlet.class") != null;
      zip.stream()
          .map(ZipEntry::getName)
          .filter(n -> n.startsWith("WEB-INF/lib/") && n.endsWith(".jar"))
          .map(n -> n.substring("WEB-INF/lib/".length()))
          .forEach(libs::add);
    }
    System.out.printf("WarDeploymentIT WEB-INF/lib: %s%n", libs);
    assertThat(webXml).as("WEB-INF/web.xml").isTrue();
    assertThat(servletClass).as("the gateway's own servlet class").isTrue();
    assertThat(libs)
        .as("WEB-INF/lib")
        .anyMatch(n -> n.startsWith("tunnel-protocol-"))
        .anyMatch(n -> n.startsWith("jetty-io-"))
        .anyMatch(n -> n.startsWith("jetty-util-"))
        .anyMatch(n -> n.startsWith("slf4j-api-"))
        .anyMatch(n -> n.startsWith("slf4j-jdk14-"))
        .noneMatch(n -> n.startsWith("jakarta.servlet"))
        .noneMatch(n -> n.startsWith("jetty-server-") || n.startsWith("jetty-http-"))
        .noneMatch(n -> n.startsWith("jetty-ee") || n.startsWith("jetty-session-"))
        .noneMatch(n -> n.startsWith("jetty-security-") || n.startsWith("jetty-slf4j-impl"))
        .noneMatch(n -> n.startsWith("slf4j-simple-") || n.startsWith("logback"));
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void tunnelsALiveStreamAndLeavesNothingBehindAcrossARedeploy(Kind kind) throws Exception {
    Path dir = workDir.resolve(kind.name().toLowerCase(Locale.ROOT) + "-live");
    container(kind);
    String upstream = "127.0.0.1:" + nginx.rtmpPort();

    // 1. deployed at the root, configured by context parameters
    container.deploy(
        "",
        war,
        Map.of(
            "upstream", upstream,
            "upstream-accepts-rtmpe", "false",
            "listen-tls", "0.0.0.0:443")); // does not apply in a container: logged as ignored
    ClassLoader webapp = container.webappClassLoader();
    assertDeployedFromTheWar(webapp);
    assertThat(messages(Level.INFO))
        .as(() -> "the ignored listener setting is named once\n" + diagnostics(null))
        .anyMatch(m -> m.startsWith("ignoring listen-tls (context parameter listen-tls)"));

    String url = "rtmpt://127.0.0.1:" + container.port() + "/live/x";
    Path flv = Media.testFlv(MEDIA_SECONDS);
    try (Peers peers = new Peers(dir.resolve("peers"))) {
      PeerProcess publisher = peers.publish(flv, url, true);
      assertThat(nginx.awaitPublishing("live", "x", PUBLISH_TIMEOUT))
          .as(() -> "live/x never published through " + kind + "\n" + diagnostics(peers))
          .isTrue();
      Path ffmpegOut = dir.resolve("ffmpeg-play.flv");
      Path rtmpdumpOut = dir.resolve("rtmpdump-play.flv");
      PeerProcess ffmpegPlayer = peers.play(url, ffmpegOut, FFMPEG_PLAY_SECONDS);
      PeerProcess rtmpdumpPlayer = peers.rtmpdumpPlay(url, rtmpdumpOut, RTMPDUMP_PLAY_SECONDS);

      OptionalInt ffmpegExit = ffmpegPlayer.awaitExit(Duration.ofSeconds(FFMPEG_PLAY_SECONDS + 25));
      OptionalInt rtmpdumpExit =
          rtmpdumpPlayer.awaitExit(Duration.ofSeconds(RTMPDUMP_PLAY_SECONDS + 15));
      OptionalInt publisherExit = publisher.awaitExit(Duration.ofSeconds(MEDIA_SECONDS + 20));
      assertThat(ffmpegExit).as(() -> "ffmpeg player exit\n" + diagnostics(peers)).hasValue(0);
      assertThat(rtmpdumpExit)
          .as(() -> "rtmpdump did not stop on SIGINT\n" + diagnostics(peers))
          .isPresent();
      assertThat(publisherExit).as(() -> "ffmpeg publisher exit\n" + diagnostics(peers)).hasValue(0);

      Frames ffmpegFrames = FrameCounter.count(ffmpegOut);
      Frames rtmpdumpFrames = FrameCounter.count(rtmpdumpOut);
      System.out.printf(
          "WarDeploymentIT %s: ffmpeg player %s, rtmpdump player %s%n",
          container.describe(), ffmpegFrames, rtmpdumpFrames);
      assertDecodes(kind + " ffmpeg player (rtmpt)", ffmpegFrames, peers);
      assertDecodes(kind + " rtmpdump player (rtmpt)", rtmpdumpFrames, peers);

      // 2. undeploy with a session open: a player waiting for a stream nobody publishes
      undeployWithAWaitingPlayer(peers, "nobody-1", dir, webapp);
    }

    // 3. redeployed in the same JVM, configured by a YAML file named by a system property
    Path yaml = dir.resolve("gateway.yaml");
    Files.writeString(
        yaml,
        "upstream: " + upstream + "\nupstream-accepts-rtmpe: false\nidle-hold-ms: "
            + LONG_IDLE_HOLD_MS + "\n");
    System.setProperty("rtmpgw.config", yaml.toString());
    try {
      container.deploy("", war, Map.of());
    } finally {
      System.clearProperty("rtmpgw.config");
    }
    ClassLoader redeployed = container.webappClassLoader();
    assertThat(redeployed).as("a new webapp class loader").isNotSameAs(webapp);
    assertDeployedFromTheWar(redeployed);
    assertThat(messages(Level.INFO))
        .as(() -> "the config file is named in the log\n" + diagnostics(null))
        .anyMatch(
            m -> m.contains("configuration file " + yaml) && m.contains("system property rtmpgw.config"));

    assertHeldIdlesDoNotOccupyContainerThreads(kind);
    try (Peers peers = new Peers(dir.resolve("peers-redeployed"))) {
      undeployWithAWaitingPlayer(peers, "nobody-2", dir, redeployed);
    }
    assertThat(
            logs.matching(
                l ->
                    l.logger().startsWith("org.apache.catalina.loader")
                        && l.level().intValue() >= Level.WARNING.intValue()))
        .as("Tomcat's leak detection found nothing (threads, ThreadLocals) on either undeploy")
        .isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void underAContextPathItServesThereAndWarnsThatClientsWillNotReachIt(Kind kind) throws Exception {
    container(kind);
    container.deploy("/gw", war, Map.of("upstream", "127.0.0.1:" + nginx.rtmpPort()));
    ClassLoader webapp = container.webappClassLoader();

    assertThat(logs.matching(l -> l.level() == Level.WARNING && l.logger().equals(LISTENER_LOGGER)))
        .as(() -> "the context path warning\n" + logs.dump())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l.message())
                    .contains("context path '/gw'", "/open/1", "server root", "rewrite"));
    try (WarRawHttp http = new WarRawHttp(container.port(), HTTP_TIMEOUT)) {
      WarRawHttp.Response open = http.post("/gw/open/1", new byte[] {0});
      assertThat(open.status()).as("POST /gw/open/1: %s", open).isEqualTo(200);
      String id = open.text().strip();
      assertThat(http.post("/gw/close/" + id + "/1", new byte[] {0}).status()).isEqualTo(200);
      assertThat(http.post("/open/1", new byte[] {0}).status())
          .as("the server root is not the gateway's")
          .isIn(404, 405);
    }
    container.undeploy();
    assertNoGatewayThreads(webapp);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void anInvalidConfigurationIsOneErrorAndNoServlet(Kind kind) throws Exception {
    container(kind);
    container.deploy("", war, Map.of("upstream", "nonsense", "idle-hold-ms", "-1"));
    ClassLoader webapp = container.webappClassLoader();

    List<WarLogCapture.Line> errors =
        logs.matching(l -> l.level() == Level.SEVERE && l.logger().equals(LISTENER_LOGGER));
    System.out.printf("WarDeploymentIT %s invalid configuration: %s%n", kind, errors);
    assertThat(errors)
        .as(() -> "one ERROR naming every problem\n" + logs.dump())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l.message())
                    .contains(
                        "invalid configuration",
                        "upstream: 'nonsense'",
                        "idle-hold-ms: '-1'",
                        "set by context parameter upstream"));
    assertThat(logs.matching(l -> l.thrown() != null))
        .as(() -> "no stack trace logged\n" + logs.dump())
        .isEmpty();
    assertThat(container.servletClassLoader()).as("no servlet registered").isNull();
    try (WarRawHttp http = new WarRawHttp(container.port(), HTTP_TIMEOUT)) {
      assertThat(http.post("/open/1", new byte[] {0}).status())
          .as("the container's own answer")
          .isIn(404, 405);
    }
    assertThat(WarLeaks.gatewayThreads(null)).as("no gateway thread was started").isEmpty();
    container.undeploy();
  }

  /** The servlet and Jetty's ClientConnector come from the WAR, not from the container. */
  private void assertDeployedFromTheWar(ClassLoader webapp) throws Exception {
    assertThat(container.servletClassLoader())
        .as(() -> "the RTMPT servlet is registered, loaded from the WAR\n" + diagnostics(null))
        .isSameAs(webapp);
    assertThat(webapp.loadClass("org.eclipse.jetty.io.ClientConnector").getClassLoader())
        .as("Jetty's ClientConnector is the WAR's own copy (WEB-INF/lib)")
        .isSameAs(webapp);
    assertThat(webapp.loadClass("org.slf4j.LoggerFactory").getClassLoader())
        .as("SLF4J is the WAR's own copy")
        .isSameAs(webapp);
  }

  /**
   * Starts a player of a stream nobody publishes (nginx keeps it waiting and lists it), then
   * undeploys: its session, its upstream socket and every gateway thread must go.
   */
  private void undeployWithAWaitingPlayer(Peers peers, String stream, Path dir, ClassLoader webapp)
      throws Exception {
    String url = "rtmpt://127.0.0.1:" + container.port() + "/live/" + stream;
    peers.rtmpdumpPlay(url, dir.resolve(stream + ".flv"), 60);
    assertThat(
            Poll.until(
                CONNECT_TIMEOUT,
                POLL,
                () -> nginx.connectedClients() >= 1 && WarLeaks.establishedTo(nginx.rtmpPort()) >= 1))
        .as(() -> "the waiting player never reached nginx through " + container + "\n" + diagnostics(peers))
        .isTrue();
    assertThat(WarLeaks.gatewayThreads(null)).as("gateway threads while deployed").isNotEmpty();

    long undeploying = System.nanoTime();
    container.undeploy();
    long undeployMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - undeploying);

    assertThat(logs.matching(l -> l.message().contains("session closed") && l.message().contains("reason=shutdown")))
        .as(() -> "the open session was closed by the undeploy\n" + diagnostics(peers))
        .isNotEmpty();
    boolean released =
        Poll.until(
            RELEASE_TIMEOUT,
            POLL,
            () -> nginx.connectedClients() == 0 && WarLeaks.establishedTo(nginx.rtmpPort()) == 0);
    System.out.printf(
        "WarDeploymentIT %s: undeploy took %d ms; nginx clients %d, connections to nginx %d,"
            + " gateway threads %s%n",
        container, undeployMs, nginx.connectedClients(), WarLeaks.establishedTo(nginx.rtmpPort()),
        WarLeaks.gatewayThreads(webapp));
    assertThat(released)
        .as(() -> "nginx still has a client or a connection from the gateway after the undeploy\n"
            + diagnostics(peers))
        .isTrue();
    assertNoGatewayThreads(webapp);
  }

  private void assertNoGatewayThreads(ClassLoader webapp) throws InterruptedException {
    // the listener joins the gateway's threads before the undeploy returns; the poll only
    // tolerates a thread that is past its last line
    Poll.until(RELEASE_TIMEOUT, POLL, () -> WarLeaks.gatewayThreads(webapp).isEmpty());
    assertThat(WarLeaks.gatewayThreads(webapp))
        .as(() -> "threads of the undeployed gateway\n" + logs.dump())
        .isEmpty();
  }

  /**
   * {@value #HELD_IDLES} sessions each send an idle that finds no data, at once: the gateway holds
   * every one for the idle hold. Holding them asynchronously, all are answered after one hold;
   * holding a container thread each, Tomcat's {@value WarTomcatServer#MAX_THREADS} threads would
   * need two holds or more. While they are held, no container request thread is in gateway code.
   */
  private void assertHeldIdlesDoNotOccupyContainerThreads(Kind kind) throws Exception {
    List<WarRawHttp> clients = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    try {
      for (int i = 0; i < HELD_IDLES; i++) {
        WarRawHttp http = new WarRawHttp(container.port(), HTTP_TIMEOUT);
        clients.add(http);
        WarRawHttp.Response open = http.post("/open/1", new byte[] {0});
        assertThat(open.status()).as("open %d: %s", i, open).isEqualTo(200);
        ids.add(open.text().strip());
      }
      long start = System.nanoTime();
      for (int i = 0; i < HELD_IDLES; i++) {
        clients.get(i).send("/idle/" + ids.get(i) + "/0", new byte[] {0});
      }
      Thread.sleep(LONG_IDLE_HOLD_MS / 2);
      List<String> busy =
          WarLeaks.containerThreadsInGatewayCode(kind == Kind.TOMCAT ? "http-nio-" : "war-jetty");
      List<Long> answeredMs = new ArrayList<>();
      for (int i = 0; i < HELD_IDLES; i++) {
        WarRawHttp.Response idle = clients.get(i).read();
        answeredMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        assertThat(idle.status()).as("idle %d: %s", i, idle).isEqualTo(200);
        assertThat(idle.body()).as("idle %d: the polling byte only", i).hasSize(1);
      }
      System.out.printf(
          "WarDeploymentIT %s: %d idles held %d ms each, answered after %s ms; container threads"
              + " in gateway code during the hold: %s%n",
          container, HELD_IDLES, LONG_IDLE_HOLD_MS, answeredMs, busy);
      assertThat(busy).as("container request threads inside gateway code during the holds").isEmpty();
      assertThat(answeredMs.get(0))
          .as("the first idle was held (answered after %s ms)", answeredMs)
          .isGreaterThanOrEqualTo(LONG_IDLE_HOLD_MS - 100L);
      assertThat(answeredMs.get(HELD_IDLES - 1))
          .as("all %d held idles answered within one hold plus slack: %s ms", HELD_IDLES, answeredMs)
          .isLessThan(2L * LONG_IDLE_HOLD_MS - 200);
      for (int i = 0; i < HELD_IDLES; i++) {
        WarRawHttp.Response close = clients.get(i).post("/close/" + ids.get(i) + "/1", new byte[] {0});
        assertThat(close.status()).as("close %d: %s", i, close).isEqualTo(200);
      }
    } finally {
      for (WarRawHttp http : clients) {
        http.close();
      }
    }
  }

  private List<String> messages(Level level) {
    return logs.matching(l -> l.level() == level).stream().map(WarLogCapture.Line::message).toList();
  }

  private static void assertDecodes(String who, Frames frames, Peers peers) {
    assertThat(frames.video())
        .as(() -> who + ": decoded video frames " + frames + "\n" + peers.describeAll())
        .isGreaterThanOrEqualTo(MIN_VIDEO_FRAMES);
    assertThat(frames.audio())
        .as(() -> who + ": decoded audio frames " + frames + "\n" + peers.describeAll())
        .isGreaterThanOrEqualTo(MIN_AUDIO_FRAMES);
  }

  private String diagnostics(Peers peers) {
    String stat;
    try {
      stat = nginx.stat().toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stat = "(interrupted)";
    } catch (Exception e) {
      stat = "(no /stat: " + e + ")";
    }
    return "=== " + (container == null ? "no container" : container.describe()) + "\n"
        + logs.dump()
        + nginx.describe()
        + "    /stat: " + stat + "\n"
        + (peers == null ? "" : peers.describeAll());
  }
}
