//! Gloo's resource validation in Settings (GLOO-004 to 006).

use crate::parse::yaml::Node;
use crate::rules::helpers::{fail, pass, refix_failures, Verdict};
use crate::rules::{Outcome, OutcomeFix};

/// Settings `spec.gateway.validation` when validation is on; the failing verdict when it is off
/// (no block, or `serverEnabled: false`). Shared by GLOO-004 and GLOO-005.
pub(crate) fn validation_block(spec: &Node) -> Result<&Node, Verdict> {
    match spec.path("gateway.validation").filter(|v| v.is_map()) {
        None => Err(fail("spec.gateway.validation is absent: validation is off")),
        Some(v) if v.get("serverEnabled").and_then(Node::as_bool) == Some(false) => {
            Err(fail("spec.gateway.validation.serverEnabled is false: validation is off"))
        }
        Some(v) => Ok(v),
    }
}

/// A key of Settings `spec.gateway.validation` that must be `false` (absent = true) with
/// validation on (GLOO-004, GLOO-005); `admitted` says what the default lets through.
pub(crate) fn validation_key_false(spec: &Node, key: &str, admitted: &str) -> Verdict {
    let validation = match validation_block(spec) {
        Ok(v) => v,
        Err(verdict) => return verdict,
    };
    match validation.get(key).and_then(Node::as_bool) {
        Some(false) => pass(format!("{key} is false")),
        Some(true) => fail(format!("spec.gateway.validation.{key} is true: {admitted}")),
        None => fail(format!("spec.gateway.validation.{key} is absent (true): {admitted}")),
    }
}

/// A validation rule's fix where validation is off (GLOO-004 to 007): `gateway.validation` with
/// `enabled` (and `serverEnabled` when that is what is off) beside the rule's own `key`. The
/// declared fix alone sets a key the chart does not render while validation is off.
pub(crate) fn turning_validation_on<'a>(
    outcomes: Vec<Outcome<'a>>,
    key: &str,
    value: serde_json::Value,
) -> Vec<Outcome<'a>> {
    refix_failures(outcomes, |o| {
        let spec = o.doc.root.get("spec").unwrap_or(Node::null());
        if o.doc.kind != "Settings" || validation_block(spec).is_ok() {
            return None;
        }
        let mut fix = serde_json::json!({ "enabled": true });
        if spec.path("gateway.validation.serverEnabled").and_then(Node::as_bool) == Some(false) {
            fix["serverEnabled"] = true.into();
        }
        fix[key] = value.clone();
        Some(OutcomeFix::Custom { path: "gateway.validation".into(), value: fix })
    })
}
