//! Where a finding lives in the user's repository, shared by the outputs GitHub reads (SARIF,
//! annotations, the job summary): the values-file line its fix goes on, else the chart template
//! that renders the object.

use super::fix_location;
use crate::check::{CheckReport, Finding, ObjectRef, CONFIG_KIND, VALUES_KIND};
use crate::parse::yaml::emit::yaml_flow;
use crate::rules::{Status, CONFIG_RULE};
use std::path::Path;

/// A file, and the line in it when there is one (always ≥ 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub line: Option<usize>,
}

/// The values-file line the fix goes on, when the fix names a file and a line (not a `--set`).
pub fn values_place(f: &Finding) -> Option<Place> {
    let fix = f.fix.as_ref()?;
    if fix.set.is_some() {
        return None;
    }
    let file = fix.file.as_deref().filter(|file| *file != "--set")?;
    let line = fix.line?;
    Some(Place { file: cwd_relative(file), line: Some(line.max(1)) })
}

/// The template that renders the object, as a path in the repository when the chart is a
/// directory: helm names templates `<chart name>/templates/...`, so the chart name is replaced
/// by the chart directory the user gave (`charts/gloo` + `gloo/templates/x.yaml` →
/// `charts/gloo/templates/x.yaml`). For a packaged chart or a bare render, helm's path as is.
pub fn template_path(report: &CheckReport, object: &ObjectRef) -> Option<String> {
    let template = object.template.as_deref()?;
    let in_chart_dir = report.chart.path.as_deref().filter(|p| p.is_dir()).and_then(|dir| {
        let (_, rest) = template.split_once('/')?;
        Some(dir.join(rest).display().to_string())
    });
    Some(strip_dot_slash(&in_chart_dir.unwrap_or_else(|| template.to_string())))
}

/// The line of the file a finding about a file rather than the render is about: the config's
/// line for HH-CONFIG (an expired suppression), the values line for VALUES-* (the key).
pub fn config_place(f: &Finding) -> Option<Place> {
    let o = &f.object;
    let file = o.template.as_deref().filter(|path| !path.is_empty())?;
    let about_config = f.rule == CONFIG_RULE.id && o.kind == CONFIG_KIND;
    if !about_config && o.kind != VALUES_KIND {
        return None;
    }
    Some(Place { file: cwd_relative(file), line: Some(o.line.max(1)) })
}

/// A path relative to the working directory when it is under it, as the user's other paths
/// are given (a config found upward from there is known by its absolute path).
pub fn cwd_relative(path: &str) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| Path::new(path).strip_prefix(cwd).ok().map(|p| p.display().to_string()));
    strip_dot_slash(&relative.filter(|p| !p.is_empty()).unwrap_or_else(|| path.to_string()))
}

/// A path as the user would type it in the working directory: relative when it is under the
/// working directory or one of its parents (`../.helm-harden.yaml` for a config found upward),
/// else as it is. For text output; SARIF keeps [`cwd_relative`] (paths in the checkout).
pub fn typed_path(path: &str) -> String {
    let p = Path::new(path);
    let Some(cwd) = std::env::current_dir().ok().filter(|_| p.is_absolute()) else {
        return strip_dot_slash(path);
    };
    // Up to the nearest common parent, never up to the root alone (`../../../etc/x` helps no one).
    for (ups, ancestor) in cwd.ancestors().take_while(|a| a.parent().is_some()).enumerate() {
        if let Ok(rest) = p.strip_prefix(ancestor) {
            let mut relative = std::path::PathBuf::new();
            for _ in 0..ups {
                relative.push("..");
            }
            relative.push(rest);
            return relative.display().to_string();
        }
    }
    path.to_string()
}

/// Where a finding is shown, the first that applies: for HH-CONFIG the suppression's line in
/// the config file; the values line its fix goes on; the template that renders the object; the
/// values file the fix goes into (no line found); the chart (`Chart.yaml` of a chart directory,
/// else the path given). Only config and values lines have a line: `object.line` is a line of
/// the render, not of the template source. None for a bare render without `# Source:`
/// comments and no values file.
pub fn place(report: &CheckReport, f: &Finding) -> Option<Place> {
    // Relative to the working directory (the checkout, in a workflow): GitHub places an
    // annotation or a SARIF result by its path in the repository, and `/home/runner/work/...`
    // is none (a chart given by its absolute path).
    let file_only = |file: String| Place { file: cwd_relative(&file), line: None };
    config_place(f)
        .or_else(|| values_place(f))
        .or_else(|| template_path(report, &f.object).map(file_only))
        .or_else(|| {
            let fix = f.fix.as_ref().filter(|fix| fix.set.is_none())?;
            fix.file.clone().filter(|file| file != "--set").map(file_only)
        })
        .or_else(|| {
            let chart = report.chart.path.as_deref()?;
            let file = if chart.is_dir() { chart.join("Chart.yaml") } else { chart.to_path_buf() };
            Some(file_only(file.display().to_string()))
        })
}

/// `Kind/namespace/name` (`Kind/name` for a cluster-scoped object).
pub fn object_name(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{}/{ns}/{}", o.kind, o.name),
        None => format!("{}/{}", o.kind, o.name),
    }
}

/// The fix in one plain sentence, e.g. `Fix: set gateway.validation.allowWarnings: false
/// (change at values.yaml:7).`
pub fn fix_sentence(f: &Finding) -> String {
    match &f.fix {
        Some(fix) => {
            let at = fix_location(fix)
                .map(|l| format!(" ({} {l})", if fix.exact { "change at" } else { "add under" }))
                .unwrap_or_default();
            match &fix.renames {
                Some(old) => format!("Fix: rename {old} to {}{at}.", fix.values_path),
                None => format!("Fix: set {}: {}{at}.", fix.values_path, yaml_flow(&fix.value)),
            }
        }
        None => format!("Fix: not possible through values; see `helm-harden rules {}`.", f.rule),
    }
}

/// The failures of a report (suppressed ones included), in report order (most severe first).
pub fn failures(report: &CheckReport) -> impl Iterator<Item = &Finding> {
    report.findings.iter().filter(|f| f.status == Status::Fail)
}

fn strip_dot_slash(path: &str) -> String {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    if Path::new(p).as_os_str().is_empty() {
        path.to_string()
    } else {
        p.to_string()
    }
}
