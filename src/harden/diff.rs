//! Diff step: the render with the user's values next to the render with the hardened overlay,
//! compared resource by resource (helm-diff's conventions: headers, redacted Secrets).
//!
//! Documents pair by API group, kind, namespace and name. Objects embedded as YAML text in
//! ConfigMaps (Gateways, Envoy bootstraps) are compared as objects of their own, and the
//! ConfigMap keys holding them are left out of the ConfigMap's own comparison. Each side is
//! printed canonically (keys sorted), so mapping key order alone is never a change.

use crate::parse::yaml::emit::{block, Style};
use crate::parse::yaml::{Node, Value};
use crate::parse::Doc;
use regex::Regex;
use serde::Serialize;
use similar::TextDiff;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

/// One resource that differs.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceDiff {
    pub change: Change,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub embedded_in: Option<String>,
    /// The unified diff (`---`/`+++` header, hunks).
    pub diff: String,
}

impl ResourceDiff {
    /// helm-diff's header: `gloo-system, gateway-proxy, Deployment (apps) has changed:`.
    pub fn header(&self) -> String {
        let group = self.api_version.rsplit_once('/').map_or_else(
            || {
                if self.api_version.is_empty() {
                    "embedded".to_string()
                } else {
                    self.api_version.clone()
                }
            },
            |(g, _)| g.to_string(),
        );
        let ns = self.namespace.as_deref().unwrap_or("");
        let inside = self.embedded_in.as_ref().map(|e| format!(" in {e}")).unwrap_or_default();
        let verb = match self.change {
            Change::Added => "has been added",
            Change::Removed => "has been removed",
            Change::Changed => "has changed",
        };
        format!("{ns}, {}, {} ({group}){inside} {verb}:", self.name, self.kind)
    }
}

#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub context: usize,
    pub show_secrets: bool,
    pub suppress_annotations: Vec<Regex>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions { context: 3, show_secrets: false, suppress_annotations: Vec::new() }
    }
}

type Key = (String, String, String, String, bool);

fn key_of(d: &Doc) -> Key {
    (
        d.group().to_string(),
        d.kind.to_string(),
        d.namespace.as_deref().unwrap_or_default().to_string(),
        d.name.to_string(),
        d.embedded_in.is_some(),
    )
}

/// Which two renders a diff compares: it names the two sides of each resource's diff, and says
/// what no difference means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Between {
    /// The render of the user's values and the one with the hardened overlay.
    Hardened,
    /// The render at `--base REF` and the working tree's: the change's own diff.
    Change,
}

impl Between {
    fn sides(self) -> (&'static str, &'static str) {
        match self {
            Between::Hardened => ("base", "hardened"),
            Between::Change => ("base", "head"),
        }
    }

    fn nothing_changes(self) -> &'static str {
        match self {
            Between::Hardened => "the hardened overlay changes nothing",
            Between::Change => "the change leaves the render as it was",
        }
    }
}

/// Compares the render of the user's values with the hardened one; differences in render
/// order of the pairs.
pub fn diff_renders(base: &[Doc], hardened: &[Doc], opts: &DiffOptions) -> Vec<ResourceDiff> {
    diff_between(base, hardened, opts, Between::Hardened)
}

/// Compares the render at `--base REF` with the working tree's, as [`diff_renders`] does.
pub fn diff_change(base: &[Doc], head: &[Doc], opts: &DiffOptions) -> Vec<ResourceDiff> {
    diff_between(base, head, opts, Between::Change)
}

