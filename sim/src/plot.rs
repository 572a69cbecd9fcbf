//! Line charts as every command draws them (with plotters, as SVG): a panel of named lines,
//! on a logarithmic axis where the lines span orders of magnitude, so that every line can be
//! read.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// Line colours, one per line in legend order, far apart from each other.
pub const COLOURS: [RGBColor; 8] = [
    RGBColor(88, 88, 88),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
];

/// A named line: its points in x order.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// The legend's text.
    pub name: String,
    /// The points, `(x, y)`.
    pub points: Vec<(f64, f64)>,
}

/// How an axis maps values to positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Evenly, from 0 (or the smallest value, if below 0).
    Linear,
    /// By orders of magnitude; values at or below 0 cannot be drawn on it.
    Log,
}

/// One chart: its title, its axes' labels and scales, and its lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// Above the chart.
    pub title: String,
    /// Under the x axis.
    pub x_label: String,
    /// Beside the y axis.
    pub y_label: String,
    /// The x axis's scale; points at or below 0 are left out of a logarithmic one.
    pub x_scale: Scale,
    /// The lines, in legend order.
    pub lines: Vec<Line>,
    /// Where the legend goes.
    pub legend: Corner,
}

/// A corner of a chart, where its legend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corner {
    /// Top left.
    UpperLeft,
    /// Top right.
    UpperRight,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
}

impl Corner {
    fn position(self) -> SeriesLabelPosition {
        match self {
            Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
            Corner::UpperRight => SeriesLabelPosition::UpperRight,
            Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
            Corner::LowerRight => SeriesLabelPosition::LowerRight,
        }
    }
}

/// How much one line's peak may exceed another's before the y axis is logarithmic.
pub const LOG_RATIO: f64 = 10.0;

/// The scale the y axis takes: logarithmic where the lines span orders of magnitude, that is
/// where the highest line's peak is more than [`LOG_RATIO`] times another line's, so that on an
/// even axis the other would be flattened into the bottom tenth of the chart. A line with no
/// value above 0 is left out of the comparison (it is flat at 0 on either axis).
pub fn y_scale(lines: &[Line]) -> Scale {
    let peaks: Vec<f64> = lines
        .iter()
        .map(|l| {
            l.points
                .iter()
                .map(|p| p.1)
                .filter(|y| y.is_finite())
                .fold(0.0, f64::max)
        })
        .filter(|peak| *peak > 0.0)
        .collect();
    let highest = peaks.iter().copied().fold(0.0, f64::max);
    if peaks.iter().any(|peak| highest / peak > LOG_RATIO) {
        Scale::Log
    } else {
        Scale::Linear
    }
}

