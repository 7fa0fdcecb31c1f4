package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.rtmpgw.gateway.session.Responder;
import org.rtmpgw.tunnel.RtmptReplies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one RTMPT reply through an {@link AsyncContext} without blocking: the whole reply is
 * built first, its length set, and written once, so headers and body leave together and the
 * length is never chunked (librtmp reads Content-Length at a fixed offset and cannot parse
 * chunked bodies).
 */
final class AsyncResponder implements Responder {
  private static final Logger LOG = LoggerFactory.getLogger(AsyncResponder.class);

  private final AsyncContext async;
  private final AtomicBoolean answered = new AtomicBoolean();
  private final IntConsumer onAnswer;

  /** {@code onAnswer} is told the status of the one answer, when it is given. */
  AsyncResponder(AsyncContext async, IntConsumer onAnswer) {
    this.async = async;
    this.onAnswer = onAnswer;
  }

  @Override
  public void reply(byte[] body) {
    write(HttpServletResponse.SC_OK, RtmptReplies.CONTENT_TYPE, body);
  }

  @Override
  public void error(int status, String reason) {
    write(status, "text/plain", reason.getBytes(StandardCharsets.UTF_8));
  }

  boolean isAnswered() {
    return answered.get();
  }

  /**
   * Answers from the container's timeout callback, if nobody answered yet: written at once and
   * completed before the callback returns, since the container would otherwise send its own error
   * page. The connection is closed after it. True if this call answered.
   */
  boolean answerBeforeTimeoutReturns(int status, String reason) {
    if (!answered.compareAndSet(false, true)) {
      return false;
    }
    onAnswer.accept(status);
    try {
      HttpServletResponse response = (HttpServletResponse) async.getResponse();
      byte[] body = reason.getBytes(StandardCharsets.UTF_8);
      Replies.setHeaders(response, status, "text/plain", body.length);
      response.setHeader("Connection", "close");
      response.getOutputStream().write(body); // no WriteListener was set: a blocking write
    } catch (IOException | RuntimeException e) {
      LOG.debug("timeout answer could not be written", e);
    }
    complete();
    return true;
  }

  private void write(int status, String contentType, byte[] body) {
    if (!answered.compareAndSet(false, true)) {
      return;
    }
    onAnswer.accept(status);
    try {
      HttpServletResponse response = (HttpServletResponse) async.getResponse();
      Replies.setHeaders(response, status, contentType, body.length);
      ServletOutputStream out = response.getOutputStream();
      out.setWriteListener(new OneShotWriter(out, body));
    } catch (IOException | RuntimeException e) {
      // the client went away before its answer; nothing to deliver it to
      LOG.debug("reply could not be written", e);
      complete();
    }
  }

  private void complete() {
    try {
      async.complete();
    } catch (IllegalStateException e) {
      LOG.debug("async context already completed", e);
    }
  }

  /** Writes the body once when the stream is ready, then completes when the write has drained. */
  private final class OneShotWriter implements WriteListener {
    private final ServletOutputStream out;
    private byte[] pending;

    OneShotWriter(ServletOutputStream out, byte[] body) {
      this.out = out;
      this.pending = body;
    }

    @Override
    public void onWritePossible() throws IOException {
      if (pending != null) {
        byte[] body = pending;
        pending = null;
        out.write(body);
      }
      if (out.isReady()) {
        complete();
      }
    }

    @Override
    public void onError(Throwable t) {
      LOG.debug("reply write failed", t);
      complete();
    }
  }
}
