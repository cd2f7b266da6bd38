//! `helm-harden fix`: the fixes of a check written into the user's own values files, with the
//! very edits a pull request review suggests ([`crate::harden::values_edit::combine`]): comments, key
//! order, indentation and quoting elsewhere in the file are kept.
//!
//! The files are edited as copies: each round checks the chart with the copies, applies every
//! fix a values line can take to the file that decides its key (the last `-f` file where none
//! does), and checks again, until a round changes nothing (a fix that would undo another waits
//! for the next round, as in a review). Only then are the user's files replaced, atomically,
//! each at most once; `--dry-run` replaces nothing. A key that a `--set` argument decides is
//! reported, never edited.

use crate::check::{CheckReport, FixSuggestion};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::pipeline::{self, Job};
use crate::rules::{Severity, Status};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Rounds of check and edit before giving up on reaching a fixed point (each round applies
/// every fix that joins; two are the usual, the third is a guard).
const MAX_ROUNDS: usize = 4;

/// What `fix` did to one target.
#[derive(Debug)]
pub struct Fixed {
    /// Each values file it changes: its path, its text before and after.
    pub changes: Vec<(PathBuf, String, String)>,
    /// The check before any edit, and after the last.
    pub before: CheckReport,
    pub after: CheckReport,
    /// Failures whose key a `--set` argument decides: `(rule, object, flag)`.
    pub set_by_flag: Vec<(String, String, String)>,
}

/// Fixes `job`'s values files (as copies) for every failure at or above `min` whose fix a
/// values line takes.
pub fn fix_job(job: &Job, (config, today): (&Config, &str), min: Severity) -> Result<Fixed> {
    if job.manifests.is_some() {
        return Err(Error::new("fix renders the chart: give the CHART, not --manifests"));
    }
    let originals = job.request.values.clone();
    if originals.is_empty() {
        return Err(Error::new(
            "fix edits your values files: give the one to change with -f (helm-harden overlay prints the fixes without one)",
        ));
    }
    let work = tempfile::Builder::new()
        .prefix("helm-harden-fix-")
        .tempdir()
        .map_err(|e| Error::new(format!("cannot create a temporary directory: {e}")))?;
    let mut copies = Vec::new();
    let mut texts = Vec::new();
    for (i, original) in originals.iter().enumerate() {
        let text = crate::parse::values::ValuesFile::load(original)?.text;
        let copy = work.path().join(format!("{i}.yaml"));
        write(&copy, &text)?;
        copies.push(copy);
        texts.push(text);
    }
    let mut working = job.clone();
    working.request.values.clone_from(&copies);
    // Errors (a failed render names the values line at fault) speak of the user's files.
    let user_terms = |e: Error| {
        let mut message = e.message().to_string();
        for (copy, original) in copies.iter().zip(&originals) {
            message = message.replace(&copy.display().to_string(), &original.display().to_string());
        }
        Error::new(message)
    };
    let mut before = None;
    let mut set_by_flag = Vec::new();
    let mut after = None;
    for _ in 0..MAX_ROUNDS {
        let report = pipeline::run_job(&working, config, today).map_err(user_terms)?.into_report();
        let edits = edits_by_file(&report, &copies, min, &mut set_by_flag);
        let mut changed = false;
        for (i, fixes) in edits {
            let current = std::fs::read_to_string(&copies[i])
                .map_err(|e| Error::in_file(&copies[i], format!("cannot read: {e}")))?;
            let next = edited(&current, &fixes);
            if next != current {
                write(&copies[i], &next)?;
                changed = true;
            }
        }
        if before.is_none() {
            before = Some(report.clone());
        }
        if !changed {
            after = Some(report);
            break;
        }
    }
    let after = match after {
        Some(report) => report,
        None => pipeline::run_job(&working, config, today).map_err(user_terms)?.into_report(),
    };
    let mut changes = Vec::new();
    for ((original, copy), text) in originals.iter().zip(&copies).zip(texts) {
        let now = std::fs::read_to_string(copy)
            .map_err(|e| Error::in_file(copy, format!("cannot read: {e}")))?;
        if now != text {
            changes.push((original.clone(), text, now));
        }
    }
    set_by_flag.sort();
    set_by_flag.dedup();
    let before = before.unwrap_or_else(|| after.clone());
    Ok(Fixed {
        changes,
        before: relabel(before, &copies, &originals),
        after: relabel(after, &copies, &originals),
        set_by_flag,
    })
}

/// `text` with `fixes` written in: those under a key the file has, as a review suggests them;
/// those whose top-level key the file lacks (no line to put them under), as new blocks at its
/// end, each leaf noted with the rule it fixes.
fn edited(text: &str, fixes: &[(&'static str, FixSuggestion)]) -> String {
    let (anchored, new_blocks): (Vec<_>, Vec<_>) =
        fixes.iter().partition(|(_, fix)| fix.line.is_some());
    let refs: Vec<&FixSuggestion> = anchored.iter().map(|(_, fix)| fix).collect();
    let mut out =
        crate::harden::values_edit::apply_all(text, &refs).unwrap_or_else(|| text.to_string());
    if new_blocks.is_empty() {
        return out;
    }
    let mut blocks = crate::harden::overlay::Overlay::default();
    for (rule, fix) in new_blocks {
        blocks.add(&fix.values_path, &fix.value, rule);
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.trim().is_empty() {
        out.push('\n');
    }
    out.push_str(&blocks.to_yaml(&[]));
    out
}

/// The fixes of `report`'s failures at or above `min` (with the rule of each), by the index of
/// the values file (of `copies`) that takes them; a failure whose key `--set` decides goes to
/// `set_by_flag`.
fn edits_by_file(
    report: &CheckReport,
    copies: &[PathBuf],
    min: Severity,
    set_by_flag: &mut Vec<(String, String, String)>,
) -> BTreeMap<usize, Vec<(&'static str, FixSuggestion)>> {
    let mut edits: BTreeMap<usize, Vec<(&'static str, FixSuggestion)>> = BTreeMap::new();
    for f in &report.findings {
        if f.status != Status::Fail || f.suppressed.is_some() || f.severity < min {
            continue;
        }
        let Some(fix) = &f.fix else { continue };
        if let Some(flag) = &fix.set {
            set_by_flag.push((f.rule.to_string(), f.object.kind_name(), flag.clone()));
            continue;
        }
        // Where nothing decides the key, check already places it under the last file.
        let file = fix.file.as_deref().unwrap_or_default();
        let index = copies.iter().position(|c| c.display().to_string() == file);
        let index = index.unwrap_or(copies.len() - 1);
        let list = edits.entry(index).or_default();
        if !list.iter().any(|(_, known)| same_edit(known, fix)) {
            list.push((f.rule, (**fix).clone()));
        }
    }
    edits
}

/// Two findings (a rule on two objects) with one fix for the same key are one edit.
fn same_edit(a: &FixSuggestion, b: &FixSuggestion) -> bool {
    a.values_path == b.values_path && a.value == b.value && a.renames == b.renames
}

/// The report with the copies' paths as the user named the files.
fn relabel(mut report: CheckReport, copies: &[PathBuf], originals: &[PathBuf]) -> CheckReport {
    let names: Vec<(String, String)> = copies
        .iter()
        .zip(originals)
        .map(|(c, o)| (c.display().to_string(), o.display().to_string()))
        .collect();
    for f in &mut report.findings {
        let Some(fix) = f.fix.as_mut() else { continue };
        if let Some(file) = fix.file.as_mut() {
            if let Some((_, original)) = names.iter().find(|(copy, _)| copy == file) {
                file.clone_from(original);
            }
        }
        if let Some((_, original)) =
            names.iter().find(|(copy, _)| *copy == f.object.template.clone().unwrap_or_default())
        {
            let mut object = (*f.object).clone();
            object.template = Some(original.clone());
            f.object = std::sync::Arc::new(object);
        }
    }
    report
}

fn write(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::in_file(path, format!("cannot write: {e}")))
}

/// A unified diff of one file's change, as `git diff` prints it.
pub fn unified_diff(path: &std::path::Path, before: &str, after: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// Failures of `before` gone from `after`, and those left with why: `(rule, object, reason)`.
pub fn fixed_and_left(fixed: &Fixed, min: Severity) -> (Vec<String>, Vec<String>) {
    let failing = |r: &CheckReport| -> Vec<(String, String, String)> {
        r.findings
            .iter()
            .filter(|f| f.status == Status::Fail && f.suppressed.is_none() && f.severity >= min)
            .map(|f| {
                let reason = match &f.fix {
                    None => match &f.no_fix {
                        Some(why) => format!("no values fix: {why}"),
                        None => format!("no values fix (`helm-harden rules {}`)", f.rule),
                    },
                    Some(fix) if fix.set.is_some() => {
                        format!("set by {}: change it there", fix.set.as_deref().unwrap_or("--set"))
                    }
                    Some(_) => "its fix did not take (see `helm-harden check`)".to_string(),
                };
                (f.rule.to_string(), f.object.kind_name(), reason)
            })
            .collect()
    };
    let (was, now) = (failing(&fixed.before), failing(&fixed.after));
    let key = |(rule, object, _): &(String, String, String)| (rule.clone(), object.clone());
    let still: std::collections::HashSet<_> = now.iter().map(key).collect();
    let gone = was
        .iter()
        .filter(|f| !still.contains(&key(f)))
        .map(|(rule, object, _)| format!("{rule} {object}"))
        .collect();
    let left = now.iter().map(|(rule, object, why)| format!("{rule} {object}: {why}")).collect();
    (gone, left)
}

/// The fixes of `fixed` (failures at or above `min` that it fixed) that change how traffic is
/// handled: each such rule once, with what to review and the keys it writes.
pub fn review_before_applying(
    fixed: &Fixed,
    min: Severity,
) -> Vec<(String, &'static str, Vec<String>)> {
    let still: std::collections::HashSet<(&str, String)> = fixed
        .after
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| (f.rule, f.object.kind_name()))
        .collect();
    let mut notes: Vec<(String, &'static str, Vec<String>)> = Vec::new();
    for f in &fixed.before.findings {
        if f.status != Status::Fail || f.suppressed.is_some() || f.severity < min {
            continue;
        }
        let (Some(note), Some(fix)) = (crate::rules::review_before_applying(f.rule), &f.fix) else {
            continue;
        };
        if fix.set.is_some() || still.contains(&(f.rule, f.object.kind_name())) {
            continue;
        }
        let at = notes.iter().position(|(rule, _, _)| rule == f.rule).unwrap_or_else(|| {
            notes.push((f.rule.to_string(), note, Vec::new()));
            notes.len() - 1
        });
        if !notes[at].2.contains(&fix.values_path) {
            notes[at].2.push(fix.values_path.clone());
        }
    }
    notes
}
