//! `replicascope`: runs scenario files, checks histories, explores staleness, benchmarks.
//!
//! All output is JSON on stdout; problems go to stderr with a non-zero exit code. Input files
//! are untrusted: every problem is reported with the field (or line) and the reason.

use replicascope_engine::bench;
use replicascope_engine::metrics::report;
use replicascope_engine::run::AnyRun;
use replicascope_engine::scenario::Scenario;
use std::io::Write;
use std::process::ExitCode;
use std::rc::Rc;

/// Prints a line to stdout. A closed pipe (`replicascope run … | head`) ends the program
/// quietly instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = writeln!(stdout, $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            return Err(format!("cannot write the output: {e}"));
        }
    }};
}

const USAGE: &str = r#"replicascope — deterministic replication simulator

USAGE:
  replicascope run FILE [--seed N] [--seeds A..B] [--trace OUT.jsonl]
      Runs every topology of a scenario file and prints metrics and anomalies as JSON.
      --seeds A..B runs a sweep and prints one JSON line per seed.
      --trace writes every step, message and annotation as JSON lines.
  replicascope check FILE [--budget STATES]
      Checks a Jepsen EDN history: linearizability per key and every anomaly, as JSON.
      Exit status 0: nothing found; 1: anomalies found; 2: the file is malformed (line and reason).
  replicascope staleness [--n N] [--r R] [--w W] [--trials T] [--max-ms MS] [--points P]
                         [--latency DIST] [--write-request DIST] [--write-ack DIST]
                         [--read-request DIST] [--read-response DIST] [--no-propagation] [--seed S]
      Probabilistically bounded staleness: P(a read t ms after a write commits returns it),
      t-visibility at 99.9%, and the closed form C(N-W,R)/C(N,R). DIST is JSON as in scenario
      files, e.g. '{"exponential": {"mean_ms": 2}}'.
  replicascope bench [--events N] [--only TOPOLOGY] [--no-checker]
      Prints engine throughput, seek time and memory figures, and checker timings.
  replicascope validate FILE
      Checks a scenario file and prints its problems.
  replicascope link FILE [--t SECONDS] [--embed]
      Prints the link fragment (after `#`) that opens the scenario in the page: the compact
      form, or the readable one when the file is exactly a preset.
"#;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => cmd_run(&args[1..]),
        Some("validate") => cmd_validate(&args[1..]),
        Some("check") => cmd_check(&args[1..]),
        Some("staleness") => cmd_staleness(&args[1..]),
        Some("bench") => cmd_bench(&args[1..]),
        Some("link") => cmd_link(&args[1..]),
        Some("-h") | Some("--help") | Some("help") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown command\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // An empty error means "a verdict was printed and it found something".
        Err(e) if e.is_empty() => ExitCode::from(1),
        Err(e) => {
            eprintln!("replicascope: {e}");
            ExitCode::from(2)
        }
    }
}

/// Reads a file, refusing anything over 8 MB.
fn read_file(path: &str) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{path}: {e}"))?;
    if meta.len() > 8 * 1024 * 1024 {
        return Err(format!("{path}: file is larger than 8 MB"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{path}: not UTF-8 text"))
}

fn flag<'a>(args: &'a [String], name: &str) -> Result<Option<&'a str>, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args.get(i + 1).map(|s| Some(s.as_str())).ok_or_else(|| format!("{name} needs a value")),
    }
}

fn load(path: &str) -> Result<Scenario, String> {
    let text = read_file(path)?;
    Scenario::from_json(&text).map_err(|p| format!("{path}:\n{p}"))
}

fn cmd_validate(args: &[String]) -> Result<(), String> {
    let path = args.first().ok_or("validate needs a FILE")?;
    let s = load(path)?;
    s.compile().map_err(|p| format!("{path}:\n{p}"))?;
    out!("{{\"valid\": true}}");
    Ok(())
}

fn cmd_link(args: &[String]) -> Result<(), String> {
    use replicascope_engine::link::{encode, LinkState, MAX_LINK};
    let path = args.first().filter(|a| !a.starts_with("--")).ok_or("link needs a FILE")?;
    let s = load(path)?;
    s.compile().map_err(|p| format!("{path}:\n{p}"))?;
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
    if let Some(t) = flag(args, "--t")? {
        let t: f64 = t.parse().map_err(|_| format!("--t: \"{t}\" is not a number of seconds"))?;
        if !(t.is_finite() && t >= 0.0) {
            return Err("--t must be a number of seconds ≥ 0".into());
        }
        state.time = ((t * 1e6) as u64).min(state.scenario.duration.0);
    }
    state.view.embed = args.iter().any(|a| a == "--embed");
    let fragment = encode(&state, &replicascope_engine::presets::preset);
    if fragment.len() > MAX_LINK {
        return Err(format!("the link would be {} characters; the page reads at most {MAX_LINK}", fragment.len()));
    }
    out!("{fragment}");
    Ok(())
}

