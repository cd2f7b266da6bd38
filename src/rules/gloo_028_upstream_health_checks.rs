//! GLOO-028: Upstreams define active health checks.

use super::common::upstreams::each_upstream;
use super::helpers::{fail, pass};
use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-028",
    title: "Upstream active health checks",
    severity: Severity::Info,
    source: "Gloo production guide (Latest) \"Upstream health checks\": \"strongly consider \
        defining health checks for your `Upstreams`\"",
    why: "Without active health checks Envoy keeps sending requests to dead endpoints until they \
        fail.",
    predicate:
        "Every rendered `gloo.solo.io` `Upstream` has a non-empty `spec.healthChecks` list. \
        Absent or empty = FAIL. NA when no Upstream is rendered (the Gloo chart renders none; a \
        parent chart may).",
    fix_doc:
        "Not a Gloo chart value: set `spec.healthChecks` (e.g. `[{timeout: 1s, interval: 10s, \
        unhealthyThreshold: 3, healthyThreshold: 1, httpHealthCheck: {path: /healthz}}]`) on the \
        Upstream resources in the chart or manifests that create them.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    each_upstream(m, |spec| match spec.get("healthChecks").map(|n| n.items().len()) {
        Some(n) if n > 0 => pass(format!("{n} health check(s)")),
        _ => fail("spec.healthChecks is absent or empty"),
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{proxy, statuses, upstream};
    use crate::rules::Status::*;

    #[test]
    fn judges_every_upstream() {
        let checked = upstream("a", "healthChecks:\n- timeout: 1s\n  interval: 10s\n  unhealthyThreshold: 3\n  healthyThreshold: 1\n  httpHealthCheck: {path: /healthz}");
        assert_eq!(
            statuses(&RULE, &(checked.clone() + &upstream("b", "")), "1.17.38"),
            [Pass, Fail]
        );
        assert_eq!(statuses(&RULE, &upstream("c", "healthChecks: []"), "1.17.38"), [Fail]);
    }

    #[test]
    fn other_upstream_kinds_are_ignored() {
        let other = upstream("a", "").replace("gloo.solo.io/v1", "example.com/v1");
        assert_eq!(statuses(&RULE, &other, "1.17.38"), [Na]);
    }

    #[test]
    fn not_applicable_without_upstreams() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
    }
}
