//! `replicascope`: runs scenario files, checks histories, explores staleness, benchmarks.
//!
//! All output is JSON on stdout; problems go to stderr with a non-zero exit code. Input files
//! are untrusted: every problem is reported with the field (or line) and the reason. Flags are
//! parsed by clap: an unknown flag, a missing value or a value out of range is an error with
//! the usage line, never silently ignored.
//!
//! Exit status: 0 success (for `check`: nothing found); 1 `check` found anomalies or a history
//! that is not linearizable; 2 bad usage, or an input file that is malformed, invalid or
//! unreadable (the message names the field or line).

use clap::{Args, Parser, Subcommand};
use replicascope_engine::bench;
use replicascope_engine::metrics::report;
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::Scenario;
use replicascope_engine::vocab::TopologyKind;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

#[derive(Parser)]
#[command(
    name = "replicascope",
    version,
    about = "Deterministic replication simulator: leader-follower, multi-leader and leaderless clusters side by side",
    after_help = "Exit status: 0 success (check: nothing found); 1 check found anomalies; 2 bad usage or a malformed, invalid or unreadable input file."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs every topology of a scenario file and prints metrics and anomalies as JSON.
    Run(RunArgs),
    /// Checks a scenario file; prints {"valid": true} or its problems, each with the field's path.
    Validate {
        /// A scenario file (JSON).
        file: PathBuf,
    },
    /// Checks a Jepsen EDN history: linearizability per key and every anomaly, as JSON.
    Check {
        /// A history in Jepsen's EDN format.
        file: PathBuf,
        /// Search states per key before the linearizability verdict is "unknown".
        #[arg(long, value_name = "STATES", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
        budget: Option<u64>,
        /// The registers' value before any write (Knossos' cas-register tests start at 0). Without
        /// it, registers start empty.
        #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
        initial: Option<i64>,
        /// What a read that returned nil means: `absent` (the key did not exist: ReplicaScope's
        /// and etcd-style histories) or `any` (it constrains nothing: Knossos' register models).
        #[arg(long = "nil-read", value_name = "MEANING", default_value = "absent", value_parser = parse_nil_read)]
        nil_read: replicascope_engine::jepsen::NilRead,
        /// The object the operations act on: `register` (read/write/cas per key; Knossos'
        /// `cas-register`), `kv` (Porcupine's get/put/append with a :key), `multi-register`
        /// (Knossos' :txn) or `mutex` (:acquire/:release).
        #[arg(long, value_name = "MODEL", default_value = "register", value_parser = parse_model)]
        model: replicascope_engine::jepsen::ModelKind,
        /// Also shrink each violation to the fewest operations that show it on their own (what
        /// the page highlights), named by their lines, with how they stand in real time.
        #[arg(long)]
        smallest: bool,
    },
    /// Probabilistically bounded staleness: P(a read t ms after a write commits returns it).
    Staleness(StalenessArgs),
    /// Prints engine throughput, seek time and memory figures, and checker timings.
    Bench {
        /// Engine events per topology.
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        events: u64,
        /// Only this topology: leader_follower, multi_leader or leaderless.
        #[arg(long, value_name = "TOPOLOGY", value_parser = parse_topology)]
        only: Option<TopologyKind>,
        /// Skip the checker timings.
        #[arg(long)]
        no_checker: bool,
    },
    /// Prints the link fragment (after `#`) that opens the scenario in the page: the compact
    /// form, or the readable one when the file is exactly a preset.
    Link {
        /// A scenario file (JSON).
        file: PathBuf,
        /// The moment the page opens at, in seconds.
        #[arg(long = "t", value_name = "SECONDS", value_parser = parse_seconds)]
        time: Option<f64>,
        /// The embed form (for an iframe).
        #[arg(long)]
        embed: bool,
    },
}

