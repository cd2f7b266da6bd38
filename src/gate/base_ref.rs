//! The base side of a change (`--base REF`): the chart and values files of each target as they
//! are at REF, taken from git into a temporary directory (`git archive`), without touching the
//! work tree or the index, so that both sides can be rendered and their findings compared.

use crate::error::{Error, Result};
use crate::pipeline::Job;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// REF's tree, for the paths the targets read.
pub struct BaseTree {
    /// The repository's top directory (canonical).
    root: PathBuf,
    /// The files at REF, under the same relative paths.
    dir: tempfile::TempDir,
    /// `main (1a2b3c4)`.
    pub name: String,
}

/// A target at the base.
pub enum BaseJob {
    /// The target's chart at REF, with the values files that exist there.
    Job { job: Box<Job>, notes: Vec<String> },
    /// The chart is not in REF: every failure of the target is new.
    NewTarget { note: String },
}

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::new(format!("--base: cannot run git: {e}")))
}

impl BaseTree {
    /// The files of `jobs` (charts and values files) at `rev`, in the repository around `cwd`.
    pub fn checkout(cwd: &Path, rev: &str, jobs: &[Job]) -> Result<BaseTree> {
        let top = git(cwd, &["rev-parse", "--show-toplevel"])?;
        if !top.status.success() {
            return Err(Error::new(format!(
                "--base {rev}: {} is not in a git work tree",
                cwd.display()
            )));
        }
        let root = std::fs::canonicalize(String::from_utf8_lossy(&top.stdout).trim())
            .map_err(|e| Error::new(format!("--base {rev}: {e}")))?;
        let commit =
            git(&root, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])?;
        if !commit.status.success() {
            return Err(Error::new(format!(
                "--base {rev}: no such commit in {} (in a shallow checkout, fetch it first: git fetch --depth=1 origin {rev})",
                root.display()
            )));
        }
        let sha = String::from_utf8_lossy(&commit.stdout).trim().to_string();
        let dir = tempfile::Builder::new()
            .prefix("helm-harden-base-")
            .tempdir()
            .map_err(|e| Error::new(format!("--base: cannot create a temporary directory: {e}")))?;
        let tree = BaseTree { root, dir, name: format!("{rev} ({})", &sha[..sha.len().min(7)]) };
        let mut wanted: Vec<String> = Vec::new();
        for job in jobs {
            let paths = job.chart.iter().chain(&job.request.values);
            wanted.extend(paths.filter_map(|p| tree.in_repo(cwd, p)));
        }
        wanted.sort();
        wanted.dedup();
        // Only what exists at REF: `git archive` refuses the whole call for one missing path.
        let existing: Vec<String> = wanted
            .into_iter()
            .filter(|path| {
                git(&tree.root, &["cat-file", "-e", &format!("{sha}:{path}")])
                    .is_ok_and(|o| o.status.success())
            })
            .collect();
        if !existing.is_empty() {
            tree.extract(&sha, &existing)?;
        }
        Ok(tree)
    }

    /// `path` (as the job names it, relative to `cwd`) relative to the repository's top, when
    /// it is inside the repository.
    fn in_repo(&self, cwd: &Path, path: &Path) -> Option<String> {
        let absolute = std::fs::canonicalize(cwd.join(path)).ok()?;
        let relative = absolute.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> =
            relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    fn extract(&self, sha: &str, paths: &[String]) -> Result<()> {
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(["archive", "--format=tar", sha, "--"])
            .args(paths)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::new(format!("--base: cannot run git archive: {e}")))?;
        let stdout = child.stdout.take().expect("piped");
        let unpacked = tar::Archive::new(stdout).unpack(self.dir.path());
        let out = child
            .wait_with_output()
            .map_err(|e| Error::new(format!("--base: git archive: {e}")))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(Error::new(format!("--base: git archive failed: {}", stderr.trim())));
        }
        unpacked.map_err(|e| Error::new(format!("--base: cannot unpack the base files: {e}")))
    }

    /// `job` at the base: its chart and values files from REF. A values file that REF does not
    /// have is left out (and noted); a chart REF does not have makes the target new. Paths
    /// outside the repository (a chart elsewhere) are the same on both sides.
    pub fn job(&self, job: &Job, cwd: &Path) -> BaseJob {
        let at_base = |path: &Path| -> Option<PathBuf> {
            match self.in_repo(cwd, path) {
                Some(relative) => {
                    let base = self.dir.path().join(relative);
                    base.exists().then_some(base)
                }
                None => Some(path.to_path_buf()),
            }
        };
        let mut base = Box::new(job.clone());
        if let Some(chart) = &job.chart {
            match at_base(chart) {
                Some(path) => {
                    base.chart = Some(path.clone());
                    base.request.chart = path;
                }
                None => {
                    return BaseJob::NewTarget {
                        note: format!("the chart {} is new in this change", chart.display()),
                    }
                }
            }
        }
        let mut notes = Vec::new();
        base.request.values = job
            .request
            .values
            .iter()
            .filter_map(|values| {
                let found = at_base(values);
                if found.is_none() {
                    notes.push(format!(
                        "the values file {} is new in this change",
                        values.display()
                    ));
                }
                found
            })
            .collect();
        BaseJob::Job { job: base, notes }
    }
}
