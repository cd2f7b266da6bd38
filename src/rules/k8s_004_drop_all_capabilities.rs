//! K8S-004: the Envoy container drops every Linux capability.

use super::common::security_context::{capability_names, drops_all, is_net_bind};
use super::helpers::each_envoy_container;
use super::{Fix, Rule, Severity, Versions};
use crate::parse::model::Model;
use crate::parse::version::Version;

pub(super) static RULE: Rule = Rule {
    id: "K8S-004",
    title: "Drops all capabilities",
    severity: Severity::Medium,
    source:
        "Gloo production guide (Seed-000/001, Latest): the gateway-proxy pod \"doesn't require \
        any additional tokens mounted in or OS-level privileges\"",
    why: "Capabilities left to the container (NET_RAW, SYS_ADMIN, ...) give a compromised Envoy \
        kernel-level powers it never needs.",
    predicate: "Envoy container of every proxy: `securityContext.capabilities.drop` contains \
        `ALL`, and `securityContext.capabilities.add` contains nothing other than \
        `NET_BIND_SERVICE` / `CAP_NET_BIND_SERVICE`, in any case (which GLOO-002 judges). Absent \
        `drop` = FAIL. NA when no Envoy \
        container can be identified; no proxy rendered = NA.",
    fix_doc: "Keep the chart defaults (the proxy template renders `capabilities: {drop: [ALL]}`; \
        `disableNetBind: false` only adds NET_BIND_SERVICE). 1.13: hard-coded in the template; \
        only a `gatewayProxies.<name>.kubeResourceOverride` of the Deployment can change it: \
        remove that override. 1.17+: a custom \
        `gatewayProxies.<name>.podTemplate.glooContainerSecurityContext` replaces the whole \
        default context unless it sets `mergePolicy: helm-merge`; use `{mergePolicy: helm-merge, \
        capabilities: {drop: [ALL], add: []}}` there (lists are replaced, not merged).",
    fixes: &[Fix::new(
        Versions::from(Version::new(1, 17, 0)),
        "{GP}.podTemplate.glooContainerSecurityContext",
        "{mergePolicy: helm-merge, capabilities: {drop: [ALL], add: []}}",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_envoy_container(m, |_, c| {
        let caps = c.path("securityContext.capabilities");
        let extra: Vec<String> = capability_names(caps.and_then(|n| n.get("add")))
            .into_iter()
            .filter(|a| !is_net_bind(a))
            .collect();
        drops_all(&capability_names(caps.and_then(|n| n.get("drop"))), &extra)
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{na_without_an_envoy_container, proxy, statuses, with_contexts};
    use crate::rules::Status::*;

    #[test]
    fn passes_when_all_are_dropped() {
        assert_eq!(with_contexts(&RULE, "", "capabilities:\n  drop:\n  - ALL"), [Pass]);
        let net_bind = "securityContext:\n  capabilities:\n    drop:\n    - ALL\n    add:\n    - NET_BIND_SERVICE";
        assert_eq!(
            statuses(&RULE, &proxy("", net_bind), "1.13.39"),
            [Pass],
            "NET_BIND_SERVICE is GLOO-002's business"
        );
        // Runtimes take the name with or without `CAP_`, in any case; GLOO-002 judges each.
        for name in ["CAP_NET_BIND_SERVICE", "net_bind_service"] {
            let added = net_bind.replace("NET_BIND_SERVICE", name);
            assert_eq!(statuses(&RULE, &proxy("", &added), "1.13.39"), [Pass], "{name}");
        }
    }

    #[test]
    fn fails_when_not_all_dropped_or_others_added() {
        assert_eq!(with_contexts(&RULE, "", ""), [Fail]);
        assert_eq!(with_contexts(&RULE, "", "capabilities:\n  drop:\n  - NET_RAW"), [Fail]);
        let added = "capabilities:\n  drop: [ALL]\n  add: [NET_BIND_SERVICE, SYS_ADMIN]";
        assert_eq!(with_contexts(&RULE, "", added), [Fail]);
    }

    #[test]
    fn not_applicable_without_an_envoy_container_or_proxy() {
        na_without_an_envoy_container(&RULE);
    }
}
