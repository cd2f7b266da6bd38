//! GLOO-012: the Envoy container requests CPU and memory.

use super::common::requests::{missing_requests, requests_verdict};
use super::helpers::{each_envoy_container, na_without, refix_judged};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-012",
    title: "Proxy resource requests",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest) \"Configure appropriate resource usage\": \
        `gatewayProxies.gatewayProxy.podTemplate.resources.requests.*`",
    why:
        "Without requests Envoy runs BestEffort (first evicted under node pressure) and an HPA on \
        CPU cannot work.",
    predicate: "Per proxy, the Envoy container has a CPU and a memory request: \
        `resources.requests.<r>`, or when that key is absent `resources.limits.<r>` (Kubernetes \
        copies a limit into a missing request). A zero quantity counts as no request. Sidecars \
        are not judged.",
    fix_doc: "All versions: `gatewayProxies.<name>.podTemplate.resources.requests.cpu` and \
        `.memory` (size them with load tests). A memory limit should sit above the \
        overload-manager heap cap (ENVOY-002).",
    fixes: &[Fix::all("{GP}.podTemplate.resources.requests", "{cpu: 500m, memory: 256Mi}")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = refix_judged(each_envoy_container(m, |_, c| requests_verdict(c)), |o| {
        Some(missing_requests(
            m.proxy_with_workload(o.doc)?.envoy?,
            "{GP}.podTemplate.resources.requests",
        ))
    });
    na_without(m, outcomes, "gateway proxy")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{judges_each_envoy_container, proxy, settings, statuses};
    use crate::rules::Status::*;

    #[test]
    fn judges_the_envoy_container_of_each_proxy() {
        judges_each_envoy_container(
            &RULE,
            "resources:\n  requests:\n    cpu: 500m\n    memory: 256Mi",
        );
    }

    #[test]
    fn a_limit_stands_for_a_missing_request() {
        let memory_only = proxy("", "resources:\n  requests:\n    memory: 256Mi");
        assert_eq!(statuses(&RULE, &memory_only, "1.17.38"), [Fail]);
        let limits = proxy("", "resources:\n  limits:\n    cpu: 1\n    memory: 1Gi");
        assert_eq!(statuses(&RULE, &limits, "1.17.38"), [Pass]);
    }

    #[test]
    fn not_applicable_without_proxies() {
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Na]);
    }
}
