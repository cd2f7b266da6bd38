//! The PodDisruptionBudget test of GLOO-020, GLOO-022 and KGW-009.

use crate::parse::model::Model;
use crate::parse::yaml::Node;
use crate::parse::Doc;
use crate::rules::helpers::{fail, pass, show, Verdict};

/// The PodDisruptionBudgets of the workload's namespace that select its pod template labels.
pub(crate) fn pdbs_of<'a>(m: &Model<'a>, workload: &Doc) -> Vec<&'a Doc> {
    let labels = workload.root.path("spec.template.metadata.labels").unwrap_or(Node::null());
    selecting(m.pdb_candidates(workload), workload, labels)
}

/// The PodDisruptionBudgets among `candidates` that are applied (not embedded in a ConfigMap),
/// in the namespace of `of` and select `labels`.
pub(crate) fn selecting<'a>(
    candidates: impl IntoIterator<Item = &'a Doc>,
    of: &Doc,
    labels: &Node,
) -> Vec<&'a Doc> {
    candidates
        .into_iter()
        .filter(|d| d.embedded_in.is_none())
        .filter(|d| d.namespace.is_none() || d.namespace == of.namespace)
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
