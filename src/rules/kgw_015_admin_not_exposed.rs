//! KGW-015: the kubeGateway proxy's stats listener reaches only read-only admin routes.

use super::common::kube_stats::{each_stats_listener, stats_route_on};
use super::helpers::{fail, pass, KUBE_GATEWAY_CHARTS};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "KGW-015",
    title: "kubeGateway admin endpoint reachable only through read-only stats routes",
    severity: Severity::High,
    source: "Envoy edge best practices \"restrict access to the admin endpoint\", as ENVOY-001",
    why: "The Envoy admin API can dump configuration with secrets' names, change log levels and \
        shut the proxy down; only its read-only /stats pages may be reachable from the pod \
        network.",
    predicate: "Per kubeGateway GatewayParameters. The controller hard-codes the admin address to \
        127.0.0.1:19000; its only other non-loopback listeners are 8082 (GET /ready) and, with \
        `spec.kube.stats.enabled: true`, 9091, whose routes rewrite to the admin API. PASS when \
        stats are off, or when `stats.routePrefixRewrite` is absent/empty or starts with \
        `/stats` and, with `stats.enableStatsRoute: true`, `stats.statsRoutePrefixRewrite` is \
        absent/empty or starts with `/stats`. Anything else (e.g. `/config_dump`) exposes \
        another admin endpoint. NA when no GatewayParameters is rendered or for one with \
        `spec.selfManaged`.",
    fix_doc: "1.17+: keep both rewrites under /stats (the chart defaults): \
        `kubeGateway.gatewayParameters.glooGateway.stats.routePrefixRewrite: \
        /stats/prometheus?usedonly` and `stats.statsRoutePrefixRewrite: /stats`.",
    fixes: &[Fix::new(
        KUBE_GATEWAY_CHARTS,
        "{KG}.stats",
        "{routePrefixRewrite: \"/stats/prometheus?usedonly\", statsRoutePrefixRewrite: /stats}",
    )],
    check,
};

/// Where a rewrite leads, when it leaves the read-only /stats pages.
fn outside_stats(stats: &Node, field: &str) -> Option<String> {
    let target = stats.get(field).and_then(Node::as_str).unwrap_or_default();
    (!target.is_empty() && !target.starts_with("/stats"))
        .then(|| format!("stats.{field} is {target}"))
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_stats_listener(
        m,
        pass("stats are off: no listener but 8082 (/ready) reaches the admin API"),
        |stats| {
            // A non-boolean counts as off here; KGW-016 FAILs it.
            let stats_route = stats_route_on(stats).unwrap_or(false);
            let exposed: Vec<String> = std::iter::once(outside_stats(stats, "routePrefixRewrite"))
                .chain(stats_route.then(|| outside_stats(stats, "statsRoutePrefixRewrite")))
                .flatten()
                .collect();
            if exposed.is_empty() {
                pass("admin is on 127.0.0.1:19000; the stats listener's rewrites stay under /stats")
            } else {
                fail(format!(
                    "{}: the stats listener on 0.0.0.0:9091 exposes that admin endpoint",
                    exposed.join(", ")
                ))
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateway_parameters, statuses, KUBE_DEFAULT};
    use crate::rules::Status::*;

    #[test]
    fn rewrites_must_stay_under_stats() {
        assert_eq!(statuses(&RULE, &gateway_parameters(KUBE_DEFAULT), "1.22.1"), [Pass]);
        let dump = KUBE_DEFAULT
            .replace("statsRoutePrefixRewrite: /stats", "statsRoutePrefixRewrite: /config_dump");
        assert_eq!(statuses(&RULE, &gateway_parameters(&dump), "1.22.1"), [Fail]);
        let route_off = dump.replace("enableStatsRoute: true", "enableStatsRoute: false");
        assert_eq!(
            statuses(&RULE, &gateway_parameters(&route_off), "1.22.1"),
            [Pass],
            "that route is not rendered"
        );
        let quoted = dump.replace("enableStatsRoute: true", "enableStatsRoute: \"true\"");
        assert_eq!(
            statuses(&RULE, &gateway_parameters(&quoted), "1.22.1"),
            [Pass],
            "not a boolean"
        );
        let metrics = KUBE_DEFAULT
            .replace("routePrefixRewrite: /stats/prometheus", "routePrefixRewrite: /quitquitquit");
        assert_eq!(statuses(&RULE, &gateway_parameters(&metrics), "1.17.38"), [Fail]);
        let stats_off = metrics.replace("  enabled: true\n", "  enabled: false\n");
        assert_eq!(statuses(&RULE, &gateway_parameters(&stats_off), "1.17.38"), [Pass]);
    }
}
