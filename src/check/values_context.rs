//! Fix resolution: a rule's declared fix (or an outcome's own) turned into the values path of
//! this chart (version, `gloo.` prefix, proxy key) and located in the user's values files and
//! `--set` arguments.

use super::{Finding, FixSuggestion};
use crate::check::proxy_values::OwnBlock;
use crate::parse::values::{is_set, locate_fix, Location, SetKey, ValuesFile};
use crate::parse::Doc;
use crate::rules::{Fix, Outcome, OutcomeFix, Status, Target};
use std::collections::HashMap;
use std::sync::Arc;

/// What fix resolution needs to know about the user's values.
#[derive(Debug, Clone, Default)]
pub struct ValuesContext {
    /// `""` or `"gloo."`.
    pub prefix: String,
    /// `gatewayProxies` keys known from the chart's and the user's values.
    pub proxy_keys: Vec<String>,
    pub files: Vec<ValuesFile>,
    pub sets: Vec<SetKey>,
    /// What the chart renders into a generated Gateway only while its `customHttp(s)Gateway`
    /// is unset (the proxy's `tracing.provider`, HARDENING.md 5), below that block's path, by
    /// proxy and `ssl`: a fix that creates the block carries it along or it is dropped.
    pub generated_gateway_extras: HashMap<(String, bool), serde_json::Value>,
    /// The chart's values schema, when the user's values are judged against it (VALUES-*).
    pub schema: Option<Arc<crate::check::schema::ChartSchema>>,
    /// The CRDs the rendered custom resources are judged by (VALUES-005, VALUES-006), when
    /// they are judged.
    pub crds: Option<Arc<crate::check::schema::crd::CrdSet>>,
    /// The Gloo chart's version: which own keys a proxy rendered from its own block has
    /// ([`OwnBlock`]).
    pub version: Option<crate::parse::version::Version>,
}

impl ValuesContext {
    /// The `gatewayProxies` key of a rendered proxy name (`gateway-proxy` -> `gatewayProxy`).
    pub fn proxy_key(&self, rendered: &str) -> String {
        self.proxy_keys
            .iter()
            .find(|k| kebab_case(k) == rendered)
            .cloned()
            .unwrap_or_else(|| camel_case(rendered))
    }

    /// The full values path and value of `fix` for `target`. Err: why the target's proxy has
    /// no key for it (`Self::keyed`).
    pub fn resolve(
        &self,
        fix: &Fix,
        target: &Target,
    ) -> Result<(String, Arc<serde_json::Value>), String> {
        let (path, value) = fix
            .unless_set_at
            .and_then(|other| self.keyed(other, fix.json(), target).ok())
            .filter(|(other, _)| self.sets_key(other))
            .map_or_else(|| self.keyed(fix.path, fix.json(), target), Ok)?;
        Ok(self.placed(path, value, target))
    }

    /// A fix path (as in [`Self::resolve_path`]) and its value as the keys of the target's proxy.
    /// For a proxy the chart renders from a block of its own ([`OwnBlock`]: Knative, ingress)
    /// that is its own key, or Err with why there is none: the `gatewayProxies.<key>` of its
    /// name would not reach it but render a second, stray proxy.
    pub(super) fn keyed(
        &self,
        path: &str,
        value: Arc<serde_json::Value>,
        target: &Target,
    ) -> Result<(String, Arc<serde_json::Value>), String> {
        let Some(own) = self.own_block(target) else {
            return Ok((self.resolve_path(path, target), value));
        };
        // The reason names the block, the key that would create the stray proxy, the version.
        let why = |what: Option<String>| {
            let stray = self.resolve_path(path, target);
            let on = self.version.map(|v| format!(" on gloo {v}")).unwrap_or_default();
            let from = format!("{} is rendered from {}{}", own.proxy, self.prefix, own.block);
            match what {
                Some(what) => format!(
                    "{from}, which has no key for {what}{on}; {stray} would create a second proxy"
                ),
                None => format!(
                    "{from}, not from gatewayProxies: {stray} does not reach it, and that block has no key for it{on}"
                ),
            }
        };
        // A chart-wide key (`gateway.proxyServiceAccount`) is read for gatewayProxies proxies.
        let below = path.strip_prefix("{GP}").filter(|b| b.is_empty() || b.starts_with('.'));
        let Some(below) = below else { return Err(why(None)) };
        let (own_path, own_value) = own
            .map(below.trim_start_matches('.'), &value, self.version)
            .map_err(|what| why(Some(what)))?;
        Ok((format!("{}{own_path}", self.prefix), Arc::new(own_value)))
    }

