//! `--base REF`: the change's failures against its base, in a real git repository with two
//! commits: new, fixed and existing failures, `--fail-on-new`, files new in the change.

mod common;

use common::{copy_dir, helm, helm_harden};
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

/// A repository with the mini chart and `values/prod.yaml`: the hardened fixture at the first
/// commit, then `edit` applied to it in the work tree (committed when `commit`).
fn repo(edit: impl Fn(&str) -> String, commit: bool) -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root.join("fixtures/charts/gloo-mini"), &dir.path().join("chart"));
    let hardened = std::fs::read_to_string(root.join("fixtures/values/hardened.yaml")).unwrap();
    std::fs::create_dir_all(dir.path().join("values")).unwrap();
    // At the base, one failure: Kubernetes destinations stay on (GLOO-010).
    let base = hardened
        .replace("  disableKubernetesDestinations: true", "  disableKubernetesDestinations: false");
    std::fs::write(dir.path().join("values/prod.yaml"), &base).unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    std::fs::write(dir.path().join("values/prod.yaml"), edit(&base)).unwrap();
    if commit {
        git(dir.path(), &["commit", "-q", "-am", "change"]);
    }
    dir
}

fn check(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let out = helm_harden()
        .current_dir(dir)
        .args(["check", "chart", "-f", "values/prod.yaml", "--helm"])
        .arg(helm().unwrap())
        .args(if extra.contains(&"--format") { &[][..] } else { &["--format", "json"][..] })
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap(), json, stderr)
}

/// The change weakens one value (one proxy replica: GLOO-019 new) and fixes another (GLOO-010).
fn weaken_and_fix(values: &str) -> String {
    values
        .replace("  disableKubernetesDestinations: false", "  disableKubernetesDestinations: true")
        .replacen("        replicas: 2", "        replicas: 1", 1)
}

#[test]
fn a_change_that_weakens_one_value_and_fixes_another() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let dir = repo(weaken_and_fix, true);
    let (code, json, stderr) = check(dir.path(), &["--base", "HEAD~1"]);
    assert_eq!(code, 1, "{stderr}");
    let failing: Vec<(&str, &str)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["change"].as_str().unwrap()))
        .collect();
    assert_eq!(failing, [("GLOO-019", "new")], "{json}");
    let comparison = &json["comparison"];
    assert!(comparison["base"].as_str().unwrap().starts_with("HEAD~1 ("), "{comparison}");
    assert_eq!(comparison["counts"], serde_json::json!({"new": 1, "fixed": 1, "existing": 0}));
    assert_eq!(comparison["fixed"][0]["rule"], "GLOO-010");
    // The gate on new failures alone fails on the weakening.
    assert_eq!(check(dir.path(), &["--base", "HEAD~1", "--fail-on-new"]).0, 1);
    // SARIF says it in its own terms, for code scanning.
    let (_, sarif, _) = check(dir.path(), &["--base", "HEAD~1", "--format", "sarif"]);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let states: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["ruleId"].as_str().unwrap(), r["baselineState"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("GLOO-019", "new")]);
}

#[test]
fn fail_on_new_passes_a_change_that_only_keeps_known_failures() {
    if common::helm_or_skip().is_none() {
        return;
    }
    // An edit that changes nothing hardening looks at: GLOO-010 stays failing.
    let dir = repo(|v| format!("# reviewed\n{v}"), false);
    let (code, json, stderr) = check(dir.path(), &["--base", "main", "--fail-on-new"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["findings"][0]["change"], "existing", "{json}");
    assert_eq!(json["comparison"]["counts"]["existing"], 1);
    // Without --fail-on-new the known failure still fails the gate.
    assert_eq!(check(dir.path(), &["--base", "main"]).0, 1);
    // The work tree is not touched: the uncommitted edit is still there.
    let text = std::fs::read_to_string(dir.path().join("values/prod.yaml")).unwrap();
    assert!(text.starts_with("# reviewed\n"));
}

#[test]
fn a_values_file_new_in_the_change_is_said_and_a_bad_ref_is_an_error() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let dir = repo(str::to_string, false);
    std::fs::write(
        dir.path().join("values/extra.yaml"),
        "settings:\n  disableKubernetesDestinations: true\n",
    )
    .unwrap();
    let out = helm_harden()
        .current_dir(dir.path())
        .args([
            "check",
            "chart",
            "-f",
            "values/prod.yaml",
            "-f",
            "values/extra.yaml",
            "--base",
            "HEAD",
            "--helm",
        ])
        .arg(helm().unwrap())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("compared with HEAD ("), "{text}");
    assert!(text.contains("the values file values/extra.yaml is new in this change"), "{text}");
    assert!(text.contains("FIXED GLOO-010"), "{text}");
    let (code, _, stderr) = check(dir.path(), &["--base", "no-such-ref"]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--base no-such-ref: no such commit"), "{stderr}");
}

