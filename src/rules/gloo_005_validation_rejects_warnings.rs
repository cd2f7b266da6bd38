//! GLOO-005: the validation webhook also rejects resources that only produce warnings.

use super::common::validation::{turning_validation_on, validation_key_false};
use super::helpers::each_settings;
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

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
        validation_key_false(spec, "allowWarnings", "resources with warnings are admitted")
    });
    turning_validation_on(outcomes, "allowWarnings", false.into())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{judges_a_validation_key_that_must_be_false, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    #[test]
    fn judges_allow_warnings() {
        judges_a_validation_key_that_must_be_false(&RULE, "allowWarnings");
    }

    #[test]
    fn not_applicable_without_settings() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
