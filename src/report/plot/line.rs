//! Line charts: lines sharing axes, optionally with 95% confidence whiskers,
//! a logarithmic x or y axis, ticks at given values, and vertical event
//! markers. Used for miss-ratio curves, time series, latency percentiles
//! and one-axis sweeps.

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use super::{Chart, TickedAxis, colour, compact_number, short_number};
use crate::metrics::CellResult;

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// (x, y) points, in x order.
    pub points: Vec<(f64, f64)>,
    /// Confidence intervals as (x, low, high); empty when there are none.
    pub whiskers: Vec<(f64, f64, f64)>,
}

impl Series {
    /// A line without whiskers.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
            whiskers: Vec::new(),
        }
    }
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
    /// Logarithmic x axis (ignored when `x_ticks` is given).
    pub log_x: bool,
    /// Logarithmic y axis (the values must be positive).
    pub log_y: bool,
    /// Ticks at these x values with these labels instead of automatic ones.
    pub x_ticks: Vec<(f64, String)>,
    /// The lines.
    pub series: Vec<Series>,
    /// Where the legend goes (where the lines are not).
    pub legend: SeriesLabelPosition,
    /// Vertical lines with labels (events in a time series).
    pub markers: Vec<(f64, String)>,
}

impl LineChart {
    /// A chart with linear axes, no ticks given, no markers, the legend in
    /// the lower right.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
            x_ticks: Vec::new(),
            series: Vec::new(),
            legend: SeriesLabelPosition::LowerRight,
            markers: Vec::new(),
        }
    }

    fn values(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        let points = self.series.iter().flat_map(|s| s.points.iter().copied());
        let whiskers = self
            .series
            .iter()
            .flat_map(|s| s.whiskers.iter())
            .flat_map(|&(x, low, high)| [(x, low), (x, high)]);
        points
            .chain(whiskers)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    }

    fn x_bounds(&self) -> (f64, f64) {
        let (mut x0, mut x1) = self
            .values()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (x, _)| {
                (lo.min(x), hi.max(x))
            });
        if !x0.is_finite() {
            (x0, x1) = (1.0, 10.0);
        }
        if x1 <= x0 {
            x1 = x0 * 2.0 + 1.0;
        }
        if !self.x_ticks.is_empty() {
            // Room for the first and last marker and their tick labels.
            let pad = 0.04 * (x1 - x0);
            return (x0 - pad, x1 + pad);
        }
        (x0, x1)
    }

    fn y_bounds(&self) -> (f64, f64) {
        if self.log_y {
            let (low, high) = self
                .values()
                .map(|(_, y)| y)
                .filter(|&y| y > 0.0)
                .fold((f64::INFINITY, 0.0f64), |(lo, hi), y| {
                    (lo.min(y), hi.max(y))
                });
            if !low.is_finite() {
                return (0.1, 10.0);
            }
            return (low / 1.5, high * 1.5);
        }
        let y1 = self.values().map(|(_, y)| y).fold(0.0f64, f64::max);
        let y1 = if y1 <= 0.0 {
            1.0
        } else {
            (y1 * 1.05).min(if y1 <= 1.0 { 1.0 } else { f64::MAX })
        };
        (0.0, y1)
    }

    fn fill<'a, DB: DrawingBackend + 'a, X, Y>(
        &self,
        mut chart: ChartContext<'a, DB, Cartesian2d<X, Y>>,
    ) -> Result<(), String>
    where
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let tick_label = |x: &f64| -> String {
            if self.x_ticks.is_empty() {
                return compact_number(*x);
            }
            self.x_ticks
                .iter()
                .find(|(t, _)| (t - x).abs() < 1e-9)
                .map(|(_, label)| label.clone())
                .unwrap_or_default()
        };
        let mut mesh = chart.configure_mesh();
        mesh.light_line_style(RGBColor(242, 242, 242))
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 14))
            .x_label_formatter(&tick_label);
        if !self.x_ticks.is_empty() {
            mesh.x_labels(self.x_ticks.len().min(12));
        }
        if self.log_y {
            mesh.y_label_formatter(&|y| short_number(*y));
        } else {
            mesh.y_label_formatter(&|y| compact_number(*y));
        }
        mesh.draw().map_err(|e| e.to_string())?;
        self.draw_markers(&mut chart)?;
        for (i, series) in self.series.iter().enumerate() {
            draw_series(&mut chart, series, colour(i))?;
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

    fn draw_markers<'a, DB: DrawingBackend + 'a, X, Y>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    ) -> Result<(), String>
    where
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
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
        Ok(())
    }
}

fn draw_series<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    series: &Series,
    color: RGBColor,
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
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
    for &(x, low, high) in &series.whiskers {
        // A vertical bar with caps drawn in pixels, so that they keep their
        // width on any x scale.
        let thin = ShapeStyle::from(&color).stroke_width(1);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, low), (x, high)],
                thin,
            )))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(
                [low, high].into_iter().map(|y| {
                    EmptyElement::at((x, y)) + PathElement::new(vec![(-5, 0), (5, 0)], thin)
                }),
            )
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

