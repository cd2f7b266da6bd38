//! Shared helpers for integration tests: finding helm and the real charts, and a mock GitHub
//! REST API (`github_mock`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) mod github_mock;

/// `../shared/charts` beside the repository, when present.
pub(crate) fn shared_charts() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/charts");
    dir.is_dir().then_some(dir)
}

/// The real charts, or None after [`skip`] (the caller returns).
pub(crate) fn real_chart(version: &str) -> Option<PathBuf> {
    match shared_charts() {
        Some(dir) if dir.join(format!("gloo-{version}")).is_dir() => {
            Some(dir.join(format!("gloo-{version}")))
        }
        _ => {
            skip(&format!("../shared/charts/gloo-{version} is absent; real-chart test not run"));
            None
        }
    }
}

/// Skips the calling test (which then returns), visibly: `SKIPPED <test>: <reason>` goes
/// straight to the process's stderr, which libtest does not capture (it captures `print!` and
/// `eprint!` only), so the line shows in a plain `cargo test` right by the test's `ok`, and
/// `cargo test 2>&1 | grep SKIPPED` lists every skip. Under `HELM_HARDEN_CI=1` (`.ci/run`),
/// where every tool and file a test needs is present, the skip fails the test instead.
pub(crate) fn skip(reason: &str) {
    assert!(
        std::env::var_os("HELM_HARDEN_CI").is_none(),
        "required in CI (HELM_HARDEN_CI=1), not skipped: {reason}"
    );
    announce_skip(reason);
}

/// A skip the environment explains and CI can meet as well (running as root, where permission
/// bits do not stop reads): shown as [`skip`] shows it, never failing.
pub(crate) fn skip_here(reason: &str) {
    announce_skip(reason);
}

fn announce_skip(reason: &str) {
    use std::io::Write;
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {reason}");
}

/// The helm binary, or None after [`skip`] (the caller returns).
pub(crate) fn helm_or_skip() -> Option<PathBuf> {
    let found = helm();
    if found.is_none() {
        skip("no helm (run scripts/setup or set HELM_BIN)");
    }
    found
}

/// The helm binary: `$HELM_BIN`, else `helm` on PATH, else the one `scripts/setup` installs.
pub(crate) fn helm() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HELM_BIN") {
        return Some(PathBuf::from(p));
    }
    if let Ok(p) = which_helm() {
        return Some(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/helm");
    local.is_file().then_some(local)
}

fn which_helm() -> Result<PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path).map(|d| d.join("helm")).find(|p| p.is_file()).ok_or(())
}

/// `helm template gloo <chart> --namespace gloo-system [args]`, stdout as text.
pub(crate) fn helm_template(chart: &Path, args: &[&str]) -> String {
    let helm = helm().expect("helm is required for this test: run scripts/setup or set HELM_BIN");
    let out = Command::new(helm)
        .args(["template", "gloo"])
        .arg(chart)
        .args(["--namespace", "gloo-system"])
        .args(args)
        .output()
        .expect("run helm");
    assert!(out.status.success(), "helm template failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 render")
}

/// The binary under test, with a render cache private to this test process: results never
/// depend on what earlier runs (or stand-in helms with the same version text) left in the
/// user's cache.
pub(crate) fn helm_harden() -> assert_cmd::Command {
    static CACHE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = CACHE.get_or_init(|| tempfile::tempdir().expect("cache dir"));
    let mut cmd = assert_cmd::Command::cargo_bin("helm-harden").expect("binary");
    cmd.env("XDG_CACHE_HOME", dir.path());
    cmd
}

/// Copies a directory tree (a fixture or a real chart into a test's temp dir).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// (file number, chart version, whether the file is rendered through an umbrella chart with
/// gloo as the dependency `gloo`), as `../shared/realworld-values/README.md` says: the table of
/// `fixtures/realworld-charts.tsv`, which `scripts/bench` reads too.
pub(crate) static REALWORLD: std::sync::LazyLock<Vec<(&str, &str, bool)>> =
    std::sync::LazyLock::new(|| {
        let rows: Vec<(&str, &str, bool)> = include_str!("../../fixtures/realworld-charts.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let cols: Vec<&str> = l.split('\t').collect();
                let [number, version, umbrella] = cols[..] else {
                    panic!("fixtures/realworld-charts.tsv: not three columns: {l:?}")
                };
                assert!(matches!(umbrella, "yes" | "no"), "realworld-charts.tsv: {l:?}");
                (number, version, umbrella == "yes")
            })
            .collect();
        assert_eq!(rows.len(), 33, "every real-world values file but the one that is not YAML");
        rows
    });

