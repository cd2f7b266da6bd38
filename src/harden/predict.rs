//! The hardened render's overlay, predicted before the render it is computed from, so that
//! `diff`, `check --diff` and `review` can start the hardened render together with the first
//! one. A prediction is only ever a head start: [`same_merged_values`] keeps the render it
//! gave only when the overlay computed from the first render gives helm the same merged
//! values; else the chart is rendered again with the computed overlay.
//!
//! Two sources, the first that has one:
//! * the overlay this target got last time ([`crate::render::cache::last_overlay`]);
//! * on a cold cache, for a `gloo` chart (or an umbrella with gloo as its `gloo` dependency) of
//!   a minor version in [`DEFAULTS`]: what that chart fails at its defaults (the overlay
//!   `helm-harden overlay` prints for it, generated from the real charts by
//!   `tests/real_charts.rs`), copied to every proxy the values add, plus the fix of every rule
//!   whose key the user's values set to something other than the fix.

use crate::check::{kebab_case, ValuesContext};
use crate::config::Config;
use crate::parse::chart::read_chart_yaml;
use crate::parse::values::{self, SetKey, ValuesFile};
use crate::parse::version::Version;
use crate::pipeline::Job;
use crate::rules::{Target, RULES};
use serde_json::{Map, Value};
use std::path::Path;

/// What each minor version of the Gloo chart fails at its defaults, as the overlay that fixes
/// it: `helm-harden overlay CHART -n gloo-system` on the real chart, header dropped.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("1.13.39", include_str!("predict/gloo-1.13.39.yaml")),
    ("1.17.38", include_str!("predict/gloo-1.17.38.yaml")),
    ("1.22.1", include_str!("predict/gloo-1.22.1.yaml")),
];

/// The overlay predicted for `job` on a cold cache, or None when there is no basis for one
/// (not a Gloo chart directory, a minor version without a table).
pub fn cold(job: &Job, files: &[ValuesFile], sets: &[SetKey], config: &Config) -> Option<Value> {
    let chart = job.chart.as_deref().filter(|c| c.is_dir() && job.manifests.is_none())?;
    let gloo = Gloo::of(chart)?;
    let (_, table) = DEFAULTS.iter().find(|(v, _)| {
        Version::parse(v)
            .is_some_and(|v| v.major == gloo.version.major && v.minor == gloo.version.minor)
    })?;
    let table: Value = yaml_serde::from_str(table).ok()?;
    let base = merged_values(chart, files)?;
    let gloo_values = match gloo.prefix {
        "" => &base,
        _ => base.get("gloo").unwrap_or(&Value::Null),
    };
    let proxies: Vec<String> = gloo_values
        .get("gatewayProxies")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v.get("disabled") != Some(&Value::Bool(true)))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    // What the default proxy fails, for every proxy the values leave on.
    let mut predicted = table.clone();
    if let Some(Value::Object(gps)) = predicted.get_mut("gatewayProxies") {
        let default = gps.remove("gatewayProxy").unwrap_or(Value::Null);
        gps.clear();
        if !default.is_null() {
            for key in &proxies {
                gps.insert(key.clone(), default.clone());
            }
        }
    }
    if gloo.prefix == "gloo." {
        let mut under = Map::new();
        let mut top = Map::new();
        for (k, v) in predicted.as_object().cloned().unwrap_or_default() {
            // `global` is the parent's and the dependency's at once.
            if k == "global" {
                top.insert(k, v);
            } else {
                under.insert(k, v);
            }
        }
        top.insert("gloo".into(), Value::Object(under));
        predicted = Value::Object(top);
    }
    // Every rule with a yes-or-no key the user's values set the other way. A number, text or
    // list of their own is left to the table: it may be stricter than the fix (three replicas
    // where the fix says two) or weaker, which only the render tells.
    let ctx = ValuesContext {
        prefix: gloo.prefix.to_string(),
        proxy_keys: proxies.clone(),
        files: files.to_vec(),
        sets: sets.to_vec(),
        version: Some(gloo.version),
        ..ValuesContext::default()
    };
    for rule in RULES.iter().filter(|r| config.severity_of(r).is_some()) {
        let Some(fix) = rule.fix_for(Some(gloo.version)) else { continue };
        if fix.path.contains("{GW}") || fix.path.contains("{KG}") {
            continue;
        }
        let targets: Vec<Target> = if fix.path.contains("{GP}") {
            proxies.iter().map(|k| Target::Proxy(kebab_case(k))).collect()
        } else {
            vec![Target::Chart]
        };
        for target in &targets {
            let Ok((path, value)) = ctx.resolve(fix, target) else { continue };
            let mut leaves = Vec::new();
            bool_leaves(&value, path.split('.').map(str::to_string).collect(), &mut leaves);
            let turned = leaves.iter().any(|(segments, wanted)| {
                let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
                values::is_set(&segments, files, sets)
                    && at(&base, &segments) != Some(&Value::Bool(*wanted))
            });
            if turned {
                let segments: Vec<&str> = path.split('.').collect();
                add(&mut predicted, &segments, (*value).clone());
            }
        }
    }
    Some(predicted)
}

