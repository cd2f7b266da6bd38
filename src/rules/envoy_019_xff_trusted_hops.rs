//! ENVOY-019: advice on how many X-Forwarded-For hops to trust.

use super::helpers::{each_http_option_sets, show};
use super::{Rule, Severity, Status};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-019",
    title: "xff_num_trusted_hops (advice)",
    severity: Severity::Info,
    source: "Envoy `use_remote_address` / X-Forwarded-For documentation, linked from Gloo's \
        production guide (Seed-000, Latest)",
    why: "The client address Envoy uses for logs, rate limits and RBAC is only right when the \
        number of trusted XFF hops matches the proxies really in front of Envoy; a larger value \
        lets clients spoof their address.",
    predicate: "Advisory only, never a failure: per HTTP Gateway (each `httpGateway`, and each \
        matched gateway of a hybrid Gateway) report \
        `httpConnectionManagerSettings.useRemoteAddress`, `xffNumTrustedHops` and \
        `skipXffAppend` as rendered. `xffNumTrustedHops` should equal the number of trusted L7 \
        proxies in front of Envoy (0 when clients connect directly or through an L4 load \
        balancer). TCP-only Gateways are NA; no Gateway rendered = NA.",
    fix_doc: "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings.xffNumTrustedHops: \
        <number of trusted L7 proxies>` and the same under `customHttpsGateway`, together with \
        `useRemoteAddress: true` (ENVOY-005). Not fixed automatically: the right number depends \
        on your topology.",
    fixes: &[],
    check,
};

/// The XFF settings of one HTTP option set, as rendered.
fn describe(options: &Node) -> String {
    let hcm = options.get("httpConnectionManagerSettings");
    let field =
        |name: &str, absent: &str| match hcm.and_then(|h| h.get(name)).filter(|n| !n.is_null()) {
            None => absent.to_string(),
            v => show(v),
        };
    format!(
        "useRemoteAddress {}, xffNumTrustedHops {}, skipXffAppend {}",
        field("useRemoteAddress", "absent (false)"),
        field("xffNumTrustedHops", "absent (0)"),
        field("skipXffAppend", "absent (false)")
    )
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_http_option_sets(m, |sets| {
        let settings = match sets {
            [one] => describe(one),
            // A hybrid Gateway: every matched gateway's settings, each may differ.
            several => several
                .iter()
                .enumerate()
                .map(|(i, o)| format!("matched gateway {}: {}", i + 1, describe(o)))
                .collect::<Vec<_>>()
                .join("; "),
        };
        (Status::Advisory, format!("{settings}: set xffNumTrustedHops to the number of trusted L7 proxies in front of Envoy"))
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{
        gateways, na_without_http_gateways, outcomes_with_messages, statuses,
    };
    use crate::rules::Status::*;

    #[test]
    fn reports_the_xff_settings_as_advice() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Advisory, Advisory]);
        let set = "options:\n  httpConnectionManagerSettings:\n    useRemoteAddress: true\n    xffNumTrustedHops: 1";
        let out = outcomes_with_messages(&RULE, &gateways(set, ""), "1.17.38");
        assert_eq!(out[0].0, Advisory);
        assert!(
            out[0].2.starts_with(
                "useRemoteAddress true, xffNumTrustedHops 1, skipXffAppend absent (false)"
            ),
            "{}",
            out[0].2
        );
    }

    #[test]
    fn every_matched_gateway_of_a_hybrid_gateway_is_reported() {
        let hybrid = "---\napiVersion: gateway.solo.io/v1\nkind: Gateway\nmetadata:\n  name: hybrid\nspec:\n  bindPort: 8080\n  hybridGateway:\n    matchedGateways:\n    - httpGateway:\n        options:\n          httpConnectionManagerSettings:\n            useRemoteAddress: true\n    - httpGateway:\n        options:\n          httpConnectionManagerSettings:\n            useRemoteAddress: false\n";
        let out = outcomes_with_messages(&RULE, hybrid, "1.17.38");
        assert_eq!(out[0].0, Advisory);
        assert!(out[0].2.starts_with("matched gateway 1: useRemoteAddress true, xffNumTrustedHops absent (0), skipXffAppend absent (false); matched gateway 2: useRemoteAddress false,"), "{}", out[0].2);
    }

    #[test]
    fn tcp_gateways_and_empty_renders_are_not_applicable() {
        na_without_http_gateways(&RULE);
    }
}
