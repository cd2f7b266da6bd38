//! Parse step: a rendered manifest stream into documents.
//!
//! The stream is split on `---` lines at column 0 (YAML embedded in ConfigMaps is indented, so it
//! never splits the stream), each document keeps the `# Source:` template it came from (helm
//! prints the comment only before the first document of a template, so later ones inherit it),
//! and the YAML that Gloo embeds as text in ConfigMaps (Gateways in
//! `gloo-custom-resource-config`, the Envoy bootstrap in `<proxy>-envoy-config`) becomes documents
//! of their own that know their parent ConfigMap and key. Each document is parsed once.

pub mod chart;
pub mod input;
pub mod model;
pub mod values;
pub mod version;
pub mod yaml;

use compact_str::CompactString;
use std::fmt;
use std::sync::Arc;
use yaml::{DuplicateKey, Node, Style};

/// Synthetic kind for an Envoy bootstrap found in a ConfigMap (it has no apiVersion/kind).
pub const ENVOY_BOOTSTRAP: &str = "EnvoyBootstrap";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EmbeddedIn {
    /// Name of the parent ConfigMap.
    pub config_map: String,
    /// Data key holding the YAML text.
    pub key: String,
}

impl fmt::Display for EmbeddedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConfigMap/{}[{}]", self.config_map, self.key)
    }
}

#[derive(Debug, Clone)]
pub struct Doc {
    // Compact (inline up to 24 bytes) and shared strings: a large render has 100,000s of documents.
    pub api_version: CompactString,
    pub kind: CompactString,
    pub name: CompactString,
    pub namespace: Option<CompactString>,
    /// Template path from the last `# Source:` comment, e.g. `gloo/templates/18-settings.yaml`;
    /// one allocation shared by the documents of a template.
    pub template: Option<Arc<str>>,
    pub embedded_in: Option<Box<EmbeddedIn>>,
    /// 1-based line of the document's first line in the render.
    pub line: usize,
    pub root: Node,
    pub duplicates: Vec<DuplicateKey>,
}

impl Doc {
    /// API group: the part of apiVersion before `/` (empty for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    pub fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.root.path("metadata.labels")?.get(key)?.as_str()
    }

    /// `Kind/name` (suppressions match against this).
    pub fn kind_name(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl From<yaml::YamlError> for ParseError {
    fn from(e: yaml::YamlError) -> Self {
        ParseError { line: e.line, col: e.col, message: e.message }
    }
}

/// A piece of the stream between two `---` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDoc<'a> {
    pub text: &'a str,
    /// 1-based line of `text`'s first line.
    pub line: usize,
    pub template: Option<&'a str>,
}

/// Splits a rendered stream into documents, attributing each to its `# Source:` template.
pub fn split_stream(stream: &str) -> Vec<RawDoc<'_>> {
    let mut docs = Vec::new();
    let mut template: Option<&str> = None;
    let mut start = 0usize;
    let mut start_line = 1usize;
    let bytes = stream.as_bytes();
    // Lines are counted between separators, not one by one: this runs over the whole render
    // before anything can run in parallel.
    let (mut counted_to, mut line_no) = (0usize, 1usize);
    for pos in memchr::memmem::find_iter(bytes, b"---") {
        if pos > 0 && bytes[pos - 1] != b'\n' {
            continue;
        }
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let line = &stream[pos..end];
        let Some(rest) = separator_rest(line.strip_suffix('\r').unwrap_or(line)) else { continue };
        line_no += bytes[counted_to..pos].iter().filter(|&&b| b == b'\n').count();
        counted_to = pos;
        push_raw(&mut docs, &stream[start..pos], start_line, &mut template);
        if rest.trim().is_empty() || rest.trim_start().starts_with('#') {
            start = (end + 1).min(stream.len());
            start_line = line_no + 1;
        } else {
            // `---apiVersion: v1`: helm splits on `---` anywhere at a line start, so the
            // document begins right after the dashes, on this line.
            start = pos + 3;
            start_line = line_no;
        }
    }
    if start < stream.len() {
        push_raw(&mut docs, &stream[start..], start_line, &mut template);
    }
    docs
}

/// The text after a column-0 `---`, for a line that starts a new document. `---` followed by
/// text (`---apiVersion: v1`) counts too, as in helm's own splitting; `----` does not.
fn separator_rest(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("---")?;
    if rest.starts_with('-') {
        return None;
    }
    Some(rest)
}