/// Whether helm gets the same merged values from the user's values with `predicted` added
/// last as with `computed`: the same overlay, or (without `--set`, whose values are not
/// modelled here) the chart's defaults and the user's files merged with either give the same
/// tree. Where the defaults cannot be read (a packaged chart, a packaged dependency) they count
/// as empty, which can only turn a hit into a miss.
pub fn same_merged_values(
    job: &Job,
    files: &[ValuesFile],
    sets: &[SetKey],
    predicted: &Value,
    computed: &Value,
) -> bool {
    if predicted == computed {
        return true;
    }
    if !sets.is_empty() {
        return false;
    }
    let base =
        job.chart.as_deref().and_then(|chart| merged_values(chart, files)).unwrap_or_else(|| {
            let mut base = Value::Object(Map::new());
            for f in files {
                values::merge(&mut base, f.root.to_json());
            }
            base
        });
    let mut with_predicted = base.clone();
    values::merge(&mut with_predicted, predicted.clone());
    let mut with_computed = base;
    values::merge(&mut with_computed, computed.clone());
    if with_predicted != with_computed && std::env::var_os("HH_PREDICTION_LOG").is_some() {
        let mut paths = Vec::new();
        differences(&with_predicted, &with_computed, "", &mut paths);
        eprintln!("helm-harden: overlay prediction differs at {}", paths.join(", "));
    }
    with_predicted == with_computed
}

/// The dotted paths where two value trees differ (for `HH_PREDICTION_LOG`).
fn differences(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let null = Value::Null;
                let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                differences(x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), &here, out);
            }
        }
        _ if a != b => out.push(path.to_string()),
        _ => {}
    }
}

/// The Gloo chart a chart directory is, or has as its `gloo` dependency (unpacked).
struct Gloo {
    version: Version,
    /// `""` or `"gloo."`.
    prefix: &'static str,
}

impl Gloo {
    fn of(chart: &Path) -> Option<Gloo> {
        let (name, version) = read_chart_yaml(chart)?;
        if name == "gloo" {
            return Some(Gloo { version: Version::parse(&version)?, prefix: "" });
        }
        let (name, version) = read_chart_yaml(&chart.join("charts/gloo"))?;
        (name == "gloo").then_some(())?;
        Some(Gloo { version: Version::parse(&version)?, prefix: "gloo." })
    }
}

/// The chart's default values (with an unpacked `gloo` dependency's under `gloo`, the parent's
/// over them) and the user's files over them, as helm merges them; None when the chart's own
/// values file is there but cannot be read as YAML.
fn merged_values(chart: &Path, files: &[ValuesFile]) -> Option<Value> {
    let read = |path: &Path| -> Option<Option<Value>> {
        if !path.is_file() {
            return Some(None);
        }
        let text = crate::parse::input::read_text_lenient(
            path,
            crate::parse::input::MAX_CHART_FILE_BYTES,
        )?;
        Some(Some(crate::parse::yaml::parse_one(&text, 1).ok()?.root.to_json()))
    };
    let mut base = Value::Object(Map::new());
    if chart.is_dir() {
        let sub = chart.join("charts/gloo");
        if read_chart_yaml(chart).is_some_and(|(name, _)| name != "gloo") {
            if let Some(defaults) = read(&sub.join("values.yaml"))? {
                base = serde_json::json!({ "gloo": defaults });
            }
        }
        if let Some(defaults) = read(&chart.join("values.yaml"))? {
            values::merge(&mut base, defaults);
        }
    }
    for f in files {
        values::merge(&mut base, f.root.to_json());
    }
    Some(base)
}

/// The yes-or-no leaves of a fix's value, with their paths.
fn bool_leaves(value: &Value, path: Vec<String>, out: &mut Vec<(Vec<String>, bool)>) {
    match value {
        Value::Bool(b) => out.push((path, *b)),
        Value::Object(map) => {
            for (k, v) in map {
                let mut here = path.clone();
                here.push(k.clone());
                bool_leaves(v, here, out);
            }
        }
        _ => {}
    }
}

