//! `helm-harden init`: set a repository up in one command. Finds the charts and values files
//! (rules in [`crate::gate::discover`]) and generates `.helm-harden.yaml` (a target per chart, a
//! value set per values file), a GitHub workflow running the action on pull requests, and a
//! `.pre-commit-config.yaml` with the hook. Printed by default; `--write` creates the files
//! and never replaces one.

use crate::error::{Error, Result};
use crate::gate::discover;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The GitHub repository that hosts the action and the pre-commit hooks.
pub const DEFAULT_REPO: &str = "helm-harden/helm-harden";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: &'static str,
    pub text: String,
}

/// A chart and its value sets (name, files), as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTarget {
    pub chart: PathBuf,
    pub value_sets: Vec<(String, PathBuf)>,
}

/// Charts and values files under `root`, and the values files no single chart claims.
pub fn scan(root: &Path) -> Result<(Vec<FoundTarget>, Vec<PathBuf>)> {
    let charts = discover::find_charts(root);
    if charts.is_empty() {
        return Err(Error::new(format!(
            "{}: no chart found (a folder with a Chart.yaml) to set up",
            root.display()
        )));
    }
    let mut by_chart: BTreeMap<PathBuf, Vec<PathBuf>> =
        charts.iter().map(|c| (c.clone(), Vec::new())).collect();
    let mut unassigned = Vec::new();
    for v in discover::find_values(root) {
        match discover::chart_for_values(root, &v, &charts) {
            Ok(Some(chart)) => by_chart.entry(chart).or_default().push(v),
            _ => unassigned.push(v),
        }
    }
    let targets = by_chart
        .into_iter()
        .map(|(chart, files)| {
            let mut names: Vec<String> = files.iter().map(|f| set_name(f)).collect();
            // Two files with the same name (envs/a/prod.yaml, envs/b/prod.yaml): use the path.
            for i in 0..names.len() {
                if names.iter().filter(|n| **n == names[i]).count() > 1 {
                    names[i] = files[i].with_extension("").to_string_lossy().replace('/', "-");
                }
            }
            FoundTarget { chart, value_sets: names.into_iter().zip(files).collect() }
        })
        .collect();
    Ok((targets, unassigned))
}

/// A value set's name from its file: `values-prod.yaml`, `prod-values.yaml`, `values/prod.yaml`
/// and `envs/prod/values.yaml` are all `prod`.
fn set_name(file: &Path) -> String {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let trimmed = stem.replace("values", "");
    let trimmed = trimmed.trim_matches(|c: char| c == '-' || c == '_' || c == '.');
    if !trimmed.is_empty() {
        return trimmed.to_string();
    }
    file.parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !["values", ""].contains(&n.as_str()))
        .unwrap_or_else(|| "default".into())
}

/// Where the GitHub workflow goes.
pub const WORKFLOW_FILE: &str = ".github/workflows/helm-harden.yml";

/// The three files for the repository at `root`.
pub fn generate(root: &Path, repo: &str) -> Result<Vec<GeneratedFile>> {
    check_repo(repo)?;
    let (targets, unassigned) = scan(root)?;
    Ok(vec![
        GeneratedFile { path: crate::config::FILE_NAME, text: config_text(&targets, &unassigned) },
        GeneratedFile { path: WORKFLOW_FILE, text: workflow_text(&targets, repo) },
        GeneratedFile { path: ".pre-commit-config.yaml", text: pre_commit_text(repo) },
    ])
}

/// `--repo` goes verbatim into `uses:` and the hook's clone URL, so it must be GitHub's
/// `owner/name` and nothing that would break or change the generated YAML.
fn check_repo(repo: &str) -> Result<()> {
    let part_ok = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match repo.split_once('/') {
        Some((owner, name)) if part_ok(owner) && part_ok(name) => Ok(()),
        _ => Err(Error::new(format!("--repo `{repo}`: not a GitHub repository; expected owner/name (letters, digits, `-`, `_`, `.`)"))),
    }
}

