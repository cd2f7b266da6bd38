//! What the rules read: the Gloo objects of a render, found once (HARDENING.md 1.2).

use crate::parse::version::Version;
use crate::parse::yaml::Node;
use crate::parse::{Doc, ENVOY_BOOTSTRAP};
use std::collections::HashMap;

/// One gateway proxy: its workload and what belongs to it.
#[derive(Debug)]
pub struct Proxy<'a> {
    /// Rendered name, e.g. `gateway-proxy` (kebab case of the `gatewayProxies` key).
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// The Deployment or DaemonSet.
    pub workload: &'a Doc,
    /// `spec.template.spec` of the workload.
    pub pod_spec: &'a Node,
    /// The Envoy container (named like the workload, or running the envoy-wrapper image).
    pub envoy: Option<&'a Node>,
    /// The Envoy bootstrap from the ConfigMap mounted as volume `envoy-config`.
    pub bootstrap: Option<&'a Doc>,
}

impl Proxy<'_> {
    pub fn is_daemonset(&self) -> bool {
        self.workload.kind == "DaemonSet"
    }

    /// Pod template labels (`spec.template.metadata.labels`).
    pub fn pod_labels(&self) -> &Node {
        self.workload.root.path("spec.template.metadata.labels").unwrap_or(Node::null())
    }
}

/// A kubeGateway `GatewayParameters` (`gateway.gloo.solo.io`): what the Gloo Gateway controller
/// builds each proxy from at run time (HARDENING-KGW.md K.1). Its proxies are never in a render.
#[derive(Debug)]
pub struct GatewayParams<'a> {
    pub doc: &'a Doc,
    /// Named by a GatewayClass of the `solo.io/gloo-gateway` controller: the class default the
    /// chart renders from `kubeGateway.gatewayParameters.glooGateway`.
    pub class_default: bool,
    /// A per-Gateway one (a parent chart's), merged over the class default as the controller
    /// merges it; None for the class default, or when the render has no class default to merge
    /// over (then judged on its own).
    merged: Option<Node>,
}

impl GatewayParams<'_> {
    /// `spec.kube` as the controller reads it (merged over the class default, for a per-Gateway one).
    pub fn kube(&self) -> &Node {
        self.merged.as_ref().or_else(|| self.doc.root.path("spec.kube")).unwrap_or(Node::null())
    }

    /// Whether the results were judged merged over the class default.
    pub fn is_merged(&self) -> bool {
        self.merged.is_some()
    }

    /// `spec.selfManaged` set: the controller provisions nothing for it.
    pub fn self_managed(&self) -> bool {
        self.doc.root.path("spec.selfManaged").is_some_and(|n| !n.is_null())
    }
}

/// The kubeGateway controller (GatewayClass `spec.controllerName`).
pub const KUBE_GATEWAY_CONTROLLER: &str = "solo.io/gloo-gateway";