impl Chart for LineChart {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let (x0, x1) = self.x_bounds();
        let (y0, y1) = self.y_bounds();
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(
                super::fit_title(&root, &self.title),
                ("sans-serif", super::TITLE_SIZE).into_font(),
            )
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72);
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        if !self.x_ticks.is_empty() {
            let x = TickedAxis {
                range: x0..x1,
                ticks: self.x_ticks.iter().map(|(t, _)| *t).collect(),
            };
            if self.log_y {
                self.fill(
                    builder
                        .build_cartesian_2d(x, (y0..y1).log_scale())
                        .map_err(err)?,
                )
            } else {
                self.fill(builder.build_cartesian_2d(x, y0..y1).map_err(err)?)
            }
        } else if self.log_x {
            let x = (x0..x1).log_scale();
            if self.log_y {
                self.fill(
                    builder
                        .build_cartesian_2d(x, (y0..y1).log_scale())
                        .map_err(err)?,
                )
            } else {
                self.fill(builder.build_cartesian_2d(x, y0..y1).map_err(err)?)
            }
        } else if self.log_y {
            self.fill(
                builder
                    .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
                    .map_err(err)?,
            )
        } else {
            self.fill(builder.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?)
        }
    }
}

/// The miss-ratio curve of replay rows: one line per policy, miss ratio
/// against cache size, log size axis when sizes span two decades or more.
pub fn miss_ratio_curve(rows: &[CellResult], title: &str, sizes_are_bytes: bool) -> LineChart {
    let mut series: Vec<Series> = Vec::new();
    // A cell without data is left out of its line, not drawn at 0.
    for row in rows {
        let Some(miss_ratio) = row.miss_ratio else {
            continue;
        };
        let point = (row.cache_size as f64, miss_ratio);
        match series.iter_mut().find(|s| s.label == row.policy) {
            Some(s) => s.points.push(point),
            None => series.push(Series::new(row.policy.clone(), vec![point])),
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
    let x_label = if sizes_are_bytes {
        "cache size (bytes)"
    } else {
        "cache size (objects)"
    };
    LineChart {
        log_x: high >= 100.0 * low,
        series,
        // Miss ratios fall with size: the lower left stays empty.
        legend: SeriesLabelPosition::LowerLeft,
        ..LineChart::new(title, x_label, "miss ratio")
    }
}

/// The time series of a cluster run: hit ratio, database load and p99
/// latency over simulated time, one panel each, with failure events marked;
/// above them the offered load when the clients follow a schedule, so that
/// a spike and what it does are on one page.
pub fn timeseries(
    rows: &[crate::metrics::IntervalRow],
    events: &[crate::metrics::FailureImpact],
    title: &str,
) -> Vec<LineChart> {
    let markers: Vec<(f64, String)> = events
        .iter()
        .map(|e| {
            let tier = e.tier.as_ref().map(|t| format!(" {t}")).unwrap_or_default();
            let node = e.node.map(|n| format!("{tier} {n}")).unwrap_or_default();
            (e.time_s, format!(" {}{node}", e.action))
        })
        .collect();
    // An interval without data (no get for the hit ratio, no completed
    // request for the latency) is left out of its line, not drawn as 0.
    let panel =
        |name: &str, y_label: &str, value: &dyn Fn(&crate::metrics::IntervalRow) -> Option<f64>| {
            LineChart {
                series: vec![Series::new(
                    name,
                    rows.iter()
                        .filter_map(|r| Some((r.time_s, value(r)?)))
                        .collect(),
                )],
                markers: markers.clone(),
                ..LineChart::new(name, "simulated time (s)", y_label)
            }
        };
    let mut panels = Vec::new();
    let scheduled = rows.iter().any(|r| r.offered_rps.is_some());
    if scheduled {
        panels.push(panel(
            &format!("{title}: offered load"),
            "requests/s",
            &|r| r.offered_rps,
        ));
    }
    let hit_title = if scheduled {
        "hit ratio".to_string()
    } else {
        format!("{title}: hit ratio")
    };
    panels.extend([
        panel(&hit_title, "hit ratio", &|r| r.hit_ratio),
        panel("database load", "queries/s", &|r| Some(r.db_rps)),
        panel("p99 latency", "ms", &|r| r.p99_ns.map(|p| p as f64 / 1e6)),
    ]);
    if rows.iter().any(|r| r.goodput_rps.is_some()) {
        // Runs with retries or database time-outs: what clients got, what
        // they sent to the database, and how much of it was retries.
        let line = |name: &str, value: &dyn Fn(&crate::metrics::IntervalRow) -> Option<f64>| {
            Series::new(
                name,
                rows.iter()
                    .filter_map(|r| Some((r.time_s, value(r)?)))
                    .collect(),
            )
        };
        panels.push(LineChart {
            series: vec![
                line("goodput", &|r| r.goodput_rps),
                line("database attempts", &|r| r.attempt_rps),
                line("retries", &|r| r.retry_rps),
            ],
            markers: markers.clone(),
            ..LineChart::new("goodput and retries", "simulated time (s)", "per second")
        });
    }
    if rows.iter().any(|r| r.stale_reads > 0) {
        panels.push(panel("stale reads", "per interval", &|r| {
            Some(r.stale_reads as f64)
        }));
    }
    panels
}