fn push_raw<'a>(
    docs: &mut Vec<RawDoc<'a>>,
    text: &'a str,
    line: usize,
    template: &mut Option<&'a str>,
) {
    for l in text.lines() {
        let l = l.trim_end_matches('\r');
        if let Some(src) = l.strip_prefix("# Source: ") {
            *template = Some(src.trim());
            break;
        }
        if !l.trim().is_empty() && !l.starts_with('#') {
            break;
        }
    }
    if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
        return;
    }
    docs.push(RawDoc { text, line, template: *template });
}

/// Parses a whole rendered stream: top-level documents, then the objects embedded in them.
pub fn parse_stream(stream: &str) -> Result<Vec<Doc>, ParseError> {
    parse_stream_keeping(stream, Keep::Everything)
}

/// How much of each parsed document to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Whole documents (the diff compares them).
    Everything,
    /// What the rules read: the bodies of [`KINDS_NO_RULE_READS`] and the ConfigMap texts already
    /// parsed into embedded documents are dropped as soon as each document is parsed. On a large
    /// render this is most of the memory (Gloo's RBAC and Jobs are over half of its render).
    WhatRulesRead,
}

/// Kinds of which no rule reads more than `apiVersion`, `kind` and `metadata.name`/`namespace`
/// (fields of [`Doc`]): when checking, their tree is dropped.
/// A rule that starts reading one of them must take it out of this list;
/// `pruning_what_no_rule_reads_changes_no_outcome` (tests/catalog_defaults.rs) compares every
/// rule's outcomes with and without pruning on the real charts.
pub const KINDS_NO_RULE_READS: &[&str] =
    &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Job"];

