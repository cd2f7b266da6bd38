//! `--format junit`: JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure
//! DevOps, CircleCI).
//!
//! * One `<testsuite>` per checked target, one `<testcase>` per rule × object: `classname` is
//!   the rule ID, `name` the object (`Kind/namespace/name`, and the ConfigMap it is embedded
//!   in). The findings of one rule on several lines of one object are one test case.
//! * A failure that counts is a `<failure>` (`type` is its severity; the body has every message
//!   and the fix); a not-applicable one is `<skipped>` with the reason, and so is a suppressed
//!   failure (`suppressed: reason`). Passes and advisories are plain test cases (an advisory's
//!   advice in `<system-out>`).
//! * Every failure is a `<failure>`, whatever `--fail-on` says: the exit code is the gate, the
//!   report shows the state.
//! * `file` and `line` name where the finding is placed in the repository, as for SARIF
//!   ([`super::location::place`]).
//! * Warnings (a suppression that matched nothing) go to the suite's `<system-err>`, and to
//!   stderr as for JSON and SARIF.

use super::fix_location;
use super::location;
use crate::check::{CheckReport, Finding};
use crate::escape::xml;
use crate::parse::yaml::emit::yaml_flow;
use crate::rules::Status;
use std::fmt::Write;

/// What a test case shows, from the findings of one rule on one object.
enum Outcome {
    Failure,
    Skipped(String),
    Passed,
}

pub fn render(reports: &[CheckReport]) -> String {
    let mut suites = Vec::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for report in reports {
        let (suite, counts) = suite(report);
        tests += counts.0;
        failures += counts.1;
        skipped += counts.2;
        suites.push(suite);
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    writeln!(
        out,
        "<testsuites name=\"helm-harden\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\">"
    )
    .ok();
    for suite in suites {
        out.push_str(&suite);
    }
    out.push_str("</testsuites>\n");
    out
}

/// One report's suite and its counts (tests, failures, skipped).
fn suite(report: &CheckReport) -> (String, (usize, usize, usize)) {
    // Test cases in order of first appearance (failures first, as the report sorts them).
    let mut cases: Vec<(&'static str, String, Vec<&Finding>)> = Vec::new();
    let mut index: std::collections::HashMap<(&str, String), usize> =
        std::collections::HashMap::new();
    for f in &report.findings {
        let name = match &f.object.embedded_in {
            Some(e) => format!("{} (in {e})", location::object_name(&f.object)),
            None => location::object_name(&f.object),
        };
        let key = (f.rule, name.clone());
        if let Some(&i) = index.get(&key) {
            cases[i].2.push(f);
        } else {
            index.insert(key, cases.len());
            cases.push((f.rule, name, vec![f]));
        }
    }
    let chart = &report.chart;
    let mut suite_name = chart.name.clone().unwrap_or_else(|| "render".into());
    if let Some(v) = chart.gloo_version {
        write!(suite_name, " (gloo {v})").ok();
    }
    if let Some(t) = &report.target {
        write!(suite_name, " [{t}]").ok();
    }
    let mut body = String::new();
    let (mut failures, mut skipped) = (0, 0);
    for (rule, name, findings) in &cases {
        let outcome = if findings.iter().any(|f| f.status == Status::Fail && f.suppressed.is_none())
        {
            failures += 1;
            Outcome::Failure
        } else if let Some(reason) = findings.iter().find_map(|f| f.suppressed.as_ref()) {
            skipped += 1;
            Outcome::Skipped(format!("suppressed: {reason}"))
        } else if findings.iter().all(|f| f.status == Status::Na) {
            skipped += 1;
            Outcome::Skipped(format!("not applicable: {}", findings[0].message))
        } else {
            Outcome::Passed
        };
        let first = findings[0];
        let mut attrs = format!("classname=\"{}\" name=\"{}\"", xml(rule), xml(name));
        if let Some(place) = location::place(report, first) {
            write!(attrs, " file=\"{}\"", xml(&place.file)).ok();
            if let Some(line) = place.line {
                write!(attrs, " line=\"{line}\"").ok();
            }
        }
        match outcome {
            Outcome::Failure => {
                let failing: Vec<&&Finding> =
                    findings.iter().filter(|f| f.status == Status::Fail).collect();
                let mut text = format!("{} — {}", first.rule, first.title);
                for f in &failing {
                    write!(text, "\n{}", f.message).ok();
                    match &f.fix {
                        Some(fix) => {
                            let at =
                                fix_location(fix).map(|l| format!(" ({l})")).unwrap_or_default();
                            write!(
                                text,
                                "\nfix: {}: {}{at}",
                                fix.values_path,
                                yaml_flow(&fix.value)
                            )
                            .ok();
                        }
                        None => {
                            write!(
                                text,
                                "\nfix: not possible through values; see `helm-harden rules {}`",
                                f.rule
                            )
                            .ok();
                        }
                    }
                }
                writeln!(
                    body,
                    "    <testcase {attrs}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    xml(&failing[0].message),
                    first.severity.as_str(),
                    xml(&text)
                )
                .ok();
            }
            Outcome::Skipped(reason) => {
                writeln!(
                    body,
                    "    <testcase {attrs}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml(&reason)
                )
                .ok();
            }
            Outcome::Passed => {
                let advice: Vec<&str> = findings
                    .iter()
                    .filter(|f| f.status == Status::Advisory)
                    .map(|f| f.message.as_str())
                    .collect();
                if advice.is_empty() {
                    writeln!(body, "    <testcase {attrs}/>").ok();
                } else {
                    writeln!(
                        body,
                        "    <testcase {attrs}>\n      <system-out>{}</system-out>\n    </testcase>",
                        xml(&advice.join("\n"))
                    )
                    .ok();
                }
            }
        }
    }
    if !report.warnings.is_empty() {
        let lines: Vec<String> = report.warnings.iter().map(|w| format!("warning: {w}")).collect();
        writeln!(body, "    <system-err>{}</system-err>", xml(&lines.join("\n"))).ok();
    }
    let tests = cases.len();
    let suite = format!(
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\">\n{body}  </testsuite>\n",
        xml(&suite_name)
    );
    (suite, (tests, failures, skipped))
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_from_the_chart_cannot_break_the_xml() {
        assert_eq!(
            super::xml("gw<x y=\"1\">&'\u{1b}[31m\u{202e}\nnext"),
            "gw&lt;x y=&quot;1&quot;&gt;&amp;&apos;\u{fffd}[31m\u{fffd}\nnext"
        );
    }
}
