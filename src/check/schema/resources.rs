//! Rendered custom resources against their CRDs (VALUES-005, VALUES-006): a field the API
//! server would prune and a value it would refuse, at the values line the block came from
//! (`customHttpGateway`, `gatewaySettings.options`, `settings.extensions`, a
//! `kubeResourceOverride`, ...) when one did, else at the render.
//!
//! The schema is applied as the API server applies a CRD's structural schema, which is not how
//! a JSON Schema validator reads the same text:
//! - an object field that `properties` does not name is **pruned**: dropped when the object is
//!   stored, without an error (JSON Schema allows it unless `additionalProperties: false`, which
//!   a structural schema may not say). Depending on the client's field validation the API
//!   server may also warn about it, or refuse the object;
//! - `x-kubernetes-preserve-unknown-fields: true` keeps unknown fields, unvalidated;
//! - `additionalProperties` with a schema is a map: any key, each value by that schema;
//! - `null` in a field that is not `nullable` is pruned too, not refused;
//! - `x-kubernetes-int-or-string` takes an integer or a string whatever `type` says;
//! - `apiVersion`, `kind` and `metadata` are kept at the root and under
//!   `x-kubernetes-embedded-resource` without being in `properties`;
//! - `allOf`/`anyOf`/`oneOf`/`not` never keep a field from pruning (they are not read here);
//! - a value of the wrong type, outside `enum` or `minimum`/`maximum` makes the API server
//!   refuse the whole object. `pattern`, `format` and lengths are not checked here.

use super::crd::{CrdSet, JsonType, Structural};
use super::tree;
use super::values_check::{IssueFix, IssueKind, ValuesIssue};
use super::ChartSchema;
use crate::parse::values::ValuesFile;
use crate::parse::yaml::{self, Value};
use crate::parse::Doc;
use serde_json::Value as Json;

/// One field of a rendered resource that its CRD prunes or refuses.
#[derive(Debug, Clone)]
pub struct ResourceIssue<'d> {
    /// [`IssueKind::Pruned`] or [`IssueKind::Rejected`].
    pub kind: IssueKind,
    pub doc: &'d Doc,
    /// Path of the field in the resource (`spec.httpGateway.options.x`), list items as `[i]`.
    pub path: Vec<String>,
    /// Line of the field in the render.
    pub line: usize,
    /// What is wrong, of the field alone (`... is not a field of ...`).
    pub problem: String,
    /// The field's value as rendered.
    pub value: Json,
    /// For a pruned field: the field of the same object closest in spelling.
    pub meant: Option<String>,
    /// For a refused value: the value meant (`"8080"` as 8080), when it is plain.
    pub meant_value: Option<Json>,
}

/// Every field of every custom resource in `docs` that the CRD of its kind prunes or refuses.
/// Resources whose group has no CRD here are not judged; a group with CRDs but not for this
/// kind or version is.
pub fn check_resources<'d>(docs: &'d [Doc], crds: &CrdSet) -> Vec<ResourceIssue<'d>> {
    let mut issues = Vec::new();
    for doc in docs {
        let Some((group, version)) = doc.api_version.rsplit_once('/') else { continue };
        let Some(crd) = crds.get(group, &doc.kind) else { continue };
        let Some(schema) = crd.schema(version) else { continue };
        let described = format!("the {} CRD ({})", doc.kind, crd.name);
        let mut walk = Walk { doc, crd: &described, issues: &mut issues };
        walk.object_fields(&doc.root, schema, &mut Vec::new(), true);
    }
    issues
}

struct Walk<'a, 'd> {
    doc: &'d Doc,
    crd: &'a str,
    issues: &'a mut Vec<ResourceIssue<'d>>,
}

impl Walk<'_, '_> {
    fn node(
        &mut self,
        node: &yaml::Node,
        schema: &Structural,
        path: &mut Vec<String>,
        line: usize,
    ) {
        // Pruned when not nullable, allowed when it is: never refused.
        if node.is_null() {
            return;
        }
        if let Some(expected) = type_mismatch(node, schema) {
            let meant_value = meant_value(node, schema);
            let problem = format!("must be {expected} by {}, not {}", self.crd, found(node));
            return self.push(IssueKind::Rejected, node, path, line, problem, None, meant_value);
        }
        match &node.value {
            Value::Map(_) => self.object_fields(node, schema, path, false),
            Value::Seq(items) => {
                let Some(item) = schema.items.as_deref() else { return };
                for (i, child) in items.iter().enumerate() {
                    path.push(format!("[{i}]"));
                    self.node(child, item, path, child.line());
                    path.pop();
                }
            }
            _ => self.scalar(node, schema, path, line),
        }
    }

