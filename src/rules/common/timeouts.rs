//! Timeouts of the HTTP connection manager (ENVOY-006 to 009).

use crate::parse::model::duration_seconds;
use crate::parse::yaml::Node;
use crate::rules::helpers::{fail, pass, show, Verdict};

/// Verdict for a timeout that must be set and non-zero (absent = disabled).
pub(crate) fn timeout_set(field: &str, value: Option<&Node>) -> Verdict {
    match value {
        None => fail(format!("{field} is absent (disabled)")),
        Some(v) => not_zero(field, v),
    }
}

/// Verdict for a timeout that has a non-zero Envoy default: only an explicit zero disables it.
pub(crate) fn timeout_not_disabled(field: &str, value: Option<&Node>, default: &str) -> Verdict {
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
