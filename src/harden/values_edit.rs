//! The values-file line editor: a fix (values path and value) written into the text of the
//! user's values file as the smallest change of lines that sets it, keeping indentation,
//! comments, key order and quoting elsewhere; several fixes combined into one change. A pull
//! request review posts these changes as one-click suggestions (`crate::github::review`), and
//! `helm-harden fix` writes them (`crate::harden::fix`): one editor for both.

use crate::check::FixSuggestion;
use crate::parse::values::{self, Location, ValuesFile};
use crate::parse::yaml::emit::{block, Style};
use crate::parse::yaml::emit::{yaml_flow, yaml_scalar};
use std::path::Path;

/// A ```suggestion: the lines `start_line..=line` of the file are replaced by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub start_line: Option<usize>,
    pub line: usize,
    pub text: String,
}

/// The change that applies `fix` to `file` (its text), as a suggestion, when we can write it
/// safely: the key's own line rewritten (`key: old` → `key: new`, indentation and trailing
/// comment kept), or the parent's line followed by the missing nested keys.
pub fn suggestion(file: &str, fix: &FixSuggestion) -> Option<Suggestion> {
    let line_no = fix.line?;
    let lines: Vec<&str> = file.lines().collect();
    let text = *lines.get(line_no.checked_sub(1)?)?;
    let segments: Vec<&str> = fix.values_path.split('.').collect();
    let mut parsed = KeyLine::parse(text)?;
    if let Some(old) = &fix.renames {
        // A misspelled key (VALUES-001): the key on its own line renamed, the rest kept.
        let (old_key, new_key) = (old.rsplit('.').next()?, *segments.last()?);
        if parsed.key != old_key {
            return None;
        }
        let rest = &text[parsed.lead.len() + parsed.key_text.len()..];
        return Some(Suggestion {
            start_line: None,
            line: line_no,
            text: format!("{}{}{rest}", parsed.lead, yaml_scalar(new_key)),
        });
    }
    let mut line_no = line_no;
    if fix.exact {
        let last = *segments.last()?;
        if parsed.key != last {
            // A fix that sets several keys points at the one the user already sets: anchor the
            // suggestion on the mapping that holds it.
            if is_scalar(&fix.value) {
                return None;
            }
            // Up the enclosing keys to the fix's own, each a key of the fix value on the way
            // (`gloo` > `deployment` > `customEnv` for a fix of `gloo` that sets `customEnv`).
            let mut inside = vec![parsed.key.clone()];
            let (mut n, mut indent) = (line_no, parsed.indent_width());
            let (owner, key) = loop {
                let (at, k) = (1..n).rev().find_map(|m| {
                    let k = KeyLine::parse(lines[m - 1])?;
                    (k.indent_width() < indent).then_some((m, k))
                })?;
                if k.key == last {
                    break (at, k);
                }
                (n, indent) = (at, k.indent_width());
                inside.push(k.key);
            };
            let mut below = Some(fix.value.as_ref());
            for key in inside.iter().rev() {
                below = below.and_then(|v| v.get(key.as_str()));
            }
            below?;
            (line_no, parsed) = (owner, key);
        }
        let block_end = block_end(&lines, line_no, parsed.indent_width());
        // An empty list or mapping is written inline like a scalar (`add: []` for `add: [X, Y]`).
        if written_inline(&fix.value) {
            if block_end != line_no {
                return None; // a nested block today: replacing it with a scalar needs a human
            }
            let value = yaml_flow(&fix.value);
            return Some(Suggestion {
                start_line: None,
                line: line_no,
                text: format!(
                    "{}{}{}{}",
                    parsed.lead,
                    parsed.key_text,
                    parsed.sep_or_default(),
                    value
                ) + &parsed.comment,
            });
        }
        if block_end == line_no
            && (parsed.value.is_empty()
                || parsed.value == "{}"
                || parsed.value == "null"
                || parsed.value == "~")
        {
            let mut out = format!("{}{}:{}", parsed.lead, parsed.key_text, parsed.comment);
            push_value(&mut out, &fix.value, parsed.indent_width() + 2, 2);
            return Some(Suggestion { start_line: None, line: line_no, text: out });
        }
        if block_end > line_no && parsed.value.is_empty() && !parsed.lead.contains('-') {
            // Key by key where each can be written line-wise (comments inside the block stay),
            // else the block rewritten with the fix merged in.
            let own = FixSuggestion { line: Some(line_no), ..fix.clone() };
            return leaf_by_leaf(file, &own)
                .or_else(|| merge_block(&lines, line_no, block_end, &parsed, &fix.value));
        }
        return None;
    }
    // The line is the deepest existing parent: insert the missing keys under it. An empty
    // parent (`options: {}`, `null`) becomes a block; anything else on its line (a flow
    // mapping with keys, a scalar) is not a block that can be extended line-wise.
    let empty = matches!(parsed.value, "{}" | "null" | "~");
    if !parsed.value.is_empty() && !empty {
        return None;
    }
    // The parent's own path, from the keys enclosing its line: in an umbrella the fix for
    // `gloo.gloo.deployment.replicas` goes under the second `gloo`, not the first one seen.
    let mut parent_path = vec![parsed.key.clone()];
    let (mut n, mut indent) = (line_no, parsed.indent_width());
    while let Some((at, k)) = (1..n).rev().find_map(|m| {
        let k = KeyLine::parse(lines[m - 1])?;
        (k.indent_width() < indent).then_some((m, k))
    }) {
        (n, indent) = (at, k.indent_width());
        parent_path.insert(0, k.key);
    }
    let at = if segments.len() > parent_path.len()
        && segments.iter().zip(&parent_path).all(|(s, p)| *s == p.as_str())
    {
        parent_path.len() - 1
    } else {
        segments.iter().rposition(|s| *s == parsed.key)?
    };
    let missing = &segments[at + 1..];
    if missing.is_empty() {
        return None;
    }
    let child_indent = lines
        .get(line_no..)
        .and_then(|rest| {
            rest.iter().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .map(|l| l.len() - l.trim_start().len())
        .filter(|&w| w > parsed.indent_width())
        .unwrap_or(parsed.indent_width() + 2);
    let step = (child_indent - parsed.indent_width()).max(2);
    let mut out = if empty {
        format!("{}{}:{}", parsed.lead, parsed.key_text, parsed.comment)
    } else {
        text.to_string()
    };
    let mut indent = child_indent;
    for (i, key) in missing.iter().enumerate() {
        let last = i + 1 == missing.len();
        out.push('\n');
        out.push_str(&" ".repeat(indent));
        out.push_str(&yaml_scalar(key));
        out.push(':');
        if last {
            push_value(&mut out, &fix.value, indent + step, 2);
        }
        indent += step;
    }
    Some(Suggestion { start_line: None, line: line_no, text: out })
}

/// Several fixes made into one suggestion. GitHub applies a suggestion by replacing its lines,
/// so of suggestions whose lines overlap only the first one applied would still apply; the
/// review puts one suggestion that applies them all on one comment instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combined {
    pub suggestion: Suggestion,
    /// Indexes into the fixes given, of those the suggestion applies, in order.
    pub applied: Vec<usize>,
}

/// Applies `fixes` to `file` one after another, each located again in the text the earlier
/// ones produced (as `check` locates a fix), and returns the whole change as one suggestion
/// over the lines that differ. A fix is left out when its suggestion cannot be written, or when
/// after it the file would not parse or would not hold every fix applied so far. None when no
/// fix applies. Each text is parsed once: to check the fixes and to locate the next one.
pub fn combine(file: &str, fixes: &[&FixSuggestion]) -> Option<Combined> {
    let parse = |text: String| ValuesFile::parse(Path::new("values.yaml"), text).ok();
    let mut current = parse(file.to_string())?;
    let mut applied: Vec<usize> = Vec::new();
    for (i, fix) in fixes.iter().enumerate() {
        // The first fix was located in this very text by `check`.
        let located =
            if applied.is_empty() { Some((*fix).clone()) } else { locate_again(&current, fix) };
        let Some(s) = located.and_then(|f| suggestion(&current.text, &f)) else { continue };
        let Some(next) = parse(apply(&current.text, &s)) else { continue };
        let holds = |fix: &FixSuggestion| {
            next.root
                .path(&fix.values_path)
                .is_some_and(|node| values::sets_value(node, &fix.value))
        };
        if applied.iter().chain([&i]).all(|&j| holds(fixes[j])) {
            current = next;
            applied.push(i);
        }
    }
    if applied.is_empty() {
        return None;
    }
    Some(Combined { suggestion: changed_lines(file, &current.text)?, applied })
}

/// `file` with every fix of `fixes` that joins applied ([`combine`]); None when none does.
/// `helm-harden fix` writes this to the user's file.
pub fn apply_all(file: &str, fixes: &[&FixSuggestion]) -> Option<String> {
    let combined = combine(file, fixes)?;
    Some(apply(file, &combined.suggestion))
}

/// `fix` located in `file` (one values file), as `check` would locate it there.
fn locate_again(file: &ValuesFile, fix: &FixSuggestion) -> Option<FixSuggestion> {
    if let Some(old) = &fix.renames {
        let segments: Vec<&str> = old.split('.').collect();
        let line = values::exact_line(&file.root, &segments)?;
        return Some(FixSuggestion { line: Some(line), exact: true, ..fix.clone() });
    }
    let segments: Vec<&str> = fix.values_path.split('.').collect();
    match values::locate_fix(&segments, &fix.value, std::slice::from_ref(file), &[]) {
        Location::File { line, exact, .. } => Some(FixSuggestion { line, exact, ..fix.clone() }),
        _ => None,
    }
}

/// `text` with the suggestion's lines replaced by its text.
fn apply(text: &str, s: &Suggestion) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let start = s.start_line.unwrap_or(s.line);
    lines.splice(start - 1..s.line, s.text.lines());
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The lines of `before` that differ from `after`, and what replaces them, as one suggestion.
/// A pure insertion replaces the line above it with itself plus the new lines.
fn changed_lines(before: &str, after: &str) -> Option<Suggestion> {
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    if old == new {
        return None;
    }
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let room = old.len().min(new.len()) - prefix;
    let suffix =
        old.iter().rev().zip(new.iter().rev()).take(room).take_while(|(a, b)| a == b).count();
    let (mut start, old_end, new_end) = (prefix, old.len() - suffix, new.len() - suffix);
    if start == old_end {
        // Only added lines: anchor on the line above (a suggestion replaces at least one line).
        start = start.checked_sub(1)?;
    }
    Some(Suggestion {
        start_line: (old_end - start > 1).then_some(start + 1),
        line: old_end,
        text: new[start..new_end].join("\n"),
    })
}

/// A mapping fix of a key whose block the file has, applied one leaf of its value at a time
/// (each the key's own line rewritten, or the missing key inserted under its parent), so the
/// comments and the other keys of the block stay where they are. None when a leaf cannot be
/// written line-wise, a key of the value holds a dot, or the result does not set the fix.
fn leaf_by_leaf(file: &str, fix: &FixSuggestion) -> Option<Suggestion> {
    // A key with a dot in it cannot be told apart in a dotted path.
    fn walk(at: String, v: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) -> bool {
        if let Some(map) = v.as_object().filter(|m| !m.is_empty()) {
            map.iter().all(|(k, v)| !k.contains('.') && walk(format!("{at}.{k}"), v, out))
        } else {
            out.push((at, v.clone()));
            true
        }
    }
    fix.value.as_object().filter(|m| !m.is_empty())?;
    let mut leaves = Vec::new();
    if !walk(fix.values_path.clone(), &fix.value, &mut leaves) {
        return None;
    }
    let parse = |text: &str| ValuesFile::parse(Path::new("values.yaml"), text.to_string()).ok();
    let mut text = file.to_string();
    for (path, value) in leaves {
        let current = parse(&text)?;
        if current.root.path(&path).is_some_and(|n| values::sets_value(n, &value)) {
            continue;
        }
        let leaf = FixSuggestion {
            values_path: path,
            value: std::sync::Arc::new(value),
            line: None,
            exact: false,
            renames: None,
            ..fix.clone()
        };
        let located = locate_again(&current, &leaf)?;
        let s = suggestion(&text, &located)?;
        text = apply(&text, &s);
    }
    let done = parse(&text)?;
    done.root.path(&fix.values_path).filter(|n| values::sets_value(n, &fix.value))?;
    changed_lines(file, &text)
}

/// The key's nested block (`line_no..=end`) rewritten with `value` merged over it, as helm
/// merges values: keys the user set that the fix does not name are kept. A multi-line
/// suggestion (`start_line`..`line`); comments inside the block are not kept.
fn merge_block(
    lines: &[&str],
    line_no: usize,
    end: usize,
    key: &KeyLine,
    value: &serde_json::Value,
) -> Option<Suggestion> {
    let indent = key.indent_width();
    let block: Vec<&str> = lines[line_no - 1..end]
        .iter()
        .map(|l| l.get(indent..).unwrap_or_else(|| l.trim_start()))
        .collect();
    let parsed: serde_json::Value = yaml_serde::from_str(&block.join("\n")).ok()?;
    let existing = parsed.get(&key.key)?.clone();
    // helm replaces a list whole: the fix's list (the user's items kept in it) replaces the
    // block. A mapping over a list, or a list over a mapping, needs a human.
    let merged = match (existing, value) {
        (mut existing @ serde_json::Value::Object(_), _) => {
            // In place: the user's key order stays.
            crate::parse::values::merge(&mut existing, value.clone());
            existing
        }
        (serde_json::Value::Array(_), serde_json::Value::Array(_)) => value.clone(),
        _ => return None,
    };
    let child_indent = lines[line_no..end]
        .iter()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.len() - l.trim_start().len())?;
    let mut out = format!("{}{}:{}", key.lead, key.key_text, key.comment);
    push_value(&mut out, &merged, child_indent, (child_indent - indent).max(2));
    Some(Suggestion { start_line: Some(line_no), line: end, text: out })
}

