//! The CLI driven as a user drives it: arguments, files, exit codes, stdout and stderr.

mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const MINI_RENDER: &str = "fixtures/manifests/gloo-mini-default.yaml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// helm-harden run from the repository root, with no config discovered from above and no
/// helm from the environment unless a test adds one.
fn cmd() -> Command {
    let mut c = common::helm_harden();
    c.current_dir(root()).env_remove("HELM_BIN").env_remove("NO_COLOR");
    c
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn stdout_of(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json_of(c: &mut Command) -> (i32, serde_json::Value) {
    let (code, stdout, stderr) = stdout_of(c);
    (
        code,
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {stderr}")),
    )
}

// ---- rules ---------------------------------------------------------------------------------

#[test]
fn rules_lists_every_rule() {
    let (code, out, _) = stdout_of(cmd().arg("rules"));
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().count(),
        86,
        "59 catalog rules, KGW-001..019, HH-001, HH-CONFIG, VALUES-001..006"
    );
    assert!(out.lines().any(|l| l.starts_with("VALUES-003") && l.contains("high")));
    assert!(out.lines().any(|l| l.starts_with("GLOO-001") && l.contains("medium")));
    assert!(out.lines().any(|l| l.starts_with("ENVOY-019")));
}

#[test]
fn rules_explains_one_rule_from_its_declaration() {
    cmd()
        .args(["rules", "gloo-005"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("GLOO-005 — Validation rejects warnings"))
        .stdout(predicate::str::contains("Why:"))
        .stdout(predicate::str::contains("Checks:"))
        .stdout(predicate::str::contains("gateway.validation.allowWarnings"));
}

#[test]
fn rules_explains_hh_config_which_expired_suppressions_point_to() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(tmp.path(), "hh.yaml", "suppressions:\n  - rule: GLOO-005\n    object: Settings/default\n    reason: old\n    expires: 2001-01-01\n");
    let (_, out, _) =
        stdout_of(cmd().args(["check", "--manifests", MINI_RENDER, "--config"]).arg(&config));
    assert!(out.contains("see `helm-harden rules HH-CONFIG`"), "{out}");
    cmd()
        .args(["rules", "HH-CONFIG"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "HH-CONFIG — Suppressions have not expired\nseverity: high\n",
        ))
        .stdout(predicate::str::contains("expires"));
    let (_, list, _) = stdout_of(cmd().arg("rules"));
    assert!(list.lines().any(|l| l.starts_with("HH-CONFIG ")), "{list}");
}

#[test]
fn unknown_rule_is_an_error() {
    cmd()
        .args(["rules", "GLOO-999"])
        .assert()
        .code(2)
        .stderr("error: unknown rule ID GLOO-999 (see `helm-harden rules`)\n");
}

// ---- check on pre-rendered manifests (no helm) ------------------------------------------------

#[test]
fn text_report_of_the_example_render() {
    let (code, out, err) = stdout_of(cmd().args([
        "check",
        "--manifests",
        MINI_RENDER,
        "-f",
        "fixtures/values/weak.yaml",
    ]));
    assert_eq!(code, 1, "the example fails the gate; stderr: {err}");
    assert!(!out.contains('\x1b'), "no colour when not on a terminal");
    insta::assert_snapshot!("check_text", out);
}

/// One heading per object, whatever line of it a finding is about (ENVOY-001 points at the
/// admin listener inside the bootstrap; the bootstrap's other findings at the object).
#[test]
fn the_text_report_names_each_object_once() {
    let Some(helm) = common::helm_or_skip() else { return };
    let (_, out, _) = stdout_of(cmd().env("HELM_BIN", helm).args([
        "check",
        "fixtures/charts/gloo-mini",
        "-n",
        "gloo-system",
        "-f",
        "fixtures/values/weak.yaml",
    ]));
    let headings: Vec<&str> =
        out.lines().filter(|l| l.starts_with("  ") && !l.starts_with("   ")).collect();
    let mut seen = std::collections::BTreeSet::new();
    for h in &headings {
        assert!(seen.insert(*h), "{h} is a heading twice:\n{out}");
    }
    assert!(
        headings.iter().any(|h| h.contains("EnvoyBootstrap/gateway-proxy-envoy-config")),
        "{out}"
    );
}

/// A chart may render objects as the items of a `List`; helm applies each, so each is checked.
#[test]
fn objects_inside_a_list_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let pdb = "---\n# Source: app/templates/budgets.yaml\napiVersion: v1\nkind: List\nitems:\n- apiVersion: policy/v1\n  kind: PodDisruptionBudget\n  metadata:\n    name: gateway-proxy-pdb\n    namespace: gloo-system\n  spec:\n    maxUnavailable: 1\n    selector:\n      matchLabels:\n        gateway-proxy-id: gateway-proxy\n";
    let render = std::fs::read_to_string(root().join(MINI_RENDER)).unwrap() + pdb;
    let file = write(dir.path(), "render.yaml", &render);
    let (_, json) =
        json_of(cmd().args(["check", "--all", "--format", "json", "--manifests"]).arg(&file));
    let g020 =
        json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "GLOO-020").unwrap();
    assert_eq!(g020["status"], "PASS", "{g020}");
    assert!(
        g020["message"]
            .as_str()
            .unwrap()
            .contains("PodDisruptionBudget/gateway-proxy-pdb maxUnavailable is 1"),
        "{g020}"
    );
}

#[test]
fn json_report_of_the_example_render() {
    let (code, json) = json_of(cmd().args([
        "check",
        "--manifests",
        MINI_RENDER,
        "--format",
        "json",
        "-f",
        "fixtures/values/weak.yaml",
    ]));
    assert_eq!(code, 1);
    assert_eq!(json["version"], 1);
    insta::assert_json_snapshot!("check_json", json);
}

#[test]
fn all_adds_passes_na_and_advisories() {
    let (_, failures) =
        json_of(cmd().args(["check", "--manifests", MINI_RENDER, "--format", "json"]));
    let (_, all) =
        json_of(cmd().args(["check", "--manifests", MINI_RENDER, "--format", "json", "--all"]));
    let count = |j: &serde_json::Value, s: &str| {
        j["findings"].as_array().unwrap().iter().filter(|f| f["status"] == s).count()
    };
    assert_eq!(count(&failures, "PASS"), 0);
    assert!(count(&all, "PASS") > 0 && count(&all, "NA") > 0 && count(&all, "ADVISORY") > 0);
    assert_eq!(count(&all, "FAIL"), count(&failures, "FAIL"));
    let summary = &all["summary"];
    assert_eq!(summary["pass"].as_u64().unwrap() as usize, count(&all, "PASS"));
    // NA results say why.
    assert!(all["findings"].as_array().unwrap().iter().filter(|f| f["status"] == "NA").all(|f| !f
        ["message"]
        .as_str()
        .unwrap()
        .is_empty()));
}

#[test]
fn manifests_from_stdin_match_the_file() {
    let text = std::fs::read_to_string(root().join(MINI_RENDER)).unwrap();
    let (_, from_file) =
        json_of(cmd().args(["check", "--manifests", MINI_RENDER, "--format", "json"]));
    let (code, from_stdin) =
        json_of(cmd().args(["check", "--manifests", "-", "--format", "json"]).write_stdin(text));
    assert_eq!(code, 1);
    assert_eq!(from_file, from_stdin);
}

