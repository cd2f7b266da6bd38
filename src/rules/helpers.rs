//! Building blocks shared by rules: walking proxies, Settings, Gateways and their HTTP options,
//! so that each rule file holds only its own predicate.

use super::{Outcome, OutcomeFix, Rule, Status, Target, Versions};
use crate::parse::model::{gateway_proxy_names, GatewayParams, Model, Proxy};
use crate::parse::version::Version;
use crate::parse::yaml::Node;
use crate::parse::Doc;

/// How the fix of a rule on the HTTP options of the generated Gateways (ENVOY-006 to 018) reaches
/// the `-ssl` Gateway, and what a custom Gateway block costs: a literal, for `concat!` in the
/// rule's `fix_doc`.
macro_rules! same_under_https_gateway {
    () => {
        "the same under `customHttpsGateway` (each custom block replaces the whole generated \
         `httpGateway`: keep all its options in one block, and move any \
         `gatewayProxies.<name>.tracing.provider` into `httpConnectionManagerSettings.tracing` \
         or tracing is dropped; `httpGatewayKubeOverride` / `httpsGatewayKubeOverride` \
         deep-merge instead)"
    };
}
pub(crate) use same_under_https_gateway;

/// A verdict before it is attached to an object.
pub type Verdict = (Status, String);

/// The document that stands for Gloo's control plane: Settings, else the gloo Deployment. None
/// in a render that is not Gloo's (or only part of it).
pub fn control_plane<'a>(m: &Model<'a>) -> Option<&'a Doc> {
    m.settings.first().copied().or(m.gloo)
}

/// A document to hang a chart-wide finding on: the control plane's, else the first.
pub fn chart_anchor<'a>(m: &Model<'a>) -> Option<&'a Doc> {
    control_plane(m).or_else(|| m.docs.first())
}

pub fn pass(msg: impl Into<String>) -> Verdict {
    (Status::Pass, msg.into())
}
pub fn fail(msg: impl Into<String>) -> Verdict {
    (Status::Fail, msg.into())
}
pub fn na(msg: impl Into<String>) -> Verdict {
    (Status::Na, msg.into())
}

/// Applies `judge` to every gateway proxy, one outcome each. No proxy rendered: nothing.
pub fn each_proxy<'a>(
    m: &Model<'a>,
    mut judge: impl FnMut(&Proxy<'a>) -> Verdict,
) -> Vec<Outcome<'a>> {
    let outcomes = m
        .proxies
        .iter()
        .map(|p| {
            let (status, message) = judge(p);
            Outcome::new(status, p.workload, Target::Proxy(p.name.to_string()), message)
        })
        .collect();
    na_without(m, outcomes, "gateway proxy")
}

/// Applies `judge` to the Envoy container of every proxy (NA when it cannot be identified).
pub fn each_envoy_container<'a>(
    m: &Model<'a>,
    mut judge: impl FnMut(&Proxy<'a>, &'a Node) -> Verdict,
) -> Vec<Outcome<'a>> {
    each_proxy(m, |p| match p.envoy {
        Some(c) => judge(p, c),
        None => na("no Envoy container found in the proxy workload"),
    })
}

/// Applies `judge` to the Envoy bootstrap of every proxy (NA when the ConfigMap is missing).
pub fn each_bootstrap<'a>(
    m: &Model<'a>,
    mut judge: impl FnMut(&Proxy<'a>, &'a Doc) -> Verdict,
) -> Vec<Outcome<'a>> {
    let outcomes = m
        .proxies
        .iter()
        .map(|p| match p.bootstrap {
            Some(b) => {
                let (status, message) = judge(p, b);
                Outcome::new(status, b, Target::Proxy(p.name.to_string()), message)
            }
            None => Outcome::new(
                Status::Na,
                p.workload,
                Target::Proxy(p.name.to_string()),
                "the Envoy bootstrap ConfigMap is not in the render",
            ),
        })
        .collect();
    na_without(m, outcomes, "gateway proxy")
}

/// Applies `judge` to the Settings `spec` (NA when Settings is not rendered: `settings.create: false`).
pub fn each_settings<'a>(
    m: &Model<'a>,
    mut judge: impl FnMut(&'a Node) -> Verdict,
) -> Vec<Outcome<'a>> {
    let outcomes = m
        .settings
        .iter()
        .map(|s| {
            let spec = s.root.get("spec").unwrap_or(Node::null());
            let (status, message) = judge(spec);
            Outcome::new(status, s, Target::Chart, message)
        })
        .collect();
    na_without(m, outcomes, "Settings (settings.create: false)")
}

