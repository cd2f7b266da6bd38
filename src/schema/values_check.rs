//! The user's values against the chart's schema: keys the chart ignores (unknown, or of another
//! Gloo version), values of the wrong type, and keys given twice in one file — each at the line
//! that holds it, with what was probably meant.

use super::reference;
use super::tree::{Node, Types};
use super::ChartSchema;
use crate::values::{SetKey, ValuesFile};
use crate::yaml::{self, Value};
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
    /// Rename the key on its line to `to` (a key of the same mapping); the value stays.
    Rename { to: String, path: String, value: Json },
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
                for (i, entry) in entries.iter().enumerate() {
                    // A key given again later in this mapping is dead (VALUES-004 says so).
                    if entries[i + 1..].iter().any(|later| later.key == entry.key) {
                        continue;
                    }
                    path.push(entry.key.to_string());
                    match schema.child(&entry.key) {
                        Some(child) => self.node(&entry.value, child, path),
                        None => self.unknown(entry, schema, path),
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

    fn unknown(&mut self, entry: &yaml::Entry, parent: &Node, path: &[String]) {
        let key = entry.key.as_str();
        let full = join(path);
        let other = self.other_versions(path);
        let chart = &self.schema.described;
        let value = entry.value.to_json();
        let sibling = nearest_sibling(key, parent);
        let elsewhere =
            if sibling.is_none() { self.elsewhere(key, &entry.value, path) } else { Vec::new() };
        let mut message = if other.is_empty() {
            format!("`{full}` is not a key of {chart}: helm renders nothing from it")
        } else {
            format!(
                "`{full}` is not a key of {chart}, only of gloo {}: helm renders nothing from it",
                versions_text(&other)
            )
        };
        let mut fix = None;
        if let Some(to) = &sibling {
            let mut new_path = path[..path.len() - 1].to_vec();
            new_path.push(to.clone());
            message.push_str(&format!("; did you mean `{}`?", join(&new_path)));
            fix = Some(IssueFix::Rename { to: to.clone(), path: join(&new_path), value });
        } else if !elsewhere.is_empty() {
            let list: Vec<String> = elsewhere.iter().map(|p| format!("`{p}`")).collect();
            message.push_str(&format!("; did you mean {}?", list.join(" or ")));
        }
        if let Some(note) = self.schema.version_note() {
            message.push_str(&format!(" ({note})"));
        }
        self.issues.push(ValuesIssue {
            kind: if other.is_empty() { IssueKind::UnknownKey } else { IssueKind::OtherVersion },
            file: self.file.to_string(),
            from_set: self.from_set,
            line: entry.line(),
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
            .filter(|m| reference::table(*m).is_some_and(|t| knows(t, below)))
            .collect()
    }

    /// Where else in the schema a key of this name is read, for a key under the wrong parent:
    /// the paths ending in it that take its value, closest to where it was written first.
    fn elsewhere(&self, key: &str, value: &yaml::Node, path: &[String]) -> Vec<String> {
        let mut found: Vec<(usize, usize, String)> = self
            .schema
            .root
            .paths_ending_in(key)
            .into_iter()
            .filter_map(|candidate| {
                let segments: Vec<&str> = candidate.split('.').collect();
                let node = lookup(&self.schema.root, &segments)?;
                if !takes_shape(node, value) {
                    return None;
                }
                let shared = segments
                    .iter()
                    .zip(path)
                    .take_while(|(c, p)| **c == p.as_str() || **c == super::tree::ANY_KEY)
                    .count();
                let concrete: Vec<String> = segments
                    .iter()
                    .enumerate()
                    .map(|(i, s)| match (*s, path.get(i)) {
                        (super::tree::ANY_KEY, Some(p)) if i < shared => p.clone(),
                        (super::tree::ANY_KEY, _) => "<name>".to_string(),
                        (s, _) => s.to_string(),
                    })
                    .collect();
                Some((shared, segments.len(), concrete.join(".")))
            })
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        found.dedup_by(|a, b| a.2 == b.2);
        // A key read in many places (`enabled`, `deployment`) says nothing about where it was
        // meant to go, unless one place is closer to where it was written than the others.
        if found.len() > 2 && found[0].0 == found[1].0 {
            return Vec::new();
        }
        let keep = if found_len_two(&found) { 2 } else { 1 };
        found.into_iter().take(keep).map(|(_, _, p)| p).collect()
    }

    fn set_key(&mut self, set: &SetKey) {
        let mut node = &self.schema.root;
        let mut path: Vec<String> = Vec::new();
        for segment in &set.segments {
            if node.accepts_anything() {
                return;
            }
            let is_index = segment.parse::<usize>().is_ok() && node.item.is_some();
            path.push(if is_index { format!("[{segment}]") } else { segment.clone() });
            let next = if is_index { node.item.as_deref() } else { node.child(segment) };
            let Some(next) = next else {
                let other = self.other_versions(&path);
                let chart = &self.schema.described;
                let full = join(&path);
                let sibling = nearest_sibling(segment, node)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                let also = if other.is_empty() {
                    String::new()
                } else {
                    format!(", only of gloo {}", versions_text(&other))
                };
                self.issues.push(ValuesIssue {
                    kind: if other.is_empty() {
                        IssueKind::UnknownKey
                    } else {
                        IssueKind::OtherVersion
                    },
                    file: set.flag.clone(),
                    from_set: true,
                    line: 0,
                    path: full.clone(),
                    message: format!(
                        "`{full}` (from {}) is not a key of {chart}{also}: helm renders nothing from it{sibling}",
                        set.flag
                    ),
                    fix: None,
                });
                return;
            };
            node = next;
        }
    }
}

/// Two candidates equally close are both named; otherwise the closest alone.
fn found_len_two(found: &[(usize, usize, String)]) -> bool {
    found.len() == 2 && found[0].0 == found[1].0
}

/// Whether a table knows a concrete path (list indexes as `[i]`).
fn knows(table: &Node, path: &[String]) -> bool {
    let mut node = table;
    for segment in path {
        if node.accepts_anything() {
            return true;
        }
        let next =
            if segment.starts_with('[') { node.item.as_deref() } else { node.child(segment) };
        match next {
            Some(next) => node = next,
            None => return false,
        }
    }
    true
}

/// The node at a reference path (`NAME`, `[]`).
fn lookup<'a>(root: &'a Node, segments: &[&str]) -> Option<&'a Node> {
    segments.iter().try_fold(root, |node, s| match *s {
        super::tree::ANY_KEY => node.any_key.as_deref(),
        super::tree::ITEM => node.item.as_deref(),
        key => node.fields.get(key),
    })
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
    let lower = key.to_ascii_lowercase();
    let limit = match key.chars().count() {
        0..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    parent
        .fields
        .keys()
        .map(|k| (strsim::damerau_levenshtein(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, k)| k.clone())
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
    use crate::chart::Version;
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
                to: "probes".into(),
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
        let sets =
            crate::values::parse_set("--set", "gloo.discovery.enabled=false,settings.create=true")
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
