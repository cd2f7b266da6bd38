//! The local gate as a developer meets it: the real pre-commit framework (from PyPI) running
//! this repository's hooks, the plain git hook judging staged content, `hook install`, the helm
//! plugin under helm 3 and helm 4, and `init`.
//!
//! Tools that may be missing (python3 for pre-commit, a second helm major) make a test skip
//! visibly with the reason (`common::skip`), unless `HELM_HARDEN_CI=1` (set by `.ci/run`), where
//! they must run.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Instant;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_helm-harden"))
}

use common::skip;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(root().join("fixtures").join(rel)).unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// git with a fixed identity and dates, so that commits of the same tree have the same sha.
fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .unwrap();
    out
}

fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git(dir, args);
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A user's repository: the Gloo-shaped fixture chart and a hardened values file, committed.
fn user_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    common::copy_dir(&root().join("fixtures/charts/gloo-mini"), &r.join("charts/gloo"));
    write(r, "values/prod.yaml", &fixture("values/hardened.yaml"));
    write(r, "README.md", "# platform\n");
    git_ok(r, &["init", "-q"]);
    git_ok(r, &["add", "-A"]);
    git_ok(r, &["commit", "-q", "--no-verify", "-m", "start"]);
    tmp
}

/// PATH with helm-harden's build directory first (and nothing else of ours).
fn path_with_bin() -> std::ffi::OsString {
    let mut dirs = vec![bin().parent().unwrap().to_path_buf()];
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).unwrap()
}

/// A helm that records that it was started, then runs the real one.
fn logging_helm(dir: &Path, real: &Path) -> PathBuf {
    common::shell_script(
        dir.join("logging-helm"),
        &format!(
            "echo \"$*\" >> '{}'\nexec '{}' \"$@\"",
            dir.join("helm.log").display(),
            real.display()
        ),
    )
}

// ---- pre-commit, the framework from PyPI ---------------------------------------------------

// Outer None: not looked for yet; inner None: looked for, not available.
#[allow(clippy::option_option)]
static PRE_COMMIT: Mutex<Option<Option<PathBuf>>> = Mutex::new(None);

/// `pre-commit` from `$PRE_COMMIT_BIN`, else a virtualenv under target/ made once (pip install).
fn pre_commit() -> Option<PathBuf> {
    let mut guard = PRE_COMMIT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = guard.as_ref() {
        return found.clone();
    }
    let found = install_pre_commit();
    *guard = Some(found.clone());
    found
}

fn install_pre_commit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PRE_COMMIT_BIN") {
        return Some(PathBuf::from(p));
    }
    let venv = root().join("target/test-tools/pre-commit-venv");
    let exe = venv.join("bin/pre-commit");
    if exe.is_file() {
        return Some(exe);
    }
    let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        skip(&format!(
            "python3 -m venv failed: {}",
            made.map_or_else(|e| e.to_string(), |o| text(&o))
        ));
        return None;
    }
    let pip =
        Command::new(venv.join("bin/pip")).args(["install", "-q", "pre-commit"]).output().unwrap();
    if !pip.status.success() {
        skip(&format!("pip install pre-commit failed: {}", text(&pip)));
        return None;
    }
    Some(exe)
}