/// `diff --base REF` in a repository with two commits: what the change does to the render
/// comes first, resource by resource (only the two it touches), then the hardened overlay's.
#[test]
fn diff_base_shows_what_the_change_does_to_the_render() {
    if common::helm_or_skip().is_none() {
        return;
    }
    // Locally, in a repository with two commits: the change on a branch, compared with main.
    let dir = repo(weaken_and_fix, false);
    git(dir.path(), &["checkout", "-q", "-b", "change"]);
    git(dir.path(), &["commit", "-q", "-am", "change"]);
    let diff = |format: &str| {
        let out = helm_harden()
            .current_dir(dir.path())
            .args([
                "diff",
                "chart",
                "-f",
                "values/prod.yaml",
                "--base",
                "main",
                "--format",
                format,
                "--helm",
            ])
            .arg(helm().unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&diff("json")).unwrap();
    let changed: Vec<(&str, &str)> = json["change"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["name"].as_str().unwrap()))
        .collect();
    assert_eq!(changed, [("Deployment", "gateway-proxy"), ("Settings", "default")], "{json}");
    let replicas = json["change"]["resources"][0]["diff"].as_str().unwrap();
    assert!(
        replicas.contains("-  replicas: 2") && replicas.contains("+  replicas: 1"),
        "{replicas}"
    );
    let text = diff("text");
    let change = text.find("Change since main (").expect("the change's diff");
    let hardened = text.find("Diff with the hardened overlay:").expect("then the overlay's");
    assert!(change < hardened, "{text}");
    let markdown = diff("markdown");
    assert!(markdown.starts_with("### Change since main"), "{markdown}");
    assert!(markdown.contains("### Diff with the hardened overlay"), "{markdown}");
}

/// `diff --base` and `check --base --diff` pair the head's renders on a machine with fewer cores
/// than renders, as `review` does: the base's helm then yields the CPU to the pair (nice 19), and
/// without a pair every helm runs at the user's priority.
#[cfg(target_os = "linux")]
#[test]
fn diff_and_check_against_the_base_yield_the_cpu_to_the_pair() {
    let Some(real) = common::helm_or_skip() else { return };
    let dir = repo(weaken_and_fix, false);
    for command in [&["diff", "chart"][..], &["check", "chart", "--diff"]] {
        let starts = |pair: &str| {
            let logs = tempfile::tempdir().unwrap();
            let out = helm_harden()
                .current_dir(dir.path())
                .args(command)
                .args(["-f", "values/prod.yaml", "--base", "HEAD", "--no-cache", "--helm"])
                .arg(common::nice_logging_helm(logs.path(), &real))
                .env("HELM_HARDEN_PAIR_RENDERS", pair)
                .output()
                .unwrap();
            assert!(out.status.code().is_some_and(|c| c < 2), "{command:?}: {out:?}");
            common::helm_starts(logs.path())
        };
        common::assert_yields_to_pair(&starts("1"), &starts("0"));
    }
}

