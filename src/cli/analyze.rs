//! `cachelab analyze`: a trace characterised and fitted (see [`crate::analyze`]).

use std::path::{Path, PathBuf};

use super::Outcome;
use super::replay::AppError;
use crate::analyze::{self, AnalyzeError, Options, output};
use crate::seed::Seed;
use crate::trace::Trace;

/// `cachelab analyze` arguments.
#[derive(Clone, Debug)]
pub struct AnalyzeArgs {
    /// The trace file.
    pub trace: PathBuf,
    /// Its format when the name does not tell.
    pub format: Option<String>,
    /// Output directory (default `results/analyze/<trace name>`).
    pub out: Option<PathBuf>,
    /// Seed of the fitted workload's stream.
    pub seed: u64,
}

impl From<AnalyzeError> for AppError {
    fn from(e: AnalyzeError) -> Self {
        match e {
            AnalyzeError::Trace(e) => AppError::Trace(e),
            other => AppError::Input(other.to_string()),
        }
    }
}

/// Analyses the trace, writes the results and returns the summary.
pub fn analyze(args: &AnalyzeArgs) -> Result<Outcome, AppError> {
    let trace = Trace::new(&args.trace, args.format.as_deref())?;
    let options = Options {
        seed: Seed(args.seed),
        ..Options::default()
    };
    let report = analyze::analyze(&trace, &options)?;
    let name = args
        .trace
        .file_name()
        .map_or_else(|| "trace".to_string(), |n| n.to_string_lossy().into_owned());
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results/analyze").join(&name));
    let files = output::write(&report, &dir, &name)?;
    let speed = report.analysis.requests as f64 / report.pass_seconds.max(1e-9);
    let text = format!(
        "{}  (pass: {:.2} s, {:.1} M requests/s, {:.0} bytes per object)\n",
        output::table(&report),
        report.pass_seconds,
        speed / 1e6,
        report.pass.bytes_per_object()
    );
    Ok(Outcome {
        text,
        files,
        rows: Vec::new(),
    })
}
