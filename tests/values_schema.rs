//! The values schema (VALUES-*) on what users bring: the 34 real-world values files of
//! `../shared/realworld-values`, each against the chart its README says, and the charts' own
//! values.
//!
//! The oracle is helm itself: a key reported as one the chart ignores (VALUES-001/002), or the
//! dead first copy of a duplicated key (VALUES-004), is cut out of the file, and the render must
//! not change. A report that fails this is a false positive.

mod common;

use common::{copy_dir, helm, helm_harden, real_chart};
use std::path::{Path, PathBuf};
use std::process::Command;

/// (file number, chart version, whether the file is rendered through an umbrella chart with
/// gloo as the dependency `gloo`), as `../shared/realworld-values/README.md` says.
const FILES: &[(&str, &str, bool)] = &[
    ("01", "1.13.39", false),
    ("02", "1.13.39", false),
    ("03", "1.13.39", false),
    ("04", "1.13.39", false),
    ("05", "1.17.38", false),
    ("06", "1.17.38", false),
    ("07", "1.17.38", false),
    ("08", "1.13.39", false),
    ("09", "1.13.39", false),
    ("10", "1.13.39", false),
    ("11", "1.13.39", false),
    ("12", "1.13.39", false),
    ("13", "1.17.38", false),
    ("14", "1.22.1", true),
    ("15", "1.13.39", true),
    ("16", "1.13.39", true),
    ("17", "1.17.38", true),
    ("18", "1.17.38", true),
    ("19", "1.13.39", true),
    ("20", "1.13.39", true),
    ("21", "1.13.39", true),
    ("22", "1.13.39", true),
    ("23", "1.13.39", true),
    ("24", "1.17.38", true),
    ("25", "1.17.38", true),
    ("26", "1.22.1", true),
    ("27", "1.17.38", true),
    ("28", "1.17.38", true),
    ("29", "1.13.39", true),
    ("30", "1.13.39", false),
    ("31", "1.13.39", true),
    ("32", "1.13.39", true),
    ("33", "1.13.39", false),
];

fn realworld(number: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realworld-values");
    let entry = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(&format!("{number}-")))?;
    Some(entry.path())
}

