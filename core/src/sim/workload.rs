//! The workload generator: which client, which key, which operation, when.

use super::*;

impl<P: Protocol> Sim<P> {
    pub(super) fn start_workload(&mut self, cfg: WorkloadConfig) {
        let generation = self.workload.as_ref().map_or(0, |w| w.generation + 1);
        let clients = cfg.clients.clone().unwrap_or_else(|| (0..self.clients.len()).collect());
        let zipf = match cfg.key_distribution {
            KeyDistribution::Uniform => Vec::new(),
            KeyDistribution::Zipf { exponent } => {
                let mut acc = 0u64;
                (0..cfg.keys)
                    .map(|i| {
                        acc += (1e9 / libm::pow(i as f64 + 1.0, exponent)) as u64 + 1;
                        acc
                    })
                    .collect()
            }
        };
        let stop = cfg.stop_ms.map(from_ms);
        self.workload = Some(Workload { cfg, generation, turn: 0, clients, zipf, stop, last_added: BTreeMap::new() });
        let gap = self.workload_gap();
        self.push(self.now + gap, EventKind::Workload { generation });
    }

    pub(super) fn workload_gap(&mut self) -> Dur {
        let Some(w) = &self.workload else { return SEC };
        let mean = SEC as f64 / w.cfg.rate_per_s;
        let gap = match w.cfg.arrivals {
            Arrivals::Uniform => mean,
            Arrivals::Poisson => -mean * libm::log(1.0 - self.rng.unit()),
        };
        (gap as Dur).max(1)
    }

    pub(super) fn on_workload(&mut self, generation: u64) {
        let Some(w) = &mut self.workload else { return };
        if w.generation != generation {
            return;
        }
        if w.stop.is_some_and(|s| self.now >= s) {
            self.workload = None;
            return;
        }
        let client = w.clients[w.turn % w.clients.len()];
        w.turn += 1;
        if self.clients[client].synchronous && !self.clients[client].pending.is_empty() {
            // A session waits for its previous operation: this turn passes.
            let gap = self.workload_gap();
            self.push(self.now + gap, EventKind::Workload { generation });
            return;
        }
        let read_ppm = probability_ppm(w.cfg.read_fraction);
        let read_from = self.clients[client].read_from.unwrap_or(w.cfg.read_from);
        let keys = w.cfg.keys as u64;
        let key = if w.zipf.is_empty() {
            self.rng.below(keys)
        } else {
            let total = *w.zipf.last().unwrap_or(&1);
            let pick = self.rng.below(total);
            w.zipf.partition_point(|&c| c <= pick) as u64
        } as u32;
        let delete_ppm = probability_ppm(w.cfg.delete_fraction);
        let is_read = self.rng.chance_ppm(read_ppm);
        let leader = Target::Auto(ReadFrom::Leader);
        if is_read {
            self.invoke(client, OpKind::Read { key }, Target::Auto(read_from));
        } else {
            // Each key gets the update its data type takes: counters are incremented, sets
            // gain an element (or, one time in four, lose the one added last), registers are
            // written (or deleted, as often as `delete_fraction` says). A set's elements come
            // from a fixed range (1 to SET_ELEMENTS) (a cart, a list of tags), so it stays
            // that small however long the run, and adds race with removes of the same element.
            match self.nodes[0].key_type(key) {
                KeyType::Counter => {
                    self.invoke(client, OpKind::Increment { key, by: 1 }, leader);
                }
                KeyType::Set => {
                    let last = self.workload.as_ref().and_then(|w| w.last_added.get(&key).copied());
                    match last {
                        Some(element) if self.rng.below(4) == 0 => {
                            self.invoke(client, OpKind::Remove { key, element }, leader);
                        }
                        _ => {
                            let element = 1 + self.rng.below(SET_ELEMENTS);
                            if let Some(w) = &mut self.workload {
                                w.last_added.insert(key, element);
                            }
                            self.invoke(client, OpKind::Add { key, element }, leader);
                        }
                    }
                }
                KeyType::Register => {
                    let value = self.fresh_value();
                    let cas_ppm = self.workload.as_ref().map_or(0, |w| probability_ppm(w.cfg.cas_fraction));
                    if delete_ppm > 0 && self.rng.chance_ppm(delete_ppm) {
                        self.invoke(client, OpKind::Delete { key, value }, leader);
                    } else if cas_ppm > 0 && self.rng.chance_ppm(cas_ppm) {
                        let expect = self.clients[client].seen.get(&key).copied().flatten();
                        self.invoke(client, OpKind::Cas { key, expect, value }, leader);
                    } else {
                        self.invoke(client, OpKind::Write { key, value }, leader);
                    }
                }
            }
        }
        let gap = self.workload_gap();
        self.push(self.now + gap, EventKind::Workload { generation });
    }
}
