//! `overlay` and `diff` (and `check --diff`) as a user runs them.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cmd(helm: &Path) -> Command {
    let mut c = common::helm_harden();
    c.current_dir(root()).env_remove("NO_COLOR").env("HELM_BIN", helm);
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

const CHART_ARGS: [&str; 4] = ["-n", "gloo-system", "--release", "gloo"];

/// JSON of `check --all` on a chart with extra args.
fn check(helm: &Path, chart: &Path, extra: &[&str]) -> Value {
    let (code, out, err) = run(cmd(helm)
        .arg("check")
        .arg(chart)
        .args(CHART_ARGS)
        .args(["--format", "json"])
        .args(extra));
    assert!(code == 0 || code == 1, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn overlay_of_each_real_chart_fixes_every_fixable_failure() {
    let Some(helm) = common::helm_or_skip() else { return };
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { return };
        let (code, overlay, err) = run(cmd(&helm).arg("overlay").arg(&chart).args(CHART_ARGS));
        assert_eq!(code, 0, "{err}");
        insta::assert_snapshot!(format!("overlay_default_{}", version.replace('.', "_")), overlay);
        let tmp = tempfile::tempdir().unwrap();
        let file = write(tmp.path(), "overlay.yaml", &overlay);
        let report = check(&helm, &chart, &["-f", file.to_str().unwrap()]);
        let fixable: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "FAIL" && !f["fix"].is_null())
            .map(|f| format!("{} {}: {}", f["rule"], f["object"]["name"], f["message"]))
            .collect();
        assert!(
            fixable.is_empty(),
            "{version}: fixable failures left after the overlay:\n{}",
            fixable.join("\n")
        );
        // Only the keys needed: nothing for a rule that passes by default.
        assert!(!overlay.contains("GLOO-002") && !overlay.contains("ENVOY-016"), "{overlay}");
    }
}

#[test]
fn diff_of_the_real_chart() {
    let Some(helm) = common::helm_or_skip() else { return };
    let Some(chart) = common::real_chart("1.17.38") else { return };
    let (code, text, err) =
        run(cmd(&helm).arg("diff").arg(&chart).args(CHART_ARGS).args(["--color", "never"]));
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("diff_1_17_38", text);
    assert!(text.contains("gloo-system, gateway-proxy, Deployment (apps) has changed:"));
    assert!(text
        .contains("gloo-system, gateway-proxy-pdb, PodDisruptionBudget (policy) has been added:"));
    assert!(
        text.contains("in ConfigMap/gloo-custom-resource-config[custom-resources] has changed:"),
        "Gateways compared on their own"
    );
    assert!(
        !text.contains(
            "ConfigMap (v1) has changed:\n--- base/ConfigMap/gloo-custom-resource-config"
        ),
        "the Gateways' ConfigMap is not diffed as text"
    );
    assert!(text.contains("fixed     GLOO-025  Deployment/gateway-proxy"));
    // --exit-code: 1 when something differs.
    let (code, _, _) = run(cmd(&helm).arg("diff").arg(&chart).args(CHART_ARGS).arg("--exit-code"));
    assert_eq!(code, 1);
}

#[test]
fn no_difference_exits_zero_with_exit_code() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let empty = write(tmp.path(), "noop.yaml", "{}\n");
    let (code, text, err) = run(cmd(&helm)
        .args(["diff", "fixtures/charts/gloo-mini"])
        .args(CHART_ARGS)
        .arg("--overlay")
        .arg(&empty)
        .arg("--exit-code"));
    assert_eq!(code, 0, "{err}");
    assert!(text.starts_with("no differences"), "{text}");
    assert!(text.contains("remains   GLOO-025"), "{text}");
    assert!(text.contains("your overlay does not fix it"), "{text}");
}

#[test]
fn user_overlays_replace_or_add_to_the_generated_one() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mine = write(
        tmp.path(),
        "mine.yaml",
        "gatewayProxies:\n  gatewayProxy:\n    kind:\n      deployment:\n        replicas: 3\n",
    );
    let (_, only_mine, _) = run(cmd(&helm)
        .args(["diff", "fixtures/charts/gloo-mini", "--format", "json"])
        .args(CHART_ARGS)
        .arg("--overlay")
        .arg(&mine));
    let only_mine: Value = serde_json::from_str(&only_mine).unwrap();
    let fixed: Vec<&str> = only_mine["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert_eq!(fixed, ["GLOO-019"], "only my overlay applied");
    let (_, added, _) = run(cmd(&helm)
        .args(["overlay", "fixtures/charts/gloo-mini", "--overlay-add"])
        .args(CHART_ARGS)
        .arg("--overlay")
        .arg(&mine));
    assert!(added.contains("replicas: 3"), "mine wins on top of the generated one: {added}");
    assert!(added.contains("probes: true"), "and the generated keys stay: {added}");
}

