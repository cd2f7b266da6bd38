//! Findings compared with the base of a change (`--base REF`): each failure of the head is new
//! (not failing at the base) or existing, and the base's failures that are gone are fixed, so a
//! team with known failures can gate on what a pull request adds (`--fail-on-new`).
//!
//! A failure is matched by rule, object and the values path of its fix, never by line: an edit
//! above a key moves every line below it.

use crate::check::{Change, CheckReport, Comparison, Counts, Finding};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::gate::base_ref::{BaseJob, BaseTree};
use crate::parse::{Doc, Keep};
use crate::pipeline::{self, Job};
use crate::rules::{Severity, Status};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

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
    let before: Vec<Finding> = base.map(|b| failing(b).cloned().collect()).unwrap_or_default();
    compare_failures(head, before, base_name, notes);
}

/// [`compare`] against the failures known before (a base's, or a baseline file's).
pub fn compare_failures(
    head: &mut CheckReport,
    before: Vec<Finding>,
    base_name: &str,
    notes: Vec<String>,
) {
    let known: HashSet<Key> = before.iter().map(key).collect();
    let now: HashSet<Key> = failing(head).map(key).collect();
    let mut counts = Counts::default();
    for f in &mut head.findings {
        if f.status != Status::Fail || f.suppressed.is_some() {
            continue;
        }
        let change = if known.contains(&key(f)) { Change::Existing } else { Change::New };
        match change {
            Change::New => counts.new += 1,
            Change::Existing => counts.existing += 1,
        }
        f.change = Some(change);
    }
    let fixed: Vec<Finding> = before.into_iter().filter(|f| !now.contains(&key(f))).collect();
    counts.fixed = fixed.len();
    head.comparison = Some(Box::new(Comparison {
        base: base_name.to_string(),
        fixed,
        notes,
        counts,
        change: Vec::new(),
    }));
}

/// The failures that fail the gate, over every report: those at or above `threshold`, or with
/// `new_only` (`--fail-on-new`) only those the change brings.
pub fn gate(reports: &[CheckReport], threshold: Severity, new_only: bool) -> usize {
    reports
        .iter()
        .map(|r| if new_only { new_failing_at(r, threshold) } else { r.failing_at(threshold) })
        .sum()
}

/// Failures at or above `threshold` that the change brings (all of them when the report was
/// not compared).
pub fn new_failing_at(report: &CheckReport, threshold: Severity) -> usize {
    failing(report)
        .filter(|f| f.severity >= threshold && f.change != Some(Change::Existing))
        .count()
}

/// REF's files for `--base`, and the working directory the jobs' paths are relative to.
pub fn base_tree(rev: &str, jobs: &[Job]) -> Result<(BaseTree, PathBuf)> {
    if jobs.iter().any(|j| j.manifests.is_some()) {
        return Err(Error::new(format!(
            "--base {rev}: pre-rendered manifests have no base; give the CHART"
        )));
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    Ok((BaseTree::checkout(&cwd, rev, jobs)?, cwd))
}

/// [`base_tree`], worked out on first use: the base side's thread asks for it, so that the
/// head's renders go out while git reads REF. Every caller gets the one answer.
pub struct LazyBaseTree<'a> {
    rev: &'a str,
    jobs: &'a [Job],
    tree: std::sync::OnceLock<Result<(BaseTree, PathBuf)>>,
}

impl<'a> LazyBaseTree<'a> {
    pub fn new(rev: &'a str, jobs: &'a [Job]) -> LazyBaseTree<'a> {
        LazyBaseTree { rev, jobs, tree: std::sync::OnceLock::new() }
    }

    /// REF's tree and the working directory the jobs' paths are relative to.
    pub fn get(&self) -> Result<(&BaseTree, &Path)> {
        match self.tree.get_or_init(|| base_tree(self.rev, self.jobs)) {
            Ok((tree, cwd)) => Ok((tree, cwd.as_path())),
            Err(e) => Err(e.clone()),
        }
    }
}

/// A target at the base of a change.
#[derive(Debug, Default)]
pub struct BaseSide {
    /// Its check; None when the target is new in the change.
    pub report: Option<CheckReport>,
    /// Its render, whole, when asked for (the change's diff compares it).
    pub docs: Vec<Doc>,
    /// What the change does to the target itself.
    pub notes: Vec<String>,
}

/// Renders and checks `job` as it is at the base, with the same config (so that a rule
/// switched off or a suppression added shows no false change); the documents are kept whole
/// when `keep_docs`.
pub fn check_base(
    (tree, cwd): (&BaseTree, &Path),
    job: &Job,
    (config, today): (&Config, &str),
    keep_docs: bool,
) -> Result<BaseSide> {
    let (job, notes) = match tree.job(job, cwd) {
        BaseJob::NewTarget { note } => {
            return Ok(BaseSide { notes: vec![note], ..BaseSide::default() })
        }
        BaseJob::Job { job, notes } => (job, notes),
    };
    let keep = if keep_docs { Keep::Everything } else { Keep::WhatRulesRead };
    let (checked, _) = pipeline::check_job(&job, (config, today), keep)
        .map_err(|e| Error::new(format!("at --base {}: {}", tree.name, e.message())))?;
    let docs = if keep_docs { checked.docs } else { Vec::new() };
    Ok(BaseSide { report: Some(checked.report), docs, notes })
}

/// `compare` with what [`check_base`] found.
pub fn compare_with(head: &mut CheckReport, base: BaseSide, base_name: &str) {
    compare(head, base.report.as_ref(), base_name, base.notes);
}
