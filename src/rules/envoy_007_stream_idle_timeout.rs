//! ENVOY-007: the per-stream idle timeout must not be switched off.

use super::common::timeouts::timeout_not_disabled;
use super::helpers::{each_hcm_setting, same_under_https_gateway};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-007",
    title: "stream_idle_timeout not disabled",
    severity: Severity::Medium,
    source: "Envoy edge best practices, example `stream_idle_timeout: 300s`; timeouts FAQ: the \
        stream idle timeout is \"strongly recommended for all requests\"",
    why: "With the stream idle timeout disabled, idle or stalled streams are never reaped and a \
        client can pin proxy memory indefinitely.",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): `options.httpConnectionManagerSettings.streamIdleTimeout` absent (Envoy \
        default 5 min) or a duration > 0 = PASS. `0s` (disabled) = FAIL. TCP-only Gateways are \
        NA; no Gateway rendered = NA.",
    fix_doc: concat!(
        "All versions: leave it unset, or set `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.streamIdleTimeout: \
            300s` and ",
        same_under_https_gateway!(),
        ".",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.streamIdleTimeout", "300s")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_hcm_setting(m, "streamIdleTimeout", |v| timeout_not_disabled("streamIdleTimeout", v, "5m"))
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, hcm, na_without_http_gateways, statuses};
    use crate::rules::Status::*;

    #[test]
    fn absent_or_positive_passes() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Pass, Pass]);
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("streamIdleTimeout: 300s"), ""), "1.17.38"),
            [Pass, Pass]
        );
    }

    #[test]
    fn zero_fails() {
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("streamIdleTimeout: 0s"), ""), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("streamIdleTimeout: 0ms"), ""), "1.13.39"),
            [Fail, Fail]
        );
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
