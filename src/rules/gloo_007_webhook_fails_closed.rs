//! GLOO-007: the validation webhook fails closed for Gloo resources.

use super::helpers::{chart_anchor, control_plane, fail, pass, Verdict};
use super::{Fix, Outcome, OutcomeFix, Rule, Severity, Status, Target};
use crate::parse::model::Model;
use crate::parse::yaml::Node;
use crate::parse::Doc;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-007",
    title: "Validation webhook fails closed",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest): `failurePolicy: Fail # failure policy mode for the \
        validation webhook (default is \"Ignore\")`",
    why: "With `Ignore`, Gloo resources are admitted unvalidated whenever gloo is unreachable.",
    predicate: "Every `ValidatingWebhookConfiguration` webhook entry whose `rules[].apiGroups` \
        include `gateway.solo.io`, `gloo.solo.io`, `enterprise.gloo.solo.io` or \
        `ratelimit.solo.io` has `failurePolicy: Fail`; absent = `Fail` in \
        `admissionregistration.k8s.io/v1` (`Ignore` in v1beta1). Entries for core resources only \
        (1.22's `kube.<ns>.svc`) are ignored. No such entry at all (webhook or validation \
        disabled) = FAIL; a render without Settings or the gloo Deployment (not Gloo, or only part \
        of it) = NA. The webhook is a Helm hook printed at the end of the render; it is checked \
        like any other document.",
    fix_doc: "All versions: `gateway.validation.failurePolicy: Fail`; in 1.22 keep \
        `gateway.validation.kubeCoreFailurePolicy: Ignore` (chart recommendation). With `Fail`, \
        Gloo resource changes are blocked while gloo is down: run >= 2 gloo replicas (GLOO-023). \
        In 1.17 the same entry also validates DELETE of every core Secret cluster-wide, so those \
        deletions block (and namespace deletion can hang) while gloo is down; mitigate with \
        replicas or `gateway.validation.webhook.skipDeleteValidationResources: [namespaces, \
        secrets]` (loses secret-deletion checks). Enterprise/umbrella: \
        `gloo.gateway.validation.failurePolicy`. Where the webhook is missing because validation \
        or its webhook is off, the fix turns them on (`gateway.validation: {enabled: true, \
        webhook: {enabled: true}, failurePolicy: Fail}`); where the gateway itself is off \
        (`gateway.enabled: false`, Settings `enableGatewayController: false`), the chart renders \
        no webhook and turning the gateway on deploys its proxies too: no values fix is given, and \
        the finding says why.",
    fixes: &[Fix::all("gateway.validation.failurePolicy", "Fail")],
    check,
};

const GLOO_GROUPS: &[&str] =
    &["gateway.solo.io", "gloo.solo.io", "enterprise.gloo.solo.io", "ratelimit.solo.io"];

/// Whether a webhook entry validates any Gloo API group.
fn covers_gloo(webhook: &Node) -> bool {
    webhook.get("rules").map(Node::items).unwrap_or_default().iter().any(|rule| {
        rule.get("apiGroups")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|g| g.as_str().is_some_and(|g| GLOO_GROUPS.contains(&g)))
    })
}

fn judge(config: &Doc, webhook: &Node, name: &str) -> Verdict {
    match webhook.get("failurePolicy").filter(|n| !n.is_null()) {
        Some(policy) => match policy.as_str() {
            Some("Fail") => pass(format!("webhook {name}: failurePolicy is Fail")),
            _ => fail(format!(
                "webhook {name}: failurePolicy is {}",
                super::helpers::show(Some(policy))
            )),
        },
        None if config.api_version.ends_with("/v1beta1") => fail(format!(
            "webhook {name}: failurePolicy is absent (Ignore in {})",
            config.api_version
        )),
        None => pass(format!("webhook {name}: failurePolicy is absent (Fail)")),
    }
}

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let mut outcomes = Vec::new();
    for config in m.of_kind("ValidatingWebhookConfiguration") {
        for webhook in config.root.get("webhooks").map(Node::items).unwrap_or_default() {
            if !covers_gloo(webhook) {
                continue;
            }
            let name = webhook
                .get("name")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| "(unnamed)".into());
            let (status, message) = judge(config, webhook, &name);
            outcomes.push(Outcome::new(status, config, Target::Chart, message).at(webhook.line()));
        }
    }
    if outcomes.is_empty() {
        // Without Settings or the gloo Deployment this is not a Gloo render (or only part of
        // one): there is no validation to miss, and a failure would land on an unrelated object.
        match (control_plane(m), chart_anchor(m)) {
            // The chart renders the webhook only with the gateway on (`gateway.enabled`, which
            // Settings shows as `enableGatewayController` in 1.13, 1.17 and 1.22): no validation
            // key brings it back, and turning the gateway on deploys its proxies too.
            (Some(doc), _) if gateway_off(m) => outcomes.push(
                Outcome::new(Status::Fail, doc, Target::Chart, "no ValidatingWebhookConfiguration entry validates Gloo resources: the gateway is off (spec.gateway.enableGatewayController is false, from gateway.enabled: false)")
                    .fixed_by(OutcomeFix::NothingBecause("the chart renders the validation webhook only with the gateway on, and gateway.enabled: true would also deploy the gateway proxies: validate Gloo resources another way, or turn the gateway on deliberately".into())),
            ),
            // The declared fix alone sets the policy of a webhook the chart does not render.
            (Some(doc), _) => outcomes.push(
                Outcome::new(Status::Fail, doc, Target::Chart, "no ValidatingWebhookConfiguration entry validates Gloo resources (webhook or validation disabled)").fixed_by(OutcomeFix::Custom {
                    path: "gateway.validation".into(),
                    value: serde_json::json!({"enabled": true, "webhook": {"enabled": true}, "failurePolicy": "Fail"}),
                }),
            ),
            (None, Some(doc)) => outcomes.push(Outcome::new(Status::Na, doc, Target::Chart, "no Gloo control plane (Settings or gloo Deployment) in the render")),
            (None, None) => {}
        }
    }
    outcomes
}