    /// The own block of the target's proxy, when the chart renders it from one: a proxy of that
    /// name under `gatewayProxies` (the chart's or the user's) is that one.
    pub(super) fn own_block(&self, target: &Target) -> Option<&'static OwnBlock> {
        let (Target::Proxy(proxy) | Target::Gateway { proxy, .. }) = target else { return None };
        if self.proxy_keys.iter().any(|k| kebab_case(k) == *proxy) {
            return None;
        }
        OwnBlock::of(proxy)
    }

    /// Whether the user's values set the key at fix path `path` for `target`.
    pub(super) fn sets_for(&self, path: &str, target: &Target) -> bool {
        self.keyed(path, Arc::new(serde_json::Value::Null), target)
            .is_ok_and(|(key, _)| self.sets_key(&key))
    }

    /// A resolved fix as it goes into the user's values: into their `http(s)GatewayKubeOverride`
    /// where that sets the field, else carrying what a new custom Gateway block must keep.
    pub(super) fn placed(
        &self,
        path: String,
        value: Arc<serde_json::Value>,
        target: &Target,
    ) -> (String, Arc<serde_json::Value>) {
        match self.gateway_override(&path, target) {
            Some(over) => (over, value),
            None => self.carry_generated_extras(path, value, target),
        }
    }

    /// The same Gateway field in the user's `http(s)GatewayKubeOverride`, when they set it there:
    /// the chart merges that override over the Gateway it generates, so it wins over the fix.
    pub(super) fn gateway_override(&self, path: &str, target: &Target) -> Option<String> {
        let Target::Gateway { ssl, .. } = target else { return None };
        let gp = self.resolve_path("{GP}", target);
        let over = format!(
            "{gp}.gatewaySettings.{}GatewayKubeOverride.spec",
            if *ssl { "https" } else { "http" }
        );
        let block = self.resolve_path("{GW}", target);
        let field = if let Some(rest) = path.strip_prefix(&format!("{block}.")) {
            format!("{over}.httpGateway.{rest}")
        } else if let Some(rest) = path.strip_prefix(&format!("{gp}.gatewaySettings.options.")) {
            format!("{over}.options.{rest}")
        } else if path == format!("{gp}.gatewaySettings.accessLoggingService") {
            format!("{over}.options.accessLoggingService")
        } else {
            return None;
        };
        self.sets_key(&field).then_some(field)
    }

    /// A fix inside a `customHttp(s)Gateway` the user's values do not set yet (the fix creates
    /// it): widened to carry what the chart rendered into the generated Gateway without it.
    pub(super) fn carry_generated_extras(
        &self,
        path: String,
        value: Arc<serde_json::Value>,
        target: &Target,
    ) -> (String, Arc<serde_json::Value>) {
        let Target::Gateway { proxy, ssl } = target else { return (path, value) };
        let Some(extras) = self.generated_gateway_extras.get(&(proxy.clone(), *ssl)) else {
            return (path, value);
        };
        let block = self.resolve_path("{GW}", target);
        let Some(below) = path.strip_prefix(&block).and_then(|b| b.strip_prefix('.')) else {
            return (path, value);
        };
        if self.sets_key(&block) {
            return (path, value);
        }
        // The deepest mapping the fix and the extras share is the fix's new parent.
        let below: Vec<&str> = below.split('.').collect();
        let mut shared = extras;
        let mut depth = 0;
        while depth + 1 < below.len() {
            match shared.get(below[depth]) {
                Some(next) if next.is_object() => {
                    shared = next;
                    depth += 1;
                }
                _ => break,
            }
        }
        let mut widened = serde_json::Value::clone(&value);
        for key in below[depth..].iter().rev() {
            widened = serde_json::json!({ *key: widened });
        }
        let mut carried = shared.clone();
        crate::parse::values::merge(&mut carried, widened);
        let parent = std::iter::once(block.as_str())
            .chain(below[..depth].iter().copied())
            .collect::<Vec<_>>()
            .join(".");
        (parent, Arc::new(carried))
    }

    /// The user's own Envoy bootstrap (`{GP}.configMap.data`, which the chart renders instead of
    /// the one it builds from its values), when it is what `fix` would change: the bootstrap
    /// itself, or a value that only feeds the chart's bootstrap. None otherwise.
    pub(super) fn users_own_bootstrap(
        &self,
        outcome: &Outcome<'_>,
        fix: &FixSuggestion,
    ) -> Option<String> {
        if !matches!(outcome.target, Target::Proxy(_) | Target::Gateway { .. }) {
            return None;
        }
        let own = self.resolve_path("{GP}.configMap.data", &outcome.target);
        let feeds_bootstrap = [
            "{GP}.customStaticLayer",
            "{GP}.envoyOverloadManager",
            "{GP}.stats",
            "{GP}.readConfig",
            "{GP}.loopBackAddress",
        ]
        .iter()
        .any(|key| is_within(&fix.values_path, &self.resolve_path(key, &outcome.target)));
        ((outcome.doc.kind == crate::parse::ENVOY_BOOTSTRAP || feeds_bootstrap)
            && self.sets_key(&own))
        .then_some(own)
    }

    /// The user's own Envoy bootstrap key of a proxy (`{GP}.configMap.data`), when they set it.
    pub(super) fn own_bootstrap_key(&self, target: &Target) -> Option<String> {
        if !matches!(target, Target::Proxy(_) | Target::Gateway { .. }) {
            return None;
        }
        let own = self.resolve_path("{GP}.configMap.data", target);
        self.sets_key(&own).then_some(own)
    }

    /// Whether the user's values (a file or a `--set`) set the key at a full dotted `path`.
    pub(super) fn sets_key(&self, path: &str) -> bool {
        is_set(&path.split('.').collect::<Vec<_>>(), &self.files, &self.sets)
    }

    /// A fix path (`{GP}` / `{GW}` placeholders, no chart prefix) as the full values path for
    /// `target`, under `gatewayProxies`: a fix goes through `Self::keyed`, which knows the
    /// proxies the chart renders from a block of their own.
    pub fn resolve_path(&self, path: &str, target: &Target) -> String {
        let proxy = match target {
            Target::Proxy(p) | Target::Gateway { proxy: p, .. } => Some(p.as_str()),
            Target::Chart => None,
        };
        let gp = format!("gatewayProxies.{}", self.proxy_key(proxy.unwrap_or("gateway-proxy")));
        let gw = match target {
            Target::Gateway { ssl: true, .. } => format!("{gp}.gatewaySettings.customHttpsGateway"),
            _ => format!("{gp}.gatewaySettings.customHttpGateway"),
        };
        let path =
            path.replace("{GW}", &gw).replace("{GP}", &gp).replace("{KG}", KUBE_GATEWAY_VALUES);
        if path.starts_with("global.") {
            path
        } else {
            format!("{}{path}", self.prefix)
        }
    }

    /// The fix of a failing outcome, located in the user's values. None when values cannot fix it.
    pub fn suggestion_for(
        &self,
        declared: Option<&Fix>,
        outcome: &OutcomeFix,
        target: &Target,
    ) -> Option<FixSuggestion> {
        self.suggest(declared, outcome, target).ok()
    }

    /// [`Self::suggestion_for`], or why values cannot fix it when the finding's message does
    /// not say (Err(None): it does, or the rule has no values fix).
    pub fn suggest(
        &self,
        declared: Option<&Fix>,
        outcome: &OutcomeFix,
        target: &Target,
    ) -> Result<FixSuggestion, Option<String>> {
        let declared_fix = declared;
        let declared = || self.resolve(declared.ok_or(None)?, target).map_err(Some);
        let custom = |path: &str, value: &serde_json::Value| {
            let (path, value) = self.keyed(path, Arc::new(value.clone()), target)?;
            Ok(self.placed(path, value, target))
        };
        let (values_path, value) = match outcome {
            OutcomeFix::Declared => declared()?,
            OutcomeFix::Nothing => return Err(None),
            // A proxy rendered from a block of its own may have no key for the fix at all,
            // whatever else it lacks: that reason comes first.
            OutcomeFix::NothingBecause(why) => {
                let own = declared_fix.and_then(|d| self.keyed(d.path, d.json(), target).err());
                return Err(Some(own.unwrap_or_else(|| why.clone())));
            }
            OutcomeFix::Custom { path, value } => custom(path, value).map_err(Some)?,
            OutcomeFix::WhereSet { when_set, unless_set, path, value } => {
                let sets_any = |keys: &[String]| keys.iter().any(|key| self.sets_for(key, target));
                if sets_any(when_set) && !sets_any(unless_set) {
                    custom(path, value).map_err(Some)?
                } else {
                    declared()?
                }
            }
        };
        Ok(self.locate(values_path, value))
    }

    pub(super) fn locate(
        &self,
        values_path: String,
        value: Arc<serde_json::Value>,
    ) -> FixSuggestion {
        let segments: Vec<&str> = values_path.split('.').collect();
        let location = locate_fix(&segments, &value, &self.files, &self.sets);
        let (file, line, exact, set) = match location {
            Location::File { path, line, exact } => {
                (Some(path.display().to_string()), line, exact, None)
            }
            Location::Set { flag } => (Some("--set".to_string()), None, true, Some(flag)),
            Location::Nowhere => (None, None, false, None),
        };
        FixSuggestion { values_path, value, file, line, exact, set, renames: None }
    }
}

