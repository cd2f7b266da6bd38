//! KGW-011: the kubeGateway Envoy container has a readiness probe.

use super::common::probes::{kube_has, PROBE_KEYS_SINCE};
use super::{Fix, Rule, Severity, Versions};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "KGW-011",
    title: "kubeGateway Envoy readiness probe",
    severity: Severity::Medium,
    source: "Gloo production guide (Seed-000, Latest) \"Enable health checks\", as GLOO-025",
    why: "Without a readiness probe new proxy pods take traffic before Envoy has initialised, and \
        a draining pod is not taken out of the Service.",
    predicate: "Per kubeGateway GatewayParameters: `spec.kube.podTemplate.readinessProbe` is \
        present. Absent = FAIL. On 1.17 the API has no such field and the proxy has no probe \
        (the deployer template's `exec:` block is not under `readinessProbe:` and is dropped). \
        NA when no GatewayParameters is rendered or for one with `spec.selfManaged`.",
    fix_doc: "1.18+: `kubeGateway.gatewayParameters.glooGateway.podTemplate.probes: true` (an \
        httpGet of :8082/envoy-hc; the controller then adds the Envoy health_check filter that \
        answers it); `podTemplate.customReadinessProbe` with `probes: true` replaces the probe. \
        1.17: not possible through values; upgrade to >= 1.18.",
    fixes: &[Fix::new(Versions::from(PROBE_KEYS_SINCE), "{KG}.podTemplate.probes", "true")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    kube_has(m, "readiness", "kubeGateway.gatewayParameters.glooGateway.podTemplate.probes")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::judges_a_kube_probe;

    #[test]
    fn judges_the_pod_template() {
        judges_a_kube_probe(&RULE, "readinessProbe: {httpGet: {port: 8082, path: /envoy-hc}}");
    }
}
