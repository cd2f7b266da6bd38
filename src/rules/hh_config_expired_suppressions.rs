//! HH-CONFIG: no suppression in `.helm-harden.yaml` has expired.
//!
//! A rule about the config, not the render: its failures are made by `check::check` from the
//! config's suppressions (one per expired suppression, at its line in the config file); the
//! render gives it nothing to inspect. It is declared here like every other rule so that
//! `rules HH-CONFIG`, docs/rules.md and SARIF's `tool.driver.rules` know it.

use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub static RULE: Rule = Rule {
    id: "HH-CONFIG",
    title: "Suppressions have not expired",
    severity: Severity::High,
    source: "helm-harden: suppressions in `.helm-harden.yaml` carry a reason and an expiry date, \
        so that an accepted risk is looked at again (docs/configuration.md)",
    why:
        "A suppression hides a failure while its reason holds. Past its `expires` date nobody has \
        confirmed that the reason still holds, so the gate fails until someone does.",
    predicate: "Every suppression of the config with an `expires` date: one FAIL per suppression \
        whose date has passed (the date is the last day it holds), located at the suppression's \
        line in the config file. An expired suppression also stops hiding the failures it \
        matched, which then count again. No config or no expired suppression: nothing.",
    fix_doc: "Fix the failure the suppression hid (then delete the suppression), or, if the risk \
        is still accepted, give the suppression a new `expires` date and an up-to-date `reason`. \
        Not fixable through Helm values.",
    fixes: &[],
    check,
};

/// Nothing in the render: see the module docs.
fn check<'a>(_: &Model<'a>) -> Vec<Outcome<'a>> {
    Vec::new()
}
