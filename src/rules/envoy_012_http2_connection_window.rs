//! ENVOY-012: cap the HTTP/2 initial connection window (per-connection buffering).

use super::common::limits::h2_limit;
use super::helpers::{each_http_gateway, same_under_https_gateway};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-012",
    title: "HTTP/2 connection window <= 1 MiB",
    severity: Severity::Medium,
    source: "Envoy edge best practices: \"HTTP/2 initial connection window size limit to 1 MiB\"",
    why: "A large connection window lets each client connection make Envoy buffer that much data \
        across its streams.",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): \
        `options.httpConnectionManagerSettings.http2ProtocolOptions.initialConnectionWindowSize` \
        is an integer <= 1048576 (values below Envoy's minimum 65535 are rejected: FAIL). Absent \
        = Envoy default (256 MiB before Envoy 1.36, 24 MiB from 1.36, i.e. chart 1.22) = FAIL. \
        TCP-only Gateways are NA; no Gateway rendered = NA.",
    fix_doc: concat!(
        "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.http2ProtocolOptions.initialConnectionWindowSize: \
            1048576` and ",
        same_under_https_gateway!(),
        ".",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.http2ProtocolOptions.initialConnectionWindowSize", "1048576")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_http_gateway(m, |o| {
        h2_limit(
            o,
            "initialConnectionWindowSize",
            65535,
            1_048_576,
            "256 MiB, 24 MiB from Envoy 1.36",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, h2, na_without_http_gateways, statuses};
    use crate::rules::Status::*;

    #[test]
    fn absent_or_too_high_fails() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        assert_eq!(
            statuses(&RULE, &gateways(&h2("initialConnectionWindowSize: 1048577"), ""), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&h2("initialConnectionWindowSize: 100"), ""), "1.17.38"),
            [Fail, Fail]
        );
    }

    #[test]
    fn at_most_1m_passes() {
        assert_eq!(
            statuses(&RULE, &gateways(&h2("initialConnectionWindowSize: 1048576"), ""), "1.17.38"),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&h2("initialConnectionWindowSize: 65536"), ""), "1.22.1"),
            [Pass, Pass]
        );
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
