//! What a run leaves behind: a window onto its last attempts, the totals of all of them, and
//! the [`Outcome`].

use crate::StopReason;

/// The log of a run: the records of the last `N` attempts, with the count of every attempt and
/// every millisecond slept, so that a run of any length fits in fixed memory.
///
/// A ring of `N` records: once full, recording an attempt overwrites the oldest and moves
/// nothing, however long the run. A record is the attempt's [`AttemptOutcome`] alone, its number
/// following from its place: [`iter`](Self::iter) visits the records kept, oldest first, as
/// numbered [`Attempt`]s, and `log[i]` is the outcome of the `i`-th of them. With `N = 0` it
/// keeps no record and holds only the totals.
///
/// ```
/// use embedded_retry::{Jitter, MockClock, Policy, Retry};
///
/// // Retry forever, keeping the last 2 records.
/// const POLICY: Policy<2> = Policy::builder().retry_forever().base_delay_ms(10)
///     .max_delay_ms(40).jitter(Jitter::None).build_or_panic();
///
/// let clock = MockClock::<0>::new();
/// let mut calls = 0;
/// let outcome = Retry::without_jitter(POLICY).unwrap().call(&clock, || {
///     calls += 1;
///     if calls < 6 { Err(calls) } else { Ok(()) }
/// });
/// let log = outcome.log();
/// assert_eq!(log.total_attempts(), 6);
/// assert_eq!(log.dropped(), 4);
/// assert_eq!(log.iter().map(|a| a.number).collect::<Vec<_>>(), [5, 6]);
/// assert_eq!(log[0].error(), Some(&5));
/// assert_eq!(log.last().map(|a| a.number), Some(6));
/// assert_eq!(log.total_delay_ms(), 10 + 20 + 40 + 40 + 40);
/// ```
#[derive(Clone)]
// In this order, a new log's totals, counts and the records' length are 16 contiguous bytes of
// zeros, which a Cortex-M0 clears with four stores rather than a call to `memset`.
#[repr(C)]
pub struct AttemptLog<E, const N: usize = 0> {
    slept_ms: Millis,
    attempts: u32,
    /// The slot the next record goes in: the end of the records until the ring is full, then
    /// the oldest's. Both counts are `u16`: a log holds at most 65 535 records.
    next: u16,
    records: heapless::Vec<AttemptOutcome<E>, N, u16>,
}

impl<E, const N: usize> AttemptLog<E, N> {
    /// An empty log.
    pub const fn new() -> Self {
        const {
            assert!(
                N <= u16::MAX as usize,
                "an attempt log holds at most 65 535 records"
            )
        };
        AttemptLog {
            records: heapless::Vec::new(),
            next: 0,
            attempts: 0,
            slept_ms: Millis::ZERO,
        }
    }

    /// An empty log whose counts start at `attempts` and `slept_ms`, for tests that start a run
    /// near their limits.
    #[cfg(test)]
    pub(crate) fn counted(attempts: u32, slept_ms: u64) -> Self {
        AttemptLog {
            attempts,
            slept_ms: Millis::from(slept_ms),
            ..Self::new()
        }
    }