fn is_scalar(v: &serde_json::Value) -> bool {
    !matches!(v, serde_json::Value::Object(_) | serde_json::Value::Array(_))
}

/// A value YAML writes on the key's own line: a scalar, `[]` or `{}`.
fn written_inline(v: &serde_json::Value) -> bool {
    is_scalar(v)
        || v.as_object().is_some_and(serde_json::Map::is_empty)
        || v.as_array().is_some_and(std::vec::Vec::is_empty)
}

/// Appends `value` after a key's `:`: on the key's line when YAML writes it there
/// ([`written_inline`]), else as block YAML on the lines below at `indent`, nesting by `step`
/// spaces (to match a file's own indentation).
fn push_value(out: &mut String, value: &serde_json::Value, indent: usize, step: usize) {
    if written_inline(value) {
        out.push(' ');
        out.push_str(&yaml_flow(value));
    } else {
        out.push('\n');
        out.push_str(block(value, indent, &Style { step, ..Style::PLAIN }).trim_end_matches('\n'));
    }
}

/// The last line of the block that starts at `line_no` (1-based): following lines indented
/// deeper than the key (blank lines and comments inside count).
fn block_end(lines: &[&str], line_no: usize, indent: usize) -> usize {
    let mut end = line_no;
    for (i, l) in lines.iter().enumerate().skip(line_no) {
        if l.trim().is_empty() {
            continue;
        }
        // Deeper lines, and the items of a sequence written at the key's own indent.
        let width = l.len() - l.trim_start().len();
        let item = l.trim_start() == "-" || l.trim_start().starts_with("- ");
        if width > indent || (width == indent && item) {
            end = i + 1;
        } else {
            break;
        }
    }
    end
}

