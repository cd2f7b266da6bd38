//! VALUES-002: no key of the user's values belongs only to another Gloo version.
//!
//! Made by `check::check` from the values schema, like VALUES-001 (see there).

use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub static RULE: Rule = Rule {
    id: "VALUES-002",
    title: "No values key belongs only to another chart version",
    severity: Severity::Medium,
    source: "helm-harden, from Gloo's values reference for every minor 1.13–1.22",
    why: "A values file carried across a chart upgrade keeps keys the new chart no longer reads \
        (or a downgrade, keys it does not read yet); helm renders them without a word and the \
        setting is gone.",
    predicate: "As VALUES-001, for a key that the checked chart's minor does not read but another \
        minor's reference does: one FAIL at its line, naming the minors that read it.",
    fix_doc:
        "Use the key that replaced it in this chart version (see Gloo's upgrade notes for the \
        minors named), or delete it.",
    fixes: &[],
    check,
};

/// Nothing in the render: see VALUES-001.
fn check<'a>(_: &Model<'a>) -> Vec<Outcome<'a>> {
    Vec::new()
}
