//! KGW-005: the kubeGateway Envoy container does not add NET_BIND_SERVICE.

use super::common::security_context::is_net_bind;
use super::helpers::{each_gateway_parameters, fail, pass, KUBE_GATEWAY_CHARTS};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "KGW-005",
    title: "kubeGateway Envoy container: does not add NET_BIND_SERVICE",
    severity: Severity::Low,
    source: "Gloo production guide (Seed-001) \"Dropping NET_BIND\", as GLOO-002",
    why: "The kubeGateway proxy never binds a port below 1024 (the controller shifts such Gateway \
        listener ports by +8000), so the capability is privilege nothing needs.",
    predicate: "Per kubeGateway GatewayParameters: \
        `spec.kube.envoyContainer.securityContext.capabilities.add` contains neither \
        `NET_BIND_SERVICE` nor `CAP_NET_BIND_SERVICE` (case-insensitive). Absent `add` = PASS. \
        Never NA for a low port, unlike GLOO-002: the controller's listeners are 8082, 9091 and \
        Gateway ports below 1024 plus 8000, admin is on loopback, and the pod has no hostNetwork \
        or hostPort. NA when no GatewayParameters is rendered or for one with \
        `spec.selfManaged`.",
    fix_doc: "1.17+: `kubeGateway.gatewayParameters.glooGateway.envoyContainer.securityContext.capabilities.add: \
        []` (the chart default adds the capability; the rest of the default context stays). A \
        per-Gateway GatewayParameters cannot take it away by listing other capabilities: the \
        controller appends lists, and only an explicitly empty list replaces.",
    fixes: &[Fix::new(
        KUBE_GATEWAY_CHARTS,
        "{KG}.envoyContainer.securityContext.capabilities.add",
        "[]",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway_parameters(m, |_, kube| {
        let added = kube.path("envoyContainer.securityContext.capabilities.add");
        match added.map(Node::items).unwrap_or_default().iter().filter_map(Node::as_str).find(|c| is_net_bind(c)) {
            Some(cap) => fail(format!(
                "envoyContainer.securityContext.capabilities.add contains {cap}, which the proxy never needs"
            )),
            None => pass("NET_BIND_SERVICE is not added"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{
        gateway_parameters, per_gateway_parameters, statuses, KUBE_DEFAULT,
    };
    use crate::rules::Status::*;

    #[test]
    fn the_chart_default_adds_it() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Fail]);
        let emptied =
            KUBE_DEFAULT.replace("      add:\n      - NET_BIND_SERVICE\n", "      add: []\n");
        assert_eq!(statuses(&RULE, &gateway_parameters(&emptied), "1.22.1"), [Pass]);
        let lower = KUBE_DEFAULT.replace("- NET_BIND_SERVICE", "- cap_net_bind_service");
        assert_eq!(statuses(&RULE, &gateway_parameters(&lower), "1.17.38"), [Fail]);
    }

    #[test]
    fn a_per_gateway_list_appends_to_the_class_default() {
        let emptied =
            KUBE_DEFAULT.replace("      add:\n      - NET_BIND_SERVICE\n", "      add: []\n");
        let adds = "envoyContainer:\n  securityContext:\n    capabilities:\n      add: [NET_BIND_SERVICE]\n";
        let render = gateway_parameters(&emptied) + &per_gateway_parameters("http", adds);
        assert_eq!(statuses(&RULE, &render, "1.22.1"), [Pass, Fail]);
        // Listing another capability does not take the default's away; an empty list does.
        let other =
            "envoyContainer:\n  securityContext:\n    capabilities:\n      add: [SYS_TIME]\n";
        let render = gateway_parameters(KUBE_DEFAULT) + &per_gateway_parameters("http", other);
        assert_eq!(statuses(&RULE, &render, "1.22.1"), [Fail, Fail]);
        let empty = "envoyContainer:\n  securityContext:\n    capabilities:\n      add: []\n";
        let render = gateway_parameters(KUBE_DEFAULT) + &per_gateway_parameters("http", empty);
        assert_eq!(statuses(&RULE, &render, "1.22.1"), [Fail, Pass]);
    }
}
