//! GLOO-006: validation reports routes shadowed by earlier routes.

use super::common::validation::turning_validation_on;
use super::helpers::{each_settings, settings_field_true};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-006",
    title: "Route short-circuit warnings on",
    severity: Severity::Low,
    source: "Gloo production guide (Latest) \"More validation hooks\": `warnRouteShortCircuiting: \
        true`",
    why: "Routes that can never match (shadowed by an earlier prefix or regex) otherwise go \
        unnoticed.",
    predicate: "Settings `spec.gateway.validation.warnRouteShortCircuiting == true`. Absent = \
        false = FAIL (so does a missing validation block). NA when no Settings is rendered \
        (`settings.create: false`).",
    fix_doc: "All versions: `gateway.validation.warnRouteShortCircuiting: true`. Combined with \
        `allowWarnings: false` (GLOO-005) shadowed routes are rejected. The Settings proto marks \
        the field deprecated in all three versions, but the controllers still read it. \
        Enterprise/umbrella: `gloo.gateway.validation.warnRouteShortCircuiting`.",
    fixes: &[Fix::all("gateway.validation.warnRouteShortCircuiting", "true").unless_set_at(
        "settings.kubeResourceOverride.spec.gateway.validation.warnRouteShortCircuiting",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_settings(m, |spec| {
        settings_field_true(spec, "gateway.validation.warnRouteShortCircuiting")
    });
    turning_validation_on(outcomes, "warnRouteShortCircuiting", true.into())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{settings, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    #[test]
    fn judges_the_flag() {
        let v = |f: &str| {
            settings(&format!("gateway:\n  validation:\n    serverEnabled: true\n    {f}"))
        };
        assert_eq!(statuses(&RULE, &v("warnRouteShortCircuiting: false"), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &v("alwaysAccept: true"), "1.17.38"), [Fail], "absent = false");
        assert_eq!(statuses(&RULE, &v("warnRouteShortCircuiting: true"), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(&RULE, &v("warnRouteShortCircuiting: \"true\""), "1.17.38"),
            [Fail],
            "a string is not a bool"
        );
        assert_eq!(
            statuses(&RULE, &settings("gateway: {}"), "1.17.38"),
            [Fail],
            "no validation block"
        );
    }

    #[test]
    fn not_applicable_without_settings() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