/// Keys below `gatewayProxies.<name>` that the chart reads from the proxy's own block only,
/// not from the merge with `gatewayProxies.gatewayProxy` (its Deployment, ConfigMap, PDB and
/// HPA overrides, its node selector, whether it is disabled, its Service): verified in the
/// templates of 1.13.39, 1.17.38 and 1.22.1.
pub(super) const UNMERGED_PROXY_KEYS: &[&str] = &[
    "kubeResourceOverride",
    "configMap.kubeResourceOverride",
    "podDisruptionBudget.kubeResourceOverride",
    "horizontalPodAutoscaler.kubeResourceOverride",
    "podTemplate.nodeSelector",
    "disabled",
    "service",
    "checksum",
];

/// The default proxy's key, which the chart merges under every other `gatewayProxies` entry.
pub(super) const DEFAULT_PROXY_KEY: &str = "gatewayProxy";

impl ValuesContext {
    /// One rule's findings (`targets`: each one's target): where every proxy the chart renders
    /// from `gatewayProxies` fails it with the same fix below its own key, and no proxy but the
    /// default sets that key itself, the fix of each goes to `gatewayProxies.gatewayProxy`
    /// instead, once for all. Every Gloo chart (1.13.39, 1.17.38 and 1.22.1 verified) renders
    /// each proxy's Deployment, ConfigMap, PDB, HPA and Gateways from its own block merged over
    /// `gatewayProxies.gatewayProxy` (`mergeOverwrite`, the proxy's own keys winning), except
    /// for [`UNMERGED_PROXY_KEYS`]. A suppressed failure, a `--set` key or a proxy that passes
    /// keeps the fixes where they are.
    pub(super) fn write_once_for_every_proxy(&self, findings: &mut [Finding], targets: &[Target]) {
        // Per shape of target (a proxy, its http Gateway, its https Gateway): the proxies the
        // rule judged, and per (path below the proxy key, value) the failures that share it.
        type Shape = Option<bool>;
        /// A shape, the path below the proxy key, the value; the findings and their proxy keys.
        type Group = (Shape, String, Arc<serde_json::Value>, Vec<usize>, Vec<String>);
        let mut judged: HashMap<Shape, std::collections::BTreeSet<String>> = HashMap::new();
        let mut groups: Vec<Group> = Vec::new();
        for (i, (f, target)) in findings.iter().zip(targets).enumerate() {
            let (proxy, shape) = match target {
                Target::Proxy(p) => (p, None),
                Target::Gateway { proxy, ssl } => (proxy, Some(*ssl)),
                Target::Chart => continue,
            };
            if self.own_block(target).is_some() || f.status == Status::Na {
                continue;
            }
            let key = self.proxy_key(proxy);
            judged.entry(shape).or_default().insert(key.clone());
            let Some(fix) = f.fix.as_deref().filter(|_| f.status == Status::Fail) else {
                continue;
            };
            let own = format!("{}gatewayProxies.{key}.", self.prefix);
            let below = fix
                .values_path
                .strip_prefix(&own)
                .filter(|_| f.suppressed.is_none() && fix.set.is_none() && fix.renames.is_none());
            let Some(below) = below else { continue };
            match groups.iter_mut().find(|g| g.0 == shape && g.1 == below && g.2 == fix.value) {
                Some(g) => {
                    g.3.push(i);
                    g.4.push(key);
                }
                None => {
                    groups.push((shape, below.to_string(), fix.value.clone(), vec![i], vec![key]));
                }
            }
        }
        for (shape, below, value, members, keys) in groups {
            let all: std::collections::BTreeSet<String> = keys.iter().cloned().collect();
            // Every key the fix sets must be one the chart merges (1.13's PDB fix carries its
            // `kubeResourceOverride`, which it does not).
            let merged = value_leaves(&below, &value)
                .iter()
                .all(|leaf| !UNMERGED_PROXY_KEYS.iter().any(|k| is_within(leaf, k)));
            if all.len() < 2 || judged.get(&shape) != Some(&all) || !merged {
                continue;
            }
            if keys
                .iter()
                .any(|k| k != DEFAULT_PROXY_KEY && self.sets_below_proxy(k, &below, &value))
            {
                continue;
            }
            let path = format!("{}gatewayProxies.{DEFAULT_PROXY_KEY}.{below}", self.prefix);
            let fix = self.locate(path, value);
            for i in members {
                let f = &mut findings[i];
                f.fix = Some(Box::new(fix.clone()));
                f.message = format!(
                    "{} (one fix for every proxy: the chart merges gatewayProxies.{DEFAULT_PROXY_KEY} into each)",
                    f.message
                );
            }
        }
    }

