//! GLOO-031: Enterprise proxies measure their own latency with the proxy latency filter.

use super::helpers::{each_http_gateway, fail, pass};
use super::{Outcome, Rule, Severity, Status, Target};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-031",
    title: "Proxy latency filter (Enterprise)",
    severity: Severity::Info,
    source: "Gloo production guide (Latest) \"Proxy latency filter\": enable it \"in the \
        `httpGateway.options` section of your Gateway\"",
    why:
        "Without it the time Envoy itself adds to requests is not measured, so proxy-side latency \
        cannot be told apart from upstream latency.",
    predicate: "Enterprise renders only (an image named `gloo-ee*`): every HTTP Gateway has a \
        non-null `<httpGateway>.options.proxyLatency`. Absent = FAIL; TCP-only Gateways are NA. \
        Open-source render: NA (open-source Gloo rejects the option).",
    fix_doc: "Enterprise chart: \
        `gloo.gatewayProxies.<name>.gatewaySettings.customHttpGateway.options.proxyLatency: \
        {...}` (fields per Gloo's proxylatency API reference) and the same under \
        `customHttpsGateway` (each replaces the whole generated httpGateway: keep all options in \
        one block). Never set it on the open-source chart: open-source Gloo reports \
        `proxyLatency` as an Enterprise-only option and rejects the Gateway.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    if !m.enterprise {
        return m
            .docs
            .first()
            .map(|doc| {
                Outcome::new(
                    Status::Na,
                    doc,
                    Target::Chart,
                    "open-source render: proxyLatency is an Enterprise-only option",
                )
            })
            .into_iter()
            .collect();
    }
    each_http_gateway(m, |options| match options.get("proxyLatency").filter(|n| !n.is_null()) {
        Some(_) => pass("proxyLatency is configured"),
        None => fail("proxyLatency is absent"),
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, gloo, statuses};
    use crate::rules::Status::*;

    fn enterprise(http: &str) -> String {
        gloo("", "").replace("quay.io/solo-io/gloo:1.17.38", "quay.io/solo-io/gloo-ee:1.17.8")
            + &gateways(http, "")
    }

    #[test]
    fn open_source_renders_are_not_applicable() {
        let render = gloo("", "") + &gateways("", "");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Na]);
        let with_it = gloo("", "")
            + &gateways("options:\n  proxyLatency: {measureRequestInternally: true}", "");
        assert_eq!(statuses(&RULE, &with_it, "1.17.38"), [Na]);
    }

    #[test]
    fn enterprise_gateways_need_the_filter() {
        assert_eq!(statuses(&RULE, &enterprise(""), "1.17.8"), [Fail, Fail]);
        assert_eq!(
            statuses(
                &RULE,
                &enterprise("options:\n  proxyLatency: {measureRequestInternally: true}"),
                "1.17.8"
            ),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(&RULE, &enterprise("options:\n  proxyLatency: null"), "1.17.8"),
            [Fail, Fail]
        );
    }

    #[test]
    fn enterprise_tcp_gateways_are_not_applicable() {
        let render = enterprise("").replace("      httpGateway: {}\n", "      tcpGateway: {}\n");
        assert_eq!(statuses(&RULE, &render, "1.17.8"), [Na, Na]);
    }
}
