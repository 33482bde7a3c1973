//! Scenario files and imported histories are untrusted input: whatever arrives, reading and
//! compiling it returns (a scenario, a plan, or problems that name a field or a line) and never
//! panics. Two generators each: raw text from the format's own alphabet, and mutations (cuts,
//! flips, splices, number swaps) of valid documents — the scenario files in `scenarios/` and
//! hand-written Jepsen histories — so that the deep paths are reached. A failure prints the
//! input that caused it. Runs a fixed number of inputs per generator from one seeded RNG.

use replicascope_engine::jepsen::{check_imported, check_model_edn, import_edn, Conventions, ModelKind};
use replicascope_engine::rng::{SimRng, Stream};
use replicascope_engine::scenario::Scenario;

const CASES: u64 = 4_000;

const SCENARIOS: &[&str] = &[
    include_str!("../../scenarios/leader-follower-failover.json"),
    include_str!("../../scenarios/multi-leader-lww-skew.json"),
    include_str!("../../scenarios/leaderless-not-linearizable.json"),
    include_str!("../../scenarios/presets/split-brain.json"),
    include_str!("../../scenarios/presets/cassandra.json"),
    include_str!("../../scenarios/presets/tokyo-virginia.json"),
];

const HISTORIES: &[&str] = &[
    "{:process 0, :type :invoke, :f :write, :value [:x 1]}\n{:process 0, :type :ok, :f :write, :value [:x 1]}\n{:process 1, :type :invoke, :f :read, :value [:x nil]}\n{:process 1, :type :ok, :f :read, :value [:x 1]}\n",
    "{:process 0 :type :invoke :f :cas :value [1 2]}\n{:process 0 :type :info :f :cas :value [1 2]}\n{:process 1 :type :invoke :f :read :value nil}\n{:process 1 :type :ok :f :read :value 2}\n",
    "{:type :invoke, :f :write, :value 3, :process 4, :time 100}\n{:type :fail, :f :write, :value 3, :process 4, :time 200}\n",
    "{:process 0, :type :invoke, :f :append, :key \"0\", :value \"x 0 0 y\"}\n{:process 0, :type :ok, :f :append, :key \"0\", :value \"x 0 0 y\"}\n{:process 1, :type :invoke, :f :get, :key \"0\", :value nil}\n{:process 1, :type :ok, :f :get, :key \"0\", :value \"x 0 0 y\"}\n",
    "[{:process 0, :type :invoke, :f :txn, :value [[:write :x 1] [:read :y nil]]}\n {:process 0, :type :ok, :f :txn, :value [[:write :x 1] [:read :y 2]]}]\n",
    "({:process 0, :type :invoke, :f :acquire, :value nil}\n {:process 0, :type :info, :f :acquire, :value nil}\n {:process 1, :type :invoke, :f :release})\n",
];

fn pick<'a>(rng: &mut SimRng, list: &[&'a str]) -> &'a str {
    list[rng.below(list.len() as u64) as usize]
}

