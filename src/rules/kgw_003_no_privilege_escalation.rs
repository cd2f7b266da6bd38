//! KGW-003: the kubeGateway Envoy container cannot escalate privileges.

use super::helpers::{
    boolean, each_gateway_parameters, fail, pass, refix_failures, KUBE_GATEWAY_CHARTS,
};
use super::{Fix, OutcomeFix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "KGW-003",
    title: "kubeGateway Envoy container: no privilege escalation",
    severity: Severity::High,
    source: "Gloo production guide (Seed-000/001, Latest), as K8S-003",
    why: "With privilege escalation allowed, setuid binaries or file capabilities can give a \
        compromised Envoy more rights than it started with.",
    predicate: "Per kubeGateway GatewayParameters: \
        `spec.kube.envoyContainer.securityContext.allowPrivilegeEscalation` is `false` (absent = \
        FAIL: the controller adds no context) and `privileged` is not `true`. NA when no \
        GatewayParameters is rendered or for one with `spec.selfManaged`.",
    fix_doc: "1.17+: keep the chart default; explicitly `kubeGateway.gatewayParameters.glooGateway.envoyContainer.securityContext.allowPrivilegeEscalation: \
        false` (and `privileged: false` where it is true).",
    fixes: &[Fix::new(
        KUBE_GATEWAY_CHARTS,
        "{KG}.envoyContainer.securityContext.allowPrivilegeEscalation",
        "false",
    )],
    check,
};

fn privileged(kube: &Node) -> bool {
    kube.path("envoyContainer.securityContext.privileged").and_then(Node::as_bool) == Some(true)
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_gateway_parameters(m, |_, kube| {
        if privileged(kube) {
            return fail("the Envoy container is privileged");
        }
        // The container's field only: a pod security context has no such field.
        let field = kube.path("envoyContainer.securityContext.allowPrivilegeEscalation");
        match boolean(field, "allowPrivilegeEscalation") {
            Ok(Some(false)) => pass("allowPrivilegeEscalation is false"),
            Ok(Some(true)) => fail("allowPrivilegeEscalation is true"),
            Ok(None) => fail("allowPrivilegeEscalation is absent (escalation allowed)"),
            Err(not_boolean) => not_boolean,
        }
    });
    // A privileged container escalates whatever allowPrivilegeEscalation says: the fix turns
    // `privileged` off (and escalation, where it is not off already).
    refix_failures(outcomes, |o| {
        let kube = m.gateway_params_of(o.doc)?.kube();
        if !privileged(kube) {
            return None;
        }
        let context = "{KG}.envoyContainer.securityContext";
        let escalation = kube.path("envoyContainer.securityContext.allowPrivilegeEscalation");
        Some(if escalation.and_then(Node::as_bool) == Some(false) {
            OutcomeFix::Custom { path: format!("{context}.privileged"), value: false.into() }
        } else {
            OutcomeFix::Custom {
                path: context.into(),
                value: serde_json::json!({"allowPrivilegeEscalation": false, "privileged": false}),
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
    fn judges_the_container_context() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Pass]);
        let allowed = KUBE_DEFAULT
            .replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true");
        assert_eq!(statuses(&RULE, &gateway_parameters(&allowed), "1.22.1"), [Fail]);
        let absent = KUBE_DEFAULT.replace("    allowPrivilegeEscalation: false\n", "");
        assert_eq!(statuses(&RULE, &gateway_parameters(&absent), "1.17.38"), [Fail]);
    }

    #[test]
    fn a_privileged_container_fails_and_the_fix_turns_it_off() {
        let privileged = KUBE_DEFAULT
            .replace("    runAsUser: 10101\n", "    runAsUser: 10101\n    privileged: true\n");
        let off = OutcomeFix::Custom {
            path: "{KG}.envoyContainer.securityContext.privileged".into(),
            value: false.into(),
        };
        assert_eq!(fixes(&RULE, &gateway_parameters(&privileged), "1.22.1"), [(Fail, off)]);
        let escalating =
            privileged.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true");
        let both = OutcomeFix::Custom {
            path: "{KG}.envoyContainer.securityContext".into(),
            value: serde_json::json!({"allowPrivilegeEscalation": false, "privileged": false}),
        };
        assert_eq!(fixes(&RULE, &gateway_parameters(&escalating), "1.22.1"), [(Fail, both)]);
    }
}