    /// How many records are kept: `min(N, total_attempts)`.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record is kept (always, when `N = 0`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records kept, oldest first: the last `min(N, total_attempts)` attempts.
    ///
    /// With `E: Display`, each [`Attempt`] prints as one line, `attempt 3 failed: busy, slept
    /// 200 ms`; with an error that is only `Debug`, print the record's parts, `attempt.number`,
    /// `attempt.error()` and `attempt.slept_ms()`. The record of the attempt that ended a run
    /// names its [`StopReason`] alone: that error is the outcome's ([`Outcome::last_error`]).
    pub fn iter(&self) -> Iter<'_, E> {
        // The oldest record is in the slot written next, or, until the ring is full, the first.
        let (newer, older) = self
            .records
            .split_at(usize::from(self.next).min(self.records.len()));
        // The kept records are the last ones: the newest is number `attempts`.
        let kept = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        Iter {
            older: older.iter(),
            newer: newer.iter(),
            front: self.attempts.saturating_sub(kept).saturating_add(1),
            back: self.attempts,
        }
    }

    /// The `i`-th record kept, oldest first, with its attempt number; `None` past the end.
    /// Indexing, `log[i]`, gives the record's [`AttemptOutcome`] alone, and panics past the end.
    pub fn get(&self, i: usize) -> Option<Attempt<'_, E>> {
        self.iter().nth(i)
    }

    /// The oldest record kept.
    pub fn first(&self) -> Option<Attempt<'_, E>> {
        self.iter().next()
    }

    /// The newest record: the run's last attempt so far.
    pub fn last(&self) -> Option<Attempt<'_, E>> {
        self.iter().next_back()
    }

    /// Every attempt of the run, kept or not (saturating at `u32::MAX`).
    pub const fn total_attempts(&self) -> u32 {
        self.attempts
    }

    /// The attempts whose records were not kept, the oldest ones.
    pub fn dropped(&self) -> u32 {
        // At most `attempts` records are kept, so this never underflows.
        self.attempts
            .saturating_sub(u32::try_from(self.len()).unwrap_or(u32::MAX))
    }

    /// Every millisecond the run slept. A `u64`, not saturated: 584 million years of sleeping
    /// would not fill it (a simulated run that sleeps nothing would need some 4 billion retries
    /// at the longest delay, `u32::MAX` ms, to wrap it).
    pub const fn total_delay_ms(&self) -> u64 {
        self.slept_ms.get()
    }

    /// The number of the attempt whose result is logged next (saturating at `u32::MAX`).
    pub(crate) fn attempt(&self) -> u32 {
        self.attempts.saturating_add(1)
    }

    /// The log's capacity, `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Counts an attempt and keeps its record in place of the oldest when the log is full.
    #[inline(always)]
    pub(crate) fn record(&mut self, outcome: AttemptOutcome<E>) {
        if N == 0 {
            self.count(outcome.slept_ms());
        } else {
            self.keep(outcome);
        }
    }

    /// Counts an attempt, and the time slept after it.
    #[inline(always)]
    fn count(&mut self, slept_ms: Option<u32>) {
        // A saturating add rather than a skipped store: the store saves 4 bytes on a
        // Cortex-M0, but its branch made a run on x86-64 a twentieth slower.
        self.attempts = self.attempts.saturating_add(1);
        if let Some(slept_ms) = slept_ms {
            // Not saturating: a `u64` cannot fill in any run, and the check would cost flash
            // in every build.
            self.slept_ms = Millis::from(self.slept_ms.get().wrapping_add(u64::from(slept_ms)));
        }
    }

    /// As [`record`](Self::record), with records kept.
    // On Arm, under the C calling convention the record is passed in registers (on a
    // Cortex-M, three and a stack word for a 16-byte record), where Rust's passes it through a
    // copy in the caller's frame: 16 bytes less stack for a run on a Cortex-M0. Only Rust calls
    // it, so the record need not be a C type; `C-unwind` lets a panic in `E`'s `Drop` unwind.
    // Elsewhere the call is left as Rust's: on x86-64 the C convention made a run that keeps
    // its log a fifth slower.
    #[cfg(target_arch = "arm")]
    #[allow(improper_ctypes_definitions)]
    extern "C-unwind" fn keep(&mut self, outcome: AttemptOutcome<E>) {
        self.keep_here(outcome);
    }

    /// As [`record`](Self::record), with records kept.
    #[cfg(not(target_arch = "arm"))]
    fn keep(&mut self, outcome: AttemptOutcome<E>) {
        self.keep_here(outcome);
    }

    /// The body of [`keep`](Self::keep), in its caller.
    #[inline(always)]
    fn keep_here(&mut self, outcome: AttemptOutcome<E>) {
        self.count(outcome.slept_ms());
        // `next` steps round the ring whether or not it is full: until it is, it is the end of
        // the records, where the record is pushed; once it is, the oldest's slot, overwritten.
        let at = usize::from(self.next);
        let next = at + 1;
        // `at` is below `N`, which fits in a `u16`: so does `next`.
        self.next = if next == N { 0 } else { next as u16 };
        // The push first: written the other way round, the Cortex-M0 code is 4 bytes longer.
        if let Err(outcome) = self.records.push(outcome)
            && let Some(slot) = self.records.get_mut(at)
        {
            *slot = outcome;
        }
    }
}