/// The GatewayParameters of a render, class defaults first recognised by their GatewayClass.
fn gateway_params<'a>(docs: &[&'a Doc], classes: &[&'a Doc]) -> Vec<GatewayParams<'a>> {
    let named_by_class = |gp: &Doc| {
        classes.iter().any(|c| {
            let r = c.root.path("spec.parametersRef").unwrap_or(Node::null());
            r.get("kind").and_then(Node::as_str) == Some("GatewayParameters")
                && r.get("name").and_then(Node::as_str) == Some(gp.name.as_str())
                && r.get("namespace")
                    .and_then(Node::as_str)
                    .is_none_or(|ns| gp.namespace.as_deref() == Some(ns))
        })
    };
    let default = docs.iter().copied().find(|d| named_by_class(d));
    docs.iter()
        .map(|&doc| {
            let class_default = named_by_class(doc);
            let merged = match default {
                Some(base) if !class_default => Some(merge_gateway_params(base, doc)),
                _ => None,
            };
            GatewayParams { doc, class_default, merged }
        })
        .collect()
}

/// `spec.kube` of `over` deep-merged over `base`'s as the controller merges them
/// (`deployer/merge.go`): a set scalar overrides, maps merge, lists append, and an explicitly
/// empty list replaces; a null leaves the base as it is.
fn merge_gateway_params(base: &Doc, over: &Doc) -> Node {
    fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
        use serde_json::Value;
        match (base, over) {
            (_, Value::Null) => {}
            (Value::Object(b), Value::Object(o)) => {
                for (k, v) in o {
                    merge(b.entry(k).or_insert(Value::Null), v);
                }
            }
            (Value::Array(b), Value::Array(o)) if !o.is_empty() => b.extend(o),
            (b, o) => *b = o,
        }
    }
    let kube = |d: &Doc| d.root.path("spec.kube").map_or(serde_json::Value::Null, Node::to_json);
    let mut merged = kube(base);
    merge(&mut merged, kube(over));
    crate::parse::yaml::parse_one(&merged.to_string(), over.line)
        .map_or_else(|_| Node::null().clone(), |p| p.root)
}

/// Namespace and first `matchLabels` pair of a PodDisruptionBudget.
type PdbKey<'a> = (Option<&'a str>, Option<(&'a str, &'a str)>);

#[derive(Debug)]
pub struct Model<'a> {
    pub docs: &'a [Doc],
    /// Gloo chart version, when known.
    pub version: Option<Version>,
    pub proxies: Vec<Proxy<'a>>,
    /// `gloo.solo.io` Settings (normally one, `default`).
    pub settings: Vec<&'a Doc>,
    /// `gateway.solo.io` Gateways, embedded in ConfigMaps or top-level.
    pub gateways: Vec<&'a Doc>,
    /// The control-plane Deployment (`gloo: gloo`).
    pub gloo: Option<&'a Doc>,
    /// True when the render comes from Gloo Enterprise (`gloo-ee` images).
    pub enterprise: bool,
    /// kubeGateway GatewayParameters, in render order.
    pub gateway_parameters: Vec<GatewayParams<'a>>,
    /// Gateway API `Gateway`s of a class the kubeGateway controller handles (a parent chart's;
    /// the Gloo chart renders none).
    pub kube_gateways: Vec<&'a Doc>,
    /// Indexes built once, so that rules looking things up per proxy stay linear in the render
    /// (renders with hundreds of proxies exist).
    by_kind: HashMap<&'a str, Vec<&'a Doc>>,
    by_kind_name: HashMap<(&'a str, &'a str), Vec<&'a Doc>>,
    gateways_by_proxy: HashMap<String, Vec<&'a Doc>>,
    /// PDBs by namespace and one `matchLabels` pair (their first); those without matchLabels
    /// under `None`.
    pdbs_by_label: HashMap<PdbKey<'a>, Vec<&'a Doc>>,
}

