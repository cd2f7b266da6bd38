//! GLOO-035: the Envoy -> gloo xDS connection uses TCP keepalive.

use super::helpers::{each_bootstrap, fail, na, pass, show};
use super::{Fix, Outcome, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-035",
    title: "xDS connection TCP keepalive",
    severity: Severity::Low,
    source: "Gloo TCP keepalive guide (linked from the production guide, Latest), \"TCP keepalive \
        on static clusters\": `tcpKeepaliveTimeSeconds`",
    why: "A silently dead connection to the control plane freezes Envoy's configuration without \
        any error.",
    predicate: "Per proxy, in the Envoy bootstrap: every static cluster named by \
        `dynamic_resources.ads_config.grpc_services[].envoy_grpc.cluster_name` has \
        `upstream_connection_options.tcp_keepalive`, and its `keepalive_time`, when set, is > 0. \
        A named cluster missing from `static_resources.clusters` FAILs. NA when the bootstrap \
        has no ADS `envoy_grpc` cluster or its ConfigMap is not rendered.",
    fix_doc:
        "All versions: `gatewayProxies.<name>.tcpKeepaliveTimeSeconds: 60` (the default). `0` \
        renders `keepalive_time: 0` (FAIL). A custom `gatewayProxies.<name>.configMap.data` \
        bootstrap must keep the `tcp_keepalive` block on the xDS cluster.",
    fixes: &[Fix::all("{GP}.tcpKeepaliveTimeSeconds", "60")],
    check,
};

/// A protobuf integer: a YAML integer or its decimal text.
fn integer(node: &Node) -> Option<i64> {
    node.as_i64().or_else(|| node.as_str().and_then(|s| s.trim().parse().ok()))
}

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    each_bootstrap(m, |_, bootstrap| {
        let root = &bootstrap.root;
        let names: Vec<String> = root
            .path("dynamic_resources.ads_config.grpc_services")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s.path("envoy_grpc.cluster_name").and_then(Node::scalar_text))
            .collect();
        if names.is_empty() {
            return na("no ADS envoy_grpc cluster in the bootstrap");
        }
        let clusters = root.path("static_resources.clusters").map(Node::items).unwrap_or_default();
        for name in &names {
            let Some(cluster) = clusters
                .iter()
                .find(|c| c.get("name").and_then(Node::scalar_text).as_deref() == Some(name))
            else {
                return fail(format!("xDS cluster {name} is not in static_resources.clusters"));
            };
            let Some(keepalive) =
                cluster.path("upstream_connection_options.tcp_keepalive").filter(|n| !n.is_null())
            else {
                return fail(format!(
                    "xDS cluster {name} has no upstream_connection_options.tcp_keepalive"
                ));
            };
            if let Some(time) = keepalive.get("keepalive_time").filter(|n| !n.is_null()) {
                match integer(time) {
                    Some(t) if t > 0 => {}
                    Some(_) => return fail(format!("xDS cluster {name} has tcp_keepalive.keepalive_time {}: keepalive disabled", show(Some(time)))),
                    None => return fail(format!("xDS cluster {name} has a non-numeric keepalive_time ({})", show(Some(time)))),
                }
            }
        }
        let time = clusters
            .iter()
            .find(|c| {
                c.get("name").and_then(Node::scalar_text).as_deref()
                    == names.first().map(String::as_str)
            })
            .and_then(|c| c.path("upstream_connection_options.tcp_keepalive.keepalive_time"));
        pass(match time {
            Some(t) => format!("xDS cluster has TCP keepalive (keepalive_time {})", show(Some(t))),
            None => "xDS cluster has TCP keepalive (Linux default time)".to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{bootstrap, proxy, statuses};
    use crate::rules::Status::*;

    const XDS: &str = "gloo.gloo-system.svc.cluster.local:9977";

    fn with(keepalive: &str) -> String {
        let b = format!(
            "static_resources:\n  clusters:\n  - name: {XDS}\n    alt_stat_name: xds_cluster\n{keepalive}    type: STRICT_DNS\n  - name: rest_xds_cluster\n    upstream_connection_options:\n      tcp_keepalive:\n        keepalive_time: 60\ndynamic_resources:\n  ads_config:\n    api_type: GRPC\n    grpc_services:\n    - envoy_grpc: {{cluster_name: {XDS}}}\n"
        );
        proxy("", "") + &bootstrap(&b)
    }

    #[test]
    fn keepalive_on_the_xds_cluster_passes() {
        assert_eq!(statuses(&RULE, &with("    upstream_connection_options:\n      tcp_keepalive:\n        keepalive_time: 60\n"), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(
                &RULE,
                &with("    upstream_connection_options:\n      tcp_keepalive: {}\n"),
                "1.17.38"
            ),
            [Pass],
            "time unset: OS default"
        );
    }

    #[test]
    fn zero_or_missing_keepalive_fails() {
        assert_eq!(statuses(&RULE, &with("    upstream_connection_options:\n      tcp_keepalive:\n        keepalive_time: 0\n"), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(&RULE, &with(""), "1.17.38"),
            [Fail],
            "another cluster's keepalive does not count"
        );
        assert_eq!(
            statuses(&RULE, &with("    upstream_connection_options: {}\n"), "1.17.38"),
            [Fail]
        );
    }

    #[test]
    fn a_missing_xds_cluster_fails() {
        let render = with("").replace(&format!("  - name: {XDS}\n"), "  - name: renamed\n");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Fail]);
    }

    #[test]
    fn not_applicable_without_ads_or_bootstrap() {
        let no_ads = proxy("", "") + &bootstrap("static_resources:\n  clusters: []\n");
        assert_eq!(statuses(&RULE, &no_ads, "1.17.38"), [Na]);
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na], "ConfigMap missing");
    }
}
