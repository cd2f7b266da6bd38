//! GLOO-003: replace invalid routes instead of freezing the whole proxy's configuration.

use super::helpers::{each_settings, settings_field_true};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-003",
    title: "Invalid routes are replaced",
    severity: Severity::Medium,
    source: "Gloo production guide (Seed-000, Latest) \"Enable replacing invalid routes\"",
    why: "Without it one bad route table blocks configuration updates for a whole proxy, instead \
        of only its own routes answering with an error.",
    predicate: "Settings `spec.gloo.invalidConfigPolicy.replaceInvalidRoutes == true`. Absent = \
        false = FAIL. NA when no Settings is rendered (`settings.create: false`).",
    fix_doc: "All versions: `settings.invalidConfigPolicy.replaceInvalidRoutes: true` (consider \
        `invalidRouteResponseCode` / `invalidRouteResponseBody` too). Not the legacy \
        `settings.replaceInvalidRoutes: true`, which renders the key twice in one mapping.",
    fixes: &[Fix::all("settings.invalidConfigPolicy.replaceInvalidRoutes", "true").unless_set_at(
        "settings.kubeResourceOverride.spec.gloo.invalidConfigPolicy.replaceInvalidRoutes",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_settings(m, |spec| {
        settings_field_true(spec, "gloo.invalidConfigPolicy.replaceInvalidRoutes")
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{settings, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    #[test]
    fn judges_settings() {
        assert_eq!(
            statuses(
                &RULE,
                &settings("gloo:\n  invalidConfigPolicy:\n    replaceInvalidRoutes: false"),
                "1.17.38"
            ),
            [Fail]
        );
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(
                &RULE,
                &settings("gloo:\n  invalidConfigPolicy:\n    replaceInvalidRoutes: true"),
                "1.17.38"
            ),
            [Pass]
        );
        assert_eq!(
            statuses(
                &RULE,
                &settings("gloo:\n  invalidConfigPolicy:\n    replaceInvalidRoutes: \"true\""),
                "1.17.38"
            ),
            [Fail],
            "a string is not a bool"
        );
    }

    #[test]
    fn not_applicable_without_settings() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
