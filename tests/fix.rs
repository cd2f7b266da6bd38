//! `helm-harden fix`: the fixes written into the user's own values files, as a review suggests
//! them, until nothing a values line can fix is left; run again, it changes nothing.

mod common;

use common::{helm, helm_harden, real_chart};
use std::path::Path;

fn fix(chart: &Path, values: &Path, extra: &[&str]) -> std::process::Output {
    helm_harden()
        .arg("fix")
        .arg(chart)
        .arg("-f")
        .arg(values)
        .arg("--helm")
        .arg(helm().unwrap())
        .args(extra)
        .output()
        .unwrap()
}

/// Failing findings of a check: (rule, object, whether a values line can fix it); None when
/// `check` cannot judge the chart with these values (exit 2: helm cannot render them, or no
/// Gloo in the render).
fn judged_failures(chart: &Path, values: &Path) -> Option<Vec<(String, String, bool)>> {
    let out = helm_harden()
        .args(["check", "--format", "json", "-n", "gloo-system"])
        .arg(chart)
        .arg("-f")
        .arg(values)
        .arg("--helm")
        .arg(helm().unwrap())
        .output()
        .unwrap();
    if out.status.code() == Some(2) {
        return None;
    }
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL" && f.get("suppressed").is_none())
        .map(|f| {
            let fixable = f["fix"].is_object() && f["fix"].get("set").is_none();
            let object = format!(
                "{}/{}",
                f["object"]["kind"].as_str().unwrap(),
                f["object"]["name"].as_str().unwrap()
            );
            (f["rule"].as_str().unwrap().to_string(), object, fixable)
        })
        .collect();
    Some(failures)
}

#[test]
fn fix_edits_the_file_in_place_keeps_its_comments_and_is_idempotent() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let Some(chart) = real_chart("1.17.38") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("values.yaml");
    let weak = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/values/weak.yaml"),
    )
    .unwrap();
    let commented = format!("# our production gateway\n{weak}");
    std::fs::write(&values, &commented).unwrap();

    // --dry-run prints the diff and changes nothing.
    let dry = fix(&chart, &values, &["--dry-run"]);
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(stdout.contains("--- a/") && stdout.contains("+++ b/"), "{stdout}");
    assert!(stdout.contains("would fix"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&values).unwrap(), commented);
    // The fixes that change how traffic is handled say so, each rule once with its keys.
    let review = stdout
        .split("review before applying (these fixes change how traffic is handled):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no review note:\n{stdout}"));
    assert!(
        review.contains("  GLOO-010: routes that send traffic straight to a Kubernetes Service"),
        "{review}"
    );
    assert!(review.contains("\n    settings.disableKubernetesDestinations\n"), "{review}");
    for rule in ["ENVOY-009", "ENVOY-013", "ENVOY-017", "ENVOY-018"] {
        assert_eq!(review.matches(&format!("  {rule}: ")).count(), 1, "{review}");
    }
    assert!(!review.contains("GLOO-004"), "{review}");

    let first = fix(&chart, &values, &[]);
    // Left: the overload manager, whose heap cap no memory limit sizes here (exit 1, medium).
    let said = String::from_utf8_lossy(&first.stdout);
    assert_eq!(first.status.code(), Some(1), "{said}");
    assert!(said.contains("left 1 failure(s):\n  left: ENVOY-002 EnvoyBootstrap/gateway-proxy-envoy-config: no values fix: the Envoy container has no memory limit to size the heap cap from"), "{said}");
    let fixed = std::fs::read_to_string(&values).unwrap();
    assert_ne!(fixed, commented);
    assert!(fixed.starts_with("# our production gateway\n"), "comments stay:\n{fixed}");
    // What is left is what no values line can fix.
    let left = judged_failures(&chart, &values).expect("check judges the values");
    assert!(left.iter().all(|(_, _, fixable)| !fixable), "{left:?}");
    // Twice changes nothing.
    let second = fix(&chart, &values, &[]);
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&values).unwrap(), fixed);
    assert!(String::from_utf8_lossy(&second.stdout).contains("fixed 0 failure(s) in 0 file(s)"));
}

#[test]
fn a_key_set_on_the_command_line_is_reported_not_edited() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let Some(chart) = real_chart("1.17.38") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("values.yaml");
    std::fs::write(&values, "gloo:\n  logLevel: info\n").unwrap();
    let out = fix(&chart, &values, &["--set", "settings.disableKubernetesDestinations=false"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("GLOO-010 Settings/default: its key is set by --set"), "{stdout}");
    let text = std::fs::read_to_string(&values).unwrap();
    assert!(!text.contains("disableKubernetesDestinations"), "{text}");
    // Something left at the threshold: exit 1.
    assert_eq!(out.status.code(), Some(1));
}