    /// Whether the user's values set, in proxy `key`'s own block, a key the fix at `below`
    /// (with `value`) would set, or one of its parents to something other than a mapping:
    /// either keeps the default proxy's key from reaching that proxy.
    pub(super) fn sets_below_proxy(
        &self,
        key: &str,
        below: &str,
        value: &serde_json::Value,
    ) -> bool {
        let base = format!("{}gatewayProxies.{key}", self.prefix);
        let mut paths = vec![below.to_string()];
        paths.extend(value_leaves(below, value));
        paths.iter().any(|leaf| {
            let segments: Vec<&str> = leaf.split('.').collect();
            (1..=segments.len()).any(|n| {
                let path = format!("{base}.{}", segments[..n].join("."));
                let is_leaf = n == segments.len() && *leaf != below;
                self.sets_key(&path) && (is_leaf || !self.is_mapping(&path))
            })
        })
    }

    /// Whether the last values file that sets dotted `path` sets it to a mapping.
    pub(super) fn is_mapping(&self, path: &str) -> bool {
        self.files
            .iter()
            .rev()
            .find_map(|f| f.root.path(path))
            .is_some_and(|node| node.to_json().is_object())
    }
}

/// The dotted paths `value` sets at `at`: its leaves (a list, a scalar or an empty mapping).
pub(super) fn value_leaves(at: &str, value: &serde_json::Value) -> Vec<String> {
    pub(super) fn walk(at: String, v: &serde_json::Value, out: &mut Vec<String>) {
        match v.as_object().filter(|m| !m.is_empty()) {
            Some(map) => map.iter().for_each(|(k, v)| walk(format!("{at}.{k}"), v, out)),
            None => out.push(at),
        }
    }
    let mut out = Vec::new();
    walk(at.to_string(), value, &mut out);
    out
}

