//! Parsing and compiling a scenario: every field validated with its path and allowed range,
//! the workload generated, faults parsed, and the topologies' configs checked, into a Plan.

#[allow(unused_imports)]
use super::*;

/// A client operation as the script or the generator gives it: when, whose, what, and a
/// leaderless consistency level if it names one.
type CompiledOp = (SimTime, ClientId, Op, Option<ConsistencyLevel>);

impl Scenario {
    /// Parses JSON, naming the field of any problem.
    pub fn from_json(text: &str) -> Result<Scenario, Problems> {
        if text.len() > 4 * 1024 * 1024 {
            let mut p = Problems::default();
            p.push("", "scenario file is larger than 4 MB");
            return Err(p);
        }
        if let Some(first) = text.trim_start().chars().next().filter(|c| *c != '{') {
            let line = text[..text.len() - text.trim_start().len()].matches('\n').count() + 1;
            let mut p = Problems::default();
            p.push(
                "",
                format!("line {line}: a scenario is a JSON object ({{ … }}), not a value starting with {first:?}"),
            );
            return Err(p);
        }
        serde_json::from_str(text).map_err(|e| {
            let mut p = Problems::default();
            let message = e.to_string();
            // serde_json ends its message with the position. For a value of the wrong shape the
            // field's path says more; for broken syntax the position is what helps.
            let message = match message.rfind(" at line ") {
                Some(cut) if e.classify() == serde_json::error::Category::Data && e.line() > 0 => {
                    message[..cut].to_string()
                }
                _ => message,
            };
            p.push(json_path_at(text, e.line(), e.column()), message);
            p
        })
    }

