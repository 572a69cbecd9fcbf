//! The two charts of `sim herd`: completion time and calls against the number of clients.

use plotters::prelude::*;

use crate::herd::model::Row;
use crate::plot::{self, Corner, Line, Panel, Scale};

/// An SVG document with both charts side by side; `strategies` in table order. An axis is
/// logarithmic where its lines span orders of magnitude ([`plot::y_scale`]).
pub fn svg(rows: &[Row], strategies: &[&str]) -> Result<String, String> {
    let mut document = String::new();
    {
        let root = SVGBackend::with_string(&mut document, (1200, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (left, right) = root.split_horizontally(600);
        let panel = |title: &str, y_label: &str, value: fn(&Row) -> f64| Panel {
            title: title.into(),
            x_label: "clients".into(),
            y_label: y_label.into(),
            x_scale: Scale::Linear,
            lines: lines(rows, strategies, value),
            legend: Corner::UpperLeft,
        };
        plot::draw(
            &left,
            &panel("Completion time", "time (ms)", |r| r.mean_time_ms),
        )?;
        plot::draw(&right, &panel("Calls (writes)", "calls", |r| r.mean_calls))?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(document)
}

fn lines(rows: &[Row], strategies: &[&str], value: fn(&Row) -> f64) -> Vec<Line> {
    strategies
        .iter()
        .map(|name| Line {
            name: (*name).to_string(),
            points: rows
                .iter()
                .filter(|r| r.strategy == *name)
                .map(|r| (r.clients as f64, value(r)))
                .collect(),
        })
        .collect()
}
