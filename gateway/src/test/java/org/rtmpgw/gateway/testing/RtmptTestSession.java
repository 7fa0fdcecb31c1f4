package org.rtmpgw.gateway.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * An RTMPT session driven over a {@link RawHttpClient}: keeps the id from {@code /open/1} and
 * numbers requests like librtmp (seq from {@code firstSeq}, +1 per send, idle or close).
 */
public final class RtmptTestSession {
  /** The 1-byte body librtmp and FFmpeg put on open, idle and close. */
  public static final byte[] ZERO = {0};

  private final RawHttpClient http;
  private final String id;
  private long nextSeq;

  private RtmptTestSession(RawHttpClient http, String id, long firstSeq) {
    this.http = http;
    this.id = id;
    this.nextSeq = firstSeq;
  }

  /** Posts {@code /open/1}, requires a 200 with {@code id\n}, and starts counting at 0. */
  public static RtmptTestSession open(RawHttpClient http) throws IOException {
    return open(http, 0);
  }

  public static RtmptTestSession open(RawHttpClient http, long firstSeq) throws IOException {
    RawResponse r = http.post("/open/1", ZERO);
    if (r.status() != 200) {
      throw new AssertionError("/open/1 answered " + r + ": " + r.bodyText());
    }
    String body = new String(r.body(), StandardCharsets.US_ASCII);
    if (!body.endsWith("\n")) {
      throw new AssertionError("open body does not end with LF: " + body);
    }
    return new RtmptTestSession(http, body.substring(0, body.length() - 1), firstSeq);
  }

  public String id() {
    return id;
  }

  public RawHttpClient http() {
    return http;
  }

  /** The seq the next request will carry. */
  public long nextSeq() {
    return nextSeq;
  }

  public String path(String command, long seq) {
    return "/" + command + "/" + id + "/" + seq;
  }

  public RawResponse send(byte[] body) throws IOException {
    return http.post(path("send", nextSeq++), body);
  }

  public RawResponse idle() throws IOException {
    return http.post(path("idle", nextSeq++), ZERO);
  }

  public RawResponse close() throws IOException {
    return http.post(path("close", nextSeq++), ZERO);
  }

  /** Claims the next seq without sending anything (for tests that write requests themselves). */
  public long takeSeq() {
    return nextSeq++;
  }
}
