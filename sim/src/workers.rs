//! Jobs spread over worker threads, for `sim herd` and `sim storm`: each thread takes the next
//! job until none is left, and each result goes to its job's slot, or into a sum that does not
//! depend on the order the jobs finish in, so the results do not depend on how many threads
//! run, nor on how many could start.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

use crate::output::plain;
use crate::stderr_log::{Level, log};

/// Calls `job(i)` for every `i` below `jobs` on up to `threads` threads (the calling thread
/// among them), and `progress(done, jobs)` as each finishes; the results come back in the order
/// of `i`, with the number of threads they ran on. When the system will not start as many
/// threads (a process limit, too little memory for their stacks), a warning says how many did,
/// and the jobs run on those: the calling thread alone if need be.
pub fn in_parallel<T: Send>(
    jobs: usize,
    threads: usize,
    job: &(dyn Fn(usize) -> T + Sync),
    progress: &(dyn Fn(usize, usize) + Sync),
) -> (Vec<T>, usize) {
    let slots: Vec<Option<T>> = (0..jobs).map(|_| None).collect();
    let (slots, ran) = fold_in_parallel(
        jobs,
        threads,
        job,
        slots,
        &|slots, i, result| slots[i] = Some(result),
        progress,
    );
    (slots.into_iter().flatten().collect(), ran)
}

/// As [`in_parallel`], but each result is handed to `merge(&mut into, i, result)` as its job
/// finishes, and `into` comes back: the memory a study takes then does not grow with its jobs.
/// The merges run one at a time, in the order the jobs finish, so the result does not depend on
/// the threads only if the merge does not depend on that order (sums of integers, for instance).
pub fn fold_in_parallel<T, A: Send>(
    jobs: usize,
    threads: usize,
    job: &(dyn Fn(usize) -> T + Sync),
    into: A,
    merge: &(dyn Fn(&mut A, usize, T) + Sync),
    progress: &(dyn Fn(usize, usize) + Sync),
) -> (A, usize) {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let into = Mutex::new(into);
    // Held while threads start, so that no progress line comes before the warning.
    let starting = RwLock::new(());
    let work = || {
        drop(starting.read());
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= jobs {
                break;
            }
            let result = job(i);
            // A merge that panicked leaves the lock poisoned: no job is worth running after it
            // (the scope raises the panic again once every thread stops).
            let Ok(mut into) = into.lock() else {
                next.store(jobs, Ordering::Relaxed);
                break;
            };
            merge(&mut into, i, result);
            // Under the lock, so that the counts reach the progress line in order.
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, jobs);
        }
    };
    // No more threads than jobs: a thread without a job would only be started and stopped.
    let wanted = threads.clamp(1, jobs.max(1));
    let ran = std::thread::scope(|scope| {
        let held = starting.write();
        let mut started = 1;
        for _ in 1..wanted {
            match std::thread::Builder::new().spawn_scoped(scope, work) {
                Ok(_) => started += 1,
                Err(error) => {
                    log(
                        Level::Warning,
                        &format!(
                            "only {started} of {wanted} threads could start ({}); the jobs run \
                             on those",
                            plain(&error)
                        ),
                    );
                    break;
                }
            }
        }
        drop(held);
        work();
        started
    });
    (into.into_inner().unwrap_or_else(|e| e.into_inner()), ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_once_and_comes_back_in_order_whatever_the_threads() {
        for threads in [1, 2, 7, 1000] {
            let counts = Mutex::new(Vec::new());
            let (results, ran) = in_parallel(50, threads, &|i| i * i, &|done, total| {
                assert_eq!(total, 50);
                counts.lock().unwrap().push(done);
            });
            assert_eq!(results, (0..50).map(|i| i * i).collect::<Vec<_>>());
            // The progress counts come in order, whichever thread finished a job.
            assert_eq!(counts.into_inner().unwrap(), (1..=50).collect::<Vec<_>>());
            assert_eq!(ran, threads.min(50));
        }
        assert_eq!(in_parallel(0, 4, &|i| i, &|_, _| {}), (vec![], 1));
    }

    #[test]
    fn a_merge_that_panics_stops_the_jobs_left_and_the_panic_comes_back() {
        let ran = AtomicUsize::new(0);
        let folded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fold_in_parallel(
                1000,
                2,
                &|i| {
                    ran.fetch_add(1, Ordering::Relaxed);
                    i
                },
                (),
                &|_, i, _| assert_ne!(i, 5, "a merge that fails"),
                &|_, _| {},
            )
        }));
        assert!(folded.is_err());
        // Job 5 and those before it, and at most one more on the other thread.
        assert!(ran.into_inner() <= 8);
    }

    #[test]
    fn a_fold_merges_every_result_once_whatever_the_threads() {
        for threads in [1, 2, 7] {
            // Results summed by the job's parity: 2 sums whatever the number of jobs.
            let (sums, ran) = fold_in_parallel(
                1000,
                threads,
                &|i| i as u64,
                [0u64; 2],
                &|sums, i, result| sums[i % 2] += result,
                &|_, _| {},
            );
            assert_eq!(sums, [249_500, 250_000]);
            assert_eq!(ran, threads);
        }
    }
}
