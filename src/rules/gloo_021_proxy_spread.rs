//! GLOO-021: proxy pods are spread across nodes.

use super::helpers::{each_proxy, fail, na, pass};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-021",
    title: "Proxy pods spread across nodes",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest) \"Affinity/Anti-Affinity\": set \
        `gatewayProxies.NAME.affinity` and `gatewayProxies.NAME.antiAffinity`",
    why: "Replicas scheduled on the same node fail together with it, so extra replicas do not \
        survive a node loss.",
    predicate: "Deployment proxies: the pod spec's `affinity.podAntiAffinity` has at least one \
        `preferredDuringSchedulingIgnoredDuringExecution` or \
        `requiredDuringSchedulingIgnoredDuringExecution` term, or `topologySpreadConstraints` is \
        non-empty. Absent = FAIL. NA: DaemonSet proxies (one pod per node already).",
    fix_doc: "All versions: `gatewayProxies.<name>.antiAffinity: true` (preferred pod \
        anti-affinity on `gloo: gateway-proxy`, topology `kubernetes.io/hostname`), or your own \
        `gatewayProxies.<name>.affinity` / `gatewayProxies.<name>.topologySpreadConstraints`. \
        `antiAffinity` spreads all proxies together, not each proxy separately; `affinity` and \
        `antiAffinity` render only for Deployment proxies.",
    fixes: &[Fix::all("{GP}.antiAffinity", "true")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_proxy(m, |p| {
        if p.is_daemonset() {
            return na("DaemonSet proxy: one pod per node");
        }
        let anti = p.pod_spec.path("affinity.podAntiAffinity").unwrap_or(Node::null());
        let terms = |key: &str| anti.get(key).map_or(0, |n| n.items().len());
        let (preferred, required) = (
            terms("preferredDuringSchedulingIgnoredDuringExecution"),
            terms("requiredDuringSchedulingIgnoredDuringExecution"),
        );
        let spread = p.pod_spec.get("topologySpreadConstraints").map_or(0, |n| n.items().len());
        if preferred + required > 0 {
            pass(format!("podAntiAffinity has {} term(s)", preferred + required))
        } else if spread > 0 {
            pass(format!("{spread} topologySpreadConstraints"))
        } else {
            fail("no podAntiAffinity term and no topologySpreadConstraints: replicas may share a node")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{proxy, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    const PREFERRED: &str = "affinity:\n  podAntiAffinity:\n    preferredDuringSchedulingIgnoredDuringExecution:\n    - weight: 100\n      podAffinityTerm:\n        labelSelector:\n          matchLabels: {gloo: gateway-proxy}\n        topologyKey: kubernetes.io/hostname";

    #[test]
    fn nothing_fails() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(&RULE, &proxy("affinity:\n  podAntiAffinity: {}", ""), "1.17.38"),
            [Fail]
        );
        assert_eq!(statuses(&RULE, &proxy("affinity:\n  podAntiAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution: []", ""), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &proxy("topologySpreadConstraints: []", ""), "1.17.38"), [Fail]);
        let node_affinity = "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n      - matchExpressions: [{key: pool, operator: In, values: [edge]}]";
        assert_eq!(
            statuses(&RULE, &proxy(node_affinity, ""), "1.17.38"),
            [Fail],
            "node affinity does not spread"
        );
    }

    #[test]
    fn anti_affinity_or_spread_passes() {
        assert_eq!(statuses(&RULE, &proxy(PREFERRED, ""), "1.17.38"), [Pass]);
        let required = "affinity:\n  podAntiAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n    - labelSelector:\n        matchLabels: {gloo: gateway-proxy}\n      topologyKey: kubernetes.io/hostname";
        assert_eq!(statuses(&RULE, &proxy(required, ""), "1.17.38"), [Pass]);
        let spread = "topologySpreadConstraints:\n- maxSkew: 1\n  topologyKey: kubernetes.io/hostname\n  whenUnsatisfiable: ScheduleAnyway\n  labelSelector:\n    matchLabels: {gloo: gateway-proxy}";
        assert_eq!(statuses(&RULE, &proxy(spread, ""), "1.17.38"), [Pass]);
    }

    #[test]
    fn daemonsets_and_empty_renders_are_not_applicable() {
        let ds = proxy("", "").replace("kind: Deployment", "kind: DaemonSet");
        assert_eq!(statuses(&RULE, &ds, "1.17.38"), [Na]);
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
