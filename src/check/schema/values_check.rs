//! The user's values against the chart's schema: keys the chart ignores (unknown, or of another
//! Gloo version), values of the wrong type, and keys given twice in one file — each at the line
//! that holds it, with what was probably meant.

use super::reference;
use super::tree::{Node, Types};
use super::ChartSchema;
use crate::parse::values::{SetKey, ValuesFile};
use crate::parse::yaml::{self, Value};
use serde_json::Value as Json;

/// Which kind of problem, by the rule that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// VALUES-001: the chart reads no such key.
    UnknownKey,
    /// VALUES-002: a key of another Gloo version, not of this one.
    OtherVersion,
    /// VALUES-003: the value is not of a type the chart reads there.
    WrongType,
    /// VALUES-004: a key given twice in one mapping of a file; the first is dead.
    DuplicateKey,
    /// VALUES-005: a field of a rendered custom resource that its CRD prunes.
    Pruned,
    /// VALUES-006: a value of a rendered custom resource that its CRD refuses.
    Rejected,
}

/// One problem in the user's values.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuesIssue {
    pub kind: IssueKind,
    /// The values file, or the `--set` flag.
    pub file: String,
    /// Whether `file` is a `--set` argument rather than a file.
    pub from_set: bool,
    /// Line of the key (0 for `--set`).
    pub line: usize,
    /// Full dotted path of the key, list elements as `[i]`.
    pub path: String,
    pub message: String,
    /// A one-line fix: rename the key (same parent), or set another value.
    pub fix: Option<IssueFix>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IssueFix {
    /// Rename the key on its line so that its full path is `path` (a key of the same
    /// mapping); the value stays.
    Rename { path: String, value: Json },
    /// Set this value at the key's own path.
    Value(Json),
}

impl ChartSchema {
    /// Every problem in the user's values files and `--set` keys, in file and line order.
    pub fn check_values(&self, files: &[ValuesFile], sets: &[SetKey]) -> Vec<ValuesIssue> {
        let mut issues = Vec::new();
        for file in files {
            let name = file.path.display().to_string();
            let mut walk = Walk { schema: self, file: &name, issues: &mut issues, from_set: false };
            walk.node(&file.root, &self.root, &mut Vec::new());
            for d in &file.duplicates {
                walk.issues.push(ValuesIssue {
                    kind: IssueKind::DuplicateKey,
                    file: name.clone(),
                    from_set: false,
                    line: d.first_line,
                    path: d.path.clone(),
                    message: format!(
                        "`{}` is given again on line {}: helm keeps the later one, so this one (and everything under it) is ignored",
                        d.path, d.line
                    ),
                    fix: None,
                });
            }
        }
        for set in sets {
            let mut walk =
                Walk { schema: self, file: &set.flag, issues: &mut issues, from_set: true };
            walk.set_key(set);
        }
        issues.sort_by(|a, b| (a.from_set, &a.file, a.line).cmp(&(b.from_set, &b.file, b.line)));
        issues
    }
}

struct Walk<'a> {
    schema: &'a ChartSchema,
    file: &'a str,
    issues: &'a mut Vec<ValuesIssue>,
    from_set: bool,
}

