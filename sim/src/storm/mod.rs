//! `sim storm`: what retries cost a struggling server, and what budgets and breakers change.
//! Runs the models, prints a table for each, writes the JSON and the SVG.
//!
//! Two models, each that of a public simulator, with the core deciding every retry (one
//! `Retry` per client, a `Run` per call): [`amplification`] (a server that fails a share of
//! attempts) and [`collapse`] (a server that slows down under load, and clients that time out).

pub mod amplification;
pub mod chart;
pub mod collapse;
pub mod events;
pub mod study;

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use embedded_retry::UnknownName;
use serde::Serialize;

use crate::exit::Exit;
use crate::files::{self, StudyFile};
use crate::output::{Target, to_stderr, to_stdout_or_say};
use crate::parse::{self, List};
use crate::stderr_log;
use crate::storm::study::{AmplificationRow, CollapseRow, Runs};

/// Which model to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// A server that fails a share of attempts: the load retries add.
    Amplification,
    /// A server that slows down under load: whether it recovers.
    Collapse,
}

impl Model {
    /// Both models, in the order they run.
    pub const ALL: [Model; 2] = [Model::Amplification, Model::Collapse];

    /// Their names, in the order of [`ALL`](Self::ALL).
    pub const NAMES: [&'static str; 2] = ["amplification", "collapse"];

    /// The model's name.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Model {
    type Err = UnknownName;

    fn from_str(text: &str) -> Result<Self, UnknownName> {
        UnknownName::lookup(text, &Self::ALL, &Self::NAMES)
    }
}

/// The flags of `sim storm`.
#[derive(Debug, clap::Args)]
pub struct StormArgs {
    /// Run one model; by default both.
    #[arg(long, value_name = "MODEL", value_parser = parse::named::<Model>(&Model::NAMES), allow_hyphen_values = true)]
    pub model: Option<Model>,

    /// Independent runs per point.
    #[arg(long, value_name = "N", default_value = "10", value_parser = parse::positive, allow_hyphen_values = true)]
    pub runs: u32,

    /// Seed of the whole study; the same seed gives the same numbers, whatever the threads.
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse::whole, allow_hyphen_values = true)]
    pub seed: u64,

    /// Amplification: client counts, comma-separated (counts and ranges as `sim herd` takes
    /// them: each from 1 to 100000, at most 1000 counts in all, none twice), each sharing
    /// `--rate`.
    #[arg(long, value_name = "LIST", default_value = "100", value_parser = parse::counts, allow_hyphen_values = true)]
    pub clients: List<usize>,

    /// Amplification: calls per second, all clients together.
    #[arg(long, value_name = "N", default_value = "1000", value_parser = parse::positive, allow_hyphen_values = true)]
    pub rate: u32,

    /// Write every point's numbers as JSON; `-` writes it to stdout, and the tables then go to
    /// stderr.
    #[arg(long, value_name = "PATH", value_parser = parse::target())]
    pub json: Option<Target>,

    /// Draw the charts as SVG; `-` writes it to stdout, and the tables then go to stderr.
    #[arg(long, value_name = "PATH", value_parser = parse::target())]
    pub svg: Option<Target>,

    /// Worker threads; by default, one per core.
    #[arg(long, value_name = "N", value_parser = parse::positive, allow_hyphen_values = true)]
    pub threads: Option<u32>,
}

/// A row of the JSON: one point of either model.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Row<'a> {
    Amplification(&'a AmplificationRow),
    Collapse(&'a CollapseRow),
}

/// Runs `sim storm` with `args`.
pub fn run(args: &StormArgs) -> Exit {
    let models = args.model.map_or(Model::ALL.to_vec(), |m| vec![m]);
    // Checked before the files are made, which may create their folders.
    for &model in &models {
        let points = match model {
            Model::Amplification => study::amplification_points(args.clients.0.len()),
            Model::Collapse => study::COLLAPSE_POINTS,
        };
        if study::total_runs(points, args.runs).is_none() {
            to_stderr(&format!(
                "error: '--runs': {} runs a point over the {points} points of {model} are more \
                 than this machine counts ({} in all)\n",
                args.runs,
                usize::MAX
            ));
            return Exit::Usage;
        }
    }
    // The files are checked, and their temporary files made, before anything runs (every flag
    // has been checked as it was read). When one is stdout, the tables go to stderr, so that
    // stdout holds that file alone.
    let [json, svg] = match files::open(args.json.as_ref(), args.svg.as_ref()) {
        Ok(files) => files,
        Err(exit) => return exit,
    };
    let tables_aside = json.iter().chain(&svg).any(StudyFile::is_stdout);
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n as usize,
    );
    let runs = Runs {
        runs: args.runs,
        seed: args.seed,
        threads,
    };
    let (mut amplification, mut collapse) = (Vec::new(), Vec::new());
    // A stdout that cannot take a table (a closed pipe, a full disk) is reported once, takes no
    // more tables, and the files are written all the same.
    let mut exit = Exit::Success;
    for model in models {
        let started = Instant::now();
        let progress = |done: usize, total: usize| {
            if done.is_multiple_of((total / 10).max(1)) || done == total {
                to_stderr(&format!("\rstorm: {model}: {done}/{total} runs"));
            }
        };
        let ran = match model {
            Model::Amplification => {
                let ran;
                (amplification, ran) =
                    study::amplification(&args.clients.0, args.rate, runs, &progress);
                ran
            }
            Model::Collapse => {
                let ran;
                (collapse, ran) = study::collapse(runs, &progress);
                ran
            }
        };
        to_stderr("\n");
        stderr_log::log(
            stderr_log::Level::Info,
            &format!(
                "storm: {model}: {} points x {} runs in {:.2} s on {ran} threads",
                match model {
                    Model::Amplification => amplification.len(),
                    Model::Collapse => study::summaries(&collapse).len(),
                },
                args.runs,
                started.elapsed().as_secs_f64()
            ),
        );
        let table = match model {
            Model::Amplification => study::amplification_table(&amplification),
            Model::Collapse => study::collapse_table(&collapse),
        };
        if tables_aside {
            to_stderr(&table);
        } else if exit == Exit::Success && !to_stdout_or_say(&table, "the table") {
            exit = Exit::Write;
        }
    }

    if let Some(file) = json {
        let rows: Vec<Row> = amplification
            .iter()
            .map(Row::Amplification)
            .chain(collapse.iter().map(Row::Collapse))
            .collect();
        let mut text = serde_json::to_string_pretty(&rows).unwrap_or_default();
        text.push('\n');
        if let Err(error) = file.finish(text.as_bytes(), "the JSON") {
            return write_failed(&error);
        }
    }
    if let Some(file) = svg {
        let drawn = match chart::svg(&amplification, &collapse) {
            Ok(document) => document,
            Err(error) => {
                to_stderr(&format!("error: cannot draw the chart: {error}\n"));
                return Exit::Write;
            }
        };
        if let Err(error) = file.finish(drawn.as_bytes(), "the chart") {
            return write_failed(&error);
        }
    }
    exit
}

fn write_failed(error: &str) -> Exit {
    to_stderr(&format!("error: {error}\n"));
    Exit::Write
}
