//! The two charts of `sim herd`: completion time and calls against the number of clients.

use plotters::prelude::*;

use crate::herd::model::Row;

/// Line colours, one per strategy in table order, far apart from each other.
const COLOURS: [RGBColor; 6] = [
    RGBColor(88, 88, 88),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
];

/// An SVG document with both charts side by side; `strategies` in table order.
pub fn svg(rows: &[Row], strategies: &[&str]) -> Result<String, String> {
    let mut document = String::new();
    {
        let root = SVGBackend::with_string(&mut document, (1200, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (left, right) = root.split_horizontally(600);
        draw(
            &left,
            rows,
            strategies,
            "Completion time",
            "time (ms)",
            |r| r.mean_time_ms,
        )?;
        draw(&right, rows, strategies, "Calls (writes)", "calls", |r| {
            r.mean_calls
        })?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(document)
}

fn draw(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    rows: &[Row],
    strategies: &[&str],
    title: &str,
    y_label: &str,
    value: impl Fn(&Row) -> f64,
) -> Result<(), String> {
    let max_clients = rows.iter().map(|r| r.clients).max().unwrap_or(1) as f64;
    let max_value = rows.iter().map(&value).fold(0.0, f64::max).max(1.0);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..max_clients * 1.02, 0.0..max_value * 1.05)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("clients")
        .y_desc(y_label)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, name) in strategies.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.strategy == *name)
            .map(|r| (r.clients as f64, value(r)))
            .collect();
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(*name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}
