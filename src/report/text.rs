//! `--format text`: findings grouped by object, for a terminal or a CI log.
//! Colour only on a terminal, and never when `NO_COLOR` is set.

use super::fix_location;
use crate::check::{CheckReport, Finding, FixSuggestion, ObjectRef, CONFIG_KIND, VALUES_KIND};
use crate::parse::yaml::emit::yaml_flow;
use crate::rules::{Severity, Status};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    /// `--quiet`: only the failures that count at or above this severity (the `--fail-on`
    /// threshold), and the counts; warnings are left to stderr.
    pub quiet: Option<Severity>,
    /// `--group-by rule`: one block per rule listing its objects, instead of one per object.
    pub by_rule: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Text from the chart made safe for one line of a terminal: control characters (escape
/// sequences, newlines) and bidi controls become `�` ([`crate::escape::terminal`]).
pub fn clean(text: &str) -> String {
    crate::escape::terminal(text)
}

fn object_header(o: &ObjectRef) -> String {
    let ns = o.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
    let mut s = format!("{ns}{}/{}", o.kind, o.name);
    // A suppression or a values key is about a line of the user's file: name it as the user
    // would (relative to the working directory; a config found upward is known by its absolute
    // path) with the line, where an editor or a terminal can jump to it.
    let template = if o.kind == CONFIG_KIND || o.kind == VALUES_KIND {
        o.template
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| format!("{}:{}", super::location::typed_path(t), o.line.max(1)))
    } else {
        o.template.clone()
    };
    match (&o.embedded_in, &template) {
        (Some(e), Some(t)) => write!(s, "  (in {e}, {t})").ok(),
        (Some(e), None) => write!(s, "  (in {e})").ok(),
        (None, Some(t)) => write!(s, "  ({t})").ok(),
        (None, None) => None,
    };
    clean(&s)
}

pub fn render(reports: &[CheckReport], all: bool, style: Style) -> String {
    let mut out = String::new();
    for report in reports {
        render_one(&mut out, report, all, style);
    }
    if style.quiet.is_none() {
        // After every report, each once: the targets of one config repeat the warnings about it.
        for w in super::warnings(reports) {
            writeln!(out, "warning: {}", clean(&w.to_string())).ok();
        }
    }
    out
}

/// Whether a finding is shown: with `--quiet` only the failures that count at or above the
/// threshold, else every failure (suppressed ones with their reason), and the rest with `--all`.
fn shown(f: &Finding, all: bool, style: Style) -> bool {
    match style.quiet {
        Some(threshold) => {
            f.status == Status::Fail && f.suppressed.is_none() && f.severity >= threshold
        }
        None => all || f.status == Status::Fail,
    }
}

/// The identity of the object a finding is about (not its ObjectRef: a finding about one line
/// of it has a ref of its own).
type Identity<'a> = (
    &'a String,
    &'a String,
    &'a String,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
);

fn identity(o: &ObjectRef) -> Identity<'_> {
    (&o.api_version, &o.kind, &o.name, &o.namespace, &o.template, &o.embedded_in)
}

/// Groups in order of first appearance (failures come first).
fn group<'a, K: Eq + std::hash::Hash>(
    findings: impl Iterator<Item = &'a Finding>,
    key: impl Fn(&'a Finding) -> K,
) -> Vec<Vec<&'a Finding>> {
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    let mut group_of: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    for f in findings {
        let k = key(f);
        if let Some(&i) = group_of.get(&k) {
            groups[i].push(f);
        } else {
            group_of.insert(k, groups.len());
            groups.push(vec![f]);
        }
    }
    groups
}

fn label(f: &Finding) -> (&'static str, &'static str) {
    match (f.status, f.suppressed.is_some()) {
        (Status::Fail, true) => ("SUPPRESSED", "2"),
        (Status::Fail, false) => ("FAIL", "31;1"),
        (Status::Pass, _) => ("PASS", "32"),
        (Status::Na, _) => ("NA", "2"),
        (Status::Advisory, _) => ("ADVISORY", "36"),
    }
}

