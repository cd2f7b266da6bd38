//! K8S-002: the Envoy container runs as a non-root user.

use super::common::security_context::non_root;
use super::helpers::{each_envoy_container, fail, refix_judged};
use super::{Fix, OutcomeFix, Rule, Severity, Versions};
use crate::parse::model::Model;
use crate::parse::version::Version;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "K8S-002",
    title: "Runs as non-root",
    severity: Severity::High,
    source: "Gloo production guide (Seed-000/001, Latest): the gateway-proxy pod \"doesn't require \
        any additional tokens mounted in or OS-level privileges\"",
    why: "An Envoy compromised as root owns the container and has a much shorter path to the node \
        (kernel bugs, writable host mounts).",
    predicate: "Envoy container of every proxy. Effective `runAsNonRoot` (container \
        `securityContext`, else pod `securityContext`) must be `true`, and effective `runAsUser` \
        (container, else pod), when set, must not be `0`. Absent `runAsNonRoot` = FAIL; \
        `runAsUser` absent is fine (`floatingUserId: true` on OpenShift omits it and keeps \
        `runAsNonRoot`: PASS). NA when no Envoy container can be identified; no proxy rendered = \
        NA.",
    fix_doc: "Keep the chart defaults (`gatewayProxies.<name>.podTemplate.runUnprivileged: true`, \
        `runAsUser: 10101`). 1.13 (context hard-coded from these values): \
        `gatewayProxies.<name>.podTemplate: {runUnprivileged: true, runAsUser: 10101}` \
        (`runUnprivileged: false` drops `runAsNonRoot`). 1.17+: a custom \
        `gatewayProxies.<name>.podTemplate.glooContainerSecurityContext` replaces the whole \
        default context unless it sets `mergePolicy: helm-merge`; use `{mergePolicy: helm-merge, \
        runAsNonRoot: true, runAsUser: 10101}` there (drop `runAsUser` on OpenShift, where \
        `floatingUserId` lets the platform pick the user).",
    fixes: &[
        // `runUnprivileged: false` and a custom context without `mergePolicy` both drop
        // runAsNonRoot: restore the switch and make any custom context merge.
        Fix::new(
            Versions::from(Version::new(1, 17, 0)),
            "{GP}.podTemplate",
            "{runUnprivileged: true, glooContainerSecurityContext: {mergePolicy: helm-merge, runAsNonRoot: true, runAsUser: 10101}}",
        ),
        Fix::new(Versions::until(Version::new(1, 17, 0)), "{GP}.podTemplate", "{runUnprivileged: true, runAsUser: 10101}"),
    ],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_envoy_container(m, |p, c| {
        let pod = p.pod_spec.get("securityContext");
        let effective = |field: &str| {
            let own = c.path("securityContext").and_then(|s| s.get(field)).filter(|n| !n.is_null());
            own.or_else(|| pod.and_then(|s| s.get(field)).filter(|n| !n.is_null()))
        };
        let user = effective("runAsUser");
        if user.and_then(Node::as_i64) == Some(0) {
            return fail("runAsUser is 0 (root)");
        }
        non_root(effective("runAsNonRoot"), user)
    });
    // With floatingUserId (OpenShift: the platform picks the user) the fix must not pin one:
    // a fixed runAsUser is refused by restricted SCCs (HARDENING.md K8S-002).
    if !m.chart_at_least(1, 17) {
        return outcomes;
    }
    let floating = OutcomeFix::WhereSet {
        when_set: vec![
            "{GP}.podTemplate.floatingUserId".into(),
            "global.securitySettings.floatingUserId".into(),
        ],
        unless_set: vec![],
        path: "{GP}.podTemplate".into(),
        value: serde_json::json!({"runUnprivileged": true, "glooContainerSecurityContext": {"mergePolicy": "helm-merge", "runAsNonRoot": true}}),
    };
    refix_judged(outcomes, |_| Some(floating.clone()))
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{na_without_an_envoy_container, proxy, statuses, with_contexts};
    use crate::rules::Status::*;

    #[test]
    fn chart_defaults_pass() {
        let pod = "fsGroup: 10101\nrunAsUser: 10101";
        assert_eq!(with_contexts(&RULE, pod, "runAsNonRoot: true\nrunAsUser: 10101"), [Pass]);
    }

    #[test]
    fn where_the_user_floats_the_user_id_the_fix_pins_none() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let found = fixes(&RULE, &proxy("", "securityContext:\n  runAsNonRoot: false"), "1.17.38");
        let [(Fail, OutcomeFix::WhereSet { when_set, path, value, .. })] = found.as_slice() else {
            panic!("{found:?}")
        };
        assert_eq!(
            when_set,
            &["{GP}.podTemplate.floatingUserId", "global.securitySettings.floatingUserId"]
        );
        assert_eq!(path, "{GP}.podTemplate");
        assert!(value["glooContainerSecurityContext"].get("runAsUser").is_none(), "{value}");
        assert_eq!(
            fixes(&RULE, &proxy("", "securityContext:\n  runAsNonRoot: false"), "1.13.39"),
            [(Fail, OutcomeFix::Declared)]
        );
    }

    #[test]
    fn floating_user_id_passes() {
        assert_eq!(with_contexts(&RULE, "", "runAsNonRoot: true"), [Pass]);
    }

    #[test]
    fn pod_level_settings_count_when_the_container_is_silent() {
        assert_eq!(with_contexts(&RULE, "runAsNonRoot: true\nrunAsUser: 10101", ""), [Pass]);
        let both = with_contexts(&RULE, "runAsNonRoot: true", "runAsNonRoot: false");
        assert_eq!(both, [Fail], "container wins");
        let root = with_contexts(&RULE, "runAsUser: 0", "runAsNonRoot: true");
        assert_eq!(root, [Fail], "pod runs as root");
    }

    #[test]
    fn root_or_unset_fails() {
        let unprivileged_off = proxy(
            "securityContext:\n  fsGroup: 10101\n  runAsUser: 10101",
            "securityContext:\n  readOnlyRootFilesystem: true",
        );
        assert_eq!(statuses(&RULE, &unprivileged_off, "1.13.39"), [Fail], "runUnprivileged: false");
        assert_eq!(with_contexts(&RULE, "", "runAsNonRoot: true\nrunAsUser: 0"), [Fail]);
        assert_eq!(with_contexts(&RULE, "", "runAsNonRoot: \"true\""), [Fail]);
        assert_eq!(with_contexts(&RULE, "", ""), [Fail]);
    }

    #[test]
    fn not_applicable_without_an_envoy_container() {
        na_without_an_envoy_container(&RULE);
    }
}
