//! GLOO-020: a PodDisruptionBudget keeps node drains from evicting every proxy at once.

use super::gloo_019_proxy_replicas::effective_replicas;
use super::helpers::{
    declared_fix_with, each_proxy, fail, na, pass, show, with_own_fixes, OwnFixFor, Verdict,
};
use super::{Fix, Rule, Severity, Versions};
use crate::parse::model::Model;
use crate::parse::version::Version;
use crate::parse::yaml::Node;
use crate::parse::Doc;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-020",
    title: "Proxy PodDisruptionBudget",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest): \"set values for the `gatewayProxies.NAME.PodDisruptionBudget` fields\" (the chart key is `podDisruptionBudget`)",
    why: "Without a PodDisruptionBudget a node drain or cluster upgrade can evict every proxy pod at once.",
    predicate: "Deployment proxies only. Exactly one `PodDisruptionBudget` of the proxy namespace must select the pod template labels (`spec.selector.matchLabels` all equal, `matchExpressions` hold; several matching PDBs FAIL, the eviction API refuses such pods). It must be `apiVersion: policy/v1` and allow a disruption while limiting it: FAIL if `maxUnavailable` is `0` or `0%`, if `minAvailable` >= the effective replicas (GLOO-019's count: HPA `minReplicas`, else `spec.replicas`, absent = 1; a percentage counts as `ceil(p/100 * replicas)`, so `100%` always blocks), if neither or both fields are set, or if a value is not an integer or `N%`. No PDB = FAIL. NA: DaemonSet proxies (the chart renders no PDB for them).",
    fix_doc: "1.17+: `gatewayProxies.<name>.podDisruptionBudget.maxUnavailable: 1` (or a `minAvailable` below the replica count). 1.13 (renders `policy/v1beta1`, which Kubernetes 1.25+ rejects): the same plus `gatewayProxies.<name>.podDisruptionBudget.kubeResourceOverride.apiVersion: policy/v1`; the override is not inherited from `gatewayProxy`, so repeat it on every proxy. The guide's example `minAvailable: 2` with 1 or 2 replicas blocks every voluntary eviction, and the chart drops a `0` (`maxUnavailable: 0` renders a PDB that sets neither field, which FAILs).",
    fixes: &[
        Fix::new(Versions::from(Version::new(1, 17, 0)), "{GP}.podDisruptionBudget.maxUnavailable", "1"),
        Fix::new(Versions::until(Version::new(1, 17, 0)), "{GP}.podDisruptionBudget", "{maxUnavailable: 1, kubeResourceOverride: {apiVersion: policy/v1}}"),
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
    with_own_fixes(outcomes, OwnFixFor::Judged, |o| {
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

/// The PodDisruptionBudgets of the workload's namespace that select its pod template labels.
fn pdbs_of<'a>(m: &Model<'a>, workload: &Doc) -> Vec<&'a Doc> {
    let labels = workload.root.path("spec.template.metadata.labels").unwrap_or(Node::null());
    m.pdb_candidates(workload)
        .into_iter()
        .filter(|d| d.embedded_in.is_none())
        .filter(|d| d.namespace.is_none() || d.namespace == workload.namespace)
        .filter(|d| selects(d, labels))
        .collect()
}

/// The PDB test shared by GLOO-020 and GLOO-022: exactly one PodDisruptionBudget of the
/// workload's namespace selects its pod template labels, is `policy/v1` and allows a limited
/// disruption given `replicas`.
pub(crate) fn pdb_verdict(m: &Model<'_>, workload: &Doc, replicas: i64) -> Verdict {
    budget_verdict(&pdbs_of(m, workload), replicas)
}

/// The budget test of [`pdb_verdict`] on the PodDisruptionBudgets that select the pods (also
/// KGW-009's, for proxies the kubeGateway controller creates outside the render).
pub(crate) fn budget_verdict(pdbs: &[&Doc], replicas: i64) -> Verdict {
    let pdb = match pdbs {
        [] => return fail("no PodDisruptionBudget selects the pods"),
        [one] => *one,
        several => {
            let names: Vec<String> = several.iter().map(|d| d.kind_name()).collect();
            return fail(format!(
                "{} select the pods; the eviction API refuses to evict a pod with several budgets",
                names.join(", ")
            ));
        }
    };
    let name = pdb.kind_name();
    match pdb.api_version.as_str() {
        "policy/v1" => {}
        "" => return fail(format!("{name} has no apiVersion")),
        other => {
            return fail(format!(
                "{name} is {other} (only policy/v1 is served by Kubernetes 1.25+)"
            ))
        }
    }
    let spec = pdb.root.get("spec").unwrap_or(Node::null());
    let field = |key: &str| spec.get(key).filter(|n| !n.is_null());
    match (field("maxUnavailable"), field("minAvailable")) {
        (Some(_), Some(_)) => fail(format!(
            "{name} sets both minAvailable and maxUnavailable (rejected by the API server)"
        )),
        (None, None) => {
            fail(format!("{name} sets neither minAvailable nor maxUnavailable: no explicit limit"))
        }
        (Some(max), None) => match int_or_percent(max) {
            Some(IntOrPercent::Int(0) | IntOrPercent::Percent(0)) => fail(format!(
                "{name} maxUnavailable is {}: every voluntary eviction is blocked",
                show(Some(max))
            )),
            Some(_) => pass(format!("{name} maxUnavailable is {}", show(Some(max)))),
            None => fail(format!(
                "{name} maxUnavailable is not an integer or percentage ({})",
                show(Some(max))
            )),
        },
        (None, Some(min)) => {
            let required = match int_or_percent(min) {
                Some(IntOrPercent::Int(n)) => n,
                // Kubernetes rounds a percentage of minAvailable up.
                Some(IntOrPercent::Percent(p)) => (p * replicas.max(0) + 99) / 100,
                None => {
                    return fail(format!(
                        "{name} minAvailable is not an integer or percentage ({})",
                        show(Some(min))
                    ))
                }
            };
            if required >= replicas {
                fail(format!("{name} minAvailable is {} (= {required} pods) with {replicas} replica(s): every voluntary eviction is blocked", show(Some(min))))
            } else {
                pass(format!(
                    "{name} minAvailable is {} (= {required} pods) with {replicas} replicas",
                    show(Some(min))
                ))
            }
        }
    }
}

enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

/// An IntOrString as Kubernetes accepts it: a non-negative integer or `N%`.
fn int_or_percent(node: &Node) -> Option<IntOrPercent> {
    if let Some(i) = node.as_i64() {
        return (i >= 0).then_some(IntOrPercent::Int(i));
    }
    let digits = node.as_str()?.strip_suffix('%')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(IntOrPercent::Percent)
}

/// Whether a PDB's label selector selects pods with `labels`. A missing selector selects
/// nothing; an empty one selects every pod (policy/v1) or nothing (policy/v1beta1).
pub(crate) fn selects(pdb: &Doc, labels: &Node) -> bool {
    let Some(selector) = pdb.root.path("spec.selector").filter(|n| !n.is_null()) else {
        return false;
    };
    let match_labels = selector.get("matchLabels").map(Node::entries).unwrap_or_default();
    let expressions = selector.get("matchExpressions").map(Node::items).unwrap_or_default();
    if match_labels.is_empty() && expressions.is_empty() {
        return pdb.api_version == "policy/v1";
    }
    let label = |key: &str| labels.get(key).and_then(Node::scalar_text);
    match_labels.iter().all(|e| {
        e.value.scalar_text().is_some_and(|v| label(&e.key).as_deref() == Some(v.as_str()))
    }) && expressions.iter().all(|x| {
        let Some(key) = x.get("key").and_then(Node::as_str) else { return false };
        let values: Vec<String> = x
            .get("values")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::scalar_text)
            .collect();
        let value = label(key);
        match x.get("operator").and_then(Node::as_str) {
            Some("In") => value.is_some_and(|v| values.contains(&v)),
            Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
            Some("Exists") => value.is_some(),
            Some("DoesNotExist") => value.is_none(),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{outcomes_with_messages, proxy, statuses};
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
        assert_eq!(
            statuses(
                &RULE,
                "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\n",
                "1.17.38"
            ),
            [Na]
        );
    }
}
