//! GLOO-027: the Envoy health-check filter answers the external load balancer.

use super::helpers::{each_http_gateway, fail, pass, show};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-027",
    title: "Health-check filter for the load balancer",
    severity: Severity::Medium,
    source: "Gloo production guide: Seed-000 \"configure your load balancer properly to consume \
        the readiness probe\"; Latest \"... to consume the Envoy health check filter\"",
    why:
        "Without a health-check path an external load balancer cannot tell a draining or starting \
        proxy from a healthy one, and keeps sending it traffic.",
    predicate: "Every HTTP Gateway (and each matched gateway of a hybrid Gateway): \
        `<httpGateway>.options.healthCheck.path` is a non-empty string. Absent = FAIL. TCP-only \
        Gateways are NA; no Gateway rendered = NA.",
    fix_doc: "All versions: \
        `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.healthCheck.path: \
        /envoy-hc` and the same under `customHttpsGateway` (each replaces the whole generated \
        httpGateway: keep all its options in one block), then point the load balancer's health \
        check at that exact path. Pair it with \
        `gatewayProxies.<name>.podTemplate.gracefulShutdown.enabled: true` (the pre-stop hook \
        fails the health check, then sleeps `sleepTimeSeconds`, default 25) so the load balancer \
        drains the pod before it stops. The path is answered on every virtual host of the \
        listener: choose one no application uses; requests reach it only once a VirtualService \
        exists on the listener.",
    fixes: &[Fix::all("{GW}.options.healthCheck.path", "/envoy-hc")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_http_gateway(m, |options| {
        let path = options.path("healthCheck.path");
        match path.and_then(Node::as_str) {
            Some(p) if !p.is_empty() => pass(format!("healthCheck.path is {p}")),
            Some(_) => fail("healthCheck.path is empty"),
            None if path.is_some_and(|n| !n.is_null()) => {
                fail(format!("healthCheck.path is not a string ({})", show(path)))
            }
            None => fail("healthCheck.path is absent: no health-check filter on the listener"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, na_without_http_gateways, statuses};
    use crate::rules::Status::*;

    #[test]
    fn judges_every_http_gateway() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        let on = "options:\n  healthCheck:\n    path: /envoy-hc";
        assert_eq!(statuses(&RULE, &gateways(on, ""), "1.17.38"), [Pass, Pass]);
        let empty = "options:\n  healthCheck:\n    path: \"\"";
        assert_eq!(statuses(&RULE, &gateways(empty, ""), "1.17.38"), [Fail, Fail]);
        let no_path = "options:\n  healthCheck: {}";
        assert_eq!(statuses(&RULE, &gateways(no_path, ""), "1.17.38"), [Fail, Fail]);
    }

    #[test]
    fn listener_options_do_not_count() {
        assert_eq!(
            statuses(&RULE, &gateways("", "healthCheck:\n  path: /envoy-hc"), "1.17.38"),
            [Fail, Fail]
        );
    }

    #[test]
    fn hybrid_gateways_need_it_on_every_matched_gateway() {
        let hybrid = |second: &str| {
            gateways("", "").replace(
                "      httpGateway: {}\n",
                &format!("      hybridGateway:\n        matchedGateways:\n        - matcher: {{}}\n          httpGateway:\n            options:\n              healthCheck: {{path: /envoy-hc}}\n        - matcher: {{sourcePrefixRanges: [{{addressPrefix: 10.0.0.0, prefixLen: 8}}]}}\n          httpGateway:\n            options: {second}\n"),
            )
        };
        assert_eq!(statuses(&RULE, &hybrid("{}"), "1.17.38"), [Fail, Fail]);
        assert_eq!(statuses(&RULE, &hybrid("{healthCheck: {path: /hc}}"), "1.17.38"), [Pass, Pass]);
    }

    #[test]
    fn tcp_gateways_and_no_gateways_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
