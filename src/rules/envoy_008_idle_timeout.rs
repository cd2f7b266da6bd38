//! ENVOY-008: the downstream connection idle timeout must not be switched off.

use super::common::timeouts::hcm_timeout_not_disabled;
use super::helpers::same_under_https_gateway;
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-008",
    title: "connection idle_timeout not disabled",
    severity: Severity::Medium,
    source: "Envoy edge best practices, example `common_http_protocol_options: {idle_timeout: \
        3600s}`; Envoy warns that disabling it is likely to leak connections",
    why: "With the connection idle timeout disabled, idle downstream connections are never closed \
        and accumulate until file descriptors or memory run out.",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): `options.httpConnectionManagerSettings.idleTimeout` absent (Envoy default 1 h) \
        or a duration > 0 = PASS. `0s` (disabled) = FAIL. TCP-only Gateways are NA; no Gateway \
        rendered = NA.",
    fix_doc: concat!(
        "All versions: leave it unset, or set `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.idleTimeout: \
            3600s` and ",
        same_under_https_gateway!(),
        ".",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.idleTimeout", "3600s")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    hcm_timeout_not_disabled(m, "idleTimeout", "1h")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::judges_an_hcm_timeout;
    use crate::rules::Status::Pass;

    #[test]
    fn absent_or_positive_passes_and_zero_fails() {
        judges_an_hcm_timeout(&RULE, "idleTimeout", "3600s", Pass);
    }
}
