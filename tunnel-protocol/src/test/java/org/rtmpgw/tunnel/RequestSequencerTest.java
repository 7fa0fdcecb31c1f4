package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rtmpgw.tunnel.RequestSequencer.Admission;
import org.rtmpgw.tunnel.RequestSequencer.Completion;

class RequestSequencerTest {

  private static final int WINDOW = 8;
  private static final long MAX_GAP = 100;

  /** A request handle; {@code tag} tells a retry from the original. */
  private record Req(long seq, String tag) {}

  private final RequestSequencer<Req> sequencer = new RequestSequencer<>(WINDOW, MAX_GAP);

  private static Req req(long seq) {
    return new Req(seq, "orig");
  }

  private static ReplyBody reply(long seq) {
    return ReplyBody.of(new byte[] {PollingDelay.FAST, (byte) seq});
  }

  @ParameterizedTest(name = "base {0}")
  @ValueSource(longs = {0, 1, 7, 999_999_999_999_999_990L})
  void firstSeqIsTheBaseAndInOrderRequestsStartOneByOne(long base) {
    for (long seq = base; seq < base + 5; seq++) {
      assertThat(sequencer.admit(seq, req(seq), 0)).isEqualTo(Admission.START);
      assertThat(sequencer.inProgressSeq()).isEqualTo(seq);

      Completion<Req> done = sequencer.complete(seq, reply(seq), 0);

      assertThat(done.next()).isNull();
      assertThat(done.replayWaiters()).isEmpty();
      assertThat(sequencer.lastCompletedSeq()).isEqualTo(seq);
      assertThat(sequencer.inProgressSeq()).isEqualTo(-1);
      assertThat(sequencer.lastReply()).isEqualTo(reply(seq));
    }
    assertThat(sequencer.hasParked()).isFalse();
  }

  @Test
  void freshSequencerHasNothing() {
    assertThat(sequencer.lastCompletedSeq()).isEqualTo(-1);
    assertThat(sequencer.inProgressSeq()).isEqualTo(-1);
    assertThat(sequencer.lastReply()).isNull();
    assertThat(sequencer.hasParked()).isFalse();
    assertThat(sequencer.parkedCount()).isZero();
    assertThat(sequencer.gapExpired(Long.MAX_VALUE)).isFalse();
  }

  @Test
  void seqBeforeTheBaseIsStale() {
    sequencer.admit(1, req(1), 0);

    assertThat(sequencer.admit(0, req(0), 0)).isEqualTo(Admission.STALE);
  }

  @Test
  void successorArrivingWhileInProgressIsParkedThenReleased() {
    sequencer.admit(0, req(0), 0);

    assertThat(sequencer.admit(1, req(1), 0)).isEqualTo(Admission.PARKED);
    Completion<Req> done = sequencer.complete(0, reply(0), 0);

    assertThat(done.next()).isEqualTo(req(1));
    assertThat(sequencer.inProgressSeq()).isEqualTo(1);
    assertThat(sequencer.hasParked()).isFalse();
  }

  @Test
  void reverseOrderWithinWindowIsReleasedInOrder() {
    sequencer.admit(0, req(0), 0);
    sequencer.complete(0, reply(0), 0);
    for (long seq = WINDOW; seq >= 2; seq--) {
      assertThat(sequencer.admit(seq, req(seq), 0)).as("seq %d", seq).isEqualTo(Admission.PARKED);
    }
    assertThat(sequencer.parkedCount()).isEqualTo(WINDOW - 1);

    assertThat(sequencer.admit(1, req(1), 0)).isEqualTo(Admission.START);
    List<Long> order = new ArrayList<>(List.of(1L));
    long current = 1;
    while (true) {
      Req next = sequencer.complete(current, reply(current), 0).next();
      if (next == null) {
        break;
      }
      order.add(next.seq());
      current = next.seq();
    }

    assertThat(order).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(sequencer.hasParked()).isFalse();
    assertThat(sequencer.lastCompletedSeq()).isEqualTo(WINDOW);
  }

