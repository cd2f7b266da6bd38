//! GLOO-020: a PodDisruptionBudget keeps node drains from evicting every proxy at once.

use super::common::pdb::{pdb_verdict, pdbs_of};
use super::common::replicas::effective_replicas;
use super::helpers::{declared_fix_with, each_proxy, na, refix_judged};
use super::{Fix, Rule, Severity, Versions};
use crate::parse::model::Model;
use crate::parse::version::Version;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-020",
    title: "Proxy PodDisruptionBudget",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest): \"set values for the \
        `gatewayProxies.NAME.PodDisruptionBudget` fields\" (the chart key is \
        `podDisruptionBudget`)",
    why: "Without a PodDisruptionBudget a node drain or cluster upgrade can evict every proxy pod \
        at once.",
    predicate: "Deployment proxies only. Exactly one `PodDisruptionBudget` of the proxy namespace \
        must select the pod template labels (`spec.selector.matchLabels` all equal, \
        `matchExpressions` hold; several matching PDBs FAIL, the eviction API refuses such \
        pods). It must be `apiVersion: policy/v1` and allow a disruption while limiting it: FAIL \
        if `maxUnavailable` is `0` or `0%`, if `minAvailable` >= the effective replicas \
        (GLOO-019's count: HPA `minReplicas`, else `spec.replicas`, absent = 1; a percentage \
        counts as `ceil(p/100 * replicas)`, so `100%` always blocks), if neither or both fields \
        are set, or if a value is not an integer or `N%`. No PDB = FAIL. NA: DaemonSet proxies \
        (the chart renders no PDB for them).",
    fix_doc: "1.17+: `gatewayProxies.<name>.podDisruptionBudget.maxUnavailable: 1` (or a \
        `minAvailable` below the replica count). 1.13 (renders `policy/v1beta1`, which \
        Kubernetes 1.25+ rejects): the same plus \
        `gatewayProxies.<name>.podDisruptionBudget.kubeResourceOverride.apiVersion: policy/v1`; \
        the override is not inherited from `gatewayProxy`, so repeat it on every proxy. The \
        guide's example `minAvailable: 2` with 1 or 2 replicas blocks every voluntary eviction, \
        and the chart drops a `0` (`maxUnavailable: 0` renders a PDB that sets neither field, \
        which FAILs).",
    fixes: &[
        Fix::new(
            Versions::from(Version::new(1, 17, 0)),
            "{GP}.podDisruptionBudget.maxUnavailable",
            "1",
        ),
        Fix::new(
            Versions::until(Version::new(1, 17, 0)),
            "{GP}.podDisruptionBudget",
            "{maxUnavailable: 1, kubeResourceOverride: {apiVersion: policy/v1}}",
        ),
    ],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_proxy(m, |p| {
        if p.is_daemonset() {
            return na("DaemonSet proxy: the chart renders no PodDisruptionBudget for it");
        }
        let replicas = effective_replicas(m, p.workload).map_or(1, |r| r.count);
        pdb_verdict(m, p.workload, replicas)
    });
    // A budget by minAvailable: maxUnavailable beside it renders a PDB with both, which the API
    // server rejects; the fix removes minAvailable.
    refix_judged(outcomes, |o| {
        let by_min_available = matches!(pdbs_of(m, o.doc).as_slice(), [pdb] if pdb.root.path("spec.minAvailable").is_some_and(|n| !n.is_null()));
        by_min_available.then(|| {
            declared_fix_with(
                &RULE,
                m.version,
                "{GP}.podDisruptionBudget",
                serde_json::json!({ "minAvailable": null }),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{outcomes_with_messages, proxy, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    /// The proxy PDB as 1.17 renders it, with `spec` extra fields.
    fn pdb(api: &str, spec: &str) -> String {
        format!("---\napiVersion: {api}\nkind: PodDisruptionBudget\nmetadata:\n  name: gateway-proxy-pdb\n  namespace: gloo-system\nspec:\n{spec}  selector:\n    matchLabels:\n      gateway-proxy-id: gateway-proxy\n")
    }

    fn with_replicas(n: u32) -> String {
        proxy("", "").replace("  replicas: 1\n", &format!("  replicas: {n}\n"))
    }

    #[test]
    fn no_pdb_fails() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Fail]);
    }

    #[test]
    fn max_unavailable_one_passes_zero_fails() {
        assert_eq!(
            statuses(
                &RULE,
                &(proxy("", "") + &pdb("policy/v1", "  maxUnavailable: 1\n")),
                "1.17.38"
            ),
            [Pass]
        );
        assert_eq!(
            statuses(
                &RULE,
                &(proxy("", "") + &pdb("policy/v1", "  maxUnavailable: 10%\n")),
                "1.17.38"
            ),
            [Pass],
            "rounded up to 1"
        );
        assert_eq!(
            statuses(
                &RULE,
                &(proxy("", "") + &pdb("policy/v1", "  maxUnavailable: 0\n")),
                "1.17.38"
            ),
            [Fail]
        );
        assert_eq!(
            statuses(
                &RULE,
                &(proxy("", "") + &pdb("policy/v1", "  maxUnavailable: 0%\n")),
                "1.17.38"
            ),
            [Fail]
        );
        assert_eq!(
            statuses(
                &RULE,
                &(proxy("", "") + &pdb("policy/v1", "  maxUnavailable: \"1\"\n")),
                "1.17.38"
            ),
            [Fail],
            "a string must be a percentage"
        );
    }

    #[test]
    fn a_budget_by_min_available_is_fixed_without_it() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let render = proxy("", "") + &pdb("policy/v1", "  minAvailable: 1\n");
        let expected = OutcomeFix::Custom {
            path: "{GP}.podDisruptionBudget".into(),
            value: serde_json::json!({"maxUnavailable": 1, "minAvailable": null}),
        };
        assert_eq!(fixes(&RULE, &render, "1.17.38"), [(Fail, expected)]);
        // 1.13's declared fix is the whole mapping: minAvailable goes beside its keys.
        let expected = OutcomeFix::Custom {
            path: "{GP}.podDisruptionBudget".into(),
            value: serde_json::json!({"maxUnavailable": 1, "kubeResourceOverride": {"apiVersion": "policy/v1"}, "minAvailable": null}),
        };
        assert_eq!(
            fixes(&RULE, &render.replace("policy/v1", "policy/v1beta1"), "1.13.39"),
            [(Fail, expected)]
        );
        assert_eq!(
            fixes(&RULE, &proxy("", ""), "1.17.38"),
            [(Fail, OutcomeFix::Declared)],
            "no PDB: the declared fix"
        );
    }

    #[test]
    fn policy_v1beta1_fails() {
        assert_eq!(
            statuses(
                &RULE,
                &(proxy("", "") + &pdb("policy/v1beta1", "  maxUnavailable: 1\n")),
                "1.13.39"
            ),
            [Fail]
        );
    }

    #[test]
    fn min_available_against_effective_replicas() {
        let min = |v: &str| pdb("policy/v1", &format!("  minAvailable: {v}\n"));
        assert_eq!(statuses(&RULE, &(with_replicas(1) + &min("1")), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(&RULE, &(with_replicas(2) + &min("2")), "1.17.38"),
            [Fail],
            "the guide's example"
        );
        assert_eq!(statuses(&RULE, &(with_replicas(3) + &min("2")), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(&RULE, &(with_replicas(1) + &min("50%")), "1.17.38"),
            [Fail],
            "50% of 1 rounds up to 1"
        );
        assert_eq!(statuses(&RULE, &(with_replicas(2) + &min("50%")), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(&RULE, &(with_replicas(3) + &min("50%")), "1.17.38"),
            [Pass],
            "ceil(1.5) = 2 < 3"
        );
        assert_eq!(statuses(&RULE, &(with_replicas(5) + &min("100%")), "1.17.38"), [Fail]);
        let absent = proxy("", "").replace("  replicas: 1\n", "");
        assert_eq!(
            statuses(&RULE, &(absent + &min("1")), "1.17.38"),
            [Fail],
            "absent replicas = 1"
        );
    }

    #[test]
    fn the_hpa_minimum_is_the_replica_count() {
        let hpa = "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: gateway-proxy-hpa\n  namespace: gloo-system\nspec:\n  minReplicas: 3\n  maxReplicas: 5\n  scaleTargetRef:\n    kind: Deployment\n    name: gateway-proxy\n";
        let render = with_replicas(1) + hpa + &pdb("policy/v1", "  minAvailable: 2\n");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Pass]);
    }

    #[test]
    fn neither_or_both_limits_fail() {
        assert_eq!(statuses(&RULE, &(with_replicas(2) + &pdb("policy/v1", "")), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(
                &RULE,
                &(with_replicas(2) + &pdb("policy/v1", "  minAvailable: 1\n  maxUnavailable: 1\n")),
                "1.17.38"
            ),
            [Fail]
        );
    }

    #[test]
    fn the_pdb_must_select_the_pods() {
        let other = pdb("policy/v1", "  maxUnavailable: 1\n")
            .replace("gateway-proxy-id: gateway-proxy", "gateway-proxy-id: other");
        assert_eq!(statuses(&RULE, &(proxy("", "") + &other), "1.17.38"), [Fail]);
        let elsewhere = pdb("policy/v1", "  maxUnavailable: 1\n")
            .replace("namespace: gloo-system", "namespace: other");
        assert_eq!(statuses(&RULE, &(proxy("", "") + &elsewhere), "1.17.38"), [Fail]);
        let expr = "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: by-expression\n  namespace: gloo-system\nspec:\n  maxUnavailable: 1\n  selector:\n    matchExpressions:\n    - {key: gateway-proxy-id, operator: In, values: [gateway-proxy]}\n";
        assert_eq!(statuses(&RULE, &(proxy("", "") + expr), "1.17.38"), [Pass]);
        let not_in = expr.replace("operator: In", "operator: NotIn");
        assert_eq!(statuses(&RULE, &(proxy("", "") + &not_in), "1.17.38"), [Fail]);
    }

    #[test]
    fn several_matching_pdbs_fail() {
        let second =
            pdb("policy/v1", "  maxUnavailable: 1\n").replace("gateway-proxy-pdb", "extra-pdb");
        let render = proxy("", "") + &pdb("policy/v1", "  maxUnavailable: 1\n") + &second;
        let got = outcomes_with_messages(&RULE, &render, "1.17.38");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, Fail);
        assert!(got[0].2.contains("PodDisruptionBudget/extra-pdb"), "{}", got[0].2);
    }

    #[test]
    fn several_proxies_each_need_their_own_pdb() {
        let second = proxy("", "").replace("gateway-proxy", "internal-proxy");
        let render = proxy("", "") + &second + &pdb("policy/v1", "  maxUnavailable: 1\n");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Pass, Fail]);
    }

    #[test]
    fn daemonsets_and_empty_renders_are_not_applicable() {
        let ds = proxy("", "").replace("kind: Deployment", "kind: DaemonSet");
        assert_eq!(statuses(&RULE, &ds, "1.17.38"), [Na]);
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
