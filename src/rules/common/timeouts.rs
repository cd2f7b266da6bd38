//! Timeouts of the HTTP connection manager (ENVOY-006 to 009).

use crate::parse::model::{duration_seconds, Model};
use crate::parse::yaml::Node;
use crate::rules::helpers::{each_hcm_setting, fail, pass, show, Verdict};
use crate::rules::Outcome;

/// Every HTTP Gateway's `httpConnectionManagerSettings.<field>` is a timeout that must be set
/// and non-zero (absent = Envoy's default, disabled): ENVOY-006, ENVOY-009.
pub(crate) fn hcm_timeout_set<'a>(m: &Model<'a>, field: &str) -> Vec<Outcome<'a>> {
    each_hcm_setting(m, field, |v| timeout_set(field, v))
}

/// Every HTTP Gateway's `httpConnectionManagerSettings.<field>` is a timeout with a non-zero
/// Envoy default (`default`, for the message) that must not be switched off: ENVOY-007, ENVOY-008.
pub(crate) fn hcm_timeout_not_disabled<'a>(
    m: &Model<'a>,
    field: &str,
    default: &str,
) -> Vec<Outcome<'a>> {
    each_hcm_setting(m, field, |v| timeout_not_disabled(field, v, default))
}

/// Verdict for a timeout that must be set and non-zero (absent = disabled).
fn timeout_set(field: &str, value: Option<&Node>) -> Verdict {
    match value {
        None => fail(format!("{field} is absent (disabled)")),
        Some(v) => not_zero(field, v),
    }
}

/// Verdict for a timeout that has a non-zero Envoy default: only an explicit zero disables it.
fn timeout_not_disabled(field: &str, value: Option<&Node>, default: &str) -> Verdict {
    match value {
        None => pass(format!("{field} is absent (Envoy default {default})")),
        Some(v) => not_zero(field, v),
    }
}

/// A duration that is set: PASS when above zero, FAIL at zero (disabled) or when not a duration.
fn not_zero(field: &str, v: &Node) -> Verdict {
    match duration_seconds(v) {
        Some(s) if s > 0.0 => pass(format!("{field} is {}", show(Some(v)))),
        Some(_) => fail(format!("{field} is {} (disabled)", show(Some(v)))),
        None => fail(format!("{field} is not a duration: {}", show(Some(v)))),
    }
}
