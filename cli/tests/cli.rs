//! The `replicascope` command as a user runs it: every subcommand, its output and its exit
//! status, bad input of each kind the README lists (an error naming the field or line, exit 2,
//! never a panic), a closed pipe and mistyped flags.

use assert_cmd::Command;
use replicascope_engine::scenario::Scenario;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

fn cli() -> Command {
    Command::cargo_bin("replicascope").unwrap()
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

const EXAMPLE: &str = "scenarios/leader-follower-failover.json";

/// A file in a fresh temporary directory, removed with the directory when dropped. Pass it by
/// reference (`.arg(&file)`): moved into `arg`, it would be dropped before the command runs.
struct Temp(PathBuf);

impl AsRef<std::ffi::OsStr> for Temp {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn temp(name: &str, bytes: &[u8]) -> Temp {
    let dir = std::env::temp_dir().join(format!("replicascope-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    Temp(p)
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn run_prints_one_json_object_with_every_pane() {
    let out = cli().args(["run"]).arg(repo(EXAMPLE)).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["seed"], 7);
    let lf = &v["leader_follower"];
    assert!(lf["metrics"]["writes"]["ok"].as_u64().unwrap() > 0);
    assert!(lf["anomalies"].as_array().unwrap().iter().any(|a| a["kind"] == "lost_write"));
    // --seed overrides the file's seed.
    let out = cli().args(["run"]).arg(repo(EXAMPLE)).args(["--seed", "3"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["seed"], 3);
}

/// A scenario with the single-node baseline has a fourth pane in the output, and its link (a
/// custom scenario with narration and all four panes) opens the same scenario.
#[test]
fn the_single_node_pane_runs_and_links() {
    use replicascope_engine::link::decode;
    use replicascope_engine::presets::{default_scenario, preset};
    let mut file =
        Scenario::from_json(&std::fs::read_to_string(repo("scenarios/presets/what-replication-buys.json")).unwrap())
            .unwrap();
    let out = cli().args(["run"]).arg(repo("scenarios/presets/what-replication-buys.json")).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    let single = &v["single_node"];
    assert!(single["metrics"]["writes"]["ok"].as_u64().unwrap() > 100);
    assert_eq!(single["metrics"]["lost_acknowledged_writes"], 0);
    assert!(single["anomalies"].as_array().unwrap().is_empty());
    // Not the preset any more: the compact form, narration and all.
    file.name = "My baseline".into();
    let f = temp("baseline.json", serde_json::to_string(&file).unwrap().as_bytes());
    let out = cli().arg("link").arg(&f).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let fragment = stdout_of(&out).trim().to_string();
    assert!(fragment.starts_with("c="), "{fragment}");
    let (state, problems) = decode(&fragment, &default_scenario, &preset);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(state.scenario, file);
}

#[test]
fn run_with_seeds_prints_a_line_per_seed_and_a_trace_file() {
    let out = cli().args(["run"]).arg(repo(EXAMPLE)).args(["--seeds", "4..7"]).output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = stdout_of(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.iter().map(|l| l["seed"].as_u64().unwrap()).collect::<Vec<_>>(), vec![4, 5, 6]);
    assert!(lines.iter().all(|l| l["leader_follower"]["writes"]["invoked"].as_u64().unwrap() > 0));

    let trace = std::env::temp_dir().join(format!("replicascope-trace-{}.jsonl", std::process::id()));
    let out = cli().args(["run"]).arg(repo(EXAMPLE)).arg("--trace").arg(&trace).output().unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&trace).unwrap();
    let _ = std::fs::remove_file(&trace);
    let kinds: std::collections::BTreeSet<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["annotation", "history", "message", "step"].map(String::from).into());
}

#[test]
fn validate_accepts_a_good_file_and_names_the_field_of_a_bad_one() {
    let out = cli().arg("validate").arg(repo(EXAMPLE)).output().unwrap();
    assert!(out.status.success());
    assert_eq!(stdout_of(&out).trim(), "{\"valid\": true}");

    // Each kind of malformed input: the field's path or the line, exit 2, no panic.
    let cases: &[(&str, &[u8], &str)] = &[
        ("syntax.json", b"{\"duration\": ", "line 1"),
        ("unknown-field.json", b"{\"durration\": \"5s\"}", "durration"),
        ("bare-number.json", b"{\"duration\": 5000}", "has no unit"),
        ("negative.json", b"{\"duration\": \"-1s\"}", "negative"),
        ("hours.json", b"{\"duration\": \"2h\"}", "out of range"),
        ("range.json", b"{\"topologies\": {\"leaderless\": {\"w\": 9}}}", "topologies.leaderless.w"),
        ("duration-range.json", b"{\"topologies\": {\"leader_follower\": {\"failure_timeout\": \"5ms\"}}}", "allowed 20ms to 10 min"),
        ("bad-op.json", b"{\"topologies\": {\"leader_follower\": {}}, \"workload\": {\"script\": [{\"at\": \"1s\", \"session\": \"c1\", \"op\": \"frobnicate x\"}]}}", "workload.script[0].op"),
        ("bad-fault.json", b"{\"topologies\": {\"leader_follower\": {}}, \"faults\": [{\"at\": \"1s\", \"fault\": \"crash n9\"}]}", "faults[0].fault"),
        ("g-counter.json", b"{\"topologies\": {\"multi_leader\": {\"counter\": \"g_counter\"}}, \"workload\": {\"script\": [{\"at\": \"1s\", \"session\": \"c1\", \"op\": \"decr likes\"}]}}", "G-counter"),
        ("not-utf8.json", &[0xff, 0xfe, 0x00, 0x7b], "not UTF-8"),
        ("array.json", b"[1, 2, 3]", "line 1"),
    ];
    for (name, bytes, expect) in cases {
        let file = temp(name, bytes);
        let out = cli().arg("validate").arg(&file).output().unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(expect), "{name}: expected {expect:?} in {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let out = cli().arg("validate").arg("/nonexistent/scenario.json").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Larger than 8 MB: refused before it is read.
    let big = temp("big.json", &vec![b' '; 8 * 1024 * 1024 + 1]);
    let out = cli().arg("validate").arg(&big).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("larger than 8 MB"));
}

#[test]
fn check_exits_0_for_a_linearizable_history_1_for_anomalies_2_for_a_malformed_file() {
    let good = temp(
        "good.edn",
        b"{:process 0, :type :invoke, :f :write, :value [:x 1]}\n{:process 0, :type :ok, :f :write, :value [:x 1]}\n{:process 1, :type :invoke, :f :read, :value [:x nil]}\n{:process 1, :type :ok, :f :read, :value [:x 1]}\n",
    );
    let out = cli().arg("check").arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["linearizable"], true);

    let bad = temp(
        "bad.edn",
        b"{:process 0, :type :invoke, :f :write, :value [:x 1]}\n{:process 0, :type :ok, :f :write, :value [:x 1]}\n{:process 1, :type :invoke, :f :read, :value [:x nil]}\n{:process 1, :type :ok, :f :read, :value [:x nil]}\n",
    );
    let out = cli().arg("check").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["linearizable"], false);

    let broken = temp("broken.edn", b"{:process 0, :type :invoke, :f :write, :value [:x 1]\n");
    let out = cli().arg("check").arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("line"), "{}", stderr_of(&out));
}