/// A `u64` of milliseconds kept as two words, so that it asks only 4-byte alignment: as a `u64`
/// it would align the log, and the outcome that holds it, to 8 bytes, and pad them to match (8
/// bytes more of stack for a run on a Cortex-M0).
#[derive(Clone, Copy)]
#[repr(C)]
struct Millis {
    low: u32,
    high: u32,
}

impl Millis {
    const ZERO: Millis = Millis { low: 0, high: 0 };

    const fn get(self) -> u64 {
        (self.high as u64) << 32 | self.low as u64
    }

    fn from(ms: u64) -> Millis {
        Millis {
            low: ms as u32,
            high: (ms >> 32) as u32,
        }
    }
}

impl<E, const N: usize> Default for AttemptLog<E, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: PartialEq, const N: usize> PartialEq for AttemptLog<E, N> {
    /// The same totals and the same records kept, wherever the ring stands.
    fn eq(&self, other: &Self) -> bool {
        self.attempts == other.attempts
            && self.slept_ms.get() == other.slept_ms.get()
            && self.iter().eq(other.iter())
    }
}

impl<E: Eq, const N: usize> Eq for AttemptLog<E, N> {}

impl<E: core::fmt::Debug, const N: usize> core::fmt::Debug for AttemptLog<E, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AttemptLog")
            .field("total_attempts", &self.attempts)
            .field("total_delay_ms", &self.slept_ms.get())
            .field("records", &DebugRecords(self))
            .finish()
    }
}

/// The records of a log, as a list.
struct DebugRecords<'a, E, const N: usize>(&'a AttemptLog<E, N>);

impl<E: core::fmt::Debug, const N: usize> core::fmt::Debug for DebugRecords<'_, E, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

#[cfg(feature = "defmt")]
impl<E: defmt::Format, const N: usize> defmt::Format for AttemptLog<E, N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "AttemptLog {{ total_attempts: {=u32}, total_delay_ms: {=u64}, records: [",
            self.attempts,
            self.slept_ms.get()
        );
        for (i, attempt) in self.iter().enumerate() {
            let separator = if i == 0 { "" } else { ", " };
            defmt::write!(f, "{=str}{}", separator, attempt);
        }
        defmt::write!(f, "] }}");
    }
}

impl<E, const N: usize> core::ops::Index<usize> for AttemptLog<E, N> {
    type Output = AttemptOutcome<E>;

    /// The outcome of the `i`-th record kept, oldest first.
    ///
    /// # Panics
    /// When `i >= self.len()`, as a slice does.
    fn index(&self, i: usize) -> &AttemptOutcome<E> {
        match self.get(i) {
            Some(attempt) => attempt.outcome,
            None => panic!(
                "attempt log index {i} out of range for {} records",
                self.len()
            ),
        }
    }
}

impl<'a, E, const N: usize> IntoIterator for &'a AttemptLog<E, N> {
    type Item = Attempt<'a, E>;
    type IntoIter = Iter<'a, E>;

    fn into_iter(self) -> Iter<'a, E> {
        self.iter()
    }
}

/// The records an [`AttemptLog`] keeps, oldest first: from [`AttemptLog::iter`].
#[derive(Debug)]
pub struct Iter<'a, E> {
    /// The records from the oldest to the end of the ring, then those from its start.
    older: core::slice::Iter<'a, AttemptOutcome<E>>,
    newer: core::slice::Iter<'a, AttemptOutcome<E>>,
    /// The numbers of the records at the front and at the back.
    front: u32,
    back: u32,
}

// By hand: the derive would ask `E: Clone`, and the iterator holds only references.
impl<E> Clone for Iter<'_, E> {
    fn clone(&self) -> Self {
        Iter {
            older: self.older.clone(),
            newer: self.newer.clone(),
            front: self.front,
            back: self.back,
        }
    }
}

impl<'a, E> Iterator for Iter<'a, E> {
    type Item = Attempt<'a, E>;

