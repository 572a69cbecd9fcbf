//! The studies of `sim storm`: every run of each model on worker threads, the means they come
//! to (the rows of the JSON), and the tables.

use serde::Serialize;

use crate::storm::amplification::{self, FAILURE_RATES};
use crate::storm::collapse::{self, LoadShape, Second};
use crate::storm::events::stream_seed;
use crate::workers::fold_in_parallel;

/// What every study shares: runs per point, the seed, and the threads to run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runs {
    /// Independent runs per point.
    pub runs: u32,
    /// The seed of the whole study: the same seed gives the same numbers, whatever the threads.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
}

/// The points of the amplification study with `clients` client counts: every failure rate and
/// strategy for each.
pub fn amplification_points(clients: usize) -> usize {
    clients
        .saturating_mul(FAILURE_RATES.len())
        .saturating_mul(amplification::Strategy::ALL.len())
}

/// The points of the collapse study: every load shape and strategy.
pub const COLLAPSE_POINTS: usize = LoadShape::ALL.len() * collapse::Strategy::ALL.len();

/// The runs of a study of `points` points of `runs` runs each, or `None` when they are more than
/// a `usize` counts (on a 32-bit host, from about 4 billion).
pub fn total_runs(points: usize, runs: u32) -> Option<usize> {
    points.checked_mul(usize::try_from(runs.max(1)).ok()?)
}

/// One point of the amplification study: a (clients, failure rate, strategy) over its runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AmplificationRow {
    /// `"amplification"`.
    pub model: &'static str,
    /// Clients.
    pub clients: usize,
    /// Calls per second, all clients together.
    pub calls_per_s: u32,
    /// The probability that the server fails an attempt.
    pub failure_rate: f64,
    /// The strategy's name.
    pub strategy: &'static str,
    /// Calls that succeeded over calls started, over all runs.
    pub success_rate: f64,
    /// Attempts over calls started, over all runs.
    pub load: f64,
    /// Calls started in a run, on average.
    pub calls: f64,
    /// Runs.
    pub runs: u32,
    /// The study's seed.
    pub seed: u64,
}

/// The amplification study: every failure rate and strategy for each client count, `calls_per_s`
/// shared among the clients; with the number of threads that could start.
pub fn amplification(
    clients: &[usize],
    calls_per_s: u32,
    runs: Runs,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> (Vec<AmplificationRow>, usize) {
    let strategies = amplification::Strategy::ALL;
    let points: Vec<(usize, usize, amplification::Strategy)> = clients
        .iter()
        .flat_map(|&n| (0..FAILURE_RATES.len()).flat_map(move |p| strategies.map(|s| (n, p, s))))
        .collect();
    let per_point = runs.runs.max(1) as usize;
    let job = |i: usize| {
        let (n, p, strategy) = points[i / per_point];
        let run = (i % per_point) as u64;
        // Every strategy meets the same calls and the same server for a (clients, p, run), so
        // that the differences between them are theirs and not the noise's.
        let seed = stream_seed(runs.seed, &[0, n as u64, p as u64, run]);
        let setup = amplification::Setup::new(n, f64::from(calls_per_s));
        amplification::simulate(strategy, &setup, FAILURE_RATES[p], seed)
    };
    // Each run's totals are added to its point's as it finishes: integer sums, the same in any
    // order, in memory that does not grow with the runs.
    let (sums, threads) = fold_in_parallel(
        total_runs(points.len(), runs.runs).unwrap_or(usize::MAX),
        runs.threads,
        &job,
        vec![amplification::Totals::default(); points.len()],
        &|sums, i, totals| sums[i / per_point] += totals,
        progress,
    );
    let rows = points
        .iter()
        .zip(sums)
        .map(|(&(n, p, strategy), sum)| AmplificationRow {
            model: "amplification",
            clients: n,
            calls_per_s,
            failure_rate: FAILURE_RATES[p],
            strategy: strategy.name(),
            success_rate: sum.success_rate(),
            load: sum.load(),
            calls: sum.calls as f64 / per_point as f64,
            runs: runs.runs,
            seed: runs.seed,
        })
        .collect();
    (rows, threads)
}

/// One second of the collapse study, for a (load shape, strategy): the means of its runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CollapseRow {
    /// `"collapse"`.
    pub model: &'static str,
    /// `"ramp"` or `"spike"`.
    pub load_shape: &'static str,
    /// The strategy's name.
    pub strategy: &'static str,
    /// The second, from 0: this row covers `[t, t + 1)` seconds.
    pub t: u32,
    /// New requests.
    pub starts: f64,
    /// Requests answered in time.
    pub successes: f64,
    /// Attempts after the first.
    pub retries: f64,
    /// Attempts that ran out of time.
    pub timeouts: f64,
    /// Requests the server was serving at the end of the second.
    pub in_flight: f64,
    /// Runs.
    pub runs: u32,
    /// The study's seed.
    pub seed: u64,
}