fn at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |node, key| node.get(key))
}

fn add(tree: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut node = tree;
    for key in parents {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        node = node
            .as_object_mut()
            .expect("an object")
            .entry((*key).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    // Merged, as helm merges a later file: a fix whose value is a mapping keeps its siblings.
    let slot = node.as_object_mut().expect("an object").entry((*last).to_string());
    values::merge(slot.or_insert(Value::Null), value);
}

/// The YAML text of a predicted overlay, for helm.
pub fn to_yaml(predicted: &Value) -> String {
    yaml_serde::to_string(predicted).unwrap_or_else(|_| "{}\n".to_string())
}

/// A remembered overlay's text as values.
pub fn parse(text: &str) -> Option<Value> {
    let value: Value = yaml_serde::from_str(text).ok()?;
    match value {
        Value::Null => Some(Value::Object(Map::new())),
        Value::Object(_) => Some(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(text: &str) -> ValuesFile {
        ValuesFile::parse(Path::new("v.yaml"), text.to_string()).unwrap()
    }

    fn job(chart: &Path) -> Job {
        Job {
            label: None,
            chart: Some(chart.to_path_buf()),
            manifests: None,
            request: crate::render::RenderRequest::default(),
            helm: None,
            cache: None,
            allow_no_gloo: false,
        }
    }

    fn chart(dir: &Path, values: &str) -> std::path::PathBuf {
        let c = dir.join("gloo");
        std::fs::create_dir_all(&c).unwrap();
        std::fs::write(c.join("Chart.yaml"), "apiVersion: v2\nname: gloo\nversion: 1.17.38\n")
            .unwrap();
        std::fs::write(c.join("values.yaml"), values).unwrap();
        c
    }

    #[test]
    fn a_key_already_at_its_value_is_the_same_merged_values_and_another_value_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let c = chart(dir.path(), "gloo:\n  disableLeaderElection: false\n");
        let files = [file("settings:\n  replicas: 3\n")];
        let computed = json!({"gateway": {"validation": {"allowWarnings": false}}});
        // A key the chart's defaults already give, in the prediction alone: a hit.
        let predicted = json!({"gateway": {"validation": {"allowWarnings": false}}, "gloo": {"disableLeaderElection": false}});
        assert!(same_merged_values(&job(&c), &files, &[], &predicted, &computed));
        // One the user's file already gives: a hit.
        let predicted = json!({"gateway": {"validation": {"allowWarnings": false}}, "settings": {"replicas": 3}});
        assert!(same_merged_values(&job(&c), &files, &[], &predicted, &computed));
        // A key at another value than what helm would merge: a miss.
        let predicted = json!({"gateway": {"validation": {"allowWarnings": false}}, "settings": {"replicas": 2}});
        assert!(!same_merged_values(&job(&c), &files, &[], &predicted, &computed));
        // A computed key the prediction lacks: a miss.
        assert!(!same_merged_values(&job(&c), &files, &[], &json!({}), &computed));
        // With --set (not modelled) only the same overlay is a hit.
        let sets = crate::parse::values::parse_set("--set", "a=1").unwrap();
        let predicted = json!({"gateway": {"validation": {"allowWarnings": false}}, "settings": {"replicas": 3}});
        assert!(!same_merged_values(&job(&c), &files, &sets, &predicted, &computed));
        assert!(same_merged_values(&job(&c), &files, &sets, &computed, &computed));
    }

    #[test]
    fn the_defaults_table_goes_to_every_proxy_and_a_weakened_key_is_added() {
        let dir = tempfile::tempdir().unwrap();
        let c = chart(
            dir.path(),
            "gatewayProxies:\n  gatewayProxy:\n    kind:\n      deployment:\n        replicas: 1\n",
        );
        let files = [file(
            "gatewayProxies:\n  internal:\n    kind:\n      deployment:\n        replicas: 1\ngloo:\n  disableLeaderElection: true\n",
        )];
        let predicted = cold(&job(&c), &files, &[], &Config::default()).unwrap();
        let gps = predicted["gatewayProxies"].as_object().unwrap();
        assert_eq!(gps.keys().collect::<Vec<_>>(), ["gatewayProxy", "internal"]);
        assert_eq!(gps["gatewayProxy"], gps["internal"], "the default proxy's fixes, copied");
        // The user turned a yes-or-no key the other way: its rule's fix is predicted, whole.
        assert_eq!(predicted["gloo"]["disableLeaderElection"], json!(false), "{predicted}");
    }
}
