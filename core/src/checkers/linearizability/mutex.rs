//! A mutex (a lock): `acquire` succeeds only when it is free, `release` only when it is held.
//! It starts free. Like Knossos's mutex model, it does not track who holds it.

use super::model::Model;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MutexOp {
    Acquire,
    Release,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mutex;

impl Model for Mutex {
    type Op = MutexOp;
    /// Held?
    type State = bool;

    fn init(&mut self) -> bool {
        false
    }

    fn step(&mut self, held: bool, op: &MutexOp) -> Option<bool> {
        match op {
            MutexOp::Acquire => (!held).then_some(true),
            MutexOp::Release => held.then_some(false),
        }
    }

    fn is_read_only(&self, _: &MutexOp) -> bool {
        false
    }

    fn any_state(&mut self, _: &[&MutexOp]) -> Option<Vec<bool>> {
        Some(vec![false, true])
    }

    fn describe(&self, op: &MutexOp) -> String {
        match op {
            MutexOp::Acquire => "acquire".into(),
            MutexOp::Release => "release".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquire_then_release() {
        let mut m = Mutex;
        let free = m.init();
        assert_eq!(m.step(free, &MutexOp::Release), None);
        let held = m.step(free, &MutexOp::Acquire).unwrap();
        assert_eq!(m.step(held, &MutexOp::Acquire), None);
        assert_eq!(m.step(held, &MutexOp::Release), Some(false));
    }
}
