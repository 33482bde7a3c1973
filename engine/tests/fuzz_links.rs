//! Fuzzing the link decoder: one million inputs, zero panics.
//!
//! Inputs come from three generators, mixed: raw random bytes; fragments assembled from the
//! link grammar's own words with random values (so that the deep paths — overrides,
//! interventions, compact payloads — are reached); and random mutations (flips, cuts, splices)
//! of valid links, including compact ones. Every decode must return, and its scenario must
//! compile. A failure prints the input that caused it.

use base64::Engine as _;
use replicascope_engine::link::{decode, encode, LinkState};
use replicascope_engine::rng::{SimRng, Stream};
use replicascope_engine::scenario::Scenario;
use replicascope_engine::topology::leader_follower::LfConfig;
use replicascope_engine::topology::leaderless::LlConfig;
use replicascope_engine::topology::multi_leader::MlConfig;

fn default() -> Scenario {
    let mut s = Scenario::default();
    s.topologies.leader_follower = Some(LfConfig::default());
    s.topologies.multi_leader = Some(MlConfig::default());
    s.topologies.leaderless = Some(LlConfig::default());
    s
}

fn preset(name: &str) -> Option<Scenario> {
    (name == "demo").then(default)
}

const WORDS: &[&str] = &[
    "preset",
    "demo",
    "seed",
    "t",
    "speed",
    "panes",
    "embed",
    "controls",
    "narration",
    "autoplay",
    "i",
    "c",
    "lf.mode",
    "lf.nodes",
    "lf.fencing",
    "lf.read_routing",
    "ml.topology",
    "ml.leaders",
    "ll.w",
    "ll.r",
    "ll.n",
    "ll.sloppy_quorum",
    "lf",
    "ml",
    "ll",
    "sn",
    "crash n1",
    "restart n2",
    "partition n1 | n2",
    "c1: write x=1",
    "drop msg 3",
    "skew n2 +5s",
    "semi_sync",
    "ring",
    "3.5s",
    "0",
    "1",
    "-1",
    "1e308",
    "NaN",
    "%",
    "%2",
    "%ZZ",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "\u{0}",
    "\u{202e}",
    "🙂",
    "&",
    "=",
    "@",
    ",",
    "..",
];

fn pick<'a>(rng: &mut SimRng, v: &[&'a str]) -> &'a str {
    v[rng.below(v.len() as u64) as usize]
}

fn random_bytes(rng: &mut SimRng) -> String {
    let n = rng.below(64) as usize;
    let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn grammar(rng: &mut SimRng) -> String {
    let parts = 1 + rng.below(6);
    let mut out = Vec::new();
    for _ in 0..parts {
        let k = pick(rng, WORDS);
        let v = match rng.below(4) {
            0 => pick(rng, WORDS).to_string(),
            1 => format!(
                "{}@{}@{}",
                pick(rng, &["lf", "ml", "ll", "sn", "zz"]),
                pick(rng, &["1s", "0s", "9999m", "x"]),
                pick(rng, WORDS)
            ),
            2 => (rng.next_u64() % 1000).to_string(),
            _ => {
                let n = rng.below(40) as usize;
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
            }
        };
        out.push(format!("{k}={v}"));
    }
    out.join("&")
}

fn mutate(rng: &mut SimRng, base: &str) -> String {
    let mut b = base.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            break;
        }
        let i = rng.below(b.len() as u64) as usize;
        match rng.below(4) {
            0 => b[i] = rng.next_u64() as u8,
            1 => b.truncate(i),
            2 => {
                b.remove(i);
            }
            _ => {
                let j = rng.below(b.len() as u64) as usize;
                let chunk: Vec<u8> = b[i.min(j)..i.max(j)].to_vec();
                b.extend(chunk);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

#[test]
fn a_million_hostile_links_never_panic() {
    // Valid links to mutate: readable and compact.
    let mut readable = LinkState::new(default());
    readable.preset = Some("demo".into());
    let mut custom = LinkState::new(default());
    custom.scenario.name = "custom".into();
    custom.interventions.push((
        replicascope_engine::vocab::TopologyKind::Leaderless,
        replicascope_engine::faults::Intervention { at: 1_000_000, action: "crash n2".into() },
    ));
    let seeds = [encode(&readable, &preset), encode(&custom, &preset)];
    let mut rng = SimRng::new(2026, Stream::Workload);
    let inputs: u64 = std::env::var("FUZZ_INPUTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    for n in 0..inputs {
        let input = match n % 3 {
            0 => random_bytes(&mut rng),
            1 => grammar(&mut rng),
            _ => {
                let base = &seeds[(n / 3 % 2) as usize];
                mutate(&mut rng, base)
            }
        };
        let result = std::panic::catch_unwind(|| {
            let (state, _problems) = decode(&input, &default, &preset);
            assert!(state.scenario.compile().is_ok(), "decoded scenario does not compile");
        });
        if result.is_err() {
            failures.push(input);
            if failures.len() > 5 {
                break;
            }
        }
    }
    let _ = std::panic::take_hook();
    assert!(failures.is_empty(), "decode panicked on: {failures:?}");
    println!("{inputs} link inputs decoded without a panic");
}
