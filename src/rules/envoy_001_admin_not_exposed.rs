//! ENVOY-001: the Envoy admin API is reachable only from inside the pod (except GET /ready, /stats).

use super::helpers::na_without;
use super::{Fix, Outcome, Rule, Severity, Status, Target};
use crate::parse::model::Model;
use crate::parse::yaml::Node;
use std::net::IpAddr;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-001",
    title: "Admin endpoint not exposed",
    severity: Severity::High,
    source: "Envoy edge best practices: \"restrict access to the admin endpoint\"",
    why: "Whoever reaches the admin API can read the full configuration (`/config_dump`) and \
        cluster state (`/clusters`) and drive control endpoints (`/quitquitquit`, \
        `/healthcheck/fail`, `/logging`).",
    predicate: "Per proxy Envoy bootstrap. The admin server listens on loopback \
        (`admin.address.socket_address.address` in `127.0.0.0/8`, `::1` or `localhost`) or on a \
        `pipe`; no `admin.address` at all = no admin server = fine. And no static listener bound \
        to a non-loopback address routes to an admin cluster (a static cluster with a loopback \
        endpoint on the admin port), except GET-only routes (`:method` header matched exactly to \
        `GET`) whose target path (`prefix_rewrite`, else `match.path` / `match.prefix`) starts \
        with `/ready` or `/stats`; a `tcp_proxy` to an admin cluster on such a listener always \
        fails. Anything else = FAIL. NA when the bootstrap ConfigMap is not in the render; no \
        proxy rendered = NA.",
    fix_doc: "All versions: keep `gatewayProxies.<name>.loopBackAddress` a loopback address \
        (default `127.0.0.1`) and `gatewayProxies.<name>.readConfig` false (default). \
        `readConfig: true` adds a `0.0.0.0:8082` listener serving GET `/config_dump` and \
        `/clusters` from the admin port (FAIL); `global.glooStats.enableStatsRoute: true` only \
        adds GET `/stats` (still PASS). A custom `configMap.data` bootstrap must keep the same \
        restrictions.",
    fixes: &[Fix::all("{GP}", "{loopBackAddress: 127.0.0.1, readConfig: false}")],
    check,
};

