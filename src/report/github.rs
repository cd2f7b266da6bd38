//! `--format github`: GitHub Actions workflow commands, one annotation per failure
//! (`::error file=F,line=L,title=T::message`).
//!
//! * Level from severity as in SARIF: high → `error`, medium and low → `warning`, info →
//!   `notice`. Suppressed failures are not annotated (they are accepted).
//! * File and line: for HH-CONFIG the suppression's line in the config file; else the
//!   values-file line the fix goes on; else the chart template (line 1, the line SARIF gives the
//!   same result: annotations and code scanning alerts sit on the same location); else no file
//!   (the annotation still shows on the run).
//! * Warnings (a suppression that matched nothing) come first, once each however many targets
//!   repeat them: `::warning file=<config>,line=<n>::message`.
//! * GitHub shows at most 10 annotations of each level per step: at most 10 of each are
//!   emitted, most severe first, and one final `::notice::` counts the rest. When that notice
//!   is needed, notices are capped at 9 so that it is not the one GitHub drops. `review`'s
//!   fallback (a read-only token) goes through the same [`annotate`], counting its own
//!   `::warning::` against the limit, as `check` counts the warnings.
//! * Escaping as the runner unescapes: in the message `%` → `%25`, CR → `%0D`, LF → `%0A`;
//!   in properties also `:` → `%3A` and `,` → `%2C`. Nothing from the chart can end the command
//!   line or start another command. The log is a terminal: other control characters (ESC) and
//!   bidi controls become `�`, as in text output.

use super::location::{self, object_name, Place};
use crate::check::{CheckReport, Finding, Warning};
use crate::escape;
use crate::rules::Severity;

/// What GitHub displays per level and step.
pub const PER_LEVEL_LIMIT: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    pub fn of(severity: Severity) -> Level {
        match severity {
            Severity::High => Level::Error,
            Severity::Medium | Severity::Low => Level::Warning,
            Severity::Info => Level::Notice,
        }
    }

    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// Message text of a workflow command, escaped as the runner unescapes it.
pub use crate::escape::workflow_data as escape_data;
/// A property value (`file=`, `title=`): also `:` and `,`.
pub use crate::escape::workflow_property as escape_property;

/// A failure to annotate and where it is shown (None: on the run, without a file).
#[derive(Debug, Clone)]
pub struct Annotation<'a> {
    pub report: &'a CheckReport,
    pub finding: &'a Finding,
    pub place: Option<Place>,
}

impl<'a> Annotation<'a> {
    /// At [`location::place`], as `check --format github` shows it.
    pub fn at_place(report: &'a CheckReport, finding: &'a Finding) -> Annotation<'a> {
        Annotation { report, finding, place: location::place(report, finding) }
    }

    /// The workflow command: `::level file=F,line=L,title=RULE title::message`, escaped.
    fn command(&self) -> String {
        let (report, f) = (self.report, self.finding);
        let mut props = place_properties(self.place.as_ref());
        props.push(format!("title={}", escape_property(&format!("{} {}", f.rule, f.title))));
        let mut message =
            format!("{}: {}\n{}", object_name(&f.object), f.message, location::fix_sentence(f));
        if let Some(target) = &report.target {
            message.push_str(&format!("\nTarget: {target}"));
        }
        format!(
            "::{} {}::{}\n",
            Level::of(f.severity).command(),
            props.join(","),
            escape_data(&message)
        )
    }
}

/// `file=F` and `line=L` of a command shown at `place`, escaped. A file without a line (a
/// template) is shown at line 1, as SARIF's `startLine` places it.
fn place_properties(place: Option<&Place>) -> Vec<String> {
    let mut props = Vec::new();
    if let Some(place) = place {
        props.push(format!("file={}", escape_property(&place.file)));
        props.push(format!("line={}", place.line.unwrap_or(1).max(1)));
    }
    props
}

/// `check --format github`: the warnings (each once, at their file and line), then every
/// unsuppressed failure, capped per level counting the warnings.
pub fn render(reports: &[CheckReport]) -> String {
    let (mut out, already) = warnings(&super::warnings(reports));
    let failures: Vec<Annotation> = reports
        .iter()
        .flat_map(|r| {
            location::failures(r)
                .filter(|f| f.suppressed.is_none())
                .map(move |f| Annotation::at_place(r, f))
        })
        .collect();
    out.push_str(&annotate(failures, &already, "in the job summary and the SARIF report"));
    out
}

/// `::warning file=F,line=L::message` per warning, and the levels printed. Beyond GitHub's
/// limit a warning would not be shown as an annotation: it is a plain line of the log.
fn warnings(warnings: &[&Warning]) -> (String, Vec<Level>) {
    let mut out = String::new();
    let mut levels = Vec::new();
    for w in warnings {
        if levels.len() == PER_LEVEL_LIMIT {
            out.push_str(&format!("warning: {}\n", escape::terminal(&w.to_string())));
            continue;
        }
        let place =
            w.file.as_ref().map(|file| Place { file: location::cwd_relative(file), line: w.line });
        let props = place_properties(place.as_ref());
        let props = if props.is_empty() { String::new() } else { format!(" {}", props.join(",")) };
        out.push_str(&format!("::warning{props}::{}\n", escape_data(&w.message)));
        levels.push(Level::Warning);
    }
    (out, levels)
}

