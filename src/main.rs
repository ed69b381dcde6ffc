//! The `cachelab` command line: parses arguments and calls the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use cachelab::cli;

#[derive(Parser)]
#[command(
    name = "cachelab",
    version,
    about = "A workbench for distributed caching",
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the eviction policies, their parameters and sources.
    Policies {
        /// Print a Markdown table (as in the README).
        #[arg(long)]
        markdown: bool,
    },
    /// Replay a trace or a synthetic workload through policies × cache sizes.
    Replay(ReplayCommand),
    /// Characterise a trace, fit a synthetic workload to it, and check the fit.
    Analyze(AnalyzeCommand),
    /// Miss ratio against cache size, one line per policy (CSV, PNG, SVG).
    Mrc(MrcCommand),
    /// Simulate a cache tier described by a scenario file (and its sweep).
    Run(RunCommand),
    /// The same as run: a scenario file's sweep, in parallel, with replications and shards.
    Sweep(RunCommand),
    /// Join the shards of a sweep and write its tables.
    Merge(MergeCommand),
    /// Run two scenarios (or one with two sets of overrides) and print the differences.
    Compare(CompareCommand),
    /// Check a scenario file without running it.
    Validate(RunCommand),
    /// Print the JSON Schema of scenario files, for editors (see the README).
    Schema {
        /// Write it to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Draw every plot a results directory's CSV files allow, and its report.html.
    Plot(PlotCommand),
    /// Send a trace or workload to a real server (Redis, Valkey, memcached) as a cache-aside client.
    Drive(DriveCommand),
    /// Run the same stream through a private server and through cachelab's model of it, side by side.
    Calibrate(CalibrateCommand),
}

#[derive(Args)]
struct CalibrateCommand {
    #[command(flatten)]
    source: SourceOptions,
    /// The server to start for each run: redis-server, valkey-server or memcached.
    #[arg(long, value_name = "SERVER")]
    spawn: String,
    /// Its memory limit: Redis's maxmemory, memcached's -m (whole MiB).
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    maxmemory: Option<u64>,
    /// Its Redis maxmemory-policy: allkeys-lru (default), allkeys-lfu or allkeys-random.
    #[arg(long)]
    policy: Option<String>,
    /// Its Redis maxmemory-samples, 1 to 64 (default: Redis's, 5); the model samples as many.
    #[arg(long, value_name = "N")]
    maxmemory_samples: Option<u32>,
    /// Client connections, one thread each (the model sees one sequence of batches).
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Requests sent together (the model replays the same batches).
    #[arg(long, default_value_t = 1)]
    pipeline: usize,
    /// Runs, each on a fresh server with the next seed.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// The largest hit-ratio difference (server − model) that passes.
    #[arg(long, default_value_t = 0.005)]
    tolerance: f64,
    /// Intervals of the counted stream in the hit-ratio series.
    #[arg(long, default_value_t = 10)]
    intervals: u64,
}

#[derive(Args)]
struct DriveCommand {
    #[command(flatten)]
    source: SourceOptions,
    /// The server: redis://HOST:PORT (Redis, Valkey) or memcached://HOST:PORT.
    #[arg(long, conflicts_with = "spawn", required_unless_present = "spawn")]
    target: Option<String>,
    /// Start a private server on a free loopback port for the run, and stop it
    /// after: redis-server, valkey-server or memcached.
    #[arg(long, value_name = "SERVER")]
    spawn: Option<String>,
    /// Memory limit of the --spawn server: Redis's maxmemory, memcached's -m (whole MiB).
    #[arg(long, requires = "spawn", value_parser = parse_size, value_name = "SIZE")]
    maxmemory: Option<u64>,
    /// Redis maxmemory-policy of the --spawn server (default allkeys-lru).
    #[arg(long, requires = "spawn")]
    policy: Option<String>,
    /// Redis maxmemory-samples of the --spawn server, 1 to 64 (default: Redis's, 5).
    #[arg(long, requires = "spawn", value_name = "N")]
    maxmemory_samples: Option<u32>,
    /// Client connections, one thread each.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Requests sent together on a connection (then one SET per distinct missed key).
    #[arg(long, default_value_t = 1)]
    pipeline: usize,
    /// Send each request at its own timestamp in the trace (from the first
    /// request's), latency measured from that time; not with --rate.
    #[arg(long)]
    at_trace_times: bool,
    /// With --at-trace-times, play the trace's time this many times faster.
    #[arg(long, requires = "at_trace_times", default_value_t = 1.0)]
    speedup: f64,
    /// Intervals of the counted stream in the hit-ratio series (drive-series.csv).
    #[arg(long, default_value_t = 100)]
    intervals: u64,
}

