//! ENVOY-018: reject or redirect paths with escaped slashes (`%2F`, `%5C`).

use super::helpers::{each_hcm_setting, enum_is, fail, pass, same_under_https_gateway, show};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

/// What the fix changes in how traffic is handled: shown as "review before applying" with the
/// fix in the overlay, `fix` and review comments ([`super::review_before_applying`]).
pub(super) const REVIEW_BEFORE_APPLYING: &str = "requests with `%2F` or `%5C` in the path are unescaped and redirected (`REJECT_REQUEST` refuses them): backends that require encoded slashes break, and gRPC requests with them are rejected";

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-018",
    title: "Escaped slashes rejected/redirected",
    severity: Severity::Medium,
    source: "Envoy edge best practices: set `path_with_escaped_slashes_action` to REJECT_REQUEST \
        for RFC 3986 clients (gRPC) or UNESCAPE_AND_REDIRECT for clients that follow redirects; \
        UNESCAPE_AND_FORWARD risks path confusion",
    why: "Kept as-is, `/admin%2Fsecret` matches routes and policies differently from how many \
        upstreams decode it (path confusion, authorization bypass).",
    predicate: "Every HTTP Gateway (each `httpGateway`, and each matched gateway of a hybrid \
        Gateway): `options.httpConnectionManagerSettings.pathWithEscapedSlashesAction` is \
        `REJECT_REQUEST` (2) or `UNESCAPE_AND_REDIRECT` (3), by name or number. Absent / \
        `IMPLEMENTATION_SPECIFIC_DEFAULT` (0, Envoy keeps the path unchanged) / `KEEP_UNCHANGED` \
        (1) / `UNESCAPE_AND_FORWARD` (4) = FAIL. TCP-only Gateways are NA; no Gateway rendered = \
        NA.",
    fix_doc: concat!(
        "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.pathWithEscapedSlashesAction: \
            UNESCAPE_AND_REDIRECT` (browsers) or `REJECT_REQUEST` (gRPC/API clients; gRPC \
            requests with escaped slashes are rejected under both), and ",
        same_under_https_gateway!(),
        ". Suppress for backends that require `%2F` in paths.",
    ),
    fixes: &[Fix::all("{GW}.options.httpConnectionManagerSettings.pathWithEscapedSlashesAction", "UNESCAPE_AND_REDIRECT")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_hcm_setting(m, "pathWithEscapedSlashesAction", |v| {
        if enum_is(v, &[("REJECT_REQUEST", 2), ("UNESCAPE_AND_REDIRECT", 3)]) {
            pass(format!("pathWithEscapedSlashesAction is {}", show(v)))
        } else if v.is_none() {
            fail("pathWithEscapedSlashesAction is absent (escaped slashes kept unchanged)")
        } else {
            fail(format!("pathWithEscapedSlashesAction is {}", show(v)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, hcm, na_without_http_gateways, statuses};
    use crate::rules::Status::*;

    #[test]
    fn absent_keep_or_forward_fails() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        for v in [
            "IMPLEMENTATION_SPECIFIC_DEFAULT",
            "KEEP_UNCHANGED",
            "UNESCAPE_AND_FORWARD",
            "0",
            "1",
            "4",
        ] {
            assert_eq!(
                statuses(
                    &RULE,
                    &gateways(&hcm(&format!("pathWithEscapedSlashesAction: {v}")), ""),
                    "1.17.38"
                ),
                [Fail, Fail],
                "{v}"
            );
        }
    }

    #[test]
    fn reject_or_redirect_passes_by_name_or_number() {
        for v in ["REJECT_REQUEST", "UNESCAPE_AND_REDIRECT", "2", "3"] {
            assert_eq!(
                statuses(
                    &RULE,
                    &gateways(&hcm(&format!("pathWithEscapedSlashesAction: {v}")), ""),
                    "1.17.38"
                ),
                [Pass, Pass],
                "{v}"
            );
        }
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