#[derive(Args)]
struct RunArgs {
    /// A scenario file (JSON).
    file: PathBuf,
    /// Run with this seed instead of the file's.
    #[arg(long, conflicts_with = "seeds")]
    seed: Option<u64>,
    /// A sweep: one JSON line of metrics per seed in A..B (B excluded, at most 100000 seeds).
    #[arg(long, value_name = "A..B", value_parser = parse_seed_range)]
    seeds: Option<(u64, u64)>,
    /// Also write every step, message, annotation and history event as JSON lines.
    #[arg(long, value_name = "OUT.jsonl", conflicts_with = "seeds")]
    trace: Option<PathBuf>,
}

#[derive(Args)]
struct StalenessArgs {
    /// Replicas per key.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
    n: Option<u32>,
    /// Replicas a read waits for.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
    r: Option<u32>,
    /// Replicas a write waits for.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
    w: Option<u32>,
    /// Monte-Carlo trials per point.
    #[arg(long)]
    trials: Option<u32>,
    /// Longest time after commit to evaluate, milliseconds.
    #[arg(long = "max-ms")]
    max_ms: Option<f64>,
    /// Points on the curve.
    #[arg(long)]
    points: Option<u32>,
    /// One distribution for all four legs (JSON as in scenario files, e.g. '{"exponential": {"mean_ms": 2}}').
    #[arg(long, value_name = "DIST")]
    latency: Option<String>,
    #[arg(long = "write-request", value_name = "DIST")]
    write_request: Option<String>,
    #[arg(long = "write-ack", value_name = "DIST")]
    write_ack: Option<String>,
    #[arg(long = "read-request", value_name = "DIST")]
    read_request: Option<String>,
    #[arg(long = "read-response", value_name = "DIST")]
    read_response: Option<String>,
    /// Writes reach only the W replicas they wait for (the closed form's assumption).
    #[arg(long = "no-propagation")]
    no_propagation: bool,
    #[arg(long)]
    seed: Option<u64>,
}

fn parse_nil_read(s: &str) -> Result<replicascope_engine::jepsen::NilRead, String> {
    replicascope_engine::jepsen::NilRead::parse(s).ok_or_else(|| format!("\"{s}\" is not absent or any"))
}

fn parse_model(s: &str) -> Result<replicascope_engine::jepsen::ModelKind, String> {
    replicascope_engine::jepsen::ModelKind::parse(s)
        .ok_or_else(|| format!("\"{s}\" is not register, cas-register, kv, multi-register or mutex"))
}

fn parse_topology(s: &str) -> Result<TopologyKind, String> {
    TopologyKind::parse(s).ok_or_else(|| format!("\"{s}\" is not leader_follower, multi_leader or leaderless"))
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
        _ => Err(format!("\"{s}\" is not a number of seconds ≥ 0")),
    }
}

fn parse_seed_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s.split_once("..").ok_or("write the range as A..B, e.g. 1..100")?;
    let a: u64 = a.trim().parse().map_err(|_| format!("\"{a}\" is not a whole number"))?;
    let b: u64 = b.trim().parse().map_err(|_| format!("\"{b}\" is not a whole number"))?;
    if b <= a || b - a > 100_000 {
        return Err("B must be greater than A, and the range at most 100000 seeds".into());
    }
    Ok((a, b))
}

/// Why the program stops early.
enum Failure {
    /// A verdict was printed and it found something (exit 1).
    Found(String),
    /// Bad input or an error (exit 2).
    Error(String),
    /// stdout was closed (`replicascope … | head`): end quietly (exit 0).
    ClosedPipe,
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Error(s)
    }
}

impl From<&str> for Failure {
    fn from(s: &str) -> Self {
        Failure::Error(s.to_string())
    }
}

type Outcome = Result<(), Failure>;

/// Writes a line to stdout; a closed pipe ends the program quietly instead of panicking.
fn emit(line: &str) -> Outcome {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{line}").and_then(|_| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::ClosedPipe),
        Err(e) => Err(Failure::Error(format!("cannot write the output: {e}"))),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(v).map_err(|e| Failure::Error(e.to_string()))
}