pub(crate) fn realworld(number: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realworld-values");
    let entry = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(&format!("{number}-")))?;
    Some(entry.path())
}

/// The chart a real-world values file is rendered with (its README's): the real gloo chart of
/// `version`, or an [`umbrella`] around it in `dir` when `through_umbrella`.
pub(crate) fn realworld_chart(dir: &Path, version: &str, through_umbrella: bool) -> PathBuf {
    if through_umbrella {
        umbrella(dir, version)
    } else {
        real_chart(version).expect("real chart")
    }
}

/// An umbrella chart `platform` with the real gloo chart as its `gloo` dependency (condition
/// `gloo.enabled`), in `dir`.
pub(crate) fn umbrella(dir: &Path, version: &str) -> PathBuf {
    let root = dir.join(format!("umbrella-{version}"));
    if !root.exists() {
        copy_dir(&real_chart(version).expect("real chart"), &root.join("charts/gloo"));
        std::fs::write(
            root.join("Chart.yaml"),
            format!(
                "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n- name: gloo\n  version: \"{version}\"\n  repository: file://charts/gloo\n  condition: gloo.enabled\n"
            ),
        )
        .unwrap();
    }
    root
}

/// The pull request of the `--base` tests on gloo-mini, as (values at the base, values at the
/// head). At the base: the hardened fixture with three failures, Kubernetes destinations on
/// (GLOO-010), discovery on (GLOO-014) and warnings accepted (GLOO-005). The change fixes
/// GLOO-010, weakens the default proxy to one replica (GLOO-019: new) and adds a proxy,
/// `internalProxy`, with two replicas of its own: gloo-mini merges a proxy's block over the
/// default proxy's, so it is as hardened as that one and brings no failure. Expected: 1 new,
/// 1 fixed, 2 existing.
pub(crate) fn base_and_change() -> (String, String) {
    let hardened = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/values/hardened.yaml"),
    )
    .unwrap();
    let edit = |text: &str, from: &str, to: &str| {
        assert_eq!(text.matches(from).count(), 1, "{from:?} once in the fixture");
        text.replace(from, to)
    };
    let base = edit(
        &hardened,
        "  disableKubernetesDestinations: true",
        "  disableKubernetesDestinations: false",
    );
    let base = edit(&base, "  # GLOO-014\n  enabled: false", "  # GLOO-014\n  enabled: true");
    let base = edit(&base, "    allowWarnings: false", "    allowWarnings: true");
    let head = edit(
        &base,
        "  disableKubernetesDestinations: false",
        "  disableKubernetesDestinations: true",
    );
    // The default proxy's replicas (the control plane's are indented less).
    let head = edit(
        &head,
        "      deployment:\n        # GLOO-019\n        replicas: 2",
        "      deployment:\n        # GLOO-019\n        replicas: 1",
    );
    (base, head + ADDED_PROXY)
}

/// The proxy the change of [`base_and_change`] adds, at the end of its `gatewayProxies`.
pub(crate) const ADDED_PROXY: &str =
    "  internalProxy:\n    kind:\n      deployment:\n        replicas: 2\n";

/// What [`base_and_change`] does to gloo-mini's render, resource by resource (name, kind): the
/// proxy weakened, the Settings fixed, and the added proxy's own objects (its Deployment, its
/// Envoy ConfigMap and the bootstrap in it, its PodDisruptionBudget, its two Gateways in the
/// custom-resource ConfigMap); nothing else. Sorted.
pub(crate) const CHANGED_BY_THE_CHANGE: &[(&str, &str)] = &[
    ("default", "Settings"),
    ("gateway-proxy", "Deployment"),
    ("internal-proxy", "Deployment"),
    ("internal-proxy", "Gateway"),
    ("internal-proxy-envoy-config", "ConfigMap"),
    ("internal-proxy-envoy-config", "EnvoyBootstrap"),
    ("internal-proxy-pdb", "PodDisruptionBudget"),
    ("internal-proxy-ssl", "Gateway"),
];

