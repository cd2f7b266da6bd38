//! KGW-013: the kubeGateway proxy drains before Envoy stops.

use super::common::probes::PROBE_KEYS_SINCE;
use super::helpers::{boolean, each_gateway_parameters, fail, no_key_before, pass, show};
use super::{Fix, Rule, Severity, Versions};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "KGW-013",
    title: "kubeGateway graceful shutdown (preStop drain)",
    severity: Severity::Medium,
    source: "GatewayParameters API `GracefulShutdownSpec` (gloo v1.22.1 \
        `api/v1alpha1/kube_types.go`): \"Enable grace period before shutdown to finish current \
        requests while Envoy health checks fail to e.g. notify external load balancers\"; Gloo \
        production guide health-check guidance (as GLOO-027)",
    why: "Without a drain every rollout or scale-down sends SIGTERM while load balancers and \
        kube-proxy still route to the pod: in-flight and new requests fail.",
    predicate: "Per kubeGateway GatewayParameters: \
        `spec.kube.podTemplate.gracefulShutdown.enabled` is `true`, and the effective \
        `podTemplate.terminationGracePeriodSeconds` (absent = 30, the Kubernetes default) is \
        greater than the effective `gracefulShutdown.sleepTimeSeconds` (absent = 10, the \
        controller's default). NA when no GatewayParameters is rendered or for one with \
        `spec.selfManaged`.",
    fix_doc: "1.18+: `kubeGateway.gatewayParameters.glooGateway.podTemplate.gracefulShutdown: \
        {enabled: true, sleepTimeSeconds: 25}` and `podTemplate.terminationGracePeriodSeconds: \
        60` (the controller renders a preStop that fails Envoy's health check, then sleeps). The \
        health check only shows through the readiness probe's health_check filter: enable \
        KGW-011 too. The hook needs /bin/sh and wget in the image. 1.17: not possible through \
        values (no preStop in the deployer); upgrade to >= 1.18.",
    fixes: &[Fix::new(
        Versions::from(PROBE_KEYS_SINCE),
        "{KG}.podTemplate",
        "{gracefulShutdown: {enabled: true, sleepTimeSeconds: 25}, terminationGracePeriodSeconds: 60}",
    )],
    check,
};

/// An integer field of `podTemplate`, `default` when absent; Err with a FAIL message otherwise.
fn seconds(template: &Node, path: &str, default: i64) -> Result<i64, String> {
    match template.path(path).filter(|n| !n.is_null()) {
        None => Ok(default),
        Some(n) => n
            .as_i64()
            .ok_or_else(|| format!("podTemplate.{path} is not an integer ({})", show(Some(n)))),
    }
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway_parameters(m, |_, kube| {
        let template = kube.get("podTemplate").unwrap_or(Node::null());
        let field = "podTemplate.gracefulShutdown.enabled";
        let verdict = match boolean(template.path("gracefulShutdown.enabled"), field) {
            Err(not_boolean) => not_boolean,
            Ok(None | Some(false)) => fail(format!(
                "{field} is not true: no preStop drain, Envoy stops while still receiving traffic"
            )),
            Ok(Some(true)) => {
                match (seconds(template, "terminationGracePeriodSeconds", 30), seconds(template, "gracefulShutdown.sleepTimeSeconds", 10)) {
                    (Err(e), _) | (_, Err(e)) => fail(e),
                    (Ok(grace), Ok(sleep)) if grace > sleep => pass(format!("drain of {sleep} s within a grace period of {grace} s")),
                    (Ok(grace), Ok(sleep)) => fail(format!("the drain sleeps {sleep} s but the grace period is {grace} s: the pod is killed before it ends")),
                }
            }
        };
        no_key_before(
            m,
            PROBE_KEYS_SINCE,
            "kubeGateway.gatewayParameters.glooGateway.podTemplate.gracefulShutdown",
            verdict,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{
        gateway_parameters, outcomes_with_messages, statuses, KUBE_DEFAULT,
    };
    use crate::rules::Status::*;

    fn with_template(fields: &str) -> String {
        gateway_parameters(
            &KUBE_DEFAULT.replace("podTemplate:\n", &format!("podTemplate:\n{fields}")),
        )
    }

    #[test]
    fn the_drain_must_end_within_the_grace_period() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Fail]);
        assert_eq!(
            statuses(&RULE, &with_template("  gracefulShutdown: {enabled: true}\n"), "1.22.1"),
            [Pass],
            "10 s < 30 s"
        );
        let long = "  gracefulShutdown: {enabled: true, sleepTimeSeconds: 25}\n  terminationGracePeriodSeconds: 20\n";
        assert_eq!(statuses(&RULE, &with_template(long), "1.22.1"), [Fail]);
        let fits = "  gracefulShutdown: {enabled: true, sleepTimeSeconds: 25}\n  terminationGracePeriodSeconds: 60\n";
        assert_eq!(statuses(&RULE, &with_template(fits), "1.22.1"), [Pass]);
        assert_eq!(
            statuses(&RULE, &with_template("  gracefulShutdown: {enabled: false}\n"), "1.22.1"),
            [Fail]
        );
    }

    #[test]
    fn on_1_17_the_finding_names_1_18() {
        let out = outcomes_with_messages(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.17.38");
        assert!(out[0].2.ends_with("arrives in gloo 1.18.0"), "{}", out[0].2);
    }
}