#[test]
fn fail_on_sets_the_threshold() {
    let tmp = tempfile::tempdir().unwrap();
    // Switch off every rule that fails at high severity: --fail-on high then passes.
    let (_, json) = json_of(cmd().args(["check", "--manifests", MINI_RENDER, "--format", "json"]));
    let mut high: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "high")
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(!high.is_empty(), "the example has high-severity failures");
    // A rule fails once per object; the config names each once (a key given twice is an error).
    high.sort();
    high.dedup();
    let rules: String = high.iter().map(|r| format!("  {r}: off\n")).collect();
    let config = write(tmp.path(), ".helm-harden.yaml", &format!("rules:\n{rules}"));
    cmd().args(["check", "--manifests", MINI_RENDER, "--fail-on", "high"]).assert().code(1);
    cmd()
        .args(["check", "--manifests", MINI_RENDER, "--fail-on", "high", "--config"])
        .arg(&config)
        .assert()
        .code(0);
    cmd()
        .args(["check", "--manifests", MINI_RENDER, "--fail-on", "low", "--config"])
        .arg(&config)
        .assert()
        .code(1);
}

#[test]
fn fixes_point_at_the_values_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write(tmp.path(), "base.yaml", "gateway:\n  validation:\n    allowWarnings: true\n");
    let env = write(tmp.path(), "prod.yaml", "# prod\ngateway:\n  validation:\n    allowWarnings: true\n    alwaysAcceptResources: true\nsettings:\n  create: true\n");
    let (_, json) = json_of(
        cmd()
            .args(["check", "--manifests", MINI_RENDER, "--format", "json", "-f"])
            .arg(&base)
            .arg("-f")
            .arg(&env),
    );
    let fix = |rule: &str| {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule} fails"))["fix"]
            .clone()
    };
    // Set in both files: the last one wins.
    assert_eq!(fix("GLOO-005")["file"], env.display().to_string());
    assert_eq!(fix("GLOO-005")["line"], 4);
    assert_eq!(fix("GLOO-005")["exact"], true);
    // Not set anywhere: under its deepest parent in the last file.
    assert_eq!(fix("GLOO-003")["values_path"], "settings.invalidConfigPolicy.replaceInvalidRoutes");
    assert_eq!(fix("GLOO-003")["line"], 6);
    assert_eq!(fix("GLOO-003")["exact"], false);
    // --set beats every file.
    let (_, json) = json_of(
        cmd()
            .args([
                "check",
                "--manifests",
                MINI_RENDER,
                "--format",
                "json",
                "--set",
                "gateway.validation.allowWarnings=true",
                "-f",
            ])
            .arg(&env),
    );
    let f = json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "GLOO-005").unwrap()
        ["fix"]
        .clone();
    assert_eq!(f["file"], "--set");
    assert_eq!(f["set"], "--set gateway.validation.allowWarnings=true");
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let (_, out, _) =
        stdout_of(cmd().args(["check", "--manifests", MINI_RENDER, "--color", "always"]));
    assert!(out.contains("\x1b["));
    let (_, out, _) =
        stdout_of(cmd().args(["check", "--manifests", MINI_RENDER, "--color", "never"]));
    assert!(!out.contains('\x1b'));
}

// ---- errors: one line, exit 2 ---------------------------------------------------------------

fn fails_with(c: &mut Command, expected: &str) {
    let (code, out, err) = stdout_of(c);
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(expected),
        "expected `{expected}` in: {err}"
    );
    assert!(out.is_empty(), "nothing on stdout: {out}");
}

#[test]
fn values_that_do_not_parse_name_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(tmp.path(), "bad.yaml", "gateway:\n  validation: [true,\n");
    // The error is at the end of input: placed at the end of the last line, not on line 3.
    fails_with(
        cmd().args(["check", "--manifests", MINI_RENDER, "-f"]).arg(&bad),
        &format!("{}:2:21:", bad.display()),
    );
    let list = write(tmp.path(), "list.yaml", "- a\n- b\n");
    fails_with(
        cmd().args(["check", "--manifests", MINI_RENDER, "-f"]).arg(&list),
        "values must be a mapping",
    );
    fails_with(
        cmd().args(["check", "--manifests", MINI_RENDER, "-f", "/nonexistent/v.yaml"]),
        "/nonexistent/v.yaml: cannot read values file: no such file",
    );
}

#[test]
fn bad_set_is_an_error() {
    fails_with(
        cmd().args(["check", "--manifests", MINI_RENDER, "--set", "gateway.validation"]),
        "--set gateway.validation: expected key=value",
    );
}

#[test]
fn render_errors_name_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = write(
        tmp.path(),
        "render.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [a,\n",
    );
    fails_with(
        cmd().args(["check", "--manifests"]).arg(&broken),
        &format!("{}:", broken.display()),
    );
    let empty = write(tmp.path(), "empty.yaml", "---\n# nothing\n");
    fails_with(cmd().args(["check", "--manifests"]).arg(&empty), "the render is empty");
    let list = write(tmp.path(), "list.yaml", "- just\n- a list\n");
    fails_with(cmd().args(["check", "--manifests"]).arg(&list), ":1:1: document is not a mapping");
    std::fs::write(
        tmp.path().join("latin1.yaml"),
        b"kind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
    )
    .unwrap();
    fails_with(
        cmd().args(["check", "--manifests"]).arg(tmp.path().join("latin1.yaml")),
        ":3:1: manifests are not UTF-8",
    );
    fails_with(cmd().args(["check", "--manifests", "/nonexistent/render.yaml"]), "no such file");
}

#[test]
fn missing_chart_and_missing_helm() {
    fails_with(cmd().args(["check", "/nonexistent/chart"]), "/nonexistent/chart: chart not found");
    let tmp = tempfile::tempdir().unwrap();
    fails_with(cmd().arg("check").arg(tmp.path()), "not a chart: no Chart.yaml");
    fails_with(
        cmd().args(["check", "fixtures/charts/gloo-mini", "--helm", "/nonexistent/helm"]),
        "helm not found at /nonexistent/helm",
    );
    fails_with(
        cmd().args(["check", "fixtures/charts/gloo-mini"]).env("HELM_BIN", "/nonexistent/helm"),
        "helm not found at /nonexistent/helm (from $HELM_BIN)",
    );
    fails_with(
        cmd().args(["check", "fixtures/charts/gloo-mini"]).env("PATH", tmp.path()),
        "helm not found",
    );
}

#[test]
fn no_chart_outside_a_chart_directory() {
    let tmp = tempfile::tempdir().unwrap();
    fails_with(cmd().arg("check").current_dir(tmp.path()), "no chart to check");
}

/// A stand-in helm for failure modes only real helm cannot be made to show on demand.
fn fake_helm(dir: &Path, body: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    common::shell_script(dir.join("helm"), body)
}

#[test]
fn helm_failure_shows_its_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let helm = fake_helm(tmp.path(), "echo 'walk.go:74: found symbolic link' >&2\necho 'Error: template: gloo/templates/x.yaml:3: unexpected EOF' >&2\nexit 1");
    fails_with(cmd().args(["check", "fixtures/charts/gloo-mini", "--helm"]).arg(&helm), "helm template failed: walk.go:74: found symbolic link | Error: template: gloo/templates/x.yaml:3: unexpected EOF");
}

/// helm runs with a slower Go collector pace (GOGC=400) unless the user chose one: the render
/// is a short batch job. The stand-in helm writes the environment it got beside itself.
#[test]
fn helm_gets_a_batch_gc_pace_unless_the_user_set_one() {
    let tmp = tempfile::tempdir().unwrap();
    let seen_file = tmp.path().join("seen");
    let helm = fake_helm(
        tmp.path(),
        &format!("echo \"GOGC=${{GOGC:-unset}} GOMEMLIMIT=${{GOMEMLIMIT:-unset}}\" > '{}'\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: x\\n'", seen_file.display()),
    );
    let seen = |env: &[(&str, &str)]| {
        let _ = std::fs::remove_file(&seen_file);
        let mut c = cmd();
        // The stand-in renders one unrelated ConfigMap: a deliberate run without Gloo.
        c.args(["check", "fixtures/charts/gloo-mini", "--no-cache", "--allow-no-gloo", "--helm"])
            .arg(&helm)
            .env_remove("GOGC")
            .env_remove("GOMEMLIMIT");
        let (code, _, stderr) = stdout_of(c.envs(env.iter().copied()));
        assert!(code < 2, "{stderr}");
        std::fs::read_to_string(&seen_file).expect("helm ran").trim().to_string()
    };
    assert_eq!(seen(&[]), "GOGC=400 GOMEMLIMIT=unset");
    assert_eq!(seen(&[("GOGC", "150")]), "GOGC=150 GOMEMLIMIT=unset");
    assert_eq!(seen(&[("GOMEMLIMIT", "1GiB")]), "GOGC=unset GOMEMLIMIT=1GiB");
}

