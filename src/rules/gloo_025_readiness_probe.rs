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
    use crate::rules::testing::{na_without_an_envoy_container, proxy, statuses};
    use crate::rules::Status::*;

    #[test]
    fn judges_the_envoy_container() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &proxy("", "readinessProbe:"), "1.17.38"), [Fail], "null probe");
        let probe =
            "readinessProbe:\n  exec:\n    command: [wget, -O, /dev/null, 127.0.0.1:19000/ready]";
        assert_eq!(statuses(&RULE, &proxy("", probe), "1.17.38"), [Pass]);
        let liveness_only = "livenessProbe:\n  httpGet: {path: /server_info, port: 19000}";
        assert_eq!(statuses(&RULE, &proxy("", liveness_only), "1.17.38"), [Fail]);
    }

    #[test]
    fn a_sidecar_probe_does_not_count() {
        let render = proxy("", "").replace("      volumes:", "      - name: sds\n        image: quay.io/solo-io/sds:1.17.38\n        readinessProbe: {tcpSocket: {port: 8234}}\n      volumes:");
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Fail]);
    }

    #[test]
    fn not_applicable_without_an_envoy_container() {
        na_without_an_envoy_container(&RULE);
    }
}