/// An umbrella chart `platform` with the real gloo chart as its `gloo` dependency (condition
/// `gloo.enabled`), in `dir`.
fn umbrella(dir: &Path, version: &str) -> PathBuf {
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

/// VALUES-* findings of `check --values-only`: (rule, line, path).
fn values_findings(chart: &Path, values: &Path) -> Vec<(String, usize, String)> {
    let out = helm_harden()
        .args(["check", "--values-only", "--format", "json"])
        .arg(chart)
        .arg("-f")
        .arg(values)
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(code == Some(0) || code == Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert!(f["rule"].as_str().unwrap().starts_with("VALUES-"), "{f}");
            assert_eq!(f["object"]["template"], values.display().to_string());
            (
                f["rule"].as_str().unwrap().to_string(),
                f["object"]["line"].as_u64().unwrap() as usize,
                f["object"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `helm template`, or None when helm fails on these values.
fn render(chart: &Path, values: &Path) -> Option<String> {
    let out = Command::new(helm().expect("helm"))
        .args(["template", "gloo"])
        .arg(chart)
        .args(["--namespace", "gloo-system", "-f"])
        .arg(values)
        .output()
        .unwrap();
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap())
}

/// `text` without the key on line `line` (1-based) and everything indented below it. A parent
/// left with no key below it would be `null`, which helm reads as "delete the chart's default":
/// it goes too.
fn without_key(text: &str, line: usize) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let significant = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let mut start = line - 1;
    loop {
        let own = indent(lines[start]);
        let end = (start + 1..lines.len())
            .find(|&i| significant(lines[i]) && indent(lines[i]) <= own)
            .unwrap_or(lines.len());
        lines.drain(start..end);
        let Some(parent) =
            (0..start).rev().find(|&i| significant(lines[i]) && indent(lines[i]) < own)
        else {
            break;
        };
        let empty_key = lines[parent].trim_end().ends_with(':');
        let has_child = lines[parent + 1..]
            .iter()
            .find(|l| significant(l))
            .is_some_and(|l| indent(l) > indent(lines[parent]));
        if !empty_key || has_child {
            break;
        }
        start = parent;
    }
    lines.join("\n") + "\n"
}

#[test]
fn keys_reported_as_ignored_change_nothing_in_the_render() {
    let Some(_) = real_chart("1.17.38") else { return };
    let Some(_) = realworld("01") else {
        assert!(std::env::var_os("HELM_HARDEN_CI").is_none(), "../shared/realworld-values");
        eprintln!("SKIP: ../shared/realworld-values is absent");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (mut judged, mut failing_renders) = (0, 0);
    for (number, version, through_umbrella) in FILES {
        let values = realworld(number).unwrap();
        let chart = if *through_umbrella {
            umbrella(tmp.path(), version)
        } else {
            real_chart(version).unwrap()
        };
        let findings = values_findings(&chart, &values);
        let Some(before) = render(&chart, &values) else {
            failing_renders += 1;
            continue;
        };
        let text = std::fs::read_to_string(&values).unwrap();
        for (rule, line, path) in &findings {
            if rule == "VALUES-003"
                || text.lines().nth(line - 1).unwrap().trim_start().starts_with('-')
            {
                continue;
            }
            let cut = tmp.path().join(format!("{number}-cut.yaml"));
            std::fs::write(&cut, without_key(&text, *line)).unwrap();
            let after = render(&chart, &cut)
                .unwrap_or_else(|| panic!("{number}: the render fails without {path}"));
            assert!(
                before == after,
                "{number}: {rule} reports {path} (line {line}) as ignored, but the render changes without it"
            );
            judged += 1;
        }
    }
    // 39 ignored keys of 27 renderable files today; the six that helm cannot render are judged
    // below.
    assert!(judged >= 35, "only {judged} findings were judged by a render");
    assert_eq!(failing_renders, 6, "the README's six helm failures");
}

#[test]
fn known_mistakes_of_the_real_files_are_reported_at_their_lines() {
    let Some(_) = real_chart("1.17.38") else { return };
    let Some(_) = realworld("01") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let find = |number: &str, version: &str, umbrella_chart: bool| {
        let chart = if umbrella_chart {
            umbrella(tmp.path(), version)
        } else {
            real_chart(version).unwrap()
        };
        values_findings(&chart, &realworld(number).unwrap())
    };
    let has = |found: &[(String, usize, String)], rule: &str, line: usize, path: &str| {
        assert!(
            found.iter().any(|(r, l, p)| r == rule && *l == line && p == path),
            "{rule} {path} at line {line} not in {found:?}"
        );
    };
    // A nesting mistake: discovery sits at the top level of the plain chart.
    has(&find("12", "1.13.39", false), "VALUES-001", 7, "gloo.discovery");
    // A second top-level `global:`: the first one is dead.
    has(&find("13", "1.17.38", false), "VALUES-004", 9, "global");
    // `stats: true` where 1.13 expects a mapping (helm fails on it).
    has(&find("08", "1.13.39", false), "VALUES-003", 10, "discovery.deployment.stats");
    // Strings where the chart reads booleans.
    has(&find("26", "1.22.1", true), "VALUES-003", 50, "gloo.gloo.deployment.stats.enabled");
    // An OSS key without the `gloo.` prefix in an umbrella.
    has(&find("23", "1.13.39", true), "VALUES-001", 1, "settings");
    // A key of another minor.
    has(&find("26", "1.22.1", true), "VALUES-002", 24, "gloo.gateway.logLevel");
    // A file of defaults with nothing wrong raises nothing.
    assert_eq!(find("33", "1.13.39", false), []);
}

#[test]
fn a_failing_render_names_the_values_line_at_fault_first() {
    let Some(chart) = real_chart("1.13.39") else { return };
    let Some(values) = realworld("08") else { return };
    if helm().is_none() {
        return;
    }
    let out = helm_harden()
        .arg("check")
        .arg(&chart)
        .arg("-f")
        .arg(&values)
        .arg("--helm")
        .arg(helm().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let at =
        format!("error: {}:10: discovery.deployment.stats: `true` is a boolean", values.display());
    assert!(stderr.starts_with(&at), "{stderr}");
    // helm's own message is kept after it.
    assert!(stderr.contains("can't evaluate field enabled in type bool"), "{stderr}");
}

#[test]
fn the_charts_own_values_and_the_hardened_fixtures_raise_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = real_chart(version) else { return };
        let own = chart.join("values.yaml");
        assert_eq!(values_findings(&chart, &own), [], "{version}'s own values.yaml");
        let hardened = if version == "1.13.39" { "hardened-1.13.yaml" } else { "hardened.yaml" };
        let fixture = root.join("fixtures/values").join(hardened);
        assert_eq!(values_findings(&chart, &fixture), [], "{hardened} on {version}");
        // The user fixtures probe settings of several versions at once: a key of another
        // minor (VALUES-002) is right there, anything else is not.
        for entry in std::fs::read_dir(root.join("fixtures/values/user")).unwrap() {
            let path = entry.unwrap().path();
            let found: Vec<_> = values_findings(&chart, &path)
                .into_iter()
                .filter(|(rule, _, _)| rule != "VALUES-002")
                .collect();
            assert_eq!(found, [], "{} on {version}", path.display());
        }
    }
}

/// Every fix helm-harden writes names a key the chart reads: the declared fixes of every rule
/// (`overlay --all`) and the fixes that follow a user's own settings (the overlay of each
/// `fixtures/values/user` file, which exercise every kind of outcome fix), on all three charts.
#[test]
fn every_fix_names_a_real_key() {
    let Some(helm) = helm() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut users: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures/values/user"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    users.sort();
    let tmp = tempfile::tempdir().unwrap();
    let mut overlays = 0;
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = real_chart(version) else { return };
        let runs = std::iter::once(None).chain(users.iter().map(Some));
        for user in runs {
            let overlay = tmp.path().join(format!("overlay-{version}-{overlays}.yaml"));
            let mut cmd = helm_harden();
            cmd.args(["overlay", "--write"]).arg(&overlay).arg(&chart).arg("--helm").arg(&helm);
            match user {
                None => cmd.arg("--all"),
                Some(values) => cmd.arg("-f").arg(values),
            };
            let out = cmd.output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let what = user.map_or("--all".into(), |u| u.display().to_string());
            assert_eq!(values_findings(&chart, &overlay), [], "the overlay of {what} on {version}");
            overlays += 1;
        }
    }
    assert_eq!(overlays, 3 * (users.len() + 1));
}

#[test]
fn diff_judges_the_values_once_and_its_proof_is_about_the_render() {
    let Some(helm) = helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("values.yaml");
    std::fs::write(
        &values,
        "gatewayProxies:\n  gatewayProxy:\n    podTemplate:\n      probes: \"false\"\n",
    )
    .unwrap();
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/charts/gloo-mini");
    let out = helm_harden()
        .args(["check", "--diff", "--format", "json", "--helm"])
        .arg(&helm)
        .arg(&chart)
        .arg("-f")
        .arg(&values)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let values_rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str().filter(|r| r.starts_with("VALUES-")))
        .collect();
    assert_eq!(values_rules, ["VALUES-003"], "reported once, with the base render");
    // The overlay cannot edit the user's file: the proof neither counts the finding as fixed
    // nor as "still failing with the overlay applied".
    for verdicts in ["fixed", "remaining", "introduced"] {
        let rules: Vec<&str> = json["diff"][verdicts]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["rule"].as_str())
            .collect();
        assert!(!rules.iter().any(|r| r.starts_with("VALUES-")), "{verdicts}: {rules:?}");
    }
    assert!(!json["diff"]["fixed"].as_array().unwrap().is_empty(), "the proof is there");
}