/// `127.0.0.0/8`, `::1` (also IPv4-mapped), `localhost`.
pub(crate) fn is_loopback(address: &str) -> bool {
    let a = address.trim().trim_start_matches('[').trim_end_matches(']');
    if a.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match a.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

fn text(node: Option<&Node>) -> Option<String> {
    node.and_then(Node::scalar_text)
}

/// How to recognise the admin server among cluster endpoints.
enum Admin {
    /// No admin server (no `admin.address`).
    Off,
    Port(String),
    Pipe(String),
}

/// Whether an Envoy `Address` is the admin server.
fn is_admin_address(address: &Node, admin: &Admin) -> bool {
    match admin {
        Admin::Off => false,
        Admin::Port(port) => address.get("socket_address").is_some_and(|s| {
            text(s.get("address")).is_some_and(|a| is_loopback(&a))
                && text(s.get("port_value")).as_deref() == Some(port.as_str())
        }),
        Admin::Pipe(path) => text(address.path("pipe.path")).as_deref() == Some(path.as_str()),
    }
}

/// Names of static clusters with an endpoint on the admin server.
fn admin_clusters(bootstrap: &Node, admin: &Admin) -> Vec<String> {
    let clusters = bootstrap.path("static_resources.clusters").map(Node::items).unwrap_or_default();
    clusters
        .iter()
        .filter(|c| {
            let endpoints =
                c.path("load_assignment.endpoints").map(Node::items).unwrap_or_default();
            let modern = endpoints
                .iter()
                .flat_map(|e| e.get("lb_endpoints").map(Node::items).unwrap_or_default())
                .filter_map(|lb| lb.path("endpoint.address"));
            let legacy = c.get("hosts").map(Node::items).unwrap_or_default().iter();
            modern.chain(legacy).any(|a| is_admin_address(a, admin))
        })
        .filter_map(|c| text(c.get("name")))
        .collect()
}

/// Whether a listener is reachable from outside the pod (not loopback-only, not a pipe).
fn exposed(listener: &Node) -> Option<String> {
    let mut addresses = vec![listener.get("address").unwrap_or(Node::null())];
    for extra in listener.get("additional_addresses").map(Node::items).unwrap_or_default() {
        addresses.push(extra.get("address").unwrap_or(Node::null()));
    }
    addresses.into_iter().find_map(|a| {
        if a.get("pipe").is_some() {
            return None;
        }
        let host = text(a.path("socket_address.address")).unwrap_or_default();
        if is_loopback(&host) {
            return None;
        }
        let port = text(a.path("socket_address.port_value")).unwrap_or_default();
        Some(format!("{host}:{port}"))
    })
}

/// A route is allowed to reach the admin port when it only matches GET and its target path
/// starts with `/ready` or `/stats`. Returns the target path text for messages.
fn admin_route(route: &Node) -> (bool, String) {
    let get_only =
        route.path("match.headers").map(Node::items).unwrap_or_default().iter().any(|h| {
            text(h.get("name")).as_deref() == Some(":method")
                && h.get("invert_match").and_then(Node::as_bool) != Some(true)
                && (text(h.get("exact_match")).as_deref() == Some("GET")
                    || text(h.path("string_match.exact")).as_deref() == Some("GET"))
        });
    let target = if let Some(rewrite) = route.path("route.prefix_rewrite") {
        text(Some(rewrite))
    } else if route.path("route.regex_rewrite").is_some() {
        None
    } else {
        ["path", "prefix", "path_separated_prefix"]
            .iter()
            .find_map(|k| text(route.path(&format!("match.{k}"))))
    };
    let allowed = get_only
        && target.as_deref().is_some_and(|p| p.starts_with("/ready") || p.starts_with("/stats"));
    let method = if get_only { "GET" } else { "any method" };
    (allowed, format!("{method} {}", target.unwrap_or_else(|| "(unknown path)".into())))
}

/// Clusters a route or tcp_proxy sends to.
fn targets(action: &Node) -> Vec<String> {
    let mut out: Vec<String> = text(action.get("cluster")).into_iter().collect();
    for wc in action.path("weighted_clusters.clusters").map(Node::items).unwrap_or_default() {
        out.extend(text(wc.get("name")));
    }
    out
}

/// Status, message and the line of the first violation for one bootstrap.
fn judge(bootstrap: &Node) -> (Status, String, Option<usize>) {
    let mut violations: Vec<(String, usize)> = Vec::new();
    let address = bootstrap.path("admin.address").filter(|n| !n.is_null());
    let (admin, admin_text) = match address {
        None => (Admin::Off, "no admin address (admin server off)".to_string()),
        Some(a) => match (a.get("pipe"), a.get("socket_address")) {
            (Some(pipe), _) => {
                let path = text(pipe.get("path")).unwrap_or_default();
                (Admin::Pipe(path.clone()), format!("admin on pipe {path}"))
            }
            (None, Some(s)) => {
                let host = text(s.get("address")).unwrap_or_default();
                let port = text(s.get("port_value")).unwrap_or_default();
                if !is_loopback(&host) {
                    violations.push((format!("admin listens on {host}:{port}"), s.line()));
                }
                (Admin::Port(port.clone()), format!("admin on {host}:{port}"))
            }
            (None, None) => {
                violations.push((
                    "admin address is neither a socket address nor a pipe".to_string(),
                    a.line(),
                ));
                (Admin::Off, String::new())
            }
        },
    };
    let admin_clusters = admin_clusters(bootstrap, &admin);
    let mut allowed = Vec::new();
    for listener in
        bootstrap.path("static_resources.listeners").map(Node::items).unwrap_or_default()
    {
        let Some(bound) = exposed(listener) else { continue };
        let name = text(listener.get("name")).unwrap_or_else(|| "(unnamed)".into());
        let mut chains: Vec<&Node> =
            listener.get("filter_chains").map(Node::items).unwrap_or_default().iter().collect();
        chains.extend(listener.get("default_filter_chain"));
        for filter in
            chains.iter().flat_map(|c| c.get("filters").map(Node::items).unwrap_or_default())
        {
            let config = filter.get("typed_config").unwrap_or(Node::null());
            if targets(config).iter().any(|c| admin_clusters.contains(c)) {
                violations.push((
                    format!("listener {name} ({bound}) proxies TCP to the admin port"),
                    filter.line(),
                ));
            }
            let hosts =
                config.path("route_config.virtual_hosts").map(Node::items).unwrap_or_default();
            for route in
                hosts.iter().flat_map(|h| h.get("routes").map(Node::items).unwrap_or_default())
            {
                let Some(action) = route.get("route") else { continue };
                if !targets(action).iter().any(|c| admin_clusters.contains(c)) {
                    continue;
                }
                let (ok, what) = admin_route(route);
                if ok {
                    allowed.push(what);
                } else {
                    violations.push((
                        format!("listener {name} ({bound}) exposes {what} from the admin port"),
                        route.line(),
                    ));
                }
            }
        }
    }
    if let Some((_, line)) = violations.first() {
        let message = violations.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>().join("; ");
        return (Status::Fail, message, Some(*line).filter(|l| *l > 0));
    }
    let exposure = if allowed.is_empty() {
        "no exposed listener routes to it".to_string()
    } else {
        format!("exposed only for {}", allowed.join(", "))
    };
    (Status::Pass, format!("{admin_text}; {exposure}"), None)
}

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let outcomes = m
        .proxies
        .iter()
        .map(|p| {
            let target = Target::Proxy(p.name.to_string());
            match p.bootstrap {
                Some(b) => {
                    let (status, message, line) = judge(&b.root);
                    let outcome = Outcome::new(status, b, target, message);
                    match line {
                        Some(l) => outcome.at(l),
                        None => outcome,
                    }
                }
                None => Outcome::new(
                    Status::Na,
                    p.workload,
                    target,
                    "the Envoy bootstrap ConfigMap is not in the render",
                ),
            }
        })
        .collect();
    na_without(m, outcomes, "gateway proxy")
}

