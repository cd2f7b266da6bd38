//! Overlay step: the values overlay that fixes what values can fix, built from the rules' own
//! fixes (one source of truth), printed as YAML with each key commented with the rules it fixes.

use crate::check::{CheckReport, ValuesContext};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::parse::values::merge;
use crate::parse::yaml::emit::{block, Style};
use crate::rules::{Status, Target, RULES};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;

/// The note on tracing a Gateway fix carries into the custom block it creates.
pub const CARRIED_TRACING: &str = "kept from tracing.provider";

/// How the header of every overlay helm-harden writes begins (after a `target` line when there
/// is one): what tells a generated overlay from a user's values file ([`is_generated`]).
pub const HEADER_MARK: &str = "helm-harden overlay for ";

/// Whether the file at `path` is an overlay helm-harden generated (`overlay --write`): a comment
/// among its first lines starts with [`HEADER_MARK`]. Only the first 1 KiB is read.
pub fn is_generated(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 1024];
    let Ok(n) = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) else {
        return false;
    };
    String::from_utf8_lossy(&head[..n])
        .lines()
        .take(3)
        .take_while(|l| l.starts_with('#'))
        .any(|l| l.trim_start_matches('#').trim_start().starts_with(HEADER_MARK))
}

#[derive(Debug, Clone, Default)]
pub struct Overlay {
    /// The values tree (insertion order kept).
    pub tree: Map<String, Value>,
    /// Dotted path of a leaf (or of a list) -> rule IDs it fixes.
    pub notes: BTreeMap<String, BTreeSet<String>>,
}

impl Overlay {
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Merges `value` at dotted `path`, noting `rule` on every leaf it sets.
    pub fn add(&mut self, path: &str, value: &Value, rule: &str) {
        let segments: Vec<&str> = path.split('.').collect();
        let (last, parents) = segments.split_last().expect("non-empty path");
        let mut node = &mut self.tree;
        for seg in parents {
            let entry = node.entry(seg.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = entry.as_object_mut().expect("object");
        }
        merge(node.entry(*last).or_insert(Value::Null), value.clone());
        for leaf in leaves(path, value) {
            // Tracing in a custom Gateway block is carried over from the generated Gateway
            // (ValuesContext::generated_gateway_extras), not what the rule fixes.
            let note = if leaf.contains("Gateway.options.httpConnectionManagerSettings.tracing.") {
                CARRIED_TRACING
            } else {
                rule
            };
            self.notes.entry(leaf).or_default().insert(note.to_string());
        }
    }

    /// The overlay as YAML. `header` lines are written as comments first.
    pub fn to_yaml(&self, header: &[String]) -> String {
        let mut out = String::new();
        for line in header {
            // One comment line each, whatever a target label holds.
            writeln!(out, "# {}", crate::escape::terminal(line)).ok();
        }
        if self.tree.is_empty() {
            out.push_str("{}\n");
            return out;
        }
        let note = |path: &str| note(&self.notes, path);
        let above = |path: &str| review_lines(&self.notes, path);
        out.push_str(&block(
            &Value::Object(self.tree.clone()),
            0,
            &Style { note: &note, above: &above, ..Style::PLAIN },
        ));
        out
    }

    /// Merges a user's overlay file on top (its values win).
    pub fn merge_file(&mut self, path: &Path) -> Result<()> {
        let file = crate::parse::values::ValuesFile::load(path)?;
        if let Value::Object(map) = file.root.to_json() {
            for (k, v) in map {
                merge(self.tree.entry(k).or_insert(Value::Null), v);
            }
        }
        Ok(())
    }
}

/// Dotted paths of the leaves `value` sets below `path` (lists count as leaves).
fn leaves(path: &str, value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) if !map.is_empty() => {
            map.iter().flat_map(|(k, v)| leaves(&format!("{path}.{k}"), v)).collect()
        }
        _ => vec![path.to_string()],
    }
}

/// The comment lines above a key whose fix changes how traffic is handled, one per such rule:
/// `review before applying (ENVOY-009): ...`.
fn review_lines(notes: &BTreeMap<String, BTreeSet<String>>, path: &str) -> Vec<String> {
    notes
        .get(path)
        .into_iter()
        .flatten()
        .filter_map(|id| {
            let note = crate::rules::review_before_applying(id)?;
            Some(format!("{REVIEW_BEFORE_APPLYING} ({id}): {note}"))
        })
        .collect()
}

/// How a fix that changes traffic behaviour is marked, wherever it is shown.
pub const REVIEW_BEFORE_APPLYING: &str = "review before applying";

fn note(notes: &BTreeMap<String, BTreeSet<String>>, path: &str) -> String {
    notes
        .get(path)
        .map(|ids| format!("  # {}", ids.iter().cloned().collect::<Vec<_>>().join(", ")))
        .unwrap_or_default()
}

/// The overlay that fixes the report's failures (not the suppressed ones): only the keys needed.
pub fn for_failures(report: &CheckReport) -> Overlay {
    let mut overlay = Overlay::default();
    for f in &report.findings {
        if f.status == Status::Fail && f.suppressed.is_none() {
            if let Some(fix) = &f.fix {
                overlay.add(&fix.values_path, &fix.value, f.rule);
            }
        }
    }
    overlay
}