/// The helm binary starts in the language whose kubectl catalogue loads fastest (LC_ALL, see
/// `render::helm_env`), whatever the user's: helm prints the same in any (tests/render_locale.rs).
/// A wrapper script is left in the user's, where its shell would warn about a missing locale.
/// The compiled stand-in is a copy of the shell named `helm`: started as `helm template ...`, it
/// runs the script named `template` in its working directory.
#[test]
fn the_helm_binary_starts_in_the_cheapest_language_and_a_wrapper_in_the_users() {
    let tmp = tempfile::tempdir().unwrap();
    let seen_file = tmp.path().join("seen");
    let body = format!(
        "echo \"LC_ALL=${{LC_ALL:-unset}}\" > '{}'\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: x\\n'\n",
        seen_file.display()
    );
    let wrapper = fake_helm(&tmp.path().join("wrapper"), &body);
    let binary = tmp.path().join("bin/helm");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::copy("/bin/sh", &binary).unwrap();
    let work = tmp.path().join("work");
    write(&work, "template", &body);
    let seen = |helm: &Path, user: Option<&str>| {
        let _ = std::fs::remove_file(&seen_file);
        let mut c = cmd();
        // The stand-in renders one unrelated ConfigMap: a deliberate run without Gloo.
        c.current_dir(&work)
            .arg("check")
            .arg(root().join("fixtures/charts/gloo-mini"))
            .args(["--no-cache", "--allow-no-gloo", "--helm"])
            .arg(helm)
            .env_remove("LC_ALL");
        if let Some(language) = user {
            c.env("LC_ALL", language);
        }
        let (code, _, stderr) = stdout_of(&mut c);
        assert!(code < 2, "{stderr}");
        std::fs::read_to_string(&seen_file).expect("helm ran").trim().to_string()
    };
    let ours = format!("LC_ALL={}", helm_harden::render::HELM_LANGUAGE);
    assert_eq!(seen(&binary, None), ours);
    assert_eq!(seen(&binary, Some("de_DE.UTF-8")), ours);
    assert_eq!(seen(&wrapper, None), "LC_ALL=unset");
    assert_eq!(seen(&wrapper, Some("de_DE.UTF-8")), "LC_ALL=de_DE.UTF-8");
}

#[test]
fn a_hanging_helm_is_killed_with_its_children() {
    let tmp = tempfile::tempdir().unwrap();
    let pidfile = tmp.path().join("child.pid");
    let helm =
        fake_helm(tmp.path(), &format!("sleep 300 &\necho $! > {}\nwait", pidfile.display()));
    let started = std::time::Instant::now();
    fails_with(
        cmd().args(["check", "fixtures/charts/gloo-mini", "--timeout", "1", "--helm"]).arg(&helm),
        "helm did not finish within 1s and was killed",
    );
    assert!(started.elapsed().as_secs() < 60);
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_string();
    // The grandchild (sleep) went with the process group.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let alive = std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ");
    assert!(!alive, "child {pid} of helm survived the timeout");
}

// ---- the real helm on the bundled example chart ---------------------------------------------

#[test]
fn checks_the_bundled_chart_with_real_helm() {
    let Some(helm) = common::helm_or_skip() else { return };
    let (code, from_helm) = json_of(
        cmd()
            .args([
                "check",
                "fixtures/charts/gloo-mini",
                "-n",
                "gloo-system",
                "--release",
                "gloo",
                "--format",
                "json",
                "--helm",
            ])
            .arg(&helm),
    );
    assert_eq!(code, 1);
    let (_, from_file) =
        json_of(cmd().args(["check", "--manifests", MINI_RENDER, "--format", "json"]));
    let rules = |j: &serde_json::Value| {
        let mut v: Vec<String> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["rule"], f["object"]["name"]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        rules(&from_helm),
        rules(&from_file),
        "the committed render is current (regenerate fixtures/manifests)"
    );
    assert_eq!(from_helm["chart"]["name"], "gloo");
    assert_eq!(from_helm["chart"]["version"], "1.17.0");
    // Run inside the chart directory with no CHART: the chart and its own values.
    let (code, here) = json_of(
        cmd()
            .args(["check", "-n", "gloo-system", "--release", "gloo", "--format", "json", "--helm"])
            .arg(&helm)
            .current_dir(root().join("fixtures/charts/gloo-mini")),
    );
    assert_eq!(code, 1);
    assert_eq!(rules(&here), rules(&from_helm));
}

// ---- config -----------------------------------------------------------------------------------

#[test]
fn config_targets_are_all_checked() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let chart = root().join("fixtures/charts/gloo-mini");
    write(tmp.path(), "values/staging.yaml", "gateway:\n  validation:\n    allowWarnings: true\n");
    write(tmp.path(), "values/prod.yaml", "gateway:\n  validation:\n    allowWarnings: false\n");
    write(
        tmp.path(),
        ".helm-harden.yaml",
        &format!("targets:\n  - name: edge\n    chart: {}\n    namespace: gloo-system\n    values:\n      staging: values/staging.yaml\n      prod: [values/prod.yaml]\n", chart.display()),
    );
    let sub = tmp.path().join("deep/down");
    std::fs::create_dir_all(&sub).unwrap();
    let (code, json) =
        json_of(cmd().args(["check", "--format", "json", "--helm"]).arg(&helm).current_dir(&sub));
    assert_eq!(code, 1);
    let reports = json["reports"].as_array().expect("one report per target and value set");
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["target"], "edge/staging");
    assert_eq!(reports[1]["target"], "edge/prod");
    let fails = |r: &serde_json::Value, rule: &str| {
        r["findings"].as_array().unwrap().iter().any(|f| f["rule"] == rule)
    };
    assert!(fails(&reports[0], "GLOO-005"));
    assert!(!fails(&reports[1], "GLOO-005"));
    // Rendered one at a time or all at once, the report is the same, in target order.
    let (_, serial) = json_of(
        cmd().args(["check", "--format", "json", "-j", "1", "--helm"]).arg(&helm).current_dir(&sub),
    );
    let (_, parallel) = json_of(
        cmd().args(["check", "--format", "json", "-j", "4", "--helm"]).arg(&helm).current_dir(&sub),
    );
    assert_eq!(serial, json);
    assert_eq!(parallel, json);
}

#[test]
fn suppressions_hide_warn_and_expire() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(
        tmp.path(),
        "hh.yaml",
        "suppressions:\n  - rule: GLOO-005\n    object: Settings/*\n    reason: rollout in progress\n    expires: 2999-01-01\n  - rule: GLOO-006\n    object: Deployment/nothing-like-this\n    reason: stale\n",
    );
    let (_, json) = json_of(
        cmd()
            .args(["check", "--manifests", MINI_RENDER, "--format", "json", "--config"])
            .arg(&config),
    );
    let g5 = json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "GLOO-005").unwrap();
    assert_eq!(g5["suppressed"], "rollout in progress");
    assert_eq!(json["summary"]["suppressed"], 1);
    assert!(
        json["warnings"][0].as_str().unwrap().ends_with(
            ":6: suppression of GLOO-006 for Deployment/nothing-like-this matched nothing"
        ),
        "{}",
        json["warnings"]
    );

    let expired = write(tmp.path(), "expired.yaml", "suppressions:\n  - rule: GLOO-005\n    object: Settings/default\n    reason: old\n    expires: 2001-01-01\n");
    let (_, json) = json_of(
        cmd()
            .args(["check", "--manifests", MINI_RENDER, "--format", "json", "--config"])
            .arg(&expired),
    );
    let rules: Vec<&str> =
        json["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"HH-CONFIG") && rules.contains(&"GLOO-005"), "{rules:?}");
}

