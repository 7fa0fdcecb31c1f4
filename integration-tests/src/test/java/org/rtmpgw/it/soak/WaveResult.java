package org.rtmpgw.it.soak;

import java.util.List;

/** One soak wave: the outcomes of the soak's own clients and what the real peers did. */
public record WaveResult(int number, List<SoakClient.Outcome> outcomes, PeerWave.Result peers) {

  public List<SoakClient.Outcome> failures() {
    return outcomes.stream().filter(o -> o.failure() != null).toList();
  }
}