#[derive(Args)]
struct AnalyzeCommand {
    /// The trace file (oracleGeneral, lcs, twitter, vscsi, csv, txt; optionally .zst).
    trace: PathBuf,
    /// Trace format when the file name does not tell: oracleGeneral, lcs, twitter, vscsi,
    /// txt, csv or csv:key=N,time=N,size=N,op=N,header=true,delimiter=C,time-unit=s.
    #[arg(long)]
    format: Option<String>,
    /// Output directory (default results/analyze/<trace name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of the fitted workload's synthetic stream.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args)]
struct PlotCommand {
    /// A results directory (of replay, mrc, run, or a sweep).
    dir: PathBuf,
    /// Metric of sweep plots, a summary column (hit_ratio, db_rps,
    /// latency_all_p99_ns, ...); default: hit ratio, database load and p99.
    #[arg(long)]
    metric: Option<String>,
}

#[derive(Args)]
struct MergeCommand {
    /// The sweep directory that receives the merged results.
    dir: PathBuf,
    /// Directories of shards run elsewhere, to copy into DIR first.
    pieces: Vec<PathBuf>,
}

#[derive(Args)]
struct CompareCommand {
    /// Scenario A (and B, unless --set-b is given).
    files: Vec<PathBuf>,
    /// Overrides for A only.
    #[arg(long = "set-a", value_name = "PATH=VALUE")]
    set_a: Vec<String>,
    /// Overrides for B only (with one file: B is the file with these).
    #[arg(long = "set-b", value_name = "PATH=VALUE")]
    set_b: Vec<String>,
    /// Paired replications of each (same seeds for A and B).
    #[arg(long, default_value_t = 5)]
    replications: u32,
    /// Output directory (default results/compare/<a>-vs-<b>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
}

#[derive(Args)]
struct RunCommand {
    /// The scenario file (TOML; see docs/scenario.md).
    file: PathBuf,
    /// Override a field: --set nodes.count=8 --set cache.ttl=300s.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    overrides: Vec<String>,
    /// Seed replacing the scenario's.
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory (default results/<scenario>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads for sweep cells (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Runs per cell, each with its own seed; tables then give means and 95% intervals.
    #[arg(long, default_value_t = 1)]
    replications: u32,
    /// Run only the i-th of n slices of the runs (0-based): --shard 0/4.
    #[arg(long, value_parser = cli::parse_shard, value_name = "I/N")]
    shard: Option<(u32, u32)>,
    /// Refuse a run estimated to simulate more requests than this.
    #[arg(
        long,
        default_value_t = cachelab::scenario::DEFAULT_MAX_REQUESTS,
        value_parser = parse_count,
        value_name = "N"
    )]
    max_requests: u64,
}

/// A count as users write it: `1e9`, `500M`, `2000000`.
fn parse_count(text: &str) -> Result<u64, String> {
    cachelab::units::parse_count(text)
        .ok_or_else(|| format!("`{text}` is not a count such as 1e9, 500M or 2000000"))
}

impl RunCommand {
    fn args(self) -> cli::RunArgs {
        cli::RunArgs {
            file: self.file,
            overrides: self.overrides,
            seed: self.seed,
            out: self.out,
            jobs: self.jobs,
            replications: self.replications,
            shard: self.shard,
            max_requests: self.max_requests,
        }
    }
}

#[derive(Args)]
struct SourceOptions {
    /// Trace file (oracleGeneral, lcs, twitter, vscsi, csv, txt; optionally .zst).
    #[arg(
        long,
        conflicts_with = "workload",
        required_unless_present = "workload"
    )]
    trace: Option<PathBuf>,
    /// Trace format when the file name does not tell: oracleGeneral, lcs, twitter, vscsi,
    /// txt, csv or csv:key=N,time=N,size=N,op=N,header=true,delimiter=C,time-unit=s.
    #[arg(long, requires = "trace")]
    format: Option<String>,
    /// Synthetic workload: zipf:alpha=A,keys=N,requests=N | uniform:keys=N,requests=N |
    /// hotspot:keys=N,hot=0.2,share=0.8,requests=N, each with an optional drift
    /// period=N (requests),shift=N or replace=S | latest:alpha=A,keys=N,requests=N,insert=S,churn=true.
    #[arg(long)]
    workload: Option<String>,
    /// Object sizes of a synthetic workload: 4KiB | lognormal:median=4KiB,sigma=1 |
    /// pareto:scale=1KiB,shape=1.5.
    #[arg(long, default_value = "1", requires = "workload")]
    object_size: String,
    /// Give every object size 1: capacities then count objects.
    #[arg(long)]
    ignore_size: bool,
    /// Drop the TTLs a Twitter or lcs (v3+) trace gives; by default an object expires its
    /// TTL (trace time) after its insert, and a later get misses (drive and calibrate send
    /// the TTL with each set and fill, and calibrate's model expires it too).
    #[arg(long)]
    ignore_ttl: bool,
    /// Requests at the start not counted: a count (100000) or a share (20%).
    #[arg(long)]
    warmup: Option<String>,
    /// Re-time requests at R per second (streams without timestamps default to 10000);
    /// drive: send them at R per second (default: as fast as possible).
    #[arg(long, value_name = "R")]
    rate: Option<f64>,
    /// Seed of synthetic workloads and randomised policies.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Refuse a stream of more requests than this (default 1e10; 2^30 while
    /// Belady keeps each request's next access in memory, 8 bytes each).
    #[arg(long, value_parser = parse_count, value_name = "N")]
    max_requests: Option<u64>,
    /// Copy at most this much of a trace that is a pipe or device (default 16GiB).
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    max_spool: Option<u64>,
}