  @Test
  void windowBoundaryWhileIdle() {
    sequencer.admit(0, req(0), 0);
    sequencer.complete(0, reply(0), 0);
    // next expected is 1: it and the following WINDOW - 1 seqs are within the window.

    assertThat(sequencer.admit(1 + WINDOW - 1, req(8), 0)).isEqualTo(Admission.PARKED);
    assertThat(sequencer.admit(1 + WINDOW, req(9), 0)).isEqualTo(Admission.TOO_FAR);
    assertThat(sequencer.admit(Long.MAX_VALUE, req(Long.MAX_VALUE), 0))
        .isEqualTo(Admission.TOO_FAR);
  }

  @Test
  void windowBoundaryWhileInProgress() {
    sequencer.admit(0, req(0), 0);
    // next expected is 1 (after the one in progress): 1..WINDOW may be parked.

    assertThat(sequencer.admit(1, req(1), 0)).isEqualTo(Admission.PARKED);
    assertThat(sequencer.admit(WINDOW, req(WINDOW), 0)).isEqualTo(Admission.PARKED);
    assertThat(sequencer.admit(WINDOW + 1, req(WINDOW + 1), 0)).isEqualTo(Admission.TOO_FAR);
    assertThat(sequencer.parkedCount()).isEqualTo(2);
  }

  @Test
  void windowOfOneParksOnlyTheSuccessorOfTheRequestInProgress() {
    RequestSequencer<Req> strict = new RequestSequencer<>(1, MAX_GAP);
    strict.admit(0, req(0), 0);

    assertThat(strict.admit(1, req(1), 0)).isEqualTo(Admission.PARKED);
    assertThat(strict.admit(2, req(2), 0)).isEqualTo(Admission.TOO_FAR);
    strict.complete(0, reply(0), 0);
    strict.complete(1, reply(1), 0);
    assertThat(strict.admit(3, req(3), 0)).isEqualTo(Admission.TOO_FAR);
    assertThat(strict.admit(2, req(2), 0)).isEqualTo(Admission.START);
  }

  @Test
  void repeatOfLastCompletedSeqIsReplayedAndNeverReleasedAsNext() {
    sequencer.admit(0, req(0), 0);
    sequencer.complete(0, reply(0), 0);

    assertThat(sequencer.admit(0, new Req(0, "retry"), 0)).isEqualTo(Admission.REPLAY);
    assertThat(sequencer.lastReply()).isEqualTo(reply(0));
    assertThat(sequencer.hasParked()).isFalse();
    assertThat(sequencer.inProgressSeq()).isEqualTo(-1);

    assertThat(sequencer.admit(1, req(1), 0)).isEqualTo(Admission.START);
    assertThat(sequencer.admit(0, new Req(0, "retry2"), 0)).isEqualTo(Admission.REPLAY);
    Completion<Req> done = sequencer.complete(1, reply(1), 0);
    assertThat(done.next()).isNull();
    assertThat(done.replayWaiters()).isEmpty();
  }

  @Test
  void onlyTheLatestReplyIsKept() {
    sequencer.admit(5, req(5), 0);
    sequencer.complete(5, reply(5), 0);
    sequencer.admit(6, req(6), 0);
    sequencer.complete(6, reply(6), 0);

    assertThat(sequencer.lastReply()).isEqualTo(reply(6));
    assertThat(sequencer.admit(5, req(5), 0)).isEqualTo(Admission.STALE);
    assertThat(sequencer.admit(6, req(6), 0)).isEqualTo(Admission.REPLAY);
  }

  @Test
  void retryWhileInProgressJoinsAndIsReturnedAsReplayWaiter() {
    sequencer.admit(3, req(3), 0);
    Req retry1 = new Req(3, "retry1");
    Req retry2 = new Req(3, "retry2");

    assertThat(sequencer.admit(3, retry1, 0)).isEqualTo(Admission.JOINED_IN_PROGRESS);
    assertThat(sequencer.admit(3, retry2, 0)).isEqualTo(Admission.JOINED_IN_PROGRESS);
    sequencer.admit(4, req(4), 0);
    Completion<Req> done = sequencer.complete(3, reply(3), 0);

    assertThat(done.replayWaiters()).containsExactly(retry1, retry2);
    assertThat(done.next()).isEqualTo(req(4));
    // Waiters belong to seq 3 only; completing 4 returns none.
    assertThat(sequencer.complete(4, reply(4), 0).replayWaiters()).isEmpty();
  }