    fn next(&mut self) -> Option<Attempt<'a, E>> {
        let outcome = self.older.next().or_else(|| self.newer.next())?;
        let number = self.front;
        self.front = self.front.saturating_add(1);
        Some(Attempt { number, outcome })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.older.len() + self.newer.len();
        (left, Some(left))
    }
}

impl<E> DoubleEndedIterator for Iter<'_, E> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let outcome = self.newer.next_back().or_else(|| self.older.next_back())?;
        let number = self.back;
        self.back = self.back.saturating_sub(1);
        Some(Attempt { number, outcome })
    }
}

impl<E> ExactSizeIterator for Iter<'_, E> {}

impl<E> core::iter::FusedIterator for Iter<'_, E> {}

/// One call of the operation and what followed it, as an [`AttemptLog`] reads it back: the
/// log keeps the outcome, and the number follows from its place.
#[derive(Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Attempt<'a, E> {
    /// The attempt's number, 1 for the first call. After `u32::MAX` attempts the count
    /// saturates, and the records kept are numbered as the last ones before it.
    pub number: u32,
    /// How the call ended.
    pub outcome: &'a AttemptOutcome<E>,
}

// By hand: the derives would ask `E: Clone`/`E: Copy`, and a reference needs neither.
impl<E> Clone for Attempt<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for Attempt<'_, E> {}

impl<'a, E> Attempt<'a, E> {
    /// The error of a retried call. The error that ended the run is the [`Outcome`]'s, not
    /// repeated here.
    pub fn error(self) -> Option<&'a E> {
        self.outcome.error()
    }

    /// The milliseconds slept after this call; `None` when no sleep followed.
    pub fn slept_ms(self) -> Option<u32> {
        self.outcome.slept_ms()
    }
}

/// How one call of the operation ended.
///
/// Only a retried failure carries a delay: the engine never sleeps after a success or after the
/// attempt that ends the run. More kinds may be added in minor releases (the enum is
/// `#[non_exhaustive]`): a `match` on it needs a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
// The kinds that slept first: a log tells them from the others, to add up the time slept, with
// one comparison of the discriminant.
pub enum AttemptOutcome<E> {
    /// The call failed and was retried: the engine slept `slept_ms`, then called again.
    Retried {
        /// The error the call returned.
        error: E,
        /// The milliseconds slept before the next call.
        slept_ms: u32,
        /// The delay the predicate asked for with
        /// [`Decision::RetryAfter`](crate::Decision::RetryAfter), if it did; `slept_ms` is the
        /// longer of it and the policy's delay.
        hint_ms: Option<u32>,
    },
    /// The call ran out of the time its attempt was allowed
    /// ([`Retry::attempt_timeout_ms`](crate::Retry::attempt_timeout_ms)) and was retried after
    /// `slept_ms`. A timed-out attempt that ends the run is [`Stopped`](Self::Stopped), and the
    /// outcome's error is the timeout's.
    TimedOut {
        /// The milliseconds slept before the next call.
        slept_ms: u32,
        /// The delay the predicate asked for, if it did.
        hint_ms: Option<u32>,
    },
    /// The call succeeded.
    Succeeded,
    /// The call failed and the run ends here, for `reason` (never
    /// [`StopReason::Succeeded`]). Its error is the [`Outcome`]'s (or, in the event-loop form,
    /// handed back in [`Step::Stop`](crate::Step::Stop)).
    Stopped {
        /// Why no retry followed.
        reason: StopReason,
    },
}

