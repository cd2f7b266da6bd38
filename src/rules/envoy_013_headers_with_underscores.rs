//! ENVOY-013: reject (or drop) request headers whose names contain underscores.

use super::helpers::{each_hcm_setting, enum_is, fail, pass, same_under_https_gateway, show};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

/// What the fix changes in how traffic is handled: shown as "review before applying" with the
/// fix in the overlay, `fix` and review comments ([`super::review_before_applying`]).
pub(super) const REVIEW_BEFORE_APPLYING: &str = "requests carrying a header with `_` in its name are rejected with 400: check that no client sends one (some legacy clients and proxies do); `DROP_HEADER` is the softer action";

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-013",
    title: "Headers with underscores rejected",
    severity: Severity::Medium,
    source: "Envoy edge best practices: \"headers_with_underscores_action setting to \
        REJECT_REQUEST, to protect upstream services that treat '_' and '-' as interchangeable\"",
    why: "Upstreams that treat `_` and `-` alike let a client smuggle a header (`x_user_id`) past \
        filters and policies that match the `-` spelling.",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): `options.httpConnectionManagerSettings.headersWithUnderscoresAction` is \
        `REJECT_CLIENT_REQUEST` (1) or `DROP_HEADER` (2), by name or number. Absent / `ALLOW` \
        (0) = FAIL; Envoy's spelling `REJECT_REQUEST` passes the CRD (int-or-string) but is not \
        a Gloo enum value = FAIL. TCP-only Gateways are NA; no Gateway rendered = NA.",
    fix_doc: concat!(
        "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.headersWithUnderscoresAction: \
            REJECT_CLIENT_REQUEST` and ",
        same_under_https_gateway!(),
        ". Use Gloo's enum name, not Envoy's `REJECT_REQUEST`. Breaks clients that legitimately \
            send underscore headers; `DROP_HEADER` is the softer option.",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.headersWithUnderscoresAction", "REJECT_CLIENT_REQUEST")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_hcm_setting(m, "headersWithUnderscoresAction", |v| {
        if enum_is(v, &[("REJECT_CLIENT_REQUEST", 1), ("DROP_HEADER", 2)]) {
            pass(format!("headersWithUnderscoresAction is {}", show(v)))
        } else if v.and_then(Node::as_str) == Some("REJECT_REQUEST") {
            fail("headersWithUnderscoresAction is REJECT_REQUEST (Envoy's name, not a Gloo value): use REJECT_CLIENT_REQUEST")
        } else if v.is_none() {
            fail("headersWithUnderscoresAction is absent (ALLOW)")
        } else {
            fail(format!("headersWithUnderscoresAction is {}", show(v)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, hcm, na_without_http_gateways, statuses};
    use crate::rules::Status::*;

    #[test]
    fn absent_allow_or_envoy_name_fails() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("headersWithUnderscoresAction: ALLOW"), ""), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("headersWithUnderscoresAction: 0"), ""), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(
                &RULE,
                &gateways(&hcm("headersWithUnderscoresAction: REJECT_REQUEST"), ""),
                "1.17.38"
            ),
            [Fail, Fail]
        );
    }

    #[test]
    fn reject_or_drop_passes_by_name_or_number() {
        assert_eq!(
            statuses(
                &RULE,
                &gateways(&hcm("headersWithUnderscoresAction: REJECT_CLIENT_REQUEST"), ""),
                "1.17.38"
            ),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(
                &RULE,
                &gateways(&hcm("headersWithUnderscoresAction: DROP_HEADER"), ""),
                "1.17.38"
            ),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("headersWithUnderscoresAction: 1"), ""), "1.17.38"),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(&RULE, &gateways(&hcm("headersWithUnderscoresAction: 2"), ""), "1.13.39"),
            [Pass, Pass]
        );
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
