//! The one block-YAML writer: the render diff's resources (a parsed [`Node`]), the overlay and
//! the values-file suggestions (a fix's JSON value) are all written by [`block`]. Scalars and
//! one-line values are written by [`yaml_scalar`] / [`yaml_flow`], here too.

use super::{Node, Value};
use std::fmt::Write;

/// How a tree is written.
pub struct Style<'a> {
    /// Spaces a nested mapping or sequence is indented by.
    pub step: usize,
    /// Mapping keys in order (a diff that does not depend on the order of the render), else as
    /// they come.
    pub sorted: bool,
    /// Multi-line strings as literal blocks (`|`), else quoted on one line.
    pub literal: bool,
    /// A comment for the line of a leaf (or of a list's key), by dotted path below the top
    /// (with its leading spaces and `#`; empty for none). Not asked inside sequences.
    pub note: &'a dyn Fn(&str) -> String,
    /// Comment lines written above a mapping key, by its dotted path below the top (the text
    /// after `# `). Not asked inside sequences.
    pub above: &'a dyn Fn(&str) -> Vec<String>,
}

impl Style<'_> {
    /// Two spaces a level, keys as they come, strings on one line, no comments.
    pub const PLAIN: Style<'static> =
        Style { step: 2, sorted: false, literal: false, note: &no_note, above: &no_lines };
}

fn no_lines(_: &str) -> Vec<String> {
    Vec::new()
}

fn no_note(_: &str) -> String {
    String::new()
}

/// What [`block`] needs of a tree: a mapping's entries, a sequence's items, a scalar's text.
pub enum Shape<'a, T> {
    Map(Vec<(&'a str, &'a T)>),
    Seq(Vec<&'a T>),
    /// A string, which may be written as a literal block.
    Text(&'a str),
    /// Anything else as flow YAML: numbers, booleans, null, `{}`, `[]`.
    Flow(String),
}

pub trait Tree: Sized {
    fn shape(&self) -> Shape<'_, Self>;
}

impl Tree for Node {
    fn shape(&self) -> Shape<'_, Self> {
        match &self.value {
            Value::Map(entries) if !entries.is_empty() => {
                Shape::Map(entries.iter().map(|e| (e.key.as_str(), &e.value)).collect())
            }
            Value::Seq(items) if !items.is_empty() => Shape::Seq(items.iter().collect()),
            Value::Str(s) => Shape::Text(s),
            Value::Null => Shape::Flow("null".into()),
            Value::Bool(b) => Shape::Flow(b.to_string()),
            Value::Int(i) => Shape::Flow(i.to_string()),
            Value::Float(f) => Shape::Flow(f.to_string()),
            Value::Map(_) => Shape::Flow("{}".into()),
            Value::Seq(_) => Shape::Flow("[]".into()),
        }
    }
}

impl Tree for serde_json::Value {
    fn shape(&self) -> Shape<'_, Self> {
        match self {
            serde_json::Value::Object(map) if !map.is_empty() => {
                Shape::Map(map.iter().map(|(k, v)| (k.as_str(), v)).collect())
            }
            serde_json::Value::Array(items) if !items.is_empty() => {
                Shape::Seq(items.iter().collect())
            }
            serde_json::Value::String(s) => Shape::Text(s),
            other => Shape::Flow(yaml_flow(other)),
        }
    }
}

/// `node` as block YAML at `indent`, each line ending in a newline. A mapping in a sequence
/// starts on the dash's line (`- key: value`); a scalar or an empty collection stands on its
/// key's line; a scalar at the top is one line of its own.
pub fn block<T: Tree>(node: &T, indent: usize, style: &Style<'_>) -> String {
    let mut out = String::new();
    write_node(&mut out, node, indent, style, Some(""));
    out
}

/// `path`: where the node is below the top, for notes; None inside a sequence.
fn write_node<T: Tree>(
    out: &mut String,
    node: &T,
    indent: usize,
    style: &Style<'_>,
    path: Option<&str>,
) {
    let pad = " ".repeat(indent);
    match node.shape() {
        Shape::Map(mut entries) => {
            if style.sorted {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            for (key, value) in entries {
                let here =
                    path.map(|p| if p.is_empty() { key.to_string() } else { format!("{p}.{key}") });
                for line in here.as_deref().map(style.above).unwrap_or_default() {
                    writeln!(out, "{pad}# {line}").ok();
                }
                let lead = format!("{pad}{}:", yaml_scalar(key));
                write_value(out, &lead, value, indent, style, here.as_deref());
            }
        }
        Shape::Seq(items) => {
            for item in items {
                if matches!(item.shape(), Shape::Map(_)) {
                    // `- key: value` with the rest of the mapping aligned under `key`.
                    let mut body = String::new();
                    write_node(&mut body, item, indent + 2, style, None);
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&body[indent + 2..]);
                } else {
                    write_value(out, &format!("{pad}-"), item, indent, style, None);
                }
            }
        }
        Shape::Text(s) => {
            writeln!(out, "{pad}{}", yaml_scalar(s)).ok();
        }
        Shape::Flow(text) => {
            writeln!(out, "{pad}{text}").ok();
        }
    }
}

