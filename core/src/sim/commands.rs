//! Commands: the one place scenario commands are interpreted (faults, repairs, client
//! requests, settings), with the fault spans and leader failures they cause.

use super::*;

impl<P: Protocol> Sim<P> {
    pub(super) fn run_command(&mut self, command: Command) {
        let now = self.now;
        if !matches!(command, Command::Read { .. }) {
            self.last_disturbance = now;
        }
        self.trace.record(now, WorldEvent::Command(Applied(Box::new(command.clone()))));
        match command {
            Command::Crash { node } => self.crash_node(node, None),
            Command::Restart { node } => {
                if self.slots[node].health == Health::Crashed {
                    self.faults.restarted(now, node);
                    self.slots[node].health = Health::Up;
                    self.step_node(node, Input::Start);
                } else {
                    let why = if self.slots[node].health == Health::Paused {
                        Inapplicable::Paused
                    } else {
                        Inapplicable::Running
                    };
                    self.no_effect(node, "restart", why);
                }
            }
            Command::Pause { node } => {
                if self.slots[node].health == Health::Up {
                    self.leadership.leader_fault(now, node, "pause", &mut self.metrics);
                    self.faults.paused(now, node);
                    self.slots[node].health = Health::Paused;
                } else {
                    let why = if self.slots[node].health == Health::Paused {
                        Inapplicable::AlreadyPaused
                    } else {
                        Inapplicable::Down
                    };
                    self.no_effect(node, "pause", why);
                }
            }
            Command::Resume { node } => {
                if self.slots[node].health != Health::Paused {
                    self.no_effect(node, "resume", Inapplicable::NotPaused);
                } else {
                    self.faults.resumed(now, node);
                    self.slots[node].health = Health::Up;
                    let inbox = std::mem::take(&mut self.slots[node].inbox);
                    for kind in inbox {
                        self.push(now, kind);
                    }
                    self.arm_ready(node);
                }
            }
            Command::Slow { node, factor } => {
                self.slots[node].slow = ((factor * 1000.0 + 0.5) as u64).max(1);
                self.faults.slowed(now, node, self.slots[node].slow);
            }
            Command::Clock { node, skew_ms, drift_ppm } => {
                let slot = &mut self.slots[node];
                slot.skew = (skew_ms * 1000.0).round() as i64;
                slot.drift_ppb = (drift_ppm * 1000.0).round() as i64;
                let (skew, drift) = (slot.skew, slot.drift_ppb);
                self.faults.clock(now, node, skew, drift);
            }
            Command::Partition { groups } => {
                let before = self.net.cut_links().len();
                self.net.partition(&groups);
                if self.net.cut_links().len() > before {
                    // (A partition that cuts nothing new is no fault.)
                    self.faults.partitioned(now, &groups);
                }
                self.leadership.cut_off(now, &self.net, &mut self.metrics);
            }
            Command::Cut { from, to, both } => {
                self.net.link_mut(from, to).cut = true;
                if both {
                    self.net.link_mut(to, from).cut = true;
                }
                self.faults.cut(now, from, to, both);
                self.leadership.cut_off(now, &self.net, &mut self.metrics);
            }
            Command::Heal {} => {
                self.net.heal();
                self.faults.healed(now);
            }
            Command::Uncut { from, to, both } => {
                self.net.link_mut(from, to).cut = false;
                if both {
                    self.net.link_mut(to, from).cut = false;
                }
                self.faults.uncut(now, from, to, both);
            }
            Command::Link { from, to, both, latency, loss, duplicate } => {
                if let Some(p) = loss {
                    self.faults.loss(now, from, to, probability_ppm(p));
                }
                let mut dirs = vec![(from, to)];
                if both {
                    dirs.push((to, from));
                }
                for (a, b) in dirs {
                    let link = self.net.link_mut(a, b);
                    if let Some(l) = &latency {
                        link.latency = l.clone();
                    }
                    if let Some(p) = loss {
                        link.loss_ppm = probability_ppm(p);
                    }
                    if let Some(p) = duplicate {
                        link.duplicate_ppm = probability_ppm(p);
                    }
                }
            }
            Command::Write { client, key, value, node, quorum } => {
                let value = value.unwrap_or_else(|| self.fresh_value());
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.next_quorum = quorum;
                self.invoke(client, OpKind::Write { key, value }, target);
            }
            Command::Read { client, key, from, node, quorum } => {
                let target = node.map(Target::Node).unwrap_or(Target::Auto(from));
                self.next_quorum = quorum;
                self.invoke(client, OpKind::Read { key }, target);
            }
            Command::Delete { client, key, node, quorum } => {
                let value = self.fresh_value();
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.next_quorum = quorum;
                self.invoke(client, OpKind::Delete { key, value }, target);
            }
            Command::Increment { client, key, by, node } => {
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.invoke(client, OpKind::Increment { key, by }, target);
            }
            Command::Add { client, key, element, node } => {
                let element = element.unwrap_or_else(|| self.fresh_value());
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.invoke(client, OpKind::Add { key, element }, target);
            }
            Command::Remove { client, key, element, node } => {
                let target = node.map(Target::Node).unwrap_or(Target::Auto(ReadFrom::Leader));
                self.invoke(client, OpKind::Remove { key, element }, target);
            }
            Command::Workload(cfg) => self.start_workload(cfg),
            Command::StopWorkload {} => self.workload = None,
            Command::Session { client, session } => self.clients[client].session = session,
            Command::Promote { node } => self.admin(node, Admin::Promote),
            Command::Demote { node } => self.admin(node, Admin::Demote),
            Command::Repair { node } => self.admin(node, Admin::Repair),
        }
    }

    pub(super) fn admin(&mut self, node: NodeId, action: Admin) {
        if self.slots[node].health == Health::Up {
            self.step_node(node, Input::Admin(action));
        } else {
            let what = match action {
                Admin::Promote => "promote",
                Admin::Demote => "demote",
                Admin::Repair => "repair",
            };
            self.no_effect(node, what, Inapplicable::NotRunning);
        }
    }

    /// A command that changed nothing says why.
    pub(super) fn no_effect(&mut self, node: NodeId, command: &'static str, because: Inapplicable) {
        self.trace.record(self.now, WorldEvent::NoEffect { node, command, because });
    }
}
