//! ENVOY-004: TODO(helper) one-line summary.

use super::{Rule, Severity};
use crate::model::Model;

pub static RULE: Rule = Rule {
    id: "ENVOY-004",
    title: "Upstream buffer limit <= 32 KiB",
    severity: Severity::Low,
    source: "TODO",
    why: "TODO",
    predicate: "TODO",
    fix_doc: "TODO",
    fixes: &[],
    check,
};

fn check<'a>(_m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    Vec::new() // TODO(helper): implement
}
