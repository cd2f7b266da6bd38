//! Where the values of a rendered proxy live. The chart renders most proxies from
//! `gatewayProxies.<key>`, but the Knative proxies (`knative-external-proxy`,
//! `knative-internal-proxy`, and `clusteringress-proxy` for Knative < 0.8) from
//! `settings.integrations.knative.proxy`, and the ingress proxy (`ingress-proxy`) from
//! `ingressProxy.deployment`. A `gatewayProxies.<key>` fix does not change such a proxy: the chart
//! renders a second, stray proxy from it. Here a fix becomes the proxy's own keys where its
//! template reads one for it, and the fix check gives none (with the reason) where not.

use crate::check::is_within;
use crate::parse::version::Version;
use serde_json::Value;

/// A proxy the chart renders from a values block of its own, not from `gatewayProxies`.
#[derive(Debug)]
pub struct OwnBlock {
    /// The rendered workload's name.
    pub proxy: &'static str,
    /// The block it is rendered from (no chart prefix), as a no-fix reason names it.
    pub block: &'static str,
    /// Its keys for keys of `gatewayProxies.<key>`, in groups.
    keys: &'static [&'static [OwnKey]],
}

#[derive(Debug)]
struct OwnKey {
    /// A key below `gatewayProxies.<key>`; the keys below it map along.
    from: &'static str,
    /// The proxy's own key for it (no chart prefix).
    to: &'static str,
    /// The first chart version whose template reads `to`; None: every version.
    since: Option<Version>,
    /// For a `from` with no own counterpart but an own setting of the same effect: the value
    /// (JSON) that `to` takes where the fix sets `from` to `true`.
    when_true: Option<&'static str>,
}

const fn key(from: &'static str, to: &'static str) -> OwnKey {
    OwnKey { from, to, since: None, when_true: None }
}

/// The templates of 1.13.39 hard-code the Knative and ingress proxies' security context; those
/// of 1.17.38 and 1.22.1 render it with `gloo.containerSecurityContext` from the block's own
/// context (the values reference has it from 1.16, but no 1.16 template was checked).
const OWN_SECURITY_CONTEXT: Option<Version> = Some(Version::new(1, 17, 0));

/// `podTemplate.runUnprivileged` renders `runAsNonRoot: true` into the gateway proxy's context;
/// an own context that keeps the chart's defaults (`helm-merge`) and adds it does the same.
const RUN_AS_NON_ROOT: &str = r#"{"mergePolicy": "helm-merge", "runAsNonRoot": true}"#;

/// Read by the Knative proxy templates (26-knative-external-proxy-deployment.yaml,
/// 29-knative-internal-proxy-deployment.yaml, 14-clusteringress-proxy-deployment.yaml) of
/// 1.13.39, 1.17.38 and 1.22.1, shared by all of them.
const KNATIVE: &[OwnKey] = &[
    key("kind.deployment.replicas", "settings.integrations.knative.proxy.replicas"),
    key("podTemplate.resources", "settings.integrations.knative.proxy.resources"),
    OwnKey {
        since: OWN_SECURITY_CONTEXT,
        ..key(
            "podTemplate.glooContainerSecurityContext",
            "settings.integrations.knative.proxy.containerSecurityContext",
        )
    },
    OwnKey {
        since: OWN_SECURITY_CONTEXT,
        ..key(
            "podTemplate.runAsUser",
            "settings.integrations.knative.proxy.containerSecurityContext.runAsUser",
        )
    },
    OwnKey {
        since: OWN_SECURITY_CONTEXT,
        when_true: Some(RUN_AS_NON_ROOT),
        ..key(
            "podTemplate.runUnprivileged",
            "settings.integrations.knative.proxy.containerSecurityContext",
        )
    },
];

/// The Deployment override of the external (and cluster ingress) proxy; the internal one has
/// its own below `internal`.
const KNATIVE_DEPLOYMENT: &[OwnKey] = &[key(
    "kubeResourceOverride",
    "settings.integrations.knative.proxy.deployment.kubeResourceOverride",
)];
const KNATIVE_INTERNAL_DEPLOYMENT: &[OwnKey] = &[key(
    "kubeResourceOverride",
    "settings.integrations.knative.proxy.internal.deployment.kubeResourceOverride",
)];

