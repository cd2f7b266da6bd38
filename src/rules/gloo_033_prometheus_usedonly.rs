//! GLOO-033: the proxy's Prometheus scrape path emits only the metrics in use.

use super::helpers::{each_bootstrap, fail, na, pass, refix_judged};
use super::{Fix, Outcome, OutcomeFix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-033",
    title: "Prometheus scrape uses `usedonly`",
    severity: Severity::Low,
    source: "Gloo production guide (Latest) \"Apply metrics filter to Prometheus scraping \
        endpoint\": `routePrefixRewrite: \"/stats/prometheus?usedonly\"`",
    why: "Without `usedonly` every scrape returns all of Envoy's never-used counters, inflating \
        scrape size and Prometheus load.",
    predicate: "Per proxy, in the Envoy bootstrap: every route under `static_resources.listeners` \
        whose `match.prefix` is `/metrics` has a `route.prefix_rewrite` containing `usedonly`. \
        Absent rewrite = FAIL. NA when there is no `/metrics` route (stats disabled) or the \
        bootstrap ConfigMap is not rendered.",
    fix_doc: "All versions: `gatewayProxies.<name>.stats: {enabled: true, routePrefixRewrite: \
        \"/stats/prometheus?usedonly\"}`, or for every proxy \
        `global.glooStats.routePrefixRewrite: \"/stats/prometheus?usedonly\"` (top-level \
        `global`, even in umbrella charts). `gatewayProxies.<name>.stats` replaces \
        `global.glooStats` as a whole: without `enabled: true` it switches stats off (no \
        `/metrics` route and no scrape annotations).",
    fixes: &[Fix::all(
        "{GP}.stats",
        "{enabled: true, routePrefixRewrite: \"/stats/prometheus?usedonly\"}",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let outcomes = each_bootstrap(m, |_, bootstrap| {
        let mut routes = Vec::new();
        if let Some(listeners) = bootstrap.root.path("static_resources.listeners") {
            listeners.walk(&mut |n: &Node| {
                if n.path("match.prefix").and_then(Node::as_str) == Some("/metrics") {
                    routes.push(n);
                }
            });
        }
        if routes.is_empty() {
            return na("no /metrics route in the bootstrap (stats disabled)");
        }
        let rewrites: Vec<Option<&str>> =
            routes.iter().map(|r| r.path("route.prefix_rewrite").and_then(Node::as_str)).collect();
        match rewrites.iter().find(|r| !r.is_some_and(|p| p.contains("usedonly"))) {
            None => pass(format!(
                "/metrics rewrites to {}",
                rewrites.first().copied().flatten().unwrap_or_default()
            )),
            Some(Some(p)) => {
                fail(format!("/metrics rewrites to {p} (no usedonly): every Envoy stat is scraped"))
            }
            Some(None) => fail("the /metrics route has no prefix_rewrite containing usedonly"),
        }
    });
    // Stats set for every proxy in global.glooStats: the fix goes there. `{GP}.stats` would
    // replace that block as a whole for the proxy, dropping its monitors and scrape settings.
    let global = OutcomeFix::WhereSet {
        when_set: vec!["global.glooStats".into()],
        unless_set: vec!["{GP}.stats".into()],
        path: "global.glooStats.routePrefixRewrite".into(),
        value: "/stats/prometheus?usedonly".into(),
    };
    refix_judged(outcomes, |_| Some(global.clone()))
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{bootstrap, proxy, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    fn with_rewrite(rewrite: &str) -> String {
        let b = format!(
            "static_resources:\n  listeners:\n  - name: prometheus_listener\n    filter_chains:\n    - filters:\n      - name: envoy.filters.network.http_connection_manager\n        typed_config:\n          route_config:\n            virtual_hosts:\n            - name: prometheus_host\n              routes:\n              - match: {{path: /ready}}\n                route: {{cluster: admin_port_cluster}}\n              - match:\n                  prefix: \"/metrics\"\n                route:\n{rewrite}                  cluster: admin_port_cluster\n"
        );
        proxy("", "") + &bootstrap(&b)
    }

    #[test]
    fn the_default_rewrite_fails() {
        assert_eq!(
            statuses(
                &RULE,
                &with_rewrite("                  prefix_rewrite: /stats/prometheus\n"),
                "1.17.38"
            ),
            [Fail]
        );
        assert_eq!(statuses(&RULE, &with_rewrite(""), "1.17.38"), [Fail], "no rewrite");
    }

    #[test]
    fn with_stats_set_globally_the_fix_goes_there_unless_the_proxy_sets_its_own() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let expected = OutcomeFix::WhereSet {
            when_set: vec!["global.glooStats".into()],
            unless_set: vec!["{GP}.stats".into()],
            path: "global.glooStats.routePrefixRewrite".into(),
            value: "/stats/prometheus?usedonly".into(),
        };
        assert_eq!(
            fixes(
                &RULE,
                &with_rewrite("                  prefix_rewrite: /stats/prometheus\n"),
                "1.17.38"
            ),
            [(Fail, expected)]
        );
    }

    #[test]
    fn usedonly_passes() {
        assert_eq!(
            statuses(
                &RULE,
                &with_rewrite("                  prefix_rewrite: /stats/prometheus?usedonly\n"),
                "1.17.38"
            ),
            [Pass]
        );
        assert_eq!(statuses(&RULE, &with_rewrite("                  prefix_rewrite: \"/stats/prometheus?usedonly&filter=envoy\"\n"), "1.17.38"), [Pass]);
    }

    #[test]
    fn not_applicable_without_a_metrics_route_or_bootstrap() {
        let no_stats =
            proxy("", "") + &bootstrap("static_resources:\n  listeners: []\n  clusters: []\n");
        assert_eq!(statuses(&RULE, &no_stats, "1.17.38"), [Na]);
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na], "ConfigMap missing");
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
