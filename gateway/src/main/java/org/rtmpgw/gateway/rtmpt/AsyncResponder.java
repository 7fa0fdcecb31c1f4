package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.rtmpgw.gateway.session.Responder;
import org.rtmpgw.tunnel.ReplyBody;
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
  private final ServletIo io;
  private final IntConsumer onAnswer;

  /** {@code onAnswer} is told the status of the one answer, when it is given. */
  AsyncResponder(AsyncContext async, ServletIo io, IntConsumer onAnswer) {
    this.async = async;
    this.io = io;
    this.onAnswer = onAnswer;
  }

  @Override
  public void reply(ReplyBody body) {
    write(HttpServletResponse.SC_OK, RtmptReplies.CONTENT_TYPE, body);
  }

  @Override
  public void error(int status, String reason) {
    write(status, "text/plain", ReplyBody.of(reason.getBytes(StandardCharsets.UTF_8)));
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
      Replies.setHeaders(response, status, "text/plain", body.length, body.length);
      response.setHeader("Connection", "close");
      response.getOutputStream().write(body); // no WriteListener was set: a blocking write
    } catch (IOException | RuntimeException e) {
      LOG.debug("timeout answer could not be written", e);
    }
    complete();
    return true;
  }

  /** Writes {@code body} and gives its reference back once written, or at once if not sent. */
  private void write(int status, String contentType, ReplyBody body) {
    if (!answered.compareAndSet(false, true)) {
      body.release();
      return;
    }
    onAnswer.accept(status);
    PartsWriter writer = null;
    try {
      HttpServletResponse response = (HttpServletResponse) async.getResponse();
      Replies.setHeaders(response, status, contentType, body.length(), Replies.bufferFor(body));
      ServletOutputStream out = response.getOutputStream();
      writer = new PartsWriter(out, body);
      out.setWriteListener(writer);
    } catch (IOException | RuntimeException e) {
      // the client went away before its answer; nothing to deliver it to
      LOG.debug("reply could not be written", e);
      if (writer == null) {
        body.release();
      } else {
        writer.done();
      }
    }
  }

  private void complete() {
    try {
      async.complete();
    } catch (IllegalStateException e) {
      LOG.debug("async context already completed", e);
    }
  }

  /**
   * Writes the parts in order, each as soon as the stream is ready for it, then completes when
   * the last write has drained. A one-part body is one write, headers included. The body's
   * buffers are given back only then: until a write has drained, the container may still read it.
   */
  private final class PartsWriter implements WriteListener {
    private final ServletOutputStream out;
    private final ReplyBody body;
    private final List<ReplyBody.Part> parts;
    private final AtomicBoolean done = new AtomicBoolean();
    private int next;

    PartsWriter(ServletOutputStream out, ReplyBody body) {
      this.out = out;
      this.body = body;
      this.parts = body.parts();
    }

    @Override
    public void onWritePossible() throws IOException {
      while (out.isReady()) {
        if (next == parts.size()) {
          done();
          return;
        }
        io.write(out, parts.get(next++).bytes());
      }
    }

    @Override
    public void onError(Throwable t) {
      LOG.debug("reply write failed", t);
      done();
    }

    /** Once, whichever way the reply ended: completes the request and frees the body. */
    void done() {
      if (done.compareAndSet(false, true)) {
        complete();
        body.release();
      }
    }
  }
}
