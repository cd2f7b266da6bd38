//! ENVOY-002: Envoy sheds load under memory pressure instead of being OOM-killed.

use super::helpers::{each_bootstrap, fail, pass};
use super::{Fix, Outcome, OutcomeFix, Rule, Severity, Status, Target};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-002",
    title: "Overload manager",
    severity: Severity::Medium,
    source: "Envoy edge best practices: \"overload_manager\" (example: `fixed_heap` monitor, \
        `shrink_heap` at 0.95, `stop_accepting_requests` at 0.98); heap cap sized as Envoy Gateway \
        sizes it, 80% of the container memory limit \
        (gateway.envoyproxy.io/docs/tasks/operations/overload-manager)",
    why: "Without an overload manager Envoy keeps accepting work until it is OOM-killed, dropping \
        every connection at once instead of shedding load.",
    predicate: "Per proxy Envoy bootstrap (`<proxy>-envoy-config`, key `envoy.yaml`): \
        `overload_manager.resource_monitors` has at least one entry and `overload_manager.actions` \
        has at least one entry. Absent = FAIL. NA when the bootstrap ConfigMap is not in the \
        render; no proxy rendered = NA.",
    fix_doc: "All versions: `gatewayProxies.<name>.envoyOverloadManager: {enabled: true, \
        refreshInterval: 0.25s, resourceMonitors: [{name: envoy.resource_monitors.fixed_heap, \
        typed_config: {\"@type\": \
        type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig, \
        max_heap_size_bytes: N}}], actions: [{name: envoy.overload_actions.shrink_heap, triggers: \
        [{name: envoy.resource_monitors.fixed_heap, threshold: {value: 0.95}}]}, {name: \
        envoy.overload_actions.stop_accepting_requests, triggers: [{name: \
        envoy.resource_monitors.fixed_heap, threshold: {value: 0.98}}]}]}`. The lists are copied \
        verbatim into the bootstrap (Envoy's snake_case). Enabling it without monitors renders an \
        invalid bootstrap. `max_heap_size_bytes` must sit below the Envoy container's memory \
        limit: the fix sets it to 80% of that limit, in bytes \
        (`podTemplate.resources.limits.memory`, as rendered; Envoy Gateway's default, which leaves \
        headroom for memory not allocated on the heap), e.g. 858993459 for `1Gi`. A proxy whose \
        Envoy container has no memory limit gets no values fix (a guessed cap above the real \
        memory would never shed load, one far below it would shed load for nothing): give the \
        container a limit first. The declared value below, 1 GiB, is the shape only.",
    fixes: &[Fix::all(
        "{GP}.envoyOverloadManager",
        "{enabled: true, refreshInterval: 0.25s, resourceMonitors: [{name: envoy.resource_monitors.fixed_heap, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig, max_heap_size_bytes: 1073741824}}], actions: [{name: envoy.overload_actions.shrink_heap, triggers: [{name: envoy.resource_monitors.fixed_heap, threshold: {value: 0.95}}]}, {name: envoy.overload_actions.stop_accepting_requests, triggers: [{name: envoy.resource_monitors.fixed_heap, threshold: {value: 0.98}}]}]}",
    )],
    check,
};

/// The share of the Envoy container's memory limit the heap cap is set to: Envoy Gateway's
/// default, "maximum heap size is set to 80% of the container memory limit, which leaves
/// headroom for memory that is not allocated on the heap"
/// (<https://gateway.envoyproxy.io/docs/tasks/operations/overload-manager/>).
const HEAP_SHARE_PERCENT: u64 = 80;

/// The heap cap for a memory limit: [`HEAP_SHARE_PERCENT`] of it, in whole bytes.
fn heap_cap(limit_bytes: u64) -> u64 {
    limit_bytes / 100 * HEAP_SHARE_PERCENT + limit_bytes % 100 * HEAP_SHARE_PERCENT / 100
}