/// The collapse study: both load shapes under every strategy, with the default setup; with the
/// number of threads that could start.
pub fn collapse(runs: Runs, progress: &(dyn Fn(usize, usize) + Sync)) -> (Vec<CollapseRow>, usize) {
    collapse_with(&collapse::Setup::default(), runs, progress)
}

/// The collapse study with `setup`.
pub fn collapse_with(
    setup: &collapse::Setup,
    runs: Runs,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> (Vec<CollapseRow>, usize) {
    let points: Vec<(usize, collapse::Strategy)> = (0..LoadShape::ALL.len())
        .flat_map(|shape| collapse::Strategy::ALL.map(|s| (shape, s)))
        .collect();
    let per_point = runs.runs.max(1) as usize;
    let job = |i: usize| {
        let (shape, strategy) = points[i / per_point];
        let run = (i % per_point) as u64;
        let seed = stream_seed(runs.seed, &[1, shape as u64, run]);
        collapse::simulate(strategy, LoadShape::ALL[shape], setup, seed)
    };
    // Each run's seconds are added to its point's as it finishes, second by second (a run that
    // ended sooner adds nothing to the later ones): integer sums, the same in any order, in
    // memory that does not grow with the runs.
    let add = |sums: &mut Vec<Vec<Second>>, i: usize, run: Vec<Second>| {
        let point = &mut sums[i / per_point];
        if point.len() < run.len() {
            point.resize(run.len(), Second::default());
        }
        for (sum, second) in point.iter_mut().zip(run) {
            *sum += second;
        }
    };
    let (sums, threads) = fold_in_parallel(
        total_runs(points.len(), runs.runs).unwrap_or(usize::MAX),
        runs.threads,
        &job,
        vec![Vec::new(); points.len()],
        &add,
        progress,
    );
    let mut rows = Vec::new();
    for (&(shape, strategy), point) in points.iter().zip(sums) {
        for (t, sum) in point.iter().enumerate() {
            let mean = |value: fn(&Second) -> u64| value(sum) as f64 / per_point as f64;
            rows.push(CollapseRow {
                model: "collapse",
                load_shape: LoadShape::ALL[shape].name(),
                strategy: strategy.name(),
                t: t as u32,
                starts: mean(|s| s.starts),
                successes: mean(|s| s.successes),
                retries: mean(|s| s.retries),
                timeouts: mean(|s| s.timeouts),
                in_flight: mean(|s| s.in_flight),
                runs: runs.runs,
                seed: runs.seed,
            });
        }
    }
    (rows, threads)
}

/// The amplification table: for each client count, a line per failure rate with each
/// strategy's success rate and load.
pub fn amplification_table(rows: &[AmplificationRow]) -> String {
    let strategies = amplification::Strategy::NAMES;
    let mut out = String::new();
    let mut clients: Vec<usize> = rows.iter().map(|r| r.clients).collect();
    clients.dedup();
    for n in clients {
        let group: Vec<&AmplificationRow> = rows.iter().filter(|r| r.clients == n).collect();
        let Some(first) = group.first() else {
            continue;
        };
        out += &format!(
            "amplification: {n} clients, {} calls/s in all, {} runs a point: success rate and load (attempts per call)\n",
            first.calls_per_s, first.runs
        );
        out += &format!("{:>7}", "p");
        for name in strategies {
            out += &format!(" | {name:>16}");
        }
        out.push('\n');
        out += &format!("{:>7}", "");
        for _ in strategies {
            out += &format!(" | {:>7} {:>8}", "success", "load");
        }
        out.push('\n');
        for chunk in group.chunks(strategies.len()) {
            out += &format!("{:>7}", chunk[0].failure_rate);
            for row in chunk {
                out += &format!(" | {:>7.4} {:>8.3}", row.success_rate, row.load);
            }
            out.push('\n');
        }
    }
    out
}

/// A (load shape, strategy)'s run summed up: totals over the run, the peak of requests in
/// flight, and the successes a second over the last 20 s.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// `"ramp"` or `"spike"`.
    pub load_shape: &'static str,
    /// The strategy's name.
    pub strategy: &'static str,
    /// New requests in the run.
    pub starts: f64,
    /// Requests answered in time.
    pub successes: f64,
    /// Attempts after the first.
    pub retries: f64,
    /// Attempts that ran out of time.
    pub timeouts: f64,
    /// The most requests in flight at the end of a second.
    pub peak_in_flight: f64,
    /// Successes a second over the run's last 20 s.
    pub late_successes_per_s: f64,
}

