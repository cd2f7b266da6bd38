//! GLOO-036: Upstreams keep idle connections alive with TCP keepalive.

use super::common::upstreams::each_upstream;
use super::helpers::{fail, pass};
use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-036",
    title: "Upstream TCP keepalive",
    severity: Severity::Info,
    source: "Gloo TCP keepalive guide (linked from the production guide, Latest), \"TCP keepalive \
        on upstream connections\": Upstream `connectionConfig.tcpKeepalive`",
    why: "Idle pooled connections to upstreams are dropped silently by NATs and \
        connection-tracking firewalls, and the next request on them fails.",
    predicate: "Every rendered `gloo.solo.io` `Upstream` has a non-null \
        `spec.connectionConfig.tcpKeepalive`. Absent = FAIL. NA when no Upstream is rendered \
        (the Gloo chart renders none).",
    fix_doc: "Not a Gloo chart value: set `spec.connectionConfig.tcpKeepalive: {keepaliveTime: \
        60s, keepaliveInterval: 10s, keepaliveProbes: 3}` (idle time below the idle timeout of \
        any middlebox on the path) on the Upstream resources in the chart or manifests that \
        create them.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    each_upstream(m, |spec| {
        match spec.path("connectionConfig.tcpKeepalive").filter(|n| !n.is_null()) {
            Some(_) => pass("spec.connectionConfig.tcpKeepalive is set"),
            None => fail("spec.connectionConfig.tcpKeepalive is absent"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{proxy, statuses, upstream};
    use crate::rules::Status::*;

    #[test]
    fn judges_every_upstream() {
        let on = upstream("a", "connectionConfig:\n  tcpKeepalive:\n    keepaliveTime: 60s\n    keepaliveInterval: 10s");
        assert_eq!(statuses(&RULE, &(on + &upstream("b", "")), "1.17.38"), [Pass, Fail]);
        assert_eq!(
            statuses(
                &RULE,
                &upstream("c", "connectionConfig:\n  maxRequestsPerConnection: 10"),
                "1.17.38"
            ),
            [Fail]
        );
    }

    #[test]
    fn not_applicable_without_upstreams() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
    }
}
