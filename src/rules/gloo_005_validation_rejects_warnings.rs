//! GLOO-005: the validation webhook also rejects resources that only produce warnings.

use super::common::validation::{turning_validation_on, validation_block};
use super::helpers::{each_settings, fail, pass};
use super::{Fix, Rule, Severity};
use crate::model::Model;
use crate::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-005",
    title: "Validation rejects warnings",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest): `allowWarnings: false # reject if warning status or \
        rejected status`",
    why: "Resources with warnings (missing upstream, bad reference) are otherwise admitted and \
        reach the proxy.",
    predicate: "Settings `spec.gateway.validation.allowWarnings == false`. Absent = true = FAIL. \
        Validation off (no `spec.gateway.validation` block, or `serverEnabled: false`) = FAIL. \
        NA when no Settings is rendered (`settings.create: false`).",
    fix_doc: "All versions: `gateway.validation.allowWarnings: false`. Resources that reference \
        objects created later (an Upstream applied after its VirtualService) are then rejected, \
        so apply in dependency order. Enterprise/umbrella: \
        `gloo.gateway.validation.allowWarnings`.",
    fixes: &[Fix::all("gateway.validation.allowWarnings", "false")
        .unless_set_at("settings.kubeResourceOverride.spec.gateway.validation.allowWarnings")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_settings(m, |spec| {
        let validation = match validation_block(spec) {
            Ok(v) => v,
            Err(verdict) => return verdict,
        };
        match validation.get("allowWarnings").and_then(Node::as_bool) {
            Some(false) => pass("allowWarnings is false"),
            Some(true) => fail("spec.gateway.validation.allowWarnings is true: resources with warnings are admitted"),
            None => fail("spec.gateway.validation.allowWarnings is absent (true): resources with warnings are admitted"),
        }
    });
    turning_validation_on(outcomes, "allowWarnings", false.into())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{indent, settings, statuses};
    use crate::rules::Status::*;

    fn validation(fields: &str) -> String {
        settings(&format!("gateway:\n  validation:\n{}", indent(fields, 4)))
    }

    #[test]
    fn judges_allow_warnings() {
        assert_eq!(
            statuses(&RULE, &validation("serverEnabled: true\nallowWarnings: true"), "1.13.39"),
            [Fail]
        );
        assert_eq!(
            statuses(&RULE, &validation("serverEnabled: true"), "1.13.39"),
            [Fail],
            "absent = true"
        );
        assert_eq!(
            statuses(&RULE, &validation("serverEnabled: true\nallowWarnings: false"), "1.13.39"),
            [Pass]
        );
        assert_eq!(
            statuses(&RULE, &validation("allowWarnings: \"false\""), "1.13.39"),
            [Fail],
            "a string is not a bool"
        );
    }

    #[test]
    fn fails_when_validation_is_off() {
        assert_eq!(
            statuses(&RULE, &validation("serverEnabled: false\nallowWarnings: false"), "1.22.1"),
            [Fail]
        );
        assert_eq!(statuses(&RULE, &settings("gateway: {}"), "1.22.1"), [Fail]);
    }

    #[test]
    fn not_applicable_without_settings() {
        assert_eq!(
            statuses(
                &RULE,
                "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\n",
                "1.17.38"
            ),
            [Na]
        );
    }
}