/// `overlay --write` and `--sarif-file` give a new file the mode any new file gets (0666 less the
/// umask: 0644 here), not the temporary file's 0600, and keep the mode of a file they replace.
/// An error names the user's path only, never the temporary file.
#[cfg(unix)]
#[test]
fn written_files_get_normal_permissions_and_errors_name_only_the_path_given() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    // `args` then the file to write, run with umask 022.
    let with_umask_022 = |args: &[&str], file: &Path| {
        let mut c = Command::new("sh");
        c.current_dir(root()).env("XDG_CACHE_HOME", tmp.path().join("cache"));
        c.args(["-c", "umask 022 && exec \"$0\" \"$@\""])
            .arg(assert_cmd::cargo::cargo_bin("helm-harden"))
            .args(args)
            .arg(file);
        c
    };
    let write_overlay = [
        "overlay",
        "--manifests",
        MINI_RENDER,
        "-f",
        "fixtures/values/weak.yaml",
        "--force",
        "--write",
    ];
    let write_sarif = ["check", "--manifests", MINI_RENDER, "--sarif-file"];
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let overlay = tmp.path().join("overlay.yaml");
    let sarif = tmp.path().join("out.sarif");
    with_umask_022(&write_overlay, &overlay).assert().success();
    with_umask_022(&write_sarif, &sarif).assert().code(1);
    assert_eq!((mode(&overlay), mode(&sarif)), (0o644, 0o644));
    for path in [&overlay, &sarif] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o664)).unwrap();
    }
    with_umask_022(&write_overlay, &overlay).assert().success();
    with_umask_022(&write_sarif, &sarif).assert().code(1);
    assert_eq!((mode(&overlay), mode(&sarif)), (0o664, 0o664), "a replaced file keeps its mode");
    let missing = tmp.path().join("no/such/dir/overlay.yaml");
    let (code, out, err) =
        stdout_of(cmd().args(["overlay", "--manifests", MINI_RENDER, "--write"]).arg(&missing));
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        format!("error: {}: cannot write: no such directory\n", missing.display()),
        "no temporary file named"
    );
}

/// A suppression that matched nothing is seen in every format, once: JSON and SARIF keep stdout for the
/// document and say it on stderr, once however many targets share the config.
#[test]
fn unused_suppressions_warn_on_stderr_once_in_json_and_sarif() {
    let tmp = tempfile::tempdir().unwrap();
    let unused = "suppressions:\n  - rule: GLOO-006\n    object: Deployment/nothing-like-this\n    reason: stale\n";
    let config = write(tmp.path(), "hh.yaml", unused);
    let expected = format!(
        "warning: {}:2: suppression of GLOO-006 for Deployment/nothing-like-this matched nothing\n",
        config.display()
    );
    for format in ["json", "sarif"] {
        let (code, out, err) = stdout_of(
            cmd()
                .args(["check", "--manifests", MINI_RENDER, "--format", format, "--config"])
                .arg(&config),
        );
        assert_eq!(code, 1, "{err}");
        assert_eq!(err, expected, "--format {format}");
        serde_json::from_str::<serde_json::Value>(&out).expect("stdout stays pure JSON");
    }
    let Some(helm) = common::helm_or_skip() else { return };
    let chart = root().join("fixtures/charts/gloo-mini");
    write(tmp.path(), "values/a.yaml", "{}\n");
    write(tmp.path(), "values/b.yaml", "{}\n");
    let targets = write(
        tmp.path(),
        ".helm-harden.yaml",
        &format!("targets:\n  - name: edge\n    chart: {}\n    values:\n      a: values/a.yaml\n      b: values/b.yaml\n{unused}", chart.display()),
    );
    let (code, out, err) = stdout_of(
        cmd().args(["check", "--format", "json", "--helm"]).arg(&helm).current_dir(tmp.path()),
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(err, format!("warning: {}:8: suppression of GLOO-006 for Deployment/nothing-like-this matched nothing\n", targets.display()), "once for two targets");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        json["reports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["warnings"].as_array().unwrap().len() == 1),
        "JSON keeps each report's warnings"
    );
    // Text output: after both reports, once.
    let (_, out, _) = stdout_of(cmd().args(["check", "--helm"]).arg(&helm).current_dir(tmp.path()));
    assert_eq!(out.matches("matched nothing").count(), 1, "{out}");
    assert!(
        out.trim_end()
            .ends_with("suppression of GLOO-006 for Deployment/nothing-like-this matched nothing"),
        "{out}"
    );
}

#[test]
fn config_mistakes_name_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let config =
        write(tmp.path(), ".helm-harden.yaml", "rules:\n  GLOO-001: off\n  GLOO-404: low\n");
    // Discovered from the working directory.
    fails_with(
        cmd().args(["check", "--manifests"]).arg(root().join(MINI_RENDER)).current_dir(tmp.path()),
        ".helm-harden.yaml:3:3: unknown rule ID GLOO-404",
    );
    fails_with(
        cmd().args(["check", "--manifests", MINI_RENDER, "--config"]).arg(&config),
        &format!("{}:3:3: unknown rule ID GLOO-404", config.display()),
    );
}

// ---- umbrella and packaged charts -----------------------------------------------------------

#[test]
fn umbrella_fixture_gets_the_same_verdicts_with_gloo_prefixed_fixes() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // The umbrella's own values.yaml, as the gloo chart itself would take them.
    let flat_defaults = write(tmp.path(), "flat-defaults.yaml", "gatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      probes: true\ngateway:\n  validation:\n    alwaysAcceptResources: false\nsettings:\n  disableKubernetesDestinations: true\nglobal:\n  glooStats:\n    routePrefixRewrite: /stats/prometheus?usedonly\n");
    let nested = write(tmp.path(), "platform.yaml", "gloo:\n  gateway:\n    validation:\n      allowWarnings: true\n      failurePolicy: Ignore\n  gatewayProxies:\n    gatewayProxy:\n      kind:\n        deployment:\n          replicas: 1\n");
    let flat = write(tmp.path(), "flat.yaml", "gateway:\n  validation:\n    allowWarnings: true\n    failurePolicy: Ignore\ngatewayProxies:\n  gatewayProxy:\n    kind:\n      deployment:\n        replicas: 1\n");
    let args = ["-n", "gloo-system", "--release", "gloo", "--format", "json", "--all", "--helm"];
    let (_, umbrella) = json_of(
        cmd()
            .args(["check", "fixtures/charts/umbrella"])
            .args(args)
            .arg(&helm)
            .arg("-f")
            .arg(&nested),
    );
    let (_, direct) = json_of(
        cmd()
            .args(["check", "fixtures/charts/gloo-mini"])
            .args(args)
            .arg(&helm)
            .arg("-f")
            .arg(&flat_defaults)
            .arg("-f")
            .arg(&flat),
    );
    let verdicts = |j: &serde_json::Value| {
        let mut v: Vec<String> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {} {}", f["rule"], f["status"], f["object"]["name"]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        verdicts(&umbrella),
        verdicts(&direct),
        "the packaged gloo-mini in the umbrella is current and judged the same"
    );
    assert_eq!(umbrella["chart"]["name"], "platform");
    let fix = |rule: &str| {
        umbrella["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule && f["status"] == "FAIL")
            .unwrap()["fix"]
            .clone()
    };
    assert_eq!(fix("GLOO-005")["values_path"], "gloo.gateway.validation.allowWarnings");
    assert_eq!(
        (fix("GLOO-005")["line"].clone(), fix("GLOO-005")["exact"].clone()),
        (serde_json::json!(4), serde_json::json!(true))
    );
    assert_eq!(fix("GLOO-007")["line"], 5);
    assert_eq!(
        fix("GLOO-019")["values_path"],
        "gloo.gatewayProxies.gatewayProxy.kind.deployment.replicas"
    );
    assert_eq!(fix("GLOO-019")["line"], 10);
    // A key the user's file does not have goes under its deepest parent there.
    assert_eq!(
        fix("GLOO-003")["values_path"],
        "gloo.settings.invalidConfigPolicy.replaceInvalidRoutes"
    );
    assert_eq!(
        (fix("GLOO-003")["line"].clone(), fix("GLOO-003")["exact"].clone()),
        (serde_json::json!(1), serde_json::json!(false))
    );
}

