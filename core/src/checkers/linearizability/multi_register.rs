//! Several named registers read and written by atomic transactions (Knossos's
//! `multi-register`): a transaction is a list of reads and writes applied at one instant.
//!
//! A transaction may touch several registers at once, so this object is not split by key:
//! the whole history is checked together. States (one value per register) are interned.

use super::cache::FxMap;
use super::model::Model;
use super::register::{show, RegValue};

/// One step of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Micro {
    /// Register `reg` held `value`.
    Read {
        reg: u32,
        value: RegValue,
    },
    Write {
        reg: u32,
        value: RegValue,
    },
}

/// A transaction with its observed outcome (reads carry what they returned).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Txn {
    pub micro: Vec<Micro>,
}

/// The registers' specification and the state interner.
#[derive(Clone, Debug, Default)]
pub struct MultiRegister {
    /// Value of every register before the first write.
    pub initial: RegValue,
    names: Vec<String>,
    states: Vec<Box<[RegValue]>>,
    state_ids: FxMap<Box<[RegValue]>, u32>,
}

impl MultiRegister {
    pub fn new(initial: RegValue) -> Self {
        MultiRegister { initial, ..MultiRegister::default() }
    }

    /// The number of a register, by name; new names get the next number. Name every register
    /// before checking.
    pub fn register(&mut self, name: &str) -> u32 {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return i as u32;
        }
        self.names.push(name.to_string());
        (self.names.len() - 1) as u32
    }

    pub fn name(&self, reg: u32) -> &str {
        self.names.get(reg as usize).map_or("?", |s| s.as_str())
    }

    fn intern(&mut self, values: Box<[RegValue]>) -> u32 {
        if let Some(&id) = self.state_ids.get(&values) {
            return id;
        }
        let id = self.states.len() as u32;
        self.states.push(values.clone());
        self.state_ids.insert(values, id);
        id
    }
}

impl Model for MultiRegister {
    type Op = Txn;
    type State = u32;

    fn init(&mut self) -> u32 {
        let values = vec![self.initial; self.names.len()].into_boxed_slice();
        self.intern(values)
    }

    fn step(&mut self, state: u32, op: &Txn) -> Option<u32> {
        let mut values = self.states.get(state as usize)?.clone();
        let mut changed = false;
        for m in &op.micro {
            match *m {
                Micro::Read { reg, value } => {
                    if *values.get(reg as usize)? != value {
                        return None;
                    }
                }
                Micro::Write { reg, value } => {
                    let slot = values.get_mut(reg as usize)?;
                    changed |= *slot != value;
                    *slot = value;
                }
            }
        }
        if !changed {
            return Some(state);
        }
        Some(self.intern(values))
    }

    fn is_read_only(&self, op: &Txn) -> bool {
        op.micro.iter().all(|m| matches!(m, Micro::Read { .. }))
    }

    fn describe(&self, op: &Txn) -> String {
        let parts: Vec<String> = op
            .micro
            .iter()
            .map(|m| match *m {
                Micro::Read { reg, value } => format!("read {} -> {}", self.name(reg), show(value)),
                Micro::Write { reg, value } => format!("write {} {}", self.name(reg), show(value)),
            })
            .collect();
        format!("txn [{}]", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_apply_atomically() {
        let mut m = MultiRegister::new(Some(0));
        let (x, y) = (m.register("x"), m.register("y"));
        assert_eq!(m.register("x"), x);
        let s0 = m.init();
        let w = Txn { micro: vec![Micro::Write { reg: x, value: Some(1) }, Micro::Write { reg: y, value: Some(2) }] };
        let r =
            |a, b| Txn { micro: vec![Micro::Read { reg: x, value: Some(a) }, Micro::Read { reg: y, value: Some(b) }] };
        assert_eq!(m.step(s0, &r(0, 0)), Some(s0));
        let s1 = m.step(s0, &w).unwrap();
        assert_ne!(s1, s0);
        assert_eq!(m.step(s1, &r(1, 2)), Some(s1));
        assert_eq!(m.step(s1, &r(1, 0)), None);
        // Writing what is there already is the same state.
        assert_eq!(m.step(s1, &w), Some(s1));
        assert!(m.is_read_only(&r(0, 0)) && !m.is_read_only(&w));
        assert_eq!(m.describe(&w), "txn [write x 1, write y 2]");
        // Registers the model never heard of make the transaction illegal, not a panic.
        assert_eq!(m.step(s0, &Txn { micro: vec![Micro::Write { reg: 7, value: None }] }), None);
    }
}
