package org.rtmpgw.it.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The threads of a JVM, from a {@code jcmd <pid> Thread.print} dump, sorted into groups that
 * behave differently under churn:
 *
 * <ul>
 *   <li><b>pool</b>: Jetty {@code QueuedThreadPool} threads (their stack runs {@code
 *       QueuedThreadPool$Runner.run}), per pool ({@code rtmpgw-http}, the upstream connector's
 *       pool). Each is either <em>idle</em> (parked in {@code idleJobPoll} or held in reserve by
 *       {@code ReservedThreadExecutor}) or <em>working</em> (acceptors, selectors, a running job).
 *       A pool grows under load and evicts idle threads above its minimum only slowly (one per
 *       idle timeout, 60 s by default), so idle pool threads above the baseline are expected
 *       right after churn; working ones are not.
 *   <li><b>jvm-dynamic</b>: threads the JVM itself adds and removes with load: JIT compiler
 *       threads ({@code UseDynamicNumberOfCompilerThreads}) and GC workers ({@code
 *       UseDynamicNumberOfGCThreads}, G1 refinement).
 *   <li><b>fixed</b>: everything else (the gateway's own timer, scheduler and main threads, the
 *       JVM's service threads): must be exactly the baseline set.
 * </ul>
 */
public record ThreadCensus(
    int total,
    Map<String, Pool> pools,
    Map<String, Integer> jvmDynamic,
    Map<String, Integer> fixed) {

  /**
   * One pool's threads.
   *
   * @param working what the working threads do: {@code selector}, {@code acceptor}, or the first
   *     frame of an unexpected job
   */
  public record Pool(int total, int idle, Map<String, Integer> working) {
    public int workingCount() {
      return total - idle;
    }

    @Override
    public String toString() {
      return total + " (" + idle + " idle, working " + working + ")";
    }
  }

  private static final Pattern HEADER = Pattern.compile("^\"(.*)\" .*");

  /** Pool thread names: {@code <pool>-<n>}, renamed {@code <pool>-<n>-acceptor-...} by Jetty. */
  private static final Pattern POOL_NAME = Pattern.compile("^(.*?)-\\d+(?:-(?:acceptor|selector).*)?$");

  private static final Pattern JVM_DYNAMIC =
      Pattern.compile("^(C1 CompilerThread|C2 CompilerThread|GC Thread#|G1 Conc#|G1 Refine#)\\d+$");

  static ThreadCensus parse(String dump) {
    List<String[]> threads = new ArrayList<>(); // name, block
    String name = null;
    StringBuilder block = new StringBuilder();
    for (String line : dump.split("\n")) {
      Matcher m = HEADER.matcher(line);
      if (m.matches()) {
        if (name != null) {
          threads.add(new String[] {name, block.toString()});
        }
        name = m.group(1);
        block.setLength(0);
      } else if (name != null) {
        if (line.startsWith("JNI global refs") || line.startsWith("Threads class SMR")) {
          threads.add(new String[] {name, block.toString()});
          name = null;
          block.setLength(0);
        } else {
          block.append(line).append('\n');
        }
      }
    }
    if (name != null) {
      threads.add(new String[] {name, block.toString()});
    }
    Map<String, int[]> pools = new TreeMap<>();
    Map<String, Map<String, Integer>> working = new TreeMap<>();
    Map<String, Integer> dynamic = new TreeMap<>();
    Map<String, Integer> fixed = new TreeMap<>();
    for (String[] t : threads) {
      String threadName = t[0];
      String stack = t[1];
      if (stack.contains("QueuedThreadPool$Runner.run")) {
        Matcher pm = POOL_NAME.matcher(threadName);
        String pool = pm.matches() ? pm.group(1) : threadName;
        boolean idle =
            stack.contains("QueuedThreadPool$Runner.idleJobPoll")
                || stack.contains("ReservedThreadExecutor$ReservedThread.waitForTask")
                || stack.contains("ReservedThreadExecutor$ReservedThread.reservedWait");
        int[] counts = pools.computeIfAbsent(pool, p -> new int[2]);
        counts[0]++;
        if (idle) {
          counts[1]++;
        } else {
          working.computeIfAbsent(pool, p -> new TreeMap<>()).merge(job(stack), 1, Integer::sum);
        }
      } else {
        Matcher dm = JVM_DYNAMIC.matcher(threadName);
        if (dm.matches()) {
          dynamic.merge(dm.group(1) + "*", 1, Integer::sum);
        } else {
          fixed.merge(threadName, 1, Integer::sum);
        }
      }
    }
    Map<String, Pool> poolMap = new TreeMap<>();
    pools.forEach(
        (k, v) -> poolMap.put(k, new Pool(v[0], v[1], working.getOrDefault(k, Map.of()))));
    return new ThreadCensus(threads.size(), poolMap, dynamic, fixed);
  }

  /** What a working pool thread does, from its stack. */
  private static String job(String stack) {
    if (stack.contains("ManagedSelector")) {
      return "selector";
    }
    if (stack.contains("ServerSocketChannelImpl.accept")) {
      return "acceptor";
    }
    for (String line : stack.split("\n")) {
      String frame = line.strip();
      if (frame.startsWith("at ")) {
        return frame.substring(3);
      }
    }
    return "?";
  }

  public int fixedThreads() {
    return fixed.values().stream().mapToInt(Integer::intValue).sum();
  }

  @Override
  public String toString() {
    return "threads "
        + total
        + ": pools "
        + pools
        + ", jvm-dynamic "
        + jvmDynamic
        + ", fixed "
        + fixed.keySet();
  }
}
