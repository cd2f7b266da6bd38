//! ENVOY-009: bound how long a client may take to send a whole request.

use super::common::timeouts::hcm_timeout_set;
use super::helpers::same_under_https_gateway;
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

/// What the fix changes in how traffic is handled: shown as "review before applying" with the
/// fix in the overlay, `fix` and review comments ([`super::review_before_applying`]).
pub(super) const REVIEW_BEFORE_APPLYING: &str = "requests still running after the timeout are cut (Envoy answers 408 or resets the stream): WebSockets, gRPC client streaming, long uploads and downloads need a longer timeout, or suppress this rule on their listeners";

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-009",
    title: "request_timeout set",
    severity: Severity::Low,
    source: "Envoy edge best practices, example `request_timeout: 300s  # ... must be disabled for \
        long-lived and streaming requests`",
    why: "Without it a client may take forever to send a request body, holding a stream and its \
        buffers open (slow-POST).",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): `options.httpConnectionManagerSettings.requestTimeout` is a duration > 0. \
        Absent = Envoy default (disabled) = FAIL; `0s` = FAIL. TCP-only Gateways are NA; no \
        Gateway rendered = NA.",
    fix_doc: concat!(
        "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.requestTimeout: \
            300s` and ",
        same_under_https_gateway!(),
        ". Do not apply (suppress the rule) on listeners that carry streams longer than the \
            timeout: WebSockets, gRPC client streaming, long uploads.",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.requestTimeout", "300s")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    hcm_timeout_set(m, "requestTimeout")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::judges_an_hcm_timeout;
    use crate::rules::Status::Fail;

    #[test]
    fn positive_passes_and_absent_or_zero_fails() {
        judges_an_hcm_timeout(&RULE, "requestTimeout", "5m", Fail);
    }
}