fn diff_between(
    base: &[Doc],
    hardened: &[Doc],
    opts: &DiffOptions,
    between: Between,
) -> Vec<ResourceDiff> {
    let index = |docs: &[Doc]| -> BTreeMap<Key, usize> {
        docs.iter().enumerate().map(|(i, d)| (key_of(d), i)).collect()
    };
    let (left, right) = (index(base), index(hardened));
    let mut order: Vec<(Key, Option<&Doc>, Option<&Doc>)> = Vec::new();
    let mut seen = BTreeSet::new();
    for d in base.iter().chain(hardened) {
        let k = key_of(d);
        if seen.insert(k.clone()) {
            let l = left.get(&k).map(|&i| &base[i]);
            let r = right.get(&k).map(|&i| &hardened[i]);
            order.push((k, l, r));
        }
    }
    let (left_side, right_side) = between.sides();
    let mut out = Vec::new();
    for (_, l, r) in order {
        // Most objects come out of both renders the same: known so without writing either out.
        if let (Some(a), Some(b)) = (l, r) {
            if a.root.same_content(&b.root) {
                continue;
            }
        }
        let text = |d: Option<&Doc>| d.map(|d| canonical(d, opts)).unwrap_or_default();
        let (a, b) = (text(l), text(r));
        let change = match (l, r) {
            (Some(_), None) => Change::Removed,
            (None, Some(_)) => Change::Added,
            _ if a == b => continue,
            _ => Change::Changed,
        };
        let doc = r.or(l).expect("one side");
        let (a, b) = if !opts.show_secrets && doc.kind == "Secret" && doc.group().is_empty() {
            redact_pair(l, r, &a, &b)
        } else {
            (a, b)
        };
        let name = format!("{}/{}", doc.kind, doc.name);
        let diff = TextDiff::from_lines(&a, &b)
            .unified_diff()
            .context_radius(opts.context)
            .header(&format!("{left_side}/{name}"), &format!("{right_side}/{name}"))
            .to_string();
        out.push(ResourceDiff {
            change,
            api_version: doc.api_version.to_string(),
            kind: doc.kind.to_string(),
            namespace: doc.namespace.as_ref().map(ToString::to_string),
            name: doc.name.to_string(),
            embedded_in: doc.embedded_in.as_ref().map(ToString::to_string),
            diff,
        });
    }
    out
}

/// A document as canonical YAML: keys sorted, embedded data keys and suppressed annotations
/// left out.
fn canonical(doc: &Doc, opts: &DiffOptions) -> String {
    let mut root = doc.root.clone();
    if doc.kind == "ConfigMap" {
        // Keys whose text was parsed into objects of their own are compared as those objects.
        if let Value::Map(entries) = &mut root.value {
            for e in entries.iter_mut().filter(|e| e.key == "data") {
                if let Value::Map(data) = &mut e.value.value {
                    for item in data.iter_mut() {
                        if is_embedding_key(doc, &item.key, &item.value) {
                            item.value.value =
                                Value::Str("(objects in this key are compared one by one)".into());
                        }
                    }
                }
            }
        }
    }
    if !opts.suppress_annotations.is_empty() {
        strip_annotations(&mut root, &opts.suppress_annotations);
    }
    if !opts.show_secrets && doc.kind != "Secret" {
        // A Secret inside another object (`kind: List` items) is as secret as a top-level one,
        // which `redact_pair` handles.
        mask_nested_secrets(&mut root);
    }
    block(&root, 0, &RESOURCE)
}

