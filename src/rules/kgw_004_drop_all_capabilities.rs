//! KGW-004: the kubeGateway Envoy container drops every Linux capability.

use super::common::security_context::{all_dropped, capability_names, drops_all, is_net_bind};
use super::helpers::{each_gateway_parameters, refix_failures, KUBE_GATEWAY_CHARTS};
use super::{Fix, OutcomeFix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "KGW-004",
    title: "kubeGateway Envoy container: drops all capabilities",
    severity: Severity::Medium,
    source: "Gloo production guide (Seed-000/001, Latest), as K8S-004",
    why: "Capabilities left to the container (NET_RAW, SYS_ADMIN, ...) give a compromised Envoy \
        kernel-level powers it never needs.",
    predicate: "Per kubeGateway GatewayParameters: \
        `spec.kube.envoyContainer.securityContext.capabilities.drop` contains `ALL`, and \
        `capabilities.add` contains nothing other than `NET_BIND_SERVICE` / \
        `CAP_NET_BIND_SERVICE` (which KGW-005 judges). Absent `drop` = FAIL. NA when no \
        GatewayParameters is rendered or for one with `spec.selfManaged`.",
    fix_doc: "1.17+: keep the chart default `kubeGateway.gatewayParameters.glooGateway.envoyContainer.securityContext.capabilities.drop: \
        [ALL]`; where other capabilities are added, also `capabilities.add: []` (helm replaces \
        lists whole).",
    fixes: &[Fix::new(
        KUBE_GATEWAY_CHARTS,
        "{KG}.envoyContainer.securityContext.capabilities.drop",
        "[ALL]",
    )],
    check,
};

/// Capabilities added besides NET_BIND_SERVICE (KGW-005's).
fn extra_added(kube: &Node) -> Vec<String> {
    capability_names(kube.path("envoyContainer.securityContext.capabilities.add"))
        .into_iter()
        .filter(|cap| !is_net_bind(cap))
        .collect()
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes =
        each_gateway_parameters(m, |_, kube| drops_all(&dropped(kube), &extra_added(kube)));
    // Added capabilities stay whatever is dropped: the fix empties the list (the proxy needs
    // none, KGW-005), and is then KGW-005's own fix where `drop` is already right.
    refix_failures(outcomes, |o| {
        let kube = m.gateway_params_of(o.doc)?.kube();
        if extra_added(kube).is_empty() {
            return None;
        }
        let capabilities = "{KG}.envoyContainer.securityContext.capabilities";
        Some(if all_dropped(&dropped(kube)) {
            OutcomeFix::Custom { path: format!("{capabilities}.add"), value: serde_json::json!([]) }
        } else {
            OutcomeFix::Custom {
                path: capabilities.into(),
                value: serde_json::json!({"drop": ["ALL"], "add": []}),
            }
        })
    })
}

fn dropped(kube: &Node) -> Vec<String> {
    capability_names(kube.path("envoyContainer.securityContext.capabilities.drop"))
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{fixes, gateway_parameters, statuses, KUBE_DEFAULT};
    use crate::rules::{OutcomeFix, Status::*};

    #[test]
    fn net_bind_service_is_left_to_kgw_005() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Pass]);
        let no_drop = KUBE_DEFAULT.replace("      drop:\n      - ALL\n", "");
        assert_eq!(statuses(&RULE, &gateway_parameters(&no_drop), "1.22.1"), [Fail]);
        let some = KUBE_DEFAULT.replace("      - ALL\n", "      - NET_RAW\n");
        assert_eq!(statuses(&RULE, &gateway_parameters(&some), "1.22.1"), [Fail]);
    }

    #[test]
    fn another_added_capability_fails_and_the_fix_empties_the_list() {
        let added = KUBE_DEFAULT
            .replace("      - NET_BIND_SERVICE\n", "      - NET_BIND_SERVICE\n      - SYS_ADMIN\n");
        let emptied = OutcomeFix::Custom {
            path: "{KG}.envoyContainer.securityContext.capabilities.add".into(),
            value: serde_json::json!([]),
        };
        assert_eq!(fixes(&RULE, &gateway_parameters(&added), "1.22.1"), [(Fail, emptied)]);
        let no_drop = added.replace("      drop:\n      - ALL\n", "");
        let both = OutcomeFix::Custom {
            path: "{KG}.envoyContainer.securityContext.capabilities".into(),
            value: serde_json::json!({"drop": ["ALL"], "add": []}),
        };
        assert_eq!(fixes(&RULE, &gateway_parameters(&no_drop), "1.22.1"), [(Fail, both)]);
    }
}