/// Applies `judge` to `spec.kube` of every kubeGateway GatewayParameters (HARDENING-KGW.md
/// K.1.5): one result per GatewayParameters, standing for every proxy the controller builds from
/// it. `spec.selfManaged` is NA (the controller provisions nothing). A per-Gateway one is judged
/// merged over the class default (or on its own, said so); values cannot fix it, only the chart's
/// class default. None rendered (kubeGateway off, or a chart before 1.17): one NA saying so.
pub fn each_gateway_parameters<'a>(
    m: &Model<'a>,
    mut judge: impl FnMut(&GatewayParams<'a>, &Node) -> Verdict,
) -> Vec<Outcome<'a>> {
    let outcomes = m
        .gateway_parameters
        .iter()
        .map(|gp| {
            if gp.self_managed() {
                let why = "spec.selfManaged: the controller provisions no proxy from it";
                return Outcome::new(Status::Na, gp.doc, Target::Chart, why);
            }
            let (status, message) = judge(gp, gp.kube());
            if gp.class_default {
                return Outcome::new(status, gp.doc, Target::Chart, message);
            }
            let how = if gp.is_merged() {
                "per-Gateway GatewayParameters, judged merged over the class default"
            } else {
                "per-Gateway GatewayParameters, judged on its own: no class default in the render"
            };
            let outcome = Outcome::new(status, gp.doc, Target::Chart, format!("{message} ({how})"));
            if status == Status::Fail {
                let message = format!("{}: change it where it is defined", outcome.message);
                Outcome { message, ..outcome }.fixed_by(OutcomeFix::Nothing)
            } else {
                outcome
            }
        })
        .collect();
    na_without(m, outcomes, KUBE_GATEWAY_ABSENT)
}

/// What KGW rules find nothing of when kubeGateway mode is off (as [`na_without`] says it).
pub const KUBE_GATEWAY_ABSENT: &str =
    "kubeGateway GatewayParameters (kubeGateway.enabled is false, or the chart predates 1.17)";

/// Charts with kubeGateway mode (its GatewayParameters template arrived in 1.17).
pub const KUBE_GATEWAY_CHARTS: Versions = Versions::from(Version::new(1, 17, 0));

/// A field of the kubeGateway Envoy container's effective security context: the container's
/// (`envoyContainer.securityContext`), else the pod's (`podTemplate.securityContext`), as the
/// controller copies both verbatim. Absent or null: None.
pub fn envoy_security<'n>(kube: &'n Node, field: &str) -> Option<&'n Node> {
    ["envoyContainer.securityContext", "podTemplate.securityContext"]
        .iter()
        .find_map(|context| kube.path(context).and_then(|c| c.get(field)).filter(|n| !n.is_null()))
}

/// A FAIL on a chart older than `since`, where no values key can fix it: the message names the
/// key and the first chart version that has it (HARDENING-KGW.md, Decisions).
pub fn no_key_before(m: &Model<'_>, since: Version, key: &str, verdict: Verdict) -> Verdict {
    match (verdict, m.version) {
        ((Status::Fail, message), Some(v)) if !m.chart_at_least(since.major, since.minor) => (
            Status::Fail,
            format!(
                "{message}; gloo {v} has no values key for it: `{key}` arrives in gloo {since}"
            ),
        ),
        (verdict, _) => verdict,
    }
}

/// Outcome when a rule finds nothing to inspect, so the report still says why.
pub fn na_without<'a>(m: &Model<'a>, outcomes: Vec<Outcome<'a>>, what: &str) -> Vec<Outcome<'a>> {
    if outcomes.is_empty() {
        if let Some(doc) = m.docs.first() {
            return vec![Outcome::new(
                Status::Na,
                doc,
                Target::Chart,
                format!("no {what} in the render"),
            )];
        }
    }
    outcomes
}

/// An outcome on a Gateway. The chart's values fix only the Gateways it generates from
/// `gatewayProxies` (`<proxy>` and `<proxy>-ssl`); any other is changed where it is defined.
pub fn gateway_outcome(gateway: &Doc, status: Status, message: String) -> Outcome<'_> {
    let target = gateway_target(gateway);
    let failover = matches!(&target, Target::Gateway { proxy, .. } if gateway.name == format!("{proxy}-failover"));
    match generated_gateway_target(gateway) {
        Some(target) => Outcome::new(status, gateway, target, message),
        None if status != Status::Fail => Outcome::new(status, gateway, target, message),
        // Generated too, but none of the fix keys of the others reach it.
        None if failover => Outcome::new(status, gateway, target, format!("{message} (the chart's failover Gateway: set it through gatewayProxies.<name>.failover.kubeResourceOverride)"))
            .fixed_by(OutcomeFix::Nothing),
        None => Outcome::new(status, gateway, target, format!("{message} (not a Gateway the chart generates: change it where it is defined)")).fixed_by(OutcomeFix::Nothing),
    }
}