/// On every user fixture and every real chart: no values-fixable failure is left, and none is
/// added.
#[test]
fn fix_leaves_nothing_values_can_fix_on_every_user_fixture() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut users: Vec<_> = std::fs::read_dir(root.join("fixtures/values/user"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    users.sort();
    let tmp = tempfile::tempdir().unwrap();
    let mut fixed_files = 0;
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = real_chart(version) else { return };
        for user in &users {
            let values = tmp
                .path()
                .join(format!("{version}-{}", user.file_name().unwrap().to_string_lossy()));
            std::fs::copy(user, &values).unwrap();
            let before = judged_failures(&chart, &values).expect("check judges the values");
            let out = fix(&chart, &values, &[]);
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let after = judged_failures(&chart, &values).expect("check judges the values");
            let what = format!("{} on {version}", user.display());
            let fixable: Vec<_> = after.iter().filter(|(_, _, fixable)| *fixable).collect();
            assert!(
                fixable.is_empty(),
                "{what}: still fixable {fixable:?}\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
            let new: Vec<_> = after
                .iter()
                .filter(|(rule, object, _)| {
                    !before.iter().any(|(r, o, _)| r == rule && o == object)
                })
                .collect();
            assert!(new.is_empty(), "{what}: new failures {new:?}");
            fixed_files += 1;
        }
    }
    assert_eq!(fixed_files, 3 * users.len());
}

/// On the real-world values files whose chart renders, as their README says to render them:
/// no values-fixable failure is left and none is added (file 07 turns the gateway off, which
/// drops the webhook: GLOO-007 gives no values fix there, rather than one that does not take).
#[test]
fn fix_leaves_nothing_values_can_fix_on_the_real_world_files() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let Some(_) = common::realworld("01") else {
        common::skip("../shared/realworld-values is absent");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut fixed_files = 0;
    for (number, version, through_umbrella) in common::REALWORLD.iter() {
        let Some(real) = real_chart(version) else { return };
        let chart = if *through_umbrella { common::umbrella(tmp.path(), version) } else { real };
        let values = tmp.path().join(format!("{number}.yaml"));
        std::fs::copy(common::realworld(number).unwrap(), &values).unwrap();
        let before = judged_failures(&chart, &values).unwrap_or_default();
        let out = fix(&chart, &values, &["-n", "gloo-system"]);
        if out.status.code() == Some(2) {
            // The README's six that helm cannot render, and file 16 that renders nothing: the
            // error names the user's file, never the copy fix works on.
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("helm-harden-fix-"), "{number}: {stderr}");
            continue;
        }
        let after = judged_failures(&chart, &values).expect("check judges the values");
        if *number == "07" {
            let said = String::from_utf8_lossy(&out.stdout);
            assert!(
                said.contains("left: GLOO-007 Settings/default: no values fix: the chart renders the validation webhook only with the gateway on"),
                "07: {said}"
            );
        }
        let fixable: Vec<_> = after.iter().filter(|(_, _, fixable)| *fixable).collect();
        assert!(fixable.is_empty(), "{number}: still fixable {fixable:?}");
        let new: Vec<_> = after
            .iter()
            .filter(|(rule, object, _)| !before.iter().any(|(r, o, _)| r == rule && o == object))
            .collect();
        assert!(new.is_empty(), "{number}: new failures {new:?}");
        fixed_files += 1;
    }
    assert!(fixed_files >= 26, "only {fixed_files} files were fixed");
}

/// Issue 15 (2): GLOO-025 and GLOO-026 both fix `podTemplate`: one edit of that block, key by
/// key, so the comments inside it stay (the block was rewritten whole before, dropping them).
#[test]
fn two_fixes_of_one_key_are_one_edit_that_keeps_the_blocks_comments() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let Some(chart) = real_chart("1.17.38") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("values.yaml");
    let text = "gatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      # root for port 80, ticket OPS-12\n      runUnprivileged: false\n      probes: false  # flaky in the lab\n";
    std::fs::write(&values, text).unwrap();
    let out = fix(&chart, &values, &["-n", "gloo-system", "--rule", "GLOO-025,GLOO-026"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert_eq!(
        std::fs::read_to_string(&values).unwrap(),
        "gatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      livenessProbeEnabled: true\n      # root for port 80, ticket OPS-12\n      runUnprivileged: false\n      probes: true  # flaky in the lab\n",
        "{said}"
    );
    assert!(
        said.contains("fixed: GLOO-025 Deployment/gateway-proxy")
            && said.contains("fixed: GLOO-026 Deployment/gateway-proxy"),
        "{said}"
    );
}