/// A git repository holding this checkout's hook definitions (and, for the `language: rust`
/// hook, the sources pre-commit builds), committed with fixed dates: pre-commit clones a
/// revision, and the working tree under test may not be committed. Its path under target/ is
/// fixed, so pre-commit's store (keyed by repository and revision) reuses the hook it built
/// while the sources are unchanged.
fn hooks_repo(with_sources: bool) -> (PathBuf, String) {
    let dir = root().join(format!(
        "target/test-tools/hooks-repo-{}",
        if with_sources { "rust" } else { "system" }
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let r = dir.as_path();
    std::fs::copy(root().join(".pre-commit-hooks.yaml"), r.join(".pre-commit-hooks.yaml")).unwrap();
    if with_sources {
        for f in ["Cargo.toml", "Cargo.lock", "README.md"] {
            std::fs::copy(root().join(f), r.join(f)).unwrap();
        }
        common::copy_dir(&root().join("src"), &r.join("src"));
        common::copy_dir(&root().join("hooks"), &r.join("hooks"));
    }
    git_ok(r, &["init", "-q"]);
    git_ok(r, &["add", "-A"]);
    git_ok(r, &["commit", "-q", "-m", "hooks"]);
    let sha = git_ok(r, &["rev-parse", "HEAD"]);
    (dir, sha)
}

/// The four lines docs/local-gate.md ("pre-commit") tells a user to put in
/// `.pre-commit-config.yaml` (the repository pinned at a full commit SHA, as long as no release
/// tag exists), pointing at the local clone `hooks` at `sha`, with the hook `id`.
fn documented_pre_commit_config(hooks: &Path, sha: &str, id: &str) -> String {
    const REPO: &str = "https://github.com/OWNER/helm-harden";
    const REV: &str = "<full commit sha>";
    const HOOK: &str = "{id: helm-harden}";
    let page = std::fs::read_to_string(root().join("docs/local-gate.md")).unwrap();
    let section = &page[page.find("## pre-commit").expect("docs/local-gate.md: ## pre-commit")..];
    let start = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let lines = &section[start..start + section[start..].find("```").unwrap()];
    assert_eq!(lines.lines().count(), 4, "the documented config is four lines: {lines}");
    for placeholder in [REPO, REV, HOOK] {
        assert!(lines.contains(placeholder), "the documented config lacks {placeholder}: {lines}");
    }
    lines
        .replace(REPO, &hooks.display().to_string())
        .replace(REV, sha)
        .replace(HOOK, &format!("{{id: {id}}}"))
}

/// Sets the user repository up with pre-commit and the given hook of `hooks`.
fn use_pre_commit(pre_commit: &Path, repo: &Path, hooks: &Path, sha: &str, id: &str) {
    write(repo, ".pre-commit-config.yaml", &documented_pre_commit_config(hooks, sha, id));
    git_ok(repo, &["add", ".pre-commit-config.yaml"]);
    let out = Command::new(pre_commit).current_dir(repo).arg("install").output().unwrap();
    assert!(out.status.success(), "pre-commit install: {}", text(&out));
}

/// `git commit` with pre-commit's store kept under target/ (its clones and built hooks are
/// reused across runs).
fn commit(repo: &Path, envs: &[(&str, &std::ffi::OsStr)]) -> Output {
    let mut c = Command::new("git");
    c.current_dir(repo)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-m",
            "change",
        ])
        .env("PRE_COMMIT_HOME", root().join("target/test-tools/pre-commit-home"))
        .env("PRE_COMMIT_COLOR", "never")
        .env("NO_COLOR", "1")
        .env_remove("HELM_BIN");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn pre_commit_hook_blocks_weakening_passes_hardened_and_skips_unrelated() {
    let Some(helm) = common::helm() else { return skip("no helm") };
    let Some(pre_commit) = pre_commit() else { return };
    let user = user_repo();
    let repo = user.path();
    let (hooks, sha) = hooks_repo(false);
    use_pre_commit(&pre_commit, repo, &hooks, &sha, "helm-harden-system");
    let log_dir = tempfile::tempdir().unwrap();
    let helm = logging_helm(log_dir.path(), &helm);
    let envs = [("PATH", path_with_bin()), ("HELM_BIN", helm.clone().into_os_string())];
    let envs: Vec<(&str, &std::ffi::OsStr)> =
        envs.iter().map(|(k, v)| (*k, v.as_os_str())).collect();

    // Unrelated files only: the hook exits at once and helm never starts.
    write(repo, "README.md", "# platform\n\nnotes\n");
    git_ok(repo, &["add", "README.md"]);
    let out = commit(repo, &envs);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !log_dir.path().join("helm.log").exists(),
        "helm ran for an unrelated commit: {}",
        text(&out)
    );

    // A hardened change passes.
    write(repo, "values/prod.yaml", &format!("# reviewed\n{}", fixture("values/hardened.yaml")));
    git_ok(repo, &["add", "values/prod.yaml"]);
    let out = commit(repo, &envs);
    assert!(out.status.success(), "hardened values must pass: {}", text(&out));
    assert!(log_dir.path().join("helm.log").exists(), "the values change was checked");

    // A weakening change is blocked, with the rule, the values line and the fix.
    write(repo, "values/prod.yaml", &fixture("values/weak.yaml"));
    git_ok(repo, &["add", "values/prod.yaml"]);
    let out = commit(repo, &envs);
    let output = text(&out);
    assert!(!out.status.success(), "a weakening commit must fail: {output}");
    assert!(output.contains("FAIL GLOO-004"), "{output}");
    assert!(
        output.contains(
            "fix: gateway.validation.alwaysAcceptResources: false  (change at values/prod.yaml:5)"
        ),
        "{output}"
    );
    assert_eq!(
        git_ok(repo, &["rev-list", "--count", "HEAD"]),
        "3",
        "the weakening commit was not made"
    );

    // Deleting a template weakens too, although pre-commit passes hooks no deleted files.
    git_ok(repo, &["checkout", "HEAD", "--", "values/prod.yaml"]);
    git_ok(repo, &["rm", "-q", "charts/gloo/templates/8-gateway-proxy-pod-disruption-budget.yaml"]);
    let out = commit(repo, &envs);
    let output = text(&out);
    assert!(!out.status.success(), "deleting the proxy's PodDisruptionBudget must fail: {output}");
    assert!(output.contains("FAIL GLOO-020"), "{output}");
    assert_eq!(
        git_ok(repo, &["rev-list", "--count", "HEAD"]),
        "3",
        "the deleting commit was not made"
    );
}