#[test]
fn packaged_chart_is_checked_too() {
    let Some(helm) = common::helm_or_skip() else { return };
    let (code, json) = json_of(
        cmd()
            .args([
                "check",
                "fixtures/charts/umbrella/charts/gloo-1.17.0-mini.tgz",
                "-n",
                "gloo-system",
                "--release",
                "gloo",
                "--format",
                "json",
                "--helm",
            ])
            .arg(&helm),
    );
    assert_eq!(code, 1);
    assert_eq!(json["chart"]["name"], "gloo", "named from the render's # Source: lines");
    assert_eq!(json["chart"]["version"], "1.17.0", "from the gloo image tag");
}

#[test]
fn overlay_header_says_what_the_overlay_is_made_of() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = write(tmp.path(), "mine.yaml", "gateway:\n  validation:\n    failurePolicy: Fail\n");
    let base = ["overlay", "--manifests", MINI_RENDER, "-f", "fixtures/values/weak.yaml"];
    let first_line =
        |c: &mut Command| stdout_of(c).1.lines().next().unwrap_or_default().to_string();
    let generated = first_line(cmd().args(base));
    assert!(
        generated.contains(": fixes ") && generated.ends_with(" rule(s) through values."),
        "{generated}"
    );
    // Only the user's overlay: nothing generated, so no rule count that would read "fixes 0".
    let only_mine = first_line(cmd().args(base).arg("--overlay").arg(&mine));
    assert!(
        only_mine.contains(&format!(
            ": your overlay {} (`helm-harden diff` shows what it fixes).",
            mine.display()
        )),
        "{only_mine}"
    );
    assert!(!only_mine.contains("fixes 0"), "{only_mine}");
    let added = first_line(cmd().args(base).arg("--overlay").arg(&mine).arg("--overlay-add"));
    assert!(
        added.contains(" rule(s) through values, with ") && added.contains("mine.yaml"),
        "{added}"
    );
}

#[test]
fn a_rule_is_explained_in_markdown_when_asked() {
    let (code, text, _) = stdout_of(cmd().args(["rules", "GLOO-007"]));
    let (md_code, md, _) = stdout_of(cmd().args(["rules", "GLOO-007", "--format", "markdown"]));
    assert_eq!((code, md_code), (0, 0));
    assert!(text.starts_with("GLOO-007 — ") && md.starts_with("### GLOO-007 — "), "{md}");
    assert!(md.contains("| all versions | `gateway.validation.failurePolicy` | `Fail` |"), "{md}");
}

// ---- nothing passes in silence --------------------------------------------------------------

/// What `helm create nginx` renders, trimmed: no Gloo anywhere.
const NGINX_RENDER: &str = "---\n# Source: nginx/templates/serviceaccount.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web-nginx\n---\n# Source: nginx/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-nginx\nspec:\n  ports:\n    - port: 80\n---\n# Source: nginx/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-nginx\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: nginx\n          image: nginx:1.27\n";

/// A chart of its own rendering [`NGINX_RENDER`]'s objects.
fn nginx_chart(dir: &Path) -> PathBuf {
    let chart = dir.join("nginx");
    write(&chart, "Chart.yaml", "apiVersion: v2\nname: nginx\nversion: 0.1.0\n");
    for doc in NGINX_RENDER.split("---\n").filter(|d| !d.is_empty()) {
        let (source, body) = doc.split_once('\n').unwrap();
        let name = source.rsplit('/').next().unwrap();
        write(&chart.join("templates"), name, body);
    }
    chart
}

const NO_RULE_APPLIES: &str = "no hardening rule applies: rendered chart nginx: 3 objects (1 ServiceAccount, 1 Service, 1 Deployment), expected Gloo Edge (the gloo control-plane Deployment, a gateway proxy, Settings or a Gateway); check the chart path and that the gloo dependency is enabled, or pass --allow-no-gloo to check it anyway";

#[test]
fn a_render_without_gloo_is_an_error_not_a_pass() {
    for format in ["text", "json", "sarif", "github"] {
        fails_with(
            cmd().args(["check", "--manifests", "-", "--format", format]).write_stdin(NGINX_RENDER),
            &format!("error: <stdin>: {NO_RULE_APPLIES}"),
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let render = write(tmp.path(), "render.yaml", NGINX_RENDER);
    fails_with(
        cmd().args(["check", "--manifests"]).arg(&render),
        &format!("error: {}: {NO_RULE_APPLIES}", render.display()),
    );
    fails_with(cmd().args(["overlay", "--manifests"]).arg(&render), NO_RULE_APPLIES);
    // The review: the same gate before anything is posted.
    fails_with(
        cmd().args(["review", "--comment", "off", "--manifests", "-"]).write_stdin(NGINX_RENDER),
        NO_RULE_APPLIES,
    );
}

#[test]
fn allow_no_gloo_checks_a_render_without_gloo_deliberately() {
    let (code, out, err) = stdout_of(
        cmd().args(["check", "--allow-no-gloo", "--manifests", "-"]).write_stdin(NGINX_RENDER),
    );
    assert_eq!(code, 0, "{err}");
    // Only the rules that judge any render pass (HH-001, GLOO-014); the rest are NA.
    assert!(out.contains("\n0 failing, 2 passed, "), "{out}");
    // A render of Gloo is not refused, with or without the flag.
    cmd().args(["check", "--fail-on", "high", "--manifests", MINI_RENDER]).assert().code(1);
}

/// A render of Gloo without a part every Gloo chart renders: the rules about it say why they
/// did not apply, without `--all`; a complete render has no such warning.
#[test]
fn rules_without_their_subject_in_a_gloo_render_say_why() {
    let render = std::fs::read_to_string(root().join(MINI_RENDER)).unwrap();
    let without_settings: String =
        render.split_inclusive("---\n").filter(|doc| !doc.contains("\nkind: Settings\n")).collect();
    assert_ne!(without_settings, render, "the fixture has Settings");
    let (code, out, err) =
        stdout_of(cmd().args(["check", "--manifests", "-"]).write_stdin(without_settings));
    assert_eq!(code, 1, "{err}");
    assert!(
        out.lines().any(|l| l == "warning: GLOO-003, GLOO-004, GLOO-005, GLOO-006, GLOO-010, GLOO-013, GLOO-016 not applicable: no Settings (settings.create: false) in the render"),
        "{out}"
    );
    let (_, json_out, json_err) = stdout_of(
        cmd()
            .args(["check", "--format", "json", "--manifests", "-"])
            .write_stdin(render.replace("kind: Settings\n", "kind: NotSettings\n")),
    );
    assert!(json_err.contains("warning: GLOO-003, "), "on stderr beside the document: {json_err}");
    let json: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    assert!(
        json["warnings"][0]
            .as_str()
            .unwrap()
            .ends_with("not applicable: no Settings (settings.create: false) in the render"),
        "and in it: {json_out}"
    );
    let (_, full, _) = stdout_of(cmd().args(["check", "--manifests", MINI_RENDER]));
    assert!(!full.contains("not applicable:"), "{full}");
}

#[test]
fn a_chart_without_gloo_is_refused_by_check_overlay_and_diff() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let chart = nginx_chart(tmp.path());
    let expected = format!("error: render of {}: no hardening rule applies: rendered chart nginx 0.1.0: 3 objects (1 ServiceAccount, 1 Service, 1 Deployment), expected Gloo Edge", chart.display());
    for command in ["check", "overlay", "diff"] {
        fails_with(cmd().env("HELM_BIN", &helm).arg(command).arg(&chart), &expected);
    }
    cmd().env("HELM_BIN", &helm).args(["check", "--allow-no-gloo"]).arg(&chart).assert().code(0);
}

#[test]
fn an_umbrella_with_the_gloo_dependency_disabled_is_refused() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let umbrella = tmp.path().join("platform");
    common::copy_dir(&root().join("fixtures/charts/umbrella"), &umbrella);
    let chart_yaml = std::fs::read_to_string(umbrella.join("Chart.yaml")).unwrap();
    write(&umbrella, "Chart.yaml", &format!("{chart_yaml}\n  condition: gloo.enabled\n"));
    write(
        &umbrella,
        "templates/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: platform\n",
    );
    let check = |set: &str| {
        let mut c = cmd();
        c.env("HELM_BIN", &helm).arg("check").arg(&umbrella).args(["--set", set]);
        c
    };
    fails_with(&mut check("gloo.enabled=false"), "no hardening rule applies: rendered chart platform 0.1.0: 1 object (1 ConfigMap), expected Gloo Edge");
    let (code, _, err) = stdout_of(&mut check("gloo.enabled=true"));
    assert_eq!(code, 1, "Gloo renders: findings, not an error: {err}");
}