impl<E> AttemptOutcome<E> {
    /// The error of a retried call.
    pub fn error(&self) -> Option<&E> {
        match self {
            AttemptOutcome::Retried { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The milliseconds slept after the call; `None` when no sleep followed.
    pub fn slept_ms(&self) -> Option<u32> {
        match self {
            AttemptOutcome::Retried { slept_ms, .. }
            | AttemptOutcome::TimedOut { slept_ms, .. } => Some(*slept_ms),
            _ => None,
        }
    }
}

/// One line for a log's reader, as `failed: busy, slept 200 ms (hinted 150 ms)` or
/// `failed, stopped: attempts_exhausted`. The error that ended a run is the [`Outcome`]'s, not
/// the record's, so a stopped record names only the [`StopReason`], by its text name
/// (`attempts_exhausted`, as its `Display` prints it and `FromStr` reads it; `Debug` prints
/// `AttemptsExhausted`).
///
/// ```
/// use embedded_retry::AttemptOutcome;
///
/// let retried = AttemptOutcome::Retried { error: "busy", slept_ms: 200, hint_ms: Some(150) };
/// assert_eq!(retried.to_string(), "failed: busy, slept 200 ms (hinted 150 ms)");
/// ```
impl<E: core::fmt::Display> core::fmt::Display for AttemptOutcome<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (slept_ms, hint_ms) = match self {
            AttemptOutcome::Retried {
                error,
                slept_ms,
                hint_ms,
            } => {
                write!(f, "failed: {error}, ")?;
                (slept_ms, hint_ms)
            }
            AttemptOutcome::TimedOut { slept_ms, hint_ms } => {
                f.write_str("timed out, ")?;
                (slept_ms, hint_ms)
            }
            AttemptOutcome::Succeeded => return f.write_str("succeeded"),
            AttemptOutcome::Stopped { reason } => return write!(f, "failed, stopped: {reason}"),
        };
        write!(f, "slept {slept_ms} ms")?;
        match hint_ms {
            Some(hint_ms) => write!(f, " (hinted {hint_ms} ms)"),
            None => Ok(()),
        }
    }
}

/// The record with its number, as `attempt 3 failed: busy, slept 200 ms`: a log prints one line
/// a record.
///
/// ```
/// use embedded_retry::{Jitter, MockClock, Policy, Retry};
///
/// const POLICY: Policy<4> = Policy::builder().max_attempts(3).base_delay_ms(100)
///     .jitter(Jitter::None).build_or_panic();
///
/// let clock = MockClock::<0>::new();
/// let outcome = Retry::without_jitter(POLICY).unwrap().call(&clock, || Err::<(), _>("busy"));
/// let lines: Vec<String> = outcome.log().iter().map(|a| a.to_string()).collect();
/// assert_eq!(lines, [
///     "attempt 1 failed: busy, slept 100 ms",
///     "attempt 2 failed: busy, slept 200 ms",
///     "attempt 3 failed, stopped: attempts_exhausted",
/// ]);
/// ```
impl<E: core::fmt::Display> core::fmt::Display for Attempt<'_, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "attempt {} {}", self.number, self.outcome)
    }
}

/// The result of a run: the value or the error that ended it, why it stopped, and the
/// [`AttemptLog`], which is kept on failure as well as on success.
///
/// [`into_result`](Self::into_result) (or `Result::from`) gives the operation's own
/// `Result<T, E>`, so `retry.call(&mut delay, op).into_result()?` reads as a plain call;
/// [`into_parts`](Self::into_parts) keeps the stop reason and the log as well.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// In this order the stop reason, which a run keeps in memory beside its log, sits at a short
// offset: 4 bytes less flash for a run on a Cortex-M0 than with the log between. The orders
// with the stop reason ahead of the result left a panic path in the async engine.
#[repr(C)]
pub struct Outcome<T, E, const N: usize = 0> {
    pub(crate) result: Result<T, E>,
    pub(crate) stop: StopReason,
    pub(crate) log: AttemptLog<E, N>,
}

impl<T, E, const N: usize> Outcome<T, E, N> {
    /// A finished run: `result` and `stop` agree (`Ok` exactly when `stop` is
    /// [`StopReason::Succeeded`]).
    pub(crate) fn new(result: Result<T, E>, stop: StopReason, log: AttemptLog<E, N>) -> Self {
        Outcome { result, stop, log }
    }

    /// Whether the operation succeeded.
    pub fn is_success(&self) -> bool {
        self.result.is_ok()
    }

    /// The operation's value, if it succeeded.
    pub fn value(&self) -> Option<&T> {
        self.result.as_ref().ok()
    }

    /// The error that ended the run, if it failed.
    pub fn last_error(&self) -> Option<&E> {
        self.result.as_ref().err()
    }

    /// Why the run stopped.
    pub fn stop_reason(&self) -> StopReason {
        self.stop
    }

