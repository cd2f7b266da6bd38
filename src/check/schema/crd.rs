//! The structural schemas of the custom resources a chart installs: the
//! CustomResourceDefinitions of its `crds/` directory (and its subcharts'), or those in a
//! pre-rendered stream. The API server prunes and validates every object of a CRD's kind by
//! that schema (Gloo's Settings, Gateways, MatchableHttpGateways, Upstreams, ...), so a field the
//! schema does not have is dropped without a word, and a value of the wrong type is refused.
//!
//! Only the structural part of an OpenAPI v3 schema is read, as the API server reads it:
//! `type`, `properties`, `items`, `additionalProperties`, `nullable`, `enum`,
//! `minimum`/`maximum` and the `x-kubernetes-*` extensions. `allOf`/`anyOf`/`oneOf`/`not` are
//! left out: in a structural schema they may only restate what the spine says (the API server
//! refuses a CRD whose branches add fields), so they cannot keep a field from pruning.
//!
//! Why not a JSON Schema validator crate: Kubernetes' pruning is not JSON Schema's
//! `additionalProperties` (see [`super::resources`] for the differences), and a CRD is read here
//! for its spine only; a validator would pass exactly the pruned fields this check exists for.
//!
//! A chart's CRDs are megabytes of YAML (1.22's Gateway CRD alone is 600 KB), more than a check
//! takes for everything else, so a CRD file is read only when its kind is needed, once per run,
//! and then only as far as the check goes: its schemas are read from the text node by node as
//! the rendered objects' fields ask for them (`lazy`). [`CrdSet::prefetch`] reads those the
//! chart's templates name while helm renders.

mod lazy;

use crate::parse::yaml::{self, Value};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The largest CRD file read (Gloo's largest is 0.6 MB).
const MAX_CRD_BYTES: u64 = 32 * 1024 * 1024;

/// Nesting kept from a schema; deeper levels accept anything (a CRD schema cannot recurse, and
/// Gloo's are at most ~40 deep).
const MAX_DEPTH: usize = 128;

/// An OpenAPI `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
}

impl JsonType {
    fn parse(name: &str) -> Option<JsonType> {
        Some(match name {
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            "string" => JsonType::String,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "boolean" => JsonType::Boolean,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            JsonType::Object => "an object",
            JsonType::Array => "a list",
            JsonType::String => "a string",
            JsonType::Integer => "an integer",
            JsonType::Number => "a number",
            JsonType::Boolean => "a boolean",
        }
    }
}

/// One node of a structural schema.
#[derive(Debug, Clone, Default)]
pub struct Structural {
    /// None: any type (only with `x-kubernetes-preserve-unknown-fields` or int-or-string in a
    /// valid CRD).
    pub types: Option<JsonType>,
    /// See [`Structural::property`].
    properties: Properties,
    pub items: Option<Box<Structural>>,
    /// `additionalProperties`: a map whose values all follow this schema.
    pub additional: Option<Box<Structural>>,
    /// `x-kubernetes-preserve-unknown-fields`: fields not in `properties` are kept.
    pub preserve_unknown: bool,
    /// `x-kubernetes-int-or-string`.
    pub int_or_string: bool,
    /// `x-kubernetes-embedded-resource`: apiVersion, kind and metadata are implied.
    pub embedded_resource: bool,
    pub enumeration: Vec<Json>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

/// The `properties` of a schema node: built from a parsed tree, or read from a CRD file's text
/// as they are asked for ([`lazy`]).
#[derive(Debug, Clone)]
enum Properties {
    Built(BTreeMap<String, Structural>),
    Lazy(Arc<lazy::LazyProperties>),
}

impl Default for Properties {
    fn default() -> Properties {
        Properties::Built(BTreeMap::new())
    }
}

/// Two schemas are equal when they allow the same: every field, every property's schema (read
/// from the text when it was not yet).
impl PartialEq for Structural {
    fn eq(&self, other: &Structural) -> bool {
        let names: Vec<&str> = self.property_names().collect();
        self.types == other.types
            && self.items == other.items
            && self.additional == other.additional
            && self.preserve_unknown == other.preserve_unknown
            && self.int_or_string == other.int_or_string
            && self.embedded_resource == other.embedded_resource
            && self.enumeration == other.enumeration
            && self.minimum == other.minimum
            && self.maximum == other.maximum
            && names == other.property_names().collect::<Vec<_>>()
            && names.iter().all(|name| self.property(name) == other.property(name))
    }
}

impl Structural {
    /// The schema of the field `key` that `properties` names.
    pub fn property(&self, key: &str) -> Option<&Structural> {
        match &self.properties {
            Properties::Built(map) => map.get(key),
            Properties::Lazy(lazy) => lazy.get(key),
        }
    }