/// A value after `lead` (`key:` or `-`), on that line or in a block below it.
fn write_value<T: Tree>(
    out: &mut String,
    lead: &str,
    value: &T,
    indent: usize,
    style: &Style<'_>,
    path: Option<&str>,
) {
    let note = || path.map(|p| (style.note)(p)).unwrap_or_default();
    match value.shape() {
        Shape::Map(_) => {
            writeln!(out, "{lead}").ok();
            write_node(out, value, indent + style.step, style, path);
        }
        Shape::Seq(_) => {
            writeln!(out, "{lead}{}", note()).ok();
            write_node(out, value, indent + style.step, style, None);
        }
        Shape::Text(s) if style.literal && s.contains('\n') => {
            let chomp = if s.ends_with('\n') { "" } else { "-" };
            writeln!(out, "{lead} |{chomp}").ok();
            let pad = " ".repeat(indent + style.step);
            for line in s.trim_end_matches('\n').split('\n') {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    writeln!(out, "{pad}{line}").ok();
                }
            }
        }
        Shape::Text(s) => {
            writeln!(out, "{lead} {}{}", yaml_scalar(s), note()).ok();
        }
        Shape::Flow(text) => {
            writeln!(out, "{lead} {text}{}", note()).ok();
        }
    }
}

/// The fix value as flow YAML, the way a user would type it into a values file.
pub fn yaml_flow(value: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match value {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::String(s) => yaml_scalar(s),
        J::Array(items) => {
            format!("[{}]", items.iter().map(yaml_flow).collect::<Vec<_>>().join(", "))
        }
        J::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", yaml_scalar(k), yaml_flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A string as a YAML scalar, quoted when plain style would change its meaning.
pub fn yaml_scalar(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && !s.starts_with([' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`'])
        && !s.ends_with(' ')
        && !s.contains(':')
        && !s.contains(" #")
        && !s.contains([',', '[', ']', '{', '}', '\n', '\t'])
        // Control and bidi characters (a proxy name from the chart) only ever appear escaped.
        && crate::escape::terminal(s) == s
        && matches!(crate::parse::yaml::resolve_plain(s), crate::parse::yaml::Value::Str(_));
    if plain_ok {
        s.to_string()
    } else {
        // A JSON string is a YAML double-quoted scalar; bidi controls escaped as well.
        crate::escape::json_text(serde_json::to_string(s).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_mapping_in_a_sequence_starts_on_the_dash_and_nests_by_the_step() {
        let value = json!({"env": [{"name": "A", "value": "1"}, "x"], "options": {"gzip": {}}});
        assert_eq!(
            block(&value, 0, &Style::PLAIN),
            "env:\n  - name: A\n    value: \"1\"\n  - x\noptions:\n  gzip: {}\n"
        );
        assert_eq!(
            block(&value, 2, &Style { step: 4, ..Style::PLAIN }),
            "  env:\n      - name: A\n        value: \"1\"\n      - x\n  options:\n      gzip: {}\n"
        );
    }

    #[test]
    fn notes_go_on_leaves_and_list_keys_and_not_inside_lists() {
        let value = json!({"a": {"b": 1, "list": [{"c": 2}]}});
        let note = |path: &str| format!("  # {path}");
        assert_eq!(
            block(&value, 0, &Style { note: &note, ..Style::PLAIN }),
            "a:\n  b: 1  # a.b\n  list:  # a.list\n    - c: 2\n"
        );
    }

    #[test]
    fn a_resource_is_sorted_with_its_multi_line_strings_as_literal_blocks() {
        let node =
            crate::parse::yaml::parse_one("z: 1\na: \"x\\n\\ny\"\nl: [[1, 2]]\n", 1).unwrap().root;
        let resource = Style { sorted: true, literal: true, ..Style::PLAIN };
        assert_eq!(
            block(&node, 0, &resource),
            "a: |-\n  x\n\n  y\nl:\n  -\n    - 1\n    - 2\nz: 1\n"
        );
    }

    #[test]
    fn flow_yaml() {
        assert_eq!(
            yaml_flow(&json!({"probes": true, "livenessProbeEnabled": true})),
            "{probes: true, livenessProbeEnabled: true}"
        );
        assert_eq!(yaml_flow(&json!("/stats/prometheus?usedonly")), "/stats/prometheus?usedonly");
        assert_eq!(yaml_flow(&json!("true")), "\"true\"");
        assert_eq!(
            yaml_flow(&json!({"listener-::-8080": {"connection_limit": 10}})),
            "{\"listener-::-8080\": {connection_limit: 10}}"
        );
        assert_eq!(yaml_flow(&json!("10s")), "10s");
    }

    #[test]
    fn scalars_from_the_chart_never_carry_raw_control_characters() {
        assert_eq!(yaml_scalar("gw\u{1b}[31m"), "\"gw\\u001b[31m\"");
        assert_eq!(yaml_scalar("gw\u{202e}x"), "\"gw\\u202ex\"");
        let back: String = yaml_serde::from_str(&yaml_scalar("gw\u{202e}\u{1b}x")).unwrap();
        assert_eq!(back, "gw\u{202e}\u{1b}x", "and the YAML reads back the same string");
    }
}