// ---- selection and suppression --------------------------------------------------------------

/// The rule IDs of a JSON report's findings, each once.
fn rule_ids(json: &serde_json::Value) -> std::collections::BTreeSet<String> {
    common::finding_rules(json).into_iter().collect()
}

#[test]
fn rule_and_skip_rule_select_with_globs_as_ruff_does() {
    let json_with = |args: &[&str]| {
        let (code, json) = json_of(
            cmd()
                .args(["check", "--manifests", MINI_RENDER, "--all", "--format", "json"])
                .args(args),
        );
        assert!(code < 2, "{json}");
        rule_ids(&json)
    };
    let envoy_1x = json_with(&["--rule", "ENVOY-01*"]);
    assert_eq!(envoy_1x.len(), 10, "ENVOY-010..019: {envoy_1x:?}");
    assert!(envoy_1x.iter().all(|id| id.starts_with("ENVOY-01")), "{envoy_1x:?}");
    // Repeatable, comma-separated, case-insensitive; --skip-rule takes out of the selection.
    let picked = json_with(&[
        "--rule",
        "gloo-00?",
        "--rule",
        "K8S-001,K8S-002",
        "--skip-rule",
        "GLOO-001,GLOO-002",
        "--skip-rule",
        "GLOO-005",
    ]);
    let expected = [
        "GLOO-003", "GLOO-004", "GLOO-006", "GLOO-007", "GLOO-008", "GLOO-009", "K8S-001",
        "K8S-002",
    ];
    assert!(picked.iter().eq(expected.iter()), "{picked:?}");
    let all = json_with(&[]);
    let skipped = json_with(&["--skip-rule", "ENVOY-01*"]);
    assert_eq!(skipped.len(), all.len() - 10, "{skipped:?}");
    assert!(!skipped.iter().any(|id| id.starts_with("ENVOY-01")));
    // Only the selected rules decide the exit code.
    cmd().args(["check", "--manifests", MINI_RENDER, "--rule", "GLOO-008"]).assert().code(0);
    cmd().args(["check", "--manifests", MINI_RENDER, "--rule", "GLOO-019"]).assert().code(1);
}

#[test]
fn a_rule_pattern_that_matches_nothing_is_an_error_naming_it() {
    fails_with(
        cmd().args(["check", "--manifests", MINI_RENDER, "--skip-rule", "ENVOY-09*"]),
        "error: --skip-rule ENVOY-09*: matches no rule ID (see `helm-harden rules`)",
    );
    fails_with(
        cmd().args(["overlay", "--manifests", MINI_RENDER, "--rule", "GLOO-019,GLOO-999"]),
        "error: --rule GLOO-999: matches no rule ID",
    );
}

/// weak.yaml with inline suppressions: GLOO-019 on the line above `replicas`, GLOO-007 on
/// the line of `failurePolicy`, and one for a rule that does not fail there.
const WEAK_WITH_INLINE: &str = "gateway:\n  validation:\n    alwaysAcceptResources: true\n    failurePolicy: Ignore # helm-harden: ignore GLOO-007 -- webhook outage runbook OPS-7\ngatewayProxies:\n  gatewayProxy:\n    kind:\n      deployment:\n        # helm-harden: ignore GLOO-019 expires 2999-12-31 -- one replica in the lab\n        replicas: 1\n    podTemplate:\n      # helm-harden: ignore K8S-001 -- nothing fails here\n      probes: false\n";

#[test]
fn inline_suppressions_hide_on_their_key_and_warn_when_unmatched() {
    let tmp = tempfile::tempdir().unwrap();
    let values = write(tmp.path(), "values.yaml", WEAK_WITH_INLINE);
    let (code, json) = json_of(
        cmd().args(["check", "--manifests", MINI_RENDER, "--format", "json", "-f"]).arg(&values),
    );
    assert_eq!(code, 1);
    let finding = |rule: &str| {
        json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule).cloned().unwrap()
    };
    let v = values.display();
    assert_eq!(finding("GLOO-019")["suppressed"], format!("one replica in the lab ({v}:9)"));
    assert_eq!(finding("GLOO-007")["suppressed"], format!("webhook outage runbook OPS-7 ({v}:4)"));
    assert!(finding("GLOO-004")["suppressed"].is_null(), "only the rules named");
    assert_eq!(json["summary"]["suppressed"], 2);
    assert_eq!(
        json["warnings"],
        serde_json::json!([format!(
            "{v}:12: inline suppression of K8S-001 for values line 13 matched nothing"
        )])
    );
    let (_, text, _) =
        stdout_of(cmd().args(["check", "--manifests", MINI_RENDER, "-f"]).arg(&values));
    assert!(
        text.contains(&format!("    SUPPRESSED GLOO-019  high   Proxy has >= 2 replicas: spec.replicas is 1: a single proxy pod serves all traffic\n         suppressed: one replica in the lab ({v}:9)\n")),
        "{text}"
    );
}

#[test]
fn an_expired_inline_suppression_fails_at_its_line_and_stops_hiding() {
    let tmp = tempfile::tempdir().unwrap();
    let values = write(
        tmp.path(),
        "values.yaml",
        &WEAK_WITH_INLINE.replace("expires 2999-12-31", "expires 2001-01-31"),
    );
    let (code, json) = json_of(
        cmd().args(["check", "--manifests", MINI_RENDER, "--format", "json", "-f"]).arg(&values),
    );
    assert_eq!(code, 1);
    let findings = json["findings"].as_array().unwrap();
    let g19 = findings.iter().find(|f| f["rule"] == "GLOO-019").unwrap();
    assert!(g19["suppressed"].is_null(), "expired: it counts again");
    let expired = findings.iter().find(|f| f["rule"] == "HH-CONFIG").unwrap();
    assert_eq!(expired["message"], "inline suppression of GLOO-019 for values line 10 expired on 2001-01-31 (reason was: one replica in the lab)");
    assert_eq!(expired["object"]["template"], values.display().to_string());
    assert_eq!(expired["object"]["line"], 9);
}