/// The full hardened overlay: every fix of every rule for this chart version, for every proxy
/// and generated Gateway in the render, whatever their status now. Where an object's outcome has
/// its own fix (its [`Finding::pin`](crate::check::Finding::pin), passing or not), that one
/// replaces the declared fix for that object: it follows the user's own settings, which the
/// declared one could clobber (`{GP}.stats` over `global.glooStats`, a list replaced whole, a
/// request above a limit, `maxUnavailable` beside `minAvailable`).
pub fn full(
    report: &CheckReport,
    values: &ValuesContext,
    proxies: &[String],
    config: &Config,
) -> Overlay {
    let mut overlay = Overlay::default();
    let pinned: std::collections::HashSet<(&str, &Target)> = report
        .findings
        .iter()
        .filter_map(|f| f.pin.as_deref().map(|p| (f.rule, &p.target)))
        .collect();
    for rule in RULES.iter().filter(|r| config.severity_of(r).is_some()) {
        let Some(fix) = rule.fix_for(report.chart.gloo_version) else { continue };
        let targets: Vec<Target> = if fix.path.contains("{GW}") {
            proxies
                .iter()
                .flat_map(|p| [false, true].map(|ssl| Target::Gateway { proxy: p.clone(), ssl }))
                .collect()
        } else if fix.path.contains("{GP}") {
            proxies.iter().map(|p| Target::Proxy(p.clone())).collect()
        } else if fix.path.contains("{KG}") {
            // Only where the chart renders its GatewayParameters (kubeGateway on) and the rule
            // judged it: elsewhere the keys would render nothing.
            let judged = report.findings.iter().any(|f| {
                f.rule == rule.id
                    && f.object.kind == "GatewayParameters"
                    && matches!(f.status, Status::Fail | Status::Pass)
            });
            if judged {
                vec![Target::Chart]
            } else {
                vec![]
            }
        } else {
            vec![Target::Chart]
        };
        for target in targets.iter().filter(|t| !pinned.contains(&(rule.id, t))) {
            // A proxy rendered from its own block gets its own key, or nothing where it has
            // none (a gatewayProxies key would render a second proxy).
            if let Ok((path, value)) = values.resolve(fix, target) {
                overlay.add(&path, &value, rule.id);
            }
        }
    }
    // A passing object's own fix, resolved here (the check resolves failures' only).
    for f in report.findings.iter().filter(|f| f.status == Status::Pass) {
        let Some(pin) = f.pin.as_deref() else { continue };
        let declared =
            crate::rules::find(f.rule).and_then(|r| r.fix_for(report.chart.gloo_version));
        if let Some(fix) = values.suggestion_for(declared, &pin.own, &pin.target) {
            overlay.add(&fix.values_path, &fix.value, f.rule);
        }
    }
    // A failure's fix as located for its own object (its pin resolved, or the declared fix in
    // its Gateway's kube override), on top of the declared fixes resolved per proxy above.
    for f in report.findings.iter().filter(|f| f.status == Status::Fail) {
        if let Some(fix) = &f.fix {
            overlay.add(&fix.values_path, &fix.value, f.rule);
        }
    }
    overlay
}

/// Writes `text` to `path`, refusing to replace an existing file unless `force`.
pub fn write_new(path: &Path, text: &str, force: bool, inputs: &[&Path]) -> Result<()> {
    if path.exists() && !force {
        return Err(Error::in_file(path, "exists; refusing to replace it (use --force)"));
    }
    crate::report::output::write_atomically(path, text, "cannot write", inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_fixes_and_comments_each_leaf_with_its_rules() {
        let mut o = Overlay::default();
        o.add("gatewayProxies.gatewayProxy.podTemplate.probes", &json!(true), "GLOO-025");
        o.add(
            "gatewayProxies.gatewayProxy.podTemplate",
            &json!({"probes": true, "livenessProbeEnabled": true}),
            "GLOO-026",
        );
        o.add("gateway.validation.allowWarnings", &json!(false), "GLOO-005");
        o.add(
            "gatewayProxies.gatewayProxy.stats",
            &json!({"enabled": true, "routePrefixRewrite": "/stats/prometheus?usedonly"}),
            "GLOO-033",
        );
        o.add(
            "gatewayProxies.gatewayProxy.gatewaySettings.options.socketOptions",
            &json!([{"level": 1, "name": 9, "intValue": 1, "state": "STATE_PREBIND"}]),
            "GLOO-034",
        );
        let yaml = o.to_yaml(&["overlay".to_string()]);
        assert_eq!(
            yaml,
            "# overlay\ngatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      probes: true  # GLOO-025, GLOO-026\n      livenessProbeEnabled: true  # GLOO-026\n    stats:\n      enabled: true  # GLOO-033\n      routePrefixRewrite: /stats/prometheus?usedonly  # GLOO-033\n    gatewaySettings:\n      options:\n        socketOptions:  # GLOO-034\n          - level: 1\n            name: 9\n            intValue: 1\n            state: STATE_PREBIND\ngateway:\n  validation:\n    allowWarnings: false  # GLOO-005\n"
        );
        // It parses back to the same tree.
        let back: Value = yaml_serde::from_str(&yaml).unwrap();
        assert_eq!(back, Value::Object(o.tree.clone()));
    }

    #[test]
    fn refuses_to_replace_a_file_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("overlay.yaml");
        write_new(&path, "a: 1\n", false, &[]).unwrap();
        let err = write_new(&path, "b: 2\n", false, &[]).unwrap_err();
        assert!(err.message().ends_with("exists; refusing to replace it (use --force)"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 1\n");
        write_new(&path, "b: 2\n", true, &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b: 2\n");
    }
}