fn main() -> ExitCode {
    use clap::error::ErrorKind;
    use clap::CommandFactory;
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            // Every usage error ends with the usage line of the command it is about (clap leaves
            // it out of some, such as a missing value).
            let mut text = e.render().to_string();
            if !text.contains("Usage:") {
                let mut command = Cli::command();
                let sub = std::env::args().nth(1).unwrap_or_default();
                let usage = match command.find_subcommand_mut(&sub) {
                    Some(c) => c.render_usage().to_string().replacen("Usage: ", "Usage: replicascope ", 1),
                    None => command.render_usage().to_string(),
                };
                text = format!("{}\n{usage}\n", text.trim_end());
            }
            eprint!("{text}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Run(args) => cmd_run(args),
        Command::Validate { file } => cmd_validate(&file),
        Command::Check { file, budget, initial, nil_read, model, smallest } => {
            cmd_check(&file, budget, replicascope_engine::jepsen::Conventions { initial, nil_read }, model, smallest)
        }
        Command::Staleness(args) => cmd_staleness(args),
        Command::Bench { events, only, no_checker } => cmd_bench(events, only, !no_checker),
        Command::Link { file, time, embed } => cmd_link(&file, time, embed),
    };
    match result {
        Ok(()) | Err(Failure::ClosedPipe) => ExitCode::SUCCESS,
        Err(Failure::Found(e)) => {
            eprintln!("replicascope: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Error(e)) => {
            eprintln!("replicascope: {e}");
            ExitCode::from(2)
        }
    }
}

/// A scenario file larger than this is refused before it is read.
const MAX_SCENARIO_FILE_MB: u64 = 8;
/// A history can be long: a 100,000-operation Jepsen history is about 10 MB.
const MAX_HISTORY_FILE_MB: u64 = 64;

/// Reads a scenario file, refusing anything over 8 MB or not UTF-8.
fn read_file(path: &std::path::Path) -> Result<String, String> {
    read_file_up_to(path, MAX_SCENARIO_FILE_MB)
}

fn read_file_up_to(path: &std::path::Path, max_mb: u64) -> Result<String, String> {
    let name = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: {e}"))?;
    if meta.len() > max_mb * 1024 * 1024 {
        return Err(format!("{name}: file is larger than {max_mb} MB"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{name}: not UTF-8 text"))
}

fn load(path: &std::path::Path) -> Result<Scenario, String> {
    let text = read_file(path)?;
    Scenario::from_json(&text).map_err(|p| format!("{}:\n{p}", path.display()))
}

fn compile(scenario: &Scenario, path: &std::path::Path) -> Result<replicascope_engine::scenario::Plan, String> {
    scenario.compile().map_err(|p| format!("{}:\n{p}", path.display()))
}

fn cmd_validate(path: &std::path::Path) -> Outcome {
    let s = load(path)?;
    compile(&s, path)?;
    emit("{\"valid\": true}")
}

fn cmd_link(path: &std::path::Path, time: Option<f64>, embed: bool) -> Outcome {
    use replicascope_engine::link::{encode, LinkState, MAX_LINK};
    let s = load(path)?;
    compile(&s, path)?;
    let mut state = LinkState::new(s);
    // A file that is exactly a preset (at any seed) gets the readable form.
    state.preset = replicascope_engine::presets::PRESETS
        .iter()
        .map(|p| p.id)
        .find(|id| {
            replicascope_engine::presets::preset(id).is_some_and(|mut p| {
                p.seed = state.scenario.seed;
                p == state.scenario
            })
        })
        .map(str::to_string);
    if let Some(t) = time {
        state.time = ((t * 1e6) as u64).min(state.scenario.duration.0);
    }
    state.view.embed = embed;
    let fragment = encode(&state, &replicascope_engine::presets::preset);
    if fragment.len() > MAX_LINK {
        return Err(
            format!("the link would be {} characters; the page reads at most {MAX_LINK}", fragment.len()).into()
        );
    }
    emit(&fragment)
}

fn cmd_run(args: RunArgs) -> Outcome {
    let path = args.file.as_path();
    let mut scenario = load(path)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some((a, b)) = args.seeds {
        for seed in a..b {
            scenario.seed = seed;
            let plan = Rc::new(compile(&scenario, path)?);
            let mut line = serde_json::Map::new();
            line.insert("seed".into(), seed.into());
            for kind in scenario.kinds() {
                let mut run = AnyRun::new(kind, plan.clone()).ok_or("topology missing")?;
                run.run_to_end();
                let r = report(&run);
                line.insert(kind.name().into(), serde_json::to_value(&r.metrics).map_err(|e| e.to_string())?);
            }
            emit(&serde_json::Value::Object(line).to_string())?;
        }
        return Ok(());
    }
    let plan = Rc::new(compile(&scenario, path)?);
    let mut result = serde_json::Map::new();
    result.insert("scenario".into(), scenario.name.clone().into());
    result.insert("seed".into(), scenario.seed.into());
    let mut trace_file = match &args.trace {
        Some(p) => {
            Some(std::io::BufWriter::new(std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?))
        }
        None => None,
    };
    for kind in scenario.kinds() {
        let mut run = AnyRun::new(kind, plan.clone()).ok_or("topology missing")?;
        run.run_to_end();
        let r = report(&run);
        if let Some(f) = trace_file.as_mut() {
            f.write_all(run.trace_jsonl().as_bytes()).map_err(|e| e.to_string())?;
        }
        result.insert(kind.name().into(), serde_json::to_value(&r).map_err(|e| e.to_string())?);
    }
    if let Some(mut f) = trace_file {
        f.flush().map_err(|e| e.to_string())?;
    }
    emit(&json(&serde_json::Value::Object(result))?)
}

fn cmd_check(
    path: &std::path::Path,
    budget: Option<u64>,
    conventions: replicascope_engine::jepsen::Conventions,
    model: replicascope_engine::jepsen::ModelKind,
    smallest: bool,
) -> Outcome {
    use replicascope_engine::jepsen::{check_imported, check_model_edn, import_edn_with, ModelKind};
    let text = read_file_up_to(path, MAX_HISTORY_FILE_MB)?;
    let budget = budget.unwrap_or(replicascope_engine::linearizability::STATE_BUDGET);
    let at = |e: String| format!("{}: {e}", path.display());
    // With --smallest, the report gains each violation shrunk (see `linearizability::smallest_violation`).
    let with_smallest = |report: serde_json::Value| -> Result<serde_json::Value, Failure> {
        if !smallest {
            return Ok(report);
        }
        let d = replicascope_engine::jepsen::diagram(&text, model, conventions, budget).map_err(at)?;
        let shrunk: Vec<serde_json::Value> = d
            .objects
            .iter()
            .filter_map(|o| {
                let v = o.violation.as_ref()?;
                Some(serde_json::json!({
                    "object": o.name,
                    "lines": v.ops,
                    "minimal": v.minimal,
                    "story": o.story,
                    "explanation": v.explanation,
                }))
            })
            .collect();
        let mut report = report;
        if let serde_json::Value::Object(map) = &mut report {
            map.insert("smallest".into(), serde_json::Value::Array(shrunk));
        }
        Ok(report)
    };
    let value = |r: serde_json::Result<serde_json::Value>| r.map_err(|e| Failure::Error(e.to_string()));
    if model != ModelKind::Register {
        let report = check_model_edn(&text, model, conventions, budget).map_err(at)?;
        emit(&json(&with_smallest(value(serde_json::to_value(&report))?)?)?)?;
        if report.linearizable == Some(false) {
            return Err(Failure::Found(format!("{}: not linearizable as a {}", path.display(), model.name())));
        }
        return Ok(());
    }
    let imported = import_edn_with(&text, conventions).map_err(at)?;
    let report = check_imported(&imported, budget);
    emit(&json(&with_smallest(value(serde_json::to_value(&report))?)?)?)?;
    if report.linearizable == Some(false) || !report.anomalies.is_empty() {
        return Err(Failure::Found(format!("{}: {} anomaly(ies) found", path.display(), report.anomalies.len())));
    }
    Ok(())
}

fn parse_dist(flag_name: &str, text: &str) -> Result<replicascope_engine::dist::Dist, String> {
    use replicascope_engine::validate::Validate;
    let d: replicascope_engine::dist::Dist = serde_json::from_str(text).map_err(|e| {
        format!("{flag_name}: not a distribution ({e}); e.g. '{{\"exponential\": {{\"mean_ms\": 2}}}}'")
    })?;
    let mut p = replicascope_engine::validate::Problems::default();
    d.validate(flag_name, &mut p);
    p.into_result().map_err(|p| p.to_string())?;
    Ok(d)
}

fn cmd_staleness(a: StalenessArgs) -> Outcome {
    use replicascope_engine::staleness::{explore, StalenessSpec};
    use replicascope_engine::validate::Validate;
    let mut spec = StalenessSpec::default();
    spec.n = a.n.unwrap_or(spec.n);
    spec.r = a.r.unwrap_or(spec.r);
    spec.w = a.w.unwrap_or(spec.w);
    spec.trials = a.trials.unwrap_or(spec.trials);
    spec.max_ms = a.max_ms.unwrap_or(spec.max_ms);
    spec.points = a.points.unwrap_or(spec.points);
    spec.seed = a.seed.unwrap_or(spec.seed);
    if let Some(text) = &a.latency {
        let d = parse_dist("--latency", text)?;
        spec.write_request = d.clone();
        spec.write_ack = d.clone();
        spec.read_request = d.clone();
        spec.read_response = d;
    }
    for (name, leg, text) in [
        ("--write-request", &mut spec.write_request, &a.write_request),
        ("--write-ack", &mut spec.write_ack, &a.write_ack),
        ("--read-request", &mut spec.read_request, &a.read_request),
        ("--read-response", &mut spec.read_response, &a.read_response),
    ] {
        if let Some(text) = text {
            *leg = parse_dist(name, text)?;
        }
    }
    if a.no_propagation {
        spec.propagate = false;
    }
    let mut p = replicascope_engine::validate::Problems::default();
    spec.validate("", &mut p);
    for problem in &mut p.items {
        // The spec's field names are the flags' names.
        if !problem.field.starts_with("--") {
            problem.field = format!("--{}", problem.field.replace('_', "-"));
        }
    }
    p.into_result().map_err(|p| p.to_string())?;
    emit(&json(&explore(&spec))?)
}

fn cmd_bench(events: u64, only: Option<TopologyKind>, checker: bool) -> Outcome {
    let kinds: Vec<TopologyKind> = match only {
        None => TopologyKind::ALL.to_vec(),
        Some(k) => vec![k],
    };
    let start = std::time::Instant::now();
    let r = bench::run_some(
        events,
        &kinds,
        checker,
        || start.elapsed().as_secs_f64() * 1000.0,
        || Some(alloc::ALLOCATED.load(std::sync::atomic::Ordering::Relaxed) as u64),
    );
    emit(&json(&r)?)
}

/// Counts live heap bytes so the benchmark can report memory.
mod alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

    pub struct Counting;

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                // A load and a store rather than a locked read-modify-write: the CLI runs on one
                // thread, and a locked instruction per allocation would slow what is measured.
                ALLOCATED.store(ALLOCATED.load(Ordering::Relaxed).wrapping_add(layout.size()), Ordering::Relaxed);
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) };
            ALLOCATED.store(ALLOCATED.load(Ordering::Relaxed).wrapping_sub(layout.size()), Ordering::Relaxed);
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;
}
