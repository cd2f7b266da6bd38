//! Findings compared with the base of a change (`--base REF`): each failure of the head is new
//! (not failing at the base) or existing, and the base's failures that are gone are fixed, so a
//! team with known failures can gate on what a pull request adds (`--fail-on-new`).
//!
//! A failure is matched by rule, object and the values path of its fix, never by line: an edit
//! above a key moves every line below it.

use crate::check::{CheckReport, Finding};
use crate::rules::{Severity, Status};
use serde::Serialize;
use std::collections::HashSet;

/// A head failure against the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not failing at the base: this change brings it.
    New,
    /// Failing at the base too.
    Existing,
}

/// One target's findings against its base.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// What the base is, for people: `main (1a2b3c4)`.
    pub base: String,
    /// The base's failures that the head no longer has.
    pub fixed: Vec<Finding>,
    /// What the change does to the target itself (a values file new in it, a new chart).
    pub notes: Vec<String>,
    pub counts: Counts,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub new: usize,
    pub fixed: usize,
    pub existing: usize,
}

/// What identifies a failure across the two renders.
type Key = (&'static str, String, String, Option<String>, Option<String>, Option<String>);

fn key(f: &Finding) -> Key {
    let o = &f.object;
    (
        f.rule,
        o.kind.clone(),
        o.name.clone(),
        o.namespace.clone(),
        o.embedded_in.clone(),
        f.fix.as_ref().map(|fix| fix.values_path.clone()),
    )
}

/// The failures that count: unsuppressed.
fn failing(report: &CheckReport) -> impl Iterator<Item = &Finding> {
    report.findings.iter().filter(|f| f.status == Status::Fail && f.suppressed.is_none())
}

/// Marks each failure of `head` new or existing against `base` (None: the target is new in the
/// change, so all of its failures are new) and lists what `base` failed that `head` does not.
pub fn compare(
    head: &mut CheckReport,
    base: Option<&CheckReport>,
    base_name: &str,
    notes: Vec<String>,
) {
    let before: HashSet<Key> = base.map(|b| failing(b).map(key).collect()).unwrap_or_default();
    let now: HashSet<Key> = failing(head).map(key).collect();
    let mut counts = Counts::default();
    for f in &mut head.findings {
        if f.status != Status::Fail || f.suppressed.is_some() {
            continue;
        }
        let change = if before.contains(&key(f)) { Change::Existing } else { Change::New };
        match change {
            Change::New => counts.new += 1,
            Change::Existing => counts.existing += 1,
        }
        f.change = Some(change);
    }
    let fixed: Vec<Finding> = base
        .map(|b| failing(b).filter(|f| !now.contains(&key(f))).cloned().collect())
        .unwrap_or_default();
    counts.fixed = fixed.len();
    head.comparison =
        Some(Box::new(Comparison { base: base_name.to_string(), fixed, notes, counts }));
}

/// Failures at or above `threshold` that the change brings (all of them when the report was
/// not compared).
pub fn new_failing_at(report: &CheckReport, threshold: Severity) -> usize {
    failing(report)
        .filter(|f| f.severity >= threshold && f.change != Some(Change::Existing))
        .count()
}
