//! Plots with plotters, as PNG and SVG, from result rows.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (the `dejavu`
//! crate), so plots render on a machine with no system fonts. Files are
//! drawn under temporary names and renamed into place.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use super::{ReportError, commit, temporary_path};
use crate::replay::CellResult;

/// Pixel size of every plot.
const SIZE: (u32, u32) = (900, 560);

/// Tableau 20: ten hues, each dark then light, so up to 20 lines stay apart.
const PALETTE: [RGBColor; 20] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(174, 199, 232),
    RGBColor(255, 187, 120),
    RGBColor(152, 223, 138),
    RGBColor(255, 152, 150),
    RGBColor(197, 176, 213),
    RGBColor(196, 156, 148),
    RGBColor(247, 182, 210),
    RGBColor(199, 199, 199),
    RGBColor(219, 219, 141),
    RGBColor(158, 218, 229),
];

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            // The embedded fonts are valid TTF data; registration cannot fail.
            let _ = register_font(family, FontStyle::Normal, dejavu::sans::regular());
            let _ = register_font(family, FontStyle::Bold, dejavu::sans::bold());
        }
    });
}

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// (x, y) points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// A chart of lines sharing axes.
#[derive(Clone)]
pub struct LineChart {
    /// Title above the plot.
    pub title: String,
    /// X axis description, with unit.
    pub x_label: String,
    /// Y axis description, with unit.
    pub y_label: String,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// The lines.
    pub series: Vec<Series>,
    /// Where the legend goes (where the lines are not).
    pub legend: SeriesLabelPosition,
    /// Vertical lines with labels (events in a time series).
    pub markers: Vec<(f64, String)>,
}

impl LineChart {
    /// Writes `<stem>.png` and `<stem>.svg`.
    pub fn write(&self, stem: &Path) -> Result<(), ReportError> {
        write_figure(std::slice::from_ref(self), stem, SIZE)
    }
}

/// Writes charts stacked top to bottom into `<stem>.png` and `<stem>.svg`.
pub fn write_figure(
    charts: &[LineChart],
    stem: &Path,
    size: (u32, u32),
) -> Result<(), ReportError> {
    {
        register_fonts();
        if let Some(parent) = stem.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ReportError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let png = stem.with_extension("png");
        let svg = stem.with_extension("svg");
        let (png_tmp, svg_tmp) = (temporary_path(&png), temporary_path(&svg));
        draw_stack(
            charts,
            BitMapBackend::new(&png_tmp, size).into_drawing_area(),
        )
        .map_err(|message| ReportError::Encode {
            path: png.clone(),
            message,
        })?;
        draw_stack(charts, SVGBackend::new(&svg_tmp, size).into_drawing_area()).map_err(
            |message| ReportError::Encode {
                path: svg.clone(),
                message,
            },
        )?;
        commit(&png_tmp, &png)?;
        commit(&svg_tmp, &svg)
    }
}

fn draw_stack<DB: DrawingBackend>(
    charts: &[LineChart],
    root: DrawingArea<DB, Shift>,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    for (chart, area) in charts
        .iter()
        .zip(root.split_evenly((charts.len().max(1), 1)))
    {
        chart.draw(area)?;
    }
    root.present().map_err(|e| e.to_string())
}

impl LineChart {
    fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        let points = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
        for &(x, y) in points {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        if !x0.is_finite() {
            (x0, x1) = (1.0, 10.0);
        }
        if x1 <= x0 {
            x1 = x0 * 2.0 + 1.0;
        }
        let y1 = if y1 <= 0.0 {
            1.0
        } else {
            (y1 * 1.05).min(if y1 <= 1.0 { 1.0 } else { f64::MAX })
        };
        ((x0, x1), (0.0, y1))
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let ((x0, x1), (y0, y1)) = self.bounds();
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(&self.title, ("sans-serif", 24).into_font())
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64);
        if self.log_x {
            let chart = builder
                .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
                .map_err(|e| e.to_string())?;
            self.fill(chart)?;
        } else {
            let chart = builder
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| e.to_string())?;
            self.fill(chart)?;
        }
        Ok(())
    }

    fn fill<'a, DB: DrawingBackend + 'a, X>(
        &self,
        mut chart: ChartContext<'a, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    ) -> Result<(), String>
    where
        X: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
    {
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 14))
            .x_label_formatter(&|x| compact_number(*x))
            .draw()
            .map_err(|e| e.to_string())?;
        let (y_low, y_high) = {
            let range = chart.y_range();
            (range.start, range.end)
        };
        for (i, (x, label)) in self.markers.iter().enumerate() {
            // Labels step down so that events close in time stay readable.
            let label_y = y_high - (i % 3) as f64 * 0.08 * (y_high - y_low);
            let grey = ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(1);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*x, y_low), (*x, y_high)],
                    grey,
                )))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (*x, label_y),
                    ("sans-serif", 13).into_font().color(&RGBColor(80, 80, 80)),
                )))
                .map_err(|e| e.to_string())?;
        }
        for (i, series) in self.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let style = ShapeStyle::from(&color).stroke_width(2);
            chart
                .draw_series(LineSeries::new(series.points.iter().copied(), style))
                .map_err(|e| e.to_string())?
                .label(&series.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            if series.points.len() <= 40 {
                chart
                    .draw_series(
                        series
                            .points
                            .iter()
                            .map(|&p| Circle::new(p, 3, color.filled())),
                    )
                    .map_err(|e| e.to_string())?;
            }
        }
        if self.series.len() < 2 {
            return Ok(()); // one line: the title names it
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .position(self.legend.clone())
            .draw()
            .map_err(|e| e.to_string())
    }
}

