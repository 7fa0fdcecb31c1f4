package org.rtmpgw.it.soak;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.rtmpgw.it.harness.FrameCounter;
import org.rtmpgw.it.soak.GatewayProbe.Snapshot;
import org.rtmpgw.it.soak.SoakClient.Outcome;

/**
 * Everything one soak run measured, the checks made on it, and the report written from it.
 *
 * <p>Accounting: each soak session is found in the gateway's close log by its id (RTMPT) or its
 * client port (raw), and its reason and bytes must be what the client expects; the remaining
 * close lines of the churn must be exactly the real peers' sessions, with a reason a peer may
 * have; per transport, the opened and closed counters must both have moved by the number of
 * sessions opened; nginx must have accepted exactly one upstream connection per session.
 */
public final class SoakFigures {

  /** The bounds the soak holds the gateway to. */
  public record Limits(
      int fdSlack,
      int heapSlackMib,
      int poolIdleSurplus,
      long minVideoFrames,
      long minAudioFrames,
      Set<String> peerReasons,
      boolean tolerateRawBytesDownUndercount) {}

  /** How the run was set up, for the report. */
  public record Setup(
      int waves, int clientThreads, Duration waveSpread, int inactivityMs, String command) {}

  private final List<WaveResult> waves;
  private final Counters start;
  private final Counters end;
  private final Snapshot baseline;
  private final Snapshot after;
  private final int peakSessions;
  private final long churnMillis;
  private final long reapMillis;
  private final boolean quiet;
  private final boolean settled;
  private final Map<PeerWave.Played, FrameCounter.Frames> frames;
  private final String heapHistogram;

  /** Reasons seen per soak client kind (filled by {@link #problems}). */
  private final Map<ClientKind, Map<String, Integer>> reasonsByKind = new EnumMap<>(ClientKind.class);

  private final Map<String, Integer> peerReasonsSeen = new TreeMap<>();

  /** Raw sessions whose close line counts fewer downstream bytes than the client received. */
  private final List<String> rawUndercounts = new ArrayList<>();

  public SoakFigures(
      List<WaveResult> waves,
      Counters start,
      Counters end,
      Snapshot baseline,
      Snapshot after,
      int peakSessions,
      long churnMillis,
      long reapMillis,
      boolean quiet,
      boolean settled,
      Map<PeerWave.Played, FrameCounter.Frames> frames,
      String heapHistogram) {
    this.waves = List.copyOf(waves);
    this.start = start;
    this.end = end;
    this.baseline = baseline;
    this.after = after;
    this.peakSessions = peakSessions;
    this.churnMillis = churnMillis;
    this.reapMillis = reapMillis;
    this.quiet = quiet;
    this.settled = settled;
    this.frames = new LinkedHashMap<>(frames);
    this.heapHistogram = heapHistogram;
  }

  private List<Outcome> outcomes() {
    List<Outcome> all = new ArrayList<>();
    waves.forEach(w -> all.addAll(w.outcomes()));
    return all;
  }

  /** Soak sessions that must exist: every client of a session kind that got that far. */
  private List<Outcome> sessionOutcomes() {
    return outcomes().stream()
        .filter(o -> o.kind().opensSession() && (o.failure() == null || o.sessionId() != null))
        .toList();
  }

  private Map<String, Integer> expectedByTransport() {
    Map<String, Integer> expected = new TreeMap<>();
    for (Outcome o : sessionOutcomes()) {
      expected.merge(o.kind().transport(), 1, Integer::sum);
    }
    for (WaveResult w : waves) {
      w.peers().sessions().forEach((t, n) -> expected.merge(t, n, Integer::sum));
    }
    return expected;
  }

  private int peerSessions() {
    return waves.stream().mapToInt(w -> w.peers().sessionCount()).sum();
  }

  private int expectedSessions() {
    return sessionOutcomes().size() + peerSessions();
  }

  private Map<String, Integer> expectedRefusals() {
    Map<String, Integer> refusals = new TreeMap<>();
    for (Outcome o : outcomes()) {
      if (o.kind().refusal() != null) {
        refusals.merge(o.kind().refusal(), 1, Integer::sum);
      }
    }
    return refusals;
  }

