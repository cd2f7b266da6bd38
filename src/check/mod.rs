//! Check step: runs every rule over the model of a render, then turns outcomes into findings
//! with the values fix resolved for this chart (version, `gloo.` prefix, proxy key) and located
//! in the user's values files.

mod finding;
pub mod proxy_values;
pub mod schema;
mod suppressions;
mod values_context;
mod values_findings;

pub use finding::*;
use suppressions::Suppressions;
pub use values_context::*;
use values_findings::{resource_findings, values_finding};

use crate::config::Config;
use crate::parse::chart::ChartInfo;
use crate::parse::model::Model;
use crate::parse::Doc;
use crate::rules::{Outcome, OutcomeFix, Rule, Status, RULES};
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
            let no_fix = no_fix.filter(|_| own_bootstrap.is_none());
            if let Some(why) = &no_fix {
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
                no_fix,
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
    use crate::parse::values::ValuesFile;
    use crate::rules::{Fix, Target};

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
            version: Some(crate::parse::version::Version::new(1, 17, 38)),
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
