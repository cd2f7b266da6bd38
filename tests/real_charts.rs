//! The real Gloo charts (`../shared/charts`), checked through the CLI as a user runs it.
//! Each test skips (`common::skip`: a SKIPPED line, a failure in CI) when the charts or helm
//! are absent.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn helm_harden() -> Command {
    common::helm_harden()
}

/// `check --format json --all` on a chart with extra args; returns (exit code, JSON).
fn check_json(chart: &Path, args: &[&str]) -> (i32, Value) {
    let helm = common::helm().expect("helm (scripts/setup, $HELM_BIN or PATH)");
    let out = helm_harden()
        .arg("check")
        .arg(chart)
        .args(["-n", "gloo-system", "--release", "gloo", "--format", "json", "--all", "--helm"])
        .arg(&helm)
        .args(args)
        .output()
        .expect("run helm-harden");
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "exit {code}: {}", String::from_utf8_lossy(&out.stderr));
    (code, serde_json::from_slice(&out.stdout).expect("JSON output"))
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

/// (rule, status, object name) of every finding.
fn verdicts(report: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = findings(report)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
                f["object"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn status_of<'a>(report: &'a Value, rule: &str, object: &str) -> Vec<&'a str> {
    findings(report)
        .iter()
        .filter(|f| f["rule"] == rule && f["object"]["name"] == object)
        .map(|f| f["status"].as_str().unwrap())
        .collect()
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(path)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn ready(version: &str) -> Option<PathBuf> {
    let chart = common::real_chart(version)?;
    common::helm_or_skip()?;
    Some(chart)
}

#[test]
fn hardened_values_leave_no_fixable_failure() {
    for (version, values) in [
        ("1.13.39", "values/hardened-1.13.yaml"),
        ("1.17.38", "values/hardened.yaml"),
        ("1.22.1", "values/hardened.yaml"),
    ] {
        let Some(chart) = ready(version) else { return };
        let (code, report) = check_json(&chart, &["-f", fixture(values).to_str().unwrap()]);
        let failing: Vec<_> = findings(&report)
            .iter()
            .filter(|f| f["status"] == "FAIL")
            .map(|f| format!("{} {} {}", f["rule"], f["object"]["name"], f["message"]))
            .collect();
        // Every failure left must be one values cannot fix (no `fix` offered).
        let fixable: Vec<_> = findings(&report)
            .iter()
            .filter(|f| f["status"] == "FAIL" && !f["fix"].is_null())
            .collect();
        assert!(
            fixable.is_empty(),
            "{version} with {values}: fixable failures remain:\n{}",
            failing.join("\n")
        );
        assert!(code == 0 || !failing.is_empty());
    }
}

#[test]
fn umbrella_chart_gives_the_same_verdicts_with_gloo_prefixed_fixes() {
    let Some(chart) = ready("1.17.38") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let umbrella = tmp.path().join("platform");
    common::copy_dir(&chart, &umbrella.join("charts/gloo"));
    write(&umbrella, "Chart.yaml", "apiVersion: v2\nname: platform\nversion: 0.1.0\ndependencies:\n  - name: gloo\n    version: 1.17.38\n    repository: file://charts/gloo\n");
    let values = write(
        tmp.path(),
        "platform-values.yaml",
        "# platform values\ngloo:\n  gateway:\n    validation:\n      allowWarnings: true\n  gatewayProxies:\n    gatewayProxy:\n      podTemplate:\n        probes: true\n",
    );
    let plain_values = write(tmp.path(), "plain-values.yaml", "gateway:\n  validation:\n    allowWarnings: true\ngatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      probes: true\n");
    let (_, nested) = check_json(&umbrella, &["-f", values.to_str().unwrap()]);
    let (_, plain) = check_json(&chart, &["-f", plain_values.to_str().unwrap()]);
    assert_eq!(verdicts(&nested), verdicts(&plain), "same verdicts as the plain chart");

    let fix = |report: &Value, rule: &str| -> Value {
        findings(report)
            .iter()
            .find(|f| f["rule"] == rule && f["status"] == "FAIL")
            .unwrap_or_else(|| panic!("{rule} fails"))["fix"]
            .clone()
    };
    let f = fix(&nested, "GLOO-005");
    assert_eq!(f["values_path"], "gloo.gateway.validation.allowWarnings");
    assert_eq!(f["value"], false);
    assert_eq!(f["line"], 5, "the allowWarnings line of the user's file");
    assert_eq!(f["exact"], true);
    let f = fix(&nested, "GLOO-026");
    assert!(
        f["values_path"]
            .as_str()
            .unwrap()
            .starts_with("gloo.gatewayProxies.gatewayProxy.podTemplate"),
        "{f}"
    );
    assert_eq!(
        f["line"], 8,
        "the user sets podTemplate.probes: the fix's own key, podTemplate:, is the line to change"
    );
    let f = fix(&nested, "GLOO-033");
    assert!(
        f["values_path"].as_str().unwrap().starts_with("gloo.")
            || f["values_path"].as_str().unwrap().starts_with("global."),
        "{f}"
    );
    assert_eq!(nested["chart"]["name"], "platform");
    assert_eq!(nested["chart"]["version"], "1.17.38");
}

#[test]
fn every_proxy_is_checked_on_its_own() {
    let Some(chart) = ready("1.17.38") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let values = write(
        tmp.path(),
        "two-proxies.yaml",
        "gatewayProxies:\n  gatewayProxy: {}\n  internalGw:\n    podTemplate:\n      probes: true\n      livenessProbeEnabled: true\n",
    );
    let (_, report) = check_json(&chart, &["-f", values.to_str().unwrap()]);
    assert_eq!(status_of(&report, "GLOO-025", "gateway-proxy"), ["FAIL"]);
    assert_eq!(status_of(&report, "GLOO-025", "internal-gw"), ["PASS"]);
    assert_eq!(status_of(&report, "GLOO-026", "internal-gw"), ["PASS"]);
    let fail = findings(&report)
        .iter()
        .find(|f| f["rule"] == "GLOO-025" && f["status"] == "FAIL")
        .unwrap();
    assert!(
        fail["fix"]["values_path"].as_str().unwrap().starts_with("gatewayProxies.gatewayProxy."),
        "{}",
        fail["fix"]
    );
    assert_eq!(fail["fix"]["line"], 2, "under the gatewayProxy key of the file");
    // The second proxy's Gateways are checked too.
    assert_eq!(status_of(&report, "ENVOY-005", "internal-gw"), ["FAIL"]);
    assert_eq!(status_of(&report, "ENVOY-005", "internal-gw-ssl"), ["FAIL"]);
}

#[test]
fn a_disabled_proxy_yields_nothing() {
    let Some(chart) = ready("1.17.38") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let values = write(tmp.path(), "disabled.yaml", "gatewayProxies:\n  gatewayProxy:\n    disabled: true\n  edgeGw:\n    disabled: false  # proxies inherit gatewayProxy's values\n");
    let (_, report) = check_json(&chart, &["-f", values.to_str().unwrap()]);
    let objects: Vec<&str> =
        findings(&report).iter().map(|f| f["object"]["name"].as_str().unwrap()).collect();
    assert!(
        objects.iter().all(|o| !o.starts_with("gateway-proxy")),
        "nothing of the disabled proxy: {objects:?}"
    );
    assert_eq!(status_of(&report, "GLOO-025", "edge-gw"), ["FAIL"]);
}

#[test]
fn set_arguments_are_reported_as_the_source() {
    let Some(chart) = ready("1.22.1") else { return };
    let (code, report) =
        check_json(&chart, &["--set", "gateway.validation.alwaysAcceptResources=true"]);
    assert_eq!(code, 1);
    let f = findings(&report)
        .iter()
        .find(|f| f["rule"] == "GLOO-004" && f["status"] == "FAIL")
        .unwrap();
    assert_eq!(f["fix"]["file"], "--set");
    assert_eq!(f["fix"]["set"], "--set gateway.validation.alwaysAcceptResources=true");
}

/// The tables the cold-cache overlay prediction starts from (`src/harden/predict/gloo-*.yaml`, see
/// `crate::harden::predict`) are what `overlay` prints for each real chart at its defaults. A stale
/// table costs only speed (a prediction that misses renders again), but it must not drift
/// unseen; `HH_UPDATE_PREDICTIONS=1` rewrites them.
#[test]
fn the_overlay_prediction_tables_are_the_charts_defaults_overlays() {
    let Some(helm) = common::helm_or_skip() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { return };
        let out = helm_harden()
            .arg("overlay")
            .arg(&chart)
            .args(["-n", "gloo-system", "--no-cache", "--helm"])
            .arg(&helm)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let overlay: String = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("# "))
            .map(|l| format!("{l}\n"))
            .collect();
        let table = root.join(format!("src/harden/predict/gloo-{version}.yaml"));
        if std::env::var_os("HH_UPDATE_PREDICTIONS").is_some() {
            std::fs::write(&table, &overlay).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&table).unwrap(),
            overlay,
            "{} is stale: HH_UPDATE_PREDICTIONS=1 cargo test --test real_charts overlay_prediction",
            table.display()
        );
    }
}
