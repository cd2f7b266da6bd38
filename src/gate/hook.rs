//! The local gate: map the files a commit changes to the targets they affect, export the
//! staged content for the plain git hook, and install that hook.
//!
//! Mapping (`hook run FILE...`, as pre-commit passes them):
//! - with targets in `.helm-harden.yaml`: a value set is checked when one of its values files
//!   changed; every value set of a target is checked when a file inside its chart changed;
//!   everything is checked when the config itself changed;
//! - without targets: a changed values file (rule in [`crate::gate::discover`]) is checked with the
//!   chart it belongs to; any other file inside a chart checks that chart with its own values
//!   and with each values file that belongs to it.
//!
//! Nothing relevant: no job, and the caller exits 0 without starting helm.

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::gate::discover;
use crate::pipeline::{self, Inputs, Job};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// The plain git hook, as `hook install` writes it.
pub const GIT_HOOK: &str = include_str!("../../hooks/pre-commit");

/// What the changed files call for.
#[derive(Debug, Default)]
pub struct ChangedPlan {
    pub jobs: Vec<Job>,
    /// Changed values files no chart could be found for, with why (printed, not fatal).
    pub notes: Vec<String>,
}

/// The jobs that `changed` (paths relative to `root`, or absolute) affect.
pub fn plan_changed(
    changed: &[PathBuf],
    config: &Config,
    root: &Path,
    inputs: &Inputs,
) -> Result<ChangedPlan> {
    let abs = |p: &Path| normalize(&if p.is_absolute() { p.to_path_buf() } else { root.join(p) });
    let changed_abs: Vec<PathBuf> = changed.iter().map(|p| abs(p)).collect();
    if !config.targets.is_empty() {
        let all = pipeline::plan(
            &Inputs { chart: None, manifests: None, ..inputs.clone() },
            config,
            root,
        )?;
        let config_changed = config.path.as_deref().is_some_and(|c| changed_abs.contains(&abs(c)));
        let jobs = all
            .into_iter()
            .filter(|job| {
                config_changed
                    || changed_abs.iter().any(|f| {
                        job.chart.as_deref().is_some_and(|c| f.starts_with(abs(c)))
                            || job.request.values.iter().any(|v| abs(v) == *f)
                    })
            })
            .collect();
        return Ok(ChangedPlan { jobs, notes: Vec::new() });
    }

    // chart -> value sets: None is the chart's own values, Some(file) adds that file.
    let mut sets: BTreeMap<PathBuf, BTreeSet<Option<PathBuf>>> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut charts: Option<Vec<PathBuf>> = None;
    let mut all_values: Option<Vec<PathBuf>> = None;
    for file in changed {
        let rel = normalize(file.strip_prefix(root).unwrap_or(file));
        if rel.is_absolute() {
            continue; // outside the repository
        }
        // A file deleted from a chart that is still there (a template, a PDB) changes its
        // render, so it checks the chart like any other change in it. A deleted values file
        // belongs to no value set any more.
        let deleted = !root.join(&rel).is_file();
        if !deleted && discover::is_values_file(root, &rel) {
            let charts = charts.get_or_insert_with(|| discover::find_charts(root));
            match discover::chart_for_values(root, &rel, charts) {
                Ok(Some(chart)) => {
                    sets.entry(chart).or_default().insert(Some(rel));
                }
                Ok(None) => {}
                Err(candidates) => notes.push(format!(
                    "{}: not checked: several charts could use it ({}); name it in a target of {} (`helm-harden init` writes one)",
                    rel.display(),
                    candidates.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(", "),
                    config::FILE_NAME
                )),
            }
        } else if let Some(chart) = discover::enclosing_chart(root, &rel) {
            let entry = sets.entry(chart.clone()).or_default();
            entry.insert(None);
            let charts = charts.get_or_insert_with(|| discover::find_charts(root));
            for v in all_values.get_or_insert_with(|| discover::find_values(root)).iter() {
                if discover::chart_for_values(root, v, charts) == Ok(Some(chart.clone())) {
                    entry.insert(Some(v.clone()));
                }
            }
        }
    }
    let mut jobs = Vec::new();
    for (chart, value_sets) in sets {
        for values in value_sets {
            let label = match &values {
                Some(v) => format!("{} with {}", chart.display(), v.display()),
                None => format!("{} with its own values", chart.display()),
            };
            let job_inputs = Inputs {
                chart: Some(under(root, &chart)),
                values: values.into_iter().map(|v| under(root, &v)).collect(),
                manifests: None,
                ..inputs.clone()
            };
            for mut job in pipeline::plan(&job_inputs, &Config::default(), root)? {
                job.label = Some(label.clone());
                jobs.push(job);
            }
        }
    }
    Ok(ChangedPlan { jobs, notes })
}

