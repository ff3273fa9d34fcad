//! Revision trees: how CouchDB keeps a document's conflicting edits (the `revision_tree`
//! conflict resolution).
//!
//! Every edit of a document creates a revision `N-id`: its generation `N` is one more than its
//! parent's, and `id` names it (CouchDB hashes the body; here the value written, unique in the
//! run). An update must name the revision it edits (`_rev`): a server refuses an update whose
//! `_rev` is not one of the document's current leaf revisions, or an update without `_rev` of a
//! document that exists (409 Conflict), so one server's edits form one branch. Replication
//! copies revisions with their ancestry, and a server keeps the union: after concurrent edits on
//! two servers the document has two leaf revisions. Every server picks the same winner without
//! talking to the others — the leaf with the longest history (highest generation), ties broken
//! by the revision id; a leaf that is not a deletion beats every deletion. A plain read returns
//! the winner only; the other leaves stay, listed as the document's conflicts (what
//! `?conflicts=true` adds as `_conflicts`), until the application edits or deletes them.
//!
//! The tree is a state-based CRDT: merging is the union of revisions, so replicas converge
//! whatever order, path or number of times revisions arrive in, and the winner is a function of
//! the merged tree. An update ships the new revision with its ancestors (CouchDB's
//! `_revisions`), up to [`REVS_LIMIT`] of them.

use std::collections::{BTreeMap, BTreeSet};

use crate::protocol::{Value, Version};

/// How many ancestors an update carries with its revision (CouchDB's default `_revs_limit`).
pub const REVS_LIMIT: usize = 1000;

/// A revision: its generation and id. Ordered as CouchDB picks winners: generation first,
/// then id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rev {
    pub gen: u64,
    pub id: Value,
}

impl Rev {
    /// The revision a client names in its context (`_rev`), if the context is one.
    pub fn from_context(context: &Version) -> Option<Rev> {
        match context.as_slice() {
            [gen, id] => Some(Rev { gen: *gen, id: *id }),
            _ => None,
        }
    }

    /// The context a client carries to edit this revision next (`_rev`).
    pub fn context(self) -> Version {
        vec![self.gen, self.id]
    }
}

impl std::fmt::Display for Rev {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-v{}", self.gen, self.id)
    }
}

/// What a revision records: its parent and whether it deletes the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Revision {
    pub parent: Option<Rev>,
    pub deleted: bool,
}

/// Why a server refuses an edit (CouchDB answers 409 Conflict).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The update names no revision, and the document exists.
    RevisionMissing { current: Rev },
    /// The revision it names is not a current leaf of the document (someone edited it since).
    NotALeaf { named: Rev },
    /// A deletion of a document that does not exist.
    NotFound,
}

/// One document's revisions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RevTree {
    revs: BTreeMap<Rev, Revision>,
}

impl RevTree {
    pub fn is_empty(&self) -> bool {
        self.revs.is_empty()
    }

    /// The leaf revisions: those no revision has as parent.
    pub fn leaves(&self) -> Vec<Rev> {
        let parents: BTreeSet<Rev> = crate::sort::collect(self.revs.values().filter_map(|r| r.parent));
        self.revs.keys().copied().filter(|r| !parents.contains(r)).collect()
    }

    fn deleted(&self, rev: Rev) -> bool {
        self.revs.get(&rev).is_some_and(|r| r.deleted)
    }

    /// The winning revision: the greatest leaf that is not a deletion, or if every leaf is one,
    /// the greatest leaf (the document is deleted).
    pub fn winner(&self) -> Option<Rev> {
        let leaves = self.leaves();
        let live = leaves.iter().copied().filter(|&r| !self.deleted(r)).max();
        live.or_else(|| leaves.into_iter().max())
    }

    /// Whether the document reads as deleted (or was never written).
    pub fn is_deleted(&self) -> bool {
        self.winner().is_none_or(|w| self.deleted(w))
    }

    /// The conflicts: leaves other than the winner that are not deletions, greatest first.
    pub fn conflicts(&self) -> Vec<Rev> {
        let winner = self.winner();
        let mut c: Vec<Rev> = self.leaves().into_iter().filter(|&r| Some(r) != winner && !self.deleted(r)).collect();
        c.reverse();
        c
    }

    /// What a plain read returns: the winner's value, nothing if the document is deleted.
    pub fn read(&self) -> Vec<Value> {
        match self.winner() {
            Some(w) if !self.deleted(w) => vec![w.id],
            _ => Vec::new(),
        }
    }

    /// The values of every leaf, deletions included (what the document still holds).
    pub fn held(&self) -> Vec<Value> {
        self.leaves().into_iter().map(|r| r.id).collect()
    }

