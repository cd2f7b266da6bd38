//! GLOO-026: the Envoy container has a liveness probe.

use super::common::probes::envoy_has;
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-026",
    title: "Envoy liveness probe",
    severity: Severity::Low,
    source: "Gloo production guide (Seed-000, Latest): \"To enable liveness and readiness probes, \
        specify `gatewayProxies.gatewayProxy.podTemplate.probes=true`\"",
    why: "Without a liveness probe a wedged Envoy is never restarted.",
    predicate: "Per proxy, the Envoy container has a non-null `livenessProbe`. Absent = FAIL. NA \
        when the Envoy container cannot be identified or no proxy is rendered.",
    fix_doc: "All versions: `gatewayProxies.<name>.podTemplate.probes: true` **and** \
        `gatewayProxies.<name>.podTemplate.livenessProbeEnabled: true`. Contrary to the guide, \
        `probes: true` alone adds only the readiness probe, and `livenessProbeEnabled` without \
        `probes` adds nothing. The default liveness probe hits `/server_info`, which answers \
        without routes; `customLivenessProbe` replaces it.",
    fixes: &[Fix::all("{GP}.podTemplate", "{probes: true, livenessProbeEnabled: true}")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    envoy_has(m, "livenessProbe")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::judges_an_envoy_probe;

    #[test]
    fn judges_the_envoy_container_of_each_proxy() {
        let probe = "livenessProbe:\n  httpGet: {path: /server_info, port: 19000}";
        // What `probes: true` alone renders.
        let readiness_only =
            "readinessProbe:\n  exec:\n    command: [wget, -O, /dev/null, 127.0.0.1:19000/ready]";
        judges_an_envoy_probe(&RULE, "livenessProbe", probe, readiness_only);
    }
}