/// A size as users write it: `16GiB`, `500MB`, `1000000`.
fn parse_size(text: &str) -> Result<u64, String> {
    cachelab::units::parse_bytes(text)
        .ok_or_else(|| format!("`{text}` is not a size such as 16GiB, 500MB or 1000000"))
}

impl SourceOptions {
    fn source(&self) -> cli::SourceArgs {
        cli::SourceArgs {
            trace: self.trace.clone(),
            format: self.format.clone(),
            workload: self.workload.clone(),
            object_size: self.object_size.clone(),
            ignore_size: self.ignore_size,
            ignore_ttl: self.ignore_ttl,
            warmup: self.warmup.clone(),
            rate: self.rate,
            seed: self.seed,
            max_requests: self.max_requests,
            max_spool: self.max_spool,
        }
    }
}

#[derive(Args)]
struct ReplayCommand {
    #[command(flatten)]
    source: SourceOptions,
    /// Policies, comma-separated or repeated, each name[:param=value,...] (see `cachelab policies`).
    #[arg(long, default_value = "lru")]
    policy: Vec<String>,
    /// Cache sizes, comma-separated: 10% of the working set, 64MiB, or 1000 (bytes, or objects with --ignore-size).
    #[arg(long, value_delimiter = ',', required = true)]
    size: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Gets a cache-aside client sends together; the fills of the distinct keys that missed follow each batch (1: fill at once, as drive --pipeline).
    #[arg(long, default_value_t = 1)]
    pipeline: usize,
}