#[test]
fn overlay_write_refuses_to_replace() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let target = write(tmp.path(), "hardened.yaml", "# mine\n");
    let (code, out, err) = run(cmd(&helm)
        .args(["overlay", "fixtures/charts/gloo-mini"])
        .args(CHART_ARGS)
        .arg("--write")
        .arg(&target));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(
        err,
        format!("error: {}: exists; refusing to replace it (use --force)\n", target.display())
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "# mine\n", "untouched");
    let (code, _, _) = run(cmd(&helm)
        .args(["overlay", "fixtures/charts/gloo-mini", "--force"])
        .args(CHART_ARGS)
        .arg("--write")
        .arg(&target));
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(&target).unwrap().contains("# GLOO-025"));
}

#[test]
fn full_overlay_covers_every_proxy() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let values =
        write(tmp.path(), "two.yaml", "gatewayProxies:\n  gatewayProxy: {}\n  internalGw: {}\n");
    let (code, overlay, err) = run(cmd(&helm)
        .args(["overlay", "fixtures/charts/gloo-mini", "--all", "-f"])
        .arg(&values)
        .args(CHART_ARGS));
    assert_eq!(code, 0, "{err}");
    assert!(
        overlay.contains("  internalGw:\n") && overlay.contains("  gatewayProxy:\n"),
        "{overlay}"
    );
    assert!(overlay.contains("disableNetBind: true  # GLOO-002"), "passing rules too: {overlay}");
}

#[test]
fn umbrella_chart_gets_a_gloo_nested_overlay_that_works() {
    let Some(helm) = common::helm_or_skip() else { return };
    let Some(chart) = common::real_chart("1.17.38") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let umbrella = tmp.path().join("platform");
    common::copy_dir(&chart, &umbrella.join("charts/gloo"));
    write(&umbrella, "Chart.yaml", "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n  - name: gloo\n    version: 1.17.38\n    repository: file://charts/gloo\n");
    let (code, overlay, err) = run(cmd(&helm).arg("overlay").arg(&umbrella).args(CHART_ARGS));
    assert_eq!(code, 0, "{err}");
    let top: Vec<&str> =
        overlay.lines().filter(|l| !l.starts_with('#') && !l.starts_with(' ')).collect();
    assert!(
        top.iter().all(|l| *l == "gloo:" || *l == "global:"),
        "everything nested under gloo: (or global:): {top:?}"
    );
    let file = write(tmp.path(), "overlay.yaml", &overlay);
    let report = check(&helm, &umbrella, &["-f", file.to_str().unwrap()]);
    let fixable: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL" && !f["fix"].is_null())
        .collect();
    assert!(fixable.is_empty(), "{fixable:?}");
}

/// gloo-mini plus a Secret whose values must never be printed.
fn chart_with_secret(dir: &Path) -> PathBuf {
    let chart = dir.join("gloo");
    common::copy_dir(&root().join("fixtures/charts/gloo-mini"), &chart);
    write(
        &chart,
        "templates/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: upstream-credentials\n  namespace: {{ .Release.Namespace }}\ntype: Opaque\ndata:\n  password: {{ printf \"planted-password-%v\" .Values.gateway.validation.alwaysAcceptResources | b64enc }}\n  static: {{ \"planted-static-secret\" | b64enc }}\nstringData:\n  token: planted-token-{{ .Values.gateway.validation.alwaysAcceptResources }}\n",
    );
    chart
}

#[test]
fn secret_values_appear_in_no_output() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let chart = chart_with_secret(tmp.path());
    let planted =
        ["planted-password", "planted-static-secret", "planted-token", "cGxhbnRlZC", "bGFudGVk"];
    for format in ["text", "json", "markdown"] {
        let (code, out, err) =
            run(cmd(&helm).arg("diff").arg(&chart).args(CHART_ARGS).args(["--format", format]));
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("upstream-credentials"),
            "the Secret changed and is shown ({format}): {out}"
        );
        for p in planted {
            assert!(!out.contains(p) && !err.contains(p), "{p} leaked in {format} diff output");
        }
    }
    for format in ["text", "json"] {
        let (_, out, err) = run(cmd(&helm)
            .arg("check")
            .arg(&chart)
            .args(CHART_ARGS)
            .args(["--diff", "--all", "--format", format]));
        for p in planted {
            assert!(!out.contains(p) && !err.contains(p), "{p} leaked in check --diff {format}");
        }
    }
    // Shown only when asked.
    let (_, out, _) =
        run(cmd(&helm).arg("diff").arg(&chart).args(CHART_ARGS).arg("--show-secrets"));
    assert!(out.contains("planted-token"), "--show-secrets prints them");
}