/// The annotations of `failures` as workflow commands, within GitHub's limit per level and
/// step: most severe first, at most [`PER_LEVEL_LIMIT`] of each level counting the commands of
/// `already` (levels this step has already printed), and one final `::notice` that counts the
/// rest and says they are all `rest_are` (e.g. "in the job summary and the SARIF report").
pub fn annotate(mut failures: Vec<Annotation>, already: &[Level], rest_are: &str) -> String {
    // Most severe first; stable, so report order (already by severity) is kept within a level.
    failures.sort_by_key(|a| std::cmp::Reverse(a.finding.severity));
    let room = |level: Level| {
        PER_LEVEL_LIMIT.saturating_sub(already.iter().filter(|l| **l == level).count())
    };
    let shown = |notice_cap: usize| {
        let mut counts = [0usize; 3];
        failures
            .iter()
            .filter(|a| {
                let level = Level::of(a.finding.severity);
                let cap = if level == Level::Notice { notice_cap } else { room(level) };
                let count = &mut counts[level as usize];
                *count += 1;
                *count <= cap
            })
            .collect::<Vec<_>>()
    };
    let mut emitted = shown(room(Level::Notice));
    if emitted.len() < failures.len() {
        // The overflow notice is itself a notice: keep room for it.
        emitted = shown(room(Level::Notice).saturating_sub(1));
    }
    let mut out: String = emitted.iter().map(|a| a.command()).collect();
    let rest = failures.len() - emitted.len();
    if rest > 0 {
        let noun = if rest == 1 { "failure" } else { "failures" };
        out.push_str(&format!(
            "::notice title=helm-harden::{}\n",
            escape_data(&format!("{rest} more {noun} not annotated (GitHub shows 10 annotations of each level per step); all {} are {rest_are}.", failures.len()))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{FixSuggestion, ObjectRef, Summary};
    use crate::parse::chart::ChartInfo;
    use crate::rules::Status;

    fn finding(rule: &'static str, severity: Severity, name: &str) -> Finding {
        Finding {
            rule,
            severity,
            status: Status::Fail,
            title: "A title, with: punctuation",
            message: "something is off".into(),
            object: std::sync::Arc::new(ObjectRef {
                api_version: "v1".into(),
                kind: "Deployment".into(),
                name: name.into(),
                namespace: Some("gloo-system".into()),
                template: Some("gloo/templates/x.yaml".into()),
                embedded_in: None,
                line: 3,
            }),
            fix: None,
            suppressed: None,
            pin: None,
            change: None,
            no_fix: None,
        }
    }

    fn report(findings: Vec<Finding>) -> CheckReport {
        CheckReport {
            chart: ChartInfo::default(),
            findings,
            summary: Summary::default(),
            warnings: vec![],
            target: None,
            comparison: None,
            applies: true,
        }
    }

    #[test]
    fn escapes_data_and_properties_as_the_runner_unescapes() {
        assert_eq!(escape_data("100% a\r\nb::c,d"), "100%25 a%0D%0Ab::c,d");
        assert_eq!(escape_property("100% a\r\nb::c,d"), "100%25 a%0D%0Ab%3A%3Ac%2Cd");
        // `%` first: an already-escaped-looking sequence stays literal.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn a_hostile_resource_name_stays_inside_one_command() {
        let name = "evil::error file=x,line=1::pwned%0A\n::warning::injected,";
        let mut f = finding("GLOO-001", Severity::High, name);
        f.fix = Some(Box::new(FixSuggestion {
            values_path: "gatewayProxies.gatewayProxy.x".into(),
            value: serde_json::json!(true).into(),
            file: Some("values/prod, eu:1.yaml".into()),
            line: Some(7),
            exact: true,
            set: None,
            renames: None,
        }));
        let out = render(&[report(vec![f])]);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert_eq!(
            out,
            "::error file=values/prod%2C eu%3A1.yaml,line=7,title=GLOO-001 A title%2C with%3A punctuation::\
             Deployment/gloo-system/evil::error file=x,line=1::pwned%250A%0A::warning::injected,: something is off%0A\
             Fix: set gatewayProxies.gatewayProxy.x: true (change at values/prod, eu:1.yaml:7).\n"
        );
    }

    #[test]
    fn findings_without_a_values_line_point_at_the_template_or_nowhere() {
        let mut no_template = finding("K8S-001", Severity::Medium, "b");
        std::sync::Arc::make_mut(&mut no_template.object).template = None;
        let out = render(&[report(vec![finding("K8S-001", Severity::Medium, "a"), no_template])]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("::warning file=gloo/templates/x.yaml,line=1,title=K8S-001 "),
            "line 1, as in SARIF: {out}"
        );
        assert!(lines[1].starts_with("::warning title=K8S-001 "), "{out}");
    }

    #[test]
    fn caps_each_level_at_ten_most_severe_first_and_counts_the_rest() {
        let mut findings = Vec::new();
        for i in 0..4 {
            findings.push(finding("INFO-1", Severity::Info, &format!("i{i}")));
        }
        for i in 0..12 {
            findings.push(finding("LOW-1", Severity::Low, &format!("l{i}")));
        }
        for i in 0..3 {
            findings.push(finding("MED-1", Severity::Medium, &format!("m{i}")));
        }
        for i in 0..11 {
            findings.push(finding("HIGH-1", Severity::High, &format!("h{i}")));
        }
        let mut suppressed = finding("HIGH-1", Severity::High, "accepted");
        suppressed.suppressed = Some("accepted risk".into());
        findings.push(suppressed);
        let out = render(&[report(findings)]);
        let lines: Vec<&str> = out.lines().collect();
        let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
        assert_eq!(count("::error "), 10);
        assert_eq!(count("::warning "), 10);
        // Medium before low: all 3 mediums are shown, 7 of the 12 lows.
        assert_eq!(lines.iter().filter(|l| l.contains("title=MED-1")).count(), 3);
        assert_eq!(lines.iter().filter(|l| l.contains("title=LOW-1")).count(), 7);
        assert!(lines[..10].iter().all(|l| l.starts_with("::error ")), "errors come first");
        assert!(!out.contains("accepted"), "suppressed failures are not annotated");
        // 4 notices fit; 1 high + 5 low are left over, counted in the last line.
        assert_eq!(count("::notice file="), 4);
        assert_eq!(lines.last().unwrap(), &"::notice title=helm-harden::6 more failures not annotated (GitHub shows 10 annotations of each level per step); all 30 are in the job summary and the SARIF report.");
        assert_eq!(lines.len(), 10 + 10 + 4 + 1);
    }

    #[test]
    fn the_overflow_notice_is_never_the_eleventh_notice() {
        let findings: Vec<Finding> =
            (0..12).map(|i| finding("INFO-1", Severity::Info, &format!("i{i}"))).collect();
        let out = render(&[report(findings)]);
        assert_eq!(out.lines().filter(|l| l.starts_with("::notice")).count(), 10, "{out}");
        assert!(out
            .lines()
            .last()
            .unwrap()
            .starts_with("::notice title=helm-harden::3 more failures"));
    }

    #[test]
    fn commands_already_printed_in_the_step_count_against_the_limit() {
        let findings: Vec<Finding> =
            (0..12).map(|i| finding("MED-1", Severity::Medium, &format!("m{i}"))).collect();
        let r = report(findings);
        let failures: Vec<Annotation> =
            r.findings.iter().map(|f| Annotation::at_place(&r, f)).collect();
        let out = annotate(failures, &[Level::Warning], "in the log");
        assert_eq!(out.lines().filter(|l| l.starts_with("::warning ")).count(), 9, "{out}");
        assert_eq!(out.lines().last().unwrap(), "::notice title=helm-harden::3 more failures not annotated (GitHub shows 10 annotations of each level per step); all 12 are in the log.");
    }

    #[test]
    fn warnings_come_first_once_each_and_count_against_the_limit() {
        let warning = |n: usize| Warning {
            file: Some("cfg/hh.yaml".into()),
            line: Some(n),
            message: format!("suppression {n} matched nothing"),
        };
        let mut a =
            report((0..12).map(|i| finding("MED-1", Severity::Medium, &format!("m{i}"))).collect());
        a.warnings = vec![warning(6)];
        let mut b = report(vec![]);
        b.warnings = vec![warning(6)];
        let out = render(&[a, b]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0], "::warning file=cfg/hh.yaml,line=6::suppression 6 matched nothing",
            "{out}"
        );
        assert_eq!(out.matches("matched nothing").count(), 1, "once for both targets: {out}");
        assert_eq!(lines.iter().filter(|l| l.starts_with("::warning ")).count(), 10, "{out}");
        assert!(
            lines.last().unwrap().starts_with("::notice title=helm-harden::3 more failures"),
            "{out}"
        );
        // Past GitHub's limit a warning is still in the log, as a plain line.
        let mut many = report(vec![]);
        many.warnings = (1..=11).map(warning).collect();
        let out = render(&[many]);
        assert_eq!(out.lines().filter(|l| l.starts_with("::warning ")).count(), 10);
        assert_eq!(
            out.lines().last().unwrap(),
            "warning: cfg/hh.yaml:11: suppression 11 matched nothing"
        );
    }

    #[test]
    fn nothing_failing_prints_nothing() {
        assert_eq!(render(&[report(vec![])]), "");
    }
}
