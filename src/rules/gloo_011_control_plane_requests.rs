//! GLOO-011: the gloo control-plane container requests CPU and memory.

use super::common::requests::{missing_requests, requests_verdict};
use super::{Fix, Outcome, Rule, Severity, Target};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-011",
    title: "Control-plane resource requests",
    severity: Severity::Low,
    source: "Gloo production guide (Latest) \"Configure appropriate resource usage\": \
        `gloo.deployment.resources.requests.*`",
    why: "Without requests the control plane is scheduled without reserved capacity and is among \
        the first pods evicted under node pressure.",
    predicate: "The `gloo` container has a CPU and a memory request: `resources.requests.<r>`, or \
        when that key is absent `resources.limits.<r>` (Kubernetes copies a limit into a missing \
        request). A zero quantity counts as no request. NA when the gloo Deployment is not \
        rendered.",
    fix_doc: "All versions: `gloo.deployment.resources.requests.cpu` and `.memory` (the chart \
        defaults to `500m` / `256Mi` while `gloo.deployment.resources` is unset). Setting \
        `gloo.deployment.resources` at all replaces the default block, so `resources: {limits: \
        {memory: 1Gi}}` alone leaves no CPU request. Size with load tests; CPU throttling is the \
        signal to watch.",
    fixes: &[Fix::all("gloo.deployment.resources.requests", "{cpu: 500m, memory: 256Mi}")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let (Some(gloo), Some(container)) = (m.gloo, m.gloo_container()) else {
        return super::helpers::na_without(m, Vec::new(), "gloo control-plane Deployment");
    };
    let (status, message) = requests_verdict(container);
    vec![Outcome::new(status, gloo, Target::Chart, message)
        .fixed_by(missing_requests(container, "gloo.deployment.resources.requests"))]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gloo, outcomes_with_messages, settings, statuses};
    use crate::rules::Status::*;

    #[test]
    fn judges_requests_and_limits() {
        let res =
            |r: &str| gloo("", &format!("resources:\n{}", crate::rules::testing::indent(r, 2)));
        assert_eq!(
            statuses(&RULE, &res("requests:\n  cpu: 500m\n  memory: 256Mi"), "1.17.38"),
            [Pass]
        );
        assert_eq!(statuses(&RULE, &gloo("", ""), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(&RULE, &res("limits:\n  memory: 1Gi"), "1.17.38"),
            [Fail],
            "no CPU request"
        );
        assert_eq!(
            statuses(&RULE, &res("limits:\n  cpu: 1\n  memory: 1Gi"), "1.17.38"),
            [Pass],
            "limits are copied into requests"
        );
        assert_eq!(
            statuses(&RULE, &res("requests:\n  cpu: 100m\nlimits:\n  memory: 1Gi"), "1.17.38"),
            [Pass]
        );
        assert_eq!(
            statuses(
                &RULE,
                &res("requests:\n  cpu: 0\n  memory: 256Mi\nlimits:\n  cpu: 1"),
                "1.17.38"
            ),
            [Fail],
            "an explicit zero request is not replaced by the limit"
        );
        assert_eq!(
            statuses(&RULE, &res("requests:\n  cpu: 0m\n  memory: 256Mi"), "1.17.38"),
            [Fail]
        );
        let out = outcomes_with_messages(&RULE, &res("requests:\n  cpu: 500m"), "1.17.38");
        assert_eq!(out[0].2, "no memory request (resources.requests and resources.limits)");
    }

    #[test]
    fn the_fix_adds_only_the_missing_requests_and_none_above_a_limit() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let res =
            |r: &str| gloo("", &format!("resources:\n{}", crate::rules::testing::indent(r, 2)));
        let requests = |value: serde_json::Value| OutcomeFix::Custom {
            path: "gloo.deployment.resources.requests".into(),
            value,
        };
        assert_eq!(
            fixes(&RULE, &gloo("", ""), "1.17.38"),
            [(Fail, requests(serde_json::json!({"cpu": "500m", "memory": "256Mi"})))]
        );
        assert_eq!(
            fixes(&RULE, &res("limits:\n  cpu: 250m"), "1.17.38"),
            [(Fail, requests(serde_json::json!({"memory": "256Mi"})))],
            "the CPU limit is the CPU request"
        );
        assert_eq!(
            fixes(
                &RULE,
                &res("requests:\n  memory: 0\nlimits:\n  cpu: 250m\n  memory: 128Mi"),
                "1.17.38"
            ),
            [(Fail, requests(serde_json::json!({"memory": "128Mi"})))],
            "not above the limit"
        );
    }

    #[test]
    fn not_applicable_without_gloo() {
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Na]);
    }
}
