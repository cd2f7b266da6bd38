//! ENVOY-011: cap the HTTP/2 initial stream window (per-stream buffering).

use super::common::limits::h2_limit;
use super::helpers::{each_http_gateway, same_under_https_gateway};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-011",
    title: "HTTP/2 stream window <= 64 KiB",
    severity: Severity::Medium,
    source: "Envoy edge best practices: \"HTTP/2 initial stream window size limit to 64 KiB\"",
    why: "A large stream window lets each client stream make Envoy buffer that much data, \
        multiplying memory use per connection.",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): \
        `options.httpConnectionManagerSettings.http2ProtocolOptions.initialStreamWindowSize` is \
        an integer <= 65536 (values below Envoy's minimum 65535 are rejected: FAIL). Absent = \
        Envoy default (256 MiB before Envoy 1.36, 16 MiB from 1.36, i.e. chart 1.22) = FAIL. \
        TCP-only Gateways are NA; no Gateway rendered = NA.",
    fix_doc: concat!(
        "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.http2ProtocolOptions.initialStreamWindowSize: \
            65536` and ",
        same_under_https_gateway!(),
        ". Gloo rejects values below 65535.",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.http2ProtocolOptions.initialStreamWindowSize", "65536")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_http_gateway(m, |o| {
        h2_limit(o, "initialStreamWindowSize", 65535, 65536, "256 MiB, 16 MiB from Envoy 1.36")
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, h2, na_without_http_gateways, statuses};
    use crate::rules::Status::*;

    #[test]
    fn absent_too_high_or_too_low_fails() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        assert_eq!(
            statuses(&RULE, &gateways(&h2("initialStreamWindowSize: 65537"), ""), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&h2("initialStreamWindowSize: 1024"), ""), "1.17.38"),
            [Fail, Fail]
        );
    }

    #[test]
    fn at_most_64k_passes() {
        assert_eq!(
            statuses(&RULE, &gateways(&h2("initialStreamWindowSize: 65536"), ""), "1.17.38"),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&h2("initialStreamWindowSize: 65535"), ""), "1.17.38"),
            [Pass, Pass]
        );
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
