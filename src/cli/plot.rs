//! `cachelab plot`: every plot a results directory's files allow, and its
//! `report.html`.

use std::path::PathBuf;

use super::Outcome;
use super::replay::AppError;
use crate::report;

/// `cachelab plot` arguments.
#[derive(Clone, Debug, Default)]
pub struct PlotArgs {
    /// The results directory.
    pub dir: PathBuf,
    /// The metric of sweep plots instead of the defaults.
    pub metric: Option<String>,
}

/// Draws the directory's plots from its files and writes its report,
/// holding the directory's lock so that no run rewrites it meanwhile.
pub fn plot(args: &PlotArgs) -> Result<Outcome, AppError> {
    if !args.dir.is_dir() {
        return Err(AppError::Input(format!(
            "{}: not a directory; `cachelab plot` takes a results directory",
            args.dir.display()
        )));
    }
    let _lock = report::DirLock::exclusive(&args.dir)?;
    let plotted = report::plot_directory(&args.dir, args.metric.as_deref())?;
    let text = plotted
        .notes
        .iter()
        .map(|n| format!("note: {n}\n"))
        .collect();
    Ok(Outcome {
        text,
        files: plotted.files,
        rows: Vec::new(),
    })
}
