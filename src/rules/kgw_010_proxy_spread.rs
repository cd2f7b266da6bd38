//! KGW-010: kubeGateway proxy pods are spread across nodes.

use super::helpers::{each_gateway_parameters, fail, no_key_before, pass};
use super::{Fix, Rule, Severity, Versions};
use crate::parse::model::Model;
use crate::parse::version::Version;
use crate::parse::yaml::Node;

/// The first chart with `kubeGateway.gatewayParameters.glooGateway.podTemplate.topologySpreadConstraints`.
const SPREAD_KEY_SINCE: Version = Version::new(1, 19, 0);

pub(super) static RULE: Rule = Rule {
    id: "KGW-010",
    title: "kubeGateway proxy pods spread across nodes",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest) \"Affinity/Anti-Affinity\", as GLOO-021",
    why: "Replicas packed on one node fail together: the second replica buys nothing when that \
        node goes.",
    predicate: "Per kubeGateway GatewayParameters: \
        `spec.kube.podTemplate.topologySpreadConstraints` is non-empty, or \
        `spec.kube.podTemplate.affinity.podAntiAffinity` has a required or preferred term. \
        Absent = FAIL (the controller adds neither). NA when no GatewayParameters is rendered or \
        for one with `spec.selfManaged`.",
    fix_doc: "1.19+: \
        `kubeGateway.gatewayParameters.glooGateway.podTemplate.topologySpreadConstraints: \
        [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, \
        labelSelector: {matchLabels: {gloo: kube-gateway}}, matchLabelKeys: \
        [gateway.networking.k8s.io/gateway-name]}]` (`matchLabelKeys` spreads each Gateway's \
        proxies on their own; Kubernetes >= 1.27). 1.17/1.18: not possible through values \
        (`podTemplate.*` is ignored by the chart); use a per-Gateway GatewayParameters with \
        `spec.kube.podTemplate.affinity.podAntiAffinity` (annotate the Gateway with \
        `gateway.gloo.solo.io/gateway-parameters-name`), or upgrade. `podTemplate.affinity` is \
        not a chart key in any version.",
    fixes: &[Fix::new(
        Versions::from(SPREAD_KEY_SINCE),
        "{KG}.podTemplate.topologySpreadConstraints",
        "[{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {gloo: kube-gateway}}, matchLabelKeys: [gateway.networking.k8s.io/gateway-name]}]",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway_parameters(m, |_, kube| {
        let spread = kube
            .path("podTemplate.topologySpreadConstraints")
            .map(Node::items)
            .unwrap_or_default()
            .len();
        let anti = kube.path("podTemplate.affinity.podAntiAffinity").unwrap_or(Node::null());
        let terms: usize = [
            "requiredDuringSchedulingIgnoredDuringExecution",
            "preferredDuringSchedulingIgnoredDuringExecution",
        ]
        .iter()
        .map(|k| anti.get(k).map(Node::items).unwrap_or_default().len())
        .sum();
        let verdict = match (spread, terms) {
            (0, 0) => fail("podTemplate has no topologySpreadConstraints and no podAntiAffinity term: all proxy pods may land on one node"),
            (0, n) => pass(format!("podAntiAffinity has {n} term(s)")),
            (n, _) => pass(format!("{n} topologySpreadConstraint(s)")),
        };
        no_key_before(
            m,
            SPREAD_KEY_SINCE,
            "kubeGateway.gatewayParameters.glooGateway.podTemplate.topologySpreadConstraints",
            verdict,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{
        fixes, gateway_parameters, outcomes_with_messages, per_gateway_parameters, statuses,
        KUBE_DEFAULT,
    };
    use crate::rules::{OutcomeFix, Status::*};

    #[test]
    fn spread_or_anti_affinity_passes() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Fail]);
        let spread = KUBE_DEFAULT.replace("podTemplate:\n", "podTemplate:\n  topologySpreadConstraints:\n  - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}\n");
        assert_eq!(statuses(&RULE, &gateway_parameters(&spread), "1.22.1"), [Pass]);
        let empty = KUBE_DEFAULT
            .replace("podTemplate:\n", "podTemplate:\n  topologySpreadConstraints: []\n");
        assert_eq!(statuses(&RULE, &gateway_parameters(&empty), "1.22.1"), [Fail]);
    }

    #[test]
    fn on_1_17_the_finding_names_the_first_version_with_the_key() {
        let out = outcomes_with_messages(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.17.38");
        assert_eq!(out[0].0, Fail);
        assert!(out[0].2.ends_with("arrives in gloo 1.19.0"), "{}", out[0].2);
        assert_eq!(
            fixes(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.17.38"),
            [(Fail, OutcomeFix::Declared)]
        );
        assert!(!RULE.fixable(crate::parse::version::Version::parse("1.17.38")));
        let on_1_22 = outcomes_with_messages(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1");
        assert!(!on_1_22[0].2.contains("arrives"), "{}", on_1_22[0].2);
    }

    #[test]
    fn a_per_gateway_anti_affinity_passes_merged_and_takes_no_values_fix() {
        let anti = "podTemplate:\n  affinity:\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 100\n        podAffinityTerm:\n          topologyKey: kubernetes.io/hostname\n          labelSelector: {matchLabels: {gateway.networking.k8s.io/gateway-name: http}}\n";
        let render =
            gateway_parameters(KUBE_DEFAULT) + &per_gateway_parameters("http-spread", anti);
        let out = outcomes_with_messages(&RULE, &render, "1.17.38");
        assert_eq!(out.iter().map(|o| o.0).collect::<Vec<_>>(), [Fail, Pass]);
        assert!(out[1].2.contains("merged over the class default"), "{}", out[1].2);
        let alone = per_gateway_parameters("http", "podTemplate: {}\n");
        let out = outcomes_with_messages(&RULE, &alone, "1.22.1");
        assert!(out[0].2.contains("judged on its own"), "{}", out[0].2);
        assert_eq!(fixes(&RULE, &alone, "1.22.1"), [(Fail, OutcomeFix::Nothing)]);
    }
}
