//! KGW-006: the kubeGateway Envoy container runs under a seccomp profile.

use super::helpers::{
    each_gateway_parameters, envoy_security, fail, pass, refix_failures, show, KUBE_GATEWAY_CHARTS,
};
use super::{Fix, OutcomeFix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "KGW-006",
    title: "kubeGateway Envoy container: seccomp profile RuntimeDefault/Localhost",
    severity: Severity::Low,
    source: "Kubernetes Pod Security Standards, Restricted profile (seccomp `RuntimeDefault` or \
        `Localhost`); kubernetes.io/docs/reference/node/seccomp (without a profile a container \
        runs `Unconfined` unless the kubelet's SeccompDefault is on)",
    why: "Defence in depth: a syscall filter narrows what a compromised internet-facing Envoy can \
        ask of the kernel.",
    predicate: "Per kubeGateway GatewayParameters: effective `seccompProfile.type` \
        (`spec.kube.envoyContainer.securityContext`, else \
        `spec.kube.podTemplate.securityContext`) is `RuntimeDefault` or `Localhost`. Absent or \
        `Unconfined` = FAIL. NA when no GatewayParameters is rendered or for one with \
        `spec.selfManaged`.",
    fix_doc: "1.17+: `kubeGateway.gatewayParameters.glooGateway.envoyContainer.securityContext.seccompProfile.type: \
        RuntimeDefault` (merged with the chart's default context). A pod-level profile cannot be \
        set through values. Not tested with a running Envoy.",
    fixes: &[Fix::new(
        KUBE_GATEWAY_CHARTS,
        "{KG}.envoyContainer.securityContext.seccompProfile.type",
        "RuntimeDefault",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_gateway_parameters(m, |_, kube| {
        let profile = envoy_security(kube, "seccompProfile");
        match profile.and_then(|p| p.get("type")).and_then(Node::as_str) {
            Some(t @ ("RuntimeDefault" | "Localhost")) => {
                pass(format!("seccompProfile.type is {t}"))
            }
            Some(other) => fail(format!("seccompProfile.type is {other}")),
            None if profile.is_some() => {
                fail(format!("seccompProfile has no type: {}", show(profile)))
            }
            None => fail(
                "no seccompProfile: the container runs Unconfined unless the kubelet defaults one",
            ),
        }
    });
    // A Localhost profile's file name beside another type is rejected by the API server: the
    // fix drops it with the type it belonged to.
    refix_failures(outcomes, |o| {
        let kube = m.gateway_params_of(o.doc)?.kube();
        kube.path("envoyContainer.securityContext.seccompProfile.localhostProfile")
            .filter(|n| !n.is_null())
            .map(|_| OutcomeFix::Custom {
                path: "{KG}.envoyContainer.securityContext.seccompProfile".into(),
                value: serde_json::json!({"type": "RuntimeDefault", "localhostProfile": null}),
            })
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{fixes, gateway_parameters, statuses, KUBE_DEFAULT};
    use crate::rules::{OutcomeFix, Status::*};

    fn with_profile(context: &str, profile: &str) -> String {
        let kube = match context {
            "pod" => KUBE_DEFAULT.replace(
                "podTemplate:\n",
                &format!("podTemplate:\n  securityContext:\n    seccompProfile: {profile}\n"),
            ),
            _ => KUBE_DEFAULT.replace(
                "    runAsUser: 10101\n",
                &format!("    runAsUser: 10101\n    seccompProfile: {profile}\n"),
            ),
        };
        gateway_parameters(&kube)
    }

    #[test]
    fn the_chart_default_has_none() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Fail]);
        assert_eq!(
            statuses(&RULE, &with_profile("container", "{type: RuntimeDefault}"), "1.22.1"),
            [Pass]
        );
        assert_eq!(
            statuses(
                &RULE,
                &with_profile("container", "{type: Localhost, localhostProfile: envoy.json}"),
                "1.22.1"
            ),
            [Pass]
        );
        assert_eq!(
            statuses(&RULE, &with_profile("container", "{type: Unconfined}"), "1.22.1"),
            [Fail]
        );
        assert_eq!(
            statuses(&RULE, &with_profile("pod", "{type: RuntimeDefault}"), "1.22.1"),
            [Pass]
        );
    }

    #[test]
    fn a_stale_localhost_profile_is_dropped_by_the_fix() {
        let render = with_profile("container", "{type: Unconfined, localhostProfile: envoy.json}");
        let expected = OutcomeFix::Custom {
            path: "{KG}.envoyContainer.securityContext.seccompProfile".into(),
            value: serde_json::json!({"type": "RuntimeDefault", "localhostProfile": null}),
        };
        assert_eq!(fixes(&RULE, &render, "1.22.1"), [(Fail, expected)]);
        assert_eq!(
            fixes(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"),
            [(Fail, OutcomeFix::Declared)]
        );
    }
}