/// Whether the render's Settings says the gateway is off (`gateway.enabled: false`).
fn gateway_off(m: &Model<'_>) -> bool {
    m.settings.iter().any(|s| {
        s.root.path("spec.gateway.enableGatewayController").and_then(Node::as_bool) == Some(false)
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{outcomes_with_messages, settings, statuses};
    use crate::rules::Status::*;

    fn entry(name: &str, groups: &str, policy: &str) -> String {
        format!("- name: {name}\n  rules:\n  - operations: [CREATE]\n    apiGroups: [{groups}]\n    apiVersions: [v1]\n    resources: [virtualservices]\n  sideEffects: None\n{policy}")
    }

    fn webhook(api: &str, entries: &[&str]) -> String {
        format!(
            "---\napiVersion: admissionregistration.k8s.io/{api}\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: gloo-gateway-validation-webhook-gloo-system\n  annotations:\n    \"helm.sh/hook\": pre-install, pre-upgrade\nwebhooks:\n{}",
            entries.concat()
        )
    }

    #[test]
    fn judges_gloo_entries() {
        let ignore = entry("gloo.gloo-system.svc", "gateway.solo.io", "  failurePolicy: Ignore\n");
        let fail = entry("gloo.gloo-system.svc", "gateway.solo.io", "  failurePolicy: Fail\n");
        let absent = entry("gloo.gloo-system.svc", "gateway.solo.io", "");
        assert_eq!(statuses(&RULE, &webhook("v1", &[ignore.as_str()]), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &webhook("v1", &[fail.as_str()]), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(&RULE, &webhook("v1", &[absent.as_str()]), "1.17.38"),
            [Pass],
            "absent = Fail in v1"
        );
        assert_eq!(
            statuses(&RULE, &webhook("v1beta1", &[absent.as_str()]), "1.17.38"),
            [Fail],
            "absent = Ignore in v1beta1"
        );
        let lower = entry("gloo.gloo-system.svc", "gloo.solo.io", "  failurePolicy: fail\n");
        assert_eq!(
            statuses(&RULE, &webhook("v1", &[lower.as_str()]), "1.17.38"),
            [Fail],
            "the enum is case-sensitive"
        );
        for group in ["gloo.solo.io", "enterprise.gloo.solo.io", "ratelimit.solo.io"] {
            let e = entry("x.gloo-system.svc", group, "  failurePolicy: Ignore\n");
            assert_eq!(
                statuses(&RULE, &webhook("v1", &[e.as_str()]), "1.17.38"),
                [Fail],
                "{group}"
            );
        }
    }

    #[test]
    fn core_only_entries_are_ignored() {
        let gloo = entry("gloo.gloo-system.svc", "gateway.solo.io", "  failurePolicy: Fail\n");
        let kube = entry("kube.gloo-system.svc", "\"\"", "  failurePolicy: Ignore\n");
        let out = outcomes_with_messages(
            &RULE,
            &webhook("v1", &[gloo.as_str(), kube.as_str()]),
            "1.22.1",
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, Pass);
        assert!(out[0].2.contains("gloo.gloo-system.svc"));
        // Only a core entry: nothing validates Gloo resources.
        assert_eq!(
            statuses(
                &RULE,
                &(settings("gateway: {}") + &webhook("v1", &[kube.as_str()])),
                "1.22.1"
            ),
            [Fail]
        );
    }

    #[test]
    fn every_gloo_entry_is_judged() {
        let a = entry("a.gloo-system.svc", "gateway.solo.io", "  failurePolicy: Fail\n");
        let b = entry("b.gloo-system.svc", "ratelimit.solo.io", "  failurePolicy: Ignore\n");
        assert_eq!(
            statuses(&RULE, &webhook("v1", &[a.as_str(), b.as_str()]), "1.17.38"),
            [Pass, Fail]
        );
    }

    #[test]
    fn fails_without_a_webhook() {
        let out = outcomes_with_messages(&RULE, &settings("gateway: {}"), "1.17.38");
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].0, out[0].1.as_str()), (Fail, "Settings/default"));
    }

    /// Real-world file 07 turns the gateway off: the webhook needs it, so no validation key
    /// brings it back, and no values fix is given.
    #[test]
    fn with_the_gateway_off_there_is_no_values_fix() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let off = settings("gateway:\n  enableGatewayController: false\n");
        let found = fixes(&RULE, &off, "1.17.38");
        let [(Fail, OutcomeFix::NothingBecause(why))] = found.as_slice() else {
            panic!("no values fix: {found:?}")
        };
        assert!(
            why.starts_with("the chart renders the validation webhook only with the gateway on"),
            "{why}"
        );
        let out = outcomes_with_messages(&RULE, &off, "1.17.38");
        assert!(out[0].2.contains("gateway.enabled: false"), "{out:?}");
        let on = settings("gateway:\n  enableGatewayController: true\n");
        let on = fixes(&RULE, &on, "1.17.38");
        let [(Fail, OutcomeFix::Custom { path, .. })] = on.as_slice() else {
            panic!("validation switched back on")
        };
        assert_eq!(path, "gateway.validation");
    }

    #[test]
    fn does_not_apply_to_a_render_without_gloo() {
        let lone = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {}\n";
        let out = outcomes_with_messages(&RULE, lone, "1.17.38");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, Na, "{out:?}");
    }
}
