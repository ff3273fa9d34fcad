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
        crate::sort::sort(&mut values);
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

    /// An unknown write (or compare-and-set) of a value that no read returned and no
    /// compare-and-set expects, in a history without refused compare-and-sets (each of which
    /// observes what the register did not hold).
    fn unobserved(&mut self, ops: &[&RegisterOp], unknown: &[bool]) -> Vec<bool> {
        let mut observed: Vec<RegValue> = Vec::new();
        for (op, &u) in ops.iter().zip(unknown) {
            match **op {
                RegisterOp::Read { value } if !u => observed.push(value),
                RegisterOp::Cas { swapped: false, .. } => return vec![false; ops.len()],
                RegisterOp::Cas { from, .. } => observed.push(from),
                _ => {}
            }
        }
        crate::sort::sort(&mut observed);
        observed.dedup();
        ops.iter()
            .zip(unknown)
            .map(|(op, &u)| match **op {
                RegisterOp::Write { value } | RegisterOp::Cas { to: value, swapped: true, .. } => {
                    u && observed.binary_search(&value).is_err()
                }
                _ => false,
            })
            .collect()
    }

    /// A completed read, or compare-and-set, of a value that is neither the initial one nor
    /// written by any write or compare-and-set (even one with an unknown outcome).
    fn impossible(&mut self, ops: &[&RegisterOp], unknown: &[bool]) -> Vec<usize> {
        let mut written: Vec<RegValue> = vec![self.initial];
        for op in ops {
            match **op {
                RegisterOp::Write { value } | RegisterOp::Cas { to: value, swapped: true, .. } => written.push(value),
                _ => {}
            }
        }
        crate::sort::sort(&mut written);
        written.dedup();
        let never = |v: RegValue| written.binary_search(&v).is_err();
        (0..ops.len())
            .filter(|&i| {
                !unknown[i]
                    && match *ops[i] {
                        RegisterOp::Read { value } => never(value),
                        RegisterOp::Cas { from, swapped: true, .. } => never(from),
                        _ => false,
                    }
            })
            .collect()
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

    #[test]
    fn unobserved_unknown_writes_and_impossible_reads() {
        let mut m = Register::new(None);
        let (w, r) = (|v| RegisterOp::Write { value: Some(v) }, |v| RegisterOp::Read { value: Some(v) });
        let cas = |from, to, swapped| RegisterOp::Cas { from: Some(from), to: Some(to), swapped };
        let ops = [w(1), w(2), w(3), r(1), cas(3, 4, true), w(5), cas(6, 7, true)];
        let refs: Vec<&RegisterOp> = ops.iter().collect();
        let unknown = [true, true, true, false, true, true, true];
        // 1 is read, 3 is expected by a compare-and-set; 2, 5 and the cas to 7 are never seen.
        assert_eq!(m.unobserved(&refs, &unknown), vec![false, true, false, false, true, true, true]);
        let known = [false; 7];
        assert_eq!(m.unobserved(&refs, &known), vec![false; 7], "completed writes stay");
        let mut with_refused = ops.to_vec();
        with_refused.push(cas(2, 9, false));
        let refs2: Vec<&RegisterOp> = with_refused.iter().collect();
        assert_eq!(m.unobserved(&refs2, &[true; 8]), vec![false; 8], "a refused cas observes the register");

        let ops = [w(1), r(1), r(8), cas(4, 2, true), r(7), RegisterOp::Read { value: None }];
        let refs: Vec<&RegisterOp> = ops.iter().collect();
        assert_eq!(m.impossible(&refs, &[false; 6]), vec![2, 3, 4], "nil is the initial value");
        assert_eq!(m.impossible(&refs, &[false, false, true, false, false, false]), vec![3, 4]);
        assert_eq!(Register::new(Some(8)).impossible(&refs, &[false; 6]), vec![3, 4, 5]);
    }
}