/// Where the chart's kubeGateway GatewayParameters takes its values (`{KG}` in a fix path).
pub const KUBE_GATEWAY_VALUES: &str = "kubeGateway.gatewayParameters.glooGateway";

/// Whether dotted `path` is `key` or below it (`a.stats.x` is below `a.stats`; `a.statsX` is not).
pub fn is_within(path: &str, key: &str) -> bool {
    path.strip_prefix(key).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// The tracing the chart renders into each generated Gateway from the proxy's `tracing.provider`
/// (see [`ValuesContext::generated_gateway_extras`]), below `customHttp(s)Gateway`.
pub fn generated_gateway_extras(docs: &[Doc]) -> HashMap<(String, bool), serde_json::Value> {
    let mut extras = HashMap::new();
    for gateway in docs.iter().filter(|d| d.kind == "Gateway") {
        let Some(Target::Gateway { proxy, ssl }) =
            crate::rules::helpers::generated_gateway_target(gateway)
        else {
            continue;
        };
        if let Some(tracing) =
            gateway.root.path("spec.httpGateway.options.httpConnectionManagerSettings.tracing")
        {
            extras.insert((proxy, ssl), serde_json::json!({ "options": { "httpConnectionManagerSettings": { "tracing": tracing.to_json() } } }));
        }
    }
    extras
}

/// Sprig's `kebabcase` as the chart applies it to `gatewayProxies` keys.
pub fn kebab_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower_or_digit = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower_or_digit {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower_or_digit = false;
        } else if c == '_' || c == ' ' {
            out.push('-');
            prev_lower_or_digit = false;
        } else {
            out.push(c);
            prev_lower_or_digit = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

pub(super) fn camel_case(kebab: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in kebab.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