/// `␣␣key: value  # comment`, split so it can be rewritten piece by piece.
#[derive(Debug)]
struct KeyLine<'a> {
    /// Indentation, and `- ` when the key opens a sequence item.
    lead: &'a str,
    key_text: &'a str,
    key: String,
    sep: &'a str,
    value: &'a str,
    /// Whitespace and `# ...`, or empty.
    comment: String,
}

impl<'a> KeyLine<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let body_start = line.len() - line.trim_start().len();
        let mut lead_end = body_start;
        if line[body_start..].starts_with("- ") {
            lead_end = body_start
                + 2
                + (line[body_start + 2..].len() - line[body_start + 2..].trim_start().len());
        }
        let rest = &line[lead_end..];
        let (key, key_len) = if let q @ ('"' | '\'') = rest.chars().next()? {
            let close = rest[1..].find(q)? + 1;
            (rest[1..close].to_string(), close + 1)
        } else {
            let colon = rest
                .find(": ")
                .or_else(|| rest.strip_suffix(':').map(str::len))
                .or_else(|| rest.find(":\t"))
                .or_else(|| {
                    let hash = rest.find(" #")?;
                    rest[..hash].trim_end().strip_suffix(':').map(str::len)
                })?;
            (rest[..colon].to_string(), colon)
        };
        let after = &rest[key_len..];
        let after_colon = after.strip_prefix(':')?;
        let value_start = after_colon.len() - after_colon.trim_start().len();
        let value_and_comment = &after_colon[value_start..];
        let (value, comment) = split_comment(value_and_comment);
        let comment_ws = &value_and_comment[value.len()..];
        let comment = if comment.is_empty() { String::new() } else { comment_ws.to_string() };
        Some(KeyLine {
            lead: &line[..lead_end],
            key_text: &rest[..key_len],
            key,
            sep: &after[..=value_start],
            value: value.trim_end(),
            comment,
        })
    }

    fn indent_width(&self) -> usize {
        self.lead.len()
    }

    fn sep_or_default(&self) -> &str {
        if self.sep.len() > 1 {
            self.sep
        } else {
            ": "
        }
    }
}

