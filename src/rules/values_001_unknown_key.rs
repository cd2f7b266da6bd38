//! VALUES-001: every key of the user's values is one the chart reads.
//!
//! A rule about the values files, not the render: its failures are made by `check::check` from
//! [`crate::check::schema::ChartSchema::check_values`], at the key's line. It is declared here like
//! every other rule so that `rules VALUES-001`, the docs and SARIF know it.

use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub static RULE: Rule = Rule {
    id: "VALUES-001",
    title: "Every values key is one the chart reads",
    severity: Severity::Medium,
    source: "helm-harden, from HARDENING.md 1.4 (\"Silent keys. The charts have no values schema: \
        a wrong key renders without error and changes nothing\") and Gloo's own values reference \
        for each minor",
    why:
        "helm renders a misspelled or misplaced key without a word, the setting does nothing, and \
        a hardening check may even pass for the wrong reason.",
    predicate: "Every key of every values file (and `--set` key) is checked against the chart's \
        values schema: Gloo's values reference for the chart's minor (the nearest minor when the \
        exact one is unknown, and the message says so), the keys of the chart's own values.yaml, \
        and its values.schema.json. In an umbrella chart each dependency's keys sit under its \
        alias (`gloo.`), the dependency's condition key belongs to the parent, and `global` is \
        shared. Keys below a block the chart passes through as it is (`kubeResourceOverride`, \
        `customHttpGateway`, `extraAnnotations`, any `interface` or map-typed key) are not \
        judged here. One FAIL per unknown key, at its line, with the nearest known key: the same \
        mapping's key closest in spelling (a one-click rename in the review), else where the \
        same key is read under another parent. A key given twice in one mapping is judged once, \
        at its later (live) occurrence (VALUES-004 reports the dead one).",
    fix_doc: "Rename the key to the one suggested, or move it under the parent named in the \
        message. Keys for Gloo sit under `gloo.` only in an umbrella or Enterprise chart.",
    fixes: &[],
    check,
};

/// Nothing in the render: see the module docs.
fn check<'a>(_: &Model<'a>) -> Vec<Outcome<'a>> {
    Vec::new()
}
