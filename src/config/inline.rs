//! Suppressions written in a values file, as comments: `# helm-harden: ignore GLOO-019 -- reason`.

use super::{known_rule, valid_date, Suppression};
use crate::error::{Error, Result};
use std::path::Path;

/// A suppression written in a values file, as a comment on the line of the key it is about or
/// on the line above it: `# helm-harden: ignore GLOO-019 -- reason`, several IDs separated by
/// commas, `expires YYYY-MM-DD` before `--` to make it expire. It hides a failure whose fix goes
/// to that key's line; it is reported, expires and warns when unmatched as a config
/// suppression does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineSuppression {
    /// `line` is the comment's; `object` names the key's line (`values line 12`).
    pub suppression: Suppression,
    /// The line of the key it is about.
    pub key_line: usize,
}

/// The marker an inline suppression comment starts with.
const INLINE_MARKER: &str = "helm-harden:";

/// The inline suppressions of a values file's text; a malformed one (unknown rule ID, no
/// reason, a bad date, a directive other than `ignore`) is an error at its line and column.
pub fn inline_suppressions(path: &Path, text: &str) -> Result<Vec<InlineSuppression>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(hash) = comment_start(line) else { continue };
        let comment = line[hash + 1..].trim_start();
        let Some(directive) = comment.strip_prefix(INLINE_MARKER) else { continue };
        let line_no = i + 1;
        let col = hash + 1;
        let err = |message: String| Error::at(path, line_no, col, message);
        let (head, reason) = match directive.split_once("--") {
            Some((head, reason)) => (head.trim(), reason.trim()),
            None => (directive.trim(), ""),
        };
        let Some(ids) = head.strip_prefix("ignore").filter(|r| r.is_empty() || r.starts_with(' '))
        else {
            return Err(err(format!(
                "unknown helm-harden directive `{head}` (expected `# helm-harden: ignore RULE-ID -- reason`)"
            )));
        };
        let (ids, expires) = match ids.split_once(" expires ") {
            Some((ids, date)) => {
                let date = date.trim();
                if !valid_date(date) {
                    return Err(err(format!("expires: `{date}` is not a date (YYYY-MM-DD)")));
                }
                (ids, Some(date.to_string()))
            }
            None => (ids, None),
        };
        if reason.is_empty() {
            return Err(err(
                "an inline suppression needs a reason: `# helm-harden: ignore RULE-ID -- reason`"
                    .into(),
            ));
        }
        // Its own line when a key is on it, else the next line that is neither blank nor a
        // comment (the key below a comment line, or below a stack of them).
        let own_key = !line[..hash].trim().is_empty();
        let key_line = if own_key {
            line_no
        } else {
            lines[i + 1..]
                .iter()
                .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .map_or(line_no, |n| line_no + 1 + n)
        };
        let ids: Vec<&str> = ids.split(',').map(str::trim).filter(|id| !id.is_empty()).collect();
        if ids.is_empty() {
            return Err(err("an inline suppression names no rule ID".into()));
        }
        for id in ids {
            let rule = known_rule(id).ok_or_else(|| err(format!("unknown rule ID {id}")))?;
            found.push(InlineSuppression {
                suppression: Suppression {
                    rule: rule.id.to_string(),
                    object: format!("values line {key_line}"),
                    reason: reason.to_string(),
                    expires: expires.clone(),
                    line: line_no,
                },
                key_line,
            });
        }
    }
    Ok(found)
}

/// The byte offset of the `#` that starts a YAML comment on `line`, if one does: at the start
/// of the line or after a space, and outside quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') if prev == ' ' || prev == ':' || i == 0 => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev == ' ' || prev == '\t' || i == 0 => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}