#[cfg(test)]
mod tests {
    use super::{is_loopback, RULE};
    use crate::rules::testing::{bootstrap, outcomes_with_messages, proxy, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    const ADMIN_CLUSTER: &str = "  clusters:\n  - name: admin_port_cluster\n    type: STATIC\n    load_assignment:\n      cluster_name: admin_port_cluster\n      endpoints:\n      - lb_endpoints:\n        - endpoint:\n            address:\n              socket_address:\n                address: 127.0.0.1\n                port_value: 19000\n";

    /// A bootstrap with admin on `admin_host`, and a `0.0.0.0:8081` listener with `routes`.
    fn render(admin_host: &str, routes: &str) -> String {
        let routes = crate::rules::testing::indent(routes, 14);
        let listener = format!(
            "static_resources:\n  listeners:\n  - name: prometheus_listener\n    address:\n      socket_address:\n        address: 0.0.0.0\n        port_value: 8081\n    filter_chains:\n    - filters:\n      - name: envoy.filters.network.http_connection_manager\n        typed_config:\n          route_config:\n            virtual_hosts:\n            - name: h\n              domains: [\"*\"]\n              routes:\n{routes}{ADMIN_CLUSTER}"
        );
        proxy("", "") + &bootstrap(&format!("{listener}admin:\n  address:\n    socket_address:\n      address: {admin_host}\n      port_value: 19000\n"))
    }

    fn get(matcher: &str, rewrite: &str) -> String {
        format!("- match:\n    {matcher}\n    headers:\n    - name: \":method\"\n      exact_match: GET\n  route:\n    cluster: admin_port_cluster\n{rewrite}")
    }

    #[test]
    fn chart_default_passes() {
        let routes = get("path: \"/ready\"", "")
            + &get("prefix: \"/metrics\"", "    prefix_rewrite: /stats/prometheus\n");
        assert_eq!(statuses(&RULE, &render("127.0.0.1", &routes), "1.17.38"), [Pass]);
        let msgs = outcomes_with_messages(&RULE, &render("127.0.0.1", &routes), "1.17.38");
        assert_eq!(
            msgs[0].2,
            "admin on 127.0.0.1:19000; exposed only for GET /ready, GET /stats/prometheus"
        );
        let stats = routes + &get("prefix: \"/stats\"", "    prefix_rewrite: /stats\n");
        assert_eq!(
            statuses(&RULE, &render("127.0.0.1", &stats), "1.17.38"),
            [Pass],
            "enableStatsRoute"
        );
    }

    #[test]
    fn admin_on_a_public_address_fails() {
        assert_eq!(statuses(&RULE, &render("0.0.0.0", ""), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &render("\"::\"", ""), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &render("\"::1\"", ""), "1.17.38"), [Pass]);
        assert_eq!(statuses(&RULE, &render("localhost", ""), "1.17.38"), [Pass]);
    }

    #[test]
    fn read_config_routes_fail() {
        let routes = get("path: \"/ready\"", "") + &get("prefix: \"/config_dump\"", "");
        assert_eq!(statuses(&RULE, &render("127.0.0.1", &routes), "1.17.38"), [Fail]);
        let msgs = outcomes_with_messages(&RULE, &render("127.0.0.1", &routes), "1.17.38");
        assert_eq!(msgs[0].2, "listener prometheus_listener (0.0.0.0:8081) exposes GET /config_dump from the admin port");
    }

    #[test]
    fn exceptions_need_get_only_and_the_rewritten_path() {
        let any_method =
            "- match:\n    prefix: \"/stats\"\n  route:\n    cluster: admin_port_cluster\n";
        assert_eq!(
            statuses(&RULE, &render("127.0.0.1", any_method), "1.17.38"),
            [Fail],
            "not GET-only"
        );
        let rewritten = get("prefix: \"/stats\"", "    prefix_rewrite: /quitquitquit\n");
        assert_eq!(
            statuses(&RULE, &render("127.0.0.1", &rewritten), "1.17.38"),
            [Fail],
            "prefix_rewrite decides"
        );
        let string_match = "- match:\n    path: /ready\n    headers:\n    - name: \":method\"\n      string_match:\n        exact: GET\n  route:\n    cluster: admin_port_cluster\n";
        assert_eq!(statuses(&RULE, &render("127.0.0.1", string_match), "1.17.38"), [Pass]);
        let inverted = string_match
            .replace("      string_match:", "      invert_match: true\n      string_match:");
        assert_eq!(statuses(&RULE, &render("127.0.0.1", &inverted), "1.17.38"), [Fail]);
    }

    #[test]
    fn loopback_listeners_and_other_clusters_are_fine() {
        let other = "- match:\n    prefix: \"/\"\n  route:\n    cluster: some_backend\n";
        assert_eq!(statuses(&RULE, &render("127.0.0.1", other), "1.17.38"), [Pass]);
        let dump = get("prefix: \"/config_dump\"", "");
        let local =
            render("127.0.0.1", &dump).replacen("address: 0.0.0.0", "address: 127.0.0.1", 1);
        assert_eq!(statuses(&RULE, &local, "1.17.38"), [Pass]);
    }

    #[test]
    fn no_admin_address_or_pipe_passes() {
        let none = proxy("", "") + &bootstrap("admin:\n  access_log_path: /dev/null\n");
        assert_eq!(statuses(&RULE, &none, "1.17.38"), [Pass]);
        let pipe = proxy("", "")
            + &bootstrap("admin:\n  address:\n    pipe:\n      path: /tmp/admin.sock\n");
        assert_eq!(statuses(&RULE, &pipe, "1.17.38"), [Pass]);
    }

    #[test]
    fn not_applicable_without_bootstrap_or_proxy() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }

    #[test]
    fn loopback_addresses() {
        assert!(
            is_loopback("127.0.0.1")
                && is_loopback("127.1.2.3")
                && is_loopback("::1")
                && is_loopback("[::1]")
                && is_loopback("LOCALHOST")
        );
        assert!(is_loopback("::ffff:127.0.0.1"));
        assert!(
            !is_loopback("0.0.0.0")
                && !is_loopback("::")
                && !is_loopback("10.0.0.1")
                && !is_loopback("")
        );
    }
}