#[derive(Args)]
struct MrcCommand {
    #[command(flatten)]
    source: SourceOptions,
    /// Policies, comma-separated or repeated, each name[:param=value,...] (LRU is computed in one pass).
    #[arg(long, default_value = "lru")]
    policy: Vec<String>,
    /// Explicit cache sizes; otherwise --points sizes from --min to --max.
    #[arg(long, value_delimiter = ',')]
    size: Vec<String>,
    /// Number of log-spaced cache sizes.
    #[arg(long, default_value_t = 40)]
    points: usize,
    /// Smallest cache size.
    #[arg(long, default_value = "0.1%")]
    min: String,
    /// Largest cache size.
    #[arg(long, default_value = "100%")]
    max: String,
    /// Estimate every curve from a spatial sample of this share of the keys (SHARDS), as 0.01 or 1%: each size a miniature cache fed only the sampled keys.
    #[arg(long)]
    sample: Option<String>,
    /// Estimate from a spatial sample of at most this many distinct keys instead.
    #[arg(long)]
    sample_keys: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Policies { markdown } => {
            let text = if markdown {
                cli::policies_markdown()
            } else {
                cli::policies_table()
            };
            Ok(Printed::Text(text))
        }
        Command::Replay(cmd) => {
            let args = cli::ReplayArgs {
                policies: cmd.policy,
                sizes: cmd.size,
                out: cmd.source.out.clone(),
                jobs: cmd.jobs,
                pipeline: cmd.pipeline,
            };
            cli::replay(&cmd.source.source(), &args, true).map(Printed::Outcome)
        }
        Command::Analyze(cmd) => cli::analyze(&cli::AnalyzeArgs {
            trace: cmd.trace,
            format: cmd.format,
            out: cmd.out,
            seed: cmd.seed,
        })
        .map(Printed::Outcome),
        Command::Mrc(cmd) => {
            let args = cli::MrcArgs {
                policies: cmd.policy,
                sizes: cmd.size,
                points: cmd.points,
                min: cmd.min,
                max: cmd.max,
                sample: cmd.sample,
                sample_keys: cmd.sample_keys,
                out: cmd.source.out.clone(),
                jobs: cmd.jobs,
            };
            cli::mrc(&cmd.source.source(), &args, true).map(Printed::Outcome)
        }
        Command::Run(cmd) | Command::Sweep(cmd) => {
            cli::run(&cmd.args(), true).map(Printed::Outcome)
        }
        Command::Merge(cmd) => cli::merge(&cmd.dir, &cmd.pieces).map(Printed::Outcome),
        Command::Compare(cmd) => cli::compare(
            &cli::CompareArgs {
                files: cmd.files,
                set_a: cmd.set_a,
                set_b: cmd.set_b,
                replications: cmd.replications,
                out: cmd.out,
                jobs: cmd.jobs,
            },
            true,
        )
        .map(Printed::Outcome),
        Command::Plot(cmd) => cli::plot(&cli::PlotArgs {
            dir: cmd.dir,
            metric: cmd.metric,
        })
        .map(Printed::Outcome),
        Command::Validate(cmd) => cli::validate(&cmd.args()).map(Printed::Text),
        Command::Schema { out } => cli::schema(out.as_deref()).map(Printed::Outcome),
        Command::Drive(cmd) => cli::drive(
            &cmd.source.source(),
            &cli::DriveArgs {
                target: cmd.target,
                spawn: cmd.spawn,
                maxmemory: cmd.maxmemory,
                policy: cmd.policy,
                samples: cmd.maxmemory_samples,
                connections: cmd.connections,
                pipeline: cmd.pipeline,
                trace_times: cmd.at_trace_times.then_some(cmd.speedup),
                intervals: cmd.intervals,
                out: cmd.source.out.clone(),
            },
        )
        .map(Printed::Outcome),
        Command::Calibrate(cmd) => cli::calibrate(
            &cmd.source.source(),
            &cli::CalibrateArgs {
                spawn: cmd.spawn,
                maxmemory: cmd.maxmemory,
                policy: cmd.policy,
                samples: cmd.maxmemory_samples,
                connections: cmd.connections,
                pipeline: cmd.pipeline,
                repeat: cmd.repeat,
                tolerance: cmd.tolerance,
                intervals: cmd.intervals,
                out: cmd.source.out.clone(),
            },
        )
        .map(Printed::Outcome),
    };
    let printed = match result {
        Ok(printed) => print(&printed),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped reading (`| head`) wants no more: not an error.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: writing to standard output: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What a command leaves for the terminal.
enum Printed {
    /// Plain text.
    Text(String),
    /// A command's outcome: its text and the files it wrote.
    Outcome(cli::Outcome),
}

/// Writes `printed` to standard output, returning write errors (a closed
/// pipe, a full disk) instead of panicking as `print!` does.
fn print(printed: &Printed) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match printed {
        Printed::Text(text) => out.write_all(text.as_bytes())?,
        Printed::Outcome(outcome) => {
            out.write_all(outcome.text.as_bytes())?;
            // Long lists (a sweep's every run) end with the files that matter.
            let shown = outcome.files.len().min(8);
            if outcome.files.len() > shown {
                writeln!(out, "wrote {} files; the last:", outcome.files.len())?;
            }
            for file in &outcome.files[outcome.files.len() - shown..] {
                writeln!(out, "wrote {}", file.display())?;
            }
        }
    }
    out.flush()
}
