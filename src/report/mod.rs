//! Report step: one module per output format.

pub mod output;

pub mod github;
pub mod json;
pub mod junit;
pub mod location;
pub mod sarif;
pub mod summary;
pub mod text;

use crate::check::{CheckReport, FixSuggestion, Warning};

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
