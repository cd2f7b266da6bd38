//! KGW-007: the kubeGateway Envoy container requests CPU and memory.

use super::common::requests::{missing_requests, requests_verdict};
use super::helpers::{each_gateway_parameters, refix_judged, KUBE_GATEWAY_CHARTS};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "KGW-007",
    title: "kubeGateway Envoy container: CPU and memory requests",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest) \"Configure appropriate resource usage\", as GLOO-012",
    why: "Without requests the proxy is BestEffort: the first pod evicted under node pressure.",
    predicate: "Per kubeGateway GatewayParameters: `spec.kube.envoyContainer.resources` has a CPU \
        and a memory request: `requests.<r>`, or when that key is absent `limits.<r>` \
        (Kubernetes copies a limit into a missing request). A zero quantity counts as none. \
        Absent = FAIL (the controller sets no resources). NA when no GatewayParameters is \
        rendered or for one with `spec.selfManaged`.",
    fix_doc: "1.17+: \
        `kubeGateway.gatewayParameters.glooGateway.envoyContainer.resources.requests.cpu` and \
        `.memory` (limits alone also pass). These proxies have no overload manager (KGW-018): a \
        memory limit means an OOM kill rather than load shedding, so size it generously. The sds \
        sidecar's key is `kubeGateway.gatewayParameters.glooGateway.sdsContainer.sdsResources`.",
    fixes: &[Fix::new(
        KUBE_GATEWAY_CHARTS,
        "{KG}.envoyContainer.resources.requests",
        "{cpu: 500m, memory: 256Mi}",
    )],
    check,
};

fn envoy_container(kube: &Node) -> &Node {
    kube.get("envoyContainer").unwrap_or(Node::null())
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    // Only the requests missing, each the default or the limit there is (a request above its
    // limit makes the API server reject the pod).
    refix_judged(
        each_gateway_parameters(m, |_, kube| requests_verdict(envoy_container(kube))),
        |o| {
            let kube = m.gateway_params_of(o.doc)?.kube();
            Some(missing_requests(envoy_container(kube), "{KG}.envoyContainer.resources.requests"))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{fixes, gateway_parameters, statuses, KUBE_DEFAULT};
    use crate::rules::{OutcomeFix, Status::*};

    fn with_resources(resources: &str) -> String {
        gateway_parameters(
            &KUBE_DEFAULT.replace(
                "envoyContainer:\n",
                &format!("envoyContainer:\n  resources: {resources}\n"),
            ),
        )
    }

    #[test]
    fn requests_or_limits_count() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Fail]);
        assert_eq!(
            statuses(&RULE, &with_resources("{requests: {cpu: 500m, memory: 256Mi}}"), "1.22.1"),
            [Pass]
        );
        assert_eq!(
            statuses(&RULE, &with_resources("{limits: {cpu: 1, memory: 1Gi}}"), "1.17.38"),
            [Pass]
        );
        assert_eq!(
            statuses(&RULE, &with_resources("{requests: {memory: 256Mi}}"), "1.22.1"),
            [Fail]
        );
    }

    #[test]
    fn the_fix_adds_only_what_is_missing_and_no_request_above_a_limit() {
        let expected = OutcomeFix::Custom {
            path: "{KG}.envoyContainer.resources.requests".into(),
            value: serde_json::json!({"cpu": "500m"}),
        };
        assert_eq!(
            fixes(&RULE, &with_resources("{limits: {memory: 128Mi}}"), "1.22.1"),
            [(Fail, expected)]
        );
    }
}
