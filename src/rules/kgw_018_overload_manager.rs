//! KGW-018: advice on the overload manager, which kubeGateway proxies cannot have.

use super::helpers::each_gateway_parameters;
use super::{Rule, Severity, Status};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "KGW-018",
    title: "kubeGateway overload manager (advice)",
    severity: Severity::Medium,
    source: "Envoy edge best practices \"overload_manager\", as ENVOY-002",
    why: "Without an overload manager Envoy is OOM-killed under memory pressure instead of \
        shedding load.",
    predicate: "No predicate on the render: the controller's bootstrap has no `overload_manager` \
        and no GatewayParameters or values field feeds one. ADVISORY per kubeGateway \
        GatewayParameters; NA when none is rendered or for one with `spec.selfManaged`.",
    fix_doc: "None through values or GatewayParameters; a `selfManaged` Gateway with your own \
        bootstrap is the only way, outside this chart. Size the memory limit generously \
        (KGW-007).",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway_parameters(m, |_, _| {
        (Status::Advisory, "the controller's Envoy bootstrap has no overload_manager and no field adds one: size the memory limit generously".into())
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, statuses, KUBE_DEFAULT, NOT_GLOO};
    use crate::rules::Status::*;

    #[test]
    fn advice_wherever_it_applies() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Advisory]);
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.22.1"), [Na]);
    }
}