    /// The last `N` attempts, and the totals of all of them.
    pub fn log(&self) -> &AttemptLog<E, N> {
        &self.log
    }

    /// Every attempt of the run, kept in the log or not.
    pub fn total_attempts(&self) -> u32 {
        self.log.total_attempts()
    }

    /// The milliseconds actually slept, every sleep of the run counted.
    pub fn total_delay_ms(&self) -> u64 {
        self.log.total_delay_ms()
    }

    /// The operation's value, or the error that ended the run, owned.
    pub fn into_result(self) -> Result<T, E> {
        self.result
    }

    /// The operation's result, why the run stopped, and the log, by value: what a caller keeps
    /// to report a failure with its reason, or to store the log past the run.
    pub fn into_parts(self) -> (Result<T, E>, StopReason, AttemptLog<E, N>) {
        (self.result, self.stop, self.log)
    }
}

impl<T, E, const N: usize> From<Outcome<T, E, N>> for Result<T, E> {
    fn from(outcome: Outcome<T, E, N>) -> Self {
        outcome.result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retried(slept_ms: u32) -> AttemptOutcome<u8> {
        AttemptOutcome::Retried {
            error: 1,
            slept_ms,
            hint_ms: None,
        }
    }

    #[test]
    fn counts_saturate_or_have_room_to_spare() {
        // A run that has gone on for ever: one attempt short of the count's limit, having slept
        // for 292 million years, half what the slept total holds.
        let longest = u64::MAX / 2;
        let mut log = AttemptLog::<u8, 2> {
            attempts: u32::MAX - 1,
            slept_ms: Millis::from(longest),
            ..AttemptLog::new()
        };
        log.record(retried(u32::MAX));
        log.record(retried(u32::MAX));
        log.record(retried(7));
        assert_eq!(log.total_attempts(), u32::MAX);
        assert_eq!(log.total_delay_ms(), longest + 2 * u64::from(u32::MAX) + 7);
        assert_eq!(log.dropped(), u32::MAX - 2);
        // The two records kept are the last two of the saturated count.
        assert!(log.iter().map(|a| a.number).eq([u32::MAX - 1, u32::MAX]));
        assert_eq!(log.len(), 2);
        assert_eq!(log[1].slept_ms(), Some(7));
    }

    #[test]
    fn a_log_of_no_records_still_counts() {
        let mut log = AttemptLog::<u8, 0>::new();
        log.record(retried(5));
        log.record(AttemptOutcome::Succeeded);
        assert!(log.is_empty());
        assert_eq!((log.total_attempts(), log.dropped()), (2, 2));
        assert_eq!(log.total_delay_ms(), 5);
    }

    /// A log of the retried attempts with errors `errors`, one millisecond slept after each.
    fn log_of<const N: usize>(errors: &[u8]) -> AttemptLog<u8, N> {
        let mut log = AttemptLog::new();
        for &error in errors {
            log.record(AttemptOutcome::Retried {
                error,
                slept_ms: 1,
                hint_ms: None,
            });
        }
        log
    }

    #[test]
    fn the_window_reads_oldest_first_whatever_the_ring_has_done() {
        let log = log_of::<3>(&[1, 2, 3, 4, 5]);
        assert_eq!(log.capacity(), 3);
        assert!(!log.is_empty());
        assert_eq!(log.first().and_then(Attempt::error), Some(&3));
        assert_eq!(log.last().and_then(Attempt::error), Some(&5));
        assert_eq!(log.get(1).and_then(Attempt::error), Some(&4));
        assert_eq!(log.get(3), None);
        let mut iter = log.iter();
        assert_eq!(iter.size_hint(), (3, Some(3)));
        iter.next();
        assert_eq!(iter.len(), 2);
        assert_eq!(iter.next_back().map(|a| a.number), Some(5));
        assert_eq!(iter.len(), 1);
        assert!(AttemptLog::<u8, 3>::new().is_empty());
        assert!(log_of::<0>(&[1]).is_empty());
        assert_eq!(AttemptLog::<u8, 0>::new().capacity(), 0);
    }

    #[test]
    fn an_iterator_clones_where_it_stands_whatever_the_error_type() {
        /// An error that cannot be cloned, as many are.
        #[derive(Debug, PartialEq)]
        struct Unique(u8);
        let mut log = AttemptLog::<Unique, 3>::new();
        for error in 1..=5 {
            log.record(AttemptOutcome::Retried {
                error: Unique(error),
                slept_ms: 1,
                hint_ms: None,
            });
        }
        // The ring has turned; each end moves before a clone.
        let mut iter = log.iter();
        assert_eq!(iter.next().map(|a| a.number), Some(3));
        let copy = iter.clone();
        let rest = [(4, Some(&Unique(4))), (5, Some(&Unique(5)))];
        assert!(copy.map(|a| (a.number, a.error())).eq(rest));
        assert!(iter.map(|a| (a.number, a.error())).eq(rest));
        let mut iter = log.iter();
        assert_eq!(iter.next_back().map(|a| a.number), Some(5));
        assert!(iter.clone().rev().map(|a| a.number).eq([4, 3]));
        assert!(iter.rev().map(|a| a.number).eq([4, 3]));
    }

    #[test]
    fn logs_are_equal_when_their_totals_and_kept_records_are() {
        // The same records and totals, the ring turned differently: [#3, #4] kept in order,
        // and kept as [#4, #3] with the oldest in the second place.
        let straight = log_of::<2>(&[1, 2, 3, 4]);
        let retried = |error| AttemptOutcome::Retried {
            error,
            slept_ms: 1,
            hint_ms: None,
        };
        let mut turned = AttemptLog::<u8, 2> {
            next: 1,
            attempts: 4,
            slept_ms: Millis::from(4),
            ..AttemptLog::new()
        };
        let _ = turned.records.push(retried(4));
        let _ = turned.records.push(retried(3));
        assert!(turned.iter().map(|a| a.number).eq([3, 4]));
        assert_eq!(turned, straight);
        // Any difference: the totals, or a record.
        assert_ne!(log_of::<2>(&[1, 2]), log_of::<2>(&[1, 3]));
        assert_ne!(
            log_of::<2>(&[1, 2, 3]),
            log_of::<2>(&[0, 2, 3]).clone_with_attempts(4)
        );
        let mut slower = log_of::<2>(&[1, 2]);
        slower.slept_ms = Millis::from(slower.slept_ms.get() + 1);
        assert_ne!(log_of::<2>(&[1, 2]), slower);
    }

    impl<E: Clone, const N: usize> AttemptLog<E, N> {
        fn clone_with_attempts(&self, attempts: u32) -> Self {
            let mut log = self.clone();
            log.attempts = attempts;
            log
        }
    }

    #[test]
    fn display_reads_each_kind_of_record_as_one_line() {
        extern crate std;
        use std::string::{String, ToString};
        use std::vec::Vec;
        let timed_out = AttemptOutcome::<u8>::TimedOut {
            slept_ms: 40,
            hint_ms: None,
        };
        assert_eq!(timed_out.to_string(), "timed out, slept 40 ms");
        let hinted = AttemptOutcome::<u8>::TimedOut {
            slept_ms: 40,
            hint_ms: Some(0),
        };
        assert_eq!(hinted.to_string(), "timed out, slept 40 ms (hinted 0 ms)");
        let mut log = AttemptLog::<u8, 4>::new();
        log.record(retried(3));
        log.record(AttemptOutcome::Succeeded);
        let lines: Vec<String> = log.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            lines,
            ["attempt 1 failed: 1, slept 3 ms", "attempt 2 succeeded"]
        );
        let stopped = AttemptOutcome::<u8>::Stopped {
            reason: StopReason::DeadlineExceeded,
        };
        assert_eq!(stopped.to_string(), "failed, stopped: deadline_exceeded");
    }

    #[test]
    fn debug_shows_the_totals_and_the_records_kept() {
        extern crate std;
        use std::format;
        let log = log_of::<1>(&[7, 8]);
        assert_eq!(
            format!("{log:?}"),
            "AttemptLog { total_attempts: 2, total_delay_ms: 2, records: [Attempt { number: 2, \
             outcome: Retried { error: 8, slept_ms: 1, hint_ms: None } }] }"
        );
    }
}