impl Walk<'_> {
    fn node(&mut self, value: &yaml::Node, schema: &Node, path: &mut Vec<String>) {
        if schema.accepts_anything() {
            return;
        }
        match &value.value {
            Value::Null => {}
            Value::Map(entries) => {
                if !schema.is_mapping() {
                    return self.wrong_type(value, schema, path, "a mapping");
                }
                // A key given again later in this mapping is dead (VALUES-004 says so): only
                // the last of equal keys is judged.
                let mut later = std::collections::HashSet::new();
                let live: Vec<&yaml::Entry> =
                    entries.iter().rev().filter(|e| later.insert(e.key.as_str())).collect();
                for entry in live.into_iter().rev() {
                    path.push(entry.key.to_string());
                    match schema.child(&entry.key) {
                        Some(child) => self.node(&entry.value, child, path),
                        None => self.unknown(schema, path, entry.line(), Some(&entry.value)),
                    }
                    path.pop();
                }
            }
            Value::Seq(items) => {
                let Some(item) = schema.item.as_deref() else {
                    return self.wrong_type(value, schema, path, "a list");
                };
                for (i, node) in items.iter().enumerate() {
                    path.push(format!("[{i}]"));
                    self.node(node, item, path);
                    path.pop();
                }
            }
            _ => self.scalar(value, schema, path),
        }
    }

    fn scalar(&mut self, value: &yaml::Node, schema: &Node, path: &[String]) {
        let t = schema.types;
        let ok = match &value.value {
            Value::Bool(_) => t.contains(Types::BOOL),
            Value::Int(_) => {
                t.contains(Types::INT) || t.contains(Types::FLOAT) || t.contains(Types::STRING)
            }
            Value::Float(f) => {
                t.contains(Types::FLOAT)
                    || t.contains(Types::STRING)
                    || (t.contains(Types::INT) && f.fract() == 0.0)
            }
            Value::Str(s) => {
                t.contains(Types::STRING)
                    || ((t.contains(Types::INT) || t.contains(Types::FLOAT))
                        && s.trim().parse::<f64>().is_ok())
            }
            _ => true,
        };
        if !ok {
            let got = match &value.value {
                Value::Bool(_) => "a boolean",
                Value::Int(_) | Value::Float(_) => "a number",
                _ => "a string",
            };
            self.wrong_type(value, schema, path, got);
        }
    }

    fn wrong_type(&mut self, value: &yaml::Node, schema: &Node, path: &[String], got: &str) {
        let expected = expected_text(schema);
        let shown = shown_value(value);
        let chart = &self.schema.described;
        let (message, fix) = match (&value.value, schema) {
            (Value::Str(s), _) if schema.types.contains(Types::BOOL) => {
                let meant = meant_bool(s);
                let how = match meant {
                    Some(b) => format!("write {b} without quotes"),
                    None => "write true or false without quotes".to_string(),
                };
                (
                    format!(
                        "{shown} is a string where {chart} reads a boolean: a non-empty string is true in a Go template, so this turns the setting on whatever it says; {how}"
                    ),
                    meant.map(|b| IssueFix::Value(Json::Bool(b))),
                )
            }
            (Value::Bool(b), _)
                if schema.is_mapping()
                    && schema.fields.get("enabled").is_some_and(|e| e.types.contains(Types::BOOL)) =>
            {
                (
                    format!(
                        "{shown} is a boolean where {chart} expects a mapping ({expected}): helm fails to render it (`can't evaluate field ... in type bool`) or ignores it; write `enabled: {b}` under the key"
                    ),
                    Some(IssueFix::Value(serde_json::json!({ "enabled": b }))),
                )
            }
            (Value::Bool(b), _) if schema.types.contains(Types::STRING) => (
                format!(
                    "{shown} is a boolean where {chart} reads a string: quote it (\"{b}\") so that it renders as the text the field needs"
                ),
                Some(IssueFix::Value(Json::String(b.to_string()))),
            ),
            _ if schema.is_mapping() => (
                format!(
                    "{shown} is {got} where {chart} expects a mapping ({expected}): helm fails to render it (`can't evaluate field ...`) or ignores it"
                ),
                None,
            ),
            _ => (format!("{shown} is {got} where {chart} reads {expected}"), None),
        };
        self.issues.push(ValuesIssue {
            kind: IssueKind::WrongType,
            file: self.file.to_string(),
            from_set: self.from_set,
            line: value.line(),
            path: join(path),
            message,
            fix,
        });
    }

    /// A key the chart does not read, at `line` (0 for `--set`): the last of `path`, under a
    /// mapping whose schema is `parent`. `value` is what the file gives it (None for `--set`,
    /// which offers no rename and no other parent).
    fn unknown(&mut self, parent: &Node, path: &[String], line: usize, value: Option<&yaml::Node>) {
        let key = path.last().map_or("", String::as_str);
        let full = join(path);
        let other = self.other_versions(path);
        let chart = &self.schema.described;
        let from = if self.from_set { format!(" (from {})", self.file) } else { String::new() };
        let mut message = if other.is_empty() {
            format!("`{full}`{from} is not a key of {chart}: helm renders nothing from it")
        } else {
            format!(
                "`{full}`{from} is not a key of {chart}, only of gloo {}: helm renders nothing from it",
                versions_text(&other)
            )
        };
        let mut fix = None;
        if let Some(to) = nearest_sibling(key, parent) {
            let mut new_path = path[..path.len() - 1].to_vec();
            new_path.push(to);
            message.push_str(&format!("; did you mean `{}`?", join(&new_path)));
            fix = value.map(|v| IssueFix::Rename { path: join(&new_path), value: v.to_json() });
        } else if let Some(value) = value {
            let elsewhere: Vec<String> =
                self.elsewhere(key, value, path).iter().map(|p| format!("`{p}`")).collect();
            if !elsewhere.is_empty() {
                message.push_str(&format!("; did you mean {}?", elsewhere.join(" or ")));
            }
        }
        if let Some(note) = self.schema.version_note() {
            message.push_str(&format!(" ({note})"));
        }
        self.issues.push(ValuesIssue {
            kind: if other.is_empty() { IssueKind::UnknownKey } else { IssueKind::OtherVersion },
            file: self.file.to_string(),
            from_set: self.from_set,
            line,
            path: full,
            message,
            fix,
        });
    }

    /// The Gloo minors (other than the one checked against) whose table has this path.
    fn other_versions(&self, path: &[String]) -> Vec<(u32, u32)> {
        let Some(at) = &self.schema.gloo_at else { return Vec::new() };
        if path.len() <= at.len() || path[..at.len()] != at[..] {
            return Vec::new();
        }
        let below = &path[at.len()..];
        let current = self.schema.table.map(|(m, _)| m);
        reference::minors()
            .filter(|m| Some(*m) != current)
            .filter(|m| reference::table(*m).is_some_and(|t| t.reads(below)))
            .collect()
    }

    /// Where else in the schema a key of this name is read, for a key under the wrong parent:
    /// the paths ending in it that take its value, closest to where it was written first.
    fn elsewhere(&self, key: &str, value: &yaml::Node, path: &[String]) -> Vec<String> {
        use super::tree::ANY_KEY;
        // (segments shared with where it was written, the candidate as a concrete path)
        let mut found: Vec<(usize, String)> = self
            .schema
            .root
            .paths_ending_in(key)
            .into_iter()
            .filter(|(_, node)| takes_shape(node, value))
            .map(|(segments, _)| {
                let shared = segments
                    .iter()
                    .zip(path)
                    .take_while(|(c, p)| **c == p.as_str() || **c == ANY_KEY)
                    .count();
                let concrete: Vec<&str> = segments
                    .iter()
                    .enumerate()
                    .map(|(i, s)| match (*s, path.get(i)) {
                        (ANY_KEY, Some(p)) if i < shared => p.as_str(),
                        (ANY_KEY, _) => "<name>",
                        (s, _) => s,
                    })
                    .collect();
                (shared, concrete.join("."))
            })
            .collect();
        // Closest first; among equals, fewest segments first (the order they came in).
        found.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
        found.dedup_by(|a, b| a.1 == b.1);
        // A key read in many places (`enabled`, `deployment`) says nothing about where it was
        // meant to go, unless at most two places are closer to where it was written than the
        // rest.
        let closest: Vec<String> = found
            .iter()
            .take_while(|(shared, _)| *shared == found[0].0)
            .map(|(_, p)| p.clone())
            .collect();
        if closest.len() > 2 {
            return Vec::new();
        }
        closest
    }

    fn set_key(&mut self, set: &SetKey) {
        let mut node = &self.schema.root;
        let mut path: Vec<String> = Vec::new();
        for segment in &set.segments {
            if node.accepts_anything() {
                return;
            }
            // `--set list[0].x` gives the index as a segment of its own.
            let is_index = segment.parse::<usize>().is_ok() && node.item.is_some();
            path.push(if is_index { format!("[{segment}]") } else { segment.clone() });
            let Some(next) = node.step(path.last().expect("pushed")) else {
                return self.unknown(node, &path, 0, None);
            };
            node = next;
        }
    }
}

