//! KGW-016: the kubeGateway proxy does not expose the full /stats route on the pod network.

use super::common::kube_stats::{each_stats_listener, stats_route_on};
use super::helpers::{fail, pass, KUBE_GATEWAY_CHARTS};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "KGW-016",
    title: "kubeGateway full /stats route not exposed on the pod network",
    severity: Severity::Low,
    source: "Envoy edge best practices \"restrict access to the admin endpoint\"; stricter than \
        ENVOY-001, because the kubeGateway chart turns the route on by default while the edge \
        `global.glooStats.enableStatsRoute` defaults to false",
    why: "GET /stats/... on 0.0.0.0:9091 discloses every counter, with cluster, upstream and host \
        names, to anything that reaches the pod IP.",
    predicate: "Per kubeGateway GatewayParameters, when `spec.kube.stats.enabled` is true: \
        `stats.enableStatsRoute` is not `true` (absent = off). Stats off = PASS. NA when no \
        GatewayParameters is rendered or for one with `spec.selfManaged`.",
    fix_doc: "1.17+: `kubeGateway.gatewayParameters.glooGateway.stats.enableStatsRoute: false` \
        (the /stats route goes; /metrics stays).",
    fixes: &[Fix::new(KUBE_GATEWAY_CHARTS, "{KG}.stats.enableStatsRoute", "false")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_stats_listener(m, pass("stats are off: no stats listener"), |stats| {
        match stats_route_on(stats) {
            Ok(true) => fail("stats.enableStatsRoute is true: GET /stats on 0.0.0.0:9091 lists every Envoy counter"),
            Ok(false) => pass("stats.enableStatsRoute is off"),
            Err(not_boolean) => not_boolean,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, statuses, KUBE_DEFAULT};
    use crate::rules::Status::*;

    #[test]
    fn the_chart_default_exposes_it() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Fail]);
        let off = KUBE_DEFAULT.replace("enableStatsRoute: true", "enableStatsRoute: false");
        assert_eq!(statuses(&RULE, &gateway_parameters(&off), "1.22.1"), [Pass]);
        let quoted = KUBE_DEFAULT.replace("enableStatsRoute: true", "enableStatsRoute: \"true\"");
        assert_eq!(
            statuses(&RULE, &gateway_parameters(&quoted), "1.22.1"),
            [Fail],
            "not a boolean"
        );
        let stats_off = KUBE_DEFAULT.replace("  enabled: true\n", "  enabled: false\n");
        assert_eq!(statuses(&RULE, &gateway_parameters(&stats_off), "1.17.38"), [Pass]);
    }
}
