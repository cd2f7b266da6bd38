//! The files of a chart the values schema is built from: `Chart.yaml` (name, version,
//! dependencies), `values.yaml` and `values.schema.json`, from a chart directory or a packaged
//! chart (`.tgz`, as `helm dependency build` leaves dependencies in `charts/`).

use super::tree::{Node, Types};
use crate::parse::yaml::{self, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The largest chart file read here (a chart's values.yaml is kilobytes).
const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// What the schema needs of one chart.
#[derive(Debug, Clone, Default)]
pub struct ChartDir {
    pub name: String,
    pub version: String,
    pub dependencies: Vec<Dependency>,
    pub values_yaml: Option<String>,
    pub values_schema_json: Option<String>,
    /// The `.Values.a.b.c` chains its templates read (legacy keys the reference leaves out).
    pub template_reads: Vec<Vec<String>>,
    /// Where it was read from, to find its `charts/`: a directory, or a packaged chart.
    source: Source,
}

#[derive(Debug, Clone, Default)]
enum Source {
    #[default]
    None,
    Dir(PathBuf),
    /// A packaged chart: its subcharts are read from the same archive.
    Archive {
        path: PathBuf,
        root: String,
    },
}

/// A `dependencies:` entry of Chart.yaml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependency {
    pub name: String,
    pub alias: Option<String>,
    pub version: String,
    pub condition: Option<String>,
    pub tags: Option<Vec<String>>,
}

impl Dependency {
    /// The key the dependency's values sit under in the parent's values.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

impl ChartDir {
    /// A chart directory or a packaged chart; None when it is neither (or unreadable: the
    /// render reports that).
    pub fn read(path: &Path) -> Option<ChartDir> {
        if path.is_dir() {
            let read = |name: &str| {
                crate::parse::input::read_text_lenient(&path.join(name), MAX_FILE_BYTES)
            };
            let mut chart = ChartDir::from_chart_yaml(&read("Chart.yaml")?)?;
            chart.values_yaml = read("values.yaml");
            chart.values_schema_json = read("values.schema.json");
            let texts = template_texts(&path.join("templates"));
            chart.template_reads = values_reads(texts.iter().map(String::as_str));
            chart.source = Source::Dir(path.to_path_buf());
            return Some(chart);
        }
        let files = archive_files(path, None)?;
        ChartDir::from_archive(path, &files, None)
    }

    fn from_chart_yaml(text: &str) -> Option<ChartDir> {
        let parsed = yaml::parse_one(text, 1).ok()?;
        let root = parsed.root;
        let text_of =
            |node: &yaml::Node, key: &str| node.get(key).and_then(yaml::Node::scalar_text);
        let dependencies = root
            .get("dependencies")
            .map(yaml::Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|d| {
                Some(Dependency {
                    name: text_of(d, "name")?,
                    alias: text_of(d, "alias").filter(|a| !a.is_empty()),
                    version: text_of(d, "version").unwrap_or_default(),
                    condition: text_of(d, "condition").filter(|c| !c.is_empty()),
                    tags: d
                        .get("tags")
                        .map(|t| t.items().iter().filter_map(yaml::Node::scalar_text).collect()),
                })
            })
            .collect();
        Some(ChartDir {
            name: text_of(&root, "name")?,
            version: text_of(&root, "version").unwrap_or_default(),
            dependencies,
            ..ChartDir::default()
        })
    }

    /// The chart at `root/` (the archive's top directory, or a subchart's) among an archive's
    /// files.
    fn from_archive(
        path: &Path,
        files: &[(String, String)],
        root: Option<&str>,
    ) -> Option<ChartDir> {
        let root = match root {
            Some(root) => root.to_string(),
            // The top directory is the one holding Chart.yaml at depth one.
            None => files.iter().find_map(|(name, _)| {
                let (dir, rest) = name.split_once('/')?;
                (rest == "Chart.yaml").then(|| dir.to_string())
            })?,
        };
        let file = |name: &str| {
            let wanted = format!("{root}/{name}");
            files.iter().find(|(n, _)| *n == wanted).map(|(_, text)| text.clone())
        };
        let mut chart = ChartDir::from_chart_yaml(&file("Chart.yaml")?)?;
        chart.values_yaml = file("values.yaml");
        chart.values_schema_json = file("values.schema.json");
        let templates = format!("{root}/templates/");
        chart.template_reads = values_reads(
            files.iter().filter(|(n, _)| n.starts_with(&templates)).map(|(_, t)| t.as_str()),
        );
        chart.source = Source::Archive { path: path.to_path_buf(), root };
        Some(chart)
    }

    /// The chart of a dependency, from `charts/`: a directory of that chart's name (or any
    /// directory whose Chart.yaml names it), or a packaged chart that holds it.
    pub fn dependency_chart(&self, dep: &Dependency) -> Option<ChartDir> {
        match &self.source {
            Source::None => None,
            Source::Dir(dir) => {
                let charts = dir.join("charts");
                let named = ChartDir::read(&charts.join(&dep.name)).filter(|c| c.name == dep.name);
                named.or_else(|| {
                    let mut entries: Vec<PathBuf> = std::fs::read_dir(&charts)
                        .ok()?
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .collect();
                    entries.sort();
                    entries.iter().filter_map(|p| ChartDir::read(p)).find(|c| c.name == dep.name)
                })
            }
            Source::Archive { path, root } => {
                let files = archive_files(path, Some(&format!("{root}/charts/")))?;
                let mut roots: Vec<String> = files
                    .iter()
                    .filter_map(|(name, _)| {
                        let sub = name.strip_prefix(&format!("{root}/charts/"))?;
                        let (dir, rest) = sub.split_once('/')?;
                        (rest == "Chart.yaml").then(|| format!("{root}/charts/{dir}"))
                    })
                    .collect();
                roots.sort();
                roots
                    .iter()
                    .filter_map(|r| ChartDir::from_archive(path, &files, Some(r)))
                    .find(|c| c.name == dep.name)
            }
        }
    }

    /// What the chart's own files say it reads: the keys of its values.yaml, and its
    /// values.schema.json.
    pub fn own_schema(&self) -> Node {
        let mut node = Node::default();
        if let Some(parsed) = self.values_yaml.as_deref().and_then(|t| yaml::parse_one(t, 1).ok()) {
            node.merge(&from_values(&parsed.root));
        }
        if let Some(json) = self
            .values_schema_json
            .as_deref()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        {
            node.merge(&from_json_schema(&json, 0));
        }
        node
    }
}

/// The text files of a packaged chart (`.tgz`) whose path starts with `under` (all when None).
/// None when the file is not a gzip'd tar.
fn archive_files(path: &Path, under: Option<&str>) -> Option<Vec<(String, String)>> {
    let wanted = |name: &str| {
        let in_templates = name.split('/').nth(1) == Some("templates")
            || name.split('/').rev().nth(1) == Some("templates");
        let wanted = name.ends_with("Chart.yaml")
            || in_templates
            || name.ends_with("values.yaml")
            || name.ends_with("values.schema.json");
        wanted && under.is_none_or(|u| name.starts_with(u))
    };
    archive_texts_or_none(path, MAX_FILE_BYTES, wanted)
}

/// The `(name, text)` of the files of a packaged chart that `wanted` names, each at most `max`
/// bytes; empty when it is not a readable package.
pub fn archive_texts(
    path: &Path,
    max: u64,
    wanted: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    archive_texts_or_none(path, max, wanted).unwrap_or_default()
}

fn archive_texts_or_none(
    path: &Path,
    max: u64,
    wanted: impl Fn(&str) -> bool,
) -> Option<Vec<(String, String)>> {
    let file = std::fs::File::open(path).ok()?;
    if file.metadata().ok()?.len() > 16 * MAX_FILE_BYTES {
        return None;
    }
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut files = Vec::new();
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        let name = entry.path().ok()?.to_string_lossy().into_owned();
        // A subchart packaged inside a package is rare; its keys are then not known.
        if !wanted(&name) || entry.size() > max {
            continue;
        }
        let mut text = String::new();
        if entry.read_to_string(&mut text).is_ok() {
            files.push((name, text));
        }
    }
    Some(files)
}

/// Every file under `dir`, sorted, at most 8 directories deep.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                if depth < 8 {
                    walk(&path, out, depth + 1);
                }
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out, 0);
    out
}

