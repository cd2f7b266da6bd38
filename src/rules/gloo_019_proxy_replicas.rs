//! GLOO-019: the gateway proxy runs at least two replicas.

use super::common::replicas::{at_least_two, effective_replicas};
use super::helpers::{each_proxy, fail, pass, refix_failures};
use super::{Fix, OutcomeFix, Rule, Severity, Status};
use crate::parse::model::Model;
use crate::parse::Doc;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-019",
    title: "Proxy has >= 2 replicas",
    severity: Severity::High,
    source: "Gloo production guide (Latest) \"Horizontally scaling the data plane\": scale \
        `gateway-proxies` \"by using a Deployment or a DaemonSet\"",
    why: "A single Envoy pod is a single point of failure for all ingress traffic: every restart, \
        eviction or node failure is an outage.",
    predicate: "Per proxy workload. Deployment: when a HorizontalPodAutoscaler in the same \
        namespace targets it (`scaleTargetRef` kind and name), the HPA's `spec.minReplicas` \
        (absent = 1), else `spec.replicas` (absent = 1), must be >= 2; a non-integer count \
        FAILs. DaemonSet: PASS (one pod per eligible node). NA when no gateway proxy is \
        rendered.",
    fix_doc: "All versions: `gatewayProxies.<name>.kind.deployment.replicas: 2`; or an HPA with \
        `gatewayProxies.<name>.horizontalPodAutoscaler` (`apiVersion`, `minReplicas` >= 2, \
        `maxReplicas`, `metrics`; give the proxy resource requests, GLOO-012), whose \
        `minReplicas` then decides; or a DaemonSet (`kind: {deployment: null, daemonSet: {}}`, \
        1.22 also `kind.workloadType: DaemonSet`). Caveat: in 1.13 and 1.17 a `kind.deployment` \
        that ends up empty (e.g. `replicas: null`, the usual \"let the HPA decide\" idiom) \
        silently renders a DaemonSet and drops the HPA and PDB; 1.22 fixed this.",
    fixes: &[Fix::all("{GP}.kind.deployment.replicas", "2")
        .unless_set_at("{GP}.kubeResourceOverride.spec.replicas")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_proxy(m, |p| {
        if p.is_daemonset() {
            return pass("DaemonSet: one proxy pod per eligible node");
        }
        let verdict = at_least_two(
            effective_replicas(m, p.workload),
            "a single proxy pod serves all traffic",
        );
        match m.hpa_for(p.workload) {
            Some(hpa) if verdict.0 == Status::Fail && !is_the_charts(hpa, p.workload) => {
                fail(format!(
                    "{} ({} is not the chart's: change its minReplicas where it is defined)",
                    verdict.1,
                    hpa.kind_name()
                ))
            }
            _ => verdict,
        }
    });
    // With an HPA its minReplicas decides: the fix goes there (the chart's `<proxy>-hpa` is
    // `{GP}.horizontalPodAutoscaler`; another one is changed where it is defined).
    refix_failures(outcomes, |o| {
        let hpa = m.hpa_for(o.doc)?;
        Some(if is_the_charts(hpa, o.doc) {
            OutcomeFix::Custom {
                path: "{GP}.horizontalPodAutoscaler.minReplicas".into(),
                value: 2.into(),
            }
        } else {
            OutcomeFix::Nothing
        })
    })
}

/// Whether `hpa` is the one the chart renders for the proxy `workload` (`<proxy>-hpa`).
fn is_the_charts(hpa: &Doc, workload: &Doc) -> bool {
    hpa.name == format!("{}-hpa", workload.name)
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{proxy, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    fn hpa(min: &str) -> String {
        format!("---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: gateway-proxy-hpa\n  namespace: gloo-system\nspec:\n{min}  maxReplicas: 5\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: gateway-proxy\n")
    }

    #[test]
    fn with_the_charts_hpa_the_fix_is_its_min_replicas() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let expected = OutcomeFix::Custom {
            path: "{GP}.horizontalPodAutoscaler.minReplicas".into(),
            value: 2.into(),
        };
        assert_eq!(
            fixes(&RULE, &(proxy("", "") + &hpa("  minReplicas: 1\n")), "1.17.38"),
            [(Fail, expected)]
        );
        let other = hpa("  minReplicas: 1\n").replace("name: gateway-proxy-hpa", "name: team-hpa");
        assert_eq!(
            fixes(&RULE, &(proxy("", "") + &other), "1.17.38"),
            [(Fail, OutcomeFix::Nothing)]
        );
        assert_eq!(
            fixes(&RULE, &proxy("", ""), "1.17.38"),
            [(Fail, OutcomeFix::Declared)],
            "no HPA: replicas"
        );
    }

    #[test]
    fn one_replica_fails_two_pass() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Fail]);
        let two = proxy("", "").replace("  replicas: 1\n", "  replicas: 2\n");
        assert_eq!(statuses(&RULE, &two, "1.17.38"), [Pass]);
        let zero = proxy("", "").replace("  replicas: 1\n", "  replicas: 0\n");
        assert_eq!(statuses(&RULE, &zero, "1.17.38"), [Fail]);
    }

    #[test]
    fn absent_replicas_count_as_one() {
        let absent = proxy("", "").replace("  replicas: 1\n", "");
        assert_eq!(statuses(&RULE, &absent, "1.17.38"), [Fail]);
    }

    #[test]
    fn a_string_count_fails() {
        let quoted = proxy("", "").replace("  replicas: 1\n", "  replicas: \"3\"\n");
        assert_eq!(statuses(&RULE, &quoted, "1.17.38"), [Fail]);
    }

    #[test]
    fn the_hpa_decides_when_it_targets_the_deployment() {
        let two = proxy("", "").replace("  replicas: 1\n", "  replicas: 2\n");
        assert_eq!(statuses(&RULE, &(two.clone() + &hpa("  minReplicas: 1\n")), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &(two + &hpa("")), "1.17.38"), [Fail], "absent minReplicas = 1");
        assert_eq!(
            statuses(&RULE, &(proxy("", "") + &hpa("  minReplicas: 3\n")), "1.17.38"),
            [Pass]
        );
        let other =
            hpa("  minReplicas: 3\n").replace("    name: gateway-proxy\n", "    name: other\n");
        assert_eq!(
            statuses(&RULE, &(proxy("", "") + &other), "1.17.38"),
            [Fail],
            "HPA of another Deployment"
        );
    }

    #[test]
    fn daemonsets_pass() {
        let ds = proxy("", "")
            .replace("kind: Deployment", "kind: DaemonSet")
            .replace("  replicas: 1\n", "");
        assert_eq!(statuses(&RULE, &ds, "1.17.38"), [Pass]);
    }

    #[test]
    fn several_proxies_are_judged_separately() {
        let second = proxy("", "")
            .replace("gateway-proxy", "internal-proxy")
            .replace("  replicas: 1\n", "  replicas: 2\n");
        assert_eq!(statuses(&RULE, &(proxy("", "") + &second), "1.17.38"), [Fail, Pass]);
    }

    #[test]
    fn not_applicable_without_proxies() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