/// Splits `value  # comment` outside quotes; returns (value, comment-with-hash).
fn split_comment(s: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            None if (c == '"' || c == '\'') && i == 0 => quote = Some(c),
            None if c == '#' && prev_space => return (s[..i].trim_end(), &s[i..]),
            Some(_) | None => {}
        }
        prev_space = c == ' ' || c == '\t';
    }
    (s.trim_end(), "")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A fix of `path` to `value` at `line` of `values.yaml` (for the review's tests too).
    pub(crate) fn fix(
        path: &str,
        value: serde_json::Value,
        line: usize,
        exact: bool,
    ) -> FixSuggestion {
        FixSuggestion {
            values_path: path.into(),
            value: value.into(),
            file: Some("values.yaml".into()),
            line: Some(line),
            exact,
            set: None,
            renames: None,
        }
    }

    #[test]
    fn a_misspelled_key_is_renamed_on_its_line_keeping_value_block_and_comment() {
        let file = "gatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      probe: true  # health\n    readConfg:\n      x: 1\n";
        let rename = |old: &str, new: &str, value: serde_json::Value, line: usize| FixSuggestion {
            renames: Some(old.into()),
            ..fix(new, value, line, true)
        };
        let probes = rename(
            "gatewayProxies.gatewayProxy.podTemplate.probe",
            "gatewayProxies.gatewayProxy.podTemplate.probes",
            serde_json::json!(true),
            4,
        );
        let s = suggestion(file, &probes).unwrap();
        assert_eq!((s.line, s.text.as_str()), (4, "      probes: true  # health"));
        // A key holding a block: only the key line changes.
        let block = rename(
            "gatewayProxies.gatewayProxy.readConfg",
            "gatewayProxies.gatewayProxy.readConfig",
            serde_json::json!({"x": 1}),
            5,
        );
        assert_eq!(suggestion(file, &block).unwrap().text, "    readConfig:");
        // Both in one batch: the second is located again after the first is applied.
        let both = combine(file, &[&probes, &block]).unwrap();
        assert_eq!(both.applied, [0, 1]);
        assert_eq!(both.suggestion.text, "      probes: true  # health\n    readConfig:");
        // The key is not on the line any more: no suggestion rather than a wrong edit.
        assert_eq!(suggestion(file, &FixSuggestion { line: Some(3), ..probes.clone() }), None);
    }

    #[test]
    fn scalar_fix_rewrites_the_key_line_keeping_indent_and_comment() {
        let file = "gateway:\n  validation:\n    alwaysAcceptResources: true   # why not\n    failurePolicy: 'Ignore'\n";
        let s = suggestion(
            file,
            &fix("gateway.validation.alwaysAcceptResources", json!(false), 3, true),
        )
        .unwrap();
        assert_eq!(
            s,
            Suggestion {
                start_line: None,
                line: 3,
                text: "    alwaysAcceptResources: false   # why not".into()
            }
        );
        let s = suggestion(file, &fix("gateway.validation.failurePolicy", json!("Fail"), 4, true))
            .unwrap();
        assert_eq!(s.text, "    failurePolicy: Fail");
        let s = suggestion(file, &fix("gateway.validation.failurePolicy", json!("true"), 4, true))
            .unwrap();
        assert_eq!(
            s.text, "    failurePolicy: \"true\"",
            "a string that reads as a bool stays a string"
        );

        let caps =
            "securityContext:\n  capabilities:\n    add: [NET_BIND_SERVICE, SYS_ADMIN]  # ops\n";
        let s =
            suggestion(caps, &fix("securityContext.capabilities.add", json!([]), 3, true)).unwrap();
        assert_eq!(s.text, "    add: []  # ops", "an empty list replaces a one-line list");
        let block = "capabilities:\n  add:\n  - NET_BIND_SERVICE\n";
        assert_eq!(
            suggestion(block, &fix("capabilities.add", json!([]), 2, true)),
            None,
            "a block list is more than its key line, also at the key's own indent"
        );
        assert_eq!(suggestion(block, &fix("capabilities.add", json!(null), 2, true)), None);
    }

    #[test]
    fn missing_key_goes_under_its_parent_at_the_childrens_indent() {
        let file = "gateway:\n    validation:\n        failurePolicy: Ignore\n";
        let s = suggestion(
            file,
            &fix("gateway.proxyServiceAccount.disableAutomount", json!(true), 1, false),
        )
        .unwrap();
        assert_eq!(s.text, "gateway:\n    proxyServiceAccount:\n        disableAutomount: true");
        let s = suggestion(
            file,
            &fix(
                "gloo.gatewayProxies.gatewayProxy.podTemplate.resources.requests",
                json!({"cpu": "500m", "memory": "256Mi"}),
                1,
                false,
            ),
        );
        assert!(s.is_none(), "the parent line's key must be on the values path");
        let file = "pod:\n  podTemplate:\n    probes: false\n";
        let s = suggestion(
            file,
            &fix(
                "pod.podTemplate.resources.requests",
                json!({"cpu": "500m", "memory": "256Mi"}),
                2,
                false,
            ),
        )
        .unwrap();
        assert_eq!(s.text, "  podTemplate:\n    resources:\n      requests:\n        cpu: 500m\n        memory: 256Mi");
    }

    #[test]
    fn a_fix_of_a_mapping_anchors_on_its_key_however_deep_the_line_it_points_at() {
        // GLOO-024 set through customEnv: the fix of `gloo` points at the customEnv line.
        let file = "gloo:\n  deployment:\n    replicas: 3\n    customEnv:\n    - name: DISABLE_LEADER_ELECTION\n      value: \"1\"\n    - name: LOG_LEVEL\n      value: info\nother: 1\n";
        let value = json!({"disableLeaderElection": false, "deployment": {"customEnv": [{"name": "LOG_LEVEL", "value": "info"}]}});
        let s = suggestion(file, &fix("gloo", value.clone(), 4, true)).unwrap();
        // Key by key: the new key under `gloo:` and the list replaced, lines 2-6 only.
        assert_eq!((s.start_line, s.line), (Some(2), 6));
        assert_eq!(
            s.text,
            "  disableLeaderElection: false\n  deployment:\n    replicas: 3\n    customEnv:"
        );
        let parsed =
            ValuesFile::parse(std::path::Path::new("values.yaml"), apply(file, &s)).unwrap();
        assert!(crate::parse::values::sets_value(parsed.root.get("gloo").unwrap(), &value));
        assert_eq!(
            parsed.root.path("gloo.deployment.replicas").and_then(crate::parse::yaml::Node::as_i64),
            Some(3),
            "the rest of the block stays"
        );
        assert!(
            suggestion(file, &fix("gloo", json!({"other": 1}), 4, true)).is_none(),
            "the line must lie on a key of the fix value"
        );
    }

    #[test]
    fn a_key_the_fix_removes_becomes_null_as_helm_drops_it() {
        // GLOO-020 on a budget by minAvailable: maxUnavailable beside it would be rejected.
        let file =
            "gatewayProxies:\n  gatewayProxy:\n    podDisruptionBudget:\n      minAvailable: 1\n";
        let value = json!({"maxUnavailable": 1, "minAvailable": null});
        let s = suggestion(
            file,
            &fix("gatewayProxies.gatewayProxy.podDisruptionBudget", value.clone(), 4, true),
        )
        .unwrap();
        assert_eq!(
            s,
            Suggestion {
                start_line: None,
                line: 4,
                text: "      maxUnavailable: 1\n      minAvailable: null".into()
            }
        );
        let after = apply(file, &s);
        let parsed = ValuesFile::parse(std::path::Path::new("values.yaml"), after).unwrap();
        assert!(crate::parse::values::sets_value(
            parsed.root.path("gatewayProxies.gatewayProxy.podDisruptionBudget").unwrap(),
            &value
        ));
    }

    #[test]
    fn no_suggestion_where_a_line_rewrite_would_lose_something() {
        let file = "a:\n  b:\n    c: 1\n  d: {x: 1}\n";
        assert!(
            suggestion(file, &fix("a.b", json!(true), 2, true)).is_none(),
            "a block replaced by a scalar"
        );
        assert!(
            suggestion(file, &fix("a.d.y", json!(1), 4, false)).is_none(),
            "a flow mapping parent"
        );
        assert!(
            suggestion(file, &fix("a.zz", json!(1), 2, true)).is_none(),
            "the line holds another key"
        );
        assert!(suggestion(file, &fix("a.b", json!(1), 9, true)).is_none(), "past the end");
    }

    #[test]
    fn an_empty_parent_becomes_the_block_of_its_missing_keys() {
        let file = "gateway:\n  proxyServiceAccount: {}  # none yet\n  enabled: true\n";
        let s = suggestion(
            file,
            &fix("gateway.proxyServiceAccount.disableAutomount", json!(true), 2, false),
        )
        .unwrap();
        assert_eq!(s.text, "  proxyServiceAccount:  # none yet\n    disableAutomount: true");
    }

    #[test]
    fn a_key_named_like_its_ancestor_goes_under_the_right_one() {
        // An umbrella's `gloo:` holds Gloo's own `gloo:` section: the fix for
        // `gloo.gloo.deployment.replicas` under line 1 creates `gloo.gloo`, not `gloo.deployment`.
        let file = "gloo:\n  settings:\n    create: true\n";
        let s =
            suggestion(file, &fix("gloo.gloo.deployment.replicas", json!(2), 1, false)).unwrap();
        assert_eq!(s.text, "gloo:\n  gloo:\n    deployment:\n      replicas: 2");
        let c = combine(file, &[&fix("gloo.gloo.deployment.replicas", json!(2), 1, false)]);
        assert_eq!(c.map(|c| c.applied), Some(vec![0]));
    }

    #[test]
    fn fixes_under_one_parent_line_combine_into_one_insertion() {
        let file = "gateway:\n  validation:\n    failurePolicy: Ignore\nother: 1\n";
        let a = fix("gateway.validation.allowWarnings", json!(false), 2, false);
        let b = fix("gateway.validation.warnRouteShortCircuiting", json!(true), 2, false);
        let c = combine(file, &[&a, &b]).unwrap();
        assert_eq!(c.applied, [0, 1]);
        assert_eq!(
            c.suggestion,
            Suggestion {
                start_line: None,
                line: 2,
                text: "  validation:\n    warnRouteShortCircuiting: true\n    allowWarnings: false".into()
            },
            "both keys inserted under the parent line (each right below it), the user's key below them kept"
        );
        let alone = combine(file, &[&a]).unwrap();
        assert_eq!(
            alone.suggestion,
            suggestion(file, &a).unwrap(),
            "one fix: the same suggestion as on its own"
        );
    }

    #[test]
    fn combined_fixes_are_located_again_after_each_change() {
        // The second fix's key is missing at first (under line 1), and present once the first
        // fix has inserted its parent: it must merge into that block, not insert it twice.
        let file = "proxy:\n  replicas: 1\n";
        let a = fix("proxy.resources.requests", json!({"cpu": "500m"}), 1, false);
        let b = fix("proxy.resources.limits", json!({"memory": "1Gi"}), 1, false);
        let r = fix("proxy.replicas", json!(2), 2, true);
        let c = combine(file, &[&a, &b, &r]).unwrap();
        assert_eq!(c.applied, [0, 1, 2]);
        let after = apply(file, &c.suggestion);
        assert_eq!(after, "proxy:\n  resources:\n    limits:\n      memory: 1Gi\n    requests:\n      cpu: 500m\n  replicas: 2\n");
        assert_eq!(
            (c.suggestion.start_line, c.suggestion.line),
            (None, 2),
            "only the line that differs, the new lines in its replacement"
        );
    }

    #[test]
    fn a_fix_that_would_undo_an_earlier_one_is_left_out() {
        let file = "a:\n  b: 1\n";
        let first = fix("a.b", json!(2), 2, true);
        let conflicting = fix("a.b", json!(3), 2, true);
        let other = fix("a.c", json!(true), 1, false);
        let c = combine(file, &[&first, &conflicting, &other]).unwrap();
        assert_eq!(c.applied, [0, 2], "the conflicting fix is not applied");
        assert_eq!(apply(file, &c.suggestion), "a:\n  c: true\n  b: 2\n");
        assert!(combine(file, &[&fix("a.b", json!(1), 9, true)]).is_none(), "nothing applies");
    }

    #[test]
    fn changed_lines_are_the_smallest_range_that_differs() {
        assert_eq!(changed_lines("a\nb\nc\n", "a\nb\nc\n"), None);
        assert_eq!(
            changed_lines("a\nb\nc\n", "a\nB\nc\n"),
            Some(Suggestion { start_line: None, line: 2, text: "B".into() })
        );
        assert_eq!(
            changed_lines("a\nb\nc\n", "a\nb\nx\ny\nc\n"),
            Some(Suggestion { start_line: None, line: 2, text: "b\nx\ny".into() })
        );
        assert_eq!(
            changed_lines("a\nb\nc\nd\n", "a\nB\nc\nD\n"),
            Some(Suggestion { start_line: Some(2), line: 4, text: "B\nc\nD".into() })
        );
        // A repeated line: the insertion is still anchored on a line above it.
        assert_eq!(
            changed_lines("a\na\n", "a\na\na\n"),
            Some(Suggestion { start_line: None, line: 2, text: "a\na".into() })
        );
    }

    #[test]
    fn a_mapping_fix_on_an_existing_block_is_merged_key_by_key_keeping_its_comments() {
        let file = "proxy:\n    resources:\n        requests:\n            # sized in load test 12\n            cpu: 10m  # lab\n            ephemeral: 1Gi\n    other: 1\n";
        let s = suggestion(
            file,
            &fix("proxy.resources.requests", json!({"cpu": "500m", "memory": "256Mi"}), 3, true),
        )
        .unwrap();
        assert_eq!((s.start_line, s.line), (Some(4), 5), "only the lines that change");
        assert_eq!(
            s.text,
            "            memory: 256Mi\n            # sized in load test 12\n            cpu: 500m  # lab"
        );
        let both = combine(
            file,
            &[&fix("proxy.resources.requests", json!({"cpu": "500m", "memory": "256Mi"}), 3, true)],
        )
        .unwrap();
        assert_eq!(
            apply(file, &both.suggestion),
            "proxy:\n    resources:\n        requests:\n            memory: 256Mi\n            # sized in load test 12\n            cpu: 500m  # lab\n            ephemeral: 1Gi\n    other: 1\n",
            "the comments and the other key stay"
        );
        let anchored = suggestion(
            file,
            &fix("proxy.resources.requests", json!({"cpu": "500m", "memory": "256Mi"}), 5, true),
        )
        .unwrap();
        assert_eq!(anchored, s, "pointed at a key inside the mapping, the same change");
        assert!(
            suggestion(file, &fix("proxy.resources.limits", json!({"cpu": "1"}), 5, true))
                .is_none(),
            "the parent is another key"
        );
    }

    #[test]
    fn list_values_become_block_sequences() {
        let file = "root:\n";
        let s = suggestion(file, &fix("root.log", json!([{"name": "a", "v": 1}, "b"]), 1, false))
            .unwrap();
        assert_eq!(s.text, "root:\n  log:\n    - name: a\n      v: 1\n    - b");
    }
}