    /// The fields `properties` names, in order.
    pub fn property_names(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match &self.properties {
            Properties::Built(map) => Box::new(map.keys().map(String::as_str)),
            Properties::Lazy(lazy) => {
                let mut names: Vec<&str> = lazy.names().collect();
                names.sort_unstable();
                names.dedup();
                Box::new(names.into_iter())
            }
        }
    }

    /// Whether `properties` names no field.
    pub fn has_no_properties(&self) -> bool {
        match &self.properties {
            Properties::Built(map) => map.is_empty(),
            Properties::Lazy(lazy) => lazy.is_empty(),
        }
    }

    fn from_yaml(node: &yaml::Node, depth: usize) -> Structural {
        if depth > MAX_DEPTH || !node.is_map() {
            return Structural { preserve_unknown: true, ..Structural::default() };
        }
        let flag = |key: &str| node.get(key).and_then(yaml::Node::as_bool).unwrap_or(false);
        let number = |key: &str| match node.get(key).map(|n| &n.value) {
            Some(Value::Int(i)) => Some(*i as f64),
            Some(Value::Float(f)) => Some(*f),
            _ => None,
        };
        let child = |n: &yaml::Node| Box::new(Structural::from_yaml(n, depth + 1));
        let additional = match node.get("additionalProperties").map(|n| &n.value) {
            Some(Value::Map(_)) => node.get("additionalProperties").map(child),
            // `additionalProperties: true`: a map of anything.
            Some(Value::Bool(true)) => {
                Some(Box::new(Structural { preserve_unknown: true, ..Structural::default() }))
            }
            _ => None,
        };
        Structural {
            types: node.get("type").and_then(yaml::Node::as_str).and_then(JsonType::parse),
            properties: Properties::Built(
                node.get("properties")
                    .map(yaml::Node::entries)
                    .unwrap_or_default()
                    .iter()
                    .map(|e| (e.key.to_string(), Structural::from_yaml(&e.value, depth + 1)))
                    .collect(),
            ),
            items: node.get("items").filter(|i| i.is_map()).map(child),
            additional,
            preserve_unknown: flag("x-kubernetes-preserve-unknown-fields"),
            int_or_string: flag("x-kubernetes-int-or-string"),
            embedded_resource: flag("x-kubernetes-embedded-resource"),
            enumeration: node
                .get("enum")
                .map(yaml::Node::items)
                .unwrap_or_default()
                .iter()
                .map(yaml::Node::to_json)
                .collect(),
            minimum: number("minimum"),
            maximum: number("maximum"),
        }
    }
}

/// One CustomResourceDefinition: its group, kind and the schema of each served version.
#[derive(Debug, Clone, PartialEq)]
pub struct Crd {
    pub group: String,
    pub kind: String,
    /// `metadata.name` of the CRD (`gateways.gateway.solo.io`).
    pub name: String,
    versions: Vec<(String, Arc<Structural>)>,
}

impl Crd {
    /// A parsed CustomResourceDefinition document (`apiextensions.k8s.io/v1`, or `v1beta1`
    /// with one schema for all versions); None for any other document.
    pub fn from_doc(root: &yaml::Node) -> Option<Crd> {
        Crd::from_doc_with(root, &|_| None)
    }