#[test]
fn a_malformed_inline_suppression_is_an_error_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    for (text, expected) in [
        ("a: 1 # helm-harden: ignore GLOO-999 -- x\n", ":1:6: unknown rule ID GLOO-999"),
        (
            "b:\n  # helm-harden: ignore GLOO-019\n  c: 1\n",
            ":2:3: an inline suppression needs a reason",
        ),
        (
            "# helm-harden: ignore GLOO-019 expires 2026-02-30 -- x\nd: 1\n",
            ":1:1: expires: `2026-02-30` is not a date (YYYY-MM-DD)",
        ),
        (
            "e: 1 # helm-harden: skip GLOO-019 -- x\n",
            ":1:6: unknown helm-harden directive `skip GLOO-019`",
        ),
    ] {
        let values = write(tmp.path(), "values.yaml", text);
        fails_with(
            cmd().args(["check", "--manifests", MINI_RENDER, "-f"]).arg(&values),
            &format!("error: {}{expected}", values.display()),
        );
    }
    // A `#` inside a quoted value is not a comment.
    let quoted = write(tmp.path(), "quoted.yaml", "f: \"x # helm-harden: ignore GLOO-999\"\n");
    let (code, _, err) =
        stdout_of(cmd().args(["check", "--manifests", MINI_RENDER, "-f"]).arg(&quoted));
    assert!(code < 2, "{err}");
}

#[test]
fn junit_report_of_the_example_render() {
    let (code, out, err) = stdout_of(cmd().args([
        "check",
        "--manifests",
        MINI_RENDER,
        "-f",
        "fixtures/values/weak.yaml",
        "--format",
        "junit",
    ]));
    assert_eq!(code, 1, "{err}");
    // One test case per rule and object: as many as distinct (rule, object) pairs in --all.
    let (_, json) = json_of(cmd().args([
        "check",
        "--manifests",
        MINI_RENDER,
        "-f",
        "fixtures/values/weak.yaml",
        "--format",
        "json",
        "--all",
    ]));
    let pairs: std::collections::BTreeSet<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {} {}",
                f["rule"],
                f["object"]["kind"],
                f["object"]["namespace"],
                f["object"]["name"],
                f["object"]["embedded_in"]
            )
        })
        .collect();
    assert_eq!(out.matches("<testcase ").count(), pairs.len());
    assert_eq!(
        out.matches("<failure ").count(),
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "FAIL")
            .map(|f| format!(
                "{} {} {}",
                f["rule"], f["object"]["name"], f["object"]["embedded_in"]
            ))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    insta::assert_snapshot!("check_junit", out);
}

// ---- small defects --------------------------------------------------------------------------

/// An expired suppression's heading names the config as the user would type it from where they
/// are (found upward: `../.helm-harden.yaml`) and its line.
#[test]
fn an_expired_suppression_in_text_names_its_config_as_typed_and_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), ".helm-harden.yaml", "suppressions:\n  - rule: GLOO-005\n    object: Settings/*\n    reason: old\n    expires: 2001-01-01\n");
    let sub = tmp.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let render = root().join(MINI_RENDER);
    for (dir, shown) in
        [(tmp.path(), ".helm-harden.yaml:2"), (sub.as_path(), "../.helm-harden.yaml:2")]
    {
        let (_, out, _) =
            stdout_of(cmd().current_dir(dir).arg("check").arg("--manifests").arg(&render));
        assert!(
            out.contains(&format!("\n  Suppression/GLOO-005 for Settings/*  ({shown})\n")),
            "{out}"
        );
    }
}

#[test]
fn overlay_write_says_what_it_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("hardening.yaml");
    let (code, out, err) = stdout_of(
        cmd()
            .args([
                "overlay",
                "--manifests",
                MINI_RENDER,
                "-f",
                "fixtures/values/weak.yaml",
                "--write",
            ])
            .arg(&path),
    );
    assert_eq!(code, 0, "{err}");
    let p = path.display();
    assert_eq!(out, format!("wrote {p}: helm-harden overlay for gloo 1.17.0: fixes 32 rule(s) through values.\napply it after your own values: helm ... -f <your values> -f {p}\n"));
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .starts_with("# helm-harden overlay for gloo 1.17.0: fixes 32 rule(s)"));
}

