//! KGW-008: the kubeGateway proxy runs at least two replicas.

use super::common::replicas::{at_least_two, kube_replicas};
use super::helpers::{each_gateway_parameters, KUBE_GATEWAY_CHARTS};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "KGW-008",
    title: "kubeGateway proxy has >= 2 replicas",
    severity: Severity::High,
    source: "Gloo production guide (Latest) \"Horizontally scaling the data plane\", as GLOO-019",
    why: "One Envoy is a single point of failure for every route of the Gateway: each restart, \
        eviction or node failure is an outage.",
    predicate: "Per kubeGateway GatewayParameters: `spec.kube.deployment.replicas` >= 2. Absent = \
        1 (1.17: the deployer's default `replicaCount: 1`; 1.22: the proxy Deployment omits \
        `replicas` and Kubernetes uses 1). A non-integer count FAILs. The controller creates no \
        HPA. NA when no GatewayParameters is rendered or for one with `spec.selfManaged`.",
    fix_doc: "1.17+: `kubeGateway.gatewayParameters.glooGateway.proxyDeployment.replicas: 2`. \
        1.17: `replicas: 0` or null still renders 1, and the controller re-applies `replicas` on \
        every reconcile, so an HPA of your own would fight it. 1.22 (1.20.22+): leaving \
        `replicas` unset lets an HPA you create own the field; this rule then FAILs on the \
        render: suppress it with the reason.",
    fixes: &[Fix::new(KUBE_GATEWAY_CHARTS, "{KG}.proxyDeployment.replicas", "2")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway_parameters(m, |_, kube| {
        at_least_two(kube_replicas(kube), "a single proxy pod serves each Gateway")
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, statuses, KUBE_DEFAULT};
    use crate::rules::Status::*;

    #[test]
    fn absent_is_one_and_two_pass() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Fail]);
        let one = format!("deployment:\n  replicas: 1\n{KUBE_DEFAULT}");
        assert_eq!(statuses(&RULE, &gateway_parameters(&one), "1.17.38"), [Fail]);
        let two = format!("deployment:\n  replicas: 2\n{KUBE_DEFAULT}");
        assert_eq!(statuses(&RULE, &gateway_parameters(&two), "1.17.38"), [Pass]);
        let text = format!("deployment:\n  replicas: \"2\"\n{KUBE_DEFAULT}");
        assert_eq!(statuses(&RULE, &gateway_parameters(&text), "1.22.1"), [Fail]);
    }
}