/// The resources (name, kind) of a markdown render diff (`<summary>ns, name, Kind (group) ...
/// has changed:</summary>`), sorted.
pub(crate) fn resources_of_markdown_diff(markdown: &str) -> Vec<(String, String)> {
    let mut resources: Vec<(String, String)> = markdown
        .split("<summary>")
        .skip(1)
        .map(|rest| {
            let header = rest.split("</summary>").next().unwrap_or_default();
            let mut parts = header.splitn(3, ", ");
            let _namespace = parts.next();
            let name = parts.next().unwrap_or_default().to_string();
            let kind = parts.next().unwrap_or_default().split(' ').next().unwrap_or_default();
            (name, kind.to_string())
        })
        .collect();
    resources.sort();
    resources
}

/// The rule ID of each finding of a JSON report (`check --format json`), in report order.
pub(crate) fn finding_rules(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Writes `path` as an executable shell script running `body`; returns the path.
pub(crate) fn shell_script(path: PathBuf, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A helm that logs its arguments and runs the real one; `version` may be overridden.
pub(crate) fn logging_helm(dir: &Path, real: &Path, version: Option<&str>) -> PathBuf {
    let log = dir.join("helm.log");
    let fake_version = version
        .map(|v| format!("if [ \"$1\" = version ]; then echo {v}; exit 0; fi\n"))
        .unwrap_or_default();
    shell_script(
        dir.join("helm"),
        &format!(
            "echo \"$*\" >> '{}'\n{fake_version}exec '{}' \"$@\"",
            log.display(),
            real.display()
        ),
    )
}

/// A helm that logs, per start, its nice value (field 19 of its /proc stat line) and its
/// arguments, then runs the real one (Linux).
pub(crate) fn nice_logging_helm(dir: &Path, real: &Path) -> PathBuf {
    shell_script(
        dir.join("helm"),
        &format!(
            "echo \"$(cut -d')' -f2 /proc/$$/stat | cut -d' ' -f18) $*\" >> '{}'\nexec '{}' \"$@\"",
            dir.join("helm.log").display(),
            real.display()
        ),
    )
}

/// What the [`nice_logging_helm`] in `dir` logged: (nice value, which render: `pair` for the
/// wrapper of two, `base` for a `--base` render, else `head`), sorted, each once.
pub(crate) fn helm_starts(dir: &Path) -> Vec<(String, &'static str)> {
    let log = std::fs::read_to_string(dir.join("helm.log")).unwrap();
    let mut starts: Vec<(String, &str)> = log
        .lines()
        .map(|l| {
            let (nice, args) = l.split_once(' ').unwrap();
            let which = if args.contains("helm-harden-pair") {
                "pair"
            } else if args.contains("helm-harden-base-") {
                "base"
            } else {
                "head"
            };
            (nice.to_string(), which)
        })
        .collect();
    starts.sort();
    starts.dedup();
    starts
}

/// What `render::pair::yield_to_pair` promises, from [`helm_starts`] of a run whose renders
/// pair and of the same run without a pair: paired, the base's helm runs at nice 19 and every
/// other at this process's priority; alone, every helm at this process's.
pub(crate) fn assert_yields_to_pair(paired: &[(String, &str)], alone: &[(String, &str)]) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let ours = stat.rsplit(')').next().unwrap().split(' ').nth(17).unwrap().to_string();
    assert!(paired.contains(&("19".to_string(), "base")), "{paired:?}");
    assert!(paired.contains(&(ours.clone(), "pair")), "{paired:?}");
    assert!(!paired.iter().any(|(nice, which)| *which != "base" && *nice == "19"), "{paired:?}");
    assert!(alone.iter().all(|(nice, _)| *nice == ours), "{alone:?}");
    assert!(alone.iter().any(|(_, which)| *which == "base"), "{alone:?}");
}

/// How many `helm template` the [`logging_helm`] in `dir` ran.
pub(crate) fn templates_run(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("helm.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("template"))
        .count()
}
