//! Where the values files are in the repository: paths relative to its root, from git, or from
//! `$GITHUB_WORKSPACE` where git is absent or refuses the directory.

use std::path::{Path, PathBuf};

/// The top of the repository the working directory is in: git's work tree, else
/// `$GITHUB_WORKSPACE` when the directory is under it (a container job without git, where
/// actions/checkout downloads a tarball, or a work tree git refuses as of dubious ownership).
/// `workspace` is `$GITHUB_WORKSPACE`.
pub(super) fn repository_root(cwd: &Path, workspace: Option<&str>) -> Option<PathBuf> {
    git_top_level(cwd).or_else(|| {
        let workspace = std::fs::canonicalize(workspace?).ok()?;
        std::fs::canonicalize(cwd).ok()?.starts_with(&workspace).then_some(workspace)
    })
}

pub(super) fn git_top_level(cwd: &Path) -> Option<PathBuf> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(cwd)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let top = String::from_utf8(out.stdout).ok()?;
    std::fs::canonicalize(top.trim()).ok()
}

/// `file` (as the user named it, relative to `cwd`) as a path in the repository, `/`-separated.
pub(super) fn repo_relative(cwd: &Path, top: &Path, file: &str) -> Option<String> {
    let path = std::fs::canonicalize(cwd.join(file)).ok()?;
    let rel = path.strip_prefix(top).ok()?;
    Some(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
}