impl<'a> Model<'a> {
    pub fn new(docs: &'a [Doc], version: Option<Version>) -> Self {
        let mut by_kind: HashMap<&'a str, Vec<&'a Doc>> = HashMap::new();
        let mut by_kind_name: HashMap<(&'a str, &'a str), Vec<&'a Doc>> = HashMap::new();
        for d in docs {
            by_kind.entry(d.kind.as_str()).or_default().push(d);
            by_kind_name.entry((d.kind.as_str(), d.name.as_str())).or_default().push(d);
        }
        let bootstraps: HashMap<(Option<&str>, &str), &'a Doc> = by_kind
            .get(ENVOY_BOOTSTRAP)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|d| ((d.namespace.as_deref(), d.name.as_str()), *d))
            .collect();
        let proxies = docs
            .iter()
            .filter(|d| is_workload(d) && d.embedded_in.is_none() && is_proxy_workload(d))
            .map(|workload| proxy_of(&bootstraps, workload))
            .collect();
        let settings: Vec<&Doc> = by_kind
            .get("Settings")
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|d| d.group() == "gloo.solo.io")
            .collect();
        let gateways: Vec<&Doc> = by_kind
            .get("Gateway")
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|d| d.group() == "gateway.solo.io")
            .collect();
        let mut gateways_by_proxy: HashMap<String, Vec<&Doc>> = HashMap::new();
        for g in &gateways {
            for name in gateway_proxy_names(g) {
                gateways_by_proxy.entry(name).or_default().push(g);
            }
        }
        let mut pdbs_by_label: HashMap<_, Vec<&Doc>> = HashMap::new();
        for pdb in by_kind.get("PodDisruptionBudget").map(Vec::as_slice).unwrap_or_default() {
            let first = pdb
                .root
                .path("spec.selector.matchLabels")
                .and_then(|l| l.entries().first())
                .and_then(|e| Some((e.key.as_str(), e.value.as_str()?)));
            pdbs_by_label.entry((pdb.namespace.as_deref(), first)).or_default().push(*pdb);
        }
        let gloo =
            by_kind.get("Deployment").map(Vec::as_slice).unwrap_or_default().iter().copied().find(
                |d| {
                    d.embedded_in.is_none()
                        && (d.label("gloo") == Some("gloo")
                            || (d.name == "gloo" && d.label("gloo").is_none()))
                },
            );
        let enterprise = docs.iter().filter(|d| is_workload(d)).any(|d| {
            containers(d).any(|c| {
                c.get("image")
                    .and_then(Node::as_str)
                    .is_some_and(|i| image_name(i).starts_with("gloo-ee"))
            })
        });
        let of_group = |kind: &str, group: &str| -> Vec<&'a Doc> {
            by_kind
                .get(kind)
                .into_iter()
                .flatten()
                .copied()
                .filter(|d| d.group() == group)
                .collect()
        };
        let classes: Vec<&Doc> = of_group("GatewayClass", "gateway.networking.k8s.io")
            .into_iter()
            .filter(|c| {
                c.root.path("spec.controllerName").and_then(Node::as_str)
                    == Some(KUBE_GATEWAY_CONTROLLER)
            })
            .collect();
        let gateway_parameters =
            gateway_params(&of_group("GatewayParameters", "gateway.gloo.solo.io"), &classes);
        let kube_gateways = of_group("Gateway", "gateway.networking.k8s.io")
            .into_iter()
            .filter(|g| {
                let class = g.root.path("spec.gatewayClassName").and_then(Node::as_str);
                classes.iter().any(|c| Some(c.name.as_str()) == class)
            })
            .collect();
        Model {
            docs,
            version,
            proxies,
            settings,
            gateways,
            gloo,
            enterprise,
            gateway_parameters,
            kube_gateways,
            by_kind,
            by_kind_name,
            gateways_by_proxy,
            pdbs_by_label,
        }
    }

    /// Documents of a kind (top-level and embedded), in render order.
    pub fn of_kind(&self, kind: &str) -> impl Iterator<Item = &'a Doc> + '_ {
        self.by_kind.get(kind).map(Vec::as_slice).unwrap_or_default().iter().copied()
    }

    /// A document by kind and name; a namespace given must match (documents without one match
    /// any namespace).
    pub fn find(&self, kind: &str, name: &str, namespace: Option<&str>) -> Option<&'a Doc> {
        self.by_kind_name.get(&(kind, name))?.iter().copied().find(|d| {
            namespace.is_none() || d.namespace.as_deref() == namespace || d.namespace.is_none()
        })
    }

    /// Whether the chart is `major.minor` or newer (an unknown version is taken for the newest,
    /// as [`crate::rules::Versions::contains`] takes it).
    pub fn chart_at_least(&self, major: u32, minor: u32) -> bool {
        self.version.is_none_or(|v| v >= Version::new(major, minor, 0))
    }

    /// The proxy whose workload `doc` is (an outcome of a per-proxy rule names its workload).
    pub fn proxy_with_workload(&self, doc: &Doc) -> Option<&Proxy<'a>> {
        self.proxies.iter().find(|p| std::ptr::eq(p.workload, doc))
    }

    /// The GatewayParameters whose document `doc` is (an outcome of a KGW rule names it).
    pub fn gateway_params_of(&self, doc: &Doc) -> Option<&GatewayParams<'a>> {
        self.gateway_parameters.iter().find(|gp| std::ptr::eq(gp.doc, doc))
    }

    /// The `gloo` container of the control plane.
    pub fn gloo_container(&self) -> Option<&'a Node> {
        let gloo = self.gloo?;
        containers(gloo)
            .find(|c| c.get("name").and_then(Node::as_str) == Some("gloo"))
            .or_else(|| containers(gloo).next())
    }

    /// Gateways that serve `proxy` (`spec.proxyNames`, default `[gateway-proxy]`).
    pub fn gateways_of(&self, proxy: &str) -> Vec<&'a Doc> {
        self.gateways_by_proxy.get(proxy).cloned().unwrap_or_default()
    }

    /// HPA targeting a Deployment (same namespace, `scaleTargetRef` kind and name).
    pub fn hpa_for(&self, workload: &Doc) -> Option<&'a Doc> {
        self.of_kind("HorizontalPodAutoscaler").find(|h| {
            h.namespace == workload.namespace
                && h.root.path("spec.scaleTargetRef.kind").and_then(Node::as_str)
                    == Some(workload.kind.as_str())
                && h.root.path("spec.scaleTargetRef.name").and_then(Node::as_str)
                    == Some(workload.name.as_str())
        })
    }

    /// PodDisruptionBudgets that may select a workload's pods: those of its namespace (or
    /// without one) whose first `matchLabels` pair is among the pod labels, and those without
    /// `matchLabels`. The caller applies the full selector.
    pub fn pdb_candidates(&self, workload: &Doc) -> Vec<&'a Doc> {
        let labels = workload
            .root
            .path("spec.template.metadata.labels")
            .map(Node::entries)
            .unwrap_or_default();
        let mut out = Vec::new();
        let namespaces = match workload.namespace.as_deref() {
            Some(ns) => vec![Some(ns), None],
            None => vec![None],
        };
        for ns in namespaces {
            out.extend(self.pdbs_by_label.get(&(ns, None)).into_iter().flatten().copied());
            for l in labels {
                if let Some(v) = l.value.as_str() {
                    out.extend(
                        self.pdbs_by_label
                            .get(&(ns, Some((l.key.as_str(), v))))
                            .into_iter()
                            .flatten()
                            .copied(),
                    );
                }
            }
        }
        // Render order, once each.
        out.sort_by_key(|d| std::ptr::from_ref::<Doc>(*d) as usize);
        out.dedup_by_key(|d| std::ptr::from_ref::<Doc>(*d) as usize);
        out
    }
}