  /** Every check; the list of what failed (empty: nothing leaked, everything accounted for). */
  public List<String> problems(Limits limits) {
    List<String> problems = new ArrayList<>();
    List<Outcome> failed = outcomes().stream().filter(o -> o.failure() != null).toList();
    if (!failed.isEmpty()) {
      problems.add(
          failed.size()
              + " soak clients failed, e.g. "
              + failed.subList(0, Math.min(15, failed.size())));
    }
    for (WaveResult w : waves) {
      PeerWave.Result r = w.peers();
      if (r.failure() != null) {
        problems.add(r.failure());
      }
      if (r.publisherExit().isEmpty() || r.publisherExit().getAsInt() != 0) {
        problems.add("wave " + w.number() + ": publisher exit " + r.publisherExit());
      }
      if (r.killed() != 2) {
        problems.add("wave " + w.number() + ": " + r.killed() + " of 2 victims killed");
      }
    }
    frames.forEach(
        (played, f) -> {
          if (f.video() < limits.minVideoFrames() || f.audio() < limits.minAudioFrames()) {
            problems.add(
                played.label() + " " + played.out().getFileName() + " decoded too little: " + f);
          }
        });
    if (!quiet) {
      problems.add("live sessions, nginx clients or upstream connections remained after the churn");
    }
    if (after.sessions() != 0) {
      problems.add("rtmpgw_sessions_active is " + after.sessions() + " after the churn");
    }

    Map<String, Integer> expected = expectedByTransport();
    for (String t : Counters.TRANSPORTS) {
      long opened = Math.round(Counters.delta(start.opened, end.opened, t));
      long closed = Math.round(Counters.delta(start.closed, end.closed, t));
      int want = expected.getOrDefault(t, 0);
      if (opened != want || closed != want) {
        problems.add(
            t + ": " + want + " sessions opened by the soak, but rtmpgw_sessions_opened_total +"
                + opened + " and rtmpgw_sessions_closed_total +" + closed);
      }
    }
    long accepted = end.nginxAccepted - start.nginxAccepted;
    if (accepted != expectedSessions()) {
      problems.add(
          "nginx accepted " + accepted + " connections for " + expectedSessions() + " sessions");
    }
    problems.addAll(matchCloseLines(limits));

    Map<String, Integer> refusals = expectedRefusals();
    Set<String> reasons = new TreeSet<>(refusals.keySet());
    reasons.addAll(end.refused.keySet());
    for (String reason : reasons) {
      long got = Math.round(Counters.delta(start.refused, end.refused, reason));
      if (got != refusals.getOrDefault(reason, 0)) {
        problems.add(
            "rtmpgw_connections_refused_total{reason=\"" + reason + "\"} +" + got
                + ", expected +" + refusals.getOrDefault(reason, 0));
      }
    }

    if (after.fds() > baseline.fds() + limits.fdSlack()) {
      problems.add(
          "open descriptors " + baseline.fds() + " -> " + after.fds() + ": "
              + baseline.fdKinds() + " -> " + after.fdKinds());
    }
    if (!after.census().fixed().equals(baseline.census().fixed())) {
      problems.add(
          "non-pool threads changed: " + baseline.census().fixed() + " -> "
              + after.census().fixed());
    }
    after
        .census()
        .pools()
        .forEach(
            (pool, now) -> {
              ThreadCensus.Pool base = baseline.census().pools().get(pool);
              if (base == null) {
                problems.add("a thread pool appeared: " + pool + " " + now);
              } else if (now.workingCount() > base.workingCount()) {
                problems.add("pool " + pool + ": working threads " + base + " -> " + now);
              } else if (now.total() > base.total() + limits.poolIdleSurplus()) {
                problems.add(
                    "pool " + pool + ": " + base + " -> " + now
                        + ": more idle threads above the baseline than the pool's minimum");
              }
            });
    if (after.heapAfterGcBytes() > baseline.heapAfterGcBytes() + limits.heapSlackMib() * MIB) {
      problems.add(
          "heap after GC " + mib(baseline.heapAfterGcBytes()) + " -> "
              + mib(after.heapAfterGcBytes()) + " MiB\n" + heapHistogram);
    }
    return problems;
  }

  private static final long MIB = 1024L * 1024;