/// Read by 11-ingress-proxy-deployment.yaml of 1.13.39, 1.17.38 and 1.22.1 (its pod fields
/// come from `ingress.deployment`, which the ingress controller reads too: not mapped).
const INGRESS: &[OwnKey] = &[
    key("kind.deployment.replicas", "ingressProxy.deployment.replicas"),
    key("podTemplate.resources", "ingressProxy.deployment.resources"),
    key("kubeResourceOverride", "ingressProxy.deployment.kubeResourceOverride"),
    OwnKey {
        since: OWN_SECURITY_CONTEXT,
        ..key(
            "podTemplate.glooContainerSecurityContext",
            "ingressProxy.deployment.ingressProxyContainerSecurityContext",
        )
    },
    OwnKey {
        since: OWN_SECURITY_CONTEXT,
        ..key(
            "podTemplate.runAsUser",
            "ingressProxy.deployment.ingressProxyContainerSecurityContext.runAsUser",
        )
    },
    OwnKey {
        since: OWN_SECURITY_CONTEXT,
        when_true: Some(RUN_AS_NON_ROOT),
        ..key(
            "podTemplate.runUnprivileged",
            "ingressProxy.deployment.ingressProxyContainerSecurityContext",
        )
    },
];

const KNATIVE_BLOCK: &str = "settings.integrations.knative.proxy";

static OWN_BLOCKS: &[OwnBlock] = &[
    OwnBlock {
        proxy: "knative-external-proxy",
        block: KNATIVE_BLOCK,
        keys: &[KNATIVE, KNATIVE_DEPLOYMENT],
    },
    OwnBlock {
        proxy: "knative-internal-proxy",
        block: KNATIVE_BLOCK,
        keys: &[KNATIVE, KNATIVE_INTERNAL_DEPLOYMENT],
    },
    OwnBlock {
        proxy: "clusteringress-proxy",
        block: KNATIVE_BLOCK,
        keys: &[KNATIVE, KNATIVE_DEPLOYMENT],
    },
    OwnBlock { proxy: "ingress-proxy", block: "ingressProxy.deployment", keys: &[INGRESS] },
];

impl OwnBlock {
    /// The own block of a rendered proxy the chart does not render from `gatewayProxies`; None
    /// for any other name.
    pub fn of(proxy: &str) -> Option<&'static OwnBlock> {
        OWN_BLOCKS.iter().find(|b| b.proxy == proxy)
    }

    /// `value` at `path` (below `gatewayProxies.<key>`, `""` for the proxy's block itself) as
    /// this proxy's own keys, for a chart of `version` (unknown: only keys every version reads):
    /// one path and value, no chart prefix. Err: what it has no key for (the leaves, or the
    /// fix's path when more than two), as a reason names it. All or nothing: part of a fix
    /// would not fix.
    pub fn map(
        &self,
        path: &str,
        value: &Value,
        version: Option<Version>,
    ) -> Result<(String, Value), String> {
        let mut leaves = Vec::new();
        leaves_of(path, value, &mut leaves);
        let mut mapped = Vec::new();
        let mut missing = Vec::new();
        for (leaf, value) in leaves {
            match self.own_leaf(&leaf, value, version) {
                Some(own) => mapped.push(own),
                None => missing.push(leaf),
            }
        }
        match missing.len() {
            0 => Ok(joined(mapped)),
            1 | 2 => Err(missing.join(", ")),
            _ => Err(path.to_string()),
        }
    }

    fn own_leaf(
        &self,
        leaf: &str,
        value: &Value,
        version: Option<Version>,
    ) -> Option<(String, Value)> {
        let row = self.keys.iter().flat_map(|group| group.iter()).find(|k| {
            is_within(leaf, k.from)
                && k.since.is_none_or(|since| version.is_some_and(|v| v >= since))
        })?;
        match row.when_true {
            Some(own) if leaf == row.from && *value == Value::Bool(true) => {
                Some((row.to.to_string(), serde_json::from_str(own).ok()?))
            }
            Some(_) => None,
            None => Some((format!("{}{}", row.to, &leaf[row.from.len()..]), value.clone())),
        }
    }
}

/// The leaves of `value` at `path`: a non-empty mapping is walked, anything else is a leaf.
fn leaves_of<'v>(path: &str, value: &'v Value, out: &mut Vec<(String, &'v Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let below = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                leaves_of(&below, v, out);
            }
        }
        _ => out.push((path.to_string(), value)),
    }
}