pub fn is_workload(d: &Doc) -> bool {
    matches!(d.kind.as_str(), "Deployment" | "DaemonSet" | "StatefulSet")
}

fn is_proxy_workload(d: &Doc) -> bool {
    if !matches!(d.kind.as_str(), "Deployment" | "DaemonSet") {
        return false;
    }
    d.label("gloo") == Some("gateway-proxy")
        || containers(d).any(|c| {
            c.get("image")
                .and_then(Node::as_str)
                .is_some_and(|i| image_name(i).contains("envoy-wrapper"))
        })
}

fn proxy_of<'a>(
    bootstraps: &HashMap<(Option<&str>, &str), &'a Doc>,
    workload: &'a Doc,
) -> Proxy<'a> {
    let pod_spec = workload.root.path("spec.template.spec").unwrap_or(Node::null());
    let envoy = containers(workload)
        .find(|c| c.get("name").and_then(Node::as_str) == Some(workload.name.as_str()))
        .or_else(|| {
            containers(workload).find(|c| {
                c.get("image")
                    .and_then(Node::as_str)
                    .is_some_and(|i| image_name(i).contains("envoy-wrapper"))
            })
        });
    // The bootstrap comes from the ConfigMap behind volume `envoy-config`; fall back to the
    // chart's naming convention when the volume is missing.
    let config_map = pod_spec
        .get("volumes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|v| v.get("name").and_then(Node::as_str) == Some("envoy-config"))
        .and_then(|v| v.path("configMap.name"))
        .and_then(Node::as_str)
        .map_or_else(|| format!("{}-envoy-config", workload.name), str::to_string);
    let bootstrap = bootstraps.get(&(workload.namespace.as_deref(), config_map.as_str())).copied();
    Proxy {
        name: &workload.name,
        namespace: workload.namespace.as_deref(),
        workload,
        pod_spec,
        envoy,
        bootstrap,
    }
}

