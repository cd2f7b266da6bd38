//! ENVOY-017: merge adjacent slashes in request paths.

use super::helpers::{boolean, each_hcm_setting, fail, pass, same_under_https_gateway};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

/// What the fix changes in how traffic is handled: shown as "review before applying" with the
/// fix in the overlay, `fix` and review comments ([`super::review_before_applying`]).
pub(super) const REVIEW_BEFORE_APPLYING: &str = "`//` in a path becomes `/` before routing and as sent upstream: routes that match a double slash stop matching, and upstreams that give `//` a meaning see a changed path";

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-017",
    title: "Merge slashes",
    severity: Severity::Medium,
    source: "Envoy edge best practices: \"Enable merge_slashes setting\" (when routing on paths)",
    why: "Without it `//admin` does not match a `/admin` route or policy, so path-based routing \
        and authorization can be bypassed.",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): `options.httpConnectionManagerSettings.mergeSlashes == true` (a YAML boolean). \
        Absent = false = FAIL. TCP-only Gateways are NA; no Gateway rendered = NA.",
    fix_doc: concat!(
        "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.mergeSlashes: \
            true` and ",
        same_under_https_gateway!(),
        ". Upstreams that give `//` a meaning see a changed path.",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.mergeSlashes", "true")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_hcm_setting(m, "mergeSlashes", |v| match boolean(v, "mergeSlashes") {
        Ok(None) => fail("mergeSlashes is absent (false)"),
        Ok(Some(true)) => pass("mergeSlashes is true"),
        Ok(Some(false)) => fail("mergeSlashes is false"),
        Err(not_boolean) => not_boolean,
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, hcm, na_without_http_gateways, statuses};
    use crate::rules::Status::*;

    #[test]
    fn absent_false_or_string_fails() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("mergeSlashes: false"), ""), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("mergeSlashes: \"true\""), ""), "1.17.38"),
            [Fail, Fail]
        );
    }

    #[test]
    fn true_passes() {
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("mergeSlashes: true"), ""), "1.17.38"),
            [Pass, Pass]
        );
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