    /// Where a scenario of one's own starts: the three designs with their default settings,
    /// three clients writing and reading 10 times a second, no faults, 30 s.
    pub fn blank() -> Scenario {
        let mut s = Scenario { name: "My scenario".into(), duration: Duration::from_secs(30), ..Default::default() };
        s.workload.sessions = 3;
        s.workload.generator = Some(GeneratorSpec { rate: 10.0, ..Default::default() });
        s.topologies.leader_follower = Some(Default::default());
        s.topologies.multi_leader = Some(Default::default());
        s.topologies.leaderless = Some(Default::default());
        s
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The topologies this scenario runs, in display order.
    pub fn kinds(&self) -> Vec<TopologyKind> {
        self.topologies.kinds()
    }

    pub fn node_count(&self, kind: TopologyKind) -> Option<usize> {
        self.topologies.node_count(kind)
    }

    /// Validates everything and produces the plan the engine runs: each part in its own
    /// method below, in the order the plan needs them.
    pub fn compile(&self) -> Result<Plan, Problems> {
        let mut p = Problems::default();
        if self.version != SCENARIO_VERSION {
            p.push(
                "version",
                format!("version {} is not supported; this build reads version {SCENARIO_VERSION}", self.version),
            );
            return Err(p);
        }
        text_field(&mut p, "name", &self.name, 120);
        text_field(&mut p, "description", &self.description, MAX_TEXT);
        p.range_duration("duration", self.duration.0, 1_000, MAX_DURATION);
        let duration = self.duration.0.clamp(1_000, MAX_DURATION);

        // Regions and the network.
        let network = self.compile_network(&mut p);

        // Topologies.
        let kinds = self.kinds();
        if kinds.is_empty() {
            p.push("topologies", format!("name at least one of {}", TopologyKind::names_listed()));
        }
        let t = &self.topologies;
        t.validate_each(&network.region_names, &mut p);
        let node_counts: Vec<(TopologyKind, usize)> =
            kinds.iter().filter_map(|k| self.node_count(*k).map(|n| (*k, n))).collect();

        let min_nodes = kinds.iter().filter_map(|k| self.node_count(*k)).min().unwrap_or(0);

        // Sessions.
        let w = &self.workload;
        let (sessions, session_region) = self.compile_sessions(&network.region_names, &mut p);
        p.range_duration("workload.timeout", w.timeout.0, 1_000, 120 * MICROS_PER_S);

        // Operations.
        let mut names = Names::default();
        let (mut ops, vias) = self.compile_script(duration, sessions, min_nodes, &mut names, &mut p);
        if let Some(g) = &w.generator {
            let before = p.items.len();
            g.validate("workload.generator", &mut p);
            let stop = g.stop.map(|d| d.0).unwrap_or(duration).min(duration);
            let expected = g.rate * (stop.saturating_sub(g.start.0)) as f64 / MICROS_PER_S as f64;
            if expected + ops.len() as f64 > MAX_OPS as f64 {
                p.push(
                    "workload.generator.rate",
                    format!("would generate about {} operations; at most {MAX_OPS} in a run", expected as u64),
                );
            } else if p.items.len() == before {
                match generate(g, self.seed, g.start.0, stop, sessions, &mut names) {
                    Ok(gen) => ops.extend(gen),
                    Err(e) => p.push("workload.generator", e),
                }
            }
        }
        check_key_kinds(&ops, &names, &mut p);

        // Faults.
        let faults = self.compile_faults(duration, &node_counts, sessions, &mut p);

        // Narration.
        self.check_narration(&mut p);

        p.into_result()?;

        // Stable order: by time, then by position in the script (generated ops follow).
        let mut order: Vec<usize> = (0..ops.len()).collect();
        crate::sort::sort_by_key(&mut order, |&i| (ops[i].0, i));
        let ops = order
            .into_iter()
            .enumerate()
            .map(|(id, i)| {
                let (at, session, op, consistency) = ops[i].clone();
                let via = vias.get(&i).copied();
                ScheduledOp { at, session, op: ClientOp { id: id as OpId, op, consistency, via } }
            })
            .collect();

        Ok(Plan {
            seed: self.seed,
            duration,
            names,
            sessions,
            session_region,
            ops,
            faults,
            network,
            timeout: w.timeout.0.clamp(1_000, 120 * MICROS_PER_S),
            topologies: self.topologies.clone(),
        })
    }

    /// The clients: how many, and each one's region.
    fn compile_sessions(&self, regions: &[String], p: &mut Problems) -> (usize, Vec<usize>) {
        let w = &self.workload;
        p.range_u64("workload.sessions", w.sessions as u64, 1, MAX_SESSIONS as u64);
        let sessions = (w.sessions as usize).clamp(1, MAX_SESSIONS);
        let mut session_region = vec![0; sessions];
        if !w.session_regions.is_empty() {
            if w.session_regions.len() != sessions {
                p.push(
                    "workload.session_regions",
                    format!(
                        "names {} regions for {} sessions; give one per session",
                        w.session_regions.len(),
                        sessions
                    ),
                );
            }
            for (i, r) in w.session_regions.iter().enumerate().take(sessions) {
                match regions.iter().position(|x| x == r) {
                    Some(ri) => session_region[i] = ri,
                    None => p.push(format!("workload.session_regions[{i}]"), unknown_region(r, regions)),
                }
            }
        }
        (sessions, session_region)
    }

    /// The scripted operations, with the node each goes through when it names one (by its
    /// position among them).
    fn compile_script(
        &self,
        duration: SimTime,
        sessions: usize,
        min_nodes: usize,
        names: &mut Names,
        p: &mut Problems,
    ) -> (Vec<CompiledOp>, std::collections::BTreeMap<usize, NodeId>) {
        let w = &self.workload;
        let mut ops: Vec<CompiledOp> = Vec::new();
        let mut vias: std::collections::BTreeMap<usize, NodeId> = std::collections::BTreeMap::new();
        if w.script.len() as u64 > MAX_OPS {
            p.push("workload.script", format!("{} operations; at most {MAX_OPS}", w.script.len()));
        } else {
            for (i, s) in w.script.iter().enumerate() {
                let path = format!("workload.script[{i}]");
                if s.at.0 > duration {
                    p.push(join(&path, "at"), format!("{} is after the end of the run ({})", s.at, self.duration));
                }
                let session = match crate::model::parse_endpoint(&s.session) {
                    Some(crate::model::Endpoint::Client(c)) if (c.0 as usize) < sessions => Some(c),
                    _ => {
                        p.push(
                            join(&path, "session"),
                            format!("\"{}\" is not a session; this scenario has c1..c{sessions}", truncate(&s.session)),
                        );
                        None
                    }
                };
                let op = match parse_op(&s.op, names) {
                    Ok(op) => Some(op),
                    Err(e) => {
                        p.push(join(&path, "op"), e);
                        None
                    }
                };
                if let (Some(Op::Increment { by, .. }), Some(ml)) = (&op, &self.topologies.multi_leader) {
                    if *by < 0 && ml.counter == crate::topology::versions::CounterRule::GCounter {
                        p.push(
                        join(&path, "op"),
                        "a decrement, but the multi-leader pane counts with a G-counter, which only grows and would refuse it; use topologies.multi_leader.counter = pn_counter (or naive)",
                    );
                    }
                }
                let cl = match &s.cl {
                    None => None,
                    Some(c) => match ConsistencyLevel::parse(c) {
                        Some(cl) => Some(cl),
                        None => {
                            p.push(
                            join(&path, "cl"),
                            format!("\"{}\" is not a consistency level; use one, two, quorum, all, local_quorum or each_quorum", truncate(c)),
                        );
                            None
                        }
                    },
                };
                if let Some(v) = &s.via {
                    match crate::model::parse_endpoint(v) {
                        Some(crate::model::Endpoint::Node(n)) if (n.0 as usize) < min_nodes.max(1) => {
                            vias.insert(ops.len(), n);
                        }
                        _ => p.push(
                            join(&path, "via"),
                            format!("\"{}\" is not a node of every topology (n1..n{})", truncate(v), min_nodes.max(1)),
                        ),
                    }
                }
                if let (Some(session), Some(op)) = (session, op) {
                    ops.push((s.at.0, session, op, cl));
                }
            }
        }
        (ops, vias)
    }

    /// The faults, by time; faults at the same instant keep their order in the script.
    fn compile_faults(
        &self,
        duration: SimTime,
        node_counts: &[(TopologyKind, usize)],
        sessions: usize,
        p: &mut Problems,
    ) -> Vec<(SimTime, Fault)> {
        if self.faults.len() > MAX_FAULTS {
            p.push("faults", format!("{} entries; at most {MAX_FAULTS}", self.faults.len()));
        }
        let mut faults = Vec::new();
        for (i, f) in self.faults.iter().enumerate().take(MAX_FAULTS) {
            let path = format!("faults[{i}]");
            if f.at.0 > duration {
                p.push(join(&path, "at"), format!("{} is after the end of the run ({})", f.at, self.duration));
            }
            match parse_fault(&f.fault) {
                Ok(fault) => {
                    if let Err(e) = fault.check_endpoints(node_counts, sessions) {
                        p.push(join(&path, "fault"), e);
                    } else {
                        faults.push((f.at.0, fault));
                    }
                }
                Err(e) => p.push(join(&path, "fault"), e),
            }
        }
        let mut indexed: Vec<(usize, (SimTime, Fault))> = faults.into_iter().enumerate().collect();
        crate::sort::sort_by_key(&mut indexed, |(i, (t, _))| (*t, *i));
        indexed.into_iter().map(|(_, f)| f).collect()
    }

    /// The narration's captions: their text, pane, times, speed and conditions.
    fn check_narration(&self, p: &mut Problems) {
        if self.narration.len() > MAX_CAPTIONS {
            p.push("narration", format!("{} captions; at most {MAX_CAPTIONS}", self.narration.len()));
        }
        for (i, c) in self.narration.iter().enumerate().take(MAX_CAPTIONS) {
            text_field(p, &format!("narration[{i}].text"), &c.text, MAX_TEXT);
            if let Some(pane) = &c.pane {
                if TopologyKind::parse(pane).is_none() {
                    p.push(format!("narration[{i}].pane"), format!("use {}", TopologyKind::names_listed()));
                }
            }
            if let Some(u) = c.until {
                if u < c.at {
                    p.push(format!("narration[{i}].until"), "ends before it starts");
                }
            }
            if let Some(sp) = c.speed {
                p.range_f64(&format!("narration[{i}].speed"), sp, 0.01, 100.0, "×");
            }
            if let Some(w) = &c.when {
                match parse_condition(w) {
                    Err(e) => p.push(format!("narration[{i}].when"), e),
                    Ok((key, _, _)) if self.setting(key).is_none() => p.push(
                        format!("narration[{i}].when"),
                        format!("\"{}\" is not a setting of this scenario's panes (e.g. lf.fencing)", truncate(key)),
                    ),
                    Ok(_) => {}
                }
            }
        }
    }

    pub(super) fn compile_network(&self, p: &mut Problems) -> NetworkPlan {
        let n = &self.network;
        n.latency.validate("network.latency", p);
        if let Some(c) = &n.client_latency {
            c.validate("network.client_latency", p);
        }
        n.disk.validate("network.disk", p);
        p.range_f64("network.drop", n.drop, 0.0, 0.5, "");
        let mut regions = n.regions.clone();
        if regions.is_empty() {
            regions.push("local".into());
        }
        if regions.len() > MAX_REGIONS {
            p.push("network.regions", format!("{} regions; at most {MAX_REGIONS}", regions.len()));
            regions.truncate(MAX_REGIONS);
        }
        for (i, r) in regions.iter().enumerate() {
            if !valid_name(r) {
                p.push(format!("network.regions[{i}]"), "region names are 1–32 letters, digits, '-' or '_'");
            }
            if regions[..i].contains(r) {
                p.push(format!("network.regions[{i}]"), format!("\"{}\" is listed twice", truncate(r)));
            }
        }
        let k = regions.len();
        let mut matrix = vec![vec![0u64; k]; k];
        if n.region_latency_ms.is_empty() {
            for i in 0..k {
                for j in 0..k {
                    if i == j {
                        continue;
                    }
                    let a = KNOWN_REGIONS.iter().position(|r| *r == regions[i]);
                    let b = KNOWN_REGIONS.iter().position(|r| *r == regions[j]);
                    match (a, b) {
                        (Some(a), Some(b)) => matrix[i][j] = (KNOWN_ONE_WAY_MS[a][b] * 1000.0) as u64,
                        _ => {
                            p.push(
                                "network.region_latency_ms",
                                format!(
                                    "regions \"{}\" and \"{}\" need a latency; give region_latency_ms (known regions: {})",
                                    truncate(&regions[i]),
                                    truncate(&regions[j]),
                                    KNOWN_REGIONS.join(", ")
                                ),
                            );
                            return plan_with(n, regions, matrix, p);
                        }
                    }
                }
            }
        } else if n.region_latency_ms.len() != k || n.region_latency_ms.iter().any(|row| row.len() != k) {
            p.push("network.region_latency_ms", format!("must be a {k}×{k} matrix, one row per region"));
        } else {
            for i in 0..k {
                for j in 0..k {
                    let v = n.region_latency_ms[i][j];
                    p.range_f64(&format!("network.region_latency_ms[{i}][{j}]"), v, 0.0, 10_000.0, "ms");
                    if v.is_finite() && v >= 0.0 {
                        matrix[i][j] = (v.min(10_000.0) * 1000.0) as u64;
                    }
                }
            }
        }
        plan_with(n, regions, matrix, p)
    }
}

pub(super) fn plan_with(n: &NetworkSpec, regions: Vec<String>, matrix: Vec<Vec<u64>>, p: &mut Problems) -> NetworkPlan {
    let mut by_kind = crate::sorted::VecMap::new();
    for (name, d) in &n.by_kind {
        match crate::view::MsgKind::parse(name) {
            Some(k) => {
                d.validate(&format!("network.by_kind.{name}"), p);
                by_kind.insert(k, d.clone());
            }
            None => p.push(
                format!("network.by_kind.{}", truncate(name)),
                format!(
                    "unknown message kind; use one of {}",
                    crate::view::MsgKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
                ),
            ),
        }
    }
    NetworkPlan {
        latency: n.latency.clone(),
        client_latency: n.client_latency.clone().unwrap_or_else(|| n.latency.clone()),
        region_names: regions,
        region_latency_us: matrix,
        by_kind,
        drop: if n.drop.is_finite() { n.drop.clamp(0.0, 0.5) } else { 0.0 },
        disk: n.disk.clone(),
    }
}

pub(super) fn check_placement(p: &mut Problems, path: &str, placement: &[String], nodes: usize, regions: &[String]) {
    if placement.is_empty() {
        return;
    }
    if placement.len() != nodes {
        p.push(path, format!("names {} regions for {} nodes; give one per node", placement.len(), nodes));
    }
    for (i, r) in placement.iter().enumerate().take(MAX_NODES) {
        if !regions.contains(r) {
            p.push(format!("{path}[{i}]"), unknown_region(r, regions));
        }
    }
}

pub(super) fn unknown_region(r: &str, regions: &[String]) -> String {
    format!("\"{}\" is not one of the regions ({})", truncate(r), regions.join(", "))
}

pub(super) fn text_field(p: &mut Problems, path: &str, s: &str, max: usize) {
    if s.chars().count() > max {
        p.push(path, format!("{} characters; at most {max}", s.chars().count()));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        p.push(path, "contains control characters");
    }
}

pub(super) fn check_key_kinds(
    ops: &[(SimTime, ClientId, Op, Option<ConsistencyLevel>)],
    names: &Names,
    p: &mut Problems,
) {
    let mut kinds: BTreeMap<Sym, KeyKind> = BTreeMap::new();
    for (_, _, op, _) in ops {
        if let (Some(k), Some(kind)) = (op.key(), key_kind(op)) {
            match kinds.get(&k) {
                Some(prev) if *prev != kind => {
                    p.push(
                        "workload",
                        format!("key \"{}\" is used both as a {} and as a {}", names.get(k), prev.name(), kind.name()),
                    );
                    return;
                }
                _ => {
                    kinds.insert(k, kind);
                }
            }
        }
    }
}

impl Validate for GeneratorSpec {
    fn validate(&self, path: &str, p: &mut Problems) {
        p.range_f64(&join(path, "rate"), self.rate, 0.0, 10_000.0, "ops/s");
        p.range_f64(&join(path, "read_fraction"), self.read_fraction, 0.0, 1.0, "");
        p.range_u64(&join(path, "keys"), self.keys as u64, 1, 48);
        if let KeyDistribution::Zipf { s } = self.key_distribution {
            p.range_f64(&join(path, "key_distribution.zipf.s"), s, 0.0, 10.0, "");
        }
        if let Some(stop) = self.stop {
            if stop < self.start {
                p.push(join(path, "stop"), "is before start");
            }
        }
    }
}

/// Draws the generated operations from the workload stream, so every topology sees the same.
pub(super) fn generate(
    g: &GeneratorSpec,
    seed: u64,
    start: SimTime,
    stop: SimTime,
    sessions: usize,
    names: &mut Names,
) -> Result<Vec<(SimTime, ClientId, Op, Option<ConsistencyLevel>)>, String> {
    let mut rng = SimRng::new(seed, Stream::Workload);
    let keys: Vec<Sym> = (0..g.keys).map(|i| names.intern(&format!("k{i}"))).collect::<Result<_, _>>()?;
    let elems: Vec<Sym> = if g.data == DataKind::Set {
        ["a", "b", "c", "d", "e", "f"].iter().map(|e| names.intern(e)).collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    // Zipf by inverse CDF over a precomputed table.
    let weights: Vec<f64> = match g.key_distribution {
        KeyDistribution::Uniform => vec![1.0; keys.len()],
        KeyDistribution::Zipf { s } => (1..=keys.len()).map(|r| 1.0 / libm::pow(r as f64, s)).collect(),
    };
    let total: f64 = weights.iter().sum();
    let mut out = Vec::new();
    if g.rate <= 0.0 {
        return Ok(out);
    }
    let mean_gap = MICROS_PER_S as f64 / g.rate;
    let mut t = start as f64;
    let mut next_value = 1i64;
    loop {
        t += -mean_gap * libm::log(rng.unit_open0());
        if t >= stop as f64 || out.len() as u64 >= MAX_OPS {
            break;
        }
        let session = ClientId(rng.below(sessions as u64) as u8);
        let mut pick = rng.unit() * total;
        let mut ki = 0;
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                ki = i;
                break;
            }
            pick -= w;
            ki = i;
        }
        let key = keys[ki];
        let op = if rng.unit() < g.read_fraction {
            Op::Read { key }
        } else {
            match g.data {
                DataKind::Register => {
                    next_value += 1;
                    Op::Write { key, value: next_value - 1 }
                }
                DataKind::Counter => Op::Increment { key, by: 1 },
                DataKind::Set => {
                    let elem = elems[rng.below(elems.len() as u64) as usize];
                    if rng.unit() < 0.3 {
                        Op::SetRemove { key, elem }
                    } else {
                        Op::SetAdd { key, elem }
                    }
                }
            }
        };
        out.push((t as SimTime, session, op, None));
    }
    Ok(out)
}
