//! ENVOY-003: cap the per-connection buffer of every listener at 32 KiB.

use super::common::limits::buffer_limit;
use super::helpers::each_gateway;
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-003",
    title: "Listener buffer limit <= 32 KiB",
    severity: Severity::Medium,
    source: "Envoy edge best practices: \"listener buffer limits to 32 KiB\"",
    why: "Caps the memory a slow or hostile client can pin per connection; the Envoy default is 1 \
        MiB.",
    predicate: "Every Gateway (HTTP, TCP and hybrid): `spec.options.perConnectionBufferLimitBytes` \
        is an integer in `1..32768`. Absent = Envoy default 1 MiB = FAIL. No Gateway rendered = \
        NA.",
    fix_doc: "All versions: \
        `gatewayProxies.<name>.gatewaySettings.options.perConnectionBufferLimitBytes: 32768` \
        (listener-wide `spec.options` of both generated Gateways). The Enterprise failover \
        Gateway needs `gatewayProxies.<name>.failover.kubeResourceOverride.spec.options.perConnectionBufferLimitBytes`. \
        Large uploads through filters that buffer bodies (transformations, ext-auth with body) \
        may need a larger limit.",
    fixes: &[Fix::all("{GP}.gatewaySettings.options.perConnectionBufferLimitBytes", "32768")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway(m, |_, spec| {
        buffer_limit(
            "spec.options.perConnectionBufferLimitBytes",
            spec.path("options.perConnectionBufferLimitBytes"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, statuses, tcp_gateways, NOT_GLOO};
    use crate::rules::Status::*;

    #[test]
    fn absent_zero_or_too_large_fails() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        assert_eq!(
            statuses(&RULE, &gateways("", "perConnectionBufferLimitBytes: 0"), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways("", "perConnectionBufferLimitBytes: 1048576"), "1.17.38"),
            [Fail, Fail]
        );
        assert_eq!(
            statuses(&RULE, &gateways("", "perConnectionBufferLimitBytes: \"32768\""), "1.17.38"),
            [Fail, Fail]
        );
    }

    #[test]
    fn at_most_32k_passes() {
        assert_eq!(
            statuses(&RULE, &gateways("", "perConnectionBufferLimitBytes: 32768"), "1.17.38"),
            [Pass, Pass]
        );
        assert_eq!(
            statuses(&RULE, &gateways("", "perConnectionBufferLimitBytes: 1"), "1.13.39"),
            [Pass, Pass]
        );
    }

    #[test]
    fn tcp_gateways_are_judged_too() {
        let render = tcp_gateways("perConnectionBufferLimitBytes: 32768");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Pass, Pass]);
        let render = tcp_gateways("");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Fail, Fail]);
    }

    #[test]
    fn not_applicable_without_gateways() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}
