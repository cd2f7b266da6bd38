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
        // One git for both: the work tree's top (printed first, even when REF is unknown) and
        // REF's commit.
        let out = git(
            cwd,
            &["rev-parse", "--show-toplevel", "--verify", "--quiet", &format!("{rev}^{{commit}}")],
        )?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines();
        let Some(top) = lines.next().filter(|top| !top.is_empty()) else {
            return Err(Error::new(format!(
                "--base {rev}: {} is not in a git work tree",
                cwd.display()
            )));
        };
        let root =
            std::fs::canonicalize(top).map_err(|e| Error::new(format!("--base {rev}: {e}")))?;
        let sha = match lines.next() {
            Some(sha) if out.status.success() => sha.trim().to_string(),
            _ => {
                return Err(Error::new(format!(
                    "--base {rev}: no such commit in {} (in a shallow checkout, fetch it first: git fetch --depth=1 origin {rev})",
                    root.display()
                )))
            }
        };
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
        // Most often every path exists at REF, and one `git archive` takes them all. It refuses
        // the whole call for one missing path (before writing anything): then only those REF has.
        if !wanted.is_empty() && tree.extract(&sha, &wanted).is_err() {
            let existing = tree.existing(&sha, wanted)?;
            if !existing.is_empty() {
                tree.extract(&sha, &existing)?;
            }
        }
        crate::render::cache::written_once(tree.dir.path());
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

    /// Those of `paths` that exist at commit `sha`, asked of one `git cat-file --batch-check`
    /// (one answer line per path).
    fn existing(&self, sha: &str, paths: Vec<String>) -> Result<Vec<String>> {
        use std::io::Write;
        // A name with a line break cannot be a line of the batch: it is taken as absent.
        let paths: Vec<String> = paths.into_iter().filter(|p| !p.contains('\n')).collect();
        if paths.is_empty() {
            return Ok(paths);
        }
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(["cat-file", "--batch-check"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Error::new(format!("--base: cannot run git: {e}")))?;
        let specs: String = paths.iter().map(|p| format!("{sha}:{p}\n")).collect();
        let mut stdin = child.stdin.take().expect("piped stdin");
        // Written from a thread: git answers each line as it reads it, and a long list would
        // fill the pipe it answers on.
        let writer = std::thread::spawn(move || stdin.write_all(specs.as_bytes()));
        let out = child
            .wait_with_output()
            .map_err(|e| Error::new(format!("--base: git cat-file: {e}")))?;
        let _ = writer.join();
        let answers = String::from_utf8_lossy(&out.stdout);
        let answers: Vec<&str> = answers.lines().collect();
        if !out.status.success() || answers.len() != paths.len() {
            return Err(Error::new("--base: git cat-file --batch-check gave no answer per path"));
        }
        Ok(paths
            .into_iter()
            .zip(answers)
            // `<oid> blob|tree <size>`; absent or ambiguous names end in `missing`/`ambiguous`.
            .filter(|(_, answer)| {
                !answer.ends_with(" missing")
                    && matches!(answer.split(' ').nth(1), Some("blob" | "tree"))
            })
            .map(|(path, _)| path)
            .collect())
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