fn q(s: &str) -> String {
    crate::parse::yaml::emit::yaml_scalar(s)
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A chart at the repository root has an empty relative path; written out it is `.`, which the
/// config and the action's `chart` input read as the root, where an empty string does not.
fn chart_str(chart: &Path) -> String {
    if chart.as_os_str().is_empty() {
        ".".into()
    } else {
        path_str(chart)
    }
}

/// The workflow's `paths` filter for everything in the chart. GitHub matches it against paths
/// relative to the repository root, without a leading `/` or `./`: for a chart at the root,
/// only `**` matches its files.
fn chart_glob(chart: &Path) -> String {
    if chart.as_os_str().is_empty() {
        "**".into()
    } else {
        format!("{}/**", path_str(chart))
    }
}

fn config_text(targets: &[FoundTarget], unassigned: &[PathBuf]) -> String {
    let mut s = String::from("# helm-harden configuration (written by `helm-harden init`): a target per chart, a value set\n# per values file found for it. Add release/namespace as you deploy them.\nfail-on: low\ntargets:\n");
    for t in targets {
        let _ = writeln!(s, "  - chart: {}", q(&chart_str(&t.chart)));
        let _ = writeln!(s, "    # release: gloo\n    # namespace: gloo-system");
        if !t.value_sets.is_empty() {
            s.push_str("    values:\n");
            for (name, file) in &t.value_sets {
                let _ = writeln!(s, "      {}: {}", q(name), q(&path_str(file)));
            }
        }
    }
    if !unassigned.is_empty() {
        s.push_str(
            "# Values files that could belong to several charts; add each to the right target:\n",
        );
        for f in unassigned {
            let _ = writeln!(s, "#   {}", path_str(f));
        }
    }
    s
}

fn workflow_text(targets: &[FoundTarget], repo: &str) -> String {
    let mut paths = vec![crate::config::FILE_NAME.to_string()];
    for t in targets {
        paths.push(chart_glob(&t.chart));
        // Values files inside the chart (all of them, for a chart at the root) are covered.
        for (_, values) in t.value_sets.iter().filter(|(_, v)| !v.starts_with(&t.chart)) {
            paths.push(path_str(values));
        }
    }
    paths.sort();
    paths.dedup();
    let paths: String = paths.iter().map(|p| format!("      - {}\n", q(p))).collect();
    format!(
        r"# helm-harden on every pull request that touches a chart or its values (written by
# `helm-harden init`). Findings become review comments on the values lines to change and
# code-scanning alerts (SARIF).
name: helm-harden
on:
  pull_request:
    paths:
{paths}permissions:
  contents: read
  pull-requests: write # review comments
  security-events: write # SARIF upload
jobs:
  helm-harden:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      # One run for every target and value set of the config: one review and one summary
      # comment for the pull request (jobs of a matrix would each replace the others'), and
      # the config's namespaces, releases and fail-on apply. @v{major}: the major tag the
      # release workflow moves to each release of this major version.
      - uses: {repo}@v{major}
        with:
          config: .helm-harden.yaml
          comment: review
          sarif-file: helm-harden.sarif
          github-token: ${{{{ secrets.GITHUB_TOKEN }}}}
      - uses: github/codeql-action/upload-sarif@v3
        if: ${{{{ always() && hashFiles('helm-harden.sarif') != '' }}}}
        with:
          sarif_file: helm-harden.sarif
          category: helm-harden
",
        major = env!("CARGO_PKG_VERSION_MAJOR")
    )
}

fn pre_commit_text(repo: &str) -> String {
    format!(
        "# helm-harden checks every commit that touches a chart or a values file (written by\n# `helm-harden init`). Run `pre-commit install` once.\nrepos:\n  - repo: https://github.com/{repo}\n    rev: v{}\n    hooks:\n      - id: helm-harden\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The files, as `init` prints them.
pub fn to_text(files: &[GeneratedFile]) -> String {
    files.iter().map(|f| format!("# ----- {} -----\n{}\n", f.path, f.text)).collect::<String>()
}

/// Creates the files under `root`. If any exists, nothing is written and the error names it.
pub fn write(root: &Path, files: &[GeneratedFile]) -> Result<Vec<String>> {
    use std::io::Write as _;
    if let Some(existing) =
        files.iter().map(|f| root.join(f.path)).find(|p| p.symlink_metadata().is_ok())
    {
        return Err(Error::in_file(&existing, "already exists; not overwriting it (run `helm-harden init` without --write to print what it would contain)"));
    }
    let mut done = Vec::new();
    for f in files {
        let path = root.join(f.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::in_file(dir, format!("cannot create the folder: {e}")))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::in_file(&path, format!("cannot create: {e}")))?;
        file.write_all(f.text.as_bytes())
            .map_err(|e| Error::in_file(&path, format!("cannot write: {e}")))?;
        done.push(format!("wrote {}", f.path));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_set_names() {
        for (file, name) in [
            ("values-prod.yaml", "prod"),
            ("prod-values.yaml", "prod"),
            ("values/prod.yaml", "prod"),
            ("envs/prod/values.yaml", "prod"),
            ("values.yaml", "default"),
        ] {
            assert_eq!(set_name(Path::new(file)), name, "{file}");
        }
    }

    /// A repository holding `files`: each `Chart.yaml` a chart, every other file a values file.
    fn repo(files: &[&str]) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        for rel in files {
            let text = if rel.ends_with("Chart.yaml") {
                "apiVersion: v2\nname: gloo\nversion: 1.0.0\n"
            } else {
                "gloo: {}\n"
            };
            crate::test_files::write(tmp.path(), rel, text);
        }
        tmp
    }

    fn generated(root: &Path, path: &str) -> String {
        generate(root, DEFAULT_REPO).unwrap().into_iter().find(|f| f.path == path).unwrap().text
    }

    /// QA: with the chart at the repository root, init wrote `chart: ""` and the paths filter
    /// `/**`, which matches no file, so the workflow only ran when the config changed.
    #[test]
    fn chart_at_the_repository_root_is_dot_and_every_file_triggers_the_workflow() {
        let tmp = repo(&["Chart.yaml", "values.yaml", "values-prod.yaml", "envs/dev/values.yaml"]);
        let root = tmp.path();
        let config = generated(root, crate::config::FILE_NAME);
        assert!(config.contains("  - chart: .\n"), "{config}");
        assert!(
            config.contains("      dev: envs/dev/values.yaml\n      prod: values-prod.yaml\n"),
            "{config}"
        );

        let workflow = generated(root, WORKFLOW_FILE);
        assert!(
            workflow
                .contains("    paths:\n      - \"**\"\n      - .helm-harden.yaml\npermissions:"),
            "{workflow}"
        );
        assert!(!workflow.contains("/**") && !workflow.contains("\"\""), "{workflow}");
    }

    #[test]
    fn chart_in_a_folder_keeps_its_path_and_glob() {
        let tmp =
            repo(&["deploy/gloo/Chart.yaml", "deploy/envs/prod/values.yaml", "values-ci.yaml"]);
        let root = tmp.path();

        let config = generated(root, crate::config::FILE_NAME);
        assert!(config.contains("  - chart: deploy/gloo\n"), "{config}");
        let workflow = generated(root, WORKFLOW_FILE);
        assert!(workflow.contains("    paths:\n      - .helm-harden.yaml\n      - deploy/envs/prod/values.yaml\n      - deploy/gloo/**\n      - values-ci.yaml\npermissions:"), "{workflow}");
    }

    /// QA: a matrix job per value set made each job's review delete the others' comments and
    /// rewrite the one summary comment, and the jobs' explicit chart and values dropped the
    /// config's namespace and release.
    #[test]
    fn the_workflow_is_one_run_of_the_config_not_a_matrix_of_charts() {
        let tmp = repo(&[
            "deploy/gloo/Chart.yaml",
            "deploy/envs/prod/values.yaml",
            "deploy/envs/dev/values.yaml",
        ]);
        let workflow = generated(tmp.path(), WORKFLOW_FILE);
        let doc: serde_json::Value = yaml_serde::from_str(&workflow).unwrap();
        let job = &doc["jobs"]["helm-harden"];
        assert!(job.get("strategy").is_none(), "no matrix: {workflow}");
        let with = &job["steps"][1]["with"];
        assert_eq!(with["config"], ".helm-harden.yaml");
        for input in ["chart", "values", "fail-on", "namespace", "release"] {
            assert!(with.get(input).is_none(), "{input} comes from the config: {workflow}");
        }
        assert_eq!(
            job["steps"][2]["with"]["sarif_file"], with["sarif-file"],
            "the SARIF the action writes is the one uploaded"
        );
    }

    #[test]
    fn repo_must_be_a_github_owner_and_name() {
        for good in [DEFAULT_REPO, "my-org/helm_harden.fork", "A1/b2"] {
            assert_eq!(check_repo(good), Ok(()), "{good}");
        }
        for bad in [
            "bad repo",
            "helm-harden",
            "a/b/c",
            "/name",
            "owner/",
            "owner/na me",
            "owner/name@v2",
            "owner/..",
            "./name",
            "owner/name\nx: y",
            "",
        ] {
            let error = check_repo(bad).unwrap_err();
            assert!(
                error.message().contains("not a GitHub repository; expected owner/name"),
                "{bad}: {error}"
            );
            assert!(!error.message().contains('\n'), "{bad}: one line: {error}");
        }
    }
}