/// 1500 → "1.5k", 2e6 → "2M": tick labels that fit.
fn compact_number(x: f64) -> String {
    let abs = x.abs();
    let (value, suffix) = if abs >= 1e12 {
        (x / 1e12, "T")
    } else if abs >= 1e9 {
        (x / 1e9, "G")
    } else if abs >= 1e6 {
        (x / 1e6, "M")
    } else if abs >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{suffix}")
}

/// The miss-ratio curve of replay rows: one line per policy, miss ratio
/// against cache size, log size axis when sizes span two decades or more.
pub fn miss_ratio_curve(rows: &[CellResult], title: &str, sizes_are_bytes: bool) -> LineChart {
    let mut series: Vec<Series> = Vec::new();
    for row in rows {
        let point = (row.cache_size as f64, row.miss_ratio);
        match series.iter_mut().find(|s| s.label == row.policy) {
            Some(s) => s.points.push(point),
            None => series.push(Series {
                label: row.policy.clone(),
                points: vec![point],
            }),
        }
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let sizes = rows
        .iter()
        .map(|r| r.cache_size as f64)
        .filter(|&s| s > 0.0);
    let (low, high) = sizes.fold((f64::INFINITY, 0.0f64), |(lo, hi), s| {
        (lo.min(s), hi.max(s))
    });
    LineChart {
        title: title.to_string(),
        x_label: if sizes_are_bytes {
            "cache size (bytes)".into()
        } else {
            "cache size (objects)".into()
        },
        y_label: "miss ratio".into(),
        log_x: high >= 100.0 * low,
        series,
        // Miss ratios fall with size: the lower left stays empty.
        legend: SeriesLabelPosition::LowerLeft,
        markers: Vec::new(),
    }
}

/// The time series of a cluster run: hit ratio, database load and p99
/// latency over simulated time, one panel each, with failure events marked.
pub fn timeseries(
    rows: &[crate::metrics::IntervalRow],
    events: &[crate::metrics::FailureImpact],
    title: &str,
) -> Vec<LineChart> {
    let markers: Vec<(f64, String)> = events
        .iter()
        .map(|e| {
            let node = e.node.map(|n| format!(" {n}")).unwrap_or_default();
            (e.time_s, format!(" {}{node}", e.action))
        })
        .collect();
    let panel = |name: &str, y_label: &str, value: &dyn Fn(&crate::metrics::IntervalRow) -> f64| {
        LineChart {
            title: name.to_string(),
            x_label: "simulated time (s)".into(),
            y_label: y_label.into(),
            log_x: false,
            series: vec![Series {
                label: name.to_string(),
                points: rows.iter().map(|r| (r.time_s, value(r))).collect(),
            }],
            legend: SeriesLabelPosition::LowerRight,
            markers: markers.clone(),
        }
    };
    vec![
        panel(&format!("{title}: hit ratio"), "hit ratio", &|r| {
            r.hit_ratio
        }),
        panel("database load", "queries/s", &|r| r.db_rps),
        panel("p99 latency", "ms", &|r| r.p99_ns as f64 / 1e6),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compact() {
        assert_eq!(compact_number(1500.0), "1.5k");
        assert_eq!(compact_number(2_000_000.0), "2M");
        assert_eq!(compact_number(0.25), "0.25");
        assert_eq!(compact_number(100.0), "100");
    }
}
