//! ENVOY-006: bound how long a client may take to send request headers (slowloris).

use super::common::timeouts::hcm_timeout_set;
use super::helpers::same_under_https_gateway;
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
    hcm_timeout_set(m, "requestHeadersTimeout")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{
        gateways, hcm, judges_an_hcm_timeout, outcomes_with_messages, statuses,
    };
    use crate::rules::Status::*;

    #[test]
    fn positive_passes_and_absent_or_zero_fails() {
        judges_an_hcm_timeout(&RULE, "requestHeadersTimeout", "10s", Fail);
        let msgs = outcomes_with_messages(&RULE, &gateways("", ""), "1.17.38");
        assert_eq!(msgs[0].2, "requestHeadersTimeout is absent (disabled)");
    }

    #[test]
    fn a_fraction_of_a_second_passes_and_a_non_duration_fails() {
        let half = gateways(&hcm("requestHeadersTimeout: 0.5s"), "");
        assert_eq!(statuses(&RULE, &half, "1.22.1"), [Pass, Pass]);
        let soon = gateways(&hcm("requestHeadersTimeout: soon"), "");
        assert_eq!(statuses(&RULE, &soon, "1.17.38"), [Fail, Fail]);
    }

    #[test]
    fn hybrid_gateway_fails_when_any_matched_gateway_fails() {
        let hybrid = "---\napiVersion: gateway.solo.io/v1\nkind: Gateway\nmetadata:\n  name: hybrid\n  namespace: gloo-system\nspec:\n  bindPort: 8080\n  hybridGateway:\n    matchedGateways:\n    - httpGateway:\n        options:\n          httpConnectionManagerSettings:\n            requestHeadersTimeout: 10s\n    - httpGateway: {}\n";
        assert_eq!(statuses(&RULE, hybrid, "1.17.38"), [Fail]);
        let ok = hybrid.replace("    - httpGateway: {}\n", "");
        assert_eq!(statuses(&RULE, &ok, "1.17.38"), [Pass]);
    }
}
