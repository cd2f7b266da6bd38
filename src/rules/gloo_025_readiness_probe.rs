//! GLOO-025: the Envoy container has a readiness probe.

use super::common::probes::envoy_has;
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-025",
    title: "Envoy readiness probe",
    severity: Severity::Medium,
    source: "Gloo production guide (Seed-000, Latest): \"specify \
        `gatewayProxies.gatewayProxy.podTemplate.probes=true`\"",
    why: "Without a readiness probe new proxy pods receive traffic before Envoy has its \
        configuration.",
    predicate: "Per proxy, the Envoy container has a non-null `readinessProbe`. Absent = FAIL. NA \
        when the Envoy container cannot be identified or no proxy is rendered.",
    fix_doc: "All versions: `gatewayProxies.<name>.podTemplate.probes: true` (a `wget` of \
        `<loopBackAddress>:19000/ready`), or \
        `gatewayProxies.<name>.podTemplate.customReadinessProbe` together with `probes: true`. \
        Caveat: Envoy reports not-ready until it has at least one route, so a proxy without any \
        VirtualService never becomes Ready and a rollout with probes waits forever.",
    fixes: &[Fix::all("{GP}.podTemplate.probes", "true")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    envoy_has(m, "readinessProbe")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::judges_an_envoy_probe;

    #[test]
    fn judges_the_envoy_container_of_each_proxy() {
        let probe =
            "readinessProbe:\n  exec:\n    command: [wget, -O, /dev/null, 127.0.0.1:19000/ready]";
        let liveness_only = "livenessProbe:\n  httpGet: {path: /server_info, port: 19000}";
        judges_an_envoy_probe(&RULE, "readinessProbe", probe, liveness_only);
    }
}
