//! The network: latency drawn per message when it is sent, losses, partitions and slow links.
//!
//! Links are directed. A partition or a one-way cut blocks a direction; a message is lost if its
//! direction is blocked when it is sent *or* when it would arrive (a cut made while it is in
//! flight catches it). Latency = the kind's distribution (or the base one) + the cross-region
//! cost + any slow-link extra, scaled by the message's size for very large payloads.

use crate::dist::Dist;
use crate::model::Endpoint;
use crate::rng::SimRng;
use crate::sorted::VecMap;
use crate::view::MsgKind;

/// The network as the engine uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPlan {
    pub latency: Dist,
    pub client_latency: Dist,
    pub region_names: Vec<String>,
    /// Extra one-way microseconds between regions.
    pub region_latency_us: Vec<Vec<u64>>,
    pub by_kind: VecMap<crate::view::MsgKind, Dist>,
    pub drop: f64,
    pub disk: Dist,
}

#[derive(Clone, Debug)]
pub struct Network {
    plan: NetworkPlan,
    nodes: usize,
    endpoints: usize,
    /// Region of every endpoint (nodes first, then clients).
    region: Vec<usize>,
    /// `blocked[from * endpoints + to]`.
    blocked: Vec<bool>,
    /// Extra one-way latency, same layout.
    extra: Vec<u64>,
    drop: f64,
}

/// Why a message did not arrive.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Random loss.
    Lost,
    /// The link was cut by a partition.
    Partitioned,
    /// The receiver was down.
    NodeDown,
    /// A user dropped it.
    Intervention,
}

impl DropReason {
    pub fn label(self) -> &'static str {
        match self {
            DropReason::Lost => "lost",
            DropReason::Partitioned => "partition",
            DropReason::NodeDown => "receiver down",
            DropReason::Intervention => "dropped by you",
        }
    }
}

impl Network {
    pub fn new(plan: NetworkPlan, node_region: &[usize], client_region: &[usize]) -> Self {
        let nodes = node_region.len();
        let endpoints = nodes + client_region.len();
        let region = node_region.iter().chain(client_region).copied().collect();
        let drop = plan.drop;
        Network {
            plan,
            nodes,
            endpoints,
            region,
            blocked: vec![false; endpoints * endpoints],
            extra: vec![0; endpoints * endpoints],
            drop,
        }
    }

    fn idx(&self, from: Endpoint, to: Endpoint) -> usize {
        from.index(self.nodes) * self.endpoints + to.index(self.nodes)
    }

    pub fn is_blocked(&self, from: Endpoint, to: Endpoint) -> bool {
        self.blocked[self.idx(from, to)]
    }

    /// Whether `from` can reach `to` right now.
    pub fn reachable(&self, from: Endpoint, to: Endpoint) -> bool {
        !self.is_blocked(from, to)
    }

    /// Draws the one-way delay of a message, or decides it is lost at sending.
    pub fn send(
        &self,
        rng: &mut SimRng,
        from: Endpoint,
        to: Endpoint,
        kind: MsgKind,
        size: u32,
    ) -> Result<u64, (DropReason, u64)> {
        let base = match self.plan.by_kind.get(&kind) {
            Some(d) => d,
            None if matches!(from, Endpoint::Client(_)) || matches!(to, Endpoint::Client(_)) => {
                &self.plan.client_latency
            }
            None => &self.plan.latency,
        };
        let mut delay = base.sample_us(rng);
        // Size scales the serialisation time of bulky payloads (snapshots): 0.5 ms per unit.
        if size > 1 {
            delay += (size as u64 - 1) * 500;
        }
        let i = self.idx(from, to);
        let (rf, rt) = (self.region[from.index(self.nodes)], self.region[to.index(self.nodes)]);
        delay += self.plan.region_latency_us[rf][rt] + self.extra[i];
        if self.blocked[i] {
            return Err((DropReason::Partitioned, delay));
        }
        if self.drop > 0.0 && rng.chance(self.drop) {
            return Err((DropReason::Lost, delay));
        }
        Ok(delay)
    }

    pub fn disk_latency(&self, rng: &mut SimRng) -> u64 {
        self.plan.disk.sample_us(rng)
    }

    pub fn set_drop(&mut self, p: f64) {
        self.drop = p;
    }

    pub fn partition(&mut self, groups: &[Vec<Endpoint>]) {
        for (gi, g) in groups.iter().enumerate() {
            for (hi, h) in groups.iter().enumerate() {
                if gi == hi {
                    continue;
                }
                for a in g {
                    for b in h {
                        let i = self.idx(*a, *b);
                        self.blocked[i] = true;
                    }
                }
            }
        }
    }

    pub fn cut(&mut self, from: &[Endpoint], to: &[Endpoint]) {
        for a in from {
            for b in to {
                if a != b {
                    let i = self.idx(*a, *b);
                    self.blocked[i] = true;
                }
            }
        }
    }

    pub fn slow_link(&mut self, from: Endpoint, to: Endpoint, extra: u64, both: bool) {
        let i = self.idx(from, to);
        self.extra[i] = extra;
        if both {
            let j = self.idx(to, from);
            self.extra[j] = extra;
        }
    }

    pub fn heal(&mut self) {
        self.blocked.iter_mut().for_each(|b| *b = false);
        self.extra.iter_mut().for_each(|e| *e = 0);
    }

    /// Every blocked directed pair, for drawing partitions.
    pub fn blocked_pairs(&self) -> Vec<(Endpoint, Endpoint)> {
        let mut out = Vec::new();
        for a in 0..self.endpoints {
            for b in 0..self.endpoints {
                if self.blocked[a * self.endpoints + b] {
                    out.push((self.endpoint(a), self.endpoint(b)));
                }
            }
        }
        out
    }

    pub fn slow_pairs(&self) -> Vec<(Endpoint, Endpoint, u64)> {
        let mut out = Vec::new();
        for a in 0..self.endpoints {
            for b in 0..self.endpoints {
                let e = self.extra[a * self.endpoints + b];
                if e > 0 {
                    out.push((self.endpoint(a), self.endpoint(b), e));
                }
            }
        }
        out
    }

    fn endpoint(&self, i: usize) -> Endpoint {
        if i < self.nodes {
            Endpoint::Node(crate::model::NodeId(i as u8))
        } else {
            Endpoint::Client(crate::model::ClientId((i - self.nodes) as u8))
        }
    }

    pub fn region_names(&self) -> &[String] {
        &self.plan.region_names
    }
}