/// Where no base commit applies (pre-commit, a local run), a committed baseline does the same:
/// `baseline --write` records the known failures, `check --baseline` marks what is new and what
/// the change fixed, and `--fail-on-new` gates on the new ones only; `hook run` takes it too.
#[test]
fn a_baseline_file_tells_new_failures_from_known_ones() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let dir = repo(str::to_string, false);
    let helm = helm().unwrap();
    let write = helm_harden()
        .current_dir(dir.path())
        .args(["baseline", "chart", "-f", "values/prod.yaml", "--write", "known.json", "--helm"])
        .arg(&helm)
        .output()
        .unwrap();
    assert!(write.status.success(), "{}", String::from_utf8_lossy(&write.stderr));
    let known: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("known.json")).unwrap())
            .unwrap();
    assert_eq!(known["targets"][0]["failures"][0]["rule"], "GLOO-010", "{known}");
    assert_eq!(
        known["targets"][0]["failures"][0]["values_path"],
        "settings.disableKubernetesDestinations"
    );
    // Written once: never replaced without --force.
    let again = helm_harden()
        .current_dir(dir.path())
        .args(["baseline", "chart", "-f", "values/prod.yaml", "--write", "known.json", "--helm"])
        .arg(&helm)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));

    let prod = dir.path().join("values/prod.yaml");
    let text = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(&prod, weaken_and_fix(&text)).unwrap();
    let (code, json, stderr) = check(dir.path(), &["--baseline", "known.json", "--fail-on-new"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(json["findings"][0]["rule"], "GLOO-019");
    assert_eq!(json["findings"][0]["change"], "new");
    assert_eq!(
        json["comparison"]["counts"],
        serde_json::json!({"new": 1, "fixed": 1, "existing": 0})
    );
    assert_eq!(json["comparison"]["base"], "baseline known.json");

    // Only the known failure: --fail-on-new passes, in check and in the hook.
    std::fs::write(&prod, format!("# reviewed\n{text}")).unwrap();
    assert_eq!(check(dir.path(), &["--baseline", "known.json", "--fail-on-new"]).0, 0);
    std::fs::write(
        dir.path().join(".helm-harden.yaml"),
        "targets:\n  - name: edge\n    chart: chart\n    values:\n      prod: [values/prod.yaml]\n",
    )
    .unwrap();
    let hook = |extra: &[&str]| {
        helm_harden()
            .current_dir(dir.path())
            .args(["hook", "run", "values/prod.yaml", "--helm"])
            .arg(&helm)
            .args(extra)
            .output()
            .unwrap()
    };
    let baseline_of_the_target = helm_harden()
        .current_dir(dir.path())
        .args(["baseline", "--write", "targets.json", "--helm"])
        .arg(&helm)
        .output()
        .unwrap();
    assert!(baseline_of_the_target.status.success());
    assert_eq!(hook(&[]).status.code(), Some(1), "the plain gate fails on the known failure");
    let gated = hook(&["--baseline", "targets.json", "--fail-on-new"]);
    assert_eq!(gated.status.code(), Some(0), "{}", String::from_utf8_lossy(&gated.stdout));
    // A file that is not a baseline is a one-line error naming it.
    std::fs::write(dir.path().join("bad.json"), "{\"version\": 1}\n").unwrap();
    let (code, _, stderr) = check(dir.path(), &["--baseline", "bad.json"]);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("bad.json:1:") && stderr.contains("not a helm-harden baseline"),
        "{stderr}"
    );
}

/// A base without Gloo (the change that brings the gateway in) is compared, not refused as a
/// render no rule applies to: every failure of the change is new.
#[test]
fn a_base_without_gloo_is_compared_and_every_failure_is_new() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("chart/templates")).unwrap();
    std::fs::create_dir_all(d.join("values")).unwrap();
    std::fs::write(d.join("chart/Chart.yaml"), "apiVersion: v2\nname: app\nversion: 0.1.0\n")
        .unwrap();
    std::fs::write(
        d.join("chart/templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    )
    .unwrap();
    std::fs::write(d.join("values/prod.yaml"), "{}\n").unwrap();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "app only"]);
    std::fs::remove_dir_all(d.join("chart")).unwrap();
    copy_dir(&root.join("fixtures/charts/gloo-mini"), &d.join("chart"));
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "the gateway"]);
    let (code, json, stderr) = check(d, &["--base", "HEAD~1"]);
    assert_eq!(code, 1, "{stderr}");
    let failing = json["findings"].as_array().unwrap();
    assert!(!failing.is_empty());
    assert!(failing.iter().all(|f| f["change"] == "new"), "{json}");
    assert_eq!(json["comparison"]["counts"]["existing"], 0, "{json}");
}
