//! GLOO-028: Upstreams define active health checks.

use super::helpers::{fail, na_without, pass, Verdict};
use super::{Outcome, Rule, Severity, Target};
use crate::parse::model::Model;
use crate::parse::yaml::Node;
use crate::parse::Doc;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-028",
    title: "Upstream active health checks",
    severity: Severity::Info,
    source: "Gloo production guide (Latest) \"Upstream health checks\": \"strongly consider defining health checks for your `Upstreams`\"",
    why: "Without active health checks Envoy keeps sending requests to dead endpoints until they fail.",
    predicate: "Every rendered `gloo.solo.io` `Upstream` has a non-empty `spec.healthChecks` list. Absent or empty = FAIL. NA when no Upstream is rendered (the Gloo chart renders none; a parent chart may).",
    fix_doc: "Not a Gloo chart value: set `spec.healthChecks` (e.g. `[{timeout: 1s, interval: 10s, unhealthyThreshold: 3, healthyThreshold: 1, httpHealthCheck: {path: /healthz}}]`) on the Upstream resources in the chart or manifests that create them.",
    fixes: &[],
    check,
};

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

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    each_upstream(m, |spec| match spec.get("healthChecks").map(|n| n.items().len()) {
        Some(n) if n > 0 => pass(format!("{n} health check(s)")),
        _ => fail("spec.healthChecks is absent or empty"),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::RULE;
    use crate::rules::testing::{proxy, statuses};
    use crate::rules::Status::*;

    /// An Upstream with `spec` extra fields (indent 2).
    pub(crate) fn upstream(name: &str, spec: &str) -> String {
        format!(
            "---\napiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata:\n  name: {name}\n  namespace: gloo-system\nspec:\n  kube:\n    serviceName: {name}\n    serviceNamespace: default\n    servicePort: 8080\n{}",
            crate::rules::testing::indent(spec, 2)
        )
    }

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