/// The staged content of the repository around the current directory, exported to a
/// temporary directory, and the staged file names (relative to the repository root).
#[derive(Debug)]
pub struct StagedTree {
    pub dir: tempfile::TempDir,
    pub files: Vec<PathBuf>,
}

/// Exports the index (`git checkout-index --all`, which honours `$GIT_INDEX_FILE`, so partial
/// commits are judged by what they commit). None when nothing is staged. The working tree
/// and the index are only read.
pub fn export_staged() -> Result<Option<StagedTree>> {
    let top = git(&["rev-parse", "--show-toplevel"], None)?;
    let top = PathBuf::from(top.trim_end_matches('\n'));
    let names = git(
        &["diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRTD"],
        Some(&top),
    )?;
    let files: Vec<PathBuf> =
        names.split('\0').filter(|n| !n.is_empty()).map(PathBuf::from).collect();
    if files.is_empty() {
        return Ok(None);
    }
    let dir = tempfile::Builder::new().prefix("helm-harden-staged").tempdir().map_err(|e| {
        Error::new(format!("cannot create a temporary directory for the staged files: {e}"))
    })?;
    let prefix = format!("{}/", dir.path().display());
    git(&["checkout-index", "--all", &format!("--prefix={prefix}")], Some(&top))?;
    fill_ignored_dependencies(&top, dir.path());
    Ok(Some(StagedTree { dir, files }))
}

/// Chart dependencies are usually build output that git ignores (`charts/*.tgz` from `helm
/// dependency build`): a chart exported without a `charts/` folder gets the working tree's,
/// so the staged chart renders with the dependencies it is built with.
fn fill_ignored_dependencies(top: &Path, export: &Path) {
    for chart in discover::find_charts(export) {
        let (from, to) = (top.join(&chart).join("charts"), export.join(&chart).join("charts"));
        if from.is_dir() && !to.exists() {
            copy_tree(&from, &to);
        }
    }
}

/// Best effort: a dependency that cannot be copied shows up as helm's own error.
fn copy_tree(from: &Path, to: &Path) {
    let Ok(read) = std::fs::read_dir(from) else { return };
    if std::fs::create_dir_all(to).is_err() {
        return;
    }
    for e in read.flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            let _ = std::fs::copy(e.path(), &target);
        }
    }
}

/// Files the index deletes, relative to the current directory (`git diff --cached --relative`).
/// pre-commit passes a hook only the files that exist, so a commit that deletes a chart's
/// template would otherwise pass unchecked. Empty outside a git repository.
pub fn staged_deletions() -> Vec<PathBuf> {
    let Ok(names) = git(
        &["diff", "--cached", "--name-only", "--relative", "-z", "--no-renames", "--diff-filter=D"],
        None,
    ) else {
        return Vec::new();
    };
    names.split('\0').filter(|n| !n.is_empty()).map(PathBuf::from).collect()
}

/// Writes the plain git hook into the repository's hooks directory (`core.hooksPath` when
/// set); an existing hook is never replaced.
pub fn install(cwd: &Path) -> Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let hooks = PathBuf::from(
        git(&["rev-parse", "--git-path", "hooks"], Some(cwd))?.trim_end_matches('\n'),
    );
    let hooks = if hooks.is_absolute() { hooks } else { cwd.join(hooks) };
    std::fs::create_dir_all(&hooks)
        .map_err(|e| Error::in_file(&hooks, format!("cannot create the hooks directory: {e}")))?;
    let path = hooks.join("pre-commit");
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o755)
        .open(&path)
    {
        Ok(f) => f,
        Err(e)
            if e.kind() == std::io::ErrorKind::AlreadyExists || path.symlink_metadata().is_ok() =>
        {
            return Err(Error::in_file(&path, "a pre-commit hook already exists; not overwriting it (add `helm-harden hook run --staged` to it)"));
        }
        Err(e) => return Err(Error::in_file(&path, format!("cannot create the hook: {e}"))),
    };
    file.write_all(GIT_HOOK.as_bytes())
        .map_err(|e| Error::in_file(&path, format!("cannot write the hook: {e}")))?;
    Ok(path)
}