  /** Matches the churn's close lines to the soak's sessions; the rest must be the peers'. */
  private List<String> matchCloseLines(Limits limits) {
    Set<String> peerReasons = limits.peerReasons();
    List<String> problems = new ArrayList<>();
    List<CloseLog.Closed> lines =
        new ArrayList<>(end.closeLines.subList(start.closeLines.size(), end.closeLines.size()));
    Map<String, CloseLog.Closed> byId = new HashMap<>();
    for (CloseLog.Closed c : lines) {
      if (byId.put(c.id(), c) != null) {
        problems.add("session " + c.id() + " logged as closed twice");
      }
    }
    List<String> mismatches = new ArrayList<>();
    int missing = 0;
    for (Outcome o : sessionOutcomes()) {
      CloseLog.Closed c;
      if (o.kind().tunnelled()) {
        c = byId.get(o.sessionId());
      } else {
        c =
            lines.stream()
                .filter(
                    l ->
                        l.transport().equals(o.kind().transport())
                            && l.clientPort() == o.clientPort()
                            && l.bytesUp() == o.bytesUp())
                .findFirst()
                .orElse(null);
      }
      if (c == null) {
        missing++;
        if (missing <= 10) {
          mismatches.add("no close line for " + o);
        }
        continue;
      }
      lines.remove(c);
      byId.remove(c.id());
      if (o.failure() != null) {
        continue; // reported as a client failure already
      }
      reasonsByKind
          .computeIfAbsent(o.kind(), k -> new TreeMap<>())
          .merge(c.reason(), 1, Integer::sum);
      boolean rawReset =
          o.kind() == ClientKind.RTMP_RAW_RESET || o.kind() == ClientKind.RTMPS_RAW_RESET;
      boolean downOk =
          rawReset
              ? c.bytesDown() >= o.bytesDown() && c.bytesDown() <= Handshake.S0S1S2_BYTES
              : c.bytesDown() == o.bytesDown();
      if (!downOk
          && !o.kind().tunnelled()
          && c.bytesDown() < o.bytesDown()
          && limits.tolerateRawBytesDownUndercount()) {
        rawUndercounts.add(o.kind() + " received " + o.bytesDown() + ": " + c.line());
        downOk = true;
      }
      boolean bytesOk = c.bytesUp() == o.bytesUp() && downOk;
      if (!c.transport().equals(o.kind().transport())
          || !o.kind().reasons().contains(c.reason())
          || !bytesOk) {
        mismatches.add(o.kind() + " expected " + o.kind().reasons() + " up=" + o.bytesUp()
            + " down=" + o.bytesDown() + ", logged: " + c.line());
      }
    }
    if (missing > 0) {
      problems.add(missing + " soak sessions have no close line");
    }
    if (!mismatches.isEmpty()) {
      problems.add(
          mismatches.size() + " close lines differ from what the client did: "
              + String.join("\n  ", mismatches.subList(0, Math.min(20, mismatches.size()))));
    }
    for (CloseLog.Closed c : lines) {
      peerReasonsSeen.merge(c.transport() + " " + c.reason(), 1, Integer::sum);
    }
    if (lines.size() != peerSessions()) {
      problems.add(
          lines.size() + " close lines left for " + peerSessions() + " peer sessions:\n  "
              + String.join("\n  ", lines.stream().map(CloseLog.Closed::line).toList()));
    }
    List<String> wrongPeerReasons =
        lines.stream()
            .filter(c -> !peerReasons.contains(c.reason()))
            .map(CloseLog.Closed::line)
            .toList();
    if (!wrongPeerReasons.isEmpty()) {
      problems.add("peer sessions closed for unexpected reasons:\n  " + String.join("\n  ", wrongPeerReasons));
    }
    return problems;
  }

  // ------------------------------------------------------------------------------- the report