fn cmd_run(args: &[String]) -> Result<(), String> {
    let path = args.first().filter(|a| !a.starts_with("--")).ok_or("run needs a FILE")?;
    let mut scenario = load(path)?;
    if let Some(seed) = flag(args, "--seed")? {
        scenario.seed = seed.parse().map_err(|_| format!("--seed: \"{seed}\" is not a whole number"))?;
    }
    let trace_out = flag(args, "--trace")?;
    if let Some(range) = flag(args, "--seeds")? {
        let (a, b) = range.split_once("..").ok_or("--seeds takes A..B")?;
        let a: u64 = a.parse().map_err(|_| "--seeds: A is not a number")?;
        let b: u64 = b.parse().map_err(|_| "--seeds: B is not a number")?;
        if b < a || b - a > 100_000 {
            return Err("--seeds: B must be ≥ A and the range at most 100000 seeds".into());
        }
        let mut out = std::io::stdout().lock();
        for seed in a..b {
            scenario.seed = seed;
            let plan = Rc::new(scenario.compile().map_err(|p| format!("{path}:\n{p}"))?);
            let mut line = serde_json::Map::new();
            line.insert("seed".into(), seed.into());
            for kind in scenario.kinds() {
                let mut run = AnyRun::new(kind, plan.clone()).ok_or("topology missing")?;
                run.run_to_end();
                let r = report(&run);
                line.insert(kind.name().into(), serde_json::to_value(&r.metrics).map_err(|e| e.to_string())?);
            }
            writeln!(out, "{}", serde_json::Value::Object(line)).map_err(|e| e.to_string())?;
        }
        return Ok(());
    }
    let plan = Rc::new(scenario.compile().map_err(|p| format!("{path}:\n{p}"))?);
    let mut result = serde_json::Map::new();
    result.insert("scenario".into(), scenario.name.clone().into());
    result.insert("seed".into(), scenario.seed.into());
    let mut trace_file = match trace_out {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p).map_err(|e| format!("{p}: {e}"))?)),
        None => None,
    };
    for kind in scenario.kinds() {
        let mut run = AnyRun::new(kind, plan.clone()).ok_or("topology missing")?;
        run.run_to_end();
        let r = report(&run);
        if let Some(f) = trace_file.as_mut() {
            write_trace(f, &run).map_err(|e| e.to_string())?;
        }
        result.insert(kind.name().into(), serde_json::to_value(&r).map_err(|e| e.to_string())?);
    }
    out!("{}", serde_json::to_string_pretty(&serde_json::Value::Object(result)).map_err(|e| e.to_string())?);
    Ok(())
}

fn write_trace(f: &mut impl Write, run: &AnyRun) -> std::io::Result<()> {
    f.write_all(run.trace_jsonl().as_bytes())
}

fn cmd_check(args: &[String]) -> Result<(), String> {
    use replicascope_engine::jepsen::{check_imported, import_edn};
    let path = args.first().filter(|a| !a.starts_with("--")).ok_or("check needs a FILE (a Jepsen EDN history)")?;
    let text = read_file(path)?;
    let imported = import_edn(&text).map_err(|e| format!("{path}: {e}"))?;
    let budget = number::<u64>(args, "--budget")?.unwrap_or(replicascope_engine::linearizability::STATE_BUDGET);
    let report = check_imported(&imported, budget);
    out!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    if report.linearizable == Some(false) || !report.anomalies.is_empty() {
        // A verdict was reached; exit 1 tells scripts that something was found.
        return Err(format!("{path}: {} anomaly(ies) found", report.anomalies.len())).map_err(|e| {
            eprintln!("replicascope: {e}");
            String::new()
        });
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

fn number<T: std::str::FromStr>(args: &[String], name: &str) -> Result<Option<T>, String> {
    match flag(args, name)? {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| format!("{name}: \"{v}\" is not a number")),
    }
}

fn cmd_staleness(args: &[String]) -> Result<(), String> {
    use replicascope_engine::staleness::{explore, StalenessSpec};
    use replicascope_engine::validate::Validate;
    let mut spec = StalenessSpec::default();
    if let Some(v) = number(args, "--n")? {
        spec.n = v;
    }
    if let Some(v) = number(args, "--r")? {
        spec.r = v;
    }
    if let Some(v) = number(args, "--w")? {
        spec.w = v;
    }
    if let Some(v) = number(args, "--trials")? {
        spec.trials = v;
    }
    if let Some(v) = number(args, "--max-ms")? {
        spec.max_ms = v;
    }
    if let Some(v) = number(args, "--points")? {
        spec.points = v;
    }
    if let Some(v) = number(args, "--seed")? {
        spec.seed = v;
    }
    if let Some(text) = flag(args, "--latency")? {
        let d = parse_dist("--latency", text)?;
        spec.write_request = d.clone();
        spec.write_ack = d.clone();
        spec.read_request = d.clone();
        spec.read_response = d;
    }
    for (name, leg) in [
        ("--write-request", &mut spec.write_request),
        ("--write-ack", &mut spec.write_ack),
        ("--read-request", &mut spec.read_request),
        ("--read-response", &mut spec.read_response),
    ] {
        if let Some(text) = flag(args, name)? {
            *leg = parse_dist(name, text)?;
        }
    }
    if args.iter().any(|a| a == "--no-propagation") {
        spec.propagate = false;
    }
    let mut p = replicascope_engine::validate::Problems::default();
    spec.validate("", &mut p);
    p.into_result().map_err(|p| p.to_string())?;
    let result = explore(&spec);
    out!("{}", serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?);
    Ok(())
}

fn cmd_bench(args: &[String]) -> Result<(), String> {
    let events: u64 = match flag(args, "--events")? {
        Some(v) => v.parse().map_err(|_| "--events: not a number")?,
        None => 100_000,
    };
    let kinds: Vec<replicascope_engine::scenario::TopologyKind> = match flag(args, "--only")? {
        None => replicascope_engine::scenario::TopologyKind::ALL.to_vec(),
        Some(name) => vec![replicascope_engine::scenario::TopologyKind::parse(name)
            .ok_or_else(|| format!("--only: \"{name}\" is not leader_follower, multi_leader or leaderless"))?],
    };
    let start = std::time::Instant::now();
    let r = bench::run_some(
        events,
        &kinds,
        !args.iter().any(|a| a == "--no-checker"),
        || start.elapsed().as_secs_f64() * 1000.0,
        || Some(alloc::ALLOCATED.load(std::sync::atomic::Ordering::Relaxed) as u64),
    );
    out!("{}", serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?);
    Ok(())
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
