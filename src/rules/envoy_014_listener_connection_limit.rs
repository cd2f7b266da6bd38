//! ENVOY-014: every Gateway's listener caps its active connections.

use super::common::runtime::{runtime_int, static_runtime};
use super::helpers::{
    each_gateway, fail, http_option_sets, pass, refix_failures, same_under_https_gateway,
};
use super::{Fix, OutcomeFix, Rule, Severity};
use crate::parse::model::{gateway_proxy_names, Model};
use crate::parse::version::Version;
use crate::parse::yaml::Node;
use crate::parse::Doc;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-014",
    title: "Listener connection limit",
    severity: Severity::Low,
    source: "Envoy edge best practices: \"Listener connection limits\"",
    why: "Without a per-listener cap one listener can take every connection the proxy can hold; \
        the global limit (ENVOY-015) already bounds file descriptors, hence low.",
    predicate: "Every Gateway: either each of its listener option sets (`httpGateway.options`, \
        each matched gateway's `httpGateway.options` / `tcpGateway.options` of a hybrid Gateway, \
        `spec.tcpGateway.options`) has `connectionLimit.maxActiveConnections` >= 1, or every \
        proxy in its `proxyNames` has, in a bootstrap `layered_runtime` static layer flattened \
        to dotted keys, `envoy.resource_limits.listener.<listener>.connection_limit` >= 1 where \
        `<listener>` = `listener-<spec.bindAddress>-<spec.bindPort>` (e.g. `listener-::-8080`). \
        Otherwise FAIL. No Gateway rendered = NA.",
    fix_doc: concat!(
        "1.17+: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.connectionLimit.maxActiveConnections: \
            N` and ",
        same_under_https_gateway!(),
        "; size N for your traffic (the suggested fix uses 100000). 1.13 (no `connectionLimit` in \
            its CRD): runtime keys through `gatewayProxies.<name>.customStaticLayer: {envoy: \
            {resource_limits: {listener: {\"listener-::-8080\": {connection_limit: N}, \
            \"listener-::-8443\": {connection_limit: N}}}}}` (render-verified only; listener \
            names follow Gloo's translator and the Gateways' bindAddress/bindPort). In 1.17+ do \
            not put an `envoy:` map in `customStaticLayer`: the template already emits an \
            `envoy:` key in the same static layer and one would replace the other. Enterprise \
            failover Gateway: `gatewayProxies.<name>.failover.kubeResourceOverride.spec.tcpGateway.options.connectionLimit.maxActiveConnections`.",
    ),
    fixes: &[
        Fix::new(super::Versions::from(Version::new(1, 17, 0)), "{GW}.options.connectionLimit.maxActiveConnections", "100000"),
        Fix::new(
            super::Versions::until(Version::new(1, 17, 0)),
            "{GP}.customStaticLayer",
            "{envoy: {resource_limits: {listener: {\"listener-::-8080\": {connection_limit: 100000}, \"listener-::-8443\": {connection_limit: 100000}}}}}",
        ),
    ],
    check,
};

/// Listener option sets of a Gateway: HTTP option sets plus TCP gateway options.
fn listener_option_sets(gateway: &Doc) -> Vec<&Node> {
    let spec = gateway.root.get("spec").unwrap_or(Node::null());
    let mut sets = http_option_sets(gateway);
    fn tcp(g: &Node) -> Option<&Node> {
        g.get("tcpGateway").map(|t| t.get("options").unwrap_or(Node::null()))
    }
    sets.extend(tcp(spec));
    for matched in spec.path("hybridGateway.matchedGateways").map(Node::items).unwrap_or_default() {
        sets.extend(tcp(matched));
    }
    sets
}

fn max_active(options: &Node) -> Option<i64> {
    options.path("connectionLimit.maxActiveConnections").and_then(Node::as_i64)
}