    /// [`Crd::from_doc`], with each schema node given to `schema_of` first: the skeleton of a
    /// CRD file read lazily has the number of a schema block where the schema was.
    fn from_doc_with(
        root: &yaml::Node,
        schema_of: &dyn Fn(&yaml::Node) -> Option<Structural>,
    ) -> Option<Crd> {
        let build = |node: &yaml::Node| {
            Arc::new(schema_of(node).unwrap_or_else(|| Structural::from_yaml(node, 0)))
        };
        if root.get("kind").and_then(yaml::Node::as_str) != Some("CustomResourceDefinition") {
            return None;
        }
        let spec = root.get("spec")?;
        fn text<'n>(node: &'n yaml::Node, path: &str) -> Option<&'n str> {
            node.path(path).and_then(yaml::Node::as_str)
        }
        let shared = spec.path("validation.openAPIV3Schema");
        let mut versions = Vec::new();
        for version in spec.get("versions").map(yaml::Node::items).unwrap_or_default() {
            let Some(name) = text(version, "name") else { continue };
            let schema = version.path("schema.openAPIV3Schema").or(shared);
            if let Some(schema) = schema {
                versions.push((name.to_string(), build(schema)));
            }
        }
        if versions.is_empty() {
            // v1beta1 with a single `version:`.
            if let (Some(name), Some(schema)) = (text(spec, "version"), shared) {
                versions.push((name.to_string(), build(schema)));
            }
        }
        Some(Crd {
            group: text(spec, "group")?.to_string(),
            kind: text(spec, "names.kind")?.to_string(),
            name: text(root, "metadata.name").unwrap_or_default().to_string(),
            versions,
        })
    }

    /// The schema objects of `apiVersion` are judged by (None: no schema for that version).
    pub fn schema(&self, version: &str) -> Option<&Structural> {
        self.versions.iter().find(|(v, _)| v == version).map(|(_, s)| &**s)
    }
}

/// The CRDs of one file, parsed on first use.
#[derive(Debug)]
struct CrdFile {
    /// `(group, kind)` of each CRD in the file.
    names: Vec<(String, String)>,
    text: CrdText,
    parsed: OnceLock<Vec<Arc<Crd>>>,
}

/// Where a CRD file's text is when it is parsed.
#[derive(Debug)]
enum CrdText {
    /// A file of a chart directory, read again when its kind is needed: a chart's CRDs are
    /// megabytes of which a render needs a few, so the index keeps none of the text.
    File(PathBuf),
    /// Out of a packaged chart, kept as read.
    Kept(String),
}

impl CrdFile {
    fn crds(&self) -> &[Arc<Crd>] {
        self.parsed.get_or_init(|| match &self.text {
            CrdText::File(path) => read_crd_text(path).map(parse_crds_lazily).unwrap_or_default(),
            CrdText::Kept(text) => parse_crds_lazily(text.clone()),
        })
    }
}

/// The CRDs of a file's text, their schemas read as they are needed ([`lazy`]); parsed whole
/// when the text has no schema block to cut out.
fn parse_crds_lazily(text: String) -> Vec<Arc<Crd>> {
    match lazy::crds(text) {
        Ok(crds) => crds.into_iter().map(Arc::new).collect(),
        Err(text) => parse_crds(&text),
    }
}

fn parse_crds(text: &str) -> Vec<Arc<Crd>> {
    let Ok(docs) = yaml::parse_all(text, 1) else { return Vec::new() };
    docs.iter().filter_map(|d| Crd::from_doc(&d.root)).map(Arc::new).collect()
}

/// The CRDs a chart installs, and the kinds its templates name.
#[derive(Debug, Default)]
pub struct CrdSet {
    files: Vec<CrdFile>,
    /// `kind: X` values in the chart's templates: the kinds it can render.
    template_kinds: BTreeSet<String>,
}

impl CrdSet {
    /// The CRDs of a chart directory or packaged chart, its subcharts' included (helm installs
    /// those too), indexed by group and kind; none is parsed yet.
    pub fn of_chart(chart: &Path) -> CrdSet {
        let mut texts = Vec::new();
        let mut template_kinds = BTreeSet::new();
        if chart.is_dir() {
            collect_dir(chart, &mut texts, &mut template_kinds, 0);
        } else {
            collect_archive(chart, &mut texts, &mut template_kinds);
        }
        let files = texts.into_iter().filter_map(|(path, text)| index(path, text)).collect();
        CrdSet { files, template_kinds }
    }

    /// [`CrdSet::of_chart`], once per chart in a run.
    pub fn cached(chart: &Path) -> Arc<CrdSet> {
        static BUILT: super::BuiltOnce<PathBuf, CrdSet> = super::BuiltOnce::new();
        // A check that needs the set `pipeline::warm_schemas` is building waits for it.
        BUILT.get(chart.to_path_buf(), || CrdSet::of_chart(chart))
    }

