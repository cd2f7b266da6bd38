//! GLOO-034: downstream connections use TCP keepalive.

use super::helpers::{each_gateway, fail, pass, refix_judged};
use super::{Fix, Outcome, OutcomeFix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-034",
    title: "Downstream TCP keepalive",
    severity: Severity::Low,
    source: "Gloo production guide (Latest) \"Configure TCP keepalive\" and the Gloo TCP keepalive \
        guide (Gateway `options.socketOptions` for downstream connections)",
    why: "Load balancers and firewalls with connection tracking silently drop idle client \
        connections; keepalive probes keep them alive or detect them dead.",
    predicate: "Every Gateway (HTTP and TCP): `spec.options.socketOptions` has an entry with \
        `level: 1` (SOL_SOCKET), `name: 9` (SO_KEEPALIVE) and a non-zero `intValue` (int64 \
        fields may also be numeric strings). Absent = FAIL. NA when no Gateway is rendered.",
    fix_doc: "All versions: `gatewayProxies.<name>.gatewaySettings.options.socketOptions:` \
        SO_KEEPALIVE `{level: 1, name: 9, intValue: 1}` plus TCP_KEEPIDLE `{level: 6, name: 4, \
        intValue: 60}`, TCP_KEEPINTVL `{level: 6, name: 5, intValue: 10}` and TCP_KEEPCNT \
        `{level: 6, name: 6, intValue: 3}`, all with `state: STATE_PREBIND` (renders into \
        `spec.options` of both generated Gateways). Linux option numbers; choose an idle time \
        below the load balancer's idle timeout.",
    fixes: &[Fix::all(
        "{GP}.gatewaySettings.options.socketOptions",
        "[{level: 1, name: 9, intValue: 1, state: STATE_PREBIND}, {level: 6, name: 4, intValue: 60, state: STATE_PREBIND}, {level: 6, name: 5, intValue: 10, state: STATE_PREBIND}, {level: 6, name: 6, intValue: 3, state: STATE_PREBIND}]",
    )],
    check,
};

/// An int64 protobuf field: a YAML integer or its decimal text (protobuf JSON's form).
fn int64(node: Option<&Node>) -> Option<i64> {
    let node = node?;
    node.as_i64().or_else(|| node.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The socket options a Gateway needs: its own list (helm replaces a list whole) with
/// SO_KEEPALIVE on, and the keepalive timings it does not set yet from the declared fix.
fn socket_options_fix(spec: &Node) -> OutcomeFix {
    let wanted = RULE.fixes[0].json().as_array().cloned().unwrap_or_default();
    let key = |o: &serde_json::Value| {
        let number = |k: &str| {
            o.get(k)
                .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())))
        };
        (number("level"), number("name"))
    };
    let so_keepalive = (Some(1), Some(9));
    let mut options: Vec<serde_json::Value> = spec
        .path("options.socketOptions")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(Node::to_json)
        .filter(|o| key(o) != so_keepalive)
        .collect();
    for option in wanted {
        if key(&option) == so_keepalive || !options.iter().any(|o| key(o) == key(&option)) {
            options.push(option);
        }
    }
    OutcomeFix::Custom {
        path: "{GP}.gatewaySettings.options.socketOptions".into(),
        value: serde_json::Value::Array(options),
    }
}

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let outcomes = each_gateway(m, |_, spec| {
        let options = spec.path("options.socketOptions").map(Node::items).unwrap_or_default();
        let keepalive: Vec<&Node> = options
            .iter()
            .filter(|o| int64(o.get("level")) == Some(1) && int64(o.get("name")) == Some(9))
            .collect();
        if keepalive.iter().any(|o| int64(o.get("intValue")).is_some_and(|v| v != 0)) {
            pass("SO_KEEPALIVE is on (socketOptions level 1, name 9)")
        } else if !keepalive.is_empty() {
            fail("the SO_KEEPALIVE socket option (level 1, name 9) has intValue 0 or none")
        } else {
            fail("spec.options.socketOptions has no SO_KEEPALIVE (level 1, name 9)")
        }
    });
    refix_judged(outcomes, |o| {
        o.doc
            .root
            .get("spec")
            .filter(|spec| spec.path("options.socketOptions").is_some())
            .map(socket_options_fix)
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    fn with(options: &str) -> String {
        gateways("", &format!("socketOptions:\n{options}"))
    }

    #[test]
    fn absent_fails() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        assert_eq!(
            statuses(&RULE, &with("- {level: 6, name: 4, intValue: 60}"), "1.17.38"),
            [Fail, Fail],
            "TCP_KEEPIDLE alone"
        );
    }

    #[test]
    fn so_keepalive_passes() {
        assert_eq!(statuses(&RULE, &with("- {level: 1, name: 9, intValue: 1, state: STATE_PREBIND}\n- {level: 6, name: 4, intValue: 60}"), "1.17.38"), [Pass, Pass]);
        assert_eq!(
            statuses(&RULE, &with("- {level: \"1\", name: \"9\", intValue: \"1\"}"), "1.17.38"),
            [Pass, Pass],
            "int64 as strings"
        );
    }

    #[test]
    fn zero_or_missing_int_value_fails() {
        assert_eq!(
            statuses(&RULE, &with("- {level: 1, name: 9, intValue: 0}"), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(statuses(&RULE, &with("- {level: 1, name: 9}"), "1.17.38"), [Fail, Fail]);
    }

    #[test]
    fn the_fix_keeps_the_gateways_own_socket_options() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let own = with("- {level: 1, name: 15, intValue: 1}\n- {level: 6, name: 4, intValue: 300}\n- {level: 1, name: 9, intValue: 0}");
        let expected = OutcomeFix::Custom {
            path: "{GP}.gatewaySettings.options.socketOptions".into(),
            value: serde_json::json!([
                {"level": 1, "name": 15, "intValue": 1},
                {"level": 6, "name": 4, "intValue": 300},
                {"level": 1, "name": 9, "intValue": 1, "state": "STATE_PREBIND"},
                {"level": 6, "name": 5, "intValue": 10, "state": "STATE_PREBIND"},
                {"level": 6, "name": 6, "intValue": 3, "state": "STATE_PREBIND"}
            ]),
        };
        assert_eq!(fixes(&RULE, &own, "1.17.38"), [(Fail, expected.clone()), (Fail, expected)]);
        assert_eq!(
            fixes(&RULE, &gateways("", ""), "1.17.38"),
            [(Fail, OutcomeFix::Declared), (Fail, OutcomeFix::Declared)],
            "none of its own: the declared fix"
        );
    }

    #[test]
    fn tcp_gateways_are_judged_too() {
        let render = with("- {level: 1, name: 9, intValue: 1}")
            .replace("      httpGateway: {}\n", "      tcpGateway: {}\n");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Pass, Pass]);
    }

    #[test]
    fn not_applicable_without_gateways() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
