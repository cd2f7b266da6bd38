//! ENVOY-012: TODO(helper) one-line summary.

use super::{Rule, Severity};
use crate::model::Model;

pub static RULE: Rule = Rule {
    id: "ENVOY-012",
    title: "HTTP/2 connection window <= 1 MiB",
    severity: Severity::Medium,
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