/// Envoy's name for the listener of a Gateway, as Gloo's translator makes it.
fn listener_name(spec: &Node) -> String {
    let address =
        spec.get("bindAddress").and_then(Node::scalar_text).unwrap_or_else(|| "::".to_string());
    let port = spec.get("bindPort").and_then(Node::scalar_text).unwrap_or_default();
    format!("listener-{address}-{port}")
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_gateway(m, |gw, spec| {
        let sets = listener_option_sets(gw);
        let limits: Vec<Option<i64>> = sets.iter().map(|o| max_active(o)).collect();
        if !limits.is_empty() && limits.iter().all(|l| l.is_some_and(|n| n >= 1)) {
            let least = limits.iter().flatten().min().copied().unwrap_or_default();
            return pass(format!("connectionLimit.maxActiveConnections is {least}"));
        }
        let key =
            format!("envoy.resource_limits.listener.{}.connection_limit", listener_name(spec));
        let proxies = gateway_proxy_names(gw);
        let runtime_limit = |name: &String| {
            let proxy = m.proxies.iter().find(|p| p.name == name.as_str())?;
            let runtime = static_runtime(&proxy.bootstrap?.root);
            runtime.get(&key).and_then(|v| runtime_int(v)).filter(|n| *n >= 1)
        };
        let runtime: Vec<Option<i64>> = proxies.iter().map(runtime_limit).collect();
        if runtime.iter().all(Option::is_some) {
            let least = runtime.iter().flatten().min().copied().unwrap_or_default();
            return pass(format!("runtime {key} is {least}"));
        }
        let option_state = match limits.iter().find(|l| !l.is_some_and(|n| n >= 1)) {
            Some(Some(n)) => format!("connectionLimit.maxActiveConnections is {n}"),
            _ => "connectionLimit.maxActiveConnections is absent".to_string(),
        };
        fail(format!("{option_state} and no proxy runtime sets {key}"))
    });
    // Before 1.17 the fix is a runtime key named after the listener: this Gateway's, not the
    // default ports' the declared fix shows.
    if m.chart_at_least(1, 17) {
        return outcomes;
    }
    refix_failures(outcomes, |o| {
        let spec = o.doc.root.get("spec")?;
        Some(OutcomeFix::Custom {
            path: "{GP}.customStaticLayer".into(),
            value: serde_json::json!({ "envoy": { "resource_limits": { "listener": { listener_name(spec): { "connection_limit": 100_000 } } } } }),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{bootstrap, gateways, proxy, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    fn limit(n: i64) -> String {
        format!("options:\n  connectionLimit:\n    maxActiveConnections: {n}")
    }

    fn runtime(listeners: &str) -> String {
        let layer = crate::rules::testing::indent(listeners, 6);
        proxy("", "")
            + &bootstrap(&format!(
                "layered_runtime:\n  layers:\n  - name: static_layer\n    static_layer:\n{layer}"
            ))
    }

    #[test]
    fn fails_without_any_limit() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        assert_eq!(
            statuses(
                &RULE,
                &(gateways("", "") + &runtime("overload:\n  global_downstream_max_connections: 1")),
                "1.13.39"
            ),
            [Fail, Fail]
        );
        assert_eq!(statuses(&RULE, &gateways(&limit(0), ""), "1.17.38"), [Fail, Fail]);
    }

    #[test]
    fn passes_with_connection_limit_options() {
        assert_eq!(statuses(&RULE, &gateways(&limit(1000), ""), "1.17.38"), [Pass, Pass]);
        let tcp = "---\napiVersion: gateway.solo.io/v1\nkind: Gateway\nmetadata:\n  name: failover\nspec:\n  bindPort: 15443\n  tcpGateway:\n    options:\n      connectionLimit:\n        maxActiveConnections: 10\n";
        assert_eq!(statuses(&RULE, tcp, "1.17.38"), [Pass]);
        assert_eq!(
            statuses(
                &RULE,
                &tcp.replace("maxActiveConnections: 10", "delayBeforeClose: 1s"),
                "1.17.38"
            ),
            [Fail]
        );
    }

    #[test]
    fn passes_with_runtime_limits_per_listener() {
        let nested = "envoy:\n  resource_limits:\n    listener:\n      \"listener-::-8080\":\n        connection_limit: 1000\n      \"listener-::-8443\":\n        connection_limit: 1000";
        assert_eq!(
            statuses(&RULE, &(gateways("", "") + &runtime(nested)), "1.13.39"),
            [Pass, Pass]
        );
        let only_http = "envoy.resource_limits.listener.listener-::-8080.connection_limit: 1000";
        assert_eq!(
            statuses(&RULE, &(gateways("", "") + &runtime(only_http)), "1.13.39"),
            [Pass, Fail]
        );
    }

    #[test]
    fn the_runtime_fix_names_the_gateways_own_listener() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let render = gateways("", "").replace("bindPort: 8080", "bindPort: 8081");
        let listener = |name: &str| OutcomeFix::Custom {
            path: "{GP}.customStaticLayer".into(),
            value: serde_json::json!({"envoy": {"resource_limits": {"listener": {name: {"connection_limit": 100_000}}}}}),
        };
        assert_eq!(
            fixes(&RULE, &render, "1.13.39"),
            [(Fail, listener("listener-::-8081")), (Fail, listener("listener-::-8443"))]
        );
        assert_eq!(
            fixes(&RULE, &render, "1.17.38"),
            [(Fail, OutcomeFix::Declared), (Fail, OutcomeFix::Declared)],
            "1.17+: connectionLimit options"
        );
    }

    #[test]
    fn runtime_limit_must_hold_on_every_proxy_of_the_gateway() {
        let nested = "envoy.resource_limits.listener.listener-::-8080.connection_limit: 1000\nenvoy.resource_limits.listener.listener-::-8443.connection_limit: 1000";
        let other = runtime("overload.global_downstream_max_connections: 1")
            .replace("gateway-proxy", "other-proxy");
        let both = gateways("", "")
            .replace("      - gateway-proxy\n", "      - gateway-proxy\n      - other-proxy\n")
            + &runtime(nested)
            + &other;
        assert_eq!(
            statuses(&RULE, &both, "1.13.39"),
            [Fail, Fail],
            "other-proxy has no listener limit"
        );
        let fixed = both.replace(&other, &runtime(nested).replace("gateway-proxy", "other-proxy"));
        assert_eq!(statuses(&RULE, &fixed, "1.13.39"), [Pass, Pass]);
    }

    #[test]
    fn hybrid_gateway_needs_every_matched_gateway_limited() {
        let hybrid = "---\napiVersion: gateway.solo.io/v1\nkind: Gateway\nmetadata:\n  name: hybrid\nspec:\n  bindPort: 8080\n  hybridGateway:\n    matchedGateways:\n    - httpGateway:\n        options:\n          connectionLimit:\n            maxActiveConnections: 10\n    - tcpGateway: {}\n";
        assert_eq!(statuses(&RULE, hybrid, "1.17.38"), [Fail]);
        let ok = hybrid.replace("    - tcpGateway: {}\n", "    - tcpGateway:\n        options:\n          connectionLimit:\n            maxActiveConnections: 5\n");
        assert_eq!(statuses(&RULE, &ok, "1.17.38"), [Pass]);
    }

    #[test]
    fn not_applicable_without_gateways() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
