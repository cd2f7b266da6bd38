//! ENVOY-007: TODO(helper) one-line summary.

use super::{Rule, Severity};
use crate::model::Model;

pub static RULE: Rule = Rule {
    id: "ENVOY-007",
    title: "stream_idle_timeout not disabled",
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
