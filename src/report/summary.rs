//! The job summary: markdown appended to `$GITHUB_STEP_SUMMARY` — counts, a table of the
//! failures (rule, severity, object, message, `file:line`, fix), and with `--diff` the diff with
//! the hardened overlay collapsed in `<details>`.
//!
//! GitHub accepts at most 1 MiB per step summary (what the step already wrote counts too), so
//! the summary is fitted into what is left: the diff goes first when it does not fit, then
//! table rows from the end, each time with a note saying what was left out. Everything that
//! comes from the chart or the values goes through `markdown_escape`: a resource named
//! `<img src=x>` or `@org/team` renders as text, never as HTML or a mention.

use super::fix_location;
use super::location::{self, object_name};
use crate::check::CheckReport;
use crate::error::{Error, Result};
use crate::escape::markdown as esc;
use crate::harden::Hardening;
use crate::parse::yaml::emit::yaml_flow;
use std::fmt::Write;
use std::path::Path;

/// GitHub's limit for one step's summary.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// The summary, at most `budget` bytes long. `hardenings` is empty without `--diff`, else one
/// per report.
pub fn render(reports: &[CheckReport], hardenings: &[Hardening], budget: usize) -> String {
    // Room kept for the truncation notes.
    const NOTE_ROOM: usize = 512;
    let mut out = String::new();
    let mut left_out_rows = 0usize;
    let mut left_out_diffs = 0usize;
    for (i, report) in reports.iter().enumerate() {
        let (head, rows) = report_section(report);
        if out.len() + head.len() + NOTE_ROOM > budget {
            left_out_rows += rows.len();
            continue;
        }
        out.push_str(&head);
        for row in rows {
            if out.len() + row.len() + NOTE_ROOM > budget {
                left_out_rows += 1;
            } else {
                out.push_str(&row);
            }
        }
        out.push('\n');
        if let Some(c) = report.comparison.as_ref().filter(|c| !c.change.is_empty()) {
            let change = format!(
                "<details><summary>Change since {} ({} resources change)</summary>\n\n{}\n</details>\n\n",
                esc(&c.base),
                c.change.len(),
                crate::harden::diff::render_markdown(&c.change, crate::harden::diff::Between::Change)
            );
            if out.len() + change.len() + NOTE_ROOM > budget {
                left_out_diffs += 1;
            } else {
                out.push_str(&change);
            }
        }
        if let Some(h) = hardenings.get(i) {
            let diff = diff_section(h);
            if out.len() + diff.len() + NOTE_ROOM > budget {
                left_out_diffs += 1;
            } else {
                out.push_str(&diff);
            }
        }
    }
    if left_out_rows > 0 {
        writeln!(out, "> **Truncated:** {left_out_rows} failures not listed (GitHub's 1 MiB summary limit); the SARIF report and `helm-harden check` list them all.\n").ok();
    }
    if left_out_diffs > 0 {
        writeln!(out, "> **Truncated:** the diff is too large for the job summary; run `helm-harden diff` to see it.\n").ok();
    }
    out
}

fn report_section(report: &CheckReport) -> (String, Vec<String>) {
    let chart = report.chart.name.clone().unwrap_or_else(|| "render".into());
    let version = report.chart.gloo_version.map(|v| format!(" (gloo {v})")).unwrap_or_default();
    let target = report.target.as_ref().map(|t| format!(" [{}]", esc(t))).unwrap_or_default();
    let s = report.summary;
    let mut head = format!("### helm-harden: {}{}{target}\n\n", esc(&chart), esc(&version));
    write!(
        head,
        "**{} failing**, {} passed, {} not applicable, {} advisory",
        s.fail, s.pass, s.na, s.advisory
    )
    .ok();
    if s.suppressed > 0 {
        write!(head, ", {} suppressed", s.suppressed).ok();
    }
    head.push_str("\n\n");
    if let Some(c) = &report.comparison {
        let n = c.counts;
        writeln!(
            head,
            "Against the base `{}`: **{} new**, {} fixed by this change, {} existing.\n",
            c.base.replace('`', "'"),
            n.new,
            n.fixed,
            n.existing
        )
        .ok();
        for note in &c.notes {
            writeln!(head, "- {}", esc(note)).ok();
        }
        for f in &c.fixed {
            writeln!(
                head,
                "- fixed: {} on {}: {}",
                f.rule,
                esc(&object_name(&f.object)),
                esc(f.title)
            )
            .ok();
        }
        if !c.notes.is_empty() || !c.fixed.is_empty() {
            head.push('\n');
        }
    }
    let failures: Vec<_> = location::failures(report).collect();
    if failures.is_empty() {
        return (head, vec![]);
    }
    head.push_str(
        "| Rule | Severity | Object | Message | File:line | Fix |\n|---|---|---|---|---|---|\n",
    );
    let rows = failures
        .iter()
        .map(|f| {
            let at = location::config_place(f)
                .or_else(|| location::values_place(f))
                .map(|p| format!("{}:{}", p.file, p.line.unwrap_or(1)))
                .or_else(|| f.fix.as_deref().and_then(fix_location))
                .or_else(|| location::template_path(report, &f.object))
                .unwrap_or_default();
            let fix = match &f.fix {
                Some(fix) => format!(
                    "`{}: {}`",
                    fix.values_path.replace('`', "'"),
                    yaml_flow(&fix.value).replace('`', "'")
                ),
                None => "not through values".into(),
            };
            let mut severity = match &f.suppressed {
                Some(reason) => format!("{} (suppressed: {})", f.severity.as_str(), esc(reason)),
                None => f.severity.as_str().to_string(),
            };
            if f.change == Some(crate::check::Change::New) {
                severity.push_str(", **new**");
            }
            // Inside a code span nothing renders, but `|` still ends the cell.
            let fix = fix
                .replace('|', "\\|")
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>();
            format!(
                "| {} | {severity} | {} | {} | {} | {fix} |\n",
                f.rule,
                esc(&object_name(&f.object)),
                esc(&f.message),
                esc(&at),
            )
        })
        .collect();
    (head, rows)
}

