//! The replica count a workload runs with: GLOO-019, GLOO-020, GLOO-022 to 024 (a Deployment
//! and its HPA), KGW-008 and KGW-009 (a GatewayParameters).

use crate::parse::model::Model;
use crate::parse::yaml::Node;
use crate::parse::Doc;
use crate::rules::helpers::{fail, pass, show, Verdict};

/// The replica count a workload runs with at least, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replicas {
    pub count: i64,
    /// `spec.replicas is 1`, `HorizontalPodAutoscaler/x minReplicas is 2`, ...
    pub source: String,
}

/// Effective replicas of a Deployment (GLOO-019): the `minReplicas` of an HPA targeting it
/// (absent = 1), else `spec.replicas` (absent = 1). Err: the count is not an integer.
pub(crate) fn effective_replicas(m: &Model<'_>, workload: &Doc) -> Result<Replicas, String> {
    match m.hpa_for(workload) {
        Some(hpa) => {
            count(&format!("{} minReplicas", hpa.kind_name()), hpa.root.path("spec.minReplicas"))
        }
        None => count("spec.replicas", workload.root.path("spec.replicas")),
    }
}

/// The replicas of the proxies built from a GatewayParameters' `spec.kube` (KGW-008):
/// `deployment.replicas`, absent = 1. Err: the count is not an integer.
pub(crate) fn kube_replicas(kube: &Node) -> Result<Replicas, String> {
    count("deployment.replicas", kube.path("deployment.replicas"))
}

/// A replica count field: absent or null = 1; Err when not an integer.
fn count(field: &str, node: Option<&Node>) -> Result<Replicas, String> {
    match node.filter(|n| !n.is_null()) {
        None => Ok(Replicas { count: 1, source: format!("{field} is absent (1)") }),
        Some(n) => match n.as_i64() {
            Some(count) => Ok(Replicas { count, source: format!("{field} is {count}") }),
            None => Err(format!("{field} is not an integer ({})", show(Some(n)))),
        },
    }
}

/// PASS with two replicas or more; else FAIL, saying what one replica means (`single`).
pub(crate) fn at_least_two(replicas: Result<Replicas, String>, single: &str) -> Verdict {
    match replicas {
        Ok(r) if r.count >= 2 => pass(r.source),
        Ok(r) => fail(format!("{}: {single}", r.source)),
        Err(e) => fail(e),
    }
}
