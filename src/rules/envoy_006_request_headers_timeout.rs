//! ENVOY-006: bound how long a client may take to send request headers (slowloris).

use super::common::timeouts::timeout_set;
use super::helpers::{each_hcm_setting, same_under_https_gateway};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-006",
    title: "request_headers_timeout set",
    severity: Severity::Medium,
    source: "Envoy edge best practices (\"connection and stream timeouts\") and its timeouts FAQ: \
        the header timeout keeps clients from \"consuming too much memory by creating large \
        numbers of mostly-idle streams\"; \"disabled by default\"",
    why: "Without it a client can hold connections and streams open by sending headers slowly \
        (slowloris), pinning memory and connection slots.",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): `options.httpConnectionManagerSettings.requestHeadersTimeout` is a duration > \
        0. Absent = Envoy default (disabled) = FAIL; `0s` = disabled = FAIL. TCP-only Gateways \
        are NA; no Gateway rendered = NA.",
    fix_doc: concat!(
        "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.requestHeadersTimeout: \
            10s` and ",
        same_under_https_gateway!(),
        ".",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.requestHeadersTimeout", "10s")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_hcm_setting(m, "requestHeadersTimeout", |v| timeout_set("requestHeadersTimeout", v))
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{
        gateways, hcm, na_without_http_gateways, outcomes_with_messages, statuses,
    };
    use crate::rules::Status::*;

    #[test]
    fn absent_or_zero_fails() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("requestHeadersTimeout: 0s"), ""), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("requestHeadersTimeout: soon"), ""), "1.17.38"),
            [Fail, Fail]
        );
        let msgs = outcomes_with_messages(&RULE, &gateways("", ""), "1.17.38");
        assert_eq!(msgs[0].2, "requestHeadersTimeout is absent (disabled)");
    }

    #[test]
    fn positive_duration_passes() {
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("requestHeadersTimeout: 10s"), ""), "1.13.39"),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("requestHeadersTimeout: 0.5s"), ""), "1.22.1"),
            [Pass, Pass]
        );
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }

    #[test]
    fn hybrid_gateway_fails_when_any_matched_gateway_fails() {
        let hybrid = "---\napiVersion: gateway.solo.io/v1\nkind: Gateway\nmetadata:\n  name: hybrid\n  namespace: gloo-system\nspec:\n  bindPort: 8080\n  hybridGateway:\n    matchedGateways:\n    - httpGateway:\n        options:\n          httpConnectionManagerSettings:\n            requestHeadersTimeout: 10s\n    - httpGateway: {}\n";
        assert_eq!(statuses(&RULE, hybrid, "1.17.38"), [Fail]);
        let ok = hybrid.replace("    - httpGateway: {}\n", "");
        assert_eq!(statuses(&RULE, &ok, "1.17.38"), [Pass]);
    }
}
