//! ENVOY-016: path normalisation must not be switched off.

use super::helpers::{boolean, each_hcm_setting, fail, pass, same_under_https_gateway};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

/// What the fix changes in how traffic is handled: shown as "review before applying" with the
/// fix in the overlay, `fix` and review comments ([`super::review_before_applying`]).
pub(super) const REVIEW_BEFORE_APPLYING: &str = "paths are normalised (RFC 3986: `/a/./b/../c` becomes `/a/c`) before routing and as sent upstream: routes and upstreams that rely on the raw path see the normalised one";

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-016",
    title: "Path normalisation not disabled",
    severity: Severity::High,
    source: "Envoy edge best practices: \"Enable normalize_path setting\" when routing on paths \
        (Gloo always does)",
    why: "Without RFC 3986 normalisation, `/admin/../public` or `/./admin` can reach routes and \
        bypass path-based routing and authorization.",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): `options.httpConnectionManagerSettings.normalizePath` absent (Gloo then sets \
        Envoy's `normalize_path: true`, all three versions) or `true` = PASS. `false` = FAIL; \
        any non-boolean (e.g. the string `\"false\"`) = FAIL. TCP-only Gateways are NA; no \
        Gateway rendered = NA.",
    fix_doc: concat!(
        "All versions: leave it unset, or set `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.normalizePath: \
            true` and ",
        same_under_https_gateway!(),
        ".",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.normalizePath", "true")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_hcm_setting(m, "normalizePath", |v| match boolean(v, "normalizePath") {
        Ok(None) => pass("normalizePath is absent (Gloo default true)"),
        Ok(Some(true)) => pass("normalizePath is true"),
        Ok(Some(false)) => fail("normalizePath is false"),
        Err(not_boolean) => not_boolean,
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, hcm, na_without_http_gateways, statuses};
    use crate::rules::Status::*;

    #[test]
    fn absent_or_true_passes() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Pass, Pass]);
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("normalizePath: true"), ""), "1.17.38"),
            [Pass, Pass]
        );
    }

    #[test]
    fn false_fails() {
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("normalizePath: false"), ""), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("normalizePath: \"true\""), ""), "1.17.38"),
            [Fail, Fail],
            "a string is not a bool"
        );
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
