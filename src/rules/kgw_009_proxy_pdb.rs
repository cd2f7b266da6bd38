//! KGW-009: kubeGateway proxies have a PodDisruptionBudget (advice unless a Gateway is rendered).

use super::common::pdb::{budget_verdict, selecting};
use super::common::replicas::kube_replicas;
use super::helpers::{each_gateway_parameters, na_without, KUBE_GATEWAY_ABSENT};
use super::{Outcome, OutcomeFix, Rule, Severity, Status, Target};
use crate::parse::model::{GatewayParams, Model};
use crate::parse::yaml::Node;
use crate::parse::Doc;

pub(super) static RULE: Rule = Rule {
    id: "KGW-009",
    title: "kubeGateway proxy PodDisruptionBudget",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest), PodDisruptionBudget, as GLOO-020",
    why: "Without a budget a node drain can evict every replica of a Gateway's proxy at once.",
    predicate: "The controller renders no PodDisruptionBudget and GatewayParameters has no field \
        for one, so without a Gateway API `Gateway` in the render (the Gloo chart renders none) \
        this is ADVISORY per GatewayParameters. For each `Gateway` of a class of the \
        `solo.io/gloo-gateway` controller that the render holds (a parent chart's): exactly one \
        policy/v1 PodDisruptionBudget of its namespace selects the proxy pod labels \
        (`app.kubernetes.io/name: gloo-proxy-<gateway>`, `app.kubernetes.io/instance: \
        <gateway>`, `gateway.networking.k8s.io/gateway-name: <gateway>` and \
        `podTemplate.extraLabels`) and allows a limited disruption (GLOO-020's test, replicas as \
        KGW-008 counts them). NA when no GatewayParameters is rendered.",
    fix_doc: "None through values. Ship one manifest per Gateway: `{apiVersion: policy/v1, kind: \
        PodDisruptionBudget, metadata: {name: gloo-proxy-<gateway>, namespace: <gateway \
        namespace>}, spec: {maxUnavailable: 1, selector: {matchLabels: \
        {gateway.networking.k8s.io/gateway-name: <gateway>, gloo: kube-gateway}}}}`. Only useful \
        with KGW-008; `minAvailable` >= replicas blocks every eviction.",
    fixes: &[],
    check,
};

/// The GatewayParameters a Gateway's proxy is built from: the one its annotation names in its
/// namespace, else the class default.
fn params_of<'m, 'a>(m: &'m Model<'a>, gateway: &Doc) -> Option<&'m GatewayParams<'a>> {
    let named = gateway
        .root
        .path("metadata.annotations")
        .and_then(|a| a.get("gateway.gloo.solo.io/gateway-parameters-name"))
        .and_then(Node::as_str);
    let per_gateway = named.and_then(|name| {
        m.gateway_parameters
            .iter()
            .find(|gp| gp.doc.name == name && gp.doc.namespace == gateway.namespace)
    });
    per_gateway.or_else(|| m.gateway_parameters.iter().find(|gp| gp.class_default))
}

/// The labels the controller gives a Gateway's proxy pods.
fn pod_labels(gateway: &Doc, kube: &Node) -> Node {
    let mut labels = serde_json::json!({
        "app.kubernetes.io/name": format!("gloo-proxy-{}", gateway.name),
        "app.kubernetes.io/instance": gateway.name.as_str(),
        "gateway.networking.k8s.io/gateway-name": gateway.name.as_str(),
    });
    if let Some(extra) = kube.path("podTemplate.extraLabels").filter(|n| n.is_map()) {
        crate::parse::values::merge(&mut labels, extra.to_json());
    }
    crate::parse::yaml::parse_one(&labels.to_string(), gateway.line)
        .map_or_else(|_| Node::null().clone(), |p| p.root)
}

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    if m.kube_gateways.is_empty() {
        return each_gateway_parameters(m, |_, _| {
            (Status::Advisory, "the controller creates no PodDisruptionBudget for the proxies: ship one per Gateway (maxUnavailable: 1, selecting gateway.networking.k8s.io/gateway-name)".into())
        });
    }
    let outcomes = m
        .kube_gateways
        .iter()
        .filter_map(|&gateway| {
            let kube = params_of(m, gateway)?.kube();
            let labels = pod_labels(gateway, kube);
            let pdbs = selecting(m.of_kind("PodDisruptionBudget"), gateway, &labels);
            let (status, message) =
                budget_verdict(&pdbs, kube_replicas(kube).map_or(1, |r| r.count));
            Some(
                Outcome::new(status, gateway, Target::Chart, message).fixed_by(OutcomeFix::Nothing),
            )
        })
        .collect();
    na_without(m, outcomes, KUBE_GATEWAY_ABSENT)
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, outcomes, statuses, KUBE_DEFAULT, NOT_GLOO};
    use crate::rules::Status::*;

    const GATEWAY: &str = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: http\n  namespace: gloo-system\nspec:\n  gatewayClassName: gloo-gateway\n  listeners:\n  - {name: http, port: 80, protocol: HTTP}\n";

    fn pdb(spec: &str, gateway: &str) -> String {
        format!("---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: gloo-proxy-http\n  namespace: gloo-system\nspec:\n{spec}  selector:\n    matchLabels:\n      gateway.networking.k8s.io/gateway-name: {gateway}\n      gloo: kube-gateway\n")
    }

    #[test]
    fn advice_without_a_gateway_in_the_render() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Advisory]);
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.22.1"), [Na]);
    }

    #[test]
    fn a_rendered_gateway_needs_a_budget_that_selects_its_proxy() {
        let two = format!("deployment:\n  replicas: 2\n{KUBE_DEFAULT}");
        let base = gateway_parameters(&two) + GATEWAY;
        assert_eq!(outcomes(&RULE, &base, "1.22.1"), [(Fail, "Gateway/http".to_string())]);
        let good = base.clone() + &pdb("  maxUnavailable: 1\n", "http");
        assert_eq!(statuses(&RULE, &good, "1.22.1"), [Pass]);
        let other = base.clone() + &pdb("  maxUnavailable: 1\n", "https");
        assert_eq!(statuses(&RULE, &other, "1.22.1"), [Fail], "another Gateway's budget");
        let blocking = base + &pdb("  minAvailable: 2\n", "http");
        assert_eq!(statuses(&RULE, &blocking, "1.22.1"), [Fail], "minAvailable = replicas");
    }
}
