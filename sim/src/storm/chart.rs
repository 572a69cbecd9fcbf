//! The charts of `sim storm`: success rate and load against the failure rate (amplification),
//! and successes per second over time under each load shape (collapse).

use plotters::prelude::*;

use crate::plot::{self, Corner, Line, Panel, Scale};
use crate::storm::collapse::LoadShape;
use crate::storm::study::{AmplificationRow, CollapseRow};

/// An SVG document with a row of two charts for each model that has rows. The failure rate's
/// axis is logarithmic (p = 0 is in the table, not on the chart); a y axis is logarithmic where
/// its lines span orders of magnitude ([`plot::y_scale`]).
pub fn svg(amplification: &[AmplificationRow], collapse: &[CollapseRow]) -> Result<String, String> {
    let mut panels: Vec<Panel> = Vec::new();
    if !amplification.is_empty() {
        let against_p = |title: &str, y_label: &str, value: fn(&AmplificationRow) -> f64| Panel {
            title: title.into(),
            x_label: "failure rate p".into(),
            y_label: y_label.into(),
            x_scale: Scale::Log,
            lines: amplification_lines(amplification, value),
            legend: Corner::UpperLeft,
        };
        let mut success = against_p("Success rate", "calls that succeed", |r| r.success_rate);
        success.legend = Corner::LowerLeft;
        panels.push(success);
        panels.push(against_p("Load", "attempts per call", |r| r.load));
    }
    if !collapse.is_empty() {
        for shape in LoadShape::ALL {
            panels.push(Panel {
                title: format!("Successes per second, {} load", shape.name()),
                x_label: "time (s)".into(),
                y_label: "per second".into(),
                x_scale: Scale::Linear,
                lines: collapse_lines(collapse, shape.name()),
                legend: Corner::UpperRight,
            });
        }
    }
    let rows = panels.len().div_ceil(2).max(1) as u32;
    let mut document = String::new();
    {
        let root = SVGBackend::with_string(&mut document, (1200, 500 * rows)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let areas = root.split_evenly((rows as usize, 2));
        for (area, panel) in areas.iter().zip(&panels) {
            plot::draw(area, panel)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(document)
}

/// A line per (strategy, client count), named by the strategy alone when there is one count.
fn amplification_lines(
    rows: &[AmplificationRow],
    value: fn(&AmplificationRow) -> f64,
) -> Vec<Line> {
    let mut keys: Vec<(usize, &str)> = Vec::new();
    for row in rows {
        if !keys.contains(&(row.clients, row.strategy)) {
            keys.push((row.clients, row.strategy));
        }
    }
    let several = keys.iter().any(|(n, _)| *n != keys[0].0);
    keys.iter()
        .map(|&(n, strategy)| Line {
            name: if several {
                format!("{strategy}, {n} clients")
            } else {
                strategy.to_string()
            },
            points: rows
                .iter()
                .filter(|r| r.clients == n && r.strategy == strategy)
                .map(|r| (r.failure_rate, value(r)))
                .collect(),
        })
        .collect()
}

/// The requests offered (the mean of every strategy's starts), then a line per strategy.
fn collapse_lines(rows: &[CollapseRow], shape: &str) -> Vec<Line> {
    let rows: Vec<&CollapseRow> = rows.iter().filter(|r| r.load_shape == shape).collect();
    let mut strategies: Vec<&str> = Vec::new();
    for row in &rows {
        if !strategies.contains(&row.strategy) {
            strategies.push(row.strategy);
        }
    }
    let seconds = rows.iter().map(|r| r.t).max().map_or(0, |t| t + 1);
    let offered = Line {
        name: "requests offered".into(),
        points: (0..seconds)
            .map(|t| {
                let starts: Vec<f64> = rows.iter().filter(|r| r.t == t).map(|r| r.starts).collect();
                let mean = starts.iter().sum::<f64>() / starts.len().max(1) as f64;
                (f64::from(t), mean)
            })
            .collect(),
    };
    std::iter::once(offered)
        .chain(strategies.iter().map(|strategy| {
            Line {
                name: (*strategy).to_string(),
                points: rows
                    .iter()
                    .filter(|r| r.strategy == *strategy)
                    .map(|r| (f64::from(r.t), r.successes))
                    .collect(),
            }
        }))
        .collect()
}
