//! `sim herd`: the contention study. Runs the sweep, prints the table, writes the JSON and the
//! SVG.

pub mod chart;
pub mod model;

use std::time::Instant;

use crate::exit::Exit;
use crate::files::{self, StudyFile};
use crate::herd::model::{Row, Strategy, Sweep};
use crate::output::{Target, to_stderr, to_stdout_or_say};
use crate::{parse, stderr_log};

/// The flags of `sim herd`.
#[derive(Debug, clap::Args)]
pub struct HerdArgs {
    /// What to simulate.
    #[command(flatten)]
    pub sweep: Sweep,

    /// Write every (clients, strategy) mean, with the parameters, as JSON; `-` writes it to
    /// stdout, and the table then goes to stderr.
    #[arg(long, value_name = "PATH", value_parser = parse::target())]
    pub json: Option<Target>,

    /// Draw completion time and calls against clients, as SVG; `-` writes it to stdout, and
    /// the table then goes to stderr.
    #[arg(long, value_name = "PATH", value_parser = parse::target())]
    pub svg: Option<Target>,

    /// Worker threads; by default, one per core.
    #[arg(long, value_name = "N", value_parser = parse::positive, allow_hyphen_values = true)]
    pub threads: Option<u32>,
}

/// Runs `sim herd` with `args`.
pub fn run(args: &HerdArgs) -> Exit {
    // Checked before the files are made, which may create their folders.
    if let Err(error) = args.sweep.schedules() {
        to_stderr(&format!("error: '--base'/'--cap': {error}\n"));
        return Exit::Usage;
    }
    // The files are checked, and their temporary files made, before the sweep runs. When one
    // is stdout, the table goes to stderr, so that stdout holds that file alone.
    let [json_file, svg_file] = match files::open(args.json.as_ref(), args.svg.as_ref()) {
        Ok(files) => files,
        Err(exit) => return exit,
    };
    let table_aside = json_file.iter().chain(&svg_file).any(StudyFile::is_stdout);
    let sweep = &args.sweep;
    let strategies = sweep.strategies();
    let started = Instant::now();
    let cells = sweep.clients.0.len() * strategies.len();
    // No more threads than cells: a thread without a cell would only be started and stopped.
    let threads = args
        .threads
        .map_or_else(
            || std::thread::available_parallelism().map_or(1, |n| n.get()),
            |n| n as usize,
        )
        .clamp(1, cells.max(1));
    let report_every = (cells / 10).max(1);
    let progress = |done: usize, total: usize| {
        if done.is_multiple_of(report_every) || done == total {
            to_stderr(&format!("\rherd: {done}/{total} cells"));
        }
    };
    let (rows, threads) = match sweep.run(threads, &progress) {
        Ok(ran) => ran,
        Err(error) => {
            to_stderr(&format!("error: '--base'/'--cap': {error}\n"));
            return Exit::Usage;
        }
    };
    to_stderr("\n");
    stderr_log::log(
        stderr_log::Level::Info,
        &format!(
            "herd: {} simulations ({cells} cells x {} runs) in {:.2} s on {threads} threads",
            // As a `u64`: on a 32-bit host the product may pass a `usize`.
            cells as u64 * u64::from(sweep.params.runs),
            sweep.params.runs,
            started.elapsed().as_secs_f64()
        ),
    );
    let names: Vec<&str> = strategies.iter().map(Strategy::name).collect();
    let table = table(&rows, &names);
    // A stdout that cannot take the table (a closed pipe, a full disk) is reported, and the
    // files are written all the same.
    let mut exit = Exit::Success;
    if table_aside {
        to_stderr(&table);
    } else if !to_stdout_or_say(&table, "the table") {
        exit = Exit::Write;
    }

    if let Some(file) = json_file {
        let mut json = serde_json::to_string_pretty(&rows).unwrap_or_default();
        json.push('\n');
        if let Err(error) = file.finish(json.as_bytes(), "the JSON") {
            to_stderr(&format!("error: {error}\n"));
            return Exit::Write;
        }
    }
    if let Some(file) = svg_file {
        let written = chart::svg(&rows, &names)
            .map_err(|e| format!("cannot draw the chart: {e}"))
            .and_then(|svg| file.finish(svg.as_bytes(), "the chart"));
        if let Err(error) = written {
            to_stderr(&format!("error: {error}\n"));
            return Exit::Write;
        }
    }
    exit
}

/// The table: a row per client count, mean time and calls per strategy.
pub fn table(rows: &[Row], strategies: &[&str]) -> String {
    let mut out = format!("{:>7}", "clients");
    for name in strategies {
        out += &format!(" | {name:>12} time {:>6}", "calls");
    }
    out.push('\n');
    for chunk in rows.chunks(strategies.len().max(1)) {
        out += &format!("{:>7}", chunk[0].clients);
        for row in chunk {
            out += &format!(" | {:>12.1} ms {:>8.1}", row.mean_time_ms, row.mean_calls);
        }
        out.push('\n');
    }
    out
}