/// The summaries of the collapse study's rows, in their order.
pub fn summaries(rows: &[CollapseRow]) -> Vec<Summary> {
    let mut out: Vec<Summary> = Vec::new();
    for row in rows {
        let same = |s: &&mut Summary| s.load_shape == row.load_shape && s.strategy == row.strategy;
        let summary = match out.iter_mut().find(same) {
            Some(summary) => summary,
            None => {
                out.push(Summary {
                    load_shape: row.load_shape,
                    strategy: row.strategy,
                    starts: 0.0,
                    successes: 0.0,
                    retries: 0.0,
                    timeouts: 0.0,
                    peak_in_flight: 0.0,
                    late_successes_per_s: 0.0,
                });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        summary.starts += row.starts;
        summary.successes += row.successes;
        summary.retries += row.retries;
        summary.timeouts += row.timeouts;
        summary.peak_in_flight = summary.peak_in_flight.max(row.in_flight);
    }
    for summary in &mut out {
        let seconds: Vec<&CollapseRow> = rows
            .iter()
            .filter(|r| r.load_shape == summary.load_shape && r.strategy == summary.strategy)
            .collect();
        let late = &seconds[seconds.len().saturating_sub(20)..];
        if !late.is_empty() {
            summary.late_successes_per_s =
                late.iter().map(|r| r.successes).sum::<f64>() / late.len() as f64;
        }
    }
    out
}

/// The collapse table: for each load shape, a line per strategy with the run's totals.
pub fn collapse_table(rows: &[CollapseRow]) -> String {
    let mut out = String::new();
    let summaries = summaries(rows);
    let runs = rows.first().map_or(0, |r| r.runs);
    for shape in LoadShape::ALL {
        out += &format!(
            "collapse, {} load: per run (mean of {runs}): requests, successes, retries, timeouts, peak in flight, successes/s over the last 20 s\n",
            shape.name()
        );
        out += &format!(
            "{:>18} | {:>7} | {:>9} {:>6} | {:>7} | {:>8} | {:>9} | {:>8}\n",
            "strategy",
            "starts",
            "successes",
            "share",
            "retries",
            "timeouts",
            "in flight",
            "late/s"
        );
        for s in summaries.iter().filter(|s| s.load_shape == shape.name()) {
            let share = if s.starts > 0.0 {
                100.0 * s.successes / s.starts
            } else {
                0.0
            };
            out += &format!(
                "{:>18} | {:>7.0} | {:>9.0} {:>5.1}% | {:>7.0} | {:>8.0} | {:>9.0} | {:>8.1}\n",
                s.strategy,
                s.starts,
                s.successes,
                share,
                s.retries,
                s.timeouts,
                s.peak_in_flight,
                s.late_successes_per_s
            );
        }
    }
    out
}