fn git(args: &[&str], cwd: Option<&Path>) -> Result<String> {
    let mut cmd = Command::new("git");
    cmd.args(args);
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let out = cmd.output().map_err(|e| Error::new(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(Error::new(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| Error::new(format!("git {}: output is not UTF-8", args.join(" "))))
}

/// `rel` under `root`; relative to the current directory when `root` is it (`.`), so that
/// reports name files as the repository does.
fn under(root: &Path, rel: &Path) -> PathBuf {
    if root == Path::new(".") {
        rel.to_path_buf()
    } else {
        root.join(rel)
    }
}

/// `a/./b` -> `a/b`, `a/x/../b` -> `a/b`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_files::write;

    fn labels(plan: &ChangedPlan) -> Vec<String> {
        plan.jobs.iter().map(|j| j.label.clone().unwrap_or_default()).collect()
    }

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn without_config_changed_files_map_to_charts_and_values() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "gloo/Chart.yaml", "apiVersion: v2\nname: gloo\nversion: 0.1.0\n");
        write(r, "gloo/templates/d.yaml", "kind: X\n");
        write(r, "envs/prod/values.yaml", "a: 1\n");
        write(r, "README.md", "hi\n");
        let inputs = Inputs::default();
        let cfg = Config::default();
        let plan = plan_changed(&paths(&["README.md", "envs/prod/values.yaml"]), &cfg, r, &inputs)
            .unwrap();
        assert_eq!(labels(&plan), ["gloo with envs/prod/values.yaml"]);
        let plan = plan_changed(&paths(&["gloo/templates/d.yaml"]), &cfg, r, &inputs).unwrap();
        assert_eq!(
            labels(&plan),
            ["gloo with its own values", "gloo with envs/prod/values.yaml"],
            "a template change checks every values file of the chart"
        );
        let plan = plan_changed(&paths(&["README.md", "deleted.yaml"]), &cfg, r, &inputs).unwrap();
        assert!(plan.jobs.is_empty());
        // A template deleted from a chart that is still there: the chart is checked.
        let plan =
            plan_changed(&paths(&["gloo/templates/gone-pdb.yaml"]), &cfg, r, &inputs).unwrap();
        assert_eq!(
            labels(&plan),
            ["gloo with its own values", "gloo with envs/prod/values.yaml"],
            "a deleted template checks the chart"
        );
        // A deleted values file, or a file of a deleted chart: nothing left to check.
        let plan = plan_changed(
            &paths(&["envs/dev/values.yaml", "old/templates/x.yaml"]),
            &cfg,
            r,
            &inputs,
        )
        .unwrap();
        assert!(plan.jobs.is_empty(), "{:?}", labels(&plan));
    }

    #[test]
    fn with_config_only_the_affected_value_sets_run() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "charts/gloo/Chart.yaml", "apiVersion: v2\nname: gloo\nversion: 0.1.0\n");
        write(r, "values/prod.yaml", "a: 1\n");
        write(r, "values/staging.yaml", "a: 1\n");
        write(r, ".helm-harden.yaml", "targets:\n  - chart: charts/gloo\n    values:\n      prod: values/prod.yaml\n      staging: values/staging.yaml\n");
        let cfg = Config::load(&r.join(".helm-harden.yaml")).unwrap();
        let inputs = Inputs::default();
        assert_eq!(
            labels(&plan_changed(&paths(&["values/prod.yaml"]), &cfg, r, &inputs).unwrap()),
            ["gloo/prod"]
        );
        assert_eq!(
            labels(&plan_changed(&paths(&["charts/gloo/Chart.yaml"]), &cfg, r, &inputs).unwrap()),
            ["gloo/prod", "gloo/staging"]
        );
        assert_eq!(
            labels(&plan_changed(&paths(&[".helm-harden.yaml"]), &cfg, r, &inputs).unwrap()),
            ["gloo/prod", "gloo/staging"]
        );
        assert!(plan_changed(&paths(&["docs/x.md", "charts/gloo-other.txt"]), &cfg, r, &inputs)
            .unwrap()
            .jobs
            .is_empty());
    }
}
