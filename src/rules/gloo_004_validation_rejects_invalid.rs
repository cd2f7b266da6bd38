//! GLOO-004: the validation webhook rejects invalid Gloo resources instead of admitting them.

use super::helpers::{each_settings, fail, pass, Verdict};
use super::{Fix, Rule, Severity};
use crate::model::Model;
use crate::yaml::Node;

pub static RULE: Rule = Rule {
    id: "GLOO-004",
    title: "Validation rejects invalid resources",
    severity: Severity::High,
    source: "Gloo production guide (Latest) \"More validation hooks\": `alwaysAcceptResources: false # reject invalid resources`",
    why: "With the default, invalid VirtualServices and RouteTables are admitted and can break or drop routes on the proxy.",
    predicate: "Settings `spec.gateway.validation` exists, its `serverEnabled` is not `false`, and `alwaysAccept == false`. Absent `alwaysAccept` = true (Gloo default) = FAIL. No validation block (`gateway.validation.enabled: false`) = FAIL. NA when no Settings is rendered (`settings.create: false`).",
    fix_doc: "All versions: `gateway.validation.alwaysAcceptResources: false` (renders `alwaysAccept: false`). Only effective together with an enabled webhook that fails closed (GLOO-007). Enterprise/umbrella: `gloo.gateway.validation.alwaysAcceptResources`.",
    fixes: &[Fix::all("gateway.validation.alwaysAcceptResources", "false")],
    check,
};

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

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_settings(m, |spec| {
        let validation = match validation_block(spec) {
            Ok(v) => v,
            Err(verdict) => return verdict,
        };
        match validation.get("alwaysAccept").and_then(Node::as_bool) {
            Some(false) => pass("alwaysAccept is false"),
            Some(true) => fail("spec.gateway.validation.alwaysAccept is true: invalid resources are admitted"),
            None => fail("spec.gateway.validation.alwaysAccept is absent (true): invalid resources are admitted"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{settings, statuses};
    use crate::rules::Status::*;

    fn validation(fields: &str) -> String {
        settings(&format!("gateway:\n  validation:\n{}", crate::rules::testing::indent(fields, 4)))
    }

    #[test]
    fn judges_always_accept() {
        assert_eq!(statuses(&RULE, &validation("serverEnabled: true\nalwaysAccept: true"), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &validation("serverEnabled: true"), "1.17.38"), [Fail], "absent = true");
        assert_eq!(statuses(&RULE, &validation("serverEnabled: true\nalwaysAccept: false"), "1.17.38"), [Pass]);
        assert_eq!(statuses(&RULE, &validation("alwaysAccept: false"), "1.17.38"), [Pass], "serverEnabled absent is not false");
        assert_eq!(statuses(&RULE, &validation("alwaysAccept: \"false\""), "1.17.38"), [Fail], "a string is not a bool");
    }

    #[test]
    fn fails_when_validation_is_off() {
        assert_eq!(statuses(&RULE, &validation("serverEnabled: false\nalwaysAccept: false"), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &settings("gateway:\n  readGatewaysFromAllNamespaces: false"), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &settings("gateway:\n  validation: null"), "1.17.38"), [Fail]);
    }

    #[test]
    fn not_applicable_without_settings() {
        assert_eq!(statuses(&RULE, "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\n", "1.17.38"), [Na]);
    }
}
