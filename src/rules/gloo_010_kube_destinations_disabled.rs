//! GLOO-010: no in-memory Upstreams for every Kubernetes Service.

use super::helpers::{each_settings, settings_field_true};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

/// What the fix changes in how traffic is handled: shown as "review before applying" with the
/// fix in the overlay, `fix` and review comments ([`super::review_before_applying`]).
pub(super) const REVIEW_BEFORE_APPLYING: &str = "routes that send traffic straight to a Kubernetes Service (`routeAction.single.kube` destinations) stop working; move them to Upstreams first, or suppress this rule";

pub(super) static RULE: Rule = Rule {
    id: "GLOO-010",
    title: "Kubernetes destinations disabled",
    severity: Severity::Low,
    source: "Gloo production guide (Seed-000, Seed-001, Latest): \"it is therefore recommended to \
        remove in-memory Upstream resources by setting disableKubernetesDestinations: true\"",
    why: "Gloo otherwise keeps an in-memory Upstream per Kubernetes Service, costing memory and \
        translation time on large clusters.",
    predicate:
        "Settings `spec.gloo.disableKubernetesDestinations == true`. Absent = false = FAIL. \
        NA when no Settings is rendered (`settings.create: false`).",
    fix_doc: "All versions: `settings.disableKubernetesDestinations: true`. The seeds' \
        `settings.gloo.disableKubernetesDestinations` does not exist and is silently ignored. \
        Routes using `routeAction.single.kube` destinations stop working: use Upstreams, or \
        suppress this rule if the team relies on kube destinations.",
    fixes: &[Fix::all("settings.disableKubernetesDestinations", "true")
        .unless_set_at("settings.kubeResourceOverride.spec.gloo.disableKubernetesDestinations")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_settings(m, |spec| settings_field_true(spec, "gloo.disableKubernetesDestinations"))
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{settings, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    #[test]
    fn judges_settings() {
        assert_eq!(
            statuses(&RULE, &settings("gloo:\n  disableKubernetesDestinations: false"), "1.17.38"),
            [Fail]
        );
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Fail], "absent = false");
        assert_eq!(
            statuses(&RULE, &settings("gloo:\n  disableKubernetesDestinations: true"), "1.17.38"),
            [Pass]
        );
        assert_eq!(
            statuses(
                &RULE,
                &settings("gloo:\n  disableKubernetesDestinations: \"true\""),
                "1.17.38"
            ),
            [Fail],
            "a string is not a bool"
        );
        assert_eq!(
            statuses(&RULE, &settings("disableKubernetesDestinations: true"), "1.17.38"),
            [Fail],
            "wrong level"
        );
    }

    #[test]
    fn not_applicable_without_settings() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
