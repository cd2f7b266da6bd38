//! ENVOY-015: a global cap on downstream connections protects the host's file descriptors.

use super::common::runtime::{runtime_int, static_runtime};
use super::helpers::{each_bootstrap, fail, pass, show};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-015",
    title: "Global downstream connection limit",
    severity: Severity::Medium,
    source: "Envoy edge best practices: \"Global downstream connection limits\"",
    why: "Without a global cap a connection flood exhausts the proxy's file descriptors and \
        memory, taking down every listener at once.",
    predicate: "Per proxy Envoy bootstrap: a `layered_runtime` static layer (flattened to dotted \
        keys; later layers win) has `overload.global_downstream_max_connections` > 0, or \
        `overload_manager.resource_monitors` has \
        `envoy.resource_monitors.global_downstream_max_connections`. Neither = FAIL; `0` = FAIL. \
        NA when the bootstrap ConfigMap is not in the render; no proxy rendered = NA.",
    fix_doc: "All versions: keep `gatewayProxies.<name>.globalDownstreamMaxConnections` at a \
        positive value (chart default 250000; `0` renders 0 = FAIL). Newer Envoy versions prefer \
        the `envoy.resource_monitors.global_downstream_max_connections` resource monitor (via \
        `envoyOverloadManager.resourceMonitors`) over the runtime key.",
    fixes: &[Fix::all("{GP}.globalDownstreamMaxConnections", "250000")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_bootstrap(m, |_, b| {
        let monitor = b
            .root
            .path("overload_manager.resource_monitors")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|r| {
                r.get("name").and_then(Node::as_str)
                    == Some("envoy.resource_monitors.global_downstream_max_connections")
            });
        if monitor {
            return pass(
                "overload_manager has the global_downstream_max_connections resource monitor",
            );
        }
        let runtime = static_runtime(&b.root);
        match runtime.get("overload.global_downstream_max_connections").copied() {
            Some(v) => match runtime_int(v) {
                Some(n) if n > 0 => pass(format!("runtime overload.global_downstream_max_connections is {n}")),
                _ => fail(format!("runtime overload.global_downstream_max_connections is {} (no limit)", show(Some(v)))),
            },
            None => fail("no global downstream connection limit (runtime overload.global_downstream_max_connections or resource monitor)"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{bootstrap, proxy, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    fn runtime(static_layer: &str) -> String {
        let layer = crate::rules::testing::indent(static_layer, 6);
        proxy("", "") + &bootstrap(&format!("layered_runtime:\n  layers:\n  - name: static_layer\n    static_layer:\n{layer}  - name: admin_layer\n    admin_layer: {{}}\n"))
    }

    #[test]
    fn passes_with_a_positive_runtime_limit() {
        assert_eq!(
            statuses(
                &RULE,
                &runtime("overload:\n  global_downstream_max_connections: 250000"),
                "1.17.38"
            ),
            [Pass]
        );
        assert_eq!(
            statuses(
                &RULE,
                &runtime("overload.global_downstream_max_connections: 1000"),
                "1.17.38"
            ),
            [Pass],
            "dotted key"
        );
        assert_eq!(
            statuses(
                &RULE,
                &runtime("overload:\n  global_downstream_max_connections: \"1000\""),
                "1.17.38"
            ),
            [Pass],
            "numeric string"
        );
    }

    #[test]
    fn fails_when_zero_or_absent() {
        assert_eq!(
            statuses(
                &RULE,
                &runtime("overload:\n  global_downstream_max_connections: 0"),
                "1.17.38"
            ),
            [Fail]
        );
        assert_eq!(
            statuses(
                &RULE,
                &runtime("upstream:\n  healthy_panic_threshold:\n    value: 50"),
                "1.17.38"
            ),
            [Fail]
        );
        assert_eq!(
            statuses(&RULE, &(proxy("", "") + &bootstrap("admin: {}\n")), "1.17.38"),
            [Fail]
        );
        let dup = "overload:\n  global_downstream_max_connections: 1000\noverload:\n  other: 1";
        assert_eq!(
            statuses(&RULE, &runtime(dup), "1.17.38"),
            [Fail],
            "a later duplicate key replaces the earlier map"
        );
    }

    #[test]
    fn passes_with_the_resource_monitor() {
        let om = "overload_manager:\n  resource_monitors:\n  - name: envoy.resource_monitors.global_downstream_max_connections\n    typed_config:\n      max_active_downstream_connections: 1000\n";
        assert_eq!(statuses(&RULE, &(proxy("", "") + &bootstrap(om)), "1.17.38"), [Pass]);
    }

    #[test]
    fn not_applicable_without_bootstrap_or_proxy() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