    /// The CRDs of a pre-rendered stream's CustomResourceDefinition documents.
    pub fn of_docs(docs: &[crate::parse::Doc]) -> CrdSet {
        let crds: Vec<Arc<Crd>> = docs
            .iter()
            .filter(|d| d.kind == "CustomResourceDefinition")
            .filter_map(|d| Crd::from_doc(&d.root))
            .map(Arc::new)
            .collect();
        if crds.is_empty() {
            return CrdSet::default();
        }
        let names = crds.iter().map(|c| (c.group.clone(), c.kind.clone())).collect();
        let parsed = OnceLock::new();
        let _ = parsed.set(crds);
        let text = CrdText::Kept(String::new());
        CrdSet { files: vec![CrdFile { names, text, parsed }], ..CrdSet::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The CRD of a group and kind, parsed on first use.
    pub fn get(&self, group: &str, kind: &str) -> Option<Arc<Crd>> {
        let file =
            self.files.iter().find(|f| f.names.iter().any(|(g, k)| g == group && k == kind))?;
        file.crds().iter().find(|c| c.group == group && c.kind == kind).cloned()
    }

    /// Whether any CRD here is of `group`.
    pub fn has_group(&self, group: &str) -> bool {
        self.files.iter().any(|f| f.names.iter().any(|(g, _)| g == group))
    }

    /// Parses the CRDs of the kinds the chart's templates name: those a render holds. Run on a
    /// thread of its own while helm renders, it takes their parse off the check's path.
    pub fn prefetch(&self) {
        for file in &self.files {
            if file.names.iter().any(|(_, kind)| self.template_kinds.contains(kind)) {
                file.crds();
            }
        }
    }
}

/// `(group, kind)` of each CRD in a file, read from the part before the schemas (a YAML prefix
/// is a valid document of its first keys: `group` and `names` come before `versions` in
/// every generated CRD); the whole file when that does not tell.
fn index(path: Option<PathBuf>, text: String) -> Option<CrdFile> {
    let quick = head_before_schemas(&text).and_then(|head| {
        let docs = yaml::parse_all(head, 1).ok()?;
        let [doc] = docs.as_slice() else { return None };
        let spec = doc.root.get("spec")?;
        let group = spec.get("group")?.as_str()?;
        let kind = spec.path("names.kind")?.as_str()?;
        (doc.root.get("kind")?.as_str()? == "CustomResourceDefinition")
            .then(|| vec![(group.to_string(), kind.to_string())])
    });
    if let Some(names) = quick {
        let text = match path {
            Some(path) => CrdText::File(path),
            None => CrdText::Kept(text),
        };
        return Some(CrdFile { names, text, parsed: OnceLock::new() });
    }
    let crds = parse_crds_lazily(text);
    if crds.is_empty() {
        return None;
    }
    let names = crds.iter().map(|c| (c.group.clone(), c.kind.clone())).collect();
    let parsed = OnceLock::new();
    let _ = parsed.set(crds);
    Some(CrdFile { names, text: CrdText::Kept(String::new()), parsed })
}

fn read_crd_text(path: &Path) -> Option<String> {
    crate::parse::input::read_text_lenient(path, MAX_CRD_BYTES)
}

/// The text before a single-document CRD's `versions:`/`validation:` key; None when the file
/// holds more than one document (its other CRDs would be missed) or has no such line.
fn head_before_schemas(text: &str) -> Option<&str> {
    let body = text.strip_prefix("---").unwrap_or(text);
    if memchr::memmem::find(body.as_bytes(), b"\n---").is_some() {
        return None;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let key = line.trim_start();
        if key.starts_with("versions:") || key.starts_with("validation:") {
            return Some(&text[..offset]);
        }
        offset += line.len();
    }
    None
}

/// Every `kind: X` in template texts, added to `kinds`.
fn add_kinds<'t>(texts: impl IntoIterator<Item = &'t String>, kinds: &mut BTreeSet<String>) {
    for text in texts {
        for at in memchr::memmem::find_iter(text.as_bytes(), b"kind:") {
            let rest = text[at + 5..].trim_start_matches([' ', '\t']);
            let len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
            if len > 0 {
                kinds.insert(rest[..len].to_string());
            }
        }
    }
}

/// Whether helm reads a file of `crds/` as a manifest.
fn is_manifest(name: &str) -> bool {
    [".yaml", ".yml", ".json"].iter().any(|ext| name.ends_with(ext))
}

/// A CRD file's text as read, and its path when it can be read again.
type CrdSource = (Option<PathBuf>, String);

/// CRD texts and template kinds of a chart directory and its subcharts (directories or
/// packages).
fn collect_dir(
    chart: &Path,
    crds: &mut Vec<CrdSource>,
    kinds: &mut BTreeSet<String>,
    depth: usize,
) {
    use super::chart_files::{files_under, template_texts};
    if depth > 4 {
        return;
    }
    for path in
        files_under(&chart.join("crds")).iter().filter(|p| is_manifest(&p.to_string_lossy()))
    {
        if let Some(text) = read_crd_text(path) {
            crds.push((Some(path.clone()), text));
        }
    }
    add_kinds(template_texts(&chart.join("templates")).iter(), kinds);
    let Ok(entries) = std::fs::read_dir(chart.join("charts")) else { return };
    let mut subcharts: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    subcharts.sort();
    for sub in subcharts {
        if sub.is_dir() {
            collect_dir(&sub, crds, kinds, depth + 1);
        } else if sub.extension().is_some_and(|e| e == "tgz") {
            collect_archive(&sub, crds, kinds);
        }
    }
}

/// CRD texts and template kinds of a packaged chart: its own and its subcharts'
/// (`x/crds/...`, `x/charts/y/crds/...`).
fn collect_archive(path: &Path, crds: &mut Vec<CrdSource>, kinds: &mut BTreeSet<String>) {
    let in_dir = |name: &str, dir: &str| name.split('/').rev().skip(1).any(|part| part == dir);
    let wanted =
        |name: &str| (in_dir(name, "crds") && is_manifest(name)) || in_dir(name, "templates");
    for (name, text) in super::chart_files::archive_texts(path, MAX_CRD_BYTES, wanted) {
        if in_dir(&name, "crds") {
            crds.push((None, text));
        } else {
            add_kinds([&text], kinds);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small CRD with one of each kind of schema node, for the tests here and of
    /// [`super::super::resources`].
    pub(crate) const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        properties:
          spec:
            properties:
              size: {type: integer, minimum: 1}
              mode: {type: string, enum: [fast, safe]}
              useRemoteAddress: {type: boolean}
              labels:
                additionalProperties: {type: string}
                type: object
              free:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              port:
                x-kubernetes-int-or-string: true
              items:
                items:
                  properties:
                    name: {type: string}
                  type: object
                type: array
            type: object
        type: object
";

    #[test]
    fn a_crd_is_read_for_its_structural_spine_whole_or_as_needed() {
        for crds in [parse_crds(CRD), parse_crds_lazily(CRD.to_string())] {
            let [crd] = crds.as_slice() else { panic!("one CRD: {crds:?}") };
            assert_eq!((crd.group.as_str(), crd.kind.as_str()), ("example.com", "Widget"));
            let spec = crd.schema("v1").unwrap().property("spec").unwrap();
            let field = |name: &str| spec.property(name).unwrap();
            assert_eq!(field("size").types, Some(JsonType::Integer));
            assert_eq!(field("size").minimum, Some(1.0));
            assert_eq!(field("mode").enumeration, [Json::from("fast"), Json::from("safe")]);
            assert_eq!(
                field("labels").additional.as_deref().unwrap().types,
                Some(JsonType::String)
            );
            assert!(field("free").preserve_unknown);
            assert!(field("port").int_or_string);
            assert!(crd.schema("v2").is_none());
        }
        assert!(matches!(
            parse_crds_lazily(CRD.to_string())[0].schema("v1").unwrap().properties,
            Properties::Lazy(_)
        ));
    }

    /// The lazy reading gives the schema the full parse gives, on every CRD of the real charts
    /// (equality reads every property), and on shapes it leaves to the YAML parser.
    #[test]
    fn lazy_schemas_equal_the_full_parse_on_the_real_charts() {
        let Some(charts) = crate::test_files::shared_or_skip(
            "charts",
            "lazy_schemas_equal_the_full_parse_on_the_real_charts",
        ) else {
            return;
        };
        let mut texts: Vec<(String, String)> = Vec::new();
        for version in ["1.13.39", "1.17.38", "1.22.1"] {
            let Ok(entries) = std::fs::read_dir(charts.join(format!("gloo-{version}/crds"))) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                if is_manifest(&path.to_string_lossy()) {
                    texts.push((
                        path.display().to_string(),
                        std::fs::read_to_string(&path).unwrap(),
                    ));
                }
            }
        }
        let odd = [
            // A quoted key, an anchor and alias, a flow map, a null and a sequence where
            // schemas belong, a block scalar, comments, and `- ` at a key's indentation.
            CRD.replace("mode:", "'mode':"),
            CRD.replace("              free:\n", "              free: &f\n")
                .replace("              port:\n", "              copy: *f\n              port:\n"),
            CRD.replace(
                "              port:\n",
                "              nothing:\n              tuple:\n                items:\n                - type: string\n              port:\n",
            ),
            CRD.replace(
                "      openAPIV3Schema:\n",
                "      openAPIV3Schema:\n        # the schema\n        description: |\n          type: not-a-key\n",
            ),
            CRD.replace(
                "              mode: {type: string, enum: [fast, safe]}\n",
                "              mode:\n                type: string\n                enum:\n                - fast\n                - safe\n",
            ),
            format!("{CRD}---\n{}", CRD.replace("Widget", "Gadget")),
            // A schema written as a number: not a schema block's place in the skeleton.
            format!("{CRD}---\n{}", CRD.replace("      openAPIV3Schema:\n", "      openAPIV3Schema: 14\n      x:\n")),
        ];
        texts.extend(odd.into_iter().enumerate().map(|(i, t)| (format!("odd {i}"), t)));
        assert!(texts.len() > 40, "the real charts' CRDs were not found ({} texts)", texts.len());
        for (name, text) in &texts {
            let whole = parse_crds(text);
            let lazy = parse_crds_lazily(text.clone());
            assert!(!whole.is_empty() || name.ends_with("ratelimit_config.yaml"), "{name}");
            assert_eq!(whole, lazy, "{name}");
        }
        for (name, text) in &texts[texts.len() - 7..] {
            assert_ne!(text, CRD, "{name} is a change of the fixture");
        }
    }

    #[test]
    fn a_file_is_indexed_from_its_head_and_parsed_on_first_use() {
        let file = index(None, CRD.to_string()).unwrap();
        assert_eq!(file.names, [("example.com".to_string(), "Widget".to_string())]);
        assert!(file.parsed.get().is_none(), "indexing must not parse the schemas");
        assert_eq!(file.crds().len(), 1);
        let two = format!("{CRD}---\n{}", CRD.replace("Widget", "Gadget"));
        let file = index(None, two).unwrap();
        assert_eq!(file.names.len(), 2, "a file of two CRDs is parsed whole: {:?}", file.names);
        assert!(index(None, "apiVersion: v1\nkind: ConfigMap\n".into()).is_none());
    }

    #[test]
    fn a_chart_directory_keeps_no_crd_text_and_reads_a_file_again_when_its_kind_is_needed() {
        let tmp = tempfile::tempdir().unwrap();
        let chart = tmp.path();
        std::fs::create_dir_all(chart.join("crds")).unwrap();
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(chart.join("crds/widget.yaml"), CRD).unwrap();
        std::fs::write(chart.join("templates/w.yaml"), "kind: Widget\n").unwrap();
        let set = CrdSet::of_chart(chart);
        assert!(matches!(&set.files[..], [CrdFile { text: CrdText::File(_), .. }]));
        let crd = set.get("example.com", "Widget").expect("read and parsed on first use");
        assert!(crd.schema("v1").is_some());
    }

    #[test]
    fn prefetch_parses_the_kinds_the_templates_name() {
        let set = CrdSet {
            files: vec![
                index(None, CRD.to_string()).unwrap(),
                index(None, CRD.replace("Widget", "Gadget")).unwrap(),
            ],
            template_kinds: {
                let mut kinds = BTreeSet::new();
                add_kinds(&["kind: Widget\nkind:   Service\n".to_string()], &mut kinds);
                kinds
            },
        };
        set.prefetch();
        assert!(set.files[0].parsed.get().is_some());
        assert!(set.files[1].parsed.get().is_none());
        assert!(set.get("example.com", "Gadget").is_some());
        assert!(set.get("example.org", "Gadget").is_none());
    }
}
