//! What a person needs to know about a trace before simulating it, from
//! one streaming pass: requests, objects and their bytes, compulsory miss
//! ratios, how often objects are requested, sizes, request rate, the
//! operation, TTL and tenant mix, reuse distances and times, a Zipf fit by
//! maximum likelihood, and a synthetic workload fitted to it, checked by
//! comparing its LRU miss-ratio curve with the trace's own.
//!
//! Everything is exact except where a histogram is read (quantiles, the
//! miss-ratio curves): there values are resolved to bins about 2-3% wide
//! ([`hist`]). Memory is proportional to the distinct objects
//! ([`pass`] says how much) and constant in the number of requests.

pub mod classes;
mod curve;
pub mod fit;
pub mod hist;
pub mod output;
pub mod pass;
mod stack;
mod summary;
mod table;
pub mod zipf;

pub use fit::{FitCheck, FittedWorkload};
pub use pass::Pass;
pub use summary::Analysis;

use crate::request::StreamError;
use crate::seed::Seed;
use crate::spec::SpecError;
use crate::trace::{RecordStream, Trace, TraceError};

/// Why an analysis failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The trace could not be opened or read.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The fitted workload could not be built (a bug if it happens: the
    /// fit makes only valid specifications).
    #[error("the fitted workload: {0}")]
    Workload(#[from] SpecError),
}

impl From<StreamError> for AnalyzeError {
    fn from(e: StreamError) -> Self {
        AnalyzeError::Trace(e.into())
    }
}

/// How to analyse.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Seed of the fitted workload's synthetic stream.
    pub seed: Seed,
    /// Cache sizes at which the two miss-ratio curves are compared.
    pub mrc_points: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: Seed(42),
            mrc_points: 40,
        }
    }
}

/// An analysis with what its tables and plots are drawn from.
pub struct Report {
    /// The figures.
    pub analysis: Analysis,
    /// The trace's pass (histograms, the rate series).
    pub pass: Pass,
    /// Every object's request count, largest first.
    pub counts: Vec<u32>,
    /// Seconds the trace's pass took (reading included); kept out of the
    /// result files, which depend on the trace and seed only.
    pub pass_seconds: f64,
}

/// Reads every record of `stream` into a pass.
pub fn pass_over(stream: &mut dyn RecordStream) -> Result<Pass, StreamError> {
    let mut pass = Pass::new();
    let mut batch = Vec::with_capacity(8192);
    loop {
        batch.clear();
        if stream.next_records(&mut batch, 8192)? == 0 {
            return Ok(pass);
        }
        pass.add_all(&batch);
    }
}

/// Analyses the trace, fits a workload to it and checks the fit.
pub fn analyze(trace: &Trace, options: &Options) -> Result<Report, AnalyzeError> {
    let header = trace.lcs_header()?;
    let started = std::time::Instant::now();
    let pass = pass_over(trace.records()?.as_mut())?;
    let pass_seconds = started.elapsed().as_secs_f64();
    let counts = pass.counts();
    let mut analysis = Analysis::of(&pass, &counts, trace.has_times());
    analysis.trace = trace.path.display().to_string();
    analysis.format = trace.format.name().to_string();
    analysis.lcs_header = header;
    // An empty trace has nothing to fit.
    if pass.requests() > 0 {
        let mut workload = FittedWorkload::of(&pass, analysis.zipf.as_ref(), &analysis.time);
        workload.classes = classes::fit(&pass, trace.records()?.as_mut())?;
        analysis.fit_check = Some(fit::check(&pass, &workload, options)?);
        analysis.workload = Some(workload);
    }
    Ok(Report {
        analysis,
        pass,
        counts,
        pass_seconds,
    })
}