/// The `language: rust` hook: pre-commit builds helm-harden from the repository with cargo
/// (a release build: minutes on a cold cache; CARGO_TARGET_DIR under target/ keeps the
/// build between runs).
#[test]
fn pre_commit_rust_hook_builds_from_source_and_blocks_weakening() {
    let Some(helm) = common::helm() else { return skip("no helm") };
    let Some(pre_commit) = pre_commit() else { return };
    let user = user_repo();
    let repo = user.path();
    let (hooks, sha) = hooks_repo(true);
    use_pre_commit(&pre_commit, repo, &hooks, &sha, "helm-harden");
    // cargo on PATH for pre-commit, and no helm-harden there: the hook must use its own build.
    let cargo = PathBuf::from(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    let path = std::env::join_paths(cargo.parent().into_iter().map(Path::to_path_buf).chain([
        PathBuf::from("/usr/local/bin"),
        PathBuf::from("/usr/bin"),
        PathBuf::from("/bin"),
    ]))
    .unwrap();
    let target = root().join("target/test-tools/pre-commit-cargo-target");
    write(repo, "values/prod.yaml", &fixture("values/weak.yaml"));
    git_ok(repo, &["add", "values/prod.yaml"]);
    let started = Instant::now();
    let out = commit(
        repo,
        &[
            ("PATH", path.as_os_str()),
            ("HELM_BIN", helm.as_os_str()),
            ("CARGO_TARGET_DIR", target.as_os_str()),
        ],
    );
    eprintln!("pre-commit with the language: rust hook took {:.1}s (includes the cargo build when not cached)", started.elapsed().as_secs_f64());
    let output = text(&out);
    assert!(!out.status.success(), "a weakening commit must fail: {output}");
    assert!(
        output.contains("FAIL GLOO-004") && output.contains("(change at values/prod.yaml:5)"),
        "{output}"
    );
}

// ---- the plain git hook ----------------------------------------------------------------------

fn install_git_hook(repo: &Path) {
    let out = Command::new(bin()).current_dir(repo).args(["hook", "install"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

fn plain_commit(repo: &Path, helm: &Path) -> Output {
    Command::new("git")
        .current_dir(repo)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "-q",
            "-m",
            "change",
        ])
        .env("PATH", path_with_bin())
        .env("HELM_BIN", helm)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn git_hook_judges_the_staged_content_not_the_working_tree() {
    let Some(helm) = common::helm() else { return skip("no helm") };
    let user = user_repo();
    let repo = user.path();
    install_git_hook(repo);
    let hardened = format!("# reviewed\n{}", fixture("values/hardened.yaml"));
    let weak = fixture("values/weak.yaml");

    // Hardened staged, a weakening edit left unstaged: the commit passes.
    write(repo, "values/prod.yaml", &hardened);
    git_ok(repo, &["add", "values/prod.yaml"]);
    write(repo, "values/prod.yaml", &weak);
    let out = plain_commit(repo, &helm);
    assert!(out.status.success(), "staged content is hardened: {}", text(&out));
    assert_eq!(
        std::fs::read_to_string(repo.join("values/prod.yaml")).unwrap(),
        weak,
        "the working tree is untouched"
    );

    // Weakening staged, hardened in the working tree: the commit fails, and nothing moves.
    git_ok(repo, &["add", "values/prod.yaml"]);
    write(repo, "values/prod.yaml", &hardened);
    let out = plain_commit(repo, &helm);
    let output = text(&out);
    assert!(!out.status.success(), "staged content is weak: {output}");
    assert!(
        output.contains("FAIL GLOO-004") && output.contains("(change at values/prod.yaml:5)"),
        "paths are the repository's: {output}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("values/prod.yaml")).unwrap(),
        hardened,
        "the working tree is untouched"
    );
    assert_eq!(
        git_ok(repo, &["show", ":values/prod.yaml"]),
        weak.trim_end(),
        "the index is untouched"
    );
    assert_eq!(git_ok(repo, &["rev-list", "--count", "HEAD"]), "2");
}

#[test]
fn git_hook_takes_git_ignored_chart_dependencies_from_the_working_tree() {
    let Some(helm) = common::helm() else { return skip("no helm") };
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    common::copy_dir(&root().join("fixtures/charts/umbrella"), &repo.join("platform"));
    write(repo, ".gitignore", "platform/charts/\n"); // as after `helm dependency build`
    git_ok(repo, &["init", "-q"]);
    git_ok(repo, &["add", "-A"]);
    git_ok(repo, &["commit", "-q", "--no-verify", "-m", "start"]);
    install_git_hook(repo);
    write(
        repo,
        "platform/values.yaml",
        &(std::fs::read_to_string(repo.join("platform/values.yaml")).unwrap() + "# touched\n"),
    );
    git_ok(repo, &["add", "platform/values.yaml"]);
    let out = plain_commit(repo, &helm);
    let output = text(&out);
    assert!(
        !output.contains("error:"),
        "the umbrella renders with its ignored dependency: {output}"
    );
    assert!(
        output.contains("platform/charts/gloo/templates/"),
        "the gloo dependency was rendered: {output}"
    );
}

#[test]
fn hook_install_never_overwrites_and_follows_core_hooks_path() {
    let user = user_repo();
    let repo = user.path();
    git_ok(repo, &["config", "core.hooksPath", "githooks"]);
    install_git_hook(repo);
    let installed = std::fs::read_to_string(repo.join("githooks/pre-commit")).unwrap();
    assert!(installed.starts_with("#!/bin/sh") && installed.contains("hook run --staged"));

    let out = Command::new(bin()).current_dir(repo).args(["hook", "install"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("githooks/pre-commit: a pre-commit hook already exists; not overwriting it"),
        "{}",
        text(&out)
    );

    git_ok(repo, &["config", "--unset", "core.hooksPath"]);
    write(repo, ".git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
    let out = Command::new(bin()).current_dir(repo).args(["hook", "install"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(repo.join(".git/hooks/pre-commit")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn hook_run_on_unrelated_files_exits_at_once_without_helm() {
    let user = user_repo();
    let started = Instant::now();
    let out = Command::new(bin())
        .current_dir(user.path())
        .args(["hook", "run", "README.md", "docs/gone.md"])
        .env("HELM_BIN", "/nonexistent/helm")
        .output()
        .unwrap();
    eprintln!("hook run on unrelated files: {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stdout.is_empty());
}

/// Without a config, the hook checks every chart whose files changed: an app chart without Gloo
/// beside the Gloo one is left out with a note, not refused (a config target is refused).
#[test]
fn hook_run_leaves_a_chart_without_gloo_out_with_a_note() {
    let Some(helm) = common::helm_or_skip() else { return };
    let user = user_repo();
    let r = user.path();
    write(r, "charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n");
    write(
        r,
        "charts/web/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    );
    let hook = |files: &[&str]| {
        Command::new(bin())
            .current_dir(r)
            .args(["hook", "run", "--no-cache"])
            .args(files)
            .env("HELM_BIN", &helm)
            .output()
            .unwrap()
    };
    let out = hook(&["charts/web/templates/cm.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(": no hardening rule applies to its render (no Gloo in it); not checked"),
        "{}",
        text(&out)
    );
    // Beside it, the Gloo chart is checked as before.
    let out = hook(&["charts/web/templates/cm.yaml", "charts/gloo/values.yaml"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("gloo (gloo 1.17.0)"), "{}", text(&out));
    // A config target that renders no Gloo is an error.
    write(r, ".helm-harden.yaml", "targets:\n  - chart: charts/web\n");
    let out = hook(&["charts/web/templates/cm.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no hardening rule applies"),
        "{}",
        text(&out)
    );
}

// ---- the helm plugin ---------------------------------------------------------------------------

/// The helm binaries of each major version available: `$HELM3_BIN`, `$HELM4_BIN`, `$HELM_BIN`,
/// PATH, and the ones `scripts/setup` installs.
fn helms_by_major() -> Vec<(String, PathBuf)> {
    let mut candidates: Vec<PathBuf> = ["HELM3_BIN", "HELM4_BIN", "HELM_BIN"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .collect();
    candidates.extend(common::helm());
    candidates.extend(
        [".tools/helm-v3/helm", ".tools/helm-v4/helm", ".tools/bin/helm"]
            .iter()
            .map(|p| root().join(p)),
    );
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for helm in candidates.into_iter().filter(|p| p.is_file()) {
        let Ok(out) = Command::new(&helm).args(["version", "--short"]).output() else { continue };
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let major = version.trim_start_matches('v').split('.').next().unwrap_or("").to_string();
        if !major.is_empty() && !found.iter().any(|(m, _)| *m == major) {
            found.push((major, helm));
        }
    }
    found.sort();
    found
}

#[test]
fn helm_plugin_runs_under_helm_3_and_helm_4() {
    let helms = helms_by_major();
    for major in ["3", "4"] {
        if !helms.iter().any(|(m, _)| m == major) {
            skip(&format!("no helm {major} (set HELM{major}_BIN)"));
        }
    }
    for (major, helm) in helms {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        // helm 4 installs into $HELM_DATA_HOME/plugins; both read $HELM_PLUGINS.
        let envs = [
            ("HELM_DATA_HOME", h.join("data")),
            ("HELM_PLUGINS", h.join("data/plugins")),
            ("HELM_CONFIG_HOME", h.join("config")),
            ("HELM_CACHE_HOME", h.join("cache")),
        ];
        // No helm on PATH: the plugin must render with the helm that calls it ($HELM_BIN).
        let path = std::env::join_paths([
            bin().parent().unwrap(),
            Path::new("/usr/bin"),
            Path::new("/bin"),
        ])
        .unwrap();
        let run = |args: &[&str]| {
            let mut c = Command::new(&helm);
            c.current_dir(root())
                .args(args)
                .envs(envs.iter().map(|(k, v)| (*k, v.as_os_str())))
                .env("PATH", &path)
                .env_remove("HELM_BIN")
                .env_remove("HELM_NAMESPACE")
                .env("NO_COLOR", "1");
            c.output().unwrap()
        };
        let out = run(&["plugin", "install", root().to_str().unwrap()]);
        assert!(out.status.success(), "helm {major}: plugin install: {}", text(&out));

        // helm takes -n itself and hands it over as $HELM_NAMESPACE, which reaches the render.
        let out = run(&[
            "harden",
            "check",
            "fixtures/charts/gloo-mini",
            "-f",
            "fixtures/values/weak.yaml",
            "-n",
            "plugin-ns",
            "--no-cache",
        ]);
        let output = text(&out);
        assert_eq!(out.status.code(), Some(1), "helm {major}: {output}");
        assert!(output.contains("plugin-ns/Deployment/gateway-proxy"), "helm {major}: {output}");
        assert!(
            output.contains("(change at fixtures/values/weak.yaml:5)"),
            "helm {major}: {output}"
        );

        let out = run(&["harden", "rules", "GLOO-004"]);
        assert!(
            out.status.success() && text(&out).contains("GLOO-004"),
            "helm {major}: {}",
            text(&out)
        );
    }
}

// ---- init --------------------------------------------------------------------------------------

fn init_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    common::copy_dir(&root().join("fixtures/charts/gloo-mini"), &r.join("deploy/gloo"));
    write(r, "deploy/gloo/values-ci.yaml", "gloo: {}\n");
    write(r, "deploy/envs/prod/values.yaml", &fixture("values/hardened.yaml"));
    write(r, "deploy/envs/staging/values.yaml", &fixture("values/weak.yaml"));
    write(r, "README.md", "# platform\n");
    write(r, "target/junk/Chart.yaml", "name: not-a-target\n");
    tmp
}

#[test]
fn init_prints_config_workflow_and_pre_commit_entry() {
    let repo = init_repo();
    let out = Command::new(bin()).current_dir(repo.path()).arg("init").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    insta::assert_snapshot!("init_output", String::from_utf8(out.stdout).unwrap());
}

#[test]
fn init_write_creates_working_files_and_never_overwrites() {
    let Some(helm) = common::helm() else { return skip("no helm") };
    let repo = init_repo();
    let r = repo.path();
    let out = Command::new(bin()).current_dir(r).args(["init", "--write"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    for f in [".helm-harden.yaml", ".github/workflows/helm-harden.yml", ".pre-commit-config.yaml"] {
        assert!(r.join(f).is_file(), "{f} written");
    }
    // The config it wrote drives a check of every value set.
    let out = Command::new(bin())
        .current_dir(r)
        .args(["check", "--no-cache", "--helm"])
        .arg(&helm)
        .output()
        .unwrap();
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "staging is weak: {output}");
    for target in ["gloo/ci", "gloo/prod", "gloo/staging"] {
        assert!(output.contains(target), "{target}: {output}");
    }

    let before = std::fs::read_to_string(r.join(".helm-harden.yaml")).unwrap();
    let out = Command::new(bin()).current_dir(r).args(["init", "--write"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(".helm-harden.yaml: already exists; not overwriting it"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(r.join(".helm-harden.yaml")).unwrap(), before);

    // One existing file stops everything: nothing else is written.
    let other = init_repo();
    write(other.path(), ".pre-commit-config.yaml", "repos: []\n");
    let out =
        Command::new(bin()).current_dir(other.path()).args(["init", "--write"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(".pre-commit-config.yaml: already exists"),
        "{}",
        text(&out)
    );
    assert!(
        !other.path().join(".helm-harden.yaml").exists() && !other.path().join(".github").exists()
    );
}

/// An overlay `overlay --write` generated in a values folder is applied after a value set, not
/// checked as one of its own (alone it would fail everything it does not fix).
#[test]
fn init_leaves_a_generated_overlay_out_of_the_value_sets() {
    let repo = init_repo();
    let r = repo.path();
    let overlay = r.join("deploy/values/hardening.yaml");
    std::fs::create_dir_all(overlay.parent().unwrap()).unwrap();
    let out = Command::new(bin())
        .current_dir(root())
        .args(["overlay", "--manifests", "fixtures/manifests/gloo-mini-default.yaml", "--write"])
        .arg(&overlay)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    write(r, "deploy/values/extra.yaml", "gloo: {}\n");
    let out = Command::new(bin()).current_dir(r).arg("init").output().unwrap();
    let config = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{config}");
    assert!(config.contains("deploy/values/extra.yaml"), "a values folder counts: {config}");
    assert!(!config.contains("hardening"), "{config}");
}

#[test]
fn init_rejects_a_repo_that_is_not_owner_slash_name() {
    let repo = init_repo();
    let out = Command::new(bin())
        .current_dir(repo.path())
        .args(["init", "--repo", "bad repo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--repo `bad repo`: not a GitHub repository; expected owner/name"),
        "{stderr}"
    );
}

#[test]
fn plugin_version_follows_the_crate() {
    let plugin = std::fs::read_to_string(root().join("plugin.yaml")).unwrap();
    assert!(
        plugin.contains(&format!("version: \"{}\"", env!("CARGO_PKG_VERSION"))),
        "plugin.yaml's version must be the crate's"
    );
}
