//! Gloo Upstreams (GLOO-028, GLOO-029, GLOO-036).

use crate::parse::model::Model;
use crate::parse::yaml::Node;
use crate::parse::Doc;
use crate::rules::helpers::{na_without, Verdict};
use crate::rules::{Outcome, Target};

/// Applies `judge` to the `spec` of every rendered `gloo.solo.io` Upstream; one NA when none.
pub(crate) fn each_upstream<'a>(
    m: &Model<'a>,
    mut judge: impl FnMut(&'a Node) -> Verdict,
) -> Vec<Outcome<'a>> {
    let outcomes = m
        .of_kind("Upstream")
        .filter(|d: &&'a Doc| d.group() == "gloo.solo.io")
        .map(|d| {
            let (status, message) = judge(d.root.get("spec").unwrap_or(Node::null()));
            Outcome::new(status, d, Target::Chart, message)
        })
        .collect();
    na_without(m, outcomes, "Upstream")
}