/// A number as an axis shows it: no more digits than it needs.
pub fn tick(value: f64) -> String {
    // An even axis's ticks may miss 0 by a rounding error.
    if value.abs() < 1e-9 {
        return "0".into();
    }
    // Three significant digits at most, and no decimals from 100 up.
    let magnitude = value.abs().log10().floor();
    let decimals = (2.0 - magnitude).max(0.0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The range an axis covers for `values`: from 0 (or the smallest value) to a little above
/// the largest on an even axis; from a little under the smallest positive value to a little
/// above the largest on a logarithmic one.
fn range(values: impl Iterator<Item = f64> + Clone, scale: Scale) -> (f64, f64) {
    let finite = values.filter(|v| v.is_finite());
    match scale {
        Scale::Linear => {
            let low = finite.clone().fold(0.0, f64::min);
            let high = finite.fold(f64::MIN, f64::max);
            let high = if high > low { high } else { low + 1.0 };
            (low, high + (high - low) * 0.05)
        }
        Scale::Log => {
            let positive = finite.filter(|v| *v > 0.0);
            let low = positive.clone().fold(f64::MAX, f64::min);
            let high = positive.fold(0.0, f64::max);
            if high <= 0.0 {
                return (0.1, 10.0);
            }
            (low / 1.25, high * 1.25)
        }
    }
}

/// Draws `panel` on `area`.
///
/// # Errors
/// What plotters reports, as text.
pub fn draw(area: &DrawingArea<SVGBackend<'_>, Shift>, panel: &Panel) -> Result<(), String> {
    let x_scale = panel.x_scale;
    let y_scale = y_scale(&panel.lines);
    let drawn = |x: f64, y: f64| {
        (x_scale == Scale::Linear || x > 0.0) && (y_scale == Scale::Linear || y > 0.0)
    };
    let points = panel
        .lines
        .iter()
        .flat_map(|l| &l.points)
        .filter(|(x, y)| drawn(*x, *y));
    let (x0, x1) = range(points.clone().map(|p| p.0), x_scale);
    let (y0, y1) = range(points.map(|p| p.1), y_scale);
    let lines: Vec<Line> = panel
        .lines
        .iter()
        .map(|l| Line {
            name: l.name.clone(),
            points: l
                .points
                .iter()
                .copied()
                .filter(|(x, y)| drawn(*x, *y))
                .collect(),
        })
        .collect();
    // The x axis of a chart against time or counts starts where the points do.
    let x0 = if x_scale == Scale::Linear {
        x0.min(0.0)
    } else {
        x0
    };
    match (x_scale, y_scale) {
        (Scale::Linear, Scale::Linear) => on(area, panel, &lines, x0..x1, y0..y1),
        (Scale::Linear, Scale::Log) => on(area, panel, &lines, x0..x1, (y0..y1).log_scale()),
        (Scale::Log, Scale::Linear) => on(area, panel, &lines, (x0..x1).log_scale(), y0..y1),
        (Scale::Log, Scale::Log) => on(
            area,
            panel,
            &lines,
            (x0..x1).log_scale(),
            (y0..y1).log_scale(),
        ),
    }
}

fn on<X, Y>(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &Panel,
    lines: &[Line],
    x: X,
    y: Y,
) -> Result<(), String>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, line) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                line.points.iter().copied(),
                colour.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(line.name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(panel.legend.position())
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(points: &[(f64, f64)]) -> Line {
        Line {
            name: "l".into(),
            points: points.to_vec(),
        }
    }

    #[test]
    fn a_peak_ten_times_another_makes_the_axis_logarithmic() {
        let low = line(&[(1.0, 100.0), (2.0, 200.0)]);
        let close = line(&[(1.0, 150.0), (2.0, 1900.0)]);
        assert_eq!(y_scale(&[low.clone(), close]), Scale::Linear);
        let far = line(&[(1.0, 150.0), (2.0, 2100.0)]);
        assert_eq!(y_scale(&[low.clone(), far]), Scale::Log);
        // A line that falls to 0 beside one that stays up is still readable on an even axis.
        let falls = line(&[(1.0, 190.0), (2.0, 0.5)]);
        assert_eq!(y_scale(&[low.clone(), falls]), Scale::Linear);
        // One line alone spanning orders of magnitude stays even; a line at 0 is not compared.
        let alone = line(&[(1.0, 1.0), (2.0, 1000.0)]);
        assert_eq!(y_scale(&[alone]), Scale::Linear);
        let zero = line(&[(1.0, 0.0), (2.0, 0.0)]);
        assert_eq!(y_scale(&[low, zero]), Scale::Linear);
    }

    #[test]
    fn ticks_show_the_digits_they_need() {
        for (value, text) in [
            (0.0, "0"),
            (1.0, "1"),
            (2500.0, "2500"),
            (0.5, "0.5"),
            (0.25, "0.25"),
            (0.0001, "0.0001"),
            (0.002, "0.002"),
            (1.5, "1.5"),
            (12.5, "12.5"),
            (0.30000000000000004, "0.3"),
            (-2.0, "-2"),
            (5.551115123125783e-17, "0"),
        ] {
            assert_eq!(tick(value), text, "{value}");
        }
    }
}