/// GLOO-008 checks the CRDs Gloo's charts keep in `crds/` when `--include-crds` renders them;
/// without it, its reason names that flag, which exists.
#[test]
fn include_crds_lets_gloo_008_check_the_charts_crds() {
    let Some(helm) = common::helm_or_skip() else { return };
    let Some(chart) = common::real_chart("1.17.38") else { return };
    let run = |extra: &[&str]| {
        let (_, json) = json_of(
            cmd()
                .env("HELM_BIN", &helm)
                .arg("check")
                .arg(&chart)
                .args(["-n", "gloo-system", "--rule", "GLOO-008", "--all", "--format", "json"])
                .args(extra),
        );
        json["findings"].as_array().unwrap().clone()
    };
    let without = run(&[]);
    assert_eq!(without.len(), 1);
    assert!(without[0]["message"]
        .as_str()
        .unwrap()
        .ends_with("rendered only with --include-crds)"));
    let with = run(&["--include-crds"]);
    assert!(with.len() > 10, "one outcome per solo.io CRD: {}", with.len());
    let failing: Vec<&str> = with
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .map(|f| f["object"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(failing, ["ratelimitconfigs.ratelimit.solo.io"], "as the rule's docs say");
    let help = cmd().args(["check", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--include-crds"));
}

// ---- reports a person can read ----------------------------------------------------------------

fn weak_text(args: &[&str]) -> (i32, String, String) {
    stdout_of(
        cmd()
            .args(["check", "--manifests", MINI_RENDER, "-f", "fixtures/values/weak.yaml"])
            .args(args),
    )
}

#[test]
fn the_summary_counts_failures_by_severity() {
    let (_, json) = json_of(cmd().args([
        "check",
        "--manifests",
        MINI_RENDER,
        "-f",
        "fixtures/values/weak.yaml",
        "--format",
        "json",
    ]));
    let count = |severity: &str| {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == severity && f["status"] == "FAIL")
            .count()
    };
    let (_, out, _) = weak_text(&[]);
    let last = out.lines().rev().find(|l| !l.is_empty()).unwrap();
    assert_eq!(
        last,
        format!(
            "48 failing ({} high, {} medium, {} low, {} info), 18 passed, {} not applicable, 4 advisory",
            count("high"),
            count("medium"),
            count("low"),
            count("info"),
            json["summary"]["na"]
        )
    );
}

#[test]
fn quiet_prints_only_the_failures_at_the_threshold_and_the_counts() {
    let (code, out, err) = weak_text(&["--quiet", "--fail-on", "high"]);
    assert_eq!(code, 1, "{err}");
    let verdicts: Vec<&str> =
        out.lines().filter(|l| l.starts_with("    ") && !l.starts_with("     ")).collect();
    assert_eq!(verdicts.len(), 4, "{out}");
    assert!(verdicts.iter().all(|l| l.starts_with("    FAIL ") && l.contains(" high ")), "{out}");
    assert!(out.contains("\n48 failing (4 high, "), "the counts stay: {out}");
    // A warning goes to stderr: stdout is only failures and counts.
    let tmp = tempfile::tempdir().unwrap();
    let config = write(
        tmp.path(),
        "hh.yaml",
        "suppressions:\n  - rule: GLOO-006\n    object: Deployment/nothing\n    reason: stale\n",
    );
    let (_, out, err) =
        stdout_of(cmd().args(["check", "-q", "--manifests", MINI_RENDER, "--config"]).arg(&config));
    assert!(!out.contains("warning:") && err.contains("matched nothing"), "{out}\n{err}");
    fails_with(
        cmd().args(["check", "-q", "--all", "--manifests", MINI_RENDER]),
        "cannot be used with",
    );
}

#[test]
fn group_by_rule_lists_a_rules_objects_with_one_fix_for_one_key() {
    let (code, out, _) = weak_text(&["--group-by", "rule"]);
    assert_eq!(code, 1);
    let block = |rule: &str| {
        let start =
            out.find(&format!("\n  FAIL {rule} ")).unwrap_or_else(|| panic!("{rule}: {out}"));
        let rest = &out[start + 1..];
        rest[..rest.find("\n\n").unwrap()].to_string()
    };
    // Both Gateways get their listener buffer limit from one key: the fix once, at the end.
    let envoy_003 = block("ENVOY-003");
    assert!(
        envoy_003.lines().next().unwrap().ends_with("Listener buffer limit <= 32 KiB  (2 objects)"),
        "{envoy_003}"
    );
    assert_eq!(envoy_003.matches("fix:").count(), 1, "{envoy_003}");
    assert!(envoy_003.lines().last().unwrap().starts_with("    fix: gatewayProxies.gatewayProxy.gatewaySettings.options.perConnectionBufferLimitBytes: 32768"), "{envoy_003}");
    // Each Gateway's own key: a fix under each object.
    let envoy_005 = block("ENVOY-005");
    assert_eq!(envoy_005.matches("fix:").count(), 2, "{envoy_005}");
    assert!(envoy_005.contains("customHttpGateway") && envoy_005.contains("customHttpsGateway"));
    // Every rule once.
    let headings: Vec<&str> = out.lines().filter(|l| l.starts_with("  FAIL ")).collect();
    let rules: std::collections::BTreeSet<&str> =
        headings.iter().map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(headings.len(), rules.len(), "{out}");
}

#[test]
fn a_long_fix_value_is_folded_with_a_pointer_to_the_whole() {
    let (_, out, _) = weak_text(&[]);
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| {
            l.contains("fix: gatewayProxies.gatewayProxy.gatewaySettings.options.socketOptions: ")
        })
        .unwrap();
    assert!(lines[at].contains("int…  (add under fixtures/values/weak.yaml:16)"), "{}", lines[at]);
    assert!(lines[at].chars().count() < 240, "folded, not 226 characters of value: {}", lines[at]);
    assert_eq!(lines[at + 1].trim(), "(value folded, 226 characters: `helm-harden overlay` writes it whole, `helm-harden rules GLOO-034` explains it)");
    // A short value is whole.
    assert!(out.contains("fix: gatewayProxies.gatewayProxy.kind.deployment.replicas: 2  (change at fixtures/values/weak.yaml:12)\n"));
}

/// Issue 15 (5): a fix that changes how traffic is handled (Kubernetes destinations off, path
/// normalisation, a request timeout, headers with underscores rejected) carries a note above
/// its key in the overlay; the others do not.
#[test]
fn the_overlay_says_which_fixes_to_review_before_applying() {
    let (code, out, err) = stdout_of(cmd().args([
        "overlay",
        "--manifests",
        MINI_RENDER,
        "-f",
        "fixtures/values/weak.yaml",
    ]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    let above = |key: &str| {
        let at = lines
            .iter()
            .position(|l| l.trim_start().starts_with(key))
            .unwrap_or_else(|| panic!("{key}:\n{out}"));
        lines[at - 1].trim_start()
    };
    assert!(above("disableKubernetesDestinations: true").starts_with("# review before applying (GLOO-010): routes that send traffic straight to a Kubernetes Service"), "{out}");
    for (key, rule) in [
        ("requestTimeout:", "ENVOY-009"),
        ("headersWithUnderscoresAction:", "ENVOY-013"),
        ("mergeSlashes:", "ENVOY-017"),
        ("pathWithEscapedSlashesAction:", "ENVOY-018"),
    ] {
        assert!(
            above(key).starts_with(&format!("# review before applying ({rule}): ")),
            "{key}\n{out}"
        );
    }
    assert_eq!(
        out.matches("# review before applying").count(),
        9,
        "four on each Gateway, one on Settings:\n{out}"
    );
    assert!(!above("alwaysAcceptResources:").contains("review before"), "{out}");
}

/// Issue 15 (2): several fixes of one object that set one values key (GLOO-025's
/// `podTemplate.probes`, which GLOO-026's `podTemplate` fix sets too) are one instruction,
/// under the failures it fixes, at the key's own line (`podTemplate:`, line 13); a fix of a key
/// beside them (GLOO-012's `podTemplate.resources.requests`) stays its own.
#[test]
fn fixes_of_one_key_read_as_one_instruction_at_the_keys_line() {
    let (_, out, _) = weak_text(&[]);
    let lines: Vec<&str> = out.lines().collect();
    let at = lines.iter().position(|l| l.contains("FAIL GLOO-025")).unwrap();
    assert!(lines[at + 1].contains("FAIL GLOO-026"), "{}", lines[at + 1]);
    assert_eq!(
        lines[at + 2],
        "         fix (GLOO-025, GLOO-026): gatewayProxies.gatewayProxy.podTemplate: {probes: true, livenessProbeEnabled: true}  (change at fixtures/values/weak.yaml:13)"
    );
    assert_eq!(out.matches("fix (GLOO-025, GLOO-026)").count(), 1, "{out}");
    assert!(out.contains("         fix: gatewayProxies.gatewayProxy.podTemplate.resources.requests: {cpu: 500m, memory: 256Mi}  (add under fixtures/values/weak.yaml:13)\n"), "{out}");
    // JSON keeps a fix per failure; GLOO-026's line is its key's own.
    let (_, json) = json_of(cmd().args([
        "check",
        "--manifests",
        MINI_RENDER,
        "-f",
        "fixtures/values/weak.yaml",
        "--format",
        "json",
    ]));
    let fix = |rule: &str| {
        json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule).unwrap()["fix"]
            .clone()
    };
    assert_eq!(
        (fix("GLOO-026")["line"].as_u64(), fix("GLOO-026")["exact"].as_bool()),
        (Some(13), Some(true))
    );
    assert_eq!(fix("GLOO-025")["line"], 15, "a scalar fix: its own key's line");
}

/// Run only by [`skips_are_visible_and_fail_in_ci`]: a test that skips.
#[test]
#[ignore = "a probe that skips, run by skips_are_visible_and_fail_in_ci"]
fn skip_probe() {
    common::skip("probe reason");
}

/// Issue 15 (6): a test that skips for lack of a tool says so past libtest's capture (`SKIPPED
/// <test>: <reason>` by its `ok`), and under HELM_HARDEN_CI=1 (CI) fails instead.
#[test]
fn skips_are_visible_and_fail_in_ci() {
    let probe = |ci: bool| {
        let mut c = std::process::Command::new(std::env::current_exe().unwrap());
        c.args(["--ignored", "--exact", "skip_probe"]);
        if ci {
            c.env("HELM_HARDEN_CI", "1");
        } else {
            c.env_remove("HELM_HARDEN_CI");
        }
        let out = c.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (passed, text) = probe(false);
    assert!(passed, "{text}");
    assert!(text.contains("SKIPPED skip_probe: probe reason"), "{text}");
    assert!(text.contains("test skip_probe ... ok"), "{text}");
    let (passed, text) = probe(true);
    assert!(!passed, "{text}");
    assert!(
        text.contains("required in CI (HELM_HARDEN_CI=1), not skipped: probe reason"),
        "{text}"
    );
}