    /// An edit writing `value` (a deletion when `deleted`) on the revision `context` names.
    /// Returns the new revision with its ancestors (what to merge here and ship), or why the
    /// server refuses it.
    pub fn edit(&self, context: &Version, value: Value, deleted: bool) -> Result<RevTree, Refusal> {
        let parent = match Rev::from_context(context) {
            Some(named) if self.leaves().contains(&named) => Some(named),
            Some(named) => return Err(Refusal::NotALeaf { named }),
            None => match self.winner() {
                Some(w) if !self.deleted(w) => return Err(Refusal::RevisionMissing { current: w }),
                // Writing a deleted document anew continues its deleted branch.
                Some(w) if !deleted => Some(w),
                _ if deleted => return Err(Refusal::NotFound),
                _ => None,
            },
        };
        let rev = Rev { gen: parent.map_or(1, |p| p.gen + 1), id: value };
        let mut path = RevTree::default();
        path.revs.insert(rev, Revision { parent, deleted });
        let mut at = parent;
        while let Some(p) = at.filter(|_| path.revs.len() <= REVS_LIMIT) {
            let Some(r) = self.revs.get(&p) else { break };
            path.revs.insert(p, *r);
            at = r.parent;
        }
        Ok(path)
    }

    /// The revision an edit created (the greatest of the ones it carries).
    pub fn newest(&self) -> Option<Rev> {
        self.revs.keys().next_back().copied()
    }

    /// Takes in another tree (the union of revisions).
    pub fn merge(&mut self, other: &RevTree) {
        for (&rev, &r) in &other.revs {
            self.revs.entry(rev).or_insert(r);
        }
    }

    /// For the inspector: "3-v17 (conflicts: 2-v12)".
    pub fn describe(&self) -> String {
        let Some(w) = self.winner() else { return "no revisions".into() };
        let mut s = format!("rev {w}");
        if self.deleted(w) {
            s.push_str(" deleted");
        }
        let c = self.conflicts();
        if !c.is_empty() {
            let c: Vec<String> = c.iter().map(|r| r.to_string()).collect();
            s.push_str(&format!(" (conflicts: {})", c.join(", ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(t: &mut RevTree, context: &Version, value: Value) -> Rev {
        let path = t.edit(context, value, false).expect("accepted");
        t.merge(&path);
        path.newest().unwrap()
    }

    #[test]
    fn one_servers_edits_form_one_branch_and_a_stale_rev_is_refused() {
        let mut t = RevTree::default();
        let r1 = applied(&mut t, &vec![], 10);
        assert_eq!(t.edit(&vec![], 11, false), Err(Refusal::RevisionMissing { current: r1 }));
        let r2 = applied(&mut t, &r1.context(), 11);
        assert_eq!(r2, Rev { gen: 2, id: 11 });
        assert_eq!(t.edit(&r1.context(), 12, false), Err(Refusal::NotALeaf { named: r1 }));
        assert_eq!(t.leaves(), vec![r2]);
        assert!(t.conflicts().is_empty());
        assert_eq!(t.read(), vec![11]);
    }

    #[test]
    fn replicas_pick_the_same_winner_longest_history_then_highest_id() {
        let mut base = RevTree::default();
        let r1 = applied(&mut base, &vec![], 1);
        // Server a edits twice, server b once with a higher id: a's branch is longer and wins.
        let (mut a, mut b) = (base.clone(), base.clone());
        let a2 = applied(&mut a, &r1.context(), 5);
        let a3 = applied(&mut a, &a2.context(), 6);
        let b2 = applied(&mut b, &r1.context(), 9);
        let (mut x, mut y) = (a.clone(), b.clone());
        x.merge(&b);
        y.merge(&a);
        assert_eq!(x, y);
        assert_eq!(x.winner(), Some(a3));
        assert_eq!(x.read(), vec![6]);
        assert_eq!(x.conflicts(), vec![b2]);
        // Equal generations: the higher id wins.
        let mut c = base.clone();
        let c2 = applied(&mut c, &r1.context(), 7);
        c.merge(&b);
        assert_eq!(c.winner(), Some(b2));
        assert_eq!(c.conflicts(), vec![c2]);
        // Editing a losing leaf is allowed (that is how an application resolves).
        assert!(c.edit(&c2.context(), 20, true).is_ok());
    }

    #[test]
    fn a_live_leaf_beats_a_deletion() {
        let mut t = RevTree::default();
        let r1 = applied(&mut t, &vec![], 1);
        let mut other = t.clone();
        let d = t.edit(&r1.context(), 50, true).unwrap();
        t.merge(&d);
        assert!(t.is_deleted());
        let live = applied(&mut other, &r1.context(), 2);
        t.merge(&other);
        assert_eq!(t.winner(), Some(live));
        assert!(t.conflicts().is_empty(), "a deleted leaf is no conflict");
        assert_eq!(t.held().len(), 2);
    }
}
