//! GLOO-002: the Envoy container does not get NET_BIND_SERVICE unless it binds a low port.

use super::common::security_context::is_net_bind;
use super::helpers::{each_envoy_container, fail, na, pass, refix_failures};
use super::{Fix, OutcomeFix, Rule, Severity};
use crate::parse::model::{Model, Proxy};
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-002",
    title: "Proxy does not add NET_BIND_SERVICE",
    severity: Severity::Low,
    source: "Gloo production guide (Seed-001) \"Dropping NET_BIND\": \"you can drop the NET_BIND \
        privileges in the gateway-proxy pod\" unless running on HostNetwork",
    why: "NET_BIND_SERVICE only allows binding ports below 1024, but on an internet-facing \
        container it is privilege nothing needs.",
    predicate: "Per proxy, the Envoy container's `securityContext.capabilities.add` contains \
        neither `NET_BIND_SERVICE` nor `CAP_NET_BIND_SERVICE` (compared case-insensitively, as \
        container runtimes do). Absent `add` = PASS. NA when the proxy binds a port below 1024 \
        (an Envoy `containerPort`, or the `bindPort` of a Gateway whose `proxyNames` include the \
        proxy): the capability is then required.",
    fix_doc: "All versions: `gatewayProxies.<name>.podTemplate.disableNetBind: true` (the chart \
        default). 1.17+: a custom `podTemplate.glooContainerSecurityContext` replaces the \
        chart's context and must not add the capability itself. `hostNetwork` alone does not \
        need it; only ports < 1024 do (e.g. a DaemonSet with `kind.daemonSet.hostPort: true` and \
        `httpPort: 80`).",
    fixes: &[Fix::all("{GP}.podTemplate.disableNetBind", "true")],
    check,
};

fn added(envoy: &Node) -> &[Node] {
    envoy.path("securityContext.capabilities.add").map(Node::items).unwrap_or_default()
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_envoy_container(m, |p, c| {
        if let Some(why) = low_port(m, p, c) {
            return na(format!("{why} (< 1024): NET_BIND_SERVICE is required"));
        }
        match added(c).iter().filter_map(Node::as_str).find(|cap| is_net_bind(cap)) {
            Some(cap) => fail(format!("securityContext.capabilities.add contains {cap}")),
            None => pass("NET_BIND_SERVICE is not added"),
        }
    });
    // 1.17+ renders a custom glooContainerSecurityContext instead of the chart's: where the
    // user's values set its capabilities, the fix is their list without the capability.
    if !m.chart_at_least(1, 17) {
        return outcomes;
    }
    refix_failures(outcomes, |o| {
        let envoy = m.proxy_with_workload(o.doc)?.envoy?;
        let kept = added(envoy)
            .iter()
            .filter(|cap| !cap.as_str().is_some_and(is_net_bind))
            .map(Node::to_json)
            .collect();
        let path = "{GP}.podTemplate.glooContainerSecurityContext.capabilities.add".to_string();
        Some(OutcomeFix::WhereSet {
            when_set: vec![path.clone()],
            unless_set: vec![],
            path,
            value: serde_json::Value::Array(kept),
        })
    })
}

fn is_low(port: Option<i64>) -> Option<i64> {
    port.filter(|p| (1..1024).contains(p))
}

/// Why the proxy needs to bind a privileged port, if it does.
fn low_port(m: &Model<'_>, p: &Proxy<'_>, envoy: &Node) -> Option<String> {
    let ports = envoy.get("ports").map(Node::items).unwrap_or_default();
    if let Some(port) =
        ports.iter().find_map(|port| is_low(port.get("containerPort").and_then(Node::as_i64)))
    {
        return Some(format!("the Envoy container declares containerPort {port}"));
    }
    m.gateways_of(p.name).into_iter().find_map(|gw| {
        is_low(gw.root.path("spec.bindPort").and_then(Node::as_i64))
            .map(|port| format!("Gateway {} binds port {port}", gw.name))
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, outcomes_with_messages, proxy, statuses};
    use crate::rules::Status::*;

    const PORTS: &str = "ports:\n- containerPort: 8080\n- containerPort: 8443\n";

    #[test]
    fn passes_without_the_capability() {
        assert_eq!(statuses(&RULE, &proxy("", PORTS), "1.17.38"), [Pass]);
        let dropped = format!("{PORTS}securityContext:\n  capabilities:\n    drop: [ALL]\n");
        assert_eq!(statuses(&RULE, &(proxy("", &dropped) + &gateways("", "")), "1.17.38"), [Pass]);
    }

    #[test]
    fn on_1_17_a_custom_context_is_fixed_by_its_own_list() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let added = format!(
            "{PORTS}securityContext:\n  capabilities:\n    add: [NET_BIND_SERVICE, SYS_TIME]\n"
        );
        let path = "{GP}.podTemplate.glooContainerSecurityContext.capabilities.add".to_string();
        let expected = OutcomeFix::WhereSet {
            when_set: vec![path.clone()],
            unless_set: vec![],
            path,
            value: serde_json::json!(["SYS_TIME"]),
        };
        assert_eq!(fixes(&RULE, &proxy("", &added), "1.17.38"), [(Fail, expected)]);
        assert_eq!(
            fixes(&RULE, &proxy("", &added), "1.13.39"),
            [(Fail, OutcomeFix::Declared)],
            "1.13 has no custom context"
        );
    }

    #[test]
    fn fails_when_added_under_any_spelling() {
        for cap in ["NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE", "net_bind_service"] {
            let c = format!(
                "{PORTS}securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [{cap}]\n"
            );
            assert_eq!(statuses(&RULE, &proxy("", &c), "1.13.39"), [Fail], "{cap}");
        }
        let other = format!("{PORTS}securityContext:\n  capabilities:\n    add: [NET_ADMIN]\n");
        assert_eq!(
            statuses(&RULE, &proxy("", &other), "1.13.39"),
            [Pass],
            "other capabilities are K8S-004's business"
        );
    }

    #[test]
    fn not_applicable_when_a_low_port_is_bound() {
        let add = "securityContext:\n  capabilities:\n    add: [NET_BIND_SERVICE]\n";
        let low_container = format!("ports:\n- containerPort: 80\n  hostPort: 80\n{add}");
        assert_eq!(statuses(&RULE, &proxy("", &low_container), "1.17.38"), [Na]);
        let low_gateway = gateways("", "").replace("bindPort: 8443", "bindPort: 443");
        let out = outcomes_with_messages(
            &RULE,
            &(proxy("", &format!("{PORTS}{add}")) + &low_gateway),
            "1.17.38",
        );
        assert_eq!(out[0].0, Na);
        assert!(out[0].2.contains("gateway-proxy-ssl binds port 443"), "{}", out[0].2);
        // A low port on a Gateway of another proxy does not count.
        let other = low_gateway.replace("      - gateway-proxy\n", "      - other-proxy\n");
        assert_eq!(
            statuses(&RULE, &(proxy("", &format!("{PORTS}{add}")) + &other), "1.17.38"),
            [Fail]
        );
    }

    #[test]
    fn not_applicable_without_proxies() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Na]);
    }
}