/// Containers of a workload's pod template.
pub fn containers(workload: &Doc) -> impl Iterator<Item = &Node> {
    workload.root.path("spec.template.spec.containers").map(Node::items).unwrap_or_default().iter()
}

/// `quay.io/solo-io/gloo:1.17.38` -> `gloo`.
pub fn image_name(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// `quay.io/solo-io/gloo:1.17.38` -> `1.17.38`.
pub fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':').map(|(_, t)| t)
}

/// Names of the gateway proxies (their workloads' names), as [`Model::proxies`] lists them,
/// without building the model.
pub fn proxy_names(docs: &[Doc]) -> Vec<String> {
    docs.iter()
        .filter(|d| is_workload(d) && d.embedded_in.is_none() && is_proxy_workload(d))
        .map(|d| d.name.to_string())
        .collect()
}

pub fn gateway_proxy_names(gateway: &Doc) -> Vec<String> {
    match gateway.root.path("spec.proxyNames") {
        Some(n) if !n.items().is_empty() => {
            n.items().iter().filter_map(Node::scalar_text).collect()
        }
        _ => vec!["gateway-proxy".to_string()],
    }
}

/// Go's `strconv.ParseBool` truth, for env var values (HARDENING.md GLOO-009, GLOO-024).
pub fn go_truthy(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// The value of env var `name` on a container, as text.
pub fn env_value(container: &Node, name: &str) -> Option<String> {
    container
        .get("env")?
        .items()
        .iter()
        .rev()
        .find(|e| e.get("name").and_then(Node::as_str) == Some(name))
        .and_then(|e| e.get("value"))
        .and_then(Node::scalar_text)
}

/// Parses a protobuf-style duration (`10s`, `0.5s`, `5m`, `1h`, `300ms`) into seconds.
/// A bare number counts as seconds.
pub fn duration_seconds(node: &Node) -> Option<f64> {
    if let Some(i) = node.as_i64() {
        return Some(i as f64);
    }
    if let crate::parse::yaml::Value::Float(f) = node.value {
        return Some(f);
    }
    let s = node.as_str()?.trim();
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 0.000_001)
    } else if let Some(n) = s.strip_suffix("ns") {
        (n, 0.000_000_001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    number.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).map(|v| v * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml::parse_one;

    #[test]
    fn durations() {
        let d = |s: &str| duration_seconds(&parse_one(s, 1).unwrap().root);
        assert_eq!(d("10s"), Some(10.0));
        assert_eq!(d("0.5s"), Some(0.5));
        assert_eq!(d("5m"), Some(300.0));
        assert_eq!(d("0s"), Some(0.0));
        assert_eq!(d("300"), Some(300.0));
        assert_eq!(d("abc"), None);
    }

    #[test]
    fn image_parts() {
        assert_eq!(image_name("quay.io/solo-io/gloo-ee:1.17.0"), "gloo-ee");
        assert_eq!(image_tag("quay.io/solo-io/gloo:1.17.38"), Some("1.17.38"));
        assert_eq!(image_tag("localhost:5000/gloo"), None);
    }
}
