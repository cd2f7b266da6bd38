//! ENVOY-002: Envoy sheds load under memory pressure instead of being OOM-killed.

use super::helpers::{each_bootstrap, fail, pass, refix_judged};
use super::{Fix, OutcomeFix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-002",
    title: "Overload manager",
    severity: Severity::Medium,
    source: "Envoy edge best practices: \"overload_manager\" (example: `fixed_heap` monitor, \
        `shrink_heap` at 0.95, `stop_accepting_requests` at 0.98)",
    why: "Without an overload manager Envoy keeps accepting work until it is OOM-killed, dropping \
        every connection at once instead of shedding load.",
    predicate: "Per proxy Envoy bootstrap (`<proxy>-envoy-config`, key `envoy.yaml`): \
        `overload_manager.resource_monitors` has at least one entry and \
        `overload_manager.actions` has at least one entry. Absent = FAIL. NA when the bootstrap \
        ConfigMap is not in the render; no proxy rendered = NA.",
    fix_doc: "All versions: `gatewayProxies.<name>.envoyOverloadManager: {enabled: true, \
        refreshInterval: 0.25s, resourceMonitors: [{name: envoy.resource_monitors.fixed_heap, \
        typed_config: {\"@type\": \
        type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig, \
        max_heap_size_bytes: N}}], actions: [{name: envoy.overload_actions.shrink_heap, \
        triggers: [{name: envoy.resource_monitors.fixed_heap, threshold: {value: 0.95}}]}, \
        {name: envoy.overload_actions.stop_accepting_requests, triggers: [{name: \
        envoy.resource_monitors.fixed_heap, threshold: {value: 0.98}}]}]}`. The lists are copied \
        verbatim into the bootstrap (Envoy's snake_case). Enabling it without monitors renders \
        an invalid bootstrap. Keep `max_heap_size_bytes` below the container memory limit (the \
        suggested fix uses 1 GiB: adjust it).",
    fixes: &[Fix::all(
        "{GP}.envoyOverloadManager",
        "{enabled: true, refreshInterval: 0.25s, resourceMonitors: [{name: envoy.resource_monitors.fixed_heap, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig, max_heap_size_bytes: 1073741824}}], actions: [{name: envoy.overload_actions.shrink_heap, triggers: [{name: envoy.resource_monitors.fixed_heap, threshold: {value: 0.95}}]}, {name: envoy.overload_actions.stop_accepting_requests, triggers: [{name: envoy.resource_monitors.fixed_heap, threshold: {value: 0.98}}]}]}",
    )],
    check,
};

