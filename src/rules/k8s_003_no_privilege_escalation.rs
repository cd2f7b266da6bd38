//! K8S-003: the Envoy container cannot gain privileges (no setuid escalation, not privileged).

use super::helpers::{boolean, each_envoy_container, fail, pass};
use super::{Fix, Rule, Severity, Versions};
use crate::parse::model::Model;
use crate::parse::version::Version;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "K8S-003",
    title: "No privilege escalation",
    severity: Severity::High,
    source:
        "Gloo production guide (Seed-000/001, Latest): the gateway-proxy pod \"doesn't require \
        any additional tokens mounted in or OS-level privileges\"",
    why: "With privilege escalation allowed (or a privileged container) a compromised Envoy can \
        gain root through setuid binaries or reach the host's devices and kernel interfaces.",
    predicate: "Envoy container of every proxy: `securityContext.allowPrivilegeEscalation == \
        false` (a YAML boolean; absent = Kubernetes default true = FAIL) and \
        `securityContext.privileged` not `true`. NA when no Envoy container can be identified; \
        no proxy rendered = NA.",
    fix_doc: "Keep the chart defaults (the proxy template renders `allowPrivilegeEscalation: \
        false`). 1.13: hard-coded in the template; only a \
        `gatewayProxies.<name>.kubeResourceOverride` of the Deployment can change it: remove \
        that override. 1.17+: a custom \
        `gatewayProxies.<name>.podTemplate.glooContainerSecurityContext` replaces the whole \
        default context unless it sets `mergePolicy: helm-merge`; use `{mergePolicy: helm-merge, \
        allowPrivilegeEscalation: false, privileged: false}` there.",
    fixes: &[Fix::new(
        Versions::from(Version::new(1, 17, 0)),
        "{GP}.podTemplate.glooContainerSecurityContext",
        "{mergePolicy: helm-merge, allowPrivilegeEscalation: false, privileged: false}",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_envoy_container(m, |_, c| {
        let sc = c.get("securityContext");
        if sc.and_then(|s| s.get("privileged")).and_then(Node::as_bool) == Some(true) {
            return fail("securityContext.privileged is true");
        }
        let field = "securityContext.allowPrivilegeEscalation";
        match boolean(sc.and_then(|s| s.get("allowPrivilegeEscalation")), field) {
            Ok(Some(false)) => pass("allowPrivilegeEscalation is false"),
            Ok(Some(true)) => fail(format!("{field} is true")),
            Ok(None) => fail(format!("{field} is absent (true)")),
            Err(not_boolean) => not_boolean,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{na_without_an_envoy_container, with_contexts};
    use crate::rules::Status::*;

    #[test]
    fn passes_when_escalation_is_off() {
        assert_eq!(with_contexts(&RULE, "", "allowPrivilegeEscalation: false"), [Pass]);
        let both_off = "allowPrivilegeEscalation: false\nprivileged: false";
        assert_eq!(with_contexts(&RULE, "", both_off), [Pass]);
    }

    #[test]
    fn fails_when_absent_true_or_privileged() {
        assert_eq!(with_contexts(&RULE, "", ""), [Fail]);
        assert_eq!(with_contexts(&RULE, "", "runAsUser: 10101"), [Fail]);
        assert_eq!(with_contexts(&RULE, "", "allowPrivilegeEscalation: true"), [Fail]);
        assert_eq!(with_contexts(&RULE, "", "allowPrivilegeEscalation: \"false\""), [Fail]);
        let privileged = "allowPrivilegeEscalation: false\nprivileged: true";
        assert_eq!(with_contexts(&RULE, "", privileged), [Fail]);
    }

    #[test]
    fn not_applicable_without_an_envoy_container_or_proxy() {
        na_without_an_envoy_container(&RULE);
    }
}