  /** The Markdown report (figures for docs/RELIABILITY.md). */
  public String markdown(List<String> problems, Limits limits, Setup setup, long totalMillis) {
    StringBuilder md = new StringBuilder();
    md.append("# Soak: session churn through the gateway jar (SoakIT)\n\n");
    md.append("- run: ")
        .append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
        .append(", ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" CPUs, Java ")
        .append(System.getProperty("java.version"))
        .append(", nginx-rtmp upstream\n");
    md.append("- command: `").append(setup.command()).append("`\n");
    md.append("- ")
        .append(setup.waves())
        .append(" measured waves after one warm-up wave; each wave: the soak clients below, ")
        .append(setup.clientThreads())
        .append(" at a time, started over ")
        .append(setup.waveSpread().toSeconds())
        .append(" s, next to 6 real peers; gateway `--session-inactivity-timeout-ms ")
        .append(setup.inactivityMs())
        .append("`; the warm-up wave (same mix) ran before the baseline and is not counted below\n");
    md.append("- churn: ")
        .append(seconds(churnMillis))
        .append(" s; every session reaped and nginx idle ")
        .append(seconds(reapMillis))
        .append(" s after the last wave; whole test ")
        .append(seconds(totalMillis))
        .append(" s\n");
    md.append("- peak concurrent gateway sessions (sampled every 250 ms): ")
        .append(peakSessions)
        .append("\n");
    md.append("- leaks found: ")
        .append(problems.isEmpty() ? "0" : problems.size() + " problem(s), see Verdict")
        .append("\n");
    md.append("- other gateway findings: ")
        .append(
            rawUndercounts.isEmpty()
                ? "none"
                : rawUndercounts.size() + " raw session(s) with bytes_down undercounted (below)")
        .append("\n\n");

    md.append("## Sessions and connections (measured waves)\n\n");
    md.append("| kind | count | transport | close reasons logged |\n|---|---:|---|---|\n");
    Map<ClientKind, Integer> counts = new EnumMap<>(ClientKind.class);
    outcomes().forEach(o -> counts.merge(o.kind(), 1, Integer::sum));
    int soakSessions = 0;
    for (Map.Entry<ClientKind, Integer> e : counts.entrySet()) {
      ClientKind k = e.getKey();
      if (k.opensSession()) {
        soakSessions += e.getValue();
      }
      md.append("| ")
          .append(k.description())
          .append(" | ")
          .append(e.getValue())
          .append(" | ")
          .append(k.transport() == null ? (k.refusal() == null ? "—" : "refused: " + k.refusal()) : k.transport())
          .append(" | ")
          .append(k.opensSession() ? String.valueOf(reasonsByKind.getOrDefault(k, Map.of())) : "—")
          .append(" |\n");
    }
    int killed = waves.stream().mapToInt(w -> w.peers().killed()).sum();
    Map<String, Integer> peerTransports = new TreeMap<>();
    waves.forEach(w -> w.peers().sessions().forEach((t, n) -> peerTransports.merge(t, n, Integer::sum)));
    md.append("| real peers: ffmpeg publishers, ffmpeg/rtmpdump players (")
        .append(killed)
        .append(" SIGKILLed mid-stream) | ")
        .append(peerSessions())
        .append(" | ")
        .append(peerTransports)
        .append(" | ")
        .append(peerReasonsSeen)
        .append(" |\n");
    md.append("| **gateway sessions in all** | **")
        .append(soakSessions + peerSessions())
        .append("** | ")
        .append(expectedByTransport())
        .append(" | |\n\n");

    md.append("RTMPT requests answered during the churn (command status: count): ")
        .append(deltas(start.requests, end.requests))
        .append("\n\n");
    md.append("Sessions closed during the churn (transport reason: count): ")
        .append(deltas(start.closedByReason, end.closedByReason))
        .append("\n\n");
    md.append("Connections refused during the churn: ")
        .append(deltas(start.refused, end.refused))
        .append("\n\n");

    md.append("## Bytes\n\n");
    long clientUp = 0;
    long clientDown = 0;
    for (Outcome o : outcomes()) {
      clientUp += o.bytesUp();
      clientDown += o.bytesDown();
    }
    md.append("| transport | upstream (client → nginx) | downstream (nginx → client) |\n|---|---:|---:|\n");
    long totalUp = 0;
    long totalDown = 0;
    for (String t : Counters.TRANSPORTS) {
      long up = Math.round(Counters.delta(start.bytes, end.bytes, t + " upstream"));
      long down = Math.round(Counters.delta(start.bytes, end.bytes, t + " downstream"));
      totalUp += up;
      totalDown += down;
      md.append("| ").append(t).append(" | ").append(up).append(" | ").append(down).append(" |\n");
    }
    md.append("| **all** (rtmpgw_bytes_total) | **").append(totalUp).append("** | **").append(totalDown).append("** |\n");
    md.append("| of which the soak clients' handshakes | ").append(clientUp).append(" | ").append(clientDown).append(" (raw resets: at least) |\n\n");

    md.append("## Real players that ran to their end: decoded frames\n\n");
    md.append("| wave | player | exit | video frames | audio frames |\n|---:|---|---|---:|---:|\n");
    for (WaveResult w : waves) {
      for (PeerWave.Played p : w.peers().players()) {
        FrameCounter.Frames f = frames.get(p);
        md.append("| ").append(w.number()).append(" | ").append(p.label()).append(" | ")
            .append(p.exit().isPresent() ? String.valueOf(p.exit().getAsInt()) : "running")
            .append(" | ").append(f == null ? "?" : f.video())
            .append(" | ").append(f == null ? "?" : f.audio()).append(" |\n");
      }
    }
    md.append("\nExit status of the publishers that ran to their end: ");
    waves.forEach(
        w ->
            md.append(
                    w.peers().publisherExit().isPresent()
                        ? String.valueOf(w.peers().publisherExit().getAsInt())
                        : "running")
                .append(' '));
    md.append("(rtmpdump ends on timeout's SIGINT: 124)\n\n");

    md.append("## Gateway resources: baseline (after warm-up) vs after the churn\n\n");
    md.append("| resource | baseline | after | bound |\n|---|---:|---:|---|\n");
    md.append("| live sessions (rtmpgw_sessions_active, all transports) | ")
        .append(baseline.sessions()).append(" | ").append(after.sessions()).append(" | 0 |\n");
    md.append("| open file descriptors (/proc/pid/fd) | ")
        .append(baseline.fds()).append(" | ").append(after.fds())
        .append(" | ≤ baseline + ").append(limits.fdSlack()).append(" |\n");
    md.append("| threads (/proc/pid/status) | ")
        .append(baseline.threads()).append(" | ").append(after.threads())
        .append(" | by kind below |\n");
    md.append("| · non-pool threads (gateway timers, JVM service threads) | ")
        .append(baseline.census().fixedThreads()).append(" | ").append(after.census().fixedThreads())
        .append(" | the same set of names |\n");
    Set<String> pools = new TreeSet<>(baseline.census().pools().keySet());
    pools.addAll(after.census().pools().keySet());
    for (String pool : pools) {
      md.append("| · pool `").append(pool).append("`: threads (idle, working) | ")
          .append(baseline.census().pools().get(pool)).append(" | ")
          .append(after.census().pools().get(pool))
          .append(" | working ≤ baseline; idle ≤ baseline + ").append(limits.poolIdleSurplus()).append(" |\n");
    }
    md.append("| · JVM JIT/GC worker threads (JVM-managed) | ")
        .append(baseline.census().jvmDynamic()).append(" | ").append(after.census().jvmDynamic())
        .append(" | reported |\n");
    md.append("| heap after full GC (MiB) | ")
        .append(mib(baseline.heapAfterGcBytes())).append(" | ").append(mib(after.heapAfterGcBytes()))
        .append(" | ≤ baseline + ").append(limits.heapSlackMib()).append(" |\n");
    md.append("| direct buffers (MiB, jvm_buffer_pool_used_bytes) | ")
        .append(mib(baseline.directBufferBytes())).append(" | ").append(mib(after.directBufferBytes()))
        .append(" | reported |\n");
    md.append("| nginx clients (/stat) and established connections to nginx | 0 | ")
        .append(quiet ? "0" : "not 0").append(" | 0 |\n\n");
    md.append("Descriptors by kind, baseline: ").append(baseline.fdKinds()).append("\n\n");
    md.append("Descriptors by kind, after: ").append(after.fdKinds()).append("\n\n");
    if (!settled) {
      md.append("(descriptors or working threads had not settled within the bound; the figures above are as measured)\n\n");
    }

    if (!rawUndercounts.isEmpty()) {
      md.append("## Gateway finding: raw sessions' bytes_down undercounted\n\n");
      md.append(rawUndercounts.size())
          .append(" raw RTMP/RTMPS sessions logged fewer downstream bytes than their client had"
              + " received (RawRtmpConnection counts a chunk only in the write callback's"
              + " onSuccess, which can run after the session's close line was written; the same"
              + " stats feed rtmpgw_bytes_total). Not a leak; tolerated here until fixed:\n\n");
      rawUndercounts.forEach(l -> md.append("- ").append(l).append('\n'));
      md.append('\n');
    }
    md.append("## Verdict\n\n");
    if (problems.isEmpty()) {
      md.append("Leaks found: 0. Every session was opened and closed once in the counters, "
          + "nginx accepted one upstream connection per session, every soak session's close line "
          + "carries the reason and the exact byte counts its client expects"
          + (rawUndercounts.isEmpty()
              ? ""
              : " (except the " + rawUndercounts.size() + " raw bytes_down undercounts above)")
          + ", and the gateway holds no more sessions, descriptors, non-idle threads or heap than"
          + " at the baseline.\n");
    } else {
      for (String p : problems) {
        md.append("- ").append(p.replace("\n", "\n  ")).append('\n');
      }
    }
    return md.toString();
  }

  private static Map<String, Long> deltas(Map<String, Double> before, Map<String, Double> after) {
    Map<String, Long> d = new TreeMap<>();
    Set<String> keys = new TreeSet<>(after.keySet());
    keys.addAll(before.keySet());
    for (String k : keys) {
      long v = Math.round(Counters.delta(before, after, k));
      if (v != 0) {
        d.put(k, v);
      }
    }
    return d;
  }

  static double mib(long bytes) {
    return Math.round(bytes / (double) MIB * 10) / 10.0;
  }

  private static String seconds(long millis) {
    return String.format(java.util.Locale.ROOT, "%.1f", millis / 1000.0);
  }
}