/// The values target of a Gateway the chart generates from `gatewayProxies` (named `<proxy>`
/// or `<proxy>-ssl`); None for any other Gateway.
pub fn generated_gateway_target(gateway: &Doc) -> Option<Target> {
    match gateway_target(gateway) {
        Target::Gateway { proxy, ssl }
            if gateway.name == proxy || gateway.name == format!("{proxy}-ssl") =>
        {
            Some(Target::Gateway { proxy, ssl })
        }
        _ => None,
    }
}

/// The values target of a Gateway: its first proxy, and whether it is the `-ssl` one.
pub fn gateway_target(gateway: &Doc) -> Target {
    let proxy =
        gateway_proxy_names(gateway).into_iter().next().unwrap_or_else(|| "gateway-proxy".into());
    let ssl = gateway.root.path("spec.ssl").and_then(Node::as_bool).unwrap_or(false)
        || gateway.name.ends_with("-ssl");
    Target::Gateway { proxy, ssl }
}

/// The HTTP option sets of a Gateway (`spec.httpGateway.options`, and each matched gateway of
/// a hybrid gateway). Empty for TCP-only Gateways. A missing `options` gives a null node.
pub fn http_option_sets(gateway: &Doc) -> Vec<&Node> {
    let spec = gateway.root.get("spec").unwrap_or(Node::null());
    let mut sets = Vec::new();
    if let Some(http) = spec.get("httpGateway") {
        sets.push(http.get("options").unwrap_or(Node::null()));
    }
    if let Some(matched) = spec.path("hybridGateway.matchedGateways") {
        for m in matched.items() {
            if let Some(http) = m.get("httpGateway") {
                sets.push(http.get("options").unwrap_or(Node::null()));
            }
        }
    }
    sets
}

/// Applies `judge` to every HTTP option set of every Gateway; a Gateway fails when any of its
/// sets fails. TCP-only Gateways are NA. No Gateway rendered: one NA saying so.
pub fn each_http_gateway<'a>(
    m: &Model<'a>,
    mut judge: impl FnMut(&'a Node) -> Verdict,
) -> Vec<Outcome<'a>> {
    each_http_option_sets(m, |sets| {
        let verdicts: Vec<Verdict> = sets.iter().map(|s| judge(s)).collect();
        verdicts
            .iter()
            .find(|v| v.0 == Status::Fail)
            .or_else(|| verdicts.iter().find(|v| v.0 == Status::Pass))
            .cloned()
            .unwrap_or_else(|| verdicts[0].clone())
    })
}

/// Applies `judge` to all HTTP option sets of each Gateway at once (never empty: TCP-only
/// Gateways are NA). No Gateway rendered: one NA saying so.
pub fn each_http_option_sets<'a>(
    m: &Model<'a>,
    mut judge: impl FnMut(&[&'a Node]) -> Verdict,
) -> Vec<Outcome<'a>> {
    let outcomes = m
        .gateways
        .iter()
        .map(|gw| {
            let sets = http_option_sets(gw);
            let (status, message) = if sets.is_empty() {
                na("TCP-only Gateway: no HTTP options")
            } else {
                judge(&sets)
            };
            gateway_outcome(gw, status, message)
        })
        .collect();
    na_without(m, outcomes, "Gateway")
}

/// Like [`each_http_gateway`] for one `httpConnectionManagerSettings` field: `judge` gets the
/// field (None when absent).
pub fn each_hcm_setting<'a>(
    m: &Model<'a>,
    field: &str,
    mut judge: impl FnMut(Option<&'a Node>) -> Verdict,
) -> Vec<Outcome<'a>> {
    each_http_gateway(m, |options| {
        judge(
            options
                .path("httpConnectionManagerSettings")
                .and_then(|h| h.get(field))
                .filter(|n| !n.is_null()),
        )
    })
}

/// Applies `judge` to the `spec` of every Gateway (HTTP and TCP).
pub fn each_gateway<'a>(
    m: &Model<'a>,
    mut judge: impl FnMut(&'a Doc, &'a Node) -> Verdict,
) -> Vec<Outcome<'a>> {
    let outcomes = m
        .gateways
        .iter()
        .map(|gw| {
            let (status, message) = judge(gw, gw.root.get("spec").unwrap_or(Node::null()));
            gateway_outcome(gw, status, message)
        })
        .collect();
    na_without(m, outcomes, "Gateway")
}

