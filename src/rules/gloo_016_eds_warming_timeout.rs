//! GLOO-016: the EDS warming timeout is not disabled.

use super::helpers::{each_settings, fail, pass, show};
use super::{Fix, Rule, Severity};
use crate::parse::model::{duration_seconds, Model};

pub(super) static RULE: Rule = Rule {
    id: "GLOO-016",
    title: "EDS warming timeout non-zero",
    severity: Severity::Low,
    source:
        "Gloo production guide (Seed-000, Latest): \"Set up the endpoints warming timeout to a \
        non-zero value\"",
    why: "Without a warming timeout gloo may serve Envoy clusters before their endpoints are \
        known, sending traffic nowhere after a restart.",
    predicate: "Settings `spec.gloo.endpointsWarmingTimeout` absent (Gloo uses 5m when unset, all \
        three versions) or a duration > 0. `0` / `0s` = FAIL; an unparsable value = FAIL. NA \
        when no Settings is rendered (`settings.create: false`).",
    fix_doc: "All versions: leave it unset (5m default). To set it explicitly there is no \
        first-class key: `settings.kubeResourceOverride.spec.gloo.endpointsWarmingTimeout: 300s` \
        (this re-serialises the Settings document). If endpoints do not warm within the timeout, \
        gloo panics and restarts.",
    fixes: &[Fix::all("settings.kubeResourceOverride.spec.gloo.endpointsWarmingTimeout", "300s")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_settings(m, |spec| {
        let Some(timeout) = spec.path("gloo.endpointsWarmingTimeout").filter(|n| !n.is_null())
        else {
            return pass("endpointsWarmingTimeout is absent (Gloo default 5m)");
        };
        match duration_seconds(timeout) {
            Some(s) if s > 0.0 => {
                pass(format!("endpointsWarmingTimeout is {}", show(Some(timeout))))
            }
            Some(_) => fail(format!(
                "spec.gloo.endpointsWarmingTimeout is {}: warming is disabled",
                show(Some(timeout))
            )),
            None => fail(format!(
                "spec.gloo.endpointsWarmingTimeout is {}: not a duration",
                show(Some(timeout))
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{settings, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    fn timeout(v: &str) -> String {
        settings(&format!("gloo:\n  endpointsWarmingTimeout: {v}"))
    }

    #[test]
    fn absent_or_positive_passes() {
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Pass]);
        assert_eq!(statuses(&RULE, &timeout("~"), "1.17.38"), [Pass], "null = absent");
        for v in ["300s", "5m", "0.5s", "1h"] {
            assert_eq!(statuses(&RULE, &timeout(v), "1.17.38"), [Pass], "{v}");
        }
    }

    #[test]
    fn zero_or_garbage_fails() {
        for v in ["0s", "0", "\"0s\"", "0ms", "soon", "-5s"] {
            assert_eq!(statuses(&RULE, &timeout(v), "1.17.38"), [Fail], "{v}");
        }
    }

    #[test]
    fn not_applicable_without_settings() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
