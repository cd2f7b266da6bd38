//! Check step: runs every rule over the model of a render, then turns outcomes into findings
//! with the values fix resolved for this chart (version, `gloo.` prefix, proxy key) and located
//! in the user's values files.

use crate::chart::ChartInfo;
use crate::config::Config;
use crate::model::Model;
use crate::parse::Doc;
use crate::proxy_values::OwnBlock;
use crate::rules::{Fix, Outcome, OutcomeFix, Rule, Severity, Status, Target, CONFIG_RULE, RULES};
use crate::values::{is_set, locate_fix, Location, SetKey, ValuesFile};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// All outcomes of one rule.
#[derive(Debug)]
pub struct RuleResult<'a> {
    pub rule: &'static Rule,
    pub outcomes: Vec<Outcome<'a>>,
}

impl RuleResult<'_> {
    /// The rule's overall status: FAIL if any result fails, else PASS if any passes, else
    /// ADVISORY if any is advice, else NA (also when nothing was inspected).
    pub fn status(&self) -> Status {
        aggregate(self.outcomes.iter().map(|o| o.status))
    }
}

pub fn aggregate(statuses: impl Iterator<Item = Status> + Clone) -> Status {
    [Status::Fail, Status::Pass, Status::Advisory]
        .into_iter()
        .find(|s| statuses.clone().any(|x| x == *s))
        .unwrap_or(Status::Na)
}

/// Runs every rule on `docs`.
pub fn evaluate<'a>(docs: &'a [Doc], chart: &ChartInfo) -> Vec<RuleResult<'a>> {
    let threads = if docs.len() < PARALLEL_RULES_THRESHOLD {
        1
    } else {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    };
    evaluate_on(docs, chart, threads)
}

/// Below this many documents the rules run on one thread (spawning costs more than it saves).
const PARALLEL_RULES_THRESHOLD: usize = 5_000;