fn render_one(out: &mut String, report: &CheckReport, all: bool, style: Style) {
    let chart = &report.chart;
    let name = chart.name.clone().unwrap_or_else(|| "render".into());
    let version = chart.gloo_version.map(|v| format!(" (gloo {v})")).unwrap_or_default();
    let target = report.target.as_ref().map(|t| format!(" [{t}]")).unwrap_or_default();
    writeln!(out, "{}", style.paint("1", &clean(&format!("{name}{version}{target}")))).ok();
    if let Some(c) = &report.comparison {
        let n = c.counts;
        let line = format!(
            "compared with {}: {} new, {} fixed, {} existing failure(s)",
            c.base, n.new, n.fixed, n.existing
        );
        writeln!(out, "{}", clean(&line)).ok();
        for note in &c.notes {
            writeln!(out, "  {}", clean(note)).ok();
        }
    }
    let shown = report.findings.iter().filter(|f| shown(f, all, style));
    if style.by_rule {
        for findings in group(shown, |f| (f.rule, f.status, f.suppressed.is_some())) {
            rule_block(out, &findings, style);
        }
    } else {
        for findings in group(shown, |f| identity(&f.object)) {
            writeln!(out, "\n  {}", style.paint("4", &object_header(&findings[0].object))).ok();
            let joint = joint_fixes(&findings);
            let mut done = vec![false; findings.len()];
            for i in 0..findings.len() {
                if done[i] {
                    continue;
                }
                // Several fixes of one key: the failures together, then one instruction.
                if let Some((members, fix)) = joint.iter().find(|(members, _)| members[0] == i) {
                    for &m in members {
                        finding_line(out, findings[m], style);
                        done[m] = true;
                    }
                    let rules: Vec<&str> = members.iter().map(|&m| findings[m].rule).collect();
                    fix_line(out, fix, &rules, "         ");
                } else {
                    finding_line(out, findings[i], style);
                    fix_lines(out, findings[i], "         ");
                }
            }
        }
    }
    if let Some(c) = report.comparison.as_ref().filter(|c| !c.fixed.is_empty()) {
        writeln!(out, "\n  fixed since {}:", clean(&c.base)).ok();
        for f in &c.fixed {
            let o = &f.object;
            let line = format!("{} {}/{}: {}", f.rule, o.kind, o.name, f.title);
            writeln!(out, "    {} {}", style.paint("32", "FIXED"), clean(&line)).ok();
        }
    }
    let s = report.summary;
    let mut line = format!("\n{} failing", s.fail);
    let by_severity = failing_by_severity(report);
    if !by_severity.is_empty() {
        write!(line, " ({by_severity})").ok();
    }
    write!(line, ", {} passed, {} not applicable, {} advisory", s.pass, s.na, s.advisory).ok();
    if s.suppressed > 0 {
        write!(line, ", {} suppressed", s.suppressed).ok();
    }
    writeln!(out, "{}", style.paint(if s.fail > 0 { "31" } else { "32" }, &line)).ok();
    out.push('\n');
}

/// One finding's line (and its suppression's reason) in the block of its object.
fn finding_line(out: &mut String, f: &Finding, style: Style) {
    let (label, code) = label(f);
    writeln!(
        out,
        "    {} {:<9} {:<6} {}: {}{}",
        style.paint(code, &format!("{label:<4}")),
        f.rule,
        f.severity.as_str(),
        f.title,
        clean(&f.message),
        new_mark(f, style)
    )
    .ok();
    if let Some(reason) = &f.suppressed {
        writeln!(out, "         suppressed: {}", clean(reason)).ok();
    }
}

/// Failures of one object whose fixes set one values key (GLOO-025's `podTemplate.probes`,
/// which GLOO-026's `podTemplate: {probes: true, livenessProbeEnabled: true}` sets too; K8S-002's
/// `podTemplate` mapping beside it), in one file and without conflict: the indexes of each set (in order, at least two) and the one fix
/// that applies them all, the outer key's, at that key's own line. Fixes of keys side by side
/// (`podTemplate.resources.requests` beside `podTemplate.probes`) stay two instructions.
fn joint_fixes(findings: &[&Finding]) -> Vec<(Vec<usize>, FixSuggestion)> {
    let joinable = |f: &Finding| {
        f.status == Status::Fail
            && f.suppressed.is_none()
            && f.fix.as_ref().is_some_and(|fix| fix.renames.is_none() && fix.set.is_none())
    };
    let overlap = |a: &FixSuggestion, b: &FixSuggestion| {
        a.file == b.file
            && (a.values_path == b.values_path
                || leaves(a)
                    .iter()
                    .any(|x| leaves(b).iter().any(|y| is_within(x, y) || is_within(y, x))))
    };
    let mut sets: Vec<(Vec<usize>, FixSuggestion)> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let Some(fix) = f.fix.as_deref().filter(|_| joinable(f)) else { continue };
        let (mut members, mut joint) = (vec![i], fix.clone());
        let mut k = 0;
        while k < sets.len() {
            if !overlap(&sets[k].1, &joint) {
                k += 1;
                continue;
            }
            let merged = if is_within(&joint.values_path, &sets[k].1.values_path) {
                join(&sets[k].1, &joint)
            } else {
                join(&joint, &sets[k].1)
            };
            let Some(merged) = merged else {
                k += 1;
                continue;
            };
            let (others, _) = sets.remove(k);
            members.extend(others);
            joint = merged;
        }
        members.sort_unstable();
        sets.push((members, joint));
    }
    sets.retain(|(members, _)| members.len() > 1);
    sets
}

/// The dotted paths a fix sets: the leaves of its value below its key (a list is one).
fn leaves(fix: &FixSuggestion) -> Vec<String> {
    fn walk(at: String, v: &serde_json::Value, out: &mut Vec<String>) {
        match v.as_object().filter(|m| !m.is_empty()) {
            Some(map) => map.iter().for_each(|(k, v)| walk(format!("{at}.{k}"), v, out)),
            None => out.push(at),
        }
    }
    let mut out = Vec::new();
    walk(fix.values_path.clone(), &fix.value, &mut out);
    out
}