/// Whether a node can take a value of this shape (mapping, list or scalar), and for a mapping
/// at least one of its keys.
fn takes_shape(node: &Node, value: &yaml::Node) -> bool {
    if node.accepts_anything() {
        return true;
    }
    match &value.value {
        Value::Map(entries) => {
            node.is_mapping() && entries.iter().any(|e| node.child(&e.key).is_some())
        }
        Value::Seq(_) => node.item.is_some(),
        Value::Null => true,
        _ => !node.types.is_empty(),
    }
}

/// The known key of the same mapping closest to `key` in spelling: the same but for case, or
/// a few edits away (one for short keys, up to three for long ones).
fn nearest_sibling(key: &str, parent: &Node) -> Option<String> {
    nearest_name(key, parent.fields.keys().map(String::as_str)).map(str::to_string)
}

/// The name among `names` closest to `key` in spelling, within the edits
/// `nearest_sibling` allows.
pub fn nearest_name<'n>(key: &str, names: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let lower = key.to_ascii_lowercase();
    let limit = match key.chars().count() {
        0..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    names
        .map(|k| (strsim::damerau_levenshtein(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, k)| k)
}

/// What a string that was meant as a boolean says (`"false"`, `fals`, `"yes"`).
fn meant_bool(s: &str) -> Option<bool> {
    let lower = s.trim().to_ascii_lowercase();
    match lower.as_str() {
        "true" | "yes" | "on" | "y" => Some(true),
        "false" | "no" | "off" | "n" => Some(false),
        _ if strsim::damerau_levenshtein(&lower, "false") <= 1 => Some(false),
        _ if strsim::damerau_levenshtein(&lower, "true") <= 1 => Some(true),
        _ => None,
    }
}

/// What a schema node expects, in words.
fn expected_text(schema: &Node) -> String {
    if schema.is_mapping() {
        let keys: Vec<&str> = schema.fields.keys().map(String::as_str).take(4).collect();
        return match (keys.is_empty(), schema.fields.len() > keys.len()) {
            (true, _) => "keys of your choosing".to_string(),
            (false, false) => keys.join(", "),
            (false, true) => format!("{}, ...", keys.join(", ")),
        };
    }
    if schema.item.is_some() {
        return "a list".to_string();
    }
    let names: Vec<&str> = schema
        .types
        .names()
        .into_iter()
        .map(|n| match n {
            "bool" => "a boolean",
            "int" => "an integer",
            "float" => "a number",
            _ => "a string",
        })
        .collect();
    names.join(" or ")
}

fn shown_value(value: &yaml::Node) -> String {
    match &value.value {
        Value::Str(s) if value.style == yaml::Style::Quoted => format!("`\"{s}\"`"),
        Value::Map(_) | Value::Seq(_) => "the value".to_string(),
        _ => format!("`{}`", value.scalar_text().unwrap_or_default()),
    }
}

fn versions_text(minors: &[(u32, u32)]) -> String {
    // Consecutive minors read as a range (1.13–1.16).
    let mut runs: Vec<((u32, u32), (u32, u32))> = Vec::new();
    for &m in minors {
        match runs.last_mut() {
            Some((_, end)) if end.0 == m.0 && end.1 + 1 == m.1 => *end = m,
            _ => runs.push((m, m)),
        }
    }
    runs.iter()
        .map(|(a, b)| {
            if a == b {
                format!("{}.{}", a.0, a.1)
            } else {
                format!("{}.{}–{}.{}", a.0, a.1, b.0, b.1)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn join(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        if !out.is_empty() && !segment.starts_with('[') {
            out.push('.');
        }
        out.push_str(segment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::version::Version;
    use std::path::Path;

    fn check(values: &str, version: &str) -> Vec<ValuesIssue> {
        let schema = ChartSchema::for_chart(None, Version::parse(version));
        let file = ValuesFile::parse(Path::new("v.yaml"), values.to_string()).unwrap();
        schema.check_values(&[file], &[])
    }

    fn summary(issues: &[ValuesIssue]) -> Vec<(IssueKind, usize, &str)> {
        issues.iter().map(|i| (i.kind, i.line, i.path.as_str())).collect()
    }

    #[test]
    fn a_misspelled_key_gets_its_sibling_as_a_rename() {
        let issues = check(
            "gatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      probe: true\n",
            "1.17.38",
        );
        assert_eq!(
            summary(&issues),
            [(IssueKind::UnknownKey, 4, "gatewayProxies.gatewayProxy.podTemplate.probe")]
        );
        assert!(
            issues[0]
                .message
                .ends_with("did you mean `gatewayProxies.gatewayProxy.podTemplate.probes`?"),
            "{}",
            issues[0].message
        );
        assert_eq!(
            issues[0].fix,
            Some(IssueFix::Rename {
                path: "gatewayProxies.gatewayProxy.podTemplate.probes".into(),
                value: Json::Bool(true)
            })
        );
    }

    #[test]
    fn a_key_under_the_wrong_parent_names_where_it_belongs() {
        let issues = check("settings:\n  replaceInvalidRoutes: true\n", "1.17.38");
        assert_eq!(summary(&issues), [(IssueKind::UnknownKey, 2, "settings.replaceInvalidRoutes")]);
        assert!(
            issues[0]
                .message
                .contains("did you mean `settings.invalidConfigPolicy.replaceInvalidRoutes`?"),
            "{}",
            issues[0].message
        );
        let prefixed = check("gloo:\n  discovery:\n    enabled: false\n", "1.17.38");
        assert_eq!(summary(&prefixed), [(IssueKind::UnknownKey, 2, "gloo.discovery")]);
        assert!(
            prefixed[0].message.contains("did you mean `discovery`?"),
            "{}",
            prefixed[0].message
        );
    }

    #[test]
    fn a_quoted_false_is_true_to_the_template() {
        let issues = check(
            "gatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      probes: \"false\"\n",
            "1.17.38",
        );
        assert_eq!(
            summary(&issues),
            [(IssueKind::WrongType, 4, "gatewayProxies.gatewayProxy.podTemplate.probes")]
        );
        assert!(issues[0].message.contains("a non-empty string is true"), "{}", issues[0].message);
        assert_eq!(issues[0].fix, Some(IssueFix::Value(Json::Bool(false))));
        let typo = check("settings:\n  disableKubernetesDestinations: fals\n", "1.17.38");
        assert_eq!(typo[0].fix, Some(IssueFix::Value(Json::Bool(false))));
    }

    #[test]
    fn a_boolean_where_the_chart_expects_a_mapping_with_enabled() {
        let issues = check("discovery:\n  deployment:\n    stats: true\n", "1.13.39");
        assert_eq!(summary(&issues), [(IssueKind::WrongType, 3, "discovery.deployment.stats")]);
        assert_eq!(issues[0].fix, Some(IssueFix::Value(serde_json::json!({"enabled": true}))));
    }

    #[test]
    fn keys_of_another_version_say_which() {
        // kubeGateway came with 1.17.
        let issues = check("kubeGateway:\n  enabled: true\n", "1.13.39");
        assert_eq!(summary(&issues), [(IssueKind::OtherVersion, 1, "kubeGateway")]);
        assert!(issues[0].message.contains("only of gloo 1.17–1.22"), "{}", issues[0].message);
    }

    #[test]
    fn free_form_blocks_and_known_keys_pass() {
        let issues = check(
            "gatewayProxies:\n  internal:\n    podTemplate:\n      probes: true\n    gatewaySettings:\n      customHttpGateway:\n        anything: {goes: here}\n    kubeResourceOverride:\n      spec: {x: 1}\nsettings:\n  watchNamespaces: [a, b]\n",
            "1.17.38",
        );
        assert_eq!(issues, []);
    }

    #[test]
    fn a_duplicate_key_reports_the_dead_one() {
        let issues = check(
            "global:\n  a: 1\nsettings: {}\nglobal:\n  glooRbac: {create: true}\n",
            "1.17.38",
        );
        assert_eq!(summary(&issues), [(IssueKind::DuplicateKey, 1, "global")]);
        assert!(issues[0].message.contains("given again on line 4"), "{}", issues[0].message);
    }

    #[test]
    fn set_keys_are_checked_too() {
        let schema = ChartSchema::for_chart(None, Version::parse("1.17.38"));
        let sets = crate::parse::values::parse_set(
            "--set",
            "gloo.discovery.enabled=false,settings.create=true",
        )
        .unwrap();
        let issues = schema.check_values(&[], &sets);
        assert_eq!(summary(&issues), [(IssueKind::UnknownKey, 0, "gloo.discovery")]);
        assert!(issues[0].from_set);
    }

    #[test]
    fn ranges_of_minors_read_as_ranges() {
        assert_eq!(versions_text(&[(1, 13), (1, 14), (1, 15), (1, 18)]), "1.13–1.15, 1.18");
    }
}
