//! KGW-019: advice on the global downstream connection limit, which kubeGateway proxies cannot set.

use super::helpers::each_gateway_parameters;
use super::{Rule, Severity, Status};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "KGW-019",
    title: "kubeGateway global downstream connection limit (advice)",
    severity: Severity::Medium,
    source: "Envoy edge best practices \"global downstream connection limits\", as ENVOY-015",
    why: "Without a global limit a connection flood exhausts Envoy's memory and file descriptors \
        before any listener limit applies.",
    predicate: "No predicate on the render: the controller's bootstrap sets no \
        `overload.global_downstream_max_connections` (unlike the edge proxy's, ENVOY-015). \
        ADVISORY per kubeGateway GatewayParameters; NA when none is rendered or for one with \
        `spec.selfManaged`.",
    fix_doc: "None through values. Per-listener limits exist: an `HttpListenerOption` with \
        `spec.options.connectionLimit`, attached to the Gateway with `spec.targetRefs`.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway_parameters(m, |_, _| {
        (Status::Advisory, "the controller's Envoy bootstrap sets no global downstream connection limit: limit each listener with an HttpListenerOption connectionLimit".into())
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, statuses, KUBE_DEFAULT};
    use crate::rules::Status::*;

    #[test]
    fn advice_wherever_it_applies() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.17.38"), [Advisory]);
    }
}
