//! KGW-002: the kubeGateway Envoy container runs as a non-root user.

use super::common::security_context::non_root;
use super::helpers::{
    each_gateway_parameters, envoy_security, fail, refix_failures, KUBE_GATEWAY_CHARTS,
};
use super::{Fix, OutcomeFix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "KGW-002",
    title: "kubeGateway Envoy container: runs as non-root",
    severity: Severity::High,
    source: "Gloo production guide (Seed-000/001, Latest), as K8S-002: the data plane \"doesn't \
        require any additional tokens mounted in or OS-level privileges\"",
    why: "An Envoy compromised as root owns the container and has a much shorter path to the node.",
    predicate: "Per kubeGateway GatewayParameters: effective `runAsNonRoot` \
        (`spec.kube.envoyContainer.securityContext`, else \
        `spec.kube.podTemplate.securityContext`) is `true`, and effective `runAsUser`, when set, \
        is not `0`. With `spec.kube.floatingUserId: true` `runAsUser` is ignored: the controller \
        deletes it from every context. Absent `runAsNonRoot` = FAIL. NA when no \
        GatewayParameters is rendered or for one with `spec.selfManaged`.",
    fix_doc:
        "1.17+: keep the chart default (`runAsNonRoot: true`, `runAsUser: 10101`); explicitly \
        `kubeGateway.gatewayParameters.glooGateway.envoyContainer.securityContext.runAsNonRoot: \
        true`, and a non-zero `runAsUser` (10101) where it is 0. \
        `global.securitySettings.floatingUserId: true` renders `floatingUserId: true`: the \
        controller then drops `runAsUser` and keeps `runAsNonRoot` (PASS).",
    fixes: &[Fix::new(
        KUBE_GATEWAY_CHARTS,
        "{KG}.envoyContainer.securityContext.runAsNonRoot",
        "true",
    )],
    check,
};

fn floating_user_id(kube: &Node) -> bool {
    kube.get("floatingUserId").and_then(Node::as_bool) == Some(true)
}

fn root_user(kube: &Node) -> bool {
    !floating_user_id(kube) && envoy_security(kube, "runAsUser").and_then(Node::as_i64) == Some(0)
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_gateway_parameters(m, |_, kube| {
        let user = envoy_security(kube, "runAsUser").filter(|_| !floating_user_id(kube));
        if root_user(kube) {
            return fail("runAsUser is 0 (root)");
        }
        non_root(envoy_security(kube, "runAsNonRoot"), user)
    });
    // Root by runAsUser 0: runAsNonRoot alone would make the pod fail to start, not run as
    // another user; the fix sets the chart's user (and runAsNonRoot only where it is not true).
    refix_failures(outcomes, |o| {
        let kube = m.gateway_params_of(o.doc)?.kube();
        if !root_user(kube) {
            return None;
        }
        let context = "{KG}.envoyContainer.securityContext";
        let non_root = envoy_security(kube, "runAsNonRoot").and_then(Node::as_bool) == Some(true);
        Some(if non_root {
            OutcomeFix::Custom { path: format!("{context}.runAsUser"), value: 10101.into() }
        } else {
            OutcomeFix::Custom {
                path: context.into(),
                value: serde_json::json!({"runAsNonRoot": true, "runAsUser": 10101}),
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{fixes, gateway_parameters, statuses, KUBE_DEFAULT};
    use crate::rules::{OutcomeFix, Status::*};

    #[test]
    fn judges_the_effective_user() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Pass]);
        let root = KUBE_DEFAULT.replace("runAsUser: 10101", "runAsUser: 0");
        assert_eq!(statuses(&RULE, &gateway_parameters(&root), "1.22.1"), [Fail]);
        let floating = root.replace("floatingUserId: false", "floatingUserId: true");
        assert_eq!(
            statuses(&RULE, &gateway_parameters(&floating), "1.22.1"),
            [Pass],
            "the controller deletes runAsUser"
        );
        let no_flag = KUBE_DEFAULT.replace("    runAsNonRoot: true\n", "");
        assert_eq!(statuses(&RULE, &gateway_parameters(&no_flag), "1.17.38"), [Fail]);
        let from_pod = no_flag
            .replace("podTemplate:\n", "podTemplate:\n  securityContext: {runAsNonRoot: true}\n");
        assert_eq!(statuses(&RULE, &gateway_parameters(&from_pod), "1.17.38"), [Pass]);
    }

    #[test]
    fn root_by_user_id_is_fixed_with_the_charts_user() {
        let root = KUBE_DEFAULT.replace("runAsUser: 10101", "runAsUser: 0");
        let user = OutcomeFix::Custom {
            path: "{KG}.envoyContainer.securityContext.runAsUser".into(),
            value: 10101.into(),
        };
        assert_eq!(fixes(&RULE, &gateway_parameters(&root), "1.22.1"), [(Fail, user)]);
        let root_allowed = root.replace("runAsNonRoot: true", "runAsNonRoot: false");
        let both = OutcomeFix::Custom {
            path: "{KG}.envoyContainer.securityContext".into(),
            value: serde_json::json!({"runAsNonRoot": true, "runAsUser": 10101}),
        };
        assert_eq!(fixes(&RULE, &gateway_parameters(&root_allowed), "1.22.1"), [(Fail, both)]);
        let no_flag = KUBE_DEFAULT.replace("    runAsNonRoot: true\n", "");
        assert_eq!(
            fixes(&RULE, &gateway_parameters(&no_flag), "1.22.1"),
            [(Fail, OutcomeFix::Declared)]
        );
    }
}