  @Test
  void olderThanLastCompletedIsStale() {
    for (long seq = 0; seq < 4; seq++) {
      sequencer.admit(seq, req(seq), 0);
      sequencer.complete(seq, reply(seq), 0);
    }

    assertThat(sequencer.admit(2, req(2), 0)).isEqualTo(Admission.STALE);
    assertThat(sequencer.admit(0, req(0), 0)).isEqualTo(Admission.STALE);
    sequencer.admit(4, req(4), 0);
    assertThat(sequencer.admit(2, req(2), 0)).isEqualTo(Admission.STALE);
    assertThat(sequencer.admit(3, req(3), 0)).isEqualTo(Admission.REPLAY);
  }

  @Test
  void secondRequestForAParkedSeqIsNotStored() {
    sequencer.admit(0, req(0), 0);
    Req original = req(2);
    sequencer.admit(2, original, 0);

    assertThat(sequencer.admit(2, new Req(2, "dup"), 0)).isEqualTo(Admission.DUPLICATE_PARKED);
    assertThat(sequencer.parkedCount()).isEqualTo(1);
    sequencer.complete(0, reply(0), 0);
    sequencer.admit(1, req(1), 0);
    assertThat(sequencer.complete(1, reply(1), 0).next()).isSameAs(original);
  }

  @Test
  void completeOfAnotherSeqThrows() {
    assertThatThrownBy(() -> sequencer.complete(0, reply(0), 0))
        .isInstanceOf(IllegalStateException.class);

    sequencer.admit(0, req(0), 0);
    sequencer.admit(1, req(1), 0);
    assertThatThrownBy(() -> sequencer.complete(1, reply(1), 0))
        .isInstanceOf(IllegalStateException.class);
    sequencer.complete(0, reply(0), 0);
    assertThatThrownBy(() -> sequencer.complete(0, reply(0), 0))
        .isInstanceOf(IllegalStateException.class);
    assertThat(sequencer.inProgressSeq()).isEqualTo(1);
  }