#[test]
fn check_with_diff_in_one_command() {
    let Some(helm) = common::helm_or_skip() else { return };
    let (code, out, err) = run(cmd(&helm)
        .args(["check", "fixtures/charts/gloo-mini", "--diff", "--color", "never"])
        .args(CHART_ARGS));
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("FAIL GLOO-025"));
    assert!(out.contains("Diff with the hardened overlay:"));
    assert!(out.contains("gloo-system, gateway-proxy, Deployment (apps) has changed:"));
    let (code, out, _) = run(cmd(&helm)
        .args(["check", "fixtures/charts/gloo-mini", "--diff", "--format", "json"])
        .args(CHART_ARGS));
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert!(!json["diff"]["resources"].as_array().unwrap().is_empty());
    assert!(!json["diff"]["fixed"].as_array().unwrap().is_empty());
}

#[test]
fn markdown_diff_is_one_block_per_resource() {
    let Some(helm) = common::helm_or_skip() else { return };
    let (code, out, _) = run(cmd(&helm)
        .args(["diff", "fixtures/charts/gloo-mini", "--format", "markdown"])
        .args(CHART_ARGS));
    assert_eq!(code, 0);
    let blocks = out.matches("<details><summary>").count();
    assert_eq!(blocks, out.matches("</details>").count());
    assert!(blocks >= 3, "{out}");
    assert!(out.contains("```diff\n"));
    assert!(out.contains("| fixed | GLOO-025 |"));
}

#[test]
fn diff_needs_a_chart_not_manifests() {
    let Some(helm) = common::helm_or_skip() else { return };
    let (code, _, err) =
        run(cmd(&helm).args(["diff", "--manifests", "fixtures/manifests/gloo-mini-default.yaml"]));
    assert_eq!(code, 2);
    assert!(err.contains("diff needs a chart"), "{err}");
    let (code, _, err) =
        run(cmd(&helm).args(["diff", "fixtures/charts/gloo-mini", "--suppress-annotation", "("]));
    assert_eq!(code, 2);
    assert!(err.starts_with("error: --suppress-annotation ("), "{err}");
}

/// A helm that logs when each `template` call starts and ends (ns), then runs the real helm.
fn timing_helm(dir: &Path, real: &Path) -> PathBuf {
    let log = dir.join("calls.log");
    let path = write(
        dir,
        "helm",
        &format!(
            "#!/bin/sh\nstart=$(date +%s%N)\n[ \"$1\" = template ] && sleep 0.3\n\"{}\" \"$@\"\nrc=$?\n[ \"$1\" = template ] && echo \"$start $(date +%s%N)\" >> \"{}\"\nexit $rc\n",
            real.display(),
            log.display()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn template_calls(dir: &Path) -> Vec<(u128, u128)> {
    std::fs::read_to_string(dir.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect()
}

#[test]
fn a_second_diff_renders_base_and_hardened_at_once_and_stays_exact() {
    let Some(real) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let helm = timing_helm(tmp.path(), &real);
    let cache = tmp.path().join("cache");
    let values = write(tmp.path(), "v.yaml", "gloo:\n  deployment:\n    replicas: 1\n");
    let diff = |extra: &[&str]| {
        let (code, out, err) = run(cmd(&helm)
            .args(["diff", "fixtures/charts/gloo-mini", "--format", "json"])
            .args(CHART_ARGS)
            .arg("--cache-dir")
            .arg(&cache)
            .arg("-f")
            .arg(&values)
            .args(extra));
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let first = diff(&[]);
    let calls = template_calls(tmp.path());
    // A cold cache: the overlay is predicted from what the chart's version fails at its
    // defaults (crate::harden::predict), and here it holds.
    assert_eq!(calls.len(), 2, "first run: no third render when the prediction holds: {calls:?}");
    let overlap = calls[0].0.max(calls[1].0) < calls[0].1.min(calls[1].1);
    assert!(overlap, "the two renders ran at the same time: {calls:?}");
    // A values change that fixes nothing new: the remembered overlay holds.
    std::fs::write(&values, "gloo:\n  deployment:\n    replicas: 1\n    resources: {requests: {cpu: 600m, memory: 300Mi}}\n").unwrap();
    std::fs::remove_file(tmp.path().join("calls.log")).unwrap();
    let second = diff(&[]);
    let calls = template_calls(tmp.path());
    assert_eq!(calls.len(), 2, "no third render when the prediction holds: {calls:?}");
    let overlap = calls[0].0.max(calls[1].0) < calls[0].1.min(calls[1].1);
    assert!(overlap, "the two renders ran at the same time: {calls:?}");
    assert_eq!(first["fixed"], second["fixed"]);
    // A change that weakens a key the remembered overlay does not set: the prediction would
    // give helm other values, so it is discarded and the result is exact.
    std::fs::write(
        &values,
        "gloo:\n  deployment:\n    replicas: 2\ngatewayProxies:\n  gatewayProxy:\n    readConfig: true\n",
    )
    .unwrap();
    std::fs::remove_file(tmp.path().join("calls.log")).unwrap();
    let third = diff(&[]);
    assert_eq!(
        template_calls(tmp.path()).len(),
        3,
        "base, discarded prediction, and the real hardened render"
    );
    // The same target on a cold cache: the prediction (the defaults' overlay and the turned
    // yes-or-no key) is kept, and gives the same diff as the render with the computed overlay.
    let (_, out, err) = run(cmd(&real)
        .args(["diff", "fixtures/charts/gloo-mini", "--format", "json", "--no-cache"])
        .args(CHART_ARGS)
        .arg("-f")
        .arg(&values)
        .env("HH_PREDICTION_LOG", "1"));
    assert!(err.contains("overlay prediction: hit cold"), "{err}");
    let fresh = serde_json::from_str::<Value>(&out).unwrap();
    assert_eq!(third, fresh, "a kept prediction gives the diff of the computed overlay");
    assert!(
        !third["fixed"].as_array().unwrap().iter().any(|v| v["rule"] == "GLOO-023"),
        "GLOO-023 passes with 2 replicas now"
    );
    assert!(
        third["fixed"].as_array().unwrap().iter().any(|v| v["rule"] == "ENVOY-001"),
        "ENVOY-001 is fixed: {third}"
    );
}

/// `(rule, object)` of the failures in a `check --format json` report; with `fixable`, only
/// those that carry a fix.
fn failures(report: &Value, fixable: bool) -> std::collections::BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL" && (!fixable || !f["fix"].is_null()))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                format!(
                    "{}/{}",
                    f["object"]["kind"].as_str().unwrap(),
                    f["object"]["name"].as_str().unwrap()
                ),
            )
        })
        .collect()
}

