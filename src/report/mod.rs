//! Report step: one module per output format.

pub mod output;

pub mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod location;
pub mod sarif;
pub mod summary;
pub mod text;

use crate::check::{CheckReport, FixSuggestion, Warning};

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
        && escape::terminal(s) == s
        && matches!(crate::parse::yaml::resolve_plain(s), crate::parse::yaml::Value::Str(_));
    if plain_ok {
        s.to_string()
    } else {
        // A JSON string is a YAML double-quoted scalar; bidi controls escaped as well.
        escape::json_text(serde_json::to_string(s).unwrap_or_default())
    }
}

/// Escapes text from the chart for markdown and HTML (PR comments, job summaries): no tag,
/// no `@mention`, no link or emphasis can be smuggled in through a resource name.
pub fn markdown_escape(text: &str) -> String {
    escape::markdown(text)
}

/// The warnings of all reports, each once and in order: the targets of one config repeat the
/// same warning about it.
pub fn warnings(reports: &[CheckReport]) -> Vec<&Warning> {
    let mut seen = std::collections::HashSet::new();
    reports.iter().flat_map(|r| &r.warnings).filter(|w| seen.insert(*w)).collect()
}

/// `file:line` (or `file`, or the `--set` flag) where a fix goes.
pub fn fix_location(fix: &FixSuggestion) -> Option<String> {
    if let Some(set) = &fix.set {
        return Some(set.clone());
    }
    let file = fix.file.as_ref()?;
    Some(match fix.line {
        Some(line) => format!("{file}:{line}"),
        None => file.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
