//! `--format text`: findings grouped by object, for a terminal or a CI log.
//! Colour only on a terminal, and never when `NO_COLOR` is set.

use super::{fix_location, yaml_flow};
use crate::check::{CheckReport, Finding, ObjectRef, CONFIG_KIND, VALUES_KIND};
use crate::rules::Status;
use std::fmt::Write;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
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
/// sequences, newlines) and bidi controls become `�` ([`super::escape::terminal`]).
pub fn clean(text: &str) -> String {
    super::escape::terminal(text)
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
    // After every report, each once: the targets of one config repeat the warnings about it.
    for w in super::warnings(reports) {
        writeln!(out, "warning: {}", clean(&w.to_string())).ok();
    }
    out
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
    let shown: Vec<&Finding> =
        report.findings.iter().filter(|f| all || f.status == Status::Fail).collect();
    // Group by object, in order of first appearance (failures come first). The object, not its
    // ObjectRef: a finding about one line of it has a ref of its own.
    let mut groups: Vec<(&ObjectRef, Vec<&Finding>)> = Vec::new();
    let mut group_of: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    for f in shown {
        let o = &*f.object;
        let identity =
            (&o.api_version, &o.kind, &o.name, &o.namespace, &o.template, &o.embedded_in);
        if let Some(&i) = group_of.get(&identity) {
            groups[i].1.push(f);
        } else {
            group_of.insert(identity, groups.len());
            groups.push((o, vec![f]));
        }
    }
    for (object, findings) in groups {
        writeln!(out, "\n  {}", style.paint("4", &object_header(object))).ok();
        for f in findings {
            let (label, code) = match (f.status, f.suppressed.is_some()) {
                (Status::Fail, true) => ("SUPPRESSED", "2"),
                (Status::Fail, false) => ("FAIL", "31;1"),
                (Status::Pass, _) => ("PASS", "32"),
                (Status::Na, _) => ("NA", "2"),
                (Status::Advisory, _) => ("ADVISORY", "36"),
            };
            let change = match f.change {
                Some(crate::compare::Change::New) => style.paint("33;1", " [new]"),
                _ => String::new(),
            };
            writeln!(
                out,
                "    {} {:<9} {:<6} {}: {}{change}",
                style.paint(code, &format!("{label:<4}")),
                f.rule,
                f.severity.as_str(),
                f.title,
                clean(&f.message)
            )
            .ok();
            if let Some(reason) = &f.suppressed {
                writeln!(out, "         suppressed: {}", clean(reason)).ok();
            }
            if let Some(fix) = &f.fix {
                let at = fix_location(fix).map(|l| {
                    let verb = if fix.exact { "change at" } else { "add under" };
                    format!("  ({verb} {l})")
                });
                let what = match &fix.renames {
                    Some(old) => format!("rename {old} to {}", fix.values_path),
                    None => format!("{}: {}", fix.values_path, yaml_flow(&fix.value)),
                };
                writeln!(out, "         fix: {}{}", clean(&what), clean(&at.unwrap_or_default()))
                    .ok();
            } else if f.status == Status::Fail {
                writeln!(
                    out,
                    "         fix: not possible through values; see `helm-harden rules {}`",
                    f.rule
                )
                .ok();
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
    let mut line = format!(
        "\n{} failing, {} passed, {} not applicable, {} advisory",
        s.fail, s.pass, s.na, s.advisory
    );
    if s.suppressed > 0 {
        write!(line, ", {} suppressed", s.suppressed).ok();
    }
    writeln!(out, "{}", style.paint(if s.fail > 0 { "31" } else { "32" }, &line)).ok();
    out.push('\n');
}
