//! ENVOY-004: cap the per-connection buffer of every upstream cluster at 32 KiB.

use super::common::limits::buffer_limit;
use super::helpers::na_without;
use super::{Outcome, Rule, Severity, Target};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "ENVOY-004",
    title: "Upstream buffer limit <= 32 KiB",
    severity: Severity::Low,
    source: "Envoy edge best practices: \"cluster buffer limits to 32 KiB\"",
    why: "Caps the memory a slow or hostile upstream (or a large response) can pin per upstream \
        connection; the Envoy default is 1 MiB.",
    predicate: "Every rendered Upstream (`gloo.solo.io` `Upstream`): \
        `spec.connectionConfig.perConnectionBufferLimitBytes` is an integer in `1..32768`. \
        Absent = Envoy default 1 MiB = FAIL. NA when no Upstream is rendered (the Gloo chart \
        renders none; Gloo exposes no global default in Settings or Helm).",
    fix_doc: "Not a Helm value: set `spec.connectionConfig.perConnectionBufferLimitBytes: 32768` \
        on each Upstream CR (discovered Upstreams inherit nothing; the Envoy example's upstream \
        HTTP/2 window sizes are likewise Upstream-level settings).",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let outcomes = m
        .of_kind("Upstream")
        .filter(|u| u.group() == "gloo.solo.io")
        .map(|u| {
            let (status, message) = buffer_limit(
                "spec.connectionConfig.perConnectionBufferLimitBytes",
                u.root.path("spec.connectionConfig.perConnectionBufferLimitBytes"),
            );
            Outcome::new(status, u, Target::Chart, message)
        })
        .collect();
    na_without(m, outcomes, "Upstream")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::statuses;
    use crate::rules::Status::*;

    fn upstream(connection_config: &str) -> String {
        format!("---\napiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata:\n  name: u\n  namespace: gloo-system\nspec:\n  static:\n    hosts:\n    - addr: example.com\n      port: 80\n{connection_config}")
    }

    #[test]
    fn judges_every_upstream() {
        assert_eq!(statuses(&RULE, &upstream(""), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(
                &RULE,
                &upstream("  connectionConfig:\n    perConnectionBufferLimitBytes: 1048576\n"),
                "1.17.38"
            ),
            [Fail]
        );
        assert_eq!(
            statuses(
                &RULE,
                &upstream("  connectionConfig:\n    perConnectionBufferLimitBytes: 32768\n"),
                "1.17.38"
            ),
            [Pass]
        );
        let two = upstream("  connectionConfig:\n    perConnectionBufferLimitBytes: 32768\n")
            + &upstream("").replace("name: u", "name: v");
        assert_eq!(statuses(&RULE, &two, "1.17.38"), [Pass, Fail]);
    }

    #[test]
    fn not_applicable_without_upstreams() {
        let other = "---\napiVersion: example.com/v1\nkind: Upstream\nmetadata:\n  name: foreign\n";
        assert_eq!(statuses(&RULE, other, "1.17.38"), [Na]);
    }
}
