//! A compare-and-set register: read, write, and compare-and-set, over integers or nil.
//!
//! Nil is a value like any other: the register holds nil until the first write (an etcd key
//! that does not exist yet), and a read that returned nil saw it empty. Histories that use
//! Knossos's other convention, where a nil read means "unknown", drop those reads before
//! checking (see [`super::jepsen::NilReads`]).

use super::model::Model;

/// A register value: `None` is nil.
pub type RegValue = Option<i64>;

/// One register operation with its observed outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// Returned `value`.
    Read {
        value: RegValue,
    },
    Write {
        value: RegValue,
    },
    /// `swapped: true`: the register held `from` and now holds `to`. `swapped: false`: the
    /// compare failed, so the register did not hold `from` (and was left alone).
    Cas {
        from: RegValue,
        to: RegValue,
        swapped: bool,
    },
}

/// The register's specification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Register {
    pub initial: RegValue,
}

impl Register {
    pub fn new(initial: RegValue) -> Self {
        Register { initial }
    }
}

impl Model for Register {
    type Op = RegisterOp;
    type State = RegValue;

    fn init(&mut self) -> RegValue {
        self.initial
    }

    fn step(&mut self, state: RegValue, op: &RegisterOp) -> Option<RegValue> {
        match *op {
            RegisterOp::Read { value } => (value == state).then_some(state),
            RegisterOp::Write { value } => Some(value),
            RegisterOp::Cas { from, to, swapped: true } => (state == from).then_some(to),
            RegisterOp::Cas { from, swapped: false, .. } => (state != from).then_some(state),
        }
    }

    fn is_read_only(&self, op: &RegisterOp) -> bool {
        match *op {
            RegisterOp::Read { .. } => true,
            RegisterOp::Write { .. } => false,
            RegisterOp::Cas { from, to, swapped } => !swapped || from == to,
        }
    }

    /// Every value the operations mention, and one they do not: from any other value, the
    /// operations behave exactly as from that one.
    fn any_state(&mut self, ops: &[&RegisterOp]) -> Option<Vec<RegValue>> {
        let mut values: Vec<RegValue> = Vec::new();
        for op in ops {
            match **op {
                RegisterOp::Read { value } | RegisterOp::Write { value } => values.push(value),
                RegisterOp::Cas { from, to, .. } => values.extend([from, to]),
            }
        }
        values.sort_unstable();
        values.dedup();
        let fresh = if values.binary_search(&None).is_err() {
            None
        } else {
            // The smallest non-negative integer not mentioned.
            let mut x = 0i64;
            for v in values.iter().flatten() {
                if *v == x {
                    x += 1;
                } else if *v > x {
                    break;
                }
            }
            Some(x)
        };
        values.push(fresh);
        Some(values)
    }

    fn describe(&self, op: &RegisterOp) -> String {
        match *op {
            RegisterOp::Read { value } => format!("read -> {}", show(value)),
            RegisterOp::Write { value } => format!("write {}", show(value)),
            RegisterOp::Cas { from, to, swapped } => {
                format!("cas {} -> {} {}", show(from), show(to), if swapped { "ok" } else { "refused" })
            }
        }
    }
}

/// A register value as text: the integer, or `nil`.
pub fn show(v: RegValue) -> String {
    v.map_or_else(|| "nil".to_string(), |i| i.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        let mut m = Register::new(None);
        let s = m.init();
        assert_eq!(m.step(s, &RegisterOp::Read { value: None }), Some(None));
        assert_eq!(m.step(s, &RegisterOp::Read { value: Some(0) }), None);
        assert_eq!(m.step(s, &RegisterOp::Write { value: Some(3) }), Some(Some(3)));
        let cas = |from, to, swapped| RegisterOp::Cas { from: Some(from), to: Some(to), swapped };
        assert_eq!(m.step(Some(3), &cas(3, 4, true)), Some(Some(4)));
        assert_eq!(m.step(Some(2), &cas(3, 4, true)), None);
        assert_eq!(m.step(Some(2), &cas(3, 4, false)), Some(Some(2)));
        assert_eq!(m.step(Some(3), &cas(3, 4, false)), None);
        assert!(m.is_read_only(&cas(3, 4, false)) && m.is_read_only(&cas(3, 3, true)));
        assert!(!m.is_read_only(&cas(3, 4, true)));
        assert_eq!(m.describe(&cas(3, 4, false)), "cas 3 -> 4 refused");
        let (a, b) = (RegisterOp::Read { value: Some(0) }, cas(1, 3, true));
        assert_eq!(m.any_state(&[&a, &b]), Some(vec![Some(0), Some(1), Some(3), None]));
        let nil = RegisterOp::Write { value: None };
        assert_eq!(m.any_state(&[&a, &b, &nil]), Some(vec![None, Some(0), Some(1), Some(3), Some(2)]));
    }
}
