//! ENVOY-005: trust the TCP peer, not client-supplied X-Forwarded-For.

use super::helpers::{boolean, each_hcm_setting, fail, pass};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-005",
    title: "use_remote_address",
    severity: Severity::High,
    source: "Gloo production guide (Seed-000, Latest): \"you may especially want to set \
        use_remote_address to true\"; Envoy edge best practices",
    why: "Otherwise client-supplied X-Forwarded-For decides the client address and whether a \
        request counts as internal (trusted x-envoy-* headers, rate limits, logs, RBAC).",
    predicate: "Every HTTP Gateway: `httpConnectionManagerSettings.useRemoteAddress == true`. \
        Absent = false = FAIL. TCP-only Gateways are NA.",
    fix_doc: "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.useRemoteAddress: \
        true` and the same under `customHttpsGateway` (each replaces the whole httpGateway: keep \
        all options in one block). Behind an L7 load balancer also set `xffNumTrustedHops` \
        (ENVOY-019).",
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.useRemoteAddress", "true")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_hcm_setting(m, "useRemoteAddress", |v| match boolean(v, "useRemoteAddress") {
        Ok(Some(true)) => pass("useRemoteAddress is true"),
        Ok(Some(false)) => fail("useRemoteAddress is false"),
        Ok(None) => {
            fail("useRemoteAddress is absent (false): X-Forwarded-For from clients is trusted")
        }
        Err(not_boolean) => not_boolean,
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, statuses, tcp_gateways};
    use crate::rules::Status::*;

    #[test]
    fn judges_every_http_gateway() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        let on = "options:\n  httpConnectionManagerSettings:\n    useRemoteAddress: true";
        assert_eq!(statuses(&RULE, &gateways(on, ""), "1.17.38"), [Pass, Pass]);
    }

    #[test]
    fn a_string_is_not_a_boolean() {
        let quoted = "options:\n  httpConnectionManagerSettings:\n    useRemoteAddress: \"true\"";
        let out =
            crate::rules::testing::outcomes_with_messages(&RULE, &gateways(quoted, ""), "1.17.38");
        assert_eq!(out[0].0, Fail);
        assert_eq!(out[0].2, "useRemoteAddress is not a boolean: \"true\"");
    }

    #[test]
    fn a_gateway_the_chart_does_not_generate_has_no_values_fix() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let render = gateways("", "").replace("name: gateway-proxy-ssl", "name: hybrid");
        assert_eq!(
            fixes(&RULE, &render, "1.17.38"),
            [(Fail, OutcomeFix::Declared), (Fail, OutcomeFix::Nothing)]
        );
        let messages = crate::rules::testing::outcomes_with_messages(&RULE, &render, "1.17.38");
        assert!(
            messages[1]
                .2
                .ends_with("(not a Gateway the chart generates: change it where it is defined)"),
            "{}",
            messages[1].2
        );
        let failover =
            gateways("", "").replace("name: gateway-proxy-ssl", "name: gateway-proxy-failover");
        let messages = crate::rules::testing::outcomes_with_messages(&RULE, &failover, "1.17.38");
        assert!(messages[1].2.ends_with("(the chart's failover Gateway: set it through gatewayProxies.<name>.failover.kubeResourceOverride)"), "{}", messages[1].2);
    }

    #[test]
    fn tcp_gateways_are_not_applicable() {
        let render = tcp_gateways("");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Na, Na]);
    }
}
