//! GLOO-029: Upstreams define outlier detection.

use super::common::upstreams::each_upstream;
use super::helpers::{fail, pass};
use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-029",
    title: "Upstream outlier detection",
    severity: Severity::Info,
    source: "Gloo production guide (Latest) \"Other considerations\": \"outlier detection can be \
        configured ... via the `outlierDetection` field on the `Upstream` resource\"",
    why: "Without outlier detection an endpoint that keeps failing stays in the load-balancing \
        pool.",
    predicate: "Every rendered `gloo.solo.io` `Upstream` has a non-null `spec.outlierDetection` \
        (an empty map counts: Envoy then uses its defaults). Absent = FAIL. NA when no Upstream \
        is rendered (the Gloo chart renders none).",
    fix_doc: "Not a Gloo chart value: set `spec.outlierDetection` (e.g. `{consecutive5xx: 5, \
        interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}`) on the Upstream \
        resources in the chart or manifests that create them.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    each_upstream(m, |spec| match spec.get("outlierDetection").filter(|n| !n.is_null()) {
        Some(_) => pass("spec.outlierDetection is set"),
        None => fail("spec.outlierDetection is absent"),
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{proxy, statuses, upstream};
    use crate::rules::Status::*;

    #[test]
    fn judges_every_upstream() {
        let on = upstream("a", "outlierDetection:\n  consecutive5xx: 5\n  interval: 10s");
        assert_eq!(statuses(&RULE, &(on + &upstream("b", "")), "1.17.38"), [Pass, Fail]);
        assert_eq!(
            statuses(&RULE, &upstream("c", "outlierDetection: {}"), "1.17.38"),
            [Pass],
            "Envoy defaults"
        );
        assert_eq!(statuses(&RULE, &upstream("d", "outlierDetection: null"), "1.17.38"), [Fail]);
    }

    #[test]
    fn not_applicable_without_upstreams() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
    }
}
