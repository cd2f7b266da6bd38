//! What a check produces: findings about objects, the values fix of each, the report of a
//! target with its summary and warnings.

use crate::parse::chart::ChartInfo;
use crate::parse::Doc;
use crate::rules::{OutcomeFix, Severity, Status, Target};
use serde::Serialize;
use std::sync::Arc;

/// The object a finding is about.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub template: Option<String>,
    /// `ConfigMap/<name>[<key>]` for objects embedded as YAML text.
    pub embedded_in: Option<String>,
    /// Line in the render.
    pub line: usize,
}

impl ObjectRef {
    pub(super) fn of(doc: &Doc, line: Option<usize>) -> Self {
        ObjectRef {
            api_version: doc.api_version.to_string(),
            kind: doc.kind.to_string(),
            name: doc.name.to_string(),
            namespace: doc.namespace.as_ref().map(ToString::to_string),
            template: doc.template.as_ref().map(ToString::to_string),
            embedded_in: doc.embedded_in.as_ref().map(ToString::to_string),
            line: line.unwrap_or(doc.line),
        }
    }

    /// `Kind/name`, what suppressions match.
    pub fn kind_name(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// The Helm value that fixes a finding, and where it goes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FixSuggestion {
    /// Full dotted values path, prefix included (`gloo.gatewayProxies.gatewayProxy.podTemplate.probes`).
    pub values_path: String,
    pub value: Arc<serde_json::Value>,
    /// The values file to change; `--set` when a `--set` argument decides the key.
    pub file: Option<String>,
    /// Line of the key (or of its deepest existing parent) in `file`.
    pub line: Option<usize>,
    /// True when `line` holds the key itself, false when it is the parent the key goes under.
    pub exact: bool,
    /// The `--set` argument that sets the key, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    /// A rename: the full path of the key on `line` that becomes `values_path` (its value
    /// kept), for a misspelled key (VALUES-001).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renames: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub status: Status,
    pub title: &'static str,
    pub message: String,
    /// Shared by the findings of one object (a large render has hundreds of thousands).
    pub object: Arc<ObjectRef>,
    /// Boxed: most findings (passes, NA) have none, and a large render has 100,000s.
    pub fix: Option<Box<FixSuggestion>>,
    /// Why the finding is suppressed (config), when it is: suppressed failures do not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// For `overlay --all`: the outcome's own fix, when it has one (passing or not), which
    /// replaces its rule's declared fix for this object. Resolved only by `overlay --all`; not
    /// reported.
    #[serde(skip)]
    pub pin: Option<Box<Pin>>,
    /// Against the base of a change (`--base`), for a failure: new or existing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<crate::check::Change>,
    /// Why this object has no values fix, when the rule says (no memory limit to size a heap
    /// cap from, the gateway off, a proxy rendered from a block of its own): the message ends
    /// with it too. The rule may well have a fix on this chart version for other objects.
    #[serde(skip)]
    pub no_fix: Option<String>,
}

/// An object's own hardening fix (see [`Finding::pin`]), as the rule gave it.
#[derive(Debug, Clone)]
pub struct Pin {
    pub target: Target,
    pub own: OutcomeFix,
}

/// Summary counts over unsuppressed outcomes.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub fail: usize,
    pub pass: usize,
    pub na: usize,
    pub advisory: usize,
    /// Failures hidden by a suppression (not in `fail`).
    pub suppressed: usize,
}

impl Summary {
    /// The counts of a report's findings.
    pub fn of(findings: &[Finding]) -> Summary {
        let mut summary = Summary::default();
        for f in findings {
            match (f.status, f.suppressed.is_some()) {
                (Status::Fail, true) => summary.suppressed += 1,
                (Status::Fail, false) => summary.fail += 1,
                (Status::Pass, _) => summary.pass += 1,
                (Status::Na, _) => summary.na += 1,
                (Status::Advisory, _) => summary.advisory += 1,
            }
        }
        summary
    }
}

/// The `kind` of the [`ObjectRef`] of an HH-CONFIG finding, the expired suppression: its
/// `name` is what it suppressed (`GLOO-005 for Settings/*`), its `template` the config file it
/// comes from and its `line` its line there. Fingerprints are built from kind and name, so two
/// expired suppressions stay two alerts, and the config's path (absolute when found upward)
/// stays out of them.
pub const CONFIG_KIND: &str = "Suppression";

/// The `kind` of the [`ObjectRef`] of a VALUES-* finding: its `name` is the key's dotted path,
/// its `template` the values file (None for a `--set` key) and its `line` the key's line there.
pub const VALUES_KIND: &str = "Values";

/// A non-fatal note for the user, at a line of a file when there is one (a suppression that
/// matched nothing: the config file and the suppression's line). Shown and serialized as
/// `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: {}", self.message),
            (Some(file), None) => write!(f, "{file}: {}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

impl Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The result of checking one render.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub chart: ChartInfo,
    /// Every outcome as a finding, failures first (most severe first), then the rest.
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// Non-fatal notes for the user (a suppression that matched nothing, ...).
    pub warnings: Vec<Warning>,
    /// Label of the checked target (config target and value set), when there is one.
    pub target: Option<String>,
    /// The findings against the base of a change (`--base`), when compared.
    pub comparison: Option<Box<crate::check::Comparison>>,
    /// Whether any rule applies to the render (an outcome other than NA from a rule that
    /// inspects its objects, not one of `ANY_RENDER_RULES`); a render none applies to is not
    /// a pass but a wrong chart, and the pipeline refuses it.
    pub applies: bool,
}

impl CheckReport {
    /// Keeps the findings `keep` says, counted again.
    pub fn retain(&mut self, keep: impl Fn(&Finding) -> bool) {
        self.findings.retain(|f| keep(f));
        self.summary = Summary::of(&self.findings);
    }

    /// Failures that count (not suppressed) at or above `threshold`.
    pub fn failing_at(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| {
                f.status == Status::Fail && f.suppressed.is_none() && f.severity >= threshold
            })
            .count()
    }
}

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
    /// What the change does to the render, resource by resource, when it was compared
    /// (`check --diff --base`).
    pub change: Vec<crate::harden::diff::ResourceDiff>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub new: usize,
    pub fixed: usize,
    pub existing: usize,
}
