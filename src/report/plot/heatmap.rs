//! Heatmaps: a grid of cells (columns × rows) coloured by a value on the
//! viridis scale, each cell labelled with its value, and a colour bar.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Chart, TickedAxis, category_font_size, category_label, short_number};

/// A grid of values with named columns and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Heatmap {
    /// Title above the plot.
    pub title: String,
    /// Description of the columns (x axis).
    pub x_label: String,
    /// Description of the rows (y axis).
    pub y_label: String,
    /// What the colour shows, with unit (the colour bar's label).
    pub value_label: String,
    /// Column names, left to right.
    pub columns: Vec<String>,
    /// Row names, bottom to top.
    pub rows: Vec<String>,
    /// `values[row][column]`; none where the sweep has no such cell.
    pub values: Vec<Vec<Option<f64>>>,
}

/// Viridis, sampled at five points: dark blue (low) to yellow (high),
/// readable in grey and by colour-blind readers.
const VIRIDIS: [(f64, f64, f64); 5] = [
    (68.0, 1.0, 84.0),
    (59.0, 82.0, 139.0),
    (33.0, 145.0, 140.0),
    (94.0, 201.0, 98.0),
    (253.0, 231.0, 37.0),
];

/// The colour of `t` in 0..=1 on the viridis scale.
fn viridis(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let i = (t.floor() as usize).min(VIRIDIS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl Heatmap {
    fn range(&self) -> (f64, f64) {
        let (low, high) = self
            .values
            .iter()
            .flatten()
            .flatten()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        if !low.is_finite() {
            return (0.0, 1.0);
        }
        if high <= low {
            return (low - 0.5, low + 0.5);
        }
        (low, high)
    }

    fn grid<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (low, high) = self.range();
        let mut chart = ChartBuilder::on(area)
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(100)
            .build_cartesian_2d(
                TickedAxis::categories(self.columns.len()),
                TickedAxis::categories(self.rows.len()),
            )
            .map_err(|e| e.to_string())?;
        let (plot_width, _) = chart.plotting_area().dim_in_pixel();
        let x_font = category_font_size(area, &self.columns, plot_width, 14);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(self.columns.len().min(24))
            .y_labels(self.rows.len().min(24))
            .x_label_formatter(&|x| category_label(&self.columns, *x))
            .y_label_formatter(&|y| category_label(&self.rows, *y))
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 14))
            .x_label_style(("sans-serif", x_font))
            .draw()
            .map_err(|e| e.to_string())?;
        let centre = Pos::new(HPos::Center, VPos::Center);
        for (r, row) in self.values.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                let (x, y) = (c as f64, r as f64);
                let (fill, text, ink) = match value {
                    Some(v) if v.is_finite() => {
                        let t = (v - low) / (high - low);
                        // Dark text on the light (yellow-green) end.
                        let ink = if t > 0.6 { BLACK } else { WHITE };
                        (viridis(t), short_number(*v), ink)
                    }
                    _ => (RGBColor(220, 220, 220), "no cell".to_string(), BLACK),
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                        fill.filled(),
                    )))
                    .map_err(|e| e.to_string())?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x, y),
                        ("sans-serif", 16).into_font().color(&ink).pos(centre),
                    )))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    fn colour_bar<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (low, high) = self.range();
        let mut chart = ChartBuilder::on(area)
            .margin_top(16)
            .margin_bottom(64)
            .margin_right(8)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..1.0, low..high)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .y_label_formatter(&|y| short_number(*y))
            .y_desc(&self.value_label)
            .axis_desc_style(("sans-serif", 15))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| e.to_string())?;
        let steps = 64;
        let step = (high - low) / f64::from(steps);
        chart
            .draw_series((0..steps).map(|i| {
                let y = low + f64::from(i) * step;
                let t = (f64::from(i) + 0.5) / f64::from(steps);
                Rectangle::new([(0.0, y), (1.0, y + step)], viridis(t).filled())
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Chart for Heatmap {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let root = root
            .titled(
                &super::fit_title(&root, &self.title),
                ("sans-serif", super::TITLE_SIZE),
            )
            .map_err(|e| e.to_string())?;
        let (width, _) = root.dim_in_pixel();
        let (grid, bar) = root.split_horizontally(width.saturating_sub(140));
        self.grid(&grid)?;
        self.colour_bar(&bar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_dark_blue_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(0.5), RGBColor(33, 145, 140));
        assert_eq!(viridis(7.0), viridis(1.0));
    }
}
