//! GLOO-001: the internet-facing proxy pod should not carry a Kubernetes API token.

use super::helpers::{each_proxy, fail, na, pass, refix_failures};
use super::{Fix, OutcomeFix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-001",
    title: "Proxy does not automount a service-account token",
    severity: Severity::Medium,
    source: "Gloo production guide (Seed-000, Seed-001, Latest): \"you can eliminate the need for \
        the service account token ... set the gateway.proxyServiceAccount.disableAutomount \
        field\"",
    why: "The internet-facing Envoy pod carries Kubernetes API credentials it never uses; a \
        compromised proxy could use them.",
    predicate: "Per proxy workload. Effective automount = the pod's `automountServiceAccountToken` \
        if set, else that of the ServiceAccount named by `serviceAccountName` in the same \
        namespace. PASS iff false. Absent in both, or ServiceAccount not in the render and the \
        pod silent, = FAIL. NA: the pod has an `istio-proxy` container or a container with env \
        `ISTIO_MTLS_SDS_ENABLED=true` (Istio SDS keeps the token).",
    fix_doc: "All versions: `gateway.proxyServiceAccount.disableAutomount: true` (renders \
        `automountServiceAccountToken: false` on the shared `gateway-proxy` ServiceAccount). Per \
        proxy instead (another proxy of the namespace uses Istio): `gatewayProxies.<name>.kubeResourceOverride.spec.template.spec.automountServiceAccountToken: \
        false`. One ServiceAccount serves every proxy of a namespace.",
    fixes: &[Fix::all("gateway.proxyServiceAccount.disableAutomount", "true")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = each_proxy(m, |p| {
        let containers = p.pod_spec.get("containers").map(Node::items).unwrap_or_default();
        let istio = containers.iter().any(|c| {
            c.get("name").and_then(Node::as_str) == Some("istio-proxy")
                || crate::parse::model::env_value(c, "ISTIO_MTLS_SDS_ENABLED").as_deref()
                    == Some("true")
        });
        if istio {
            return na("Istio integration: the token is needed by the istio-proxy sidecar");
        }
        if let Some(pod) = p.pod_spec.get("automountServiceAccountToken").and_then(Node::as_bool) {
            return if pod {
                fail("pod sets automountServiceAccountToken: true")
            } else {
                pass("pod sets automountServiceAccountToken: false")
            };
        }
        let sa_name =
            p.pod_spec.get("serviceAccountName").and_then(Node::as_str).unwrap_or("default");
        match m.find("ServiceAccount", sa_name, p.namespace) {
            Some(sa) => match sa.root.get("automountServiceAccountToken").and_then(Node::as_bool) {
                Some(false) => pass(format!("ServiceAccount {sa_name} sets automountServiceAccountToken: false")),
                Some(true) => fail(format!("ServiceAccount {sa_name} sets automountServiceAccountToken: true")),
                None => fail(format!("neither the pod nor ServiceAccount {sa_name} disables token automount (default: mounted)")),
            },
            None => fail(format!("ServiceAccount {sa_name} is not in the render and the pod does not disable token automount")),
        }
    });
    // The pod's own setting wins over the ServiceAccount's: where the user's kubeResourceOverride
    // sets it, the fix goes there.
    let pod_setting =
        "{GP}.kubeResourceOverride.spec.template.spec.automountServiceAccountToken".to_string();
    let in_override = OutcomeFix::WhereSet {
        when_set: vec![pod_setting.clone()],
        unless_set: vec![],
        path: pod_setting,
        value: false.into(),
    };
    refix_failures(outcomes, |_| Some(in_override.clone()))
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{proxy, statuses};
    use crate::rules::Status::*;

    const SA: &str = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gateway-proxy\n  namespace: gloo-system\n";

    #[test]
    fn fails_when_nothing_disables_automount() {
        assert_eq!(statuses(&RULE, &(proxy("", "") + SA), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(&RULE, &proxy("", ""), "1.17.38"),
            [Fail],
            "ServiceAccount not rendered"
        );
    }

    #[test]
    fn passes_when_the_service_account_or_pod_disables_it() {
        let sa = format!("{SA}automountServiceAccountToken: false\n");
        assert_eq!(statuses(&RULE, &(proxy("", "") + &sa), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(&RULE, &(proxy("automountServiceAccountToken: false", "") + SA), "1.17.38"),
            [Pass]
        );
        assert_eq!(
            statuses(&RULE, &(proxy("automountServiceAccountToken: true", "") + &sa), "1.17.38"),
            [Fail],
            "pod overrides SA"
        );
    }

    #[test]
    fn not_applicable_with_istio() {
        let render = proxy("", "").replace(
            "      volumes:",
            "      - name: istio-proxy\n        image: istio/proxyv2\n      volumes:",
        ) + SA;
        assert_eq!(statuses(&RULE, &render, "1.17.38"), [Na]);
        let sds = proxy("", "env:\n- name: ISTIO_MTLS_SDS_ENABLED\n  value: \"true\"") + SA;
        assert_eq!(statuses(&RULE, &sds, "1.17.38"), [Na]);
    }
}