/// Mapped leaves as one fix: at their deepest shared key, with the rest as a mapping below it.
fn joined(leaves: Vec<(String, Value)>) -> (String, Value) {
    let split: Vec<Vec<&str>> = leaves.iter().map(|(p, _)| p.split('.').collect()).collect();
    let mut shared = split[0].clone();
    for segments in &split[1..] {
        let common = shared.iter().zip(segments).take_while(|(a, b)| a == b).count();
        shared.truncate(common);
    }
    // A leaf at the shared key itself (an own context beside its `runAsUser`) merges there.
    let mut value = Value::Null;
    for (segments, (_, leaf)) in split.iter().zip(&leaves) {
        let mut nested = leaf.clone();
        for key in segments[shared.len()..].iter().rev() {
            nested = serde_json::json!({ *key: nested });
        }
        crate::parse::values::merge(&mut value, nested);
    }
    (shared.join("."), value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V1_13: Option<Version> = Some(Version::new(1, 13, 39));
    const V1_17: Option<Version> = Some(Version::new(1, 17, 38));

    #[test]
    fn only_proxies_rendered_from_their_own_block_have_one() {
        assert_eq!(OwnBlock::of("knative-external-proxy").unwrap().block, KNATIVE_BLOCK);
        assert_eq!(OwnBlock::of("ingress-proxy").unwrap().block, "ingressProxy.deployment");
        assert!(OwnBlock::of("gateway-proxy").is_none());
        assert!(OwnBlock::of("knative-proxy-2").is_none());
    }

    #[test]
    fn replicas_and_requests_map_on_every_version() {
        let external = OwnBlock::of("knative-external-proxy").unwrap();
        for version in [None, V1_13, V1_17] {
            assert_eq!(
                external.map("kind.deployment.replicas", &json!(2), version),
                Ok(("settings.integrations.knative.proxy.replicas".into(), json!(2)))
            );
        }
        let requests = json!({"cpu": "500m", "memory": "256Mi"});
        assert_eq!(
            OwnBlock::of("ingress-proxy").unwrap().map(
                "podTemplate.resources.requests",
                &requests,
                V1_13
            ),
            Ok(("ingressProxy.deployment.resources.requests".into(), requests))
        );
    }

    #[test]
    fn the_internal_proxy_has_its_own_deployment_override() {
        let path = "kubeResourceOverride.spec.replicas";
        let own = |proxy| OwnBlock::of(proxy).unwrap().map(path, &json!(2), V1_17).unwrap().0;
        assert_eq!(
            own("knative-external-proxy"),
            "settings.integrations.knative.proxy.deployment.kubeResourceOverride.spec.replicas"
        );
        assert_eq!(
            own("knative-internal-proxy"),
            "settings.integrations.knative.proxy.internal.deployment.kubeResourceOverride.spec.replicas"
        );
    }

    #[test]
    fn non_root_goes_to_the_own_security_context_from_1_17() {
        let fix = json!({"runUnprivileged": true, "runAsUser": 10101});
        let external = OwnBlock::of("knative-external-proxy").unwrap();
        assert_eq!(
            external.map("podTemplate", &fix, V1_17),
            Ok((
                "settings.integrations.knative.proxy.containerSecurityContext".into(),
                json!({"mergePolicy": "helm-merge", "runAsNonRoot": true, "runAsUser": 10101})
            ))
        );
        // Hard-coded in 1.13's template; an unknown version gets no key that not all have.
        for version in [V1_13, None] {
            assert_eq!(
                external.map("podTemplate", &fix, version),
                Err("podTemplate.runUnprivileged, podTemplate.runAsUser".into())
            );
        }
        // Switching it off has no own counterpart.
        assert!(external.map("podTemplate.runUnprivileged", &json!(false), V1_17).is_err());
    }

    #[test]
    fn what_has_no_own_key_is_named() {
        let external = OwnBlock::of("knative-external-proxy").unwrap();
        assert_eq!(
            external.map("podTemplate.probes", &json!(true), V1_17),
            Err("podTemplate.probes".into())
        );
        let manager = json!({"enabled": true, "refreshInterval": "0.25s", "actions": []});
        assert_eq!(
            external.map("envoyOverloadManager", &manager, V1_17),
            Err("envoyOverloadManager".into())
        );
        // Part of a fix is no fix.
        let mixed = json!({"resources": {"requests": {"cpu": "1"}}, "probes": true});
        assert_eq!(external.map("podTemplate", &mixed, V1_17), Err("podTemplate.probes".into()));
    }

    #[test]
    fn several_leaves_meet_at_their_shared_key() {
        let ingress = OwnBlock::of("ingress-proxy").unwrap();
        let fix = json!({"resources": {"requests": {"cpu": "1"}}, "runUnprivileged": true});
        assert_eq!(
            ingress.map("podTemplate", &fix, V1_17),
            Ok((
                "ingressProxy.deployment".into(),
                json!({
                    "resources": {"requests": {"cpu": "1"}},
                    "ingressProxyContainerSecurityContext": {"mergePolicy": "helm-merge", "runAsNonRoot": true}
                })
            ))
        );
    }
}
