//! KGW-001: the kubeGateway Envoy container has a read-only root filesystem.

use super::helpers::{boolean, each_gateway_parameters, fail, pass, KUBE_GATEWAY_CHARTS};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "KGW-001",
    title: "kubeGateway Envoy container: read-only root filesystem",
    severity: Severity::Medium,
    source: "Gloo production guide (Seed-000/001, Latest), as K8S-001: the data plane \"has \
        ReadOnly file system\"; applied to the kubeGateway proxy, which runs the same \
        gloo-envoy-wrapper image",
    why: "A writable root filesystem lets a compromised Envoy drop tools and persist changes \
        inside the container.",
    predicate: "Per kubeGateway GatewayParameters: \
        `spec.kube.envoyContainer.securityContext.readOnlyRootFilesystem` is `true`. Absent = \
        FAIL: the controller copies the context verbatim onto the proxy container and adds none \
        of its own. NA when no GatewayParameters is rendered (kubeGateway off, chart 1.13) or \
        for one with `spec.selfManaged`.",
    fix_doc: "1.17+: keep the chart default; explicitly `kubeGateway.gatewayParameters.glooGateway.envoyContainer.securityContext.readOnlyRootFilesystem: \
        true` (helm merges a partial securityContext with the chart's; `securityContext: null` \
        removes all of it).",
    fixes: &[Fix::new(
        KUBE_GATEWAY_CHARTS,
        "{KG}.envoyContainer.securityContext.readOnlyRootFilesystem",
        "true",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway_parameters(m, |_, kube| {
        let field = "envoyContainer.securityContext.readOnlyRootFilesystem";
        match boolean(kube.path(field), field) {
            Ok(Some(true)) => pass("readOnlyRootFilesystem is true"),
            Ok(Some(false)) => fail(format!("{field} is false")),
            Ok(None) => fail(format!("{field} is absent (writable root filesystem)")),
            Err(not_boolean) => not_boolean,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, statuses, KUBE_DEFAULT, NOT_GLOO};
    use crate::rules::Status::*;

    #[test]
    fn the_chart_default_passes_and_a_missing_context_fails() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Pass]);
        let writable =
            KUBE_DEFAULT.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false");
        assert_eq!(statuses(&RULE, &gateway_parameters(&writable), "1.22.1"), [Fail]);
        let no_context = "envoyContainer:\n  image: {repository: gloo-envoy-wrapper}\n";
        assert_eq!(statuses(&RULE, &gateway_parameters(no_context), "1.17.38"), [Fail]);
        let quoted = KUBE_DEFAULT
            .replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: \"true\"");
        assert_eq!(statuses(&RULE, &gateway_parameters(&quoted), "1.22.1"), [Fail]);
    }

    #[test]
    fn not_applicable_without_gateway_parameters_or_when_self_managed() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.22.1"), [Na]);
        let self_managed = gateway_parameters("")
            .replace("spec:\n  kube:\n", "spec:\n  selfManaged: {}\n  kube:\n");
        assert_eq!(statuses(&RULE, &self_managed, "1.22.1"), [Na]);
    }
}
