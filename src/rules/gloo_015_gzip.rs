//! GLOO-015: HTTP Gateways enable Envoy's gzip (compression) filter.

use super::helpers::{each_http_gateway, fail, pass};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-015",
    title: "Gzip filter",
    severity: Severity::Info,
    source: "Gloo production guide (Seed-000, Latest): \"Optionally, you may choose to enable \
        Envoy's gzip filter\"",
    why: "Optional performance feature: compressing responses saves bandwidth and client latency \
        at some proxy CPU cost.",
    predicate: "Every HTTP Gateway (each `httpGateway`, including hybrid matched gateways): \
        `options.gzip` is present (any content, `{}` included). TCP-only Gateways are NA.",
    fix_doc:
        "All versions: `gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.gzip: \
        {compressionLevel: SPEED}` and the same under `customHttpsGateway` (each replaces the \
        whole `httpGateway`: keep all its options in one block; `httpGatewayKubeOverride` / \
        `httpsGatewayKubeOverride` deep-merge instead). Compression costs CPU, and compressing \
        secrets next to attacker-controlled content over TLS enables BREACH-style attacks: leave \
        it off for such responses.",
    fixes: &[Fix::all("{GW}.options.gzip", "{compressionLevel: SPEED}")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_http_gateway(m, |options| match options.get("gzip").filter(|g| !g.is_null()) {
        Some(g) => pass(format!("gzip is configured: {}", super::helpers::show(Some(g)))),
        None => fail("httpGateway.options.gzip is absent: responses are not compressed"),
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, settings, statuses, tcp_gateways};
    use crate::rules::Status::*;

    #[test]
    fn judges_every_http_gateway() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        assert_eq!(
            statuses(
                &RULE,
                &gateways("options:\n  gzip:\n    compressionLevel: SPEED", ""),
                "1.17.38"
            ),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(&RULE, &gateways("options:\n  gzip: {}", ""), "1.17.38"),
            [Pass, Pass],
            "any content"
        );
        assert_eq!(
            statuses(&RULE, &gateways("options:\n  gzip: null", ""), "1.17.38"),
            [Fail, Fail]
        );
        let one = gateways("options:\n  gzip: {}", "").replacen(
            "gzip: {}",
            "healthCheck: {path: /hc}",
            1,
        );
        assert_eq!(statuses(&RULE, &one, "1.17.38"), [Fail, Pass]);
    }

    #[test]
    fn not_applicable_for_tcp_or_without_gateways() {
        let tcp = tcp_gateways("");
        assert_eq!(statuses(&RULE, &tcp, "1.17.38"), [Na, Na]);
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Na]);
    }
}
