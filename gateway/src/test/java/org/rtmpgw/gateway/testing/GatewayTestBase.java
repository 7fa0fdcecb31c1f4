package org.rtmpgw.gateway.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fake RTMP upstream per test, and in-process gateways and raw clients in front of it that are
 * closed after the test, newest first.
 */
public abstract class GatewayTestBase {
  protected static final Duration WAIT = Duration.ofSeconds(5);

  protected FakeRtmpUpstream upstream;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void startUpstream() throws Exception {
    upstream = FakeRtmpUpstream.start();
  }

  @AfterEach
  void stopAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    upstream.close();
  }

  /** A gateway in front of {@link #upstream} with these configuration overrides. */
  protected RunningGateway gateway(Map<String, String> overrides) throws Exception {
    return track(RunningGateway.start(upstream, overrides));
  }

  /** A raw keep-alive client of {@code g}. */
  protected RawHttpClient client(RunningGateway g) throws Exception {
    return track(g.client());
  }

  /** Closes {@code c} after the test. */
  protected <T extends AutoCloseable> T track(T c) {
    closeables.add(c);
    return c;
  }
}
