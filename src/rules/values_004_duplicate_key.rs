//! VALUES-004: no key is given twice in one mapping of a values file.
//!
//! Made by `check::check` from the parsed values files, like VALUES-001 (see there).

use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub static RULE: Rule = Rule {
    id: "VALUES-004",
    title: "No values key is given twice in one file",
    severity: Severity::Medium,
    source: "helm-harden: helm's YAML reader keeps the last of two equal keys without a warning",
    why: "Everything under the first occurrence is silently dropped: a second top-level `global:` \
        further down a long file throws away the first one's settings.",
    predicate:
        "Every mapping of every values file: one FAIL per key given again later in the same \
        mapping, at the first (dead) occurrence, naming the line of the one helm keeps.",
    fix_doc: "Merge the two blocks into one, keeping what each was meant to set.",
    fixes: &[],
    check,
};

/// Nothing in the render: see VALUES-001.
fn check<'a>(_: &Model<'a>) -> Vec<Outcome<'a>> {
    Vec::new()
}
