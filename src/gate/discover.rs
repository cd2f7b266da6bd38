//! Finding charts and values files in a repository, for `init` and for the hooks when there
//! is no `.helm-harden.yaml`.
//!
//! - A **chart** is a directory with a `Chart.yaml`. Subcharts (under a chart's `charts/`) and
//!   `.git`, `target`, `node_modules` are not searched.
//! - A **values file** is a `.yaml`/`.yml` file whose name contains `values`, or that sits
//!   under a folder named `values`, `env`, `envs` or `environments`; never a chart's own
//!   `values.yaml`, nor anything under `templates/`, `crds/` or `charts/`, nor an overlay that
//!   `helm-harden overlay --write` generated.
//! - A values file belongs to the chart it sits in; outside every chart, to the chart sharing
//!   the deepest common folder with it. A tie goes to the chart whose folder name appears in the
//!   values file's path; otherwise the file is ambiguous (a config target must name it).

use std::fs;
use std::path::{Component, Path, PathBuf};

const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules"];
const ENV_DIRS: &[&str] = &["values", "env", "envs", "environments"];
const NOT_VALUES: &[&str] = &[
    "Chart.yaml",
    "Chart.lock",
    "requirements.yaml",
    "requirements.lock",
    ".helm-harden.yaml",
    ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml",
    "plugin.yaml",
];

/// Every chart under `root` (relative to it, sorted), subcharts excluded.
pub fn find_charts(root: &Path) -> Vec<PathBuf> {
    let mut charts = Vec::new();
    walk(root, Path::new(""), &mut |rel, is_chart| {
        if is_chart {
            charts.push(rel.to_path_buf());
        }
    });
    charts.sort();
    charts
}

/// Every values file under `root` (relative to it, sorted).
pub fn find_values(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(read) = fs::read_dir(root.join(&rel)) else { continue };
        for e in read.flatten() {
            let name = e.file_name();
            let path = rel.join(&name);
            match e.file_type() {
                Ok(t) if t.is_dir() && !SKIPPED_DIRS.contains(&name.to_string_lossy().as_ref()) => {
                    stack.push(path);
                }
                Ok(t) if t.is_file() && is_values_file(root, &path) => files.push(path),
                _ => {}
            }
        }
    }
    files.sort();
    files
}

fn walk(root: &Path, rel: &Path, found: &mut dyn FnMut(&Path, bool)) {
    let dir = root.join(rel);
    if dir.join("Chart.yaml").is_file() {
        found(rel, true);
        return; // subcharts live inside; they are part of this chart
    }
    let Ok(read) = fs::read_dir(&dir) else { return };
    let mut names: Vec<_> = read
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for name in names {
        if !SKIPPED_DIRS.contains(&name.to_string_lossy().as_ref()) {
            walk(root, &rel.join(name), found);
        }
    }
}

/// The top-level chart containing `rel` (a path relative to `root`): the nearest folder with a
/// `Chart.yaml`, climbing out of `charts/` subchart folders to the parent chart.
pub fn enclosing_chart(root: &Path, rel: &Path) -> Option<PathBuf> {
    let is_chart = |d: &Path| root.join(d).join("Chart.yaml").is_file();
    let mut chart = rel.ancestors().skip(1).find(|d| is_chart(d))?.to_path_buf();
    while let Some(parent) =
        chart.parent().filter(|p| p.file_name() == Some("charts".as_ref())).and_then(Path::parent)
    {
        if !is_chart(parent) {
            break;
        }
        chart = parent.to_path_buf();
    }
    Some(chart)
}