/// kubeGateway keys the chart silently ignores are reported as keys it does not read: on 1.17
/// the whole `podTemplate` (a key of 1.18+; the rendered `extraLabels` is the chart's constant
/// `gloo: kube-gateway`, not the values key), on 1.22 its `affinity`, `nodeSelector`,
/// `securityContext` (and `extraLabels`, `readinessProbe`), while the keys it reads are not.
/// Helm is the oracle: without the reported keys the render is the same.
#[test]
fn kube_gateway_keys_the_chart_ignores_are_reported() {
    if helm().is_none() {
        return;
    }
    let kg = "kubeGateway.gatewayParameters.glooGateway";
    let read_1_22 = "        probes: true\n        gracefulShutdown: {enabled: true}\n        terminationGracePeriodSeconds: 60\n        topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}]\n";
    let ignored = "        extraLabels: {team: edge}\n        affinity: {podAntiAffinity: {}}\n        nodeSelector: {pool: edge}\n        securityContext: {runAsNonRoot: true}\n        readinessProbe: {tcpSocket: {port: 8082}}\n";
    let text = format!(
        "kubeGateway:\n  enabled: true\n  gatewayParameters:\n    glooGateway:\n      podTemplate:\n{read_1_22}{ignored}      stats:\n        enableStatsRoute: false\n"
    );
    let tmp = tempfile::tempdir().unwrap();
    let values = tmp.path().join("kube-gateway.yaml");
    std::fs::write(&values, &text).unwrap();
    let cases: [(&str, &[&str]); 2] = [
        ("1.17.38", &["VALUES-002 podTemplate"]),
        (
            "1.22.1",
            &[
                "VALUES-001 podTemplate.extraLabels",
                "VALUES-001 podTemplate.affinity",
                "VALUES-001 podTemplate.nodeSelector",
                "VALUES-001 podTemplate.securityContext",
                "VALUES-001 podTemplate.readinessProbe",
            ],
        ),
    ];
    for (version, expected) in cases {
        let Some(chart) = real_chart(version) else { return };
        let found = values_findings(&chart, &values);
        let got: Vec<String> = found
            .iter()
            .map(|(rule, _, path)| format!("{rule} {}", path.trim_start_matches(&format!("{kg}."))))
            .collect();
        assert_eq!(got, expected, "{version}");
        // Cut out (last line first), the reported keys change nothing helm renders.
        let mut cut = text.clone();
        let mut lines: Vec<usize> = found.iter().map(|(_, line, _)| *line).collect();
        lines.sort_unstable();
        for line in lines.into_iter().rev() {
            cut = without_key(&cut, line);
        }
        let without = tmp.path().join(format!("cut-{version}.yaml"));
        std::fs::write(&without, &cut).unwrap();
        assert_eq!(render(&chart, &values), render(&chart, &without), "{version}:\n{cut}");
    }
}

/// The kubeGateway fixes of the full overlay are keys the chart reads (no VALUES-* finding).
#[test]
fn the_kube_gateway_overlay_names_real_keys() {
    let Some(helm) = helm() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let on = tmp.path().join("on.yaml");
    std::fs::write(&on, "kubeGateway:\n  enabled: true\n").unwrap();
    for version in ["1.17.38", "1.22.1"] {
        let Some(chart) = real_chart(version) else { return };
        let overlay = tmp.path().join(format!("overlay-{version}.yaml"));
        let out = helm_harden()
            .args(["overlay", "--all", "--write"])
            .arg(&overlay)
            .arg(&chart)
            .arg("--helm")
            .arg(&helm)
            .arg("-f")
            .arg(&on)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&overlay).unwrap();
        assert!(text.contains("# KGW-008"), "{text}");
        assert_eq!(values_findings(&chart, &overlay), [], "{version}:\n{text}");
    }
}
