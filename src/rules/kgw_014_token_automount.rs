//! KGW-014: kubeGateway proxies do not automount a service-account token.

use super::helpers::{each_gateway_parameters, pass};
use super::{Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "KGW-014",
    title: "kubeGateway proxy does not automount a service-account token",
    severity: Severity::Medium,
    source: "Gloo production guide (Seed-000/001, Latest), as GLOO-001: the data plane \"doesn't \
        require any additional tokens mounted in\"",
    why: "A token in the Envoy pod is a credential for the Kubernetes API that an attacker who \
        breaks Envoy gets for free.",
    predicate: "Per kubeGateway GatewayParameters: PASS. The controller fixes it: its \
        ServiceAccount `gloo-proxy-<gateway>` sets `automountServiceAccountToken: false`, the \
        pod never sets the field, and no GatewayParameters field changes either. Listed so the \
        report covers the point. NA when no GatewayParameters is rendered or for one with \
        `spec.selfManaged`.",
    fix_doc: "Nothing to set. With the controller's Istio integration the istio-proxy sidecar \
        mounts its own projected istio-token; the Envoy container gets none.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway_parameters(m, |_, _| {
        pass("the controller's proxy ServiceAccount sets automountServiceAccountToken: false and no GatewayParameters field changes it")
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, statuses, KUBE_DEFAULT, NOT_GLOO};
    use crate::rules::Status::*;

    #[test]
    fn passes_wherever_it_applies() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.17.38"), [Pass]);
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
