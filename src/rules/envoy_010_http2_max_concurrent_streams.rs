//! ENVOY-010: cap concurrent HTTP/2 streams per connection.

use super::common::limits::h2_limit;
use super::helpers::{each_http_gateway, same_under_https_gateway};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-010",
    title: "HTTP/2 max concurrent streams <= 100",
    severity: Severity::Medium,
    source: "Envoy edge best practices: \"HTTP/2 maximum concurrent streams limit to 100\"",
    why: "A high per-connection stream limit lets one client multiply its load (stream floods, \
        rapid reset and similar HTTP/2 attacks).",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): \
        `options.httpConnectionManagerSettings.http2ProtocolOptions.maxConcurrentStreams` is an \
        integer in `1..100` (0 is below Envoy's minimum and is rejected). Absent = Envoy default \
        = FAIL: 2147483647 before Envoy 1.36 (charts 1.13, 1.17), 1024 from Envoy 1.36 (chart \
        1.22). TCP-only Gateways are NA; no Gateway rendered = NA.",
    fix_doc: concat!(
        "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.http2ProtocolOptions.maxConcurrentStreams: \
            100` and ",
        same_under_https_gateway!(),
        ".",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.http2ProtocolOptions.maxConcurrentStreams", "100")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_http_gateway(m, |o| {
        h2_limit(o, "maxConcurrentStreams", 1, 100, "2147483647, 1024 from Envoy 1.36")
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{
        gateways, h2, na_without_http_gateways, outcomes_with_messages, statuses,
    };
    use crate::rules::Status::*;

    #[test]
    fn absent_or_too_high_fails() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.22.1"), [Fail, Fail]);
        assert_eq!(
            statuses(&RULE, &gateways(&h2("maxConcurrentStreams: 101"), ""), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&h2("maxConcurrentStreams: \"100\""), ""), "1.17.38"),
            [Fail, Fail],
            "a string is not an integer"
        );
        assert_eq!(
            statuses(&RULE, &gateways(&h2("maxConcurrentStreams: 0"), ""), "1.17.38"),
            [Fail, Fail],
            "0 is invalid"
        );
        let msgs = outcomes_with_messages(
            &RULE,
            &gateways(&h2("maxConcurrentStreams: 1000"), ""),
            "1.17.38",
        );
        assert_eq!(msgs[0].2, "http2ProtocolOptions.maxConcurrentStreams is 1000 (limit 100)");
    }

    #[test]
    fn at_most_100_passes() {
        assert_eq!(
            statuses(&RULE, &gateways(&h2("maxConcurrentStreams: 100"), ""), "1.17.38"),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&h2("maxConcurrentStreams: 1"), ""), "1.13.39"),
            [Pass, Pass]
        );
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