fn diff_section(h: &Hardening) -> String {
    format!(
        "<details><summary>Diff with the hardened overlay ({} resources change)</summary>\n\n{}\n{}\n</details>\n\n",
        h.diffs.len(),
        crate::harden::diff::render_markdown(&h.diffs, crate::harden::diff::Between::Hardened),
        crate::harden::proof_markdown(h)
    )
}

/// Appends the summary to `path` (`$GITHUB_STEP_SUMMARY`), within what is left of the limit.
pub fn append(path: &Path, reports: &[CheckReport], hardenings: &[Hardening]) -> Result<()> {
    use std::io::Write as _;
    let existing = std::fs::metadata(path).map_or(0, |m| m.len() as usize);
    if path.is_dir() {
        return Err(Error::in_file(path, "is a directory, not the job summary file"));
    }
    let text = render(reports, hardenings, STEP_SUMMARY_LIMIT.saturating_sub(existing));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::in_file(path, format!("cannot append the job summary: {e}")))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::in_file(path, format!("cannot append the job summary: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Finding, FixSuggestion, ObjectRef, Summary};
    use crate::parse::chart::ChartInfo;
    use crate::rules::{Severity, Status};

    fn finding(name: &str, message: &str) -> Finding {
        Finding {
            rule: "GLOO-019",
            severity: Severity::Medium,
            status: Status::Fail,
            title: "Proxy replicas",
            message: message.into(),
            object: std::sync::Arc::new(ObjectRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                name: name.into(),
                namespace: Some("gloo-system".into()),
                template: Some("gloo/templates/7-gateway-proxy-deployment.yaml".into()),
                embedded_in: None,
                line: 10,
            }),
            fix: Some(Box::new(FixSuggestion {
                values_path: "gatewayProxies.gatewayProxy.kind.deployment.replicas".into(),
                value: serde_json::json!(2).into(),
                file: Some("values/prod.yaml".into()),
                line: Some(12),
                exact: true,
                set: None,
                renames: None,
            })),
            suppressed: None,
            pin: None,
            change: None,
            no_fix: None,
        }
    }

    fn report(findings: Vec<Finding>) -> CheckReport {
        let summary = Summary { fail: findings.len(), pass: 3, ..Summary::default() };
        CheckReport {
            chart: ChartInfo { name: Some("gloo".into()), ..ChartInfo::default() },
            findings,
            summary,
            warnings: vec![],
            target: None,
            comparison: None,
            applies: true,
        }
    }

    #[test]
    fn lists_counts_and_each_failure_with_its_line_and_fix() {
        let md = render(
            &[report(vec![finding("gateway-proxy", "replicas is 1")])],
            &[],
            STEP_SUMMARY_LIMIT,
        );
        assert!(md.starts_with("### helm-harden: gloo\n\n**1 failing**, 3 passed, 0 not applicable, 0 advisory\n\n"), "{md}");
        assert!(md.contains(
            "| GLOO-019 | medium | Deployment/gloo-system/gateway-proxy | replicas is 1 | values/prod.yaml:12 | `gatewayProxies.gatewayProxy.kind.deployment.replicas: 2` |\n"
        ), "{md}");
    }

    #[test]
    fn names_from_the_chart_cannot_render_html_or_mention_anyone() {
        let md = render(
            &[report(vec![finding("<img src=x>", "owned by @org/team | <script>")])],
            &[],
            STEP_SUMMARY_LIMIT,
        );
        assert!(!md.contains("<img"), "{md}");
        assert!(!md.contains("<script"), "{md}");
        assert!(md.contains("&lt;img src=x&gt;"), "{md}");
        assert!(!md.contains("@org"), "a mention would notify the team: {md}");
        assert!(md.contains("@\u{200b}org/team"), "{md}");
        // The `|` in the message does not split the row: 7 unescaped cell separators.
        let row = md.lines().find(|l| l.starts_with("| GLOO-019")).unwrap();
        assert_eq!(row.replace("\\|", "").matches('|').count(), 7, "{row}");
    }

    #[test]
    fn stays_within_the_budget_and_says_what_it_left_out() {
        let findings: Vec<Finding> =
            (0..2000).map(|i| finding(&format!("proxy-{i}"), &"x".repeat(200))).collect();
        let md = render(&[report(findings)], &[], 64 * 1024);
        assert!(md.len() <= 64 * 1024, "{}", md.len());
        let listed = md.lines().filter(|l| l.starts_with("| GLOO-019")).count();
        assert!(listed > 100 && listed < 2000, "{listed}");
        assert!(
            md.contains(&format!("> **Truncated:** {} failures not listed", 2000 - listed)),
            "{}",
            &md[md.len() - 300..]
        );
    }

    #[test]
    fn appends_after_what_the_step_already_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");
        std::fs::write(&path, "# earlier step output\n").unwrap();
        append(&path, &[report(vec![finding("gateway-proxy", "replicas is 1")])], &[]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# earlier step output\n### helm-harden: gloo"), "{text}");
        assert!(append(dir.path(), &[], &[]).unwrap_err().to_string().contains("is a directory"));
    }
}
