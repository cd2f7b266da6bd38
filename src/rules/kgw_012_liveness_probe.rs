//! KGW-012: the kubeGateway Envoy container has a liveness probe.

use super::common::probes::{kube_has, PROBE_KEYS_SINCE};
use super::{Fix, Rule, Severity, Versions};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "KGW-012",
    title: "kubeGateway Envoy liveness probe",
    severity: Severity::Low,
    source: "Gloo production guide (Seed-000, Latest) \"Enable health checks\", as GLOO-026",
    why: "A hung Envoy without a liveness probe keeps its pod and its share of the Gateway's \
        traffic until someone notices.",
    predicate: "Per kubeGateway GatewayParameters: `spec.kube.podTemplate.livenessProbe` is \
        present. Absent = FAIL. NA when no GatewayParameters is rendered or for one with \
        `spec.selfManaged`.",
    fix_doc: "1.18+: `kubeGateway.gatewayParameters.glooGateway.podTemplate.probes: true` and \
        `podTemplate.customLivenessProbe` (the chart has no default liveness probe; \
        `customLivenessProbe` without `probes: true` renders nothing), e.g. `{exec: {command: \
        [wget, -O, /dev/null, \"127.0.0.1:19000/server_info\"]}, initialDelaySeconds: 3, \
        periodSeconds: 10, failureThreshold: 3}`; use `tcpSocket: {port: 8082}` on an image \
        without wget. Do not point it at /envoy-hc or /ready: both fail on purpose while \
        draining. 1.17: not possible through values; upgrade to >= 1.18.",
    fixes: &[Fix::new(
        Versions::from(PROBE_KEYS_SINCE),
        "{KG}.podTemplate",
        "{probes: true, customLivenessProbe: {exec: {command: [wget, -O, /dev/null, \"127.0.0.1:19000/server_info\"]}, initialDelaySeconds: 3, periodSeconds: 10, failureThreshold: 3}}",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let key = "kubeGateway.gatewayParameters.glooGateway.podTemplate.customLivenessProbe";
    kube_has(m, "liveness", key)
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, judges_a_kube_probe, statuses, KUBE_DEFAULT};
    use crate::rules::Status::*;

    #[test]
    fn judges_the_pod_template() {
        judges_a_kube_probe(&RULE, "livenessProbe: {tcpSocket: {port: 8082}}");
        let readiness_only = KUBE_DEFAULT.replace(
            "podTemplate:\n",
            "podTemplate:\n  readinessProbe: {httpGet: {port: 8082, path: /envoy-hc}}\n",
        );
        assert_eq!(statuses(&RULE, &gateway_parameters(&readiness_only), "1.22.1"), [Fail]);
    }
}