  @Test
  void badArgumentsAreRejected() {
    assertThatThrownBy(() -> new RequestSequencer<Req>(0, MAX_GAP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RequestSequencer<Req>(1, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sequencer.admit(-1, req(-1), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> sequencer.admit(0, null, 0)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void gapExpiresOnlyAfterMaxGapWithTheMissingSeqAbsent() {
    sequencer.admit(0, req(0), 0);
    sequencer.complete(0, reply(0), 10);
    assertThat(sequencer.gapExpired(1_000_000)).isFalse();

    assertThat(sequencer.admit(2, req(2), 20)).isEqualTo(Admission.PARKED);
    assertThat(sequencer.admit(3, req(3), 90)).isEqualTo(Admission.PARKED);

    assertThat(sequencer.gapExpired(20)).isFalse();
    assertThat(sequencer.gapExpired(20 + MAX_GAP)).isFalse();
    // The clock started with the first park at 20, not the second at 90.
    assertThat(sequencer.gapExpired(20 + MAX_GAP + 1)).isTrue();

    assertThat(sequencer.admit(1, req(1), 200)).isEqualTo(Admission.START);
    assertThat(sequencer.gapExpired(10_000)).isFalse();
  }

  @Test
  void noGapWhileTheRequestBeforeTheParkedOnesIsInProgress() {
    sequencer.admit(0, req(0), 0);
    sequencer.admit(2, req(2), 5);

    assertThat(sequencer.gapExpired(1_000_000)).isFalse();

    // Completing 0 leaves 1 missing: the gap clock starts now.
    Completion<Req> done = sequencer.complete(0, reply(0), 50);
    assertThat(done.next()).isNull();
    assertThat(sequencer.gapExpired(50 + MAX_GAP)).isFalse();
    assertThat(sequencer.gapExpired(50 + MAX_GAP + 1)).isTrue();
  }

  @Test
  void gapClockSurvivesNanoTimeWrapAround() {
    long start = Long.MAX_VALUE - 10;
    sequencer.admit(0, req(0), start);
    sequencer.complete(0, reply(0), start);
    sequencer.admit(2, req(2), start);

    assertThat(sequencer.gapExpired(start + MAX_GAP)).isFalse();
    assertThat(sequencer.gapExpired(start + MAX_GAP + 1)).isTrue();
  }

  @Test
  void zeroMaxGapExpiresAsSoonAsTimeMoves() {
    RequestSequencer<Req> impatient = new RequestSequencer<>(WINDOW, 0);
    impatient.admit(0, req(0), 0);
    impatient.complete(0, reply(0), 0);
    impatient.admit(2, req(2), 7);

    assertThat(impatient.gapExpired(7)).isFalse();
    assertThat(impatient.gapExpired(8)).isTrue();
  }

  @Test
  void drainAllReturnsWaitersAndParkedRequests() {
    sequencer.admit(0, req(0), 0);
    Req retry = new Req(0, "retry");
    sequencer.admit(0, retry, 0);
    sequencer.admit(3, req(3), 0);
    sequencer.admit(1, req(1), 0);

    List<Req> drained = sequencer.drainAll();

    assertThat(drained).containsExactly(retry, req(1), req(3));
    assertThat(sequencer.hasParked()).isFalse();
    assertThat(sequencer.parkedCount()).isZero();
    assertThat(sequencer.gapExpired(Long.MAX_VALUE)).isFalse();
    assertThat(sequencer.complete(0, reply(0), 0).replayWaiters()).isEmpty();
    assertThat(sequencer.drainAll()).isEmpty();
  }

  @Test
  void drainAllClearsAnExpiredGap() {
    sequencer.admit(0, req(0), 0);
    sequencer.complete(0, reply(0), 0);
    sequencer.admit(2, req(2), 0);
    assertThat(sequencer.gapExpired(MAX_GAP + 1)).isTrue();

    assertThat(sequencer.drainAll()).containsExactly(req(2));
    assertThat(sequencer.gapExpired(MAX_GAP + 1)).isFalse();
  }

  @Test
  void completionWaitersAreAnImmutableSnapshot() {
    sequencer.admit(0, req(0), 0);
    sequencer.admit(0, new Req(0, "retry"), 0);

    Completion<Req> done = sequencer.complete(0, reply(0), 0);

    assertThatThrownBy(() -> done.replayWaiters().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void seqsNearLongMaxDoNotOverflow() {
    long top = Long.MAX_VALUE;
    sequencer.admit(top - 1, req(top - 1), 0);
    assertThat(sequencer.admit(top, req(top), 0)).isEqualTo(Admission.PARKED);
    assertThat(sequencer.complete(top - 1, reply(1), 0).next()).isEqualTo(req(top));

    Completion<Req> last = sequencer.complete(top, reply(2), 0);

    assertThat(last.next()).isNull();
    assertThat(sequencer.admit(0, req(0), 0)).isEqualTo(Admission.STALE);
    assertThat(sequencer.admit(top, req(top), 0)).isEqualTo(Admission.REPLAY);
  }

  /**
   * A client with up to {@code window} unanswered requests whose deliveries arrive in random order,
   * sprinkled with retries, against a server that completes lazily.
   */
  @Test
  void shuffledDeliveriesWithinTheWindowCompleteEverySeqOnceInOrder() {
    Random random = new Random(0x5EC0E4CEL);
    for (int round = 0; round < 300; round++) {
      int window = 1 + random.nextInt(16);
      long base = random.nextBoolean() ? 0 : 1;
      int total = 20 + random.nextInt(150);
      runShuffledRound(random, window, base, total);
    }
  }

  private static void runShuffledRound(Random random, int window, long base, int total) {
    RequestSequencer<Req> sequencer = new RequestSequencer<>(window, 1_000);
    List<Long> completed = new ArrayList<>();
    List<Req> inFlight = new ArrayList<>();
    List<Long> delivered = new ArrayList<>();
    long nextToIssue = base;
    long end = base + total;
    String context = "window " + window + " base " + base;

    // The base must be the first seq admitted.
    assertThat(sequencer.admit(base, req(base), 0)).as(context).isEqualTo(Admission.START);
    delivered.add(base);
    nextToIssue++;

    while (completed.size() < total) {
      int action = random.nextInt(10);
      long lowestUnanswered = base + completed.size();
      if (action < 3 && nextToIssue < end && nextToIssue - lowestUnanswered < window) {
        inFlight.add(req(nextToIssue++));
      } else if (action < 6 && !inFlight.isEmpty()) {
        Req arriving = inFlight.remove(random.nextInt(inFlight.size()));
        Admission admission = sequencer.admit(arriving.seq(), arriving, 0);
        assertThat(admission).as(context).isIn(Admission.START, Admission.PARKED);
        delivered.add(arriving.seq());
      } else if (action < 7 && !delivered.isEmpty()) {
        long seq = delivered.get(random.nextInt(delivered.size()));
        Admission admission = sequencer.admit(seq, new Req(seq, "retry"), 0);
        assertThat(admission)
            .as(context + " retry of " + seq)
            .isIn(
                Admission.REPLAY,
                Admission.JOINED_IN_PROGRESS,
                Admission.STALE,
                Admission.DUPLICATE_PARKED);
      } else if (sequencer.inProgressSeq() >= 0) {
        long seq = sequencer.inProgressSeq();
        Completion<Req> done = sequencer.complete(seq, reply(seq), 0);
        completed.add(seq);
        assertThat(done.replayWaiters()).allSatisfy(w -> assertThat(w.seq()).isEqualTo(seq));
        if (done.next() != null) {
          assertThat(done.next().seq()).isEqualTo(seq + 1);
          assertThat(done.next().tag()).isEqualTo("orig");
          assertThat(sequencer.inProgressSeq()).isEqualTo(seq + 1);
        }
      } else if (inFlight.isEmpty() && nextToIssue >= end) {
        throw new AssertionError(context + ": stuck; completed " + completed);
      }
    }

    List<Long> expected = new ArrayList<>();
    for (long seq = base; seq < end; seq++) {
      expected.add(seq);
    }
    assertThat(completed).as(context).isEqualTo(expected);
    assertThat(sequencer.hasParked()).isFalse();
    assertThat(sequencer.inProgressSeq()).isEqualTo(-1);
    assertThat(sequencer.lastCompletedSeq()).isEqualTo(end - 1);
    assertThat(completed).isSorted().doesNotHaveDuplicates();
  }

  @org.junit.jupiter.api.Test
  void wouldStartAgreesWithAdmitAndChangesNothing() {
    RequestSequencer<String> q = new RequestSequencer<>(4, 1_000_000L);
    org.assertj.core.api.Assertions.assertThat(q.wouldStart(7)).isTrue(); // any first seq is the base
    org.assertj.core.api.Assertions.assertThat(q.wouldStart(-1)).isFalse();
    org.assertj.core.api.Assertions.assertThat(q.admit(1, "a", 0))
        .isEqualTo(RequestSequencer.Admission.START);
    org.assertj.core.api.Assertions.assertThat(q.wouldStart(2)).as("1 still in progress").isFalse();
    q.complete(1, ReplyBody.of(new byte[] {1}), 0);
    org.assertj.core.api.Assertions.assertThat(q.wouldStart(1)).as("replay, not start").isFalse();
    org.assertj.core.api.Assertions.assertThat(q.wouldStart(3)).as("gap").isFalse();
    org.assertj.core.api.Assertions.assertThat(q.wouldStart(2)).isTrue();
    org.assertj.core.api.Assertions.assertThat(q.wouldStart(2)).as("asking twice changes nothing").isTrue();
    org.assertj.core.api.Assertions.assertThat(q.admit(2, "b", 0))
        .isEqualTo(RequestSequencer.Admission.START);
  }

  @org.junit.jupiter.api.Nested
  class BaseGrace {
    private static final long GRACE = 100;
    private final RequestSequencer<String> q = new RequestSequencer<>(8, 1_000, GRACE);

    @org.junit.jupiter.api.Test
    void flashPlayersSendOneOvertakingIdleZeroStillRunsSecond() {
      org.assertj.core.api.Assertions.assertThat(q.wouldStart(1)).isFalse();
      org.assertj.core.api.Assertions.assertThat(q.admit(1, "send1", 0))
          .isEqualTo(RequestSequencer.Admission.PARKED);
      org.assertj.core.api.Assertions.assertThat(q.isStarted()).isFalse();
      org.assertj.core.api.Assertions.assertThat(q.gapExpired(10_000)).isFalse();
      org.assertj.core.api.Assertions.assertThat(q.wouldStart(0)).isTrue();
      org.assertj.core.api.Assertions.assertThat(q.admit(0, "idle0", 50))
          .isEqualTo(RequestSequencer.Admission.START);
      org.assertj.core.api.Assertions.assertThat(q.startAfterBaseGrace(500)).isNull();
      org.assertj.core.api.Assertions.assertThat(q.complete(0, ReplyBody.of(new byte[] {1}), 60).next())
          .isEqualTo("send1");
    }

    @org.junit.jupiter.api.Test
    void aClientThatStartsAtOneWaitsOnlyTheGrace() {
      org.assertj.core.api.Assertions.assertThat(q.admit(1, "first", 1_000))
          .isEqualTo(RequestSequencer.Admission.PARKED);
      org.assertj.core.api.Assertions.assertThat(q.admit(2, "second", 1_010))
          .isEqualTo(RequestSequencer.Admission.PARKED);
      org.assertj.core.api.Assertions.assertThat(q.startAfterBaseGrace(1_000 + GRACE - 1)).isNull();
      org.assertj.core.api.Assertions.assertThat(q.startAfterBaseGrace(1_000 + GRACE))
          .isEqualTo("first");
      org.assertj.core.api.Assertions.assertThat(q.inProgressSeq()).isEqualTo(1);
      org.assertj.core.api.Assertions.assertThat(q.complete(1, ReplyBody.of(new byte[] {1}), 1_200).next())
          .isEqualTo("second");
      org.assertj.core.api.Assertions.assertThat(q.admit(0, "late0", 1_300))
          .isEqualTo(RequestSequencer.Admission.STALE);
    }

    @org.junit.jupiter.api.Test
    void beforeTheBaseDuplicatesAreRefusedAndParkingIsBounded() {
      org.assertj.core.api.Assertions.assertThat(q.admit(3, "a", 0))
          .isEqualTo(RequestSequencer.Admission.PARKED);
      org.assertj.core.api.Assertions.assertThat(q.admit(3, "b", 0))
          .isEqualTo(RequestSequencer.Admission.DUPLICATE_PARKED);
      for (int seq = 4; seq < 11; seq++) {
        q.admit(seq, "x", 0);
      }
      org.assertj.core.api.Assertions.assertThat(q.parkedCount()).isEqualTo(8);
      org.assertj.core.api.Assertions.assertThat(q.admit(20, "y", 0))
          .isEqualTo(RequestSequencer.Admission.TOO_FAR);
    }

    @org.junit.jupiter.api.Test
    void withoutGraceTheFirstSeqIsTheBaseAtOnce() {
      RequestSequencer<String> immediate = new RequestSequencer<>(8, 1_000);
      org.assertj.core.api.Assertions.assertThat(immediate.wouldStart(1)).isTrue();
      org.assertj.core.api.Assertions.assertThat(immediate.admit(1, "a", 0))
          .isEqualTo(RequestSequencer.Admission.START);
    }
  }
}