    fn object_fields(
        &mut self,
        node: &yaml::Node,
        schema: &Structural,
        path: &mut Vec<String>,
        root: bool,
    ) {
        for entry in node.entries() {
            let key = entry.key.as_str();
            if (root || schema.embedded_resource)
                && ["apiVersion", "kind", "metadata"].contains(&key)
            {
                continue;
            }
            path.push(key.to_string());
            match schema.property(key).or(schema.additional.as_deref()) {
                Some(child) => self.node(&entry.value, child, path, entry.line()),
                None if schema.preserve_unknown || entry.value.is_null() => {}
                None => {
                    let meant = nearest_field(key, schema);
                    let problem = format!(
                        "is not a field of {}: the API server prunes it, so it does nothing{}",
                        self.crd,
                        fields_nearby(key, schema)
                    );
                    self.push(
                        IssueKind::Pruned,
                        &entry.value,
                        path,
                        entry.line(),
                        problem,
                        meant,
                        None,
                    );
                }
            }
            path.pop();
        }
    }

    fn scalar(&mut self, node: &yaml::Node, schema: &Structural, path: &[String], line: usize) {
        let json = node.to_json();
        if !schema.enumeration.is_empty() && !schema.enumeration.contains(&json) {
            let allowed: Vec<String> = schema.enumeration.iter().map(Json::to_string).collect();
            let problem = format!(
                "is {json}, not one of the values {} allows: {}",
                self.crd,
                allowed.join(", ")
            );
            return self.push(IssueKind::Rejected, node, path, line, problem, None, None);
        }
        let number = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            _ => return,
        };
        let out_of_range = match (schema.minimum, schema.maximum) {
            (Some(min), _) if number < min => Some(format!("at least {min}")),
            (_, Some(max)) if number > max => Some(format!("at most {max}")),
            _ => None,
        };
        if let Some(bound) = out_of_range {
            let problem = format!("is {json}; {} requires {bound}", self.crd);
            self.push(IssueKind::Rejected, node, path, line, problem, None, None);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: IssueKind,
        node: &yaml::Node,
        path: &[String],
        line: usize,
        problem: String,
        meant: Option<String>,
        meant_value: Option<Json>,
    ) {
        self.issues.push(ResourceIssue {
            kind,
            doc: self.doc,
            path: path.to_vec(),
            line,
            problem,
            value: node.to_json(),
            meant,
            meant_value,
        });
    }
}

/// The type the schema wants when `node` is not of it.
fn type_mismatch(node: &yaml::Node, schema: &Structural) -> Option<&'static str> {
    if schema.int_or_string {
        return match node.value {
            Value::Int(_) | Value::Str(_) => None,
            Value::Float(f) if f.fract() == 0.0 => None,
            _ => Some("an integer or a string"),
        };
    }
    let expected = schema.types?;
    let fits = match (&node.value, expected) {
        (Value::Map(_), JsonType::Object)
        | (Value::Seq(_), JsonType::Array)
        | (Value::Str(_), JsonType::String)
        | (Value::Bool(_), JsonType::Boolean)
        | (Value::Int(_), JsonType::Integer | JsonType::Number)
        | (Value::Float(_), JsonType::Number) => true,
        // `1e3` is an integer to the API server's JSON decoding.
        (Value::Float(f), JsonType::Integer) => f.fract() == 0.0,
        _ => false,
    };
    (!fits).then(|| expected.name())
}

fn found(node: &yaml::Node) -> String {
    match &node.value {
        Value::Map(_) => "an object".into(),
        Value::Seq(_) => "a list".into(),
        Value::Str(s) => format!("the string \"{s}\""),
        _ => node.to_json().to_string(),
    }
}

/// `"8080"` where an integer goes, `"true"` where a boolean goes: the value meant.
fn meant_value(node: &yaml::Node, schema: &Structural) -> Option<Json> {
    let Value::Str(text) = &node.value else { return None };
    match schema.types? {
        JsonType::Integer => text.trim().parse::<i64>().ok().map(Json::from),
        JsonType::Number => text.trim().parse::<f64>().ok().map(Json::from),
        JsonType::Boolean => match text.trim() {
            "true" => Some(Json::Bool(true)),
            "false" => Some(Json::Bool(false)),
            _ => None,
        },
        _ => None,
    }
}

fn nearest_field(key: &str, schema: &Structural) -> Option<String> {
    super::values_check::nearest_name(key, schema.property_names()).map(str::to_string)
}