#[test]
fn check_reads_knossos_histories_with_knossos_conventions() {
    // A Knossos-style list of maps, with a comment: a cas from 0 (the register starts at 0) and
    // a read that returned nil (it constrains nothing under Knossos' models).
    let text = b"; cas-register starts at 0\n({:type :invoke, :f :cas, :value [0 2], :process 0}\n {:type :ok, :f :cas, :value [0 2], :process 0}\n {:type :invoke, :f :read, :value nil, :process 1}\n {:type :ok, :f :read, :value nil, :process 1})\n";
    let file = temp("knossos.edn", text);
    let out = cli().arg("check").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "ReplicaScope's conventions: empty register, nil = absent");
    let out = cli().arg("check").arg(&file).args(["--initial", "0", "--nil-read", "any"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["linearizable"], true);
    let out = cli().arg("check").arg(&file).args(["--nil-read", "sometimes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("absent or any"));
    let out = cli().arg("check").arg(&file).args(["--initial", "-3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a negative initial value is a value: {}", stderr_of(&out));
}

#[test]
fn check_takes_a_model_for_histories_of_other_objects() {
    let text = b"{:process 0, :type :invoke, :f :append, :key \"k\", :value \"a\"}\n{:process 0, :type :ok, :f :append, :key \"k\", :value \"a\"}\n{:process 0, :type :invoke, :f :get, :key \"k\", :value nil}\n{:process 0, :type :ok, :f :get, :key \"k\", :value \"\"}\n";
    let file = temp("kv.edn", text);
    let out = cli().arg("check").arg(&file).args(["--model", "kv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!((v["model"].as_str(), v["linearizable"].as_bool()), (Some("kv"), Some(false)));
    // Without --model the register reader refuses it and says where to look.
    let out = cli().arg("check").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--model"), "{}", stderr_of(&out));
    let out = cli().arg("check").arg(&file).args(["--model", "queue"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("kv, multi-register or mutex"), "{}", stderr_of(&out));
    let mutex = temp("mutex.edn", b"{:process 0, :type :invoke, :f :acquire}\n{:process 0, :type :ok, :f :acquire}\n{:process 0, :type :invoke, :f :release}\n{:process 0, :type :ok, :f :release}\n");
    let out = cli().arg("check").arg(&mutex).args(["--model", "mutex"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
}

#[test]
fn link_prints_a_fragment_that_opens_the_same_scenario() {
    use replicascope_engine::link::decode;
    use replicascope_engine::presets::{default_scenario, preset};
    // A custom file: the compact form.
    let out = cli().arg("link").arg(repo(EXAMPLE)).args(["--t", "4"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let fragment = stdout_of(&out).trim().to_string();
    let (state, problems) = decode(&fragment, &default_scenario, &preset);
    assert!(problems.is_empty(), "{problems:?}");
    let file = Scenario::from_json(&std::fs::read_to_string(repo(EXAMPLE)).unwrap()).unwrap();
    assert_eq!(state.scenario, file);
    assert_eq!(state.time, 4_000_000);
    // A preset file: the readable form, which decodes to the preset.
    let out = cli().arg("link").arg(repo("scenarios/presets/split-brain.json")).arg("--embed").output().unwrap();
    let fragment = stdout_of(&out).trim().to_string();
    assert!(fragment.starts_with("preset=split-brain"), "{fragment}");
    let (state, problems) = decode(&fragment, &default_scenario, &preset);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(state.scenario, preset("split-brain").unwrap());
    assert!(state.view.embed);
}

#[test]
fn staleness_prints_the_curve_and_refuses_impossible_quorums() {
    let out = cli()
        .args(["staleness", "--n", "3", "--r", "1", "--w", "1", "--trials", "2000", "--no-propagation"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert!(v.as_object().unwrap().keys().any(|k| k.contains("closed")), "{v}");
    let out = cli().args(["staleness", "--n", "3", "--r", "5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--r: 5 is out of range"), "{}", stderr_of(&out));
    let out = cli().args(["staleness", "--latency", "{\"exponential\": {\"mean_ms\": -1}}"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bench_runs_a_small_measurement() {
    let out = cli().args(["bench", "--events", "2000", "--only", "leaderless", "--no-checker"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert!(v.to_string().contains("leaderless"), "{v}");
}

#[test]
fn mistakes_in_the_command_line_are_errors_with_the_usage_line() {
    for args in [
        vec!["run", EXAMPLE, "--sed", "3"],
        vec!["run", EXAMPLE, "--seed"],
        vec!["run", EXAMPLE, "--seed", "banana"],
        vec!["run", EXAMPLE, "--seeds", "9..3"],
        vec!["run", EXAMPLE, "--seed", "1", "--seeds", "1..3"],
        vec!["run"],
        vec!["link", EXAMPLE, "--t", "-1"],
        vec!["bench", "--only", "paxos"],
        vec!["bench", "--events", "0"],
        vec!["frobnicate"],
        vec![],
    ] {
        let out = cli().current_dir(repo("")).args(&args).output().unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("Usage:") || err.contains("usage"), "{args:?}: {err}");
    }
    let out = cli().arg("--version").output().unwrap();
    assert!(out.status.success() && stdout_of(&out).starts_with("replicascope "));
    for sub in ["run", "validate", "check", "staleness", "bench", "link"] {
        let out = cli().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success() && stdout_of(&out).contains("Usage: replicascope"), "{sub}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // `replicascope run FILE --seeds 0..500 | head -1`: the reader goes away after one line.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("replicascope"))
        .arg("run")
        .arg(repo(EXAMPLE))
        .args(["--seeds", "0..500"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("\"seed\":0"), "{first}");
    // The reader has dropped its end of the pipe.
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "exit {status}: {err}");
    assert!(err.is_empty(), "{err}");
    let _ = std::io::stdout().flush();
}

#[test]
fn check_smallest_names_the_fewest_operations_by_line() {
    let text = b"{:process 4, :type :invoke, :f :read, :value nil}\n{:process 4, :type :ok, :f :read, :value nil}\n\
{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n\
{:process 1, :type :invoke, :f :write, :value 2}\n{:process 1, :type :ok, :f :write, :value 2}\n\
{:process 2, :type :invoke, :f :read, :value nil}\n{:process 2, :type :ok, :f :read, :value 1}\n";
    let file = temp("smallest.edn", text);
    let out = cli().arg("check").arg(&file).arg("--smallest").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    let s = &v["smallest"][0];
    assert_eq!(s["lines"], serde_json::json!([3, 5, 7]), "write 1, write 2, read 1 — not the harmless first read: {s}");
    assert_eq!(s["minimal"], true);
    assert!(
        s["story"].as_str().unwrap().contains("“write 2” (process 1) ended before “read 1” (process 2) began"),
        "{s}"
    );
    // Without the flag the report is as it was; other models take it too.
    let out = cli().arg("check").arg(&file).output().unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&stdout_of(&out)).unwrap().get("smallest").is_none());
    let two = temp("two.edn", b"{:process 0, :type :invoke, :f :acquire}\n{:process 0, :type :ok, :f :acquire}\n{:process 1, :type :invoke, :f :acquire}\n{:process 1, :type :ok, :f :acquire}\n");
    let out = cli().arg("check").arg(&two).args(["--model", "mutex", "--smallest"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(v["smallest"][0]["lines"], serde_json::json!([1, 3]));
}