/// Whether `rel` (relative to `root`) is a values file by the rule in the module docs.
pub fn is_values_file(root: &Path, rel: &Path) -> bool {
    let Some(name) = rel.file_name().map(|n| n.to_string_lossy()) else { return false };
    if !(name.ends_with(".yaml") || name.ends_with(".yml")) || NOT_VALUES.contains(&name.as_ref()) {
        return false;
    }
    let dirs: Vec<String> = rel
        .parent()
        .map(|p| {
            p.components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if dirs.iter().any(|d| d == ".github") {
        return false;
    }
    // A chart's templates, CRDs and subcharts are not values, wherever the chart sits.
    let in_chart_part = rel.ancestors().skip(1).any(|d| {
        d.file_name().is_some_and(|n| {
            ["templates", "crds", "charts"].contains(&n.to_string_lossy().as_ref())
        }) && d.parent().is_some_and(|chart| root.join(chart).join("Chart.yaml").is_file())
    });
    if in_chart_part {
        return false;
    }
    if name == "values.yaml"
        && root.join(rel.parent().unwrap_or(Path::new(""))).join("Chart.yaml").is_file()
    {
        return false; // the chart's own defaults, which helm applies anyway
    }
    (name.to_ascii_lowercase().contains("values")
        || dirs.iter().any(|d| ENV_DIRS.contains(&d.as_str())))
        // An overlay `overlay --write` generated (`values/hardening.yaml`) is applied after a
        // value set, never a value set of its own: checked alone, it fails everything it does
        // not fix.
        && !crate::harden::overlay::is_generated(&root.join(rel))
}

/// Which chart a values file belongs to, or Err with the candidates when it is ambiguous.
pub fn chart_for_values(
    root: &Path,
    rel: &Path,
    charts: &[PathBuf],
) -> Result<Option<PathBuf>, Vec<PathBuf>> {
    if let Some(chart) = enclosing_chart(root, rel) {
        return Ok(Some(chart));
    }
    let common =
        |chart: &Path| rel.components().zip(chart.components()).take_while(|(a, b)| a == b).count();
    let Some(best) = charts.iter().map(|c| common(c)).max() else { return Ok(None) };
    let nearest: Vec<&PathBuf> = charts.iter().filter(|c| common(c) == best).collect();
    if nearest.len() == 1 {
        return Ok(Some(nearest[0].clone()));
    }
    let path = rel.to_string_lossy();
    let named: Vec<&&PathBuf> = nearest
        .iter()
        .filter(|c| c.file_name().is_some_and(|n| path.contains(n.to_string_lossy().as_ref())))
        .collect();
    match named.as_slice() {
        [one] => Ok(Some((**one).clone())),
        _ => Err(nearest.into_iter().cloned().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        crate::test_files::write(root, rel, "a: 1\n");
    }

    #[test]
    fn charts_values_and_their_association() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        for f in [
            "charts/gloo/Chart.yaml",
            "charts/gloo/values.yaml",
            "charts/gloo/values-prod.yaml",
            "charts/gloo/templates/values-cm.yaml",
            "charts/gloo/charts/sub/Chart.yaml",
            "charts/other/Chart.yaml",
            "envs/prod/values.yaml",
            "values/gloo-staging.yaml",
            ".github/workflows/ci.yml",
            "docs/notes.yaml",
            "target/x/Chart.yaml",
        ] {
            touch(r, f);
        }
        assert_eq!(find_charts(r), [PathBuf::from("charts/gloo"), PathBuf::from("charts/other")]);
        let values = find_values(r);
        assert_eq!(
            values,
            [
                PathBuf::from("charts/gloo/values-prod.yaml"),
                PathBuf::from("envs/prod/values.yaml"),
                PathBuf::from("values/gloo-staging.yaml")
            ]
        );
        let charts = find_charts(r);
        assert_eq!(
            chart_for_values(r, Path::new("charts/gloo/values-prod.yaml"), &charts),
            Ok(Some("charts/gloo".into()))
        );
        assert_eq!(
            chart_for_values(r, Path::new("values/gloo-staging.yaml"), &charts),
            Ok(Some("charts/gloo".into())),
            "the chart named in the path"
        );
        assert!(
            chart_for_values(r, Path::new("envs/prod/values.yaml"), &charts).is_err(),
            "two charts, neither named"
        );
        assert_eq!(
            enclosing_chart(r, Path::new("charts/gloo/charts/sub/templates/x.yaml")),
            Some("charts/gloo".into())
        );
        assert_eq!(enclosing_chart(r, Path::new("docs/notes.yaml")), None);
    }
}
