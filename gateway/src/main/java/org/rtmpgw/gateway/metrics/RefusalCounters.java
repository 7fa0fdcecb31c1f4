package org.rtmpgw.gateway.metrics;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Counts connections refused by the listeners, by {@link Refusal}. Thread-safe. */
public final class RefusalCounters {
  private final Map<Refusal, AtomicLong> counts = new EnumMap<>(Refusal.class);

  public RefusalCounters() {
    for (Refusal r : Refusal.values()) {
      counts.put(r, new AtomicLong());
    }
  }

  public void count(Refusal refusal) {
    counts.get(refusal).incrementAndGet();
  }

  public long get(Refusal refusal) {
    return counts.get(refusal).get();
  }
}
