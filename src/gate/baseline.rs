//! A committed list of known failures, for gating on what is new where no base commit applies
//! (pre-commit, a local run): `helm-harden baseline --write FILE` records the failures of every
//! target, `check --baseline FILE` and `hook run --baseline FILE` mark each failure new or
//! existing against it ([`crate::gate::compare`]), and `--fail-on-new` gates on the new ones.
//!
//! A failure is recorded by rule, object and values path (as [`crate::gate::compare`] matches them),
//! never by line; the file is sorted, so that recording again after a change shows in review
//! exactly the failures that came or went.

use crate::check::{CheckReport, Finding, FixSuggestion, ObjectRef};
use crate::error::{Error, Result};
use crate::rules::{Status, RULES};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// The file's format version.
const VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub targets: Vec<Target>,
}

/// The known failures of one target (a config target's value set, or the one chart checked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The target's label (`name/value-set`); absent for a chart given on the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub failures: Vec<Known>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    pub rule: String,
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded_in: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_path: Option<String>,
}

impl Baseline {
    /// The unsuppressed failures of each report.
    pub fn of(reports: &[CheckReport]) -> Baseline {
        let targets = reports
            .iter()
            .map(|r| {
                let mut failures: Vec<Known> = r
                    .findings
                    .iter()
                    .filter(|f| f.status == Status::Fail && f.suppressed.is_none())
                    .map(|f| Known {
                        rule: f.rule.to_string(),
                        kind: f.object.kind.clone(),
                        name: f.object.name.clone(),
                        namespace: f.object.namespace.clone(),
                        embedded_in: f.object.embedded_in.clone(),
                        values_path: f.fix.as_ref().map(|fix| fix.values_path.clone()),
                    })
                    .collect();
                failures.sort();
                failures.dedup();
                Target { target: r.target.clone(), failures }
            })
            .collect();
        Baseline { version: VERSION, targets }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Reads a baseline file; a file that is not one is an error naming it (and the line).
    pub fn load(path: &Path) -> Result<Baseline> {
        let bytes = crate::parse::input::read_regular(path, 64 * 1024 * 1024, "baseline")?;
        let text = crate::parse::input::utf8_text(path, bytes, "baseline is not UTF-8")?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
            Error::at(
                path,
                e.line().max(1),
                e.column().max(1),
                format!("not a helm-harden baseline: {e}"),
            )
        })?;
        if baseline.version != VERSION {
            return Err(Error::in_file(
                path,
                format!("baseline version {} (this helm-harden reads {VERSION})", baseline.version),
            ));
        }
        Ok(baseline)
    }

    /// Marks each failure of `report` new or existing against its target's known failures,
    /// and lists the known ones that are gone as fixed. A target the baseline does not have is
    /// new: all of its failures are.
    pub fn compare(&self, report: &mut CheckReport, name: &str) {
        let target = self.targets.iter().find(|t| t.target == report.target).or_else(|| {
            // One chart checked against a baseline of one target, whatever its label.
            (report.target.is_none() && self.targets.len() == 1).then(|| &self.targets[0])
        });
        let notes = match target {
            Some(_) => Vec::new(),
            None => vec![format!(
                "the target {} is not in the baseline",
                report.target.as_deref().unwrap_or("checked")
            )],
        };
        let before: Vec<Finding> = target
            .map(|t| t.failures.iter().filter_map(Known::finding).collect())
            .unwrap_or_default();
        crate::gate::compare::compare_failures(report, before, name, notes);
    }
}

impl Known {
    /// As a finding, for the list of fixed ones; None for a rule this version does not have.
    fn finding(&self) -> Option<Finding> {
        let rule = RULES.iter().find(|r| r.id == self.rule)?;
        Some(Finding {
            rule: rule.id,
            severity: rule.severity,
            status: Status::Fail,
            title: rule.title,
            message: String::new(),
            object: Arc::new(ObjectRef {
                api_version: String::new(),
                kind: self.kind.clone(),
                name: self.name.clone(),
                namespace: self.namespace.clone(),
                template: None,
                embedded_in: self.embedded_in.clone(),
                line: 0,
            }),
            fix: self.values_path.as_ref().map(|path| {
                Box::new(FixSuggestion {
                    values_path: path.clone(),
                    value: Arc::new(serde_json::Value::Null),
                    file: None,
                    line: None,
                    exact: false,
                    set: None,
                    renames: None,
                })
            }),
            suppressed: None,
            pin: None,
            change: None,
            no_fix: None,
        })
    }
}
