//! GLOO-010: TODO(helper) one-line summary.

use super::{Rule, Severity};
use crate::model::Model;

pub static RULE: Rule = Rule {
    id: "GLOO-010",
    title: "Kubernetes destinations disabled",
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