/// A Kubernetes quantity (`1Gi`, `512Mi`, `1G`, `1e9`, `1073741824`, `1.5Gi`) in bytes.
fn bytes(quantity: &str) -> Option<u64> {
    let q = quantity.trim();
    let suffixes: [(&str, f64); 13] = [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
        ("m", 1e-3),
    ];
    let (number, factor) = suffixes
        .iter()
        .find_map(|(suffix, factor)| q.strip_suffix(suffix).map(|n| (n, *factor)))
        .unwrap_or((q, 1.0));
    // A bare exponent (`129e6`) is a number Rust reads as it is; `E` alone was taken above.
    let value: f64 = number.parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0)?;
    let total = (value * factor).floor();
    // Within u64 (a limit of exabytes is not one).
    (total < 1.8e19).then_some(total as u64)
}

/// The memory limit of a proxy's Envoy container: its text and bytes. Err: why there is none
/// to size the heap cap from.
fn memory_limit(m: &Model<'_>, target: &Target) -> Result<(String, u64), String> {
    let Target::Proxy(name) = target else { return Err("no proxy".into()) };
    let envoy = m.proxies.iter().find(|p| p.name == name).and_then(|p| p.envoy);
    let Some(text) = envoy
        .and_then(|c| c.path("resources.limits.memory"))
        .filter(|n| !n.is_null())
        .and_then(Node::scalar_text)
    else {
        return Err("the Envoy container has no memory limit to size the heap cap from; set one (podTemplate.resources.limits.memory) and the fix caps the heap at 80% of it".into());
    };
    match bytes(&text).filter(|b| *b > 0) {
        Some(b) => Ok((text, b)),
        None => Err(format!("the Envoy container's memory limit {text} is not a size the heap cap can be taken from")),
    }
}

/// The declared fix's value with the heap cap of `heap` bytes.
fn sized(heap: u64) -> serde_json::Value {
    let mut value = serde_json::Value::clone(&RULE.fixes[0].json());
    for monitor in value["resourceMonitors"].as_array_mut().into_iter().flatten() {
        if monitor["name"] == FIXED_HEAP {
            monitor["typed_config"]["max_heap_size_bytes"] = heap.into();
        }
    }
    value
}

const FIXED_HEAP: &str = "envoy.resource_monitors.fixed_heap";