/// `; fields there: a, b, c` with the names closest to `key` first (at most eight).
fn fields_nearby(key: &str, schema: &Structural) -> String {
    if schema.has_no_properties() {
        return String::new();
    }
    let lower = key.to_ascii_lowercase();
    let mut names: Vec<(usize, &str)> = schema
        .property_names()
        .map(|k| (strsim::damerau_levenshtein(&lower, &k.to_ascii_lowercase()), k))
        .collect();
    names.sort_unstable();
    let shown: Vec<String> = names.iter().take(8).map(|(_, k)| format!("`{k}`")).collect();
    let more = match names.len().saturating_sub(8) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    format!("; fields there, closest first: {}{more}", shown.join(", "))
}

/// A key of the user's values below a block the chart passes through as it is: where a field
/// of a rendered resource can come from.
#[derive(Debug)]
pub struct Spot<'v> {
    file: &'v ValuesFile,
    path: Vec<String>,
    line: usize,
    value: &'v yaml::Node,
}

/// Every key of the values files below a pass-through block of the schema (`interface` or
/// map-typed keys, which the values check does not judge), or every key without a schema.
pub fn spots<'v>(files: &'v [ValuesFile], schema: Option<&ChartSchema>) -> Vec<Spot<'v>> {
    fn walk<'v>(
        file: &'v ValuesFile,
        node: &'v yaml::Node,
        schema: Option<&tree::Node>,
        passed: bool,
        path: &mut Vec<String>,
        out: &mut Vec<Spot<'v>>,
    ) {
        match &node.value {
            Value::Map(entries) => {
                for entry in entries {
                    let child = schema.and_then(|s| s.child(&entry.key));
                    if !passed && schema.is_some() && child.is_none() {
                        // A key the chart does not read (VALUES-001): nothing renders it.
                        continue;
                    }
                    let passed = passed
                        || schema.is_none()
                        || child.is_some_and(tree::Node::accepts_anything);
                    path.push(entry.key.to_string());
                    if passed {
                        out.push(Spot {
                            file,
                            path: path.clone(),
                            line: entry.line(),
                            value: &entry.value,
                        });
                    }
                    walk(file, &entry.value, child, passed, path, out);
                    path.pop();
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(format!("[{i}]"));
                    let child = schema.and_then(|s| s.item.as_deref());
                    if passed {
                        out.push(Spot { file, path: path.clone(), line: item.line(), value: item });
                    }
                    walk(file, item, child, passed, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for file in files {
        walk(file, &file.root, schema.map(|s| &s.root), false, &mut Vec::new(), &mut out);
    }
    out
}

/// The values key a resource's field most likely came from: the same key, under as many of the
/// same parents as can be matched from the end (`customHttpGateway.options.x` for
/// `spec.httpGateway.options.x`), at least its parent or else with the same value; then the key
/// of the resource's proxy (`gatewayProxy` for `gateway-proxy-ssl`), and its TLS side.
fn locate<'s, 'v>(issue: &ResourceIssue<'_>, spots: &'s [Spot<'v>]) -> Option<&'s Spot<'v>> {
    let name = issue.doc.name.as_str();
    let tls = name.ends_with("-ssl");
    spots
        .iter()
        .filter_map(|spot| {
            let shared = spot
                .path
                .iter()
                .rev()
                .zip(issue.path.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            let same_value = spot.value.to_json() == issue.value;
            if shared == 0 || (shared < 2 && !same_value) {
                return None;
            }
            let proxy = spot.path.iter().any(|segment| {
                let kebab = crate::check::kebab_case(segment);
                name == kebab || name.strip_prefix(&kebab).is_some_and(|rest| rest.starts_with('-'))
            });
            let side = spot.path.iter().any(|s| {
                let lower = s.to_ascii_lowercase();
                lower.contains("https") || lower.contains("ssl")
            }) == tls;
            Some(((shared, same_value, proxy, side), spot))
        })
        .max_by_key(|(score, _)| *score)
        .map(|(_, spot)| spot)
}

/// A resource issue at the values key it came from (among `spots`, the user's keys below
/// pass-through blocks, found once per check), as a values issue; None when no key of the
/// user's values is where it came from (the finding is then at the render).
pub fn at_values_line(issue: &ResourceIssue<'_>, spots: &[Spot<'_>]) -> Option<ValuesIssue> {
    let spot = locate(issue, spots)?;
    let values_path = spot.path.join(".").replace(".[", "[");
    let fix = match issue.kind {
        IssueKind::Pruned => issue.meant.as_ref().map(|meant| {
            let mut path = spot.path.clone();
            path.last_mut().expect("a key").clone_from(meant);
            IssueFix::Rename { path: path.join("."), value: spot.value.to_json() }
        }),
        _ => issue.meant_value.clone().map(IssueFix::Value),
    };
    Some(ValuesIssue {
        kind: issue.kind,
        file: spot.file.path.display().to_string(),
        from_set: false,
        line: spot.line,
        path: values_path,
        message: format!(
            "renders into {} {} as `{}`, which {}",
            issue.doc.kind,
            issue.doc.name,
            dotted(&issue.path),
            issue.problem
        ),
        fix,
    })
}

/// `spec.a[0].b`
pub fn dotted(path: &[String]) -> String {
    path.join(".").replace(".[", "[")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::schema::crd::tests::CRD;
    use crate::parse::parse_stream;

    fn issues_of(widget: &str) -> Vec<(IssueKind, String, String)> {
        let docs = parse_stream(&format!("{CRD}---\n{widget}")).unwrap();
        let crds = CrdSet::of_docs(&docs);
        check_resources(&docs, &crds)
            .into_iter()
            .map(|i| (i.kind, dotted(&i.path), i.problem))
            .collect()
    }

    const HEAD: &str =
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  whatever: 1\n";

    #[test]
    fn what_the_schema_has_passes() {
        let widget = format!("{HEAD}spec:\n  size: 3\n  mode: safe\n  useRemoteAddress: true\n  labels: {{a: b}}\n  free: {{anything: [1, 2]}}\n  port: http\n  items: [{{name: x}}]\n  nothing: null\n");
        assert_eq!(issues_of(&widget), []);
    }

    #[test]
    fn an_unknown_field_is_pruned_with_the_fields_nearby() {
        let issues =
            issues_of(&format!("{HEAD}spec:\n  useRemoteAdress: true\n  items: [{{nam: x}}]\n"));
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(
            (issues[0].0, issues[0].1.as_str()),
            (IssueKind::Pruned, "spec.useRemoteAdress")
        );
        assert!(issues[0].2.contains("the API server prunes it"), "{}", issues[0].2);
        assert!(issues[0].2.contains("closest first: `useRemoteAddress`"), "{}", issues[0].2);
        assert_eq!(issues[1].1, "spec.items[0].nam");
    }

    #[test]
    fn wrong_types_enums_and_bounds_are_refused() {
        let widget = format!("{HEAD}spec:\n  size: \"3\"\n  mode: quick\n  useRemoteAddress: \"true\"\n  labels: {{a: 1}}\n  port: 1.5\n  items: {{name: x}}\n");
        let issues = issues_of(&widget);
        let got: Vec<(&str, IssueKind)> = issues.iter().map(|i| (i.1.as_str(), i.0)).collect();
        assert_eq!(
            got,
            [
                ("spec.size", IssueKind::Rejected),
                ("spec.mode", IssueKind::Rejected),
                ("spec.useRemoteAddress", IssueKind::Rejected),
                ("spec.labels.a", IssueKind::Rejected),
                ("spec.port", IssueKind::Rejected),
                ("spec.items", IssueKind::Rejected),
            ]
        );
        assert!(issues[0].2.starts_with("must be an integer"), "{}", issues[0].2);
        assert!(issues[1].2.contains("\"fast\", \"safe\""), "{}", issues[1].2);
        let low = issues_of(&format!("{HEAD}spec:\n  size: 0\n"));
        assert!(low[0].2.contains("requires at least 1"), "{low:?}");
    }

    #[test]
    fn a_field_is_placed_at_the_pass_through_key_it_came_from() {
        let values = ValuesFile::parse(
            std::path::Path::new("values.yaml"),
            "proxies:\n  widget:\n    custom:\n      spec:\n        useRemoteAdress: true\n".into(),
        )
        .unwrap();
        let docs =
            parse_stream(&format!("{CRD}---\n{HEAD}spec:\n  useRemoteAdress: true\n")).unwrap();
        let crds = CrdSet::of_docs(&docs);
        let issues = check_resources(&docs, &crds);
        let files = std::slice::from_ref(&values);
        let at = at_values_line(&issues[0], &spots(files, None)).unwrap();
        assert_eq!((at.line, at.path.as_str()), (5, "proxies.widget.custom.spec.useRemoteAdress"));
        assert_eq!(
            at.fix,
            Some(IssueFix::Rename {
                path: "proxies.widget.custom.spec.useRemoteAddress".into(),
                value: Json::Bool(true)
            })
        );
        assert!(
            at.message.starts_with(
                "renders into Widget w as `spec.useRemoteAdress`, which is not a field"
            ),
            "{}",
            at.message
        );
        // A key of another name, or with only the leaf in common and another value, is not it.
        let other = ValuesFile::parse(
            std::path::Path::new("values.yaml"),
            "custom:\n  useRemoteAdress: false\n".into(),
        )
        .unwrap();
        let others = [other];
        assert!(at_values_line(&issues[0], &spots(&others, None)).is_none());
    }
}
