//! KGW-017: the kubeGateway proxy's Prometheus scrape path emits only used metrics.

use super::common::kube_stats::each_stats_listener;
use super::helpers::{fail, na, pass, KUBE_GATEWAY_CHARTS};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "KGW-017",
    title: "kubeGateway Prometheus scrape uses usedonly",
    severity: Severity::Low,
    source: "Gloo production guide (Latest) \"Apply metrics filter to Prometheus scraping \
        endpoint\", as GLOO-033",
    why: "Without `usedonly` every scrape carries every metric Envoy could emit: a large, \
        mostly-zero payload per proxy pod.",
    predicate: "Per kubeGateway GatewayParameters with `spec.kube.stats.enabled: true`: \
        `stats.routePrefixRewrite` contains `usedonly`. NA when stats are off or absent (no \
        /metrics route; `kubeGateway.gatewayParameters.glooGateway.istio.customSidecars` or \
        `sdsContainer: null` drop the block), when no GatewayParameters is rendered, or for one \
        with `spec.selfManaged`.",
    fix_doc: "1.17+: `kubeGateway.gatewayParameters.glooGateway.stats.routePrefixRewrite: \
        \"/stats/prometheus?usedonly\"` (the stats block deep-merges: `enabled: true` stays).",
    fixes: &[Fix::new(
        KUBE_GATEWAY_CHARTS,
        "{KG}.stats.routePrefixRewrite",
        "\"/stats/prometheus?usedonly\"",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_stats_listener(m, na("stats are off: no /metrics route"), |stats| {
        match stats.get("routePrefixRewrite").and_then(Node::as_str) {
            Some(path) if path.contains("usedonly") => {
                pass(format!("stats.routePrefixRewrite is {path}"))
            }
            Some(path) => fail(format!("stats.routePrefixRewrite is {path}, without usedonly")),
            None => fail("stats.routePrefixRewrite is absent (the full Prometheus page)"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, statuses, KUBE_DEFAULT};
    use crate::rules::Status::*;

    #[test]
    fn the_chart_default_scrapes_everything() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Fail]);
        let used = KUBE_DEFAULT.replace(
            "routePrefixRewrite: /stats/prometheus",
            "routePrefixRewrite: /stats/prometheus?usedonly",
        );
        assert_eq!(statuses(&RULE, &gateway_parameters(&used), "1.22.1"), [Pass]);
        let stats_off = KUBE_DEFAULT.replace("  enabled: true\n", "  enabled: false\n");
        assert_eq!(statuses(&RULE, &gateway_parameters(&stats_off), "1.17.38"), [Na]);
    }
}
