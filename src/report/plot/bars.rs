//! Bar charts: categories along x, one bar per series in each category
//! (or the series stacked into one bar), optional 95% confidence whiskers,
//! an optional horizontal reference line, and the legend beside the plot
//! (never over the bars).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    Chart, TickedAxis, category_font_size, category_label, colour, compact_number, side_legend,
    side_legend_width,
};

/// The bars of one series, one value per category.
#[derive(Clone, Debug, PartialEq)]
pub struct BarSeries {
    /// Legend text.
    pub label: String,
    /// Bar heights, one per category (NaN: no bar).
    pub values: Vec<f64>,
    /// Confidence intervals (low, high), one per category, or empty.
    pub whiskers: Vec<(f64, f64)>,
}

/// Bars grouped by category.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    /// Title above the plot.
    pub title: String,
    /// Description of the categories (x axis).
    pub x_label: String,
    /// Y axis description, with unit.
    pub y_label: String,
    /// Category names, left to right.
    pub categories: Vec<String>,
    /// One or more series; several get a legend.
    pub series: Vec<BarSeries>,
    /// A dashed horizontal line at this value (e.g. 1 = the mean share).
    pub reference: Option<f64>,
    /// The series stacked into one bar per category, first at the bottom
    /// (parts of a whole), instead of side by side; whiskers are not drawn.
    pub stacked: bool,
}

impl BarChart {
    fn y_max(&self) -> f64 {
        if self.stacked {
            let totals = (0..self.categories.len()).map(|i| self.base(i, self.series.len()));
            let high = totals.filter(|v| v.is_finite()).fold(0.0f64, f64::max);
            return if high <= 0.0 { 1.0 } else { high * 1.08 };
        }
        let values = self.series.iter().flat_map(|s| {
            s.values
                .iter()
                .copied()
                .chain(s.whiskers.iter().map(|&(_, high)| high))
        });
        let high = values
            .chain(self.reference)
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        if high <= 0.0 { 1.0 } else { high * 1.08 }
    }

    /// Where series `j`'s part of a stacked bar starts in category `i`:
    /// the sum of the series below it (missing values count as 0).
    fn base(&self, i: usize, j: usize) -> f64 {
        self.series[..j]
            .iter()
            .filter_map(|s| s.values.get(i).copied())
            .filter(|v| v.is_finite())
            .sum()
    }

    fn fill<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let n = self.categories.len();
        let k = self.series.len().max(1);
        let mut chart = ChartBuilder::on(area)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(TickedAxis::categories(n), 0.0..self.y_max())
            .map_err(|e| e.to_string())?;
        let (plot_width, _) = chart.plotting_area().dim_in_pixel();
        let x_font = category_font_size(area, &self.categories, plot_width, 14);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(n.min(24))
            .y_label_formatter(&|y| compact_number(*y))
            .x_label_formatter(&|x| category_label(&self.categories, *x))
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 14))
            .x_label_style(("sans-serif", x_font))
            .draw()
            .map_err(|e| e.to_string())?;
        let width = if self.stacked { 0.6 } else { 0.8 / k as f64 };
        for (j, series) in self.series.iter().enumerate() {
            let fill = colour(j).filled();
            let left = |i: usize| {
                if self.stacked {
                    i as f64 - 0.3
                } else {
                    i as f64 - 0.4 + j as f64 * width
                }
            };
            let bottom = |i: usize| if self.stacked { self.base(i, j) } else { 0.0 };
            chart
                .draw_series(
                    series
                        .values
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| v.is_finite())
                        .map(|(i, &v)| {
                            Rectangle::new(
                                [
                                    (left(i), bottom(i)),
                                    (left(i) + width * 0.92, bottom(i) + v),
                                ],
                                fill,
                            )
                        }),
                )
                .map_err(|e| e.to_string())?;
            if self.stacked {
                continue;
            }
            let whisker = ShapeStyle::from(&BLACK).stroke_width(1);
            for (i, &(low, high)) in series.whiskers.iter().enumerate() {
                let x = left(i) + width * 0.46;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, low), (x, high)],
                        whisker,
                    )))
                    .map_err(|e| e.to_string())?;
                chart
                    .draw_series([low, high].into_iter().map(|y| {
                        EmptyElement::at((x, y)) + PathElement::new(vec![(-4, 0), (4, 0)], whisker)
                    }))
                    .map_err(|e| e.to_string())?;
            }
        }
        if let Some(y) = self.reference {
            let grey = ShapeStyle::from(&RGBColor(90, 90, 90)).stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(-0.5, y), (n as f64 - 0.5, y)],
                    6,
                    4,
                    grey,
                ))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

impl Chart for BarChart {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        // The title spans the whole width, legend included, so that long
        // titles are not cut.
        let root = root
            .titled(
                &super::fit_title(&root, &self.title),
                ("sans-serif", super::TITLE_SIZE),
            )
            .map_err(|e| e.to_string())?;
        if self.series.len() < 2 {
            return self.fill(&root);
        }
        let labels: Vec<String> = self.series.iter().map(|s| s.label.clone()).collect();
        let (width, _) = root.dim_in_pixel();
        let (plot, legend) =
            root.split_horizontally(width.saturating_sub(side_legend_width(&labels)));
        self.fill(&plot)?;
        side_legend(&legend, &labels)
    }
}