/// The text of every template file under `dir` (a chart's templates are kilobytes each), read
/// once per run: the values schema scans them for `.Values` keys, the CRD set for kinds.
pub fn template_texts(dir: &Path) -> Arc<Vec<String>> {
    static READ: super::BuiltOnce<PathBuf, Vec<String>> = super::BuiltOnce::new();
    READ.get(dir.to_path_buf(), || {
        files_under(dir)
            .iter()
            .filter_map(|p| crate::parse::input::read_text_lenient(p, MAX_FILE_BYTES))
            .collect()
    })
}

/// The `.Values.a.b.c` chains in template texts, each once. A scan for `.Values.` (memchr's
/// memmem) followed by the keys' characters: it runs over a chart's hundred templates on every
/// check, at a fifth of what a regex search took there.
fn values_reads<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<Vec<String>> {
    const MARK: &str = ".Values.";
    let key_or_dot = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.';
    let mut reads: Vec<Vec<String>> = Vec::new();
    for text in texts {
        for at in memchr::memmem::find_iter(text.as_bytes(), MARK) {
            let start = at + MARK.len();
            let len = text.as_bytes()[start..].iter().take_while(|b| key_or_dot(b)).count();
            // A key starts with a letter or `_` (`.Values.x.9y` reads `x`).
            let chain: Vec<String> = text[start..start + len]
                .split('.')
                .take_while(|key| key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
                .map(str::to_string)
                .collect();
            if !chain.is_empty() {
                reads.push(chain);
            }
        }
    }
    reads.sort_unstable();
    reads.dedup();
    reads
}

/// The keys of a values.yaml as a schema: a mapping's keys, a scalar's type. A `null`, `{}` or
/// `[]` default says nothing of what goes there (normalized to "anything" unless the reference
/// knows more).
pub fn from_values(value: &yaml::Node) -> Node {
    match &value.value {
        Value::Map(entries) => {
            let mut node = Node::default();
            for entry in entries {
                node.fields
                    .entry(entry.key.to_string())
                    .or_default()
                    .merge(&from_values(&entry.value));
            }
            node
        }
        Value::Seq(_) => Node { item: Some(Box::default()), ..Node::default() },
        Value::Null => Node::default(),
        Value::Bool(_) => Node { types: Types::BOOL, ..Node::default() },
        Value::Int(_) => Node { types: Types::INT, ..Node::default() },
        Value::Float(_) => Node { types: Types::FLOAT, ..Node::default() },
        Value::Str(_) => Node { types: Types::STRING, ..Node::default() },
    }
}

/// A values.schema.json (JSON Schema, as helm reads it) as a schema: `properties` are known
/// keys, `additionalProperties` any key, `items` list elements, `type` the scalar types.
/// `allOf`/`anyOf`/`oneOf` branches are merged (what any branch allows is allowed); a `$ref` or
/// a schema that says nothing allows anything.
pub fn from_json_schema(schema: &serde_json::Value, depth: usize) -> Node {
    let Some(object) = schema.as_object().filter(|_| depth < 64) else {
        return Node::any();
    };
    if object.contains_key("$ref") {
        return Node::any();
    }
    let mut node = Node::default();
    let types: Vec<&str> = match object.get("type") {
        Some(serde_json::Value::String(t)) => vec![t.as_str()],
        Some(serde_json::Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => Vec::new(),
    };
    for t in &types {
        node.types = node.types.with(match *t {
            "boolean" => Types::BOOL,
            "integer" => Types::INT,
            "number" => Types::INT.with(Types::FLOAT),
            "string" => Types::STRING,
            _ => Types::NONE,
        });
    }
    if let Some(props) = object.get("properties").and_then(|p| p.as_object()) {
        for (key, sub) in props {
            node.fields.insert(key.clone(), from_json_schema(sub, depth + 1));
        }
    }
    match object.get("additionalProperties") {
        Some(serde_json::Value::Bool(false)) => {}
        Some(sub @ serde_json::Value::Object(_)) => {
            node.any_key = Some(Box::new(from_json_schema(sub, depth + 1)));
        }
        // Absent or `true`: keys outside `properties` are allowed; when nothing is listed
        // that means any mapping.
        _ if types.contains(&"object") && node.fields.is_empty() => {
            node.any_key = Some(Box::new(Node::any()));
        }
        _ => {}
    }
    if let Some(items) = object.get("items") {
        node.item = Some(Box::new(from_json_schema(items, depth + 1)));
    } else if types.contains(&"array") {
        node.item = Some(Box::new(Node::any()));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for branch in object.get(key).and_then(|b| b.as_array()).into_iter().flatten() {
            node.merge(&from_json_schema(branch, depth + 1));
        }
    }
    if node.types.is_empty() && !node.is_mapping() && node.item.is_none() {
        return Node::any();
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_reads_are_the_values_chains() {
        let templates = [
            "{{ if .Values.settings.replaceInvalidRoutes }}{{ $.Values.gloo.deployment.replicas }}",
            "{{ .Values.a_b.c1 }} {{ .Values.x.9y }} {{ .Values. }} {{ .Values.settings.replaceInvalidRoutes}}",
        ];
        assert_eq!(
            values_reads(templates.into_iter()),
            [
                vec!["a_b", "c1"],
                vec!["gloo", "deployment", "replicas"],
                vec!["settings", "replaceInvalidRoutes"],
                vec!["x"],
            ]
        );
    }

    #[test]
    fn a_packaged_dependency_is_read_from_its_archive() {
        let umbrella = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/charts/umbrella");
        let chart = ChartDir::read(&umbrella).unwrap();
        assert_eq!(chart.name, "platform");
        let dep = &chart.dependencies[0];
        assert_eq!(dep.name, "gloo");
        let gloo = chart.dependency_chart(dep).unwrap();
        assert_eq!((gloo.name.as_str(), gloo.version.as_str()), ("gloo", "1.17.0-mini"));
        assert!(gloo.own_schema().fields.contains_key("gatewayProxies"));
    }

    #[test]
    fn json_schema_properties_types_and_free_maps() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "replicas": {"type": "integer"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "extra": {"type": "object"},
                "ports": {"type": "array", "items": {"type": "object", "properties": {"port": {"type": ["integer", "string"]}}}}
            },
            "additionalProperties": false
        });
        let node = from_json_schema(&schema, 0);
        assert_eq!(node.fields["replicas"].types, Types::INT);
        assert_eq!(node.fields["labels"].any_key.as_ref().unwrap().types, Types::STRING);
        assert!(node.fields["extra"].any_key.as_ref().unwrap().accepts_anything());
        let port = &node.fields["ports"].item.as_ref().unwrap().fields["port"];
        assert_eq!(port.types, Types::INT.with(Types::STRING));
        assert!(node.any_key.is_none());
    }
}