fn is_within(path: &str, key: &str) -> bool {
    crate::check::is_within(path, key)
}

/// `outer` with `inner` (a key at or below it) merged in, at `outer`'s place; None when they
/// set something differently (then they are two instructions, as `fix` applies them).
fn join(outer: &FixSuggestion, inner: &FixSuggestion) -> Option<FixSuggestion> {
    let below = inner.values_path[outer.values_path.len()..].trim_start_matches('.');
    let mut widened = serde_json::Value::clone(&inner.value);
    for key in below.split('.').filter(|k| !k.is_empty()).rev() {
        widened = serde_json::json!({ key: widened });
    }
    let mut one = serde_json::Value::clone(&outer.value);
    crate::parse::values::merge(&mut one, widened.clone());
    let mut other = widened;
    crate::parse::values::merge(&mut other, serde_json::Value::clone(&outer.value));
    (one == other).then(|| FixSuggestion { value: std::sync::Arc::new(one), ..outer.clone() })
}

/// ` [new]` after a failure the change adds (`--base`).
fn new_mark(f: &Finding, style: Style) -> String {
    match f.change {
        Some(crate::check::Change::New) => style.paint("33;1", " [new]"),
        _ => String::new(),
    }
}

/// `3 high, 12 medium, 1 low`: the failures that count, by severity, most severe first.
fn failing_by_severity(report: &CheckReport) -> String {
    [Severity::High, Severity::Medium, Severity::Low, Severity::Info]
        .into_iter()
        .filter_map(|severity| {
            let n = report
                .findings
                .iter()
                .filter(|f| {
                    f.status == Status::Fail && f.suppressed.is_none() && f.severity == severity
                })
                .count();
            (n > 0).then(|| format!("{n} {}", severity.as_str()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--group-by rule`: the rule once, then each object with its message; the fix once at the end
/// when every object's fix is the same key and value (a chart-wide key), else under each object.
fn rule_block(out: &mut String, findings: &[&Finding], style: Style) {
    let first = findings[0];
    let (label, code) = label(first);
    let objects = match findings.len() {
        1 => String::new(),
        n => format!("  ({n} objects)"),
    };
    writeln!(
        out,
        "\n  {} {:<9} {:<6} {}{objects}",
        style.paint(code, &format!("{label:<4}")),
        first.rule,
        first.severity.as_str(),
        first.title
    )
    .ok();
    let fix_key = |f: &Finding| {
        f.fix.as_ref().map(|fix| (fix.values_path.clone(), fix.value.clone(), fix_location(fix)))
    };
    let one_fix = findings.len() > 1
        && first.fix.is_some()
        && findings.iter().all(|f| fix_key(f) == fix_key(first));
    for f in findings {
        writeln!(
            out,
            "    {}: {}{}",
            style.paint("4", &object_header(&f.object)),
            clean(&f.message),
            new_mark(f, style)
        )
        .ok();
        if let Some(reason) = &f.suppressed {
            writeln!(out, "         suppressed: {}", clean(reason)).ok();
        }
        if !one_fix {
            fix_lines(out, f, "         ");
        }
    }
    if one_fix {
        fix_lines(out, first, "    ");
    }
}

/// A fix value longer than this many characters is folded in text output.
const FOLD_AT: usize = 80;

/// The `fix:` line of a finding (and, for a folded value, where to read it whole).
fn fix_lines(out: &mut String, f: &Finding, indent: &str) {
    if let Some(fix) = &f.fix {
        fix_line(out, fix, &[f.rule], indent);
    } else if f.status == Status::Fail {
        writeln!(
            out,
            "{indent}fix: not possible through values; see `helm-harden rules {}`",
            f.rule
        )
        .ok();
    }
}

/// `fix: KEY: VALUE  (change at FILE:LINE)`, for the failures of `rules` (named when several
/// share it: `fix (GLOO-025, GLOO-026): ...`).
fn fix_line(out: &mut String, fix: &FixSuggestion, rules: &[&str], indent: &str) {
    let whose = if rules.len() > 1 { format!(" ({})", rules.join(", ")) } else { String::new() };
    {
        let at = fix_location(fix).map(|l| {
            let verb = if fix.exact { "change at" } else { "add under" };
            format!("  ({verb} {l})")
        });
        let (what, folded) = if let Some(old) = &fix.renames {
            (format!("rename {old} to {}", fix.values_path), None)
        } else {
            let value = yaml_flow(&fix.value);
            let chars = value.chars().count();
            if chars > FOLD_AT {
                let head: String = value.chars().take(FOLD_AT).collect();
                (format!("{}: {head}…", fix.values_path), Some(chars))
            } else {
                (format!("{}: {value}", fix.values_path), None)
            }
        };
        writeln!(out, "{indent}fix{whose}: {}{}", clean(&what), clean(&at.unwrap_or_default()))
            .ok();
        if let Some(chars) = folded {
            writeln!(
                out,
                "{indent}     (value folded, {chars} characters: `helm-harden overlay` writes it whole, `helm-harden rules {}` explains it)",
                rules[0]
            )
            .ok();
        }
    }
}
