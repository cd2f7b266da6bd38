//! Integer limits of Gateway options: buffers (ENVOY-003, ENVOY-004) and HTTP/2 (ENVOY-010 to 012).

use crate::parse::yaml::Node;
use crate::rules::helpers::{fail, pass, show, Verdict};

/// Verdict for a per-connection buffer limit field that must be in `1..=32768`.
pub(crate) fn buffer_limit(field: &str, value: Option<&Node>) -> Verdict {
    let Some(v) = value.filter(|n| !n.is_null()) else {
        return fail(format!("{field} is absent (Envoy default 1 MiB)"));
    };
    match v.as_i64() {
        Some(n) if (1..=32_768).contains(&n) => pass(format!("{field} is {n}")),
        Some(n) => fail(format!("{field} is {n} (limit 1..32768)")),
        None => fail(format!("{field} is not an integer: {}", show(Some(v)))),
    }
}

/// Verdict for an `http2ProtocolOptions` integer that must be in `min..=max` (`min` is Envoy's
/// own lower bound; `default` describes Envoy's value when the field is absent).
pub(crate) fn h2_limit(options: &Node, field: &str, min: i64, max: i64, default: &str) -> Verdict {
    let value = options
        .path("httpConnectionManagerSettings.http2ProtocolOptions")
        .and_then(|h| h.get(field))
        .filter(|n| !n.is_null());
    let Some(v) = value else {
        return fail(format!("http2ProtocolOptions.{field} is absent (Envoy default {default})"));
    };
    match v.as_i64() {
        Some(n) if n > max => fail(format!("http2ProtocolOptions.{field} is {n} (limit {max})")),
        Some(n) if n < min => fail(format!(
            "http2ProtocolOptions.{field} is {n}, below Envoy's minimum {min} (rejected)"
        )),
        Some(n) => pass(format!("http2ProtocolOptions.{field} is {n}")),
        None => fail(format!("http2ProtocolOptions.{field} is not an integer: {}", show(Some(v)))),
    }
}