/// Replaces the `data`/`stringData` values of every Secret nested in `node` with their size.
fn mask_nested_secrets(node: &mut Node) {
    let is_secret = node.get("kind").and_then(Node::as_str) == Some("Secret");
    match &mut node.value {
        Value::Map(entries) => {
            for e in entries.iter_mut() {
                let field = e.key.clone();
                match &mut e.value.value {
                    Value::Map(items)
                        if is_secret && (field == "data" || field == "stringData") =>
                    {
                        for item in items.iter_mut() {
                            let text = item.value.scalar_text().unwrap_or_default();
                            let bytes =
                                if field == "data" { base64_len(&text) } else { text.len() };
                            item.value.value =
                                Value::Str(format!("REDACTED # ({bytes} bytes)").into());
                        }
                    }
                    _ => mask_nested_secrets(&mut e.value),
                }
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(mask_nested_secrets),
        _ => {}
    }
}

fn is_embedding_key(doc: &Doc, key: &str, value: &Node) -> bool {
    let Some(text) = value.as_str() else { return false };
    key == "envoy.yaml"
        || ((doc.label("gloo") == Some("custom-resources")) && text.contains("kind:"))
        || (text.contains("kind:")
            && text.contains("apiVersion:")
            && crate::parse::yaml::parse_all(text, 1).is_ok())
}

fn strip_annotations(node: &mut Node, patterns: &[Regex]) {
    // metadata.annotations and spec.template.metadata.annotations (pod templates).
    fn strip_at(node: &mut Node, patterns: &[Regex]) {
        if let Value::Map(entries) = &mut node.value {
            for e in entries.iter_mut().filter(|e| e.key == "annotations") {
                if let Value::Map(ann) = &mut e.value.value {
                    let mut kept = std::mem::take(ann).into_vec();
                    kept.retain(|a| !patterns.iter().any(|p| p.is_match(&a.key)));
                    *ann = kept.into_boxed_slice();
                }
            }
        }
    }
    if let Value::Map(entries) = &mut node.value {
        for e in entries.iter_mut() {
            match e.key.as_str() {
                "metadata" => strip_at(&mut e.value, patterns),
                "spec" => {
                    if let Value::Map(spec) = &mut e.value.value {
                        for s in spec.iter_mut().filter(|s| s.key == "template") {
                            if let Value::Map(t) = &mut s.value.value {
                                for m in t.iter_mut().filter(|m| m.key == "metadata") {
                                    strip_at(&mut m.value, patterns);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Secret values replaced as helm-diff does: `REDACTED # (N bytes)` when unchanged,
/// `-------- # (N bytes)` / `++++++++ # (N bytes)` when changed.
fn redact_pair(l: Option<&Doc>, r: Option<&Doc>, _a: &str, _b: &str) -> (String, String) {
    let values = |d: Option<&Doc>| -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        if let Some(d) = d {
            for field in ["data", "stringData"] {
                for e in d.root.get(field).map(Node::entries).unwrap_or_default() {
                    m.insert(
                        format!("{field}.{}", e.key),
                        e.value.scalar_text().unwrap_or_default(),
                    );
                }
            }
        }
        m
    };
    let (lv, rv) = (values(l), values(r));
    let redact = |d: Option<&Doc>,
                  mine: &BTreeMap<String, String>,
                  other: &BTreeMap<String, String>,
                  sign: &str|
     -> String {
        let Some(d) = d else { return String::new() };
        let mut root = d.root.clone();
        if let Value::Map(entries) = &mut root.value {
            for e in entries.iter_mut().filter(|e| e.key == "data" || e.key == "stringData") {
                let field = e.key.clone();
                if let Value::Map(items) = &mut e.value.value {
                    for item in items.iter_mut() {
                        let k = format!("{field}.{}", item.key);
                        let v = mine.get(&k).cloned().unwrap_or_default();
                        let bytes = if field == "data" { base64_len(&v) } else { v.len() };
                        let same = other.get(&k) == Some(&v);
                        let mask = if same { "REDACTED".to_string() } else { sign.repeat(8) };
                        item.value.value = Value::Str(format!("{mask} # ({bytes} bytes)").into());
                    }
                }
            }
        }
        block(&root, 0, &RESOURCE)
    };
    (redact(l, &lv, &rv, "-"), redact(r, &rv, &lv, "+"))
}

fn base64_len(s: &str) -> usize {
    let clean = s.trim().trim_end_matches('=');
    clean.len() * 3 / 4
}

/// How a resource is written for the diff: keys sorted, so that the diff does not depend on the
/// order of the render; multi-line strings as literal blocks, line by line.
const RESOURCE: Style<'static> = Style { sorted: true, literal: true, ..Style::PLAIN };

/// Text output: helm-diff style headers and unified diffs.
pub fn render_text(diffs: &[ResourceDiff], between: Between, color: bool) -> String {
    let mut out = String::new();
    for d in diffs {
        let header = crate::escape::terminal(&d.header());
        if color {
            writeln!(out, "\x1b[33m{header}\x1b[0m").ok();
        } else {
            writeln!(out, "{header}").ok();
        }
        for line in d.diff.lines() {
            let line = crate::escape::terminal(line);
            let painted = match (color, line.chars().next()) {
                (true, Some('+')) if !line.starts_with("+++") => format!("\x1b[32m{line}\x1b[0m"),
                (true, Some('-')) if !line.starts_with("---") => format!("\x1b[31m{line}\x1b[0m"),
                _ => line,
            };
            writeln!(out, "{painted}").ok();
        }
        out.push('\n');
    }
    if diffs.is_empty() {
        writeln!(out, "no differences: {}", between.nothing_changes()).ok();
    }
    out
}

/// Markdown: one collapsible block per resource (PR comments, job summaries). The `<summary>`
/// line is raw HTML (markdown is not processed there), so its text is escaped as HTML.
pub fn render_markdown(diffs: &[ResourceDiff], between: Between) -> String {
    let mut out = String::new();
    for d in diffs {
        // The fence outgrows any backtick run in the diff, so the body cannot close it early.
        // Control and bidi characters from the chart are shown as `�`, as in text output.
        let body: String = d.diff.lines().map(|l| crate::escape::terminal(l) + "\n").collect();
        let fence = crate::escape::code_fence(&body);
        writeln!(
            out,
            "<details><summary>{}</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n",
            crate::escape::html(&d.header())
        )
        .ok();
    }
    if diffs.is_empty() {
        writeln!(out, "No differences: {}.", between.nothing_changes()).ok();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_stream;

    fn diff(a: &str, b: &str) -> Vec<ResourceDiff> {
        diff_renders(&parse_stream(a).unwrap(), &parse_stream(b).unwrap(), &DiffOptions::default())
    }

    #[test]
    fn the_change_diff_names_its_sides_and_what_no_difference_means() {
        let changed = DEP.replace("replicas: 1\n  template", "replicas: 2\n  template");
        let (base, head) = (parse_stream(DEP).unwrap(), parse_stream(&changed).unwrap());
        let change = diff_change(&base, &head, &DiffOptions::default());
        assert!(change[0].diff.starts_with("--- base/Deployment/gw\n+++ head/Deployment/gw\n"));
        let hardened = diff_renders(&base, &head, &DiffOptions::default());
        assert!(hardened[0].diff.contains("+++ hardened/Deployment/gw\n"), "{}", hardened[0].diff);
        let none = diff_change(&base, &base, &DiffOptions::default());
        let said = |between| render_markdown(&none, between);
        assert_eq!(
            said(Between::Change),
            "No differences: the change leaves the render as it was.\n"
        );
        assert_eq!(
            said(Between::Hardened),
            "No differences: the hardened overlay changes nothing.\n"
        );
        assert_eq!(
            render_text(&none, Between::Change, false),
            "no differences: the change leaves the render as it was\n"
        );
    }

    const DEP: &str = "---\n# Source: c/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gw\n  namespace: ns\nspec:\n  replicas: 1\n  template:\n    metadata:\n      annotations:\n        checksum/config: abc\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\n  namespace: ns\nspec:\n  replicas: 1\n";

    #[test]
    fn pairs_documents_of_one_template_and_reports_only_changes() {
        let b = DEP.replacen("replicas: 1", "replicas: 2", 1);
        let d = diff(DEP, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].header(), "ns, gw, Deployment (apps) has changed:");
        assert!(d[0].diff.contains("-  replicas: 1\n+  replicas: 2\n"), "{}", d[0].diff);
    }

    #[test]
    fn key_order_alone_is_not_a_change() {
        let reordered = "---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 1\n  template:\n    metadata:\n      annotations:\n        checksum/config: abc\nmetadata:\n  namespace: ns\n  name: gw\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other, namespace: ns}\nspec: {replicas: 1}\n";
        assert!(diff(DEP, reordered).is_empty());
    }

    #[test]
    fn renamed_resource_is_removed_plus_added() {
        let b = DEP.replace("name: other", "name: renamed");
        let d = diff(DEP, &b);
        let headers: Vec<String> = d.iter().map(ResourceDiff::header).collect();
        assert_eq!(
            headers,
            [
                "ns, other, Deployment (apps) has been removed:",
                "ns, renamed, Deployment (apps) has been added:"
            ]
        );
    }

    #[test]
    fn suppressed_annotations_and_context() {
        let b = DEP.replace("checksum/config: abc", "checksum/config: def");
        assert_eq!(diff(DEP, &b).len(), 1);
        let opts = DiffOptions {
            suppress_annotations: vec![Regex::new("^checksum/").unwrap()],
            ..Default::default()
        };
        assert!(
            diff_renders(&parse_stream(DEP).unwrap(), &parse_stream(&b).unwrap(), &opts).is_empty()
        );
        let b = DEP.replacen("replicas: 1", "replicas: 2", 1);
        let zero = DiffOptions { context: 0, ..Default::default() };
        let d = diff_renders(&parse_stream(DEP).unwrap(), &parse_stream(&b).unwrap(), &zero);
        assert!(!d[0].diff.contains("spec:"), "no context lines: {}", d[0].diff);
        assert!(diff(DEP, &b)[0].diff.contains(" spec:\n"), "3 lines of context by default");
    }

    #[test]
    fn embedded_objects_are_compared_on_their_own() {
        let cm = |port: u32| {
            format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gloo-custom-resource-config\n  namespace: ns\n  labels: {{gloo: custom-resources}}\ndata:\n  custom-resources: |\n    apiVersion: gateway.solo.io/v1\n    kind: Gateway\n    metadata:\n      name: gw\n      namespace: ns\n    spec:\n      bindPort: {port}\n")
        };
        let d = diff(&cm(8080), &cm(8081));
        assert_eq!(d.len(), 1, "only the Gateway, not its ConfigMap: {d:?}");
        assert_eq!(d[0].header(), "ns, gw, Gateway (gateway.solo.io) in ConfigMap/gloo-custom-resource-config[custom-resources] has changed:");
    }

    #[test]
    fn canonical_yaml_is_sorted_block_style() {
        let doc = parse_stream("kind: X\napiVersion: v1\nmetadata: {name: a}\nspec:\n  list:\n  - {b: 1, a: [x, z]}\n  - plain\n  text: \"line1\\nline2\\n\"\n").unwrap();
        let text = canonical(&doc[0], &DiffOptions::default());
        assert_eq!(text, "apiVersion: v1\nkind: X\nmetadata:\n  name: a\nspec:\n  list:\n    - a:\n        - x\n        - z\n      b: 1\n    - plain\n  text: |\n    line1\n    line2\n");
    }

    #[test]
    fn secrets_inside_a_list_are_redacted_too() {
        let list = |v: &str| {
            format!("---\napiVersion: v1\nkind: List\nmetadata: {{name: l}}\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {{name: s, labels: {{x: {v}}}}}\n  data: {{key: c3VwZXJzZWNyZXQ=}}\n  stringData: {{token: plain-token}}\n")
        };
        let wide = DiffOptions { context: 50, ..Default::default() };
        let d = diff_renders(
            &parse_stream(&list("a")).unwrap(),
            &parse_stream(&list("b")).unwrap(),
            &wide,
        );
        assert_eq!(
            d.len(),
            1,
            "the Secret is compared on its own, the List around it is unchanged"
        );
        assert_eq!(d[0].header(), ", s, Secret (v1) has changed:");
        let text = &d[0].diff;
        assert!(!text.contains("c3VwZXJzZWNyZXQ") && !text.contains("plain-token"), "{text}");
        assert!(
            text.contains("key: \"REDACTED # (11 bytes)\"")
                && text.contains("token: \"REDACTED # (11 bytes)\""),
            "{text}"
        );
    }

    #[test]
    fn secrets_are_redacted() {
        let s = |v: &str| {
            format!("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: ns\n  labels: {{x: {v}}}\ndata:\n  key: c3VwZXJzZWNyZXQ=\n  other: {v}\nstringData:\n  token: plain-{v}\n")
        };
        let d = diff(&s("aGVsbG8="), &s("d29ybGQ="));
        let text = &d[0].diff;
        assert!(!text.contains("c3VwZXJzZWNyZXQ") && !text.contains("plain-"), "{text}");
        assert!(text.contains("  key: \"REDACTED # (11 bytes)\""), "{text}");
        assert!(
            text.contains("-  other: \"-------- # (5 bytes)\"")
                && text.contains("+  other: \"++++++++ # (5 bytes)\""),
            "{text}"
        );
    }
}
