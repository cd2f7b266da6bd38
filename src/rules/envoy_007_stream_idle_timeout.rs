//! ENVOY-007: the per-stream idle timeout must not be switched off.

use super::common::timeouts::hcm_timeout_not_disabled;
use super::helpers::same_under_https_gateway;
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
    hcm_timeout_not_disabled(m, "streamIdleTimeout", "5m")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::judges_an_hcm_timeout;
    use crate::rules::Status::Pass;

    #[test]
    fn absent_or_positive_passes_and_zero_fails() {
        judges_an_hcm_timeout(&RULE, "streamIdleTimeout", "300s", Pass);
    }
}