/// [`parse_stream`], keeping only what `keep` says.
pub fn parse_stream_keeping(stream: &str, keep: Keep) -> Result<Vec<Doc>, ParseError> {
    let raws = split_stream(stream);
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    // Documents are independent once split: large renders are parsed on every core, in
    // contiguous runs of similar size so the result keeps render order.
    if threads < 2 || stream.len() < PARALLEL_THRESHOLD {
        return parse_raws(&raws, keep);
    }
    let per_thread = stream.len() / threads + 1;
    let mut chunks: Vec<&[RawDoc<'_>]> = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (i, raw) in raws.iter().enumerate() {
        size += raw.text.len();
        if size >= per_thread {
            chunks.push(&raws[start..=i]);
            (start, size) = (i + 1, 0);
        }
    }
    chunks.push(&raws[start..]);
    let results: Vec<Result<Vec<Doc>, ParseError>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            chunks.iter().map(|chunk| scope.spawn(move || parse_raws(chunk, keep))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    // Into the first run's vector: one reallocation, not a second copy of every document.
    let mut runs = results.into_iter();
    let mut docs = runs.next().unwrap_or_else(|| Ok(Vec::new()))?;
    for run in runs {
        docs.append(&mut run?);
    }
    Ok(docs)
}

/// The value of a top-level `kind:` line, if the document has one (a peek before parsing).
fn kind_line(text: &str) -> Option<&str> {
    let at = if text.starts_with("kind:") {
        0
    } else {
        memchr::memmem::find(text.as_bytes(), b"\nkind:")? + 1
    };
    let rest = &text[at + "kind:".len()..];
    let value = &rest[..rest.find('\n').unwrap_or(rest.len())];
    Some(value.trim())
}

/// Below this size a render is parsed on one thread (spawning costs more than it saves).
const PARALLEL_THRESHOLD: usize = 4 * 1024 * 1024;

fn parse_raws(raws: &[RawDoc<'_>], keep: Keep) -> Result<Vec<Doc>, ParseError> {
    let mut docs = Vec::with_capacity(raws.len());
    let mut template: Option<Arc<str>> = None;
    for raw in raws {
        if template.as_deref() != raw.template {
            template = raw.template.map(Arc::from);
        }
        // Documents of a kind no rule reads need only their outline (and duplicate keys).
        let outline = keep == Keep::WhatRulesRead
            && kind_line(raw.text).is_some_and(|k| KINDS_NO_RULE_READS.contains(&k));
        let mut parsed = if outline {
            yaml::parse_one_outline(raw.text, raw.line)?
        } else {
            yaml::parse_one(raw.text, raw.line)?
        };
        if outline
            && !parsed
                .root
                .path("kind")
                .and_then(Node::as_str)
                .is_some_and(|k| KINDS_NO_RULE_READS.contains(&k))
        {
            // The `kind:` line misled (a duplicate key, a quoted or tagged kind): read it whole.
            parsed = yaml::parse_one(raw.text, raw.line)?;
        }
        if parsed.root.is_null() {
            continue;
        }
        if !parsed.root.is_map() {
            return Err(ParseError {
                line: parsed.root.line().max(raw.line),
                col: 1,
                message: "document is not a mapping (not a Kubernetes object)".into(),
            });
        }
        let mut doc = make_doc(parsed.root, parsed.duplicates, raw.line, template.clone(), None);
        // helm applies the items of a `List` (`v1/List`, `DeploymentList`, ...) as objects of
        // their own, as kubectl does: they are checked and compared one by one, each at its line.
        let items = if doc.kind.ends_with("List") { take_items(&mut doc) } else { Vec::new() };
        for object in std::iter::once(doc).chain(items.into_iter().map(|item| {
            let line = item.line();
            make_doc(item, Vec::new(), line, template.clone(), None)
        })) {
            push_with_embedded(&mut docs, object, keep)?;
        }
    }
    Ok(docs)
}

/// The mappings of a list object's `items`, taken out of it.
fn take_items(list: &mut Doc) -> Vec<Node> {
    let yaml::Value::Map(entries) = &mut list.root.value else { return Vec::new() };
    let Some(items) = entries.iter_mut().find(|e| e.key == "items") else { return Vec::new() };
    if !matches!(&items.value.value, yaml::Value::Seq(seq) if seq.iter().all(Node::is_map)) {
        return Vec::new();
    }
    match std::mem::replace(&mut items.value.value, yaml::Value::Seq(Box::default())) {
        yaml::Value::Seq(seq) => seq.into_vec(),
        _ => Vec::new(),
    }
}

/// Adds a document and the objects embedded in it (a ConfigMap's YAML text), pruned to what
/// `keep` says.
fn push_with_embedded(docs: &mut Vec<Doc>, mut doc: Doc, keep: Keep) -> Result<(), ParseError> {
    let embedded = if doc.kind == "ConfigMap" { embedded_docs(&doc)? } else { Vec::new() };
    if keep == Keep::WhatRulesRead {
        prune(&mut doc, &embedded);
    }
    docs.push(doc);
    docs.extend(embedded);
    Ok(())
}

fn make_doc(
    root: Node,
    duplicates: Vec<DuplicateKey>,
    line: usize,
    template: Option<Arc<str>>,
    embedded_in: Option<Box<EmbeddedIn>>,
) -> Doc {
    let text = |path: &str| root.path(path).and_then(Node::scalar_text).map(CompactString::from);
    Doc {
        api_version: text("apiVersion").unwrap_or_default(),
        kind: text("kind").unwrap_or_default(),
        name: text("metadata.name").unwrap_or_default(),
        namespace: text("metadata.namespace"),
        template,
        embedded_in,
        line,
        duplicates,
        root,
    }
}

/// Drops what no rule reads from a parsed document (see [`Keep::WhatRulesRead`]).
fn prune(doc: &mut Doc, embedded: &[Doc]) {
    if KINDS_NO_RULE_READS.contains(&doc.kind.as_str()) {
        // Kind, name and namespace are already fields of the document.
        doc.root.value = yaml::Value::Map(Box::default());
        return;
    }
    let yaml::Value::Map(entries) = &mut doc.root.value else { return };
    let parsed_keys: Vec<&str> =
        embedded.iter().filter_map(|d| d.embedded_in.as_ref()).map(|e| e.key.as_str()).collect();
    if let Some(yaml::Value::Map(data)) =
        entries.iter_mut().find(|e| e.key == "data").map(|e| &mut e.value.value)
    {
        for entry in data.iter_mut().filter(|e| parsed_keys.contains(&e.key.as_str())) {
            entry.value.value = yaml::Value::Null;
        }
    }
}

/// Objects embedded as YAML text in a ConfigMap's `data`.
fn embedded_docs(config_map: &Doc) -> Result<Vec<Doc>, ParseError> {
    let mut out = Vec::new();
    let Some(data) = config_map.root.get("data") else { return Ok(out) };
    let gloo_resources = config_map.label("gloo") == Some("custom-resources");
    for entry in data.entries() {
        let Some(text) = entry.value.as_str() else { continue };
        // A literal block's content starts on the line after `|` and keeps its line breaks, so
        // its lines map 1:1 to the render; other styles only have the value's own line.
        let first_line = match entry.value.style {
            Style::Block => entry.value.line() + 1,
            _ => entry.value.line(),
        };
        let embedded_in = || {
            Some(Box::new(EmbeddedIn {
                config_map: config_map.name.to_string(),
                key: entry.key.to_string(),
            }))
        };
        if entry.key == "envoy.yaml" {
            let parsed = yaml::parse_one(text, first_line)
                .map_err(|e| embedded_error(config_map, &entry.key, e))?;
            if !parsed.root.is_map() {
                continue;
            }
            let mut doc = make_doc(
                parsed.root,
                parsed.duplicates,
                first_line,
                config_map.template.clone(),
                embedded_in(),
            );
            doc.kind = ENVOY_BOOTSTRAP.into();
            doc.api_version = CompactString::default();
            doc.name.clone_from(&config_map.name);
            doc.namespace.clone_from(&config_map.namespace);
            out.push(doc);
        } else if text.contains("kind:") && text.contains("apiVersion:") {
            let parsed = match yaml::parse_all(text, first_line) {
                Ok(p) => p,
                Err(e) if gloo_resources => return Err(embedded_error(config_map, &entry.key, e)),
                // Someone else's ConfigMap that merely mentions `kind:`: not ours to judge.
                Err(_) => continue,
            };
            for p in parsed {
                if !p.root.is_map() || p.root.get("kind").is_none() {
                    continue;
                }
                let line = p.root.line();
                let mut doc = make_doc(
                    p.root,
                    p.duplicates,
                    line,
                    config_map.template.clone(),
                    embedded_in(),
                );
                if doc.namespace.is_none() {
                    doc.namespace.clone_from(&config_map.namespace);
                }
                out.push(doc);
            }
        }
    }
    Ok(out)
}

fn embedded_error(config_map: &Doc, key: &str, e: yaml::YamlError) -> ParseError {
    ParseError {
        line: e.line,
        col: e.col,
        message: format!("in ConfigMap/{} key {key}: {}", config_map.name, e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "---\n# Source: gloo/templates/a.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: one\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: two\n---\n# Source: gloo/templates/5-resource-configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gloo-custom-resource-config\n  namespace: gloo-system\n  labels:\n    gloo: custom-resources\ndata:\n  custom-resources: |\n    \n    ---\n    \n    apiVersion: gateway.solo.io/v1\n    kind: Gateway\n    metadata:\n      name: gateway-proxy\n    spec:\n      bindPort: 8080\n";

    const RBAC_WITH_DUPLICATES: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: gloo-system\nrules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [get]\n  verbs: [list]\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n";

    #[test]
    fn kinds_no_rule_reads_keep_their_identity_and_duplicate_keys() {
        let whole = parse_stream(RBAC_WITH_DUPLICATES).unwrap();
        let pruned = parse_stream_keeping(RBAC_WITH_DUPLICATES, Keep::WhatRulesRead).unwrap();
        assert_eq!(pruned.len(), 2);
        let (w, p) = (&whole[0], &pruned[0]);
        assert_eq!(
            (p.api_version.as_str(), p.kind.as_str(), p.name.as_str(), p.namespace.as_deref()),
            ("rbac.authorization.k8s.io/v1", "ClusterRole", "reader", Some("gloo-system"))
        );
        assert_eq!(p.duplicates, w.duplicates);
        assert_eq!(p.duplicates[0].path, "rules.0.verbs");
        assert_eq!((p.duplicates[0].first_line, p.duplicates[0].line), (9, 10));
        assert!(p.root.entries().is_empty(), "the body of a kind no rule reads is dropped");
        assert_eq!(pruned[1].root, whole[1].root, "other kinds are kept whole");
    }

    #[test]
    fn a_misleading_kind_line_does_not_drop_a_body_rules_read() {
        // The first `kind:` says ClusterRole, the last one (which wins) says ServiceAccount.
        let text = "apiVersion: v1\nkind: ClusterRole\nkind: ServiceAccount\nmetadata:\n  name: sa\n  labels:\n    app: gloo\n";
        let pruned = parse_stream_keeping(text, Keep::WhatRulesRead).unwrap();
        assert_eq!(pruned[0].kind, "ServiceAccount");
        assert_eq!(pruned[0].label("app"), Some("gloo"));
        assert_eq!(pruned[0].duplicates.len(), 1);
    }

    #[test]
    fn the_items_of_a_list_are_objects_of_their_own() {
        let text = "# Source: app/templates/pdbs.yaml\napiVersion: v1\nkind: List\nitems:\n- apiVersion: policy/v1\n  kind: PodDisruptionBudget\n  metadata:\n    name: gateway-proxy-pdb\n    namespace: gloo-system\n  spec:\n    maxUnavailable: 1\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: gloo-custom-resource-config\n  data:\n    custom-resources: |\n      apiVersion: gateway.solo.io/v1\n      kind: Gateway\n      metadata:\n        name: gw\n";
        for keep in [Keep::Everything, Keep::WhatRulesRead] {
            let docs = parse_stream_keeping(text, keep).unwrap();
            let kinds: Vec<&str> = docs.iter().map(|d| d.kind.as_str()).collect();
            assert_eq!(
                kinds,
                ["List", "PodDisruptionBudget", "ConfigMap", "Gateway"],
                "the ConfigMap's Gateway too"
            );
            assert_eq!(
                (docs[1].name.as_str(), docs[1].line, docs[1].template.as_deref()),
                ("gateway-proxy-pdb", 5, Some("app/templates/pdbs.yaml"))
            );
            assert_eq!(docs[1].root.path("spec.maxUnavailable").and_then(Node::as_i64), Some(1));
            assert!(
                docs[0].root.get("items").is_some_and(|i| i.items().is_empty()),
                "the list keeps no second copy"
            );
        }
    }

    #[test]
    fn later_documents_inherit_the_source_template() {
        let docs = parse_stream(STREAM).unwrap();
        assert_eq!(docs[0].template.as_deref(), Some("gloo/templates/a.yaml"));
        assert_eq!(docs[1].name, "two");
        assert_eq!(docs[1].template.as_deref(), Some("gloo/templates/a.yaml"));
        assert_eq!(docs[1].line, 8);
    }

    #[test]
    fn embedded_gateways_know_their_parent_and_real_line() {
        let docs = parse_stream(STREAM).unwrap();
        let gw = docs.iter().find(|d| d.kind == "Gateway").unwrap();
        assert_eq!(
            gw.embedded_in.as_deref(),
            Some(&EmbeddedIn {
                config_map: "gloo-custom-resource-config".into(),
                key: "custom-resources".into()
            })
        );
        assert_eq!(gw.namespace.as_deref(), Some("gloo-system"));
        assert_eq!(gw.template.as_deref(), Some("gloo/templates/5-resource-configmap.yaml"));
        // `kind: Gateway` is on line 27 of the stream.
        assert_eq!(gw.root.entry("kind").unwrap().line(), 27);
        assert_eq!(gw.line, 26);
    }

    #[test]
    fn envoy_bootstrap_is_its_own_object() {
        let s = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gateway-proxy-envoy-config\ndata:\n  envoy.yaml: |\n    admin:\n      address: {socket_address: {address: 127.0.0.1, port_value: 19000}}\n";
        let docs = parse_stream(s).unwrap();
        assert_eq!(docs[1].kind, ENVOY_BOOTSTRAP);
        assert_eq!(docs[1].root.entry("admin").unwrap().line(), 7);
    }

    #[test]
    fn text_right_after_the_dashes_starts_a_document() {
        let docs = parse_stream("---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: b\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].api_version, "policy/v1");
        assert_eq!(docs[1].line, 5);
        assert_eq!(docs[1].root.entry("kind").unwrap().line(), 6);
    }

    #[test]
    fn large_renders_parse_in_parallel_in_render_order() {
        let mut stream = String::new();
        let mut n = 0;
        while stream.len() < PARALLEL_THRESHOLD * 3 {
            stream.push_str(&format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{n}\ndata:\n  k: \"{}\"\n", "x".repeat(200)));
            n += 1;
        }
        let docs = parse_stream(&stream).unwrap();
        assert_eq!(docs.len(), n);
        assert!(docs
            .iter()
            .enumerate()
            .all(|(i, d)| d.name == format!("cm{i}") && d.line == 2 + 7 * i));
        // The first error in stream order is the one reported, whichever thread found it.
        let broken = stream.replacen("name: cm5\n", "name: [cm5\n", 1).replacen(
            &format!("name: cm{}\n", n - 5),
            "name: {oops\n",
            1,
        );
        assert_eq!(parse_stream(&broken).unwrap_err().line, 2 + 7 * 5 + 4);
    }

    #[test]
    fn separator_needs_column_zero() {
        let raws = split_stream("a: 1\n  ---\nb: 2\n---\nc: 3\n");
        assert_eq!(raws.len(), 2);
        assert_eq!(raws[1].line, 5);
    }

    #[test]
    fn non_mapping_document_is_an_error_with_its_line() {
        let err = parse_stream("---\na: 1\n---\n- x\n- y\n").unwrap_err();
        assert_eq!(err.line, 4);
    }

    #[test]
    fn broken_gloo_embedded_yaml_is_an_error() {
        let s = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gloo-custom-resource-config\n  labels: {gloo: custom-resources}\ndata:\n  custom-resources: |\n    apiVersion: v1\n    kind: [oops\n";
        let err = parse_stream(s).unwrap_err();
        assert!(err.message.contains("gloo-custom-resource-config"), "{err}");
    }
}
