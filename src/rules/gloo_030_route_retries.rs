//! GLOO-030: routes retry failed requests.

use super::helpers::{fail, na_without, pass};
use super::{Outcome, Rule, Severity, Status, Target};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-030",
    title: "Route retries",
    severity: Severity::Info,
    source: "Gloo production guide (Latest): \"consider using `retries` on your routes ... \
        increase to `3`\"",
    why: "Without retries a single failed connection or reset to one upstream endpoint becomes a \
        client-visible error.",
    predicate: "Every rendered `gateway.solo.io` VirtualService: each route of \
        `spec.virtualHost.routes` has a non-null `options.retries`, unless \
        `spec.virtualHost.options.retries` covers them all; every RouteTable: each route of \
        `spec.routes` has `options.retries`. A resource without routes passes. NA when no \
        VirtualService or RouteTable is rendered (the Gloo chart renders none).",
    fix_doc: "Not a Gloo chart value: set `options.retries` (e.g. `{retryOn: \
        'connect-failure,refused-stream,reset', numRetries: 3, perTryTimeout: 5s}`) on the \
        routes, or `spec.virtualHost.options.retries` on the VirtualService, in the chart or \
        manifests that create them. Retry only idempotent requests.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let outcomes = m
        .docs
        .iter()
        .filter(|d| {
            d.group() == "gateway.solo.io"
                && matches!(d.kind.as_str(), "VirtualService" | "RouteTable")
        })
        .map(|d| {
            let spec = d.root.get("spec").unwrap_or(Node::null());
            let (status, message) = if d.kind == "VirtualService" {
                if has_retries(spec.path("virtualHost.options")) {
                    pass("spec.virtualHost.options.retries covers every route")
                } else {
                    judge_routes(spec.path("virtualHost.routes"))
                }
            } else {
                judge_routes(spec.get("routes"))
            };
            Outcome::new(status, d, Target::Chart, message)
        })
        .collect();
    na_without(m, outcomes, "VirtualService or RouteTable")
}

fn has_retries(options: Option<&Node>) -> bool {
    options.and_then(|o| o.get("retries")).is_some_and(|r| !r.is_null())
}

fn judge_routes(routes: Option<&Node>) -> (Status, String) {
    let routes = routes.map(Node::items).unwrap_or_default();
    if routes.is_empty() {
        return pass("no routes");
    }
    let without: Vec<String> = routes
        .iter()
        .enumerate()
        .filter(|(_, r)| !has_retries(r.get("options")))
        .map(|(i, r)| r.get("name").and_then(Node::scalar_text).unwrap_or_else(|| format!("#{i}")))
        .collect();
    if without.is_empty() {
        pass(format!("all {} route(s) set options.retries", routes.len()))
    } else {
        fail(format!(
            "{} of {} route(s) without options.retries: {}",
            without.len(),
            routes.len(),
            without.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{indent, outcomes_with_messages, proxy, statuses};
    use crate::rules::Status::*;

    const RETRIES: &str = "options:\n  retries: {retryOn: connect-failure, numRetries: 3}";

    fn vs(vhost_options: &str, routes: &[&str]) -> String {
        let routes: String = routes.iter().map(|r| format!("- matchers: [{{prefix: /}}]\n  routeAction: {{single: {{upstream: {{name: a}}}}}}\n{}", indent(r, 2))).collect();
        format!("---\napiVersion: gateway.solo.io/v1\nkind: VirtualService\nmetadata:\n  name: app\n  namespace: gloo-system\nspec:\n  virtualHost:\n    domains: ['*']\n{}    routes:\n{}", indent(vhost_options, 4), indent(&routes, 4))
    }

    fn route_table(routes: &[&str]) -> String {
        let routes: String = routes.iter().map(|r| format!("- matchers: [{{prefix: /a}}]\n  routeAction: {{single: {{upstream: {{name: a}}}}}}\n{}", indent(r, 2))).collect();
        format!("---\napiVersion: gateway.solo.io/v1\nkind: RouteTable\nmetadata:\n  name: table\n  namespace: gloo-system\nspec:\n  routes:\n{}", indent(&routes, 2))
    }

    #[test]
    fn every_route_needs_retries() {
        assert_eq!(statuses(&RULE, &vs("", &[RETRIES, RETRIES]), "1.17.38"), [Pass]);
        assert_eq!(statuses(&RULE, &vs("", &[RETRIES, ""]), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &vs("", &["options: {timeout: 10s}"]), "1.17.38"), [Fail]);
        let got = outcomes_with_messages(&RULE, &vs("", &[RETRIES, "name: second"]), "1.17.38");
        assert!(got[0].2.contains("second"), "{}", got[0].2);
    }

    #[test]
    fn virtual_host_retries_cover_all_routes() {
        assert_eq!(statuses(&RULE, &vs(RETRIES, &["", ""]), "1.17.38"), [Pass]);
    }

    #[test]
    fn route_tables_are_judged_too() {
        assert_eq!(statuses(&RULE, &route_table(&[RETRIES]), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(&RULE, &(vs("", &[RETRIES]) + &route_table(&[""])), "1.17.38"),
            [Pass, Fail]
        );
    }

    #[test]
    fn not_applicable_without_route_resources() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
    }
}