/// The fix for a proxy whose overload manager is on but incomplete: its own monitors, actions
/// and refresh interval kept (the lists are replaced whole by helm), what is missing taken from
/// the declared fix, and the fixed-heap monitor the declared actions trigger on added if absent.
fn completing(overload_manager: &Node) -> OutcomeFix {
    let declared = RULE.fixes[0].json();
    let own = |key: &str| {
        overload_manager
            .get(key)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .map(Node::to_json)
            .collect::<Vec<_>>()
    };
    let name = |v: &serde_json::Value| v.get("name").and_then(|n| n.as_str()).map(str::to_string);
    let (mut monitors, mut actions) = (own("resource_monitors"), own("actions"));
    if actions.is_empty() {
        actions = declared["actions"].as_array().cloned().unwrap_or_default();
        for monitor in declared["resourceMonitors"].as_array().cloned().unwrap_or_default() {
            if !monitors.iter().any(|m| name(m) == name(&monitor)) {
                monitors.push(monitor);
            }
        }
    }
    if monitors.is_empty() {
        monitors = declared["resourceMonitors"].as_array().cloned().unwrap_or_default();
    }
    let refresh = overload_manager
        .get("refresh_interval")
        .filter(|n| !n.is_null())
        .map_or_else(|| declared["refreshInterval"].clone(), Node::to_json);
    OutcomeFix::Custom {
        path: "{GP}.envoyOverloadManager".into(),
        value: serde_json::json!({"enabled": true, "refreshInterval": refresh, "resourceMonitors": monitors, "actions": actions}),
    }
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_bootstrap(m, |_, b| {
        let Some(om) = b.root.get("overload_manager").filter(|n| !n.is_null()) else {
            return fail("overload_manager is absent");
        };
        let monitors = om.get("resource_monitors").map(Node::items).unwrap_or_default().len();
        let actions = om.get("actions").map(Node::items).unwrap_or_default().len();
        match (monitors, actions) {
            (0, _) => fail("overload_manager has no resource_monitors"),
            (_, 0) => fail("overload_manager has no actions"),
            (m, a) => {
                pass(format!("overload_manager has {m} resource monitor(s) and {a} action(s)"))
            }
        }
    });
    refix_judged(outcomes, |o| {
        o.doc.root.get("overload_manager").filter(|n| !n.is_null()).map(completing)
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{bootstrap, proxy, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    const ADMIN: &str =
        "admin:\n  address:\n    socket_address: {address: 127.0.0.1, port_value: 19000}\n";

    #[test]
    fn fails_without_monitors_or_actions() {
        assert_eq!(statuses(&RULE, &(proxy("", "") + &bootstrap(ADMIN)), "1.17.38"), [Fail]);
        let empty = format!("{ADMIN}overload_manager:\n  actions: []\n  refresh_interval: 0.25s\n  resource_monitors: null\n");
        assert_eq!(statuses(&RULE, &(proxy("", "") + &bootstrap(&empty)), "1.17.38"), [Fail]);
        let no_actions = format!("{ADMIN}overload_manager:\n  actions: []\n  resource_monitors:\n  - name: envoy.resource_monitors.fixed_heap\n");
        assert_eq!(statuses(&RULE, &(proxy("", "") + &bootstrap(&no_actions)), "1.17.38"), [Fail]);
    }

    #[test]
    fn an_incomplete_overload_manager_keeps_what_the_user_set() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let own = format!("{ADMIN}overload_manager:\n  actions: []\n  refresh_interval: 1s\n  resource_monitors:\n  - name: envoy.resource_monitors.global_downstream_max_connections\n    typed_config: {{max_active_downstream_connections: 50000}}\n");
        let found = fixes(&RULE, &(proxy("", "") + &bootstrap(&own)), "1.17.38");
        let [(Fail, OutcomeFix::Custom { path, value })] = found.as_slice() else {
            panic!("a custom fix: {found:?}")
        };
        assert_eq!(path, "{GP}.envoyOverloadManager");
        assert_eq!(value["refreshInterval"], "1s");
        let monitors: Vec<&str> = value["resourceMonitors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            monitors,
            [
                "envoy.resource_monitors.global_downstream_max_connections",
                "envoy.resource_monitors.fixed_heap"
            ],
            "the actions' trigger exists"
        );
        assert_eq!(value["actions"].as_array().unwrap().len(), 2);
        assert_eq!(
            fixes(&RULE, &(proxy("", "") + &bootstrap(ADMIN)), "1.17.38"),
            [(Fail, OutcomeFix::Declared)],
            "absent: the declared fix"
        );
    }

    #[test]
    fn passes_with_monitors_and_actions() {
        let om = format!("{ADMIN}overload_manager:\n  actions:\n  - name: envoy.overload_actions.shrink_heap\n  resource_monitors:\n  - name: envoy.resource_monitors.fixed_heap\n");
        assert_eq!(statuses(&RULE, &(proxy("", "") + &bootstrap(&om)), "1.17.38"), [Pass]);
    }

    #[test]
    fn one_outcome_per_proxy() {
        let om = format!("{ADMIN}overload_manager:\n  actions:\n  - name: a\n  resource_monitors:\n  - name: m\n");
        let second = (proxy("", "") + &bootstrap(ADMIN)).replace("gateway-proxy", "second-proxy");
        assert_eq!(
            statuses(&RULE, &(proxy("", "") + &bootstrap(&om) + &second), "1.17.38"),
            [Pass, Fail]
        );
    }

    #[test]
    fn not_applicable_without_bootstrap_or_proxy() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