/// [`evaluate`] on `threads` threads; the results are the same, in catalog order.
pub fn evaluate_on<'a>(docs: &'a [Doc], chart: &ChartInfo, threads: usize) -> Vec<RuleResult<'a>> {
    let model = Model::new(docs, chart.gloo_version);
    let threads = threads.min(RULES.len());
    if threads < 2 {
        return RULES
            .iter()
            .map(|rule| RuleResult { rule, outcomes: (rule.check)(&model) })
            .collect();
    }
    // Rules are independent reads of one model: on a large render they run on every core, each
    // thread taking the next rule not yet taken (their costs differ by orders of magnitude).
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut outcomes: Vec<(usize, Vec<Outcome<'a>>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(rule) = RULES.get(i) else { return done };
                        done.push((i, (rule.check)(&model)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    outcomes.sort_unstable_by_key(|(i, _)| *i);
    outcomes.into_iter().map(|(i, outcomes)| RuleResult { rule: RULES[i], outcomes }).collect()
}

/// The object a finding is about.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub template: Option<String>,
    /// `ConfigMap/<name>[<key>]` for objects embedded as YAML text.
    pub embedded_in: Option<String>,
    /// Line in the render.
    pub line: usize,
}

impl ObjectRef {
    fn of(doc: &Doc, line: Option<usize>) -> Self {
        ObjectRef {
            api_version: doc.api_version.to_string(),
            kind: doc.kind.to_string(),
            name: doc.name.to_string(),
            namespace: doc.namespace.as_ref().map(ToString::to_string),
            template: doc.template.as_ref().map(ToString::to_string),
            embedded_in: doc.embedded_in.as_ref().map(ToString::to_string),
            line: line.unwrap_or(doc.line),
        }
    }

    /// `Kind/name`, what suppressions match.
    pub fn kind_name(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// The Helm value that fixes a finding, and where it goes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FixSuggestion {
    /// Full dotted values path, prefix included (`gloo.gatewayProxies.gatewayProxy.podTemplate.probes`).
    pub values_path: String,
    pub value: Arc<serde_json::Value>,
    /// The values file to change; `--set` when a `--set` argument decides the key.
    pub file: Option<String>,
    /// Line of the key (or of its deepest existing parent) in `file`.
    pub line: Option<usize>,
    /// True when `line` holds the key itself, false when it is the parent the key goes under.
    pub exact: bool,
    /// The `--set` argument that sets the key, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    /// A rename: the full path of the key on `line` that becomes `values_path` (its value
    /// kept), for a misspelled key (VALUES-001).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renames: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub status: Status,
    pub title: &'static str,
    pub message: String,
    /// Shared by the findings of one object (a large render has hundreds of thousands).
    pub object: Arc<ObjectRef>,
    /// Boxed: most findings (passes, NA) have none, and a large render has 100,000s.
    pub fix: Option<Box<FixSuggestion>>,
    /// Why the finding is suppressed (config), when it is: suppressed failures do not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// For `overlay --all`: the outcome's own fix, when it has one (passing or not), which
    /// replaces its rule's declared fix for this object. Resolved only by `overlay --all`; not
    /// reported.
    #[serde(skip)]
    pub pin: Option<Box<Pin>>,
    /// Against the base of a change (`--base`), for a failure: new or existing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<crate::compare::Change>,
}

/// An object's own hardening fix (see [`Finding::pin`]), as the rule gave it.
#[derive(Debug, Clone)]
pub struct Pin {
    pub target: Target,
    pub own: OutcomeFix,
}

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
    pub schema: Option<Arc<crate::schema::ChartSchema>>,
    /// The CRDs the rendered custom resources are judged by (VALUES-005, VALUES-006), when
    /// they are judged.
    pub crds: Option<Arc<crate::schema::crd::CrdSet>>,
    /// The Gloo chart's version: which own keys a proxy rendered from its own block has
    /// ([`OwnBlock`]).
    pub version: Option<crate::chart::Version>,
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
    /// no key for it ([`Self::keyed`]).
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
    fn keyed(
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
    fn own_block(&self, target: &Target) -> Option<&'static OwnBlock> {
        let (Target::Proxy(proxy) | Target::Gateway { proxy, .. }) = target else { return None };
        if self.proxy_keys.iter().any(|k| kebab_case(k) == *proxy) {
            return None;
        }
        OwnBlock::of(proxy)
    }

    /// Whether the user's values set the key at fix path `path` for `target`.
    fn sets_for(&self, path: &str, target: &Target) -> bool {
        self.keyed(path, Arc::new(serde_json::Value::Null), target)
            .is_ok_and(|(key, _)| self.sets_key(&key))
    }

    /// A resolved fix as it goes into the user's values: into their `http(s)GatewayKubeOverride`
    /// where that sets the field, else carrying what a new custom Gateway block must keep.
    fn placed(
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
    fn gateway_override(&self, path: &str, target: &Target) -> Option<String> {
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
    fn carry_generated_extras(
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
        crate::values::merge(&mut carried, widened);
        let parent = std::iter::once(block.as_str())
            .chain(below[..depth].iter().copied())
            .collect::<Vec<_>>()
            .join(".");
        (parent, Arc::new(carried))
    }

    /// The user's own Envoy bootstrap (`{GP}.configMap.data`, which the chart renders instead of
    /// the one it builds from its values), when it is what `fix` would change: the bootstrap
    /// itself, or a value that only feeds the chart's bootstrap. None otherwise.
    fn users_own_bootstrap(&self, outcome: &Outcome<'_>, fix: &FixSuggestion) -> Option<String> {
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
    fn own_bootstrap_key(&self, target: &Target) -> Option<String> {
        if !matches!(target, Target::Proxy(_) | Target::Gateway { .. }) {
            return None;
        }
        let own = self.resolve_path("{GP}.configMap.data", target);
        self.sets_key(&own).then_some(own)
    }

    /// Whether the user's values (a file or a `--set`) set the key at a full dotted `path`.
    fn sets_key(&self, path: &str) -> bool {
        is_set(&path.split('.').collect::<Vec<_>>(), &self.files, &self.sets)
    }

    /// A fix path (`{GP}` / `{GW}` placeholders, no chart prefix) as the full values path for
    /// `target`, under `gatewayProxies`: a fix goes through [`Self::keyed`], which knows the
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

    fn locate(&self, values_path: String, value: Arc<serde_json::Value>) -> FixSuggestion {
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
const UNMERGED_PROXY_KEYS: &[&str] = &[
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
const DEFAULT_PROXY_KEY: &str = "gatewayProxy";

impl ValuesContext {
    /// One rule's findings (`targets`: each one's target): where every proxy the chart renders
    /// from `gatewayProxies` fails it with the same fix below its own key, and no proxy but the
    /// default sets that key itself, the fix of each goes to `gatewayProxies.gatewayProxy`
    /// instead, once for all. Every Gloo chart (1.13.39, 1.17.38 and 1.22.1 verified) renders
    /// each proxy's Deployment, ConfigMap, PDB, HPA and Gateways from its own block merged over
    /// `gatewayProxies.gatewayProxy` (`mergeOverwrite`, the proxy's own keys winning), except
    /// for [`UNMERGED_PROXY_KEYS`]. A suppressed failure, a `--set` key or a proxy that passes
    /// keeps the fixes where they are.
    fn write_once_for_every_proxy(&self, findings: &mut [Finding], targets: &[Target]) {
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
    fn sets_below_proxy(&self, key: &str, below: &str, value: &serde_json::Value) -> bool {
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
    fn is_mapping(&self, path: &str) -> bool {
        self.files
            .iter()
            .rev()
            .find_map(|f| f.root.path(path))
            .is_some_and(|node| node.to_json().is_object())
    }
}

/// The dotted paths `value` sets at `at`: its leaves (a list, a scalar or an empty mapping).
fn value_leaves(at: &str, value: &serde_json::Value) -> Vec<String> {
    fn walk(at: String, v: &serde_json::Value, out: &mut Vec<String>) {
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

fn camel_case(kebab: &str) -> String {
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

/// The suppressions of a run: the config's (by rule and `Kind/name`) and the values files'
/// inline ones (by rule and the values line a failure's fix goes to). Each is marked used when
/// it matches a failure, expired or not; [`Suppressions::finish`] reports the expired ones as
/// HH-CONFIG failures at their line and the unused ones as warnings.
struct Suppressions<'a> {
    config: &'a Config,
    inline: Vec<(&'a ValuesFile, &'a crate::config::InlineSuppression)>,
    used_config: Vec<bool>,
    used_inline: Vec<bool>,
    today: &'a str,
}

impl<'a> Suppressions<'a> {
    fn new(config: &'a Config, files: &'a [ValuesFile], today: &'a str) -> Self {
        let inline: Vec<_> =
            files.iter().flat_map(|f| f.suppressions.iter().map(move |s| (f, s))).collect();
        Suppressions {
            config,
            used_config: vec![false; config.suppressions.len()],
            used_inline: vec![false; inline.len()],
            inline,
            today,
        }
    }

    /// Why a failure of `rule` on `object`, fixed by `fix`, is suppressed, when a suppression
    /// that has not expired matches it: the config's first, else one on the fix's values line
    /// (its reason followed by where it is written).
    fn reason(
        &mut self,
        rule: &Rule,
        object: &ObjectRef,
        fix: Option<&FixSuggestion>,
    ) -> Option<String> {
        if let Some((i, s)) = self.config.suppression_for(rule.id, &object.kind_name()) {
            self.used_config[i] = true;
            return (!s.expired(self.today)).then(|| s.reason.clone());
        }
        let fix = fix.filter(|f| f.set.is_none())?;
        let (file, line) = (fix.file.as_deref()?, fix.line?);
        let i = self.inline.iter().position(|(f, s)| {
            s.key_line == line
                && s.suppression.rule == rule.id
                && f.path.display().to_string() == file
        })?;
        self.used_inline[i] = true;
        let s = &self.inline[i].1.suppression;
        (!s.expired(self.today)).then(|| format!("{} ({file}:{})", s.reason, s.line))
    }

    /// HH-CONFIG failures for the expired suppressions (when the rule is on) and warnings for
    /// those that matched nothing.
    fn finish(self, findings: &mut Vec<Finding>, warnings: &mut Vec<Warning>) {
        let config_file = self.config.path.as_ref().map(|p| p.display().to_string());
        let config_severity = self.config.severity_of(&CONFIG_RULE);
        let config = self
            .config
            .suppressions
            .iter()
            .zip(self.used_config)
            .map(|(s, used)| (s, used, config_file.clone(), ""));
        let inline = self.inline.iter().zip(self.used_inline).map(|((f, s), used)| {
            (&s.suppression, used, Some(f.path.display().to_string()), "inline ")
        });
        for (s, used, file, what) in config.chain(inline) {
            if s.expired(self.today) {
                let Some(severity) = config_severity else { continue };
                findings.push(Finding {
                    rule: CONFIG_RULE.id,
                    severity,
                    status: Status::Fail,
                    title: CONFIG_RULE.title,
                    message: format!(
                        "{what}suppression of {} for {} expired on {} (reason was: {})",
                        s.rule,
                        s.object,
                        s.expires.as_deref().unwrap_or("?"),
                        s.reason
                    ),
                    object: Arc::new(ObjectRef {
                        api_version: String::new(),
                        kind: CONFIG_KIND.into(),
                        name: format!("{} for {}", s.rule, s.object),
                        namespace: None,
                        template: file,
                        embedded_in: None,
                        line: s.line,
                    }),
                    fix: None,
                    suppressed: None,
                    pin: None,
                    change: None,
                });
            } else if !used {
                warnings.push(Warning {
                    file,
                    line: Some(s.line),
                    message: format!(
                        "{what}suppression of {} for {} matched nothing",
                        s.rule, s.object
                    ),
                });
            }
        }
    }
}

/// A problem in the user's values (VALUES-*) as a finding at its values line, suppressible by
/// rule and `Values/<path>` like any other; None when the config turns its rule off.
fn values_finding(
    issue: crate::schema::values_check::ValuesIssue,
    config: &Config,
    suppressions: &mut Suppressions<'_>,
) -> Option<Finding> {
    use crate::schema::values_check::IssueFix;
    let rule = values_rule(issue.kind);
    let severity = config.severity_of(rule)?;
    let object = Arc::new(ObjectRef {
        api_version: String::new(),
        kind: VALUES_KIND.into(),
        name: issue.path.clone(),
        namespace: None,
        template: (!issue.from_set).then(|| issue.file.clone()),
        embedded_in: None,
        line: issue.line,
    });
    // A fix on a list element's key is left to the message: the values line editor works on
    // mapping keys.
    let fix = issue.fix.filter(|_| !issue.from_set && !issue.path.contains('[')).map(|fix| {
        let (values_path, value, renames) = match fix {
            IssueFix::Rename { path, value } => (path, value, Some(issue.path.clone())),
            IssueFix::Value(value) => (issue.path.clone(), value, None),
        };
        FixSuggestion {
            values_path,
            value: Arc::new(value),
            file: Some(issue.file.clone()),
            line: Some(issue.line),
            exact: true,
            set: None,
            renames,
        }
    });
    // Where the key is, whether or not there is a fix: an inline suppression goes on its line.
    let at = FixSuggestion {
        values_path: issue.path.clone(),
        value: Arc::new(serde_json::Value::Null),
        file: (!issue.from_set).then(|| issue.file.clone()),
        line: Some(issue.line),
        exact: true,
        set: None,
        renames: None,
    };
    let suppressed = suppressions.reason(rule, &object, Some(fix.as_ref().unwrap_or(&at)));
    Some(Finding {
        rule: rule.id,
        severity,
        status: Status::Fail,
        title: rule.title,
        message: issue.message,
        object,
        fix: fix.map(Box::new),
        suppressed,
        pin: None,
        change: None,
    })
}

/// The rule that reports a kind of values issue.
fn values_rule(kind: crate::schema::values_check::IssueKind) -> &'static Rule {
    use crate::rules::{
        VALUES_DUPLICATE_KEY, VALUES_OTHER_VERSION, VALUES_PRUNED_FIELD, VALUES_REFUSED_VALUE,
        VALUES_TYPE, VALUES_UNKNOWN_KEY,
    };
    use crate::schema::values_check::IssueKind;
    match kind {
        IssueKind::UnknownKey => &VALUES_UNKNOWN_KEY,
        IssueKind::OtherVersion => &VALUES_OTHER_VERSION,
        IssueKind::WrongType => &VALUES_TYPE,
        IssueKind::DuplicateKey => &VALUES_DUPLICATE_KEY,
        IssueKind::Pruned => &VALUES_PRUNED_FIELD,
        IssueKind::Rejected => &VALUES_REFUSED_VALUE,
    }
}

/// The fields of rendered custom resources that their CRDs prune or refuse (VALUES-005/006):
/// at the values key each came from, else at the render. A values key that reaches several
/// objects (a default proxy's block merged into others) is one finding.
fn resource_findings(
    docs: &[Doc],
    values: &ValuesContext,
    config: &Config,
    suppressions: &mut Suppressions<'_>,
) -> Vec<Finding> {
    use crate::schema::resources;
    let Some(crds) = &values.crds else { return Vec::new() };
    let mut findings = Vec::new();
    let mut at_values = std::collections::HashSet::new();
    let issues = resources::check_resources(docs, crds);
    // The user's keys a field can come from: one walk of the values files, not one per field.
    let spots = if issues.is_empty() {
        Vec::new()
    } else {
        resources::spots(&values.files, values.schema.as_deref())
    };
    for issue in issues {
        if let Some(in_values) = resources::at_values_line(&issue, &spots) {
            if at_values.insert((in_values.file.clone(), in_values.line, in_values.path.clone())) {
                findings.extend(values_finding(in_values, config, suppressions));
            }
            continue;
        }
        let rule = values_rule(issue.kind);
        let Some(severity) = config.severity_of(rule) else { continue };
        let object = Arc::new(ObjectRef::of(issue.doc, Some(issue.line)));
        let suppressed = suppressions.reason(rule, &object, None);
        findings.push(Finding {
            rule: rule.id,
            severity,
            status: Status::Fail,
            title: rule.title,
            message: format!("`{}` {}", resources::dotted(&issue.path), issue.problem),
            object,
            fix: None,
            suppressed,
            pin: None,
            change: None,
        });
    }
    findings
}

/// Summary counts over unsuppressed outcomes.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub fail: usize,
    pub pass: usize,
    pub na: usize,
    pub advisory: usize,
    /// Failures hidden by a suppression (not in `fail`).
    pub suppressed: usize,
}

impl Summary {
    /// The counts of a report's findings.
    pub fn of(findings: &[Finding]) -> Summary {
        let mut summary = Summary::default();
        for f in findings {
            match (f.status, f.suppressed.is_some()) {
                (Status::Fail, true) => summary.suppressed += 1,
                (Status::Fail, false) => summary.fail += 1,
                (Status::Pass, _) => summary.pass += 1,
                (Status::Na, _) => summary.na += 1,
                (Status::Advisory, _) => summary.advisory += 1,
            }
        }
        summary
    }
}

/// The `kind` of the [`ObjectRef`] of an HH-CONFIG finding, the expired suppression: its
/// `name` is what it suppressed (`GLOO-005 for Settings/*`), its `template` the config file it
/// comes from and its `line` its line there. Fingerprints are built from kind and name, so two
/// expired suppressions stay two alerts, and the config's path (absolute when found upward)
/// stays out of them.
pub const CONFIG_KIND: &str = "Suppression";

/// The `kind` of the [`ObjectRef`] of a VALUES-* finding: its `name` is the key's dotted path,
/// its `template` the values file (None for a `--set` key) and its `line` the key's line there.
pub const VALUES_KIND: &str = "Values";

/// A non-fatal note for the user, at a line of a file when there is one (a suppression that
/// matched nothing: the config file and the suppression's line). Shown and serialized as
/// `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: {}", self.message),
            (Some(file), None) => write!(f, "{file}: {}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

impl Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The result of checking one render.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub chart: ChartInfo,
    /// Every outcome as a finding, failures first (most severe first), then the rest.
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// Non-fatal notes for the user (a suppression that matched nothing, ...).
    pub warnings: Vec<Warning>,
    /// Label of the checked target (config target and value set), when there is one.
    pub target: Option<String>,
    /// The findings against the base of a change (`--base`), when compared.
    pub comparison: Option<Box<crate::compare::Comparison>>,
    /// Whether any rule applies to the render (an outcome other than NA from a rule that
    /// inspects its objects, not one of [`ANY_RENDER_RULES`]); a render none applies to is not
    /// a pass but a wrong chart, and the pipeline refuses it.
    pub applies: bool,
}

impl CheckReport {
    /// Keeps the findings `keep` says, counted again.
    pub fn retain(&mut self, keep: impl Fn(&Finding) -> bool) {
        self.findings.retain(|f| keep(f));
        self.summary = Summary::of(&self.findings);
    }

    /// Failures that count (not suppressed) at or above `threshold`.
    pub fn failing_at(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| {
                f.status == Status::Fail && f.suppressed.is_none() && f.severity >= threshold
            })
            .count()
    }
}

/// Checks a parsed render: evaluate rules, apply the config, resolve and locate fixes.
pub fn check(
    docs: &[Doc],
    chart: ChartInfo,
    values: &ValuesContext,
    config: &Config,
    today: &str,
) -> CheckReport {
    let results = evaluate(docs, &chart);
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    let mut suppressions = Suppressions::new(config, &values.files, today);
    // One ObjectRef per inspected object (and line), shared by all its findings.
    let mut objects: HashMap<(*const Doc, Option<usize>), Arc<ObjectRef>> = HashMap::new();
    // Judged over every rule, switched off or not selected as well: which rules a run reports
    // does not change what the render is.
    let applies = results.iter().any(|r| {
        !ANY_RENDER_RULES.contains(&r.rule.id) && r.outcomes.iter().any(|o| o.status != Status::Na)
    });
    for result in results {
        let rule = result.rule;
        let Some(severity) = config.severity_of(rule) else { continue };
        let fix = rule.fix_for(chart.gloo_version);
        let first = findings.len();
        let mut targets = Vec::new();
        for outcome in result.outcomes {
            targets.push(outcome.target.clone());
            let object = objects
                .entry((std::ptr::from_ref::<Doc>(outcome.doc), outcome.line))
                .or_insert_with(|| Arc::new(ObjectRef::of(outcome.doc, outcome.line)))
                .clone();
            let (mut fix, no_fix) = match outcome.status {
                Status::Fail => match values.suggest(fix, &outcome.fix, &outcome.target) {
                    Ok(fix) => (Some(Box::new(fix)), None),
                    Err(why) => (None, why),
                },
                _ => (None, None),
            };
            // A failure of the user's own bootstrap is fixed there, values fix or not.
            let own_bootstrap = match &fix {
                Some(f) => values.users_own_bootstrap(&outcome, f),
                None if outcome.status == Status::Fail
                    && outcome.doc.kind == crate::parse::ENVOY_BOOTSTRAP =>
                {
                    values.own_bootstrap_key(&outcome.target)
                }
                None => None,
            };
            let mut message = outcome.message;
            if let Some(why) = no_fix.filter(|_| own_bootstrap.is_none()) {
                message = format!("{message} (no values fix: {why})");
            }
            if let Some(own) = own_bootstrap {
                message = format!("{message} (the Envoy bootstrap is your {own}: change it there)");
                fix = None;
            }
            let suppressed = match outcome.status {
                Status::Fail => suppressions.reason(rule, &object, fix.as_deref()),
                _ => None,
            };
            let pin = match (outcome.status, &outcome.fix) {
                (Status::Na | Status::Advisory, _) | (_, OutcomeFix::Declared) => None,
                (_, own) => {
                    Some(Box::new(Pin { target: outcome.target.clone(), own: own.clone() }))
                }
            };
            findings.push(Finding {
                rule: rule.id,
                severity,
                status: outcome.status,
                title: rule.title,
                message,
                object,
                fix,
                suppressed,
                pin,
                change: None,
            });
        }
        values.write_once_for_every_proxy(&mut findings[first..], &targets);
    }
    // Before the suppressions are looked at: one that only a values finding uses is used.
    if let Some(schema) = &values.schema {
        for issue in schema.check_values(&values.files, &values.sets) {
            let Some(finding) = values_finding(issue, config, &mut suppressions) else {
                continue;
            };
            findings.push(finding);
        }
        if let Some(note) = schema.version_note() {
            warnings.push(Warning { file: None, line: None, message: note });
        }
    }
    findings.extend(resource_findings(docs, values, config, &mut suppressions));
    // Suppressions are part of the gate: an expired one fails on its own (HH-CONFIG, at its
    // line in the config or values file), an unused one warns.
    suppressions.finish(&mut findings, &mut warnings);
    findings.sort_by(|a, b| {
        let rank = |f: &Finding| (f.status != Status::Fail || f.suppressed.is_some(), f.status);
        rank(a).cmp(&rank(b)).then(b.severity.cmp(&a.severity)).then(a.rule.cmp(b.rule))
    });
    if applies {
        warnings.extend(missing_subjects(&findings));
    }
    let summary = Summary::of(&findings);
    CheckReport { chart, findings, summary, warnings, target: None, comparison: None, applies }
}

/// Rules whose verdict holds for any Kubernetes render: a check of the YAML (HH-001), a pass
/// for a component that is absent (GLOO-014) and a standing advice (GLOO-032). They judge a
/// render without Gloo as readily as one with it, so they do not make a render one the
/// catalog applies to. A rule added with a vacuous pass belongs here.
const ANY_RENDER_RULES: &[&str] = &["HH-001", "GLOO-014", "GLOO-032"];

/// What every Gloo Edge chart renders by default, as the rules name it when it is absent
/// (`no {subject} in the render`, [`crate::rules::helpers::na_without`]). In a render of Gloo
/// without one of them, the rules about it are not applicable where they would be expected to
/// apply; that is said without `--all` (an Upstream or an Enterprise component is absent from
/// every default render, and its rules stay quiet).
const CORE_SUBJECTS: &[&str] = &[
    "gateway proxy",
    "Gateway",
    "Settings",
    "Settings (settings.create: false)",
    "gloo control-plane Deployment",
    "Gloo control plane (Settings or gloo Deployment)",
];

/// One warning per core subject absent from a render of Gloo, naming the rules it leaves
/// unchecked: `GLOO-006, GLOO-010 not applicable: no Settings (...) in the render`.
fn missing_subjects(findings: &[Finding]) -> Vec<Warning> {
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in findings.iter().filter(|f| f.status == Status::Na) {
        let core = CORE_SUBJECTS.iter().any(|subject| {
            f.message.strip_prefix("no ").and_then(|m| m.strip_suffix(" in the render"))
                == Some(subject)
        });
        if !core {
            continue;
        }
        match by_reason.iter_mut().find(|(reason, _)| *reason == f.message) {
            Some((_, rules)) if !rules.contains(&f.rule) => rules.push(f.rule),
            Some(_) => {}
            None => by_reason.push((&f.message, vec![f.rule])),
        }
    }
    by_reason
        .into_iter()
        .map(|(reason, mut rules)| {
            rules.sort_unstable();
            Warning {
                file: None,
                line: None,
                message: format!("{} not applicable: {reason}", rules.join(", ")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_keys_map_to_rendered_names() {
        assert_eq!(kebab_case("gatewayProxy"), "gateway-proxy");
        assert_eq!(kebab_case("publicGw"), "public-gw");
        assert_eq!(kebab_case("gw2Internal"), "gw2-internal");
        let ctx = ValuesContext {
            proxy_keys: vec!["gatewayProxy".into(), "internalGw".into()],
            ..Default::default()
        };
        assert_eq!(ctx.proxy_key("internal-gw"), "internalGw");
        assert_eq!(ctx.proxy_key("other-proxy"), "otherProxy");
    }

    #[test]
    fn fix_paths_take_prefix_and_placeholders() {
        let ctx = ValuesContext {
            prefix: "gloo.".into(),
            proxy_keys: vec!["gatewayProxy".into()],
            ..Default::default()
        };
        let fix = Fix::all("{GW}.options.httpConnectionManagerSettings.useRemoteAddress", "true");
        let (path, value) = ctx
            .resolve(&fix, &Target::Gateway { proxy: "gateway-proxy".into(), ssl: true })
            .unwrap();
        assert_eq!(path, "gloo.gatewayProxies.gatewayProxy.gatewaySettings.customHttpsGateway.options.httpConnectionManagerSettings.useRemoteAddress");
        assert_eq!(*value, serde_json::json!(true));
        let global = Fix::all("global.glooStats.routePrefixRewrite", "/stats/prometheus?usedonly");
        assert_eq!(
            ctx.resolve(&global, &Target::Chart).unwrap().0,
            "global.glooStats.routePrefixRewrite"
        );
    }

    /// Issue 12 (4): a proxy the chart renders from its own block gets its own key, or no fix
    /// with the reason; one of that name under gatewayProxies is a gatewayProxies proxy.
    #[test]
    fn a_proxy_rendered_from_its_own_block_gets_its_own_keys() {
        let ctx = ValuesContext {
            prefix: "gloo.".into(),
            proxy_keys: vec!["gatewayProxy".into()],
            version: Some(crate::chart::Version::new(1, 17, 38)),
            ..Default::default()
        };
        let knative = Target::Proxy("knative-external-proxy".into());
        let replicas = Fix::all("{GP}.kind.deployment.replicas", "2")
            .unless_set_at("{GP}.kubeResourceOverride.spec.replicas");
        assert_eq!(
            ctx.resolve(&replicas, &knative).unwrap().0,
            "gloo.settings.integrations.knative.proxy.replicas"
        );
        let probes = Fix::all("{GP}.podTemplate.probes", "true");
        assert_eq!(
            ctx.suggest(Some(&probes), &OutcomeFix::Declared, &knative).unwrap_err().unwrap(),
            "knative-external-proxy is rendered from gloo.settings.integrations.knative.proxy, which has no key for podTemplate.probes on gloo 1.17.38; gloo.gatewayProxies.knativeExternalProxy.podTemplate.probes would create a second proxy"
        );
        let automount = Fix::all("gateway.proxyServiceAccount.disableAutomount", "true");
        assert!(ctx.resolve(&automount, &knative).unwrap_err().contains(
            "not from gatewayProxies: gloo.gateway.proxyServiceAccount.disableAutomount does not reach it"
        ));
        // The user's own override of the Deployment wins, as under gatewayProxies.
        let mut overridden = ctx.clone();
        overridden.files = vec![values_file("gloo:\n  settings:\n    integrations:\n      knative:\n        proxy:\n          deployment:\n            kubeResourceOverride:\n              spec: {replicas: 1}\n")];
        assert_eq!(
            overridden.resolve(&replicas, &knative).unwrap().0,
            "gloo.settings.integrations.knative.proxy.deployment.kubeResourceOverride.spec.replicas"
        );
        // A gatewayProxies entry of that name renders the proxy: its keys are the fix.
        let named = ValuesContext { proxy_keys: vec!["ingressProxy".into()], ..ctx };
        assert_eq!(
            named.resolve(&replicas, &Target::Proxy("ingress-proxy".into())).unwrap().0,
            "gloo.gatewayProxies.ingressProxy.kind.deployment.replicas"
        );
    }

    fn values_file(text: &str) -> ValuesFile {
        ValuesFile::parse(std::path::Path::new("values.yaml"), text.to_string()).unwrap()
    }

    #[test]
    fn a_fix_goes_where_the_users_values_set_the_field_over_its_path() {
        let fix = Fix::all("settings.disableKubernetesDestinations", "true")
            .unless_set_at("settings.kubeResourceOverride.spec.gloo.disableKubernetesDestinations");
        let plain = ValuesContext {
            files: vec![values_file("settings:\n  create: true\n")],
            ..Default::default()
        };
        assert_eq!(
            plain.resolve(&fix, &Target::Chart).unwrap().0,
            "settings.disableKubernetesDestinations"
        );
        let overridden = ValuesContext { files: vec![values_file("settings:\n  kubeResourceOverride:\n    spec:\n      gloo:\n        disableKubernetesDestinations: \"true\"\n")], ..Default::default() };
        assert_eq!(
            overridden.resolve(&fix, &Target::Chart).unwrap().0,
            "settings.kubeResourceOverride.spec.gloo.disableKubernetesDestinations"
        );
    }

    #[test]
    fn a_key_contains_the_paths_below_it_only() {
        assert!(is_within("a.stats", "a.stats") && is_within("a.stats.enabled", "a.stats"));
        assert!(!is_within("a.statsX", "a.stats") && !is_within("a.stat", "a.stats"));
    }

    #[test]
    fn a_gateway_fix_goes_into_the_kube_override_that_sets_its_field() {
        let over = "gatewayProxies:\n  gatewayProxy:\n    gatewaySettings:\n      httpsGatewayKubeOverride:\n        spec:\n          options: {perConnectionBufferLimitBytes: 65536}\n          httpGateway: {options: {httpConnectionManagerSettings: {useRemoteAddress: false}}}\n";
        let ctx = ValuesContext {
            proxy_keys: vec!["gatewayProxy".into()],
            files: vec![values_file(over)],
            ..Default::default()
        };
        let (http, ssl) = (
            Target::Gateway { proxy: "gateway-proxy".into(), ssl: false },
            Target::Gateway { proxy: "gateway-proxy".into(), ssl: true },
        );
        let prefix = "gatewayProxies.gatewayProxy.gatewaySettings";
        let hcm = Fix::all("{GW}.options.httpConnectionManagerSettings.useRemoteAddress", "true");
        assert_eq!(ctx.resolve(&hcm, &ssl).unwrap().0, format!("{prefix}.httpsGatewayKubeOverride.spec.httpGateway.options.httpConnectionManagerSettings.useRemoteAddress"));
        assert_eq!(
            ctx.resolve(&hcm, &http).unwrap().0,
            format!(
                "{prefix}.customHttpGateway.options.httpConnectionManagerSettings.useRemoteAddress"
            ),
            "the http Gateway has no override"
        );
        let listener =
            Fix::all("{GP}.gatewaySettings.options.perConnectionBufferLimitBytes", "32768");
        assert_eq!(
            ctx.resolve(&listener, &ssl).unwrap().0,
            format!("{prefix}.httpsGatewayKubeOverride.spec.options.perConnectionBufferLimitBytes")
        );
        assert_eq!(
            ctx.resolve(&listener, &http).unwrap().0,
            format!("{prefix}.options.perConnectionBufferLimitBytes")
        );
    }

    #[test]
    fn a_fix_that_creates_a_custom_gateway_carries_the_generated_tracing() {
        let tracing = serde_json::json!({"zipkinConfig": {"collectorEndpoint": "/api/v2/spans"}});
        let extras =
            serde_json::json!({"options": {"httpConnectionManagerSettings": {"tracing": tracing}}});
        let mut ctx =
            ValuesContext { proxy_keys: vec!["gatewayProxy".into()], ..Default::default() };
        ctx.generated_gateway_extras.insert(("gateway-proxy".into(), false), extras);
        let http = Target::Gateway { proxy: "gateway-proxy".into(), ssl: false };
        let gw = "gatewayProxies.gatewayProxy.gatewaySettings.customHttpGateway";

        // Beside the fix in httpConnectionManagerSettings, or one level up for another option.
        let (path, value) = ctx
            .resolve(
                &Fix::all("{GW}.options.httpConnectionManagerSettings.useRemoteAddress", "true"),
                &http,
            )
            .unwrap();
        assert_eq!(path, format!("{gw}.options.httpConnectionManagerSettings"));
        assert_eq!(*value, serde_json::json!({"useRemoteAddress": true, "tracing": tracing}));
        let (path, value) = ctx
            .resolve(&Fix::all("{GW}.options.gzip", "{compressionLevel: SPEED}"), &http)
            .unwrap();
        assert_eq!(path, format!("{gw}.options"));
        assert_eq!(
            *value,
            serde_json::json!({"gzip": {"compressionLevel": "SPEED"}, "httpConnectionManagerSettings": {"tracing": tracing}})
        );

        // Not for the -ssl Gateway (no tracing recorded for it in this context), nor where the
        // user sets the block.
        let ssl = Target::Gateway { proxy: "gateway-proxy".into(), ssl: true };
        assert_eq!(
            ctx.resolve(&Fix::all("{GW}.options.gzip", "{compressionLevel: SPEED}"), &ssl)
                .unwrap()
                .0,
            "gatewayProxies.gatewayProxy.gatewaySettings.customHttpsGateway.options.gzip"
        );
        ctx.files = vec![values_file("gatewayProxies:\n  gatewayProxy:\n    gatewaySettings:\n      customHttpGateway:\n        options: {}\n")];
        assert_eq!(
            ctx.resolve(&Fix::all("{GW}.options.gzip", "{compressionLevel: SPEED}"), &http)
                .unwrap()
                .0,
            format!("{gw}.options.gzip")
        );
    }
}
