//! GLOO-004: the validation webhook rejects invalid Gloo resources instead of admitting them.

use super::common::validation::{turning_validation_on, validation_key_false};
use super::helpers::each_settings;
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-004",
    title: "Validation rejects invalid resources",
    severity: Severity::High,
    source: "Gloo production guide (Latest) \"More validation hooks\": `alwaysAcceptResources: \
        false # reject invalid resources`",
    why: "With the default, invalid VirtualServices and RouteTables are admitted and can break or \
        drop routes on the proxy.",
    predicate:
        "Settings `spec.gateway.validation` exists, its `serverEnabled` is not `false`, and \
        `alwaysAccept == false`. Absent `alwaysAccept` = true (Gloo default) = FAIL. No \
        validation block (`gateway.validation.enabled: false`) = FAIL. NA when no Settings is \
        rendered (`settings.create: false`).",
    fix_doc: "All versions: `gateway.validation.alwaysAcceptResources: false` (renders \
        `alwaysAccept: false`). Only effective together with an enabled webhook that fails \
        closed (GLOO-007). Enterprise/umbrella: `gloo.gateway.validation.alwaysAcceptResources`.",
    fixes: &[Fix::all("gateway.validation.alwaysAcceptResources", "false")
        .unless_set_at("settings.kubeResourceOverride.spec.gateway.validation.alwaysAccept")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_settings(m, |spec| {
        validation_key_false(spec, "alwaysAccept", "invalid resources are admitted")
    });
    turning_validation_on(outcomes, "alwaysAcceptResources", false.into())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{
        judges_a_validation_key_that_must_be_false, settings, statuses, validation, NOT_GLOO,
    };
    use crate::rules::Status::*;

    #[test]
    fn judges_always_accept() {
        judges_a_validation_key_that_must_be_false(&RULE, "alwaysAccept");
    }

    #[test]
    fn with_validation_off_the_fix_turns_it_on() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let on = |extra: serde_json::Value| {
            let mut value = serde_json::json!({"enabled": true, "alwaysAcceptResources": false});
            crate::parse::values::merge(&mut value, extra);
            OutcomeFix::Custom { path: "gateway.validation".into(), value }
        };
        assert_eq!(
            fixes(&RULE, &settings("gloo: {}"), "1.17.38"),
            [(Fail, on(serde_json::json!({})))],
            "no validation block"
        );
        assert_eq!(
            fixes(&RULE, &validation("serverEnabled: false\nalwaysAccept: true"), "1.17.38"),
            [(Fail, on(serde_json::json!({"serverEnabled": true})))]
        );
        assert_eq!(
            fixes(&RULE, &validation("serverEnabled: true\nalwaysAccept: true"), "1.17.38"),
            [(Fail, OutcomeFix::Declared)],
            "validation on: the declared fix"
        );
    }

    #[test]
    fn not_applicable_without_settings() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