/// Gives each failing outcome that `own` finds a fix for that fix in place of its rule's
/// declared one. Where the object passes, the declared fix does no harm and stays.
pub fn refix_failures<'a>(
    outcomes: Vec<Outcome<'a>>,
    own: impl FnMut(&Outcome<'a>) -> Option<OutcomeFix>,
) -> Vec<Outcome<'a>> {
    refix(outcomes, |status| status == Status::Fail, own)
}

/// As [`refix_failures`] for passing outcomes too: `overlay --all` writes a passing object's
/// fix as well, and the declared one would replace what the user set (check.rs, `Finding::pin`).
pub fn refix_judged<'a>(
    outcomes: Vec<Outcome<'a>>,
    own: impl FnMut(&Outcome<'a>) -> Option<OutcomeFix>,
) -> Vec<Outcome<'a>> {
    refix(outcomes, |status| matches!(status, Status::Fail | Status::Pass), own)
}

/// Only outcomes still on the declared fix (a helper may already have said values cannot fix
/// it) and of a status `judged` takes.
fn refix<'a>(
    outcomes: Vec<Outcome<'a>>,
    judged: impl Fn(Status) -> bool,
    mut own: impl FnMut(&Outcome<'a>) -> Option<OutcomeFix>,
) -> Vec<Outcome<'a>> {
    outcomes
        .into_iter()
        .map(|o| {
            let refixed = judged(o.status) && o.fix == OutcomeFix::Declared;
            match refixed.then(|| own(&o)).flatten() {
                Some(fix) => o.fixed_by(fix),
                None => o,
            }
        })
        .collect()
}

/// The declared fix of `rule` for `version`, lifted to the mapping at `parent` (a prefix of
/// its path) with `extra` merged in: for a fix that needs a sibling key changed too (a null
/// removes one, as in a values file).
pub fn declared_fix_with(
    rule: &Rule,
    version: Option<Version>,
    parent: &str,
    extra: serde_json::Value,
) -> OutcomeFix {
    let Some(fix) = rule.fix_for(version) else { return OutcomeFix::Declared };
    let Some(below) = fix.path.strip_prefix(parent).filter(|b| b.is_empty() || b.starts_with('.'))
    else {
        return OutcomeFix::Declared;
    };
    let mut value = serde_json::Value::clone(&fix.json());
    for key in below.split('.').filter(|k| !k.is_empty()).rev() {
        value = serde_json::json!({ key: value });
    }
    crate::parse::values::merge(&mut value, extra);
    OutcomeFix::Custom { path: parent.to_string(), value }
}

/// A field of the Settings `spec` that must be `true` (`path` below `spec`; absent = false).
pub fn settings_field_true(spec: &Node, path: &str) -> Verdict {
    let field = format!("spec.{path}");
    let short = path.rsplit('.').next().unwrap_or(path);
    match boolean(spec.path(path), &field) {
        Ok(Some(true)) => pass(format!("{short} is true")),
        Ok(Some(false)) => fail(format!("{field} is false")),
        Ok(None) => fail(format!("{field} is absent (false)")),
        Err(not_boolean) => not_boolean,
    }
}

/// A boolean field as the API server reads it: `Ok(None)` when absent or null, a FAIL saying
/// so when it holds something else (the string `"true"` is not true, HARDENING.md 1.5).
pub fn boolean(node: Option<&Node>, name: &str) -> Result<Option<bool>, Verdict> {
    match node.filter(|n| !n.is_null()) {
        None => Ok(None),
        Some(n) => match n.as_bool() {
            Some(b) => Ok(Some(b)),
            None => Err(fail(format!(
                "{name} is not a boolean: {}",
                n.as_str().map_or_else(|| show(Some(n)), |s| format!("{s:?}"))
            ))),
        },
    }
}

/// Short text of a node for messages: scalars as they are, collections as compact JSON.
pub fn show(node: Option<&Node>) -> String {
    match node {
        None => "absent".to_string(),
        Some(n) => n.scalar_text().unwrap_or_else(|| {
            let json = n.to_json().to_string();
            if json.len() > 80 {
                format!(
                    "{}…",
                    &json[..json
                        .char_indices()
                        .take_while(|(i, _)| *i < 77)
                        .last()
                        .map_or(0, |(i, c)| i + c.len_utf8())]
                )
            } else {
                json
            }
        }),
    }
}

/// Enum fields may be written by name or by number (HARDENING.md 1.5).
pub fn enum_is(node: Option<&Node>, accepted: &[(&str, i64)]) -> bool {
    let Some(node) = node else { return false };
    accepted
        .iter()
        .any(|(name, number)| node.as_str() == Some(name) || node.as_i64() == Some(*number))
}
