//! Plots with plotters, as PNG and SVG, from result rows and result files.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (the `dejavu`
//! crate), so plots render on a machine with no system fonts. Files are
//! drawn under temporary names and renamed into place. One file per kind of
//! chart: [`line`] (lines, optionally with confidence whiskers, log axes or
//! fixed ticks), [`bars`] (grouped bars with whiskers) and [`heatmap`].

pub mod bars;
pub mod heatmap;
pub mod line;

use std::ops::Range;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

pub use bars::{BarChart, BarSeries};
pub use heatmap::Heatmap;
pub use line::{LineChart, Series, miss_ratio_curve, timeseries};

use super::ReportError;
use crate::atomic::{persist, temporary};

/// Pixel size of a one-panel plot.
pub const SIZE: (u32, u32) = (900, 560);

/// Pixel size of a figure of `panels` charts stacked vertically: 900 wide,
/// each panel tall enough for its title, ticks and axis descriptions.
pub fn stacked_size(panels: usize) -> (u32, u32) {
    match panels {
        0 | 1 => SIZE,
        n => (900, 350 * n as u32),
    }
}

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

/// The colour of the `i`-th series.
fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

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

/// A chart that draws itself into one panel of a figure.
pub trait Chart {
    /// Draws into `area`; an error is the drawing backend's message.
    fn draw<DB: DrawingBackend>(&self, area: DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Writes charts stacked top to bottom into `<stem>.png` and `<stem>.svg`.
/// The stem must not carry a dot after the directory (the extension is
/// replaced).
pub fn write_figure<C: Chart>(
    charts: &[C],
    stem: &Path,
    size: (u32, u32),
) -> Result<(), ReportError> {
    register_fonts();
    if let Some(parent) = stem.parent() {
        std::fs::create_dir_all(parent).map_err(|source| ReportError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    let (png_tmp, svg_tmp) = (temporary(&png)?, temporary(&svg)?);
    draw_stack(
        charts,
        &BitMapBackend::new(png_tmp.path(), size).into_drawing_area(),
    )
    .map_err(|message| ReportError::Encode {
        path: png.clone(),
        message,
    })?;
    draw_stack(
        charts,
        &SVGBackend::new(svg_tmp.path(), size).into_drawing_area(),
    )
    .map_err(|message| ReportError::Encode {
        path: svg.clone(),
        message,
    })?;
    persist(png_tmp, &png)?;
    Ok(persist(svg_tmp, &svg)?)
}

/// Font size of chart titles.
const TITLE_SIZE: u32 = 22;

/// `title` as drawn across `area`: whole when it fits, else cut at the
/// last character that leaves room for an ellipsis (a scenario `name` of
/// any length stays readable, and inside the picture).
fn fit_title<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, title: &str) -> String {
    let style = TextStyle::from(("sans-serif", TITLE_SIZE).into_font());
    let room = area.dim_in_pixel().0.saturating_sub(16);
    let fits = |text: &str| {
        area.estimate_text_size(text, &style)
            .is_ok_and(|(width, _)| width <= room)
    };
    if fits(title) {
        return title.to_string();
    }
    let starts: Vec<usize> = title.char_indices().map(|(i, _)| i).collect();
    let prefix = |chars: usize| &title[..starts.get(chars).copied().unwrap_or(title.len())];
    // The longest prefix that fits with the ellipsis, by bisection.
    let (mut low, mut high) = (0, starts.len());
    while low < high {
        let mid = (low + high).div_ceil(2);
        if fits(&format!("{}…", prefix(mid))) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    format!("{}…", prefix(low).trim_end())
}

fn draw_stack<C: Chart, DB: DrawingBackend>(
    charts: &[C],
    root: &DrawingArea<DB, Shift>,
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

/// 1500 → "1.5k", 2e6 → "2M": tick labels that fit.
pub fn compact_number(x: f64) -> String {
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

/// Three significant digits below 1000 (0.871, 12.5, 0.00342), compact
/// above (1.3k): values printed in cells and on log axes.
pub fn short_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    if x.abs() >= 1000.0 {
        return compact_number(x);
    }
    let decimals = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A linear axis whose ticks sit exactly at given values: category centres
/// of bars and heatmaps, the nines of a percentile axis, the values of a
/// sweep axis. When more ticks are given than fit, every k-th is kept.
#[derive(Clone, Debug)]
struct TickedAxis {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl TickedAxis {
    /// Categories 0..n, centred on whole numbers.
    fn categories(n: usize) -> Self {
        TickedAxis {
            range: -0.5..n.max(1) as f64 - 0.5,
            ticks: (0..n).map(|i| i as f64).collect(),
        }
    }
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let t = (value - self.range.start) / span;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let step = self.ticks.len().div_ceil(hint.max_num_points().max(1));
        self.ticks.iter().step_by(step.max(1)).copied().collect()
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// The label of the category nearest `x` (tick formatter of a category axis).
fn category_label(labels: &[String], x: f64) -> String {
    let i = x.round();
    if i < 0.0 || (x - i).abs() > 0.01 {
        return String::new();
    }
    labels.get(i as usize).cloned().unwrap_or_default()
}

/// The largest font size, from `largest` down to 9 px, at which the labels
/// of neighbouring categories, centred in `labels.len()` equal slots across
/// `width` pixels, keep a gap between them.
fn category_font_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    width: u32,
    largest: u32,
) -> u32 {
    const SMALLEST: u32 = 9;
    const GAP: u32 = 4;
    let slot = width / labels.len().max(1) as u32;
    let fits = |size: u32| {
        let style = TextStyle::from(("sans-serif", size).into_font());
        let widths: Vec<u32> = labels
            .iter()
            .map(|label| {
                area.estimate_text_size(label, &style)
                    .map_or(u32::MAX / 4, |(w, _)| w)
            })
            .collect();
        widths
            .windows(2)
            .all(|pair| (pair[0] + pair[1]) / 2 + GAP <= slot)
    };
    (SMALLEST..=largest)
        .rev()
        .find(|&size| fits(size))
        .unwrap_or(SMALLEST)
}

/// A legend in its own area beside a chart, so it never covers data:
/// one coloured square and label per entry, from the top.
fn side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
) -> Result<(), String> {
    let font = ("sans-serif", 15).into_font();
    for (i, label) in labels.iter().enumerate() {
        let y = 60 + 24 * i as i32;
        area.draw(&Rectangle::new(
            [(6, y - 6), (20, y + 8)],
            colour(i).filled(),
        ))
        .map_err(|e| e.to_string())?;
        area.draw(&Text::new(label.clone(), (28, y - 6), font.clone()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Pixel width of a side legend for these labels.
fn side_legend_width(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    (40 + 9 * longest as u32).clamp(90, 260)
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

    #[test]
    fn numbers_short() {
        assert_eq!(short_number(0.87123), "0.871");
        assert_eq!(short_number(12.54), "12.5");
        assert_eq!(short_number(0.003421), "0.00342");
        assert_eq!(short_number(250.0), "250");
        assert_eq!(short_number(1300.0), "1.3k");
        assert_eq!(short_number(0.5), "0.5");
    }

    #[test]
    fn category_labels_shrink_only_when_neighbours_would_touch() {
        register_fonts();
        let mut pixels = vec![0u8; 900 * 100 * 3];
        let area = BitMapBackend::with_buffer(&mut pixels, (900, 100)).into_drawing_area();
        let short: Vec<String> = ["lru", "fifo", "arc"].map(String::from).to_vec();
        assert_eq!(category_font_size(&area, &short, 600, 14), 14);
        let long: Vec<String> = ["redis_lru", "memcached", "wtinylfu", "crate_quick_cache"]
            .map(String::from)
            .to_vec();
        let roomy = category_font_size(&area, &long, 900, 14);
        let tight = category_font_size(&area, &long, 260, 14);
        assert_eq!(roomy, 14);
        assert!(tight < 14, "got {tight}");
        let style = TextStyle::from(("sans-serif", tight).into_font());
        let width = |label: &String| area.estimate_text_size(label, &style).unwrap().0;
        for pair in long.windows(2) {
            assert!((width(&pair[0]) + width(&pair[1])) / 2 < 260 / 4);
        }
    }

    #[test]
    fn titles_that_do_not_fit_end_in_an_ellipsis() {
        register_fonts();
        let mut pixels = vec![0u8; 400 * 50 * 3];
        let area = BitMapBackend::with_buffer(&mut pixels, (400, 50)).into_drawing_area();
        assert_eq!(fit_title(&area, "Hit ratio"), "Hit ratio");
        let long = "x".repeat(300);
        let fitted = fit_title(&area, &long);
        assert!(fitted.ends_with('…') && fitted.len() < 100, "{fitted}");
        let style = TextStyle::from(("sans-serif", TITLE_SIZE).into_font());
        assert!(area.estimate_text_size(&fitted, &style).unwrap().0 <= 400);
    }

    #[test]
    fn ticked_axis_thins_ticks_and_labels_categories() {
        let axis = TickedAxis::categories(10);
        assert_eq!(axis.key_points(4usize).len(), 4);
        assert_eq!(axis.key_points(20usize).len(), 10);
        let labels = vec!["a".to_string(), "b".to_string()];
        assert_eq!(category_label(&labels, 1.0), "b");
        assert_eq!(category_label(&labels, 0.5), "");
        assert_eq!(category_label(&labels, 5.0), "");
    }
}