/// A random change to a valid document: cut it, flip a byte, splice another document in,
/// replace a number by an extreme one, or duplicate a slice.
fn mutate(rng: &mut SimRng, text: &str, others: &[&str]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(6) {
            0 => bytes.truncate(at),
            1 => bytes[at] = rng.below(256) as u8,
            2 => {
                let other = pick(rng, others).as_bytes();
                let from = rng.below(other.len() as u64) as usize;
                let len = rng.below(200) as usize;
                let piece: Vec<u8> = other[from..(from + len).min(other.len())].to_vec();
                bytes.splice(at..at, piece);
            }
            3 => {
                let n = [
                    "-1",
                    "0",
                    "1e309",
                    "18446744073709551616",
                    "-9223372036854775809",
                    "NaN",
                    "\"\"",
                    "null",
                    "[]",
                    "{}",
                ];
                let n = n[rng.below(n.len() as u64) as usize].as_bytes();
                let end = (at + 1 + rng.below(8) as usize).min(bytes.len());
                bytes.splice(at..end, n.iter().copied());
            }
            4 => {
                let end = (at + rng.below(64) as usize).min(bytes.len());
                let dup = bytes[at..end].to_vec();
                bytes.splice(at..at, dup);
            }
            _ => {
                bytes.remove(at);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn random_from(rng: &mut SimRng, alphabet: &[&str], max: u64) -> String {
    (0..rng.below(max)).map(|_| pick(rng, alphabet)).collect()
}

#[test]
fn scenario_files_never_panic() {
    const JSON: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"duration\"",
        "\"seed\"",
        "\"faults\"",
        "\"topologies\"",
        "\"leader_follower\"",
        "\"leaderless\"",
        "\"multi_leader\"",
        "\"workload\"",
        "\"script\"",
        "\"at\"",
        "\"op\"",
        "\"fault\"",
        "\"5s\"",
        "\"-1s\"",
        "\"2h\"",
        "1",
        "-1",
        "1e400",
        "true",
        "null",
        "\"crash n1\"",
        "\"write x=1\"",
        "\"partition n1 | n2\"",
        " ",
        "\"w\"",
        "\"n\"",
        "\"nodes\"",
        "\"session\"",
        "\"c1\"",
    ];
    let mut rng = SimRng::new(7, Stream::Workload);
    for case in 0..CASES {
        let text = if case % 2 == 0 {
            random_from(&mut rng, JSON, 60)
        } else {
            let base = pick(&mut rng, SCENARIOS);
            mutate(&mut rng, base, SCENARIOS)
        };
        let outcome = std::panic::catch_unwind(|| match Scenario::from_json(&text) {
            Ok(s) => s.compile().map(|_| ()).map_err(|p| {
                assert!(!p.items.is_empty() && p.items.iter().all(|i| !i.message.is_empty()));
            }),
            Err(p) => {
                assert!(!p.items.is_empty(), "a refusal names its problem");
                Err(())
            }
        });
        assert!(outcome.is_ok(), "case {case} panicked on:\n{text}");
    }
}

#[test]
fn imported_histories_never_panic() {
    const EDN: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "#{",
        "#inst \"2020\"",
        ";comment\n",
        "\n",
        " ",
        ",",
        ":process",
        ":type",
        ":invoke",
        ":ok",
        ":fail",
        ":info",
        ":f",
        ":read",
        ":write",
        ":cas",
        ":value",
        "nil",
        "0",
        "1",
        "-1",
        "99999999999999999999",
        "\"s\"",
        "\\",
        "[:x 1]",
        "[1 2]",
        ":time",
        "1e5",
        "#_",
        "#jepsen.history.Op",
        "#",
        "(\n",
        ")\n",
        ":get",
        ":put",
        ":append",
        ":key",
        ":txn",
        ":acquire",
        ":release",
        "[[:read :x nil] [:write :y 2]]",
    ];
    let mut rng = SimRng::new(11, Stream::Workload);
    for case in 0..CASES {
        let text = if case % 2 == 0 {
            random_from(&mut rng, EDN, 80)
        } else {
            let base = pick(&mut rng, HISTORIES);
            mutate(&mut rng, base, HISTORIES)
        };
        let outcome = std::panic::catch_unwind(|| match import_edn(&text) {
            Ok(imported) => {
                let report = check_imported(&imported, 10_000);
                assert!(report.operations <= text.len());
            }
            Err(e) => assert!(e.contains("line"), "a refusal names the line: {e}"),
        });
        assert!(outcome.is_ok(), "case {case} panicked on:\n{text}");
        // What the page draws from a dropped file, with every model.
        for model in ModelKind::ALL {
            let outcome = std::panic::catch_unwind(|| {
                match replicascope_engine::jepsen::diagram(&text, model, Conventions::default(), 10_000) {
                    Ok(d) => {
                        for object in &d.objects {
                            let layout = object.layout(50);
                            assert!(layout.shown <= 50 && layout.bars.iter().all(|b| b.start <= b.end));
                        }
                    }
                    Err(e) => assert!(e.contains("line"), "a refusal names the line: {e}"),
                }
            });
            assert!(outcome.is_ok(), "case {case} panicked drawing a {} history from:\n{text}", model.name());
        }
        for model in [ModelKind::Kv, ModelKind::MultiRegister, ModelKind::Mutex] {
            let outcome =
                std::panic::catch_unwind(|| match check_model_edn(&text, model, Conventions::default(), 10_000) {
                    Ok(report) => assert!(report.operations <= text.len()),
                    Err(e) => assert!(e.contains("line"), "a refusal names the line: {e}"),
                });
            assert!(outcome.is_ok(), "case {case} panicked as a {} history on:\n{text}", model.name());
        }
    }
}

#[test]
fn a_link_with_more_than_200_changes_keeps_the_first_200_and_says_so() {
    use replicascope_engine::link::{decode, MAX_INTERVENTIONS};
    use replicascope_engine::presets::{default_scenario, preset};
    let changes: Vec<String> = (0..MAX_INTERVENTIONS + 25).map(|i| format!("i=lf@{}ms@crash%20n2", i * 10)).collect();
    let fragment = format!("preset=two-am-failover&{}", changes.join("&"));
    let (state, problems) = decode(&fragment, &default_scenario, &preset);
    let kept = state.interventions.len();
    assert_eq!(kept, MAX_INTERVENTIONS);
    assert!(problems.iter().any(|p| p.contains(&format!("{} changes", MAX_INTERVENTIONS + 25))), "{problems:?}");
    // Exactly at the cap: nothing dropped, nothing said.
    let fragment = format!("preset=two-am-failover&{}", changes[..MAX_INTERVENTIONS].join("&"));
    let (state, problems) = decode(&fragment, &default_scenario, &preset);
    assert_eq!(state.interventions.len(), MAX_INTERVENTIONS);
    assert!(problems.is_empty(), "{problems:?}");
}
