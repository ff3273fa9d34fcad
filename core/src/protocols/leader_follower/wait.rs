//! Redis `WAIT numreplicas timeout` after every write: each write waits on its own for its
//! followers or for its own timeout. A write that times out is acknowledged anyway (WAIT
//! returns the number of replicas reached; it is not an error) and says so in a note; the
//! next write waits again, for as long. Nothing switches the leader into asynchronous mode,
//! unlike semi-sync's fallback.

use super::*;

impl LeaderFollowerNode {
    /// The timer of the oldest waiting write fired: every write whose own timeout has passed
    /// is acknowledged with the count it reached; the timer is armed for the next one.
    pub(super) fn on_wait_timeout(&mut self, ctx: &Ctx, out: &mut Out<Msg, Timer>, timeout: Dur, wanted: usize) {
        while let Some(entry) = self.volatile.pending.first_entry() {
            if ctx.clock < entry.get().since + timeout {
                break;
            }
            let (index, p) = entry.remove_entry();
            let replicas = self.volatile.progress.iter().filter(|f| f.matched >= index).count();
            out.note(Note::WaitTimedOut { node: self.id, op: p.op, replicas, wanted });
            out.ok_fenced(p.op, vec![], vec![index], self.epoch());
        }
        self.maybe_arm_timeout(ctx, out);
    }
}