/// A user's values that switch off, move or override what a declared fix sets
/// (fixtures/values/user, each file says how). On every real chart, the overlay helm-harden
/// prints for those values (only the keys failures need, and `--all`) fixes every failure it
/// offers a fix for, and fails nothing that passed before.
#[test]
fn the_overlay_for_a_users_values_fixes_what_it_offers_and_breaks_nothing() {
    let Some(helm) = common::helm_or_skip() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/values/user"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut problems = Vec::new();
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { return };
        for (values, all) in files.iter().flat_map(|f| [(f, false), (f, true)]) {
            let values_arg = values.to_str().unwrap();
            let name = format!(
                "{}{}",
                values.file_name().unwrap().to_string_lossy(),
                if all { " (--all)" } else { "" }
            );
            let before = check(&helm, &chart, &["-f", values_arg]);
            let (code, overlay, err) = run(cmd(&helm)
                .arg("overlay")
                .arg(&chart)
                .args(CHART_ARGS)
                .args(["-f", values_arg])
                .args(all.then_some("--all")));
            assert_eq!(code, 0, "{version} {name}: {err}");
            let tmp = tempfile::tempdir().unwrap();
            let overlay_file = write(tmp.path(), "overlay.yaml", &overlay);
            let after =
                check(&helm, &chart, &["-f", values_arg, "-f", overlay_file.to_str().unwrap()]);
            let left: Vec<_> =
                failures(&before, true).intersection(&failures(&after, false)).cloned().collect();
            let new: Vec<_> =
                failures(&after, false).difference(&failures(&before, false)).cloned().collect();
            if !left.is_empty() || !new.is_empty() {
                problems.push(format!("{version} {name}:\n  still failing: {left:?}\n  newly failing: {new:?}\n{overlay}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What the user set beside what a fix changes survives the overlay, on every real chart:
/// tracing from `tracing.provider` (Gateway fixes create `customHttpGateway`, which the chart
/// renders instead of it), the listeners' own socket options and the team's overload monitor
/// (helm replaces a list whole, so a fix of the list must carry them), the monitors of
/// `global.glooStats`; with the overlay of the failures and with `--all`.
#[test]
fn the_overlay_keeps_what_the_user_set_beside_what_it_fixes() {
    let Some(helm) = common::helm_or_skip() else { return };
    let kept = [
        ("tracing.yaml", "zipkinConfig:"),
        ("socket-options.yaml", "intValue: 300"),
        ("socket-options.yaml", "name: 15"),
        (
            "overload-manager.yaml",
            "name: envoy.resource_monitors.global_downstream_max_connections",
        ),
        ("overload-manager.yaml", "refresh_interval: 1s"),
        ("global-stats.yaml", "name: gateway-proxy-monitoring-service"),
        ("passing-own-settings.yaml", "name: 15"),
        ("passing-own-settings.yaml", "name: gateway-proxy-monitoring-service"),
    ];
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { return };
        for ((file, needle), all) in kept.iter().flat_map(|k| [(k, false), (k, true)]) {
            let values = root().join("fixtures/values/user").join(file);
            let (code, overlay, err) = run(cmd(&helm)
                .arg("overlay")
                .arg(&chart)
                .args(CHART_ARGS)
                .arg("-f")
                .arg(&values)
                .args(all.then_some("--all")));
            assert_eq!(code, 0, "{err}");
            let tmp = tempfile::tempdir().unwrap();
            let overlay_file = write(tmp.path(), "overlay.yaml", &overlay);
            let count = |extra: &[&str]| {
                let mut args = vec!["-f", values.to_str().unwrap()];
                args.extend_from_slice(extra);
                common::helm_template(&chart, &args).matches(needle).count()
            };
            let before = count(&[]);
            assert!(before >= 1, "{version} {file}: the fixture renders {needle}");
            assert_eq!(
                count(&["-f", overlay_file.to_str().unwrap()]),
                before,
                "{version} {file} (--all: {all}): {needle} lost\n{overlay}"
            );
        }
    }
}

/// A quantity in base units (`250m` CPU, `128Mi` memory).
fn quantity(text: &str) -> f64 {
    let units =
        [("Ki", 1024.0), ("Mi", 1024.0 * 1024.0), ("Gi", 1024.0 * 1024.0 * 1024.0), ("m", 0.001)];
    let (number, factor) = units
        .iter()
        .find_map(|(suffix, f)| text.strip_suffix(suffix).map(|n| (n, *f)))
        .unwrap_or((text, 1.0));
    number.parse::<f64>().unwrap_or_else(|_| panic!("quantity {text}")) * factor
}

/// Limits without requests, and requests of the team's own under their limits: the requests the
/// overlay (and `--all`) sets stay within the limits (a request above its limit makes the API
/// server reject the pod), on every container of every real chart.
#[test]
fn the_overlay_adds_no_request_above_a_limit() {
    let Some(helm) = common::helm_or_skip() else { return };
    let files = ["resource-limits.yaml", "passing-own-settings.yaml"];
    for (version, file, all) in ["1.13.39", "1.17.38", "1.22.1"]
        .into_iter()
        .flat_map(|v| files.into_iter().flat_map(move |f| [(v, f, false), (v, f, true)]))
    {
        let values = root().join("fixtures/values/user").join(file);
        let Some(chart) = common::real_chart(version) else { return };
        let (code, overlay, err) = run(cmd(&helm)
            .arg("overlay")
            .arg(&chart)
            .args(CHART_ARGS)
            .arg("-f")
            .arg(&values)
            .args(all.then_some("--all")));
        assert_eq!(code, 0, "{err}");
        let tmp = tempfile::tempdir().unwrap();
        let overlay_file = write(tmp.path(), "overlay.yaml", &overlay);
        let render = common::helm_template(
            &chart,
            &["-f", values.to_str().unwrap(), "-f", overlay_file.to_str().unwrap()],
        );
        let mut containers = 0;
        for doc in render
            .split("\n---")
            .map(|d| {
                yaml_serde::from_str::<Value>(d).unwrap_or_else(|e| panic!("{version}: {e}\n{d}"))
            })
            .filter(|d| d["kind"] == "Deployment")
        {
            for c in doc["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten()
            {
                containers += 1;
                for r in ["cpu", "memory"] {
                    if let (Some(request), Some(limit)) = (
                        c["resources"]["requests"][r].as_str(),
                        c["resources"]["limits"][r].as_str(),
                    ) {
                        assert!(quantity(request) <= quantity(limit), "{version} {file} (--all: {all}) {}/{}: {r} request {request} above its limit {limit}\n{overlay}", doc["metadata"]["name"], c["name"]);
                    }
                }
            }
        }
        assert!(containers >= 2, "{version}: the render has the gloo and proxy Deployments");
    }
}

/// On OpenShift (floatingUserId) the platform picks the proxy's user: the overlay restores
/// runAsNonRoot without pinning a runAsUser, which restricted SCCs refuse.
#[test]
fn with_a_floating_user_id_the_overlay_pins_no_user() {
    let Some(helm) = common::helm_or_skip() else { return };
    let values = root().join("fixtures/values/user/openshift-floating-user.yaml");
    for version in ["1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { return };
        let (code, overlay, err) =
            run(cmd(&helm).arg("overlay").arg(&chart).args(CHART_ARGS).arg("-f").arg(&values));
        assert_eq!(code, 0, "{err}");
        let tmp = tempfile::tempdir().unwrap();
        let overlay_file = write(tmp.path(), "overlay.yaml", &overlay);
        let render = common::helm_template(
            &chart,
            &["-f", values.to_str().unwrap(), "-f", overlay_file.to_str().unwrap()],
        );
        let proxy = render
            .split("\n---")
            .map(|d| yaml_serde::from_str::<Value>(d).unwrap_or_else(|e| panic!("{version}: {e}")))
            .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "gateway-proxy")
            .expect("the proxy Deployment");
        let pod = &proxy["spec"]["template"]["spec"];
        assert!(
            pod["securityContext"]["runAsUser"].is_null(),
            "{version}: pod runAsUser pinned\n{overlay}"
        );
        let envoy = &pod["containers"][0]["securityContext"];
        assert!(envoy["runAsUser"].is_null(), "{version}: container runAsUser pinned\n{overlay}");
        assert_eq!(envoy["runAsNonRoot"], true, "{version}\n{overlay}");
    }
}

/// The team's own Envoy bootstrap (`configMap.data`): no values fix for what only the chart's
/// bootstrap would take (it would do nothing); the finding says where to change it.
#[test]
fn a_users_own_bootstrap_gets_no_values_fix() {
    let Some(helm) = common::helm_or_skip() else { return };
    let values = root().join("fixtures/values/user/own-bootstrap.yaml");
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { return };
        let report = check(&helm, &chart, &["-f", values.to_str().unwrap()]);
        let envoy_002 = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "ENVOY-002")
            .unwrap();
        assert_eq!(envoy_002["status"], "FAIL");
        assert!(envoy_002["fix"].is_null(), "{version}: {envoy_002}");
        assert!(envoy_002["message"].as_str().unwrap().ends_with("(the Envoy bootstrap is your gatewayProxies.gatewayProxy.configMap.data: change it there)"), "{version}: {envoy_002}");
        // The Gateway rules still fix the Gateways, which the bootstrap does not hold.
        let envoy_005 = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "ENVOY-005")
            .unwrap();
        assert!(!envoy_005["fix"].is_null(), "{version}: {envoy_005}");
    }
}

/// `(rule, reason)` of the KGW entries of a `diff --format json` list (`remaining`, ...).
fn kgw_verdicts(diff: &Value, list: &str) -> Vec<(String, String)> {
    diff[list]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["rule"].as_str().unwrap().starts_with("KGW-"))
        .map(|v| {
            (
                v["rule"].as_str().unwrap().to_string(),
                v["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// With kubeGateway on, the tool's own overlay (for the failures, and `--all`) leaves only what
/// values cannot fix: nothing on 1.22.1; KGW-010..013 on 1.17.38, each naming the first version
/// whose values fix it. It breaks nothing, and the partial securityContext it writes keeps the
/// chart's other fields (KGW-001..004 still pass, the user stays 10101).
#[test]
fn kube_gateway_overlay_leaves_only_what_values_cannot_fix() {
    let Some(helm) = common::helm_or_skip() else { return };
    let on = ["--set", "kubeGateway.enabled=true"];
    let expected_left: [(&str, &[(&str, &str)]); 2] = [
        (
            "1.17.38",
            &[
                ("KGW-010", "1.19.0"),
                ("KGW-011", "1.18.0"),
                ("KGW-012", "1.18.0"),
                ("KGW-013", "1.18.0"),
            ],
        ),
        ("1.22.1", &[]),
    ];
    for (version, left) in expected_left {
        let Some(chart) = common::real_chart(version) else { return };
        for all in [false, true] {
            let (code, out, err) = run(cmd(&helm)
                .arg("diff")
                .arg(&chart)
                .args(CHART_ARGS)
                .args(on)
                .args(["--format", "json"])
                .args(all.then_some("--all")));
            assert!(code == 0 || code == 1, "{version}: {err}");
            let diff: Value = serde_json::from_str(&out).unwrap();
            let mut remaining = kgw_verdicts(&diff, "remaining");
            remaining.sort();
            let rules: Vec<&str> = remaining.iter().map(|(r, _)| r.as_str()).collect();
            assert_eq!(
                rules,
                left.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
                "{version} (--all: {all}): {remaining:?}"
            );
            for ((rule, reason), (_, from)) in remaining.iter().zip(left) {
                assert!(
                    reason.ends_with(&format!("values fix it from gloo {from}")),
                    "{rule} on {version}: {reason}"
                );
            }
            assert!(kgw_verdicts(&diff, "fixed").len() >= 6, "{version}: {out}");
            assert_eq!(diff["introduced"], serde_json::json!([]), "{version} (--all: {all})");
        }
        // The overlay's securityContext is partial: helm merges it with the chart's default.
        let (_, overlay, _) = run(cmd(&helm).arg("overlay").arg(&chart).args(CHART_ARGS).args(on));
        let tmp = tempfile::tempdir().unwrap();
        let file = write(tmp.path(), "overlay.yaml", &overlay);
        let render = common::helm_template(
            &chart,
            &["--set", "kubeGateway.enabled=true", "-f", file.to_str().unwrap()],
        );
        let context = render.split("templates/43-gatewayparameters.yaml").nth(1).unwrap();
        for kept in ["readOnlyRootFilesystem: true", "runAsNonRoot: true", "runAsUser: 10101"] {
            assert!(context.contains(kept), "{version}: {kept} lost:\n{context}");
        }
        let report = check(
            &helm,
            &chart,
            &["--all", "--set", "kubeGateway.enabled=true", "-f", file.to_str().unwrap()],
        );
        let passing: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "PASS")
            .filter_map(|f| f["rule"].as_str())
            .filter(|r| ["KGW-001", "KGW-002", "KGW-003", "KGW-004"].contains(r))
            .collect();
        assert_eq!(passing.len(), 4, "{version}: {passing:?}");
    }
}

/// kubeGateway off: the full overlay writes no kubeGateway key (it would render nothing).
#[test]
fn kube_gateway_off_gets_no_kube_gateway_fix() {
    let Some(helm) = common::helm_or_skip() else { return };
    for version in ["1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { return };
        let (code, overlay, err) =
            run(cmd(&helm).arg("overlay").arg(&chart).args(CHART_ARGS).arg("--all"));
        assert_eq!(code, 0, "{err}");
        assert!(!overlay.contains("kubeGateway") && !overlay.contains("KGW-"), "{overlay}");
    }
}

/// In an umbrella chart the kubeGateway fixes go under `gloo.`, and they work there.
#[test]
fn umbrella_chart_gets_the_kube_gateway_fixes_under_gloo() {
    let Some(helm) = common::helm_or_skip() else { return };
    let Some(chart) = common::real_chart("1.22.1") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let umbrella = tmp.path().join("platform");
    common::copy_dir(&chart, &umbrella.join("charts/gloo"));
    write(&umbrella, "Chart.yaml", "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n  - name: gloo\n    version: 1.22.1\n    repository: file://charts/gloo\n");
    let on = ["--set", "gloo.kubeGateway.enabled=true"];
    let (code, overlay, err) =
        run(cmd(&helm).arg("overlay").arg(&umbrella).args(CHART_ARGS).args(on));
    assert_eq!(code, 0, "{err}");
    assert!(
        overlay.starts_with('#')
            && overlay.contains("\ngloo:\n")
            && overlay.contains("\n  kubeGateway:\n    gatewayParameters:\n      glooGateway:\n")
            && !overlay.contains("\nkubeGateway:"),
        "{overlay}"
    );
    let file = write(tmp.path(), "overlay.yaml", &overlay);
    let report = check(
        &helm,
        &umbrella,
        &["--set", "gloo.kubeGateway.enabled=true", "-f", file.to_str().unwrap()],
    );
    let failing: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL" && f["rule"].as_str().unwrap().starts_with("KGW-"))
        .collect();
    assert!(failing.is_empty(), "{failing:?}");
}

/// Issue 15 (5): ENVOY-002's heap cap is 80% of the Envoy container's memory limit, on every
/// real chart, and the overlay renders it into the bootstrap; without a limit there is no
/// values fix, and the finding says why.
#[test]
fn the_heap_cap_follows_the_envoy_memory_limit() {
    let Some(helm) = common::helm_or_skip() else { return };
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { return };
        let envoy_002 = |report: &Value| {
            report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["rule"] == "ENVOY-002")
                .unwrap()
                .clone()
        };
        let limit = "gatewayProxies.gatewayProxy.podTemplate.resources.limits.memory=1Gi";
        let sized = envoy_002(&check(&helm, &chart, &["--set", limit]));
        assert_eq!(sized["status"], "FAIL");
        assert_eq!(
            sized["fix"]["value"]["resourceMonitors"][0]["typed_config"]["max_heap_size_bytes"],
            858_993_459,
            "{version}: {sized}"
        );
        assert!(
            sized["message"]
                .as_str()
                .unwrap()
                .contains("80% of the Envoy container's memory limit 1Gi"),
            "{version}: {sized}"
        );
        let (code, overlay, err) =
            run(cmd(&helm).arg("overlay").arg(&chart).args(CHART_ARGS).args(["--set", limit]));
        assert_eq!(code, 0, "{err}");
        let tmp = tempfile::tempdir().unwrap();
        let file = write(tmp.path(), "overlay.yaml", &overlay);
        let render = common::helm_template(&chart, &["--set", limit, "-f", file.to_str().unwrap()]);
        assert!(
            render.contains("max_heap_size_bytes: 858993459"),
            "{version}: the bootstrap carries it\n{overlay}"
        );
        let bare = envoy_002(&check(&helm, &chart, &[]));
        assert!(bare["fix"].is_null(), "{version}: {bare}");
        assert!(
            bare["message"]
                .as_str()
                .unwrap()
                .contains("no values fix: the Envoy container has no memory limit"),
            "{version}: {bare}"
        );
        assert!(
            !run(cmd(&helm).arg("overlay").arg(&chart).args(CHART_ARGS))
                .1
                .contains("max_heap_size_bytes"),
            "{version}"
        );
    }
}

/// Issue 15 (5): where every proxy fails a rule with the same fix below its own key, the fix
/// goes once on `gatewayProxies.gatewayProxy`, which each chart (1.13.39, 1.17.38, 1.22.1)
/// merges under every other proxy, and that one key fixes them all; a proxy that sets the key
/// itself, or a key the chart does not merge, keeps its own.
#[test]
fn a_fix_for_every_proxy_is_written_once_on_the_default_proxy() {
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let values = write(
        tmp.path(),
        "proxies.yaml",
        "gatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      probes: false\n  publicGw:\n    podTemplate:\n      httpPort: 8081\n      httpsPort: 8444\n      probes: false\n  internalGw:\n    kind:\n      deployment:\n        replicas: 3\n    podTemplate:\n      httpPort: 8082\n      httpsPort: 8445\n",
    );
    let values_arg = values.to_str().unwrap();
    let fixes = |report: &Value, rule: &str| -> Vec<(String, String)> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule && f["status"] == "FAIL")
            .map(|f| {
                (
                    f["object"]["name"].as_str().unwrap().to_string(),
                    f["fix"]["values_path"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { return };
        let before = check(&helm, &chart, &["-f", values_arg]);
        // Six Gateways, one key.
        let buffer = fixes(&before, "ENVOY-003");
        assert_eq!(buffer.len(), 6, "{version}: {buffer:?}");
        assert!(
            buffer.iter().all(|(_, path)| path
                == "gatewayProxies.gatewayProxy.gatewaySettings.options.perConnectionBufferLimitBytes"),
            "{version}: {buffer:?}"
        );
        // publicGw sets probes itself: every proxy keeps its own key.
        let probes = fixes(&before, "GLOO-025");
        assert!(
            probes.contains(&(
                "public-gw".into(),
                "gatewayProxies.publicGw.podTemplate.probes".into()
            )),
            "{version}: {probes:?}"
        );
        assert!(
            probes.contains(&(
                "gateway-proxy".into(),
                "gatewayProxies.gatewayProxy.podTemplate.probes".into()
            )),
            "{version}: {probes:?}"
        );
        // internal-gw passes GLOO-019 (3 replicas): the two that fail keep their own keys.
        let replicas = fixes(&before, "GLOO-019");
        assert!(
            replicas.contains(&(
                "public-gw".into(),
                "gatewayProxies.publicGw.kind.deployment.replicas".into()
            )),
            "{version}: {replicas:?}"
        );
        // The overlay writes the shared fix once, and it reaches every proxy.
        let (code, overlay, err) =
            run(cmd(&helm).arg("overlay").arg(&chart).args(CHART_ARGS).args(["-f", values_arg]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            overlay.matches("perConnectionBufferLimitBytes").count(),
            1,
            "{version}\n{overlay}"
        );
        let file = write(tmp.path(), &format!("overlay-{version}.yaml"), &overlay);
        let after =
            check(&helm, &chart, &["--all", "-f", values_arg, "-f", file.to_str().unwrap()]);
        assert!(
            fixes(&after, "ENVOY-003").is_empty(),
            "{version}: {:?}",
            fixes(&after, "ENVOY-003")
        );
        let passing = after["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "ENVOY-003" && f["status"] == "PASS")
            .count();
        assert_eq!(passing, 6, "{version}: every Gateway of the three proxies");
    }
}