/// The fix for a proxy whose overload manager is on but incomplete: its own monitors, actions
/// and refresh interval kept (the lists are replaced whole by helm), what is missing taken from
/// the declared fix (its heap cap `heap`), and the fixed-heap monitor the declared actions
/// trigger on added if absent. None when that monitor must be added and there is no heap cap;
/// the bool says whether the fix carries the heap cap.
fn completing(overload_manager: &Node, heap: Option<u64>) -> Option<(OutcomeFix, bool)> {
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
    let needs_heap = actions.is_empty()
        && !monitors.iter().any(|m| name(m).as_deref() == Some(FIXED_HEAP))
        || monitors.is_empty();
    let declared = match (needs_heap, heap) {
        (true, None) => return None,
        (_, heap) => sized(heap.unwrap_or(0)),
    };
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
    let fix = OutcomeFix::Custom {
        path: "{GP}.envoyOverloadManager".into(),
        value: serde_json::json!({"enabled": true, "refreshInterval": refresh, "resourceMonitors": monitors, "actions": actions}),
    };
    Some((fix, needs_heap))
}

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
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
    // Every judged proxy gets its own fix: the heap cap sized from its own memory limit, or no
    // numeric fix at all (a guessed heap size above the limit would never shed load before
    // the OOM kill, one far below it would shed load for nothing).
    outcomes
        .into_iter()
        .map(|o| {
            if !matches!(o.status, Status::Fail | Status::Pass) || o.fix != OutcomeFix::Declared {
                return o;
            }
            let limit = memory_limit(m, &o.target);
            let heap = limit.as_ref().ok().map(|(_, b)| heap_cap(*b));
            let fix = match o.doc.root.get("overload_manager").filter(|n| !n.is_null()) {
                Some(om) => completing(om, heap),
                None => heap.map(|heap| {
                    let value = sized(heap);
                    (OutcomeFix::Custom { path: "{GP}.envoyOverloadManager".into(), value }, true)
                }),
            };
            let mut o = o;
            if let (Status::Fail, Some((_, true)), Ok((text, _))) = (o.status, &fix, &limit) {
                o.message = format!(
                    "{}; the fix caps the heap at {}% of the Envoy container's memory limit {text}: max_heap_size_bytes {}",
                    o.message,
                    HEAP_SHARE_PERCENT,
                    heap.unwrap_or(0)
                );
            }
            let why = limit.err().unwrap_or_default();
            o.fixed_by(fix.map_or(OutcomeFix::NothingBecause(why), |(fix, _)| fix))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{bootstrap, proxy, statuses};
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

    /// A proxy whose Envoy container has this memory limit.
    fn limited(memory: &str) -> String {
        proxy("", &format!("resources:\n  limits:\n    memory: {memory}"))
    }

    #[test]
    fn the_heap_cap_is_80_percent_of_the_memory_limit_or_there_is_no_values_fix() {
        use crate::rules::testing::{fixes, outcomes_with_messages};
        use crate::rules::OutcomeFix;
        let heap = |memory: &str| {
            let found = fixes(&RULE, &(limited(memory) + &bootstrap(ADMIN)), "1.17.38");
            let [(Fail, OutcomeFix::Custom { path, value })] = found.as_slice() else {
                panic!("a sized fix: {found:?}")
            };
            assert_eq!(path, "{GP}.envoyOverloadManager");
            assert_eq!(value["actions"].as_array().unwrap().len(), 2);
            value["resourceMonitors"][0]["typed_config"]["max_heap_size_bytes"].as_u64().unwrap()
        };
        assert_eq!(heap("1Gi"), 858_993_459);
        assert_eq!(heap("512Mi"), 429_496_729);
        assert_eq!(heap("2G"), 1_600_000_000);
        assert_eq!(heap("1073741824"), 858_993_459);
        assert_eq!(heap("1.5Gi"), 1_288_490_188);
        assert_eq!(heap("129e6"), 103_200_000);
        let said = outcomes_with_messages(&RULE, &(limited("1Gi") + &bootstrap(ADMIN)), "1.17.38");
        assert!(
            said[0].2.ends_with("the fix caps the heap at 80% of the Envoy container's memory limit 1Gi: max_heap_size_bytes 858993459"),
            "{said:?}"
        );
        // No limit, or one that is no size: no numeric fix, and why.
        for render in [proxy("", ""), limited("lots")] {
            let render = render + &bootstrap(ADMIN);
            let found = fixes(&RULE, &render, "1.17.38");
            let [(Fail, OutcomeFix::NothingBecause(why))] = found.as_slice() else {
                panic!("no values fix: {found:?}")
            };
            assert!(why.starts_with("the Envoy container"), "{why}");
        }
    }

    #[test]
    fn an_incomplete_overload_manager_keeps_what_the_user_set() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let own = format!("{ADMIN}overload_manager:\n  actions: []\n  refresh_interval: 1s\n  resource_monitors:\n  - name: envoy.resource_monitors.global_downstream_max_connections\n    typed_config: {{max_active_downstream_connections: 50000}}\n");
        assert_eq!(
            fixes(&RULE, &(proxy("", "") + &bootstrap(&own)), "1.17.38"),
            [(Fail, OutcomeFix::NothingBecause("the Envoy container has no memory limit to size the heap cap from; set one (podTemplate.resources.limits.memory) and the fix caps the heap at 80% of it".into()))],
            "the fixed-heap monitor the actions need cannot be sized without a limit"
        );
        let found = fixes(&RULE, &(limited("512Mi") + &bootstrap(&own)), "1.17.38");
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
            value["resourceMonitors"][1]["typed_config"]["max_heap_size_bytes"],
            429_496_729
        );
        // Monitors and actions of its own: kept whole, limit or none.
        let whole = format!("{ADMIN}overload_manager:\n  actions:\n  - name: a\n  resource_monitors:\n  - name: m\n");
        let found = fixes(&RULE, &(proxy("", "") + &bootstrap(&whole)), "1.17.38");
        let [(Pass, OutcomeFix::Custom { value, .. })] = found.as_slice() else {
            panic!("its own: {found:?}")
        };
        assert_eq!(value["resourceMonitors"], serde_json::json!([{"name": "m"}]));
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
        assert_eq!(
            statuses(
                &RULE,
                "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n",
                "1.17.38"
            ),
            [Na]
        );
    }
}
