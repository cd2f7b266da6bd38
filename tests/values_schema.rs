//! The values schema (VALUES-*) on what users bring: the 34 real-world values files of
//! `../shared/realworld-values`, each against the chart its README says, and the charts' own
//! values.
//!
//! The oracle is helm itself: a key reported as one the chart ignores (VALUES-001/002), or the
//! dead first copy of a duplicated key (VALUES-004), is cut out of the file, and the render must
//! not change. A report that fails this is a false positive.

mod common;

use common::{helm, helm_harden, real_chart, realworld, umbrella, REALWORLD as FILES};
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// VALUES-* findings of a full `check` (the render included, so VALUES-005/006 too): (rule,
/// line, object name, message). A finding at the render has the render's line.
fn render_values_findings(chart: &Path, values: &Path) -> Vec<(String, usize, String, String)> {
    render_values_findings_of(chart, &[values])
}

/// [`render_values_findings`] of several values files, in order.
fn render_values_findings_of(
    chart: &Path,
    values: &[&Path],
) -> Vec<(String, usize, String, String)> {
    let mut cmd = helm_harden();
    cmd.args(["check", "--format", "json", "-n", "gloo-system"]).arg(chart);
    for file in values {
        cmd.arg("-f").arg(file);
    }
    let out = cmd.arg("--helm").arg(helm().expect("helm")).output().unwrap();
    let code = out.status.code();
    assert!(code == Some(0) || code == Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("VALUES-"))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["object"]["line"].as_u64().unwrap() as usize,
                f["object"]["name"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
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
        common::skip("../shared/realworld-values is absent");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (mut judged, mut failing_renders) = (0, 0);
    for (number, version, through_umbrella) in FILES.iter() {
        let values = realworld(number).unwrap();
        let chart = common::realworld_chart(tmp.path(), version, *through_umbrella);
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
    if common::helm_or_skip().is_none() {
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
    if common::helm_or_skip().is_none() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = real_chart(version) else { return };
        // The render too: no field of the chart's own resources is one its CRDs prune.
        let own = chart.join("values.yaml");
        assert_eq!(render_values_findings(&chart, &own), [], "{version}'s own values.yaml");
        let hardened = if version == "1.13.39" { "hardened-1.13.yaml" } else { "hardened.yaml" };
        let fixture = root.join("fixtures/values").join(hardened);
        assert_eq!(render_values_findings(&chart, &fixture), [], "{hardened} on {version}");
        // The user fixtures probe settings of several versions at once: a key of another
        // minor (VALUES-002) is right there, anything else is not; but for the quoted boolean
        // that settings-override.yaml writes into the Settings as users do, which the API
        // server refuses (VALUES-006).
        for entry in std::fs::read_dir(root.join("fixtures/values/user")).unwrap() {
            let path = entry.unwrap().path();
            let quoted_boolean = |rule: &str, key: &str| {
                rule == "VALUES-006"
                    && path.ends_with("settings-override.yaml")
                    && key
                        == "settings.kubeResourceOverride.spec.gloo.disableKubernetesDestinations"
            };
            let found: Vec<_> = render_values_findings(&chart, &path)
                .into_iter()
                .filter(|(rule, _, key, _)| rule != "VALUES-002" && !quoted_boolean(rule, key))
                .collect();
            assert_eq!(found, [], "{} on {version}", path.display());
        }
    }
}

/// Every fix helm-harden writes names a key the chart reads, and renders into fields the CRDs
/// keep: the declared fixes of every rule
/// (`overlay --all`) and the fixes that follow a user's own settings (the overlay of each
/// `fixtures/values/user` file, which exercise every kind of outcome fix), on all three charts.
#[test]
fn every_fix_names_a_real_key() {
    let Some(helm) = common::helm_or_skip() else { return };
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
            // Rendered, so that a fix's field is also one the CRDs keep (VALUES-005/006).
            let found = render_values_findings(&chart, &overlay);
            assert_eq!(found, [], "the overlay of {what} on {version}");
            overlays += 1;
        }
    }
    assert_eq!(overlays, 3 * (users.len() + 1));
}

#[test]
fn diff_judges_the_values_once_and_its_proof_is_about_the_render() {
    let Some(helm) = common::helm_or_skip() else { return };
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

/// A misspelled field in a block the chart passes through to a Gateway as it is: helm renders
/// it, the values schema cannot judge it (the block is free-form), and the API server would
/// prune it. It is reported at its values line with the Gateway's field names nearby, on each
/// chart and through an umbrella; a quoted boolean in a Settings override is refused.
#[test]
fn a_field_the_crd_prunes_is_reported_at_its_values_line() {
    if common::helm_or_skip().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let body = "gatewayProxies:\n  gatewayProxy:\n    gatewaySettings:\n      customHttpGateway:\n        options:\n          httpConnectionManagerSettings:\n            useRemoteAdress: true\nsettings:\n  kubeResourceOverride:\n    spec:\n      gloo:\n        disableKubernetesDestinations: \"true\"\n";
    for (version, through_umbrella) in
        [("1.13.39", false), ("1.17.38", false), ("1.22.1", false), ("1.17.38", true)]
    {
        let Some(chart) = real_chart(version) else { return };
        let (chart, text, prefix, shift) = if through_umbrella {
            let indented: String = body.lines().map(|l| format!("  {l}\n")).collect();
            (umbrella(tmp.path(), version), format!("gloo:\n{indented}"), "gloo.", 1)
        } else {
            (chart, body.to_string(), "", 0)
        };
        let values = tmp.path().join(format!("typo-{version}-{through_umbrella}.yaml"));
        std::fs::write(&values, &text).unwrap();
        let out = helm_harden()
            .args(["check", "--format", "json"])
            .arg(&chart)
            .arg("-f")
            .arg(&values)
            .arg("--helm")
            .arg(helm().unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let finding = |rule: &str| {
            json["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["rule"] == rule)
                .unwrap_or_else(|| panic!("no {rule} on {version}"))
                .clone()
        };
        let pruned = finding("VALUES-005");
        let path = format!("{prefix}gatewayProxies.gatewayProxy.gatewaySettings.customHttpGateway.options.httpConnectionManagerSettings");
        assert_eq!(pruned["object"]["template"], values.display().to_string());
        assert_eq!(pruned["object"]["line"], 7 + shift, "{version}");
        assert_eq!(pruned["object"]["name"], format!("{path}.useRemoteAdress"));
        let message = pruned["message"].as_str().unwrap();
        assert!(message.contains("renders into Gateway gateway-proxy as `spec.httpGateway.options.httpConnectionManagerSettings.useRemoteAdress`"), "{message}");
        assert!(message.contains("the API server prunes it"), "{message}");
        assert!(message.contains("closest first: `useRemoteAddress`"), "{message}");
        // The one-click fix renames the key on its line.
        assert_eq!(pruned["fix"]["values_path"], format!("{path}.useRemoteAddress"));
        assert_eq!(pruned["fix"]["line"], 7 + shift);
        let refused = finding("VALUES-006");
        assert_eq!(refused["object"]["line"], 12 + shift, "{version}");
        assert!(refused["message"].as_str().unwrap().contains("must be a boolean"), "{refused}");
        assert_eq!(refused["fix"]["value"], true);
        assert_eq!(refused["severity"], "high");
    }
}

/// The oracle for VALUES-005 on the real files is helm and the CRD: with the reported key cut
/// out of the values, the resource renders exactly as before less the pruned field, which is
/// what the API server would have stored anyway.
#[test]
fn fields_reported_as_pruned_are_all_the_key_adds_to_the_render() {
    let Some(_) = real_chart("1.17.38") else { return };
    let Some(_) = realworld("01") else { return };
    if common::helm_or_skip().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut judged = 0;
    for (number, version, through_umbrella) in FILES.iter() {
        let values = realworld(number).unwrap();
        let chart = common::realworld_chart(tmp.path(), version, *through_umbrella);
        let Some(before) = render(&chart, &values) else { continue };
        if before.trim().is_empty() {
            // File 16 disables gloo: nothing is rendered (and `check` says so).
            continue;
        }
        let text = std::fs::read_to_string(&values).unwrap();
        for (rule, line, key, message) in render_values_findings(&chart, &values) {
            if rule != "VALUES-005" {
                continue;
            }
            let (kind, name, field) = rendered_field(&message).unwrap_or_else(|| {
                panic!("{number}: {key} is not placed at the values: {message}")
            });
            let cut = tmp.path().join(format!("{number}-cut.yaml"));
            std::fs::write(&cut, without_key(&text, line)).unwrap();
            let after = render(&chart, &cut).expect("renders without the key");
            let mut expected = object(&before, &kind, &name);
            remove_field(&mut expected, &field);
            assert_eq!(
                object(&after, &kind, &name),
                expected,
                "{number}: cutting {key} (line {line}) changes more of {kind} {name} than {field}"
            );
            judged += 1;
        }
    }
    // File 26 sets Enterprise keys (`global.extensions.extAuth`) and a 1.17 key that 1.22's
    // Settings CRD no longer has.
    assert!(judged >= 3, "only {judged} pruned fields were judged");
}

/// `(kind, name, field path)` of "renders into Kind name as `a.b.c`, which ...".
fn rendered_field(message: &str) -> Option<(String, String, String)> {
    let rest = message.strip_prefix("renders into ")?;
    let (object, rest) = rest.split_once(" as `")?;
    let (kind, name) = object.split_once(' ')?;
    let (field, _) = rest.split_once('`')?;
    Some((kind.to_string(), name.to_string(), field.to_string()))
}

/// The one object of `kind` and `name` in a render (embedded ones included), as JSON.
fn object(render: &str, kind: &str, name: &str) -> serde_json::Value {
    let docs = helm_harden::parse::parse_stream(render).unwrap();
    let found: Vec<_> = docs.iter().filter(|d| d.kind == kind && d.name == name).collect();
    assert_eq!(found.len(), 1, "{kind} {name}");
    found[0].root.to_json()
}

/// `json` without the field at `dotted`, and without the parents that leaves empty: the cut
/// values (see [`without_key`]) lose a parent left empty too.
fn remove_field(json: &mut serde_json::Value, dotted: &str) {
    let segments: Vec<&str> = dotted.split('.').collect();
    for depth in (1..=segments.len()).rev() {
        let (last, parents) = segments[..depth].split_last().unwrap();
        let mut at = &mut *json;
        for segment in parents {
            at = &mut at[*segment];
        }
        let object = at.as_object_mut().unwrap();
        let is_empty_object = object[*last].as_object().is_some_and(serde_json::Map::is_empty);
        if depth == segments.len() || is_empty_object {
            object.remove(*last).expect("the field is in the render");
        } else {
            break;
        }
    }
}

/// A pre-rendered stream is judged by the CustomResourceDefinitions it holds, at its lines.
#[test]
fn a_stream_with_its_crds_is_judged_at_the_render() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("render.yaml");
    std::fs::write(
        &stream,
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names:\n    kind: Widget\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              replicas: {type: integer}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  replica: 2\n",
    )
    .unwrap();
    // No Gloo in this stream: checked deliberately (a render no rule applies to is refused).
    let out = helm_harden()
        .args(["check", "--allow-no-gloo", "--format", "json", "--manifests"])
        .arg(&stream)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pruned: Vec<_> =
        json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "VALUES-005").collect();
    assert_eq!(pruned.len(), 1, "{json}");
    assert_eq!(pruned[0]["object"]["kind"], "Widget");
    assert_eq!(pruned[0]["object"]["line"], 25);
    assert!(
        pruned[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`spec.replica` is not a field of the Widget CRD (widgets.example.com)"),
        "{}",
        pruned[0]["message"]
    );
}

/// Issue 12 (4): the Knative proxies (`knative-external-proxy`, `knative-internal-proxy`) are
/// rendered from `settings.integrations.knative.proxy` and the ingress proxy from
/// `ingressProxy.deployment`, not from `gatewayProxies`: a `gatewayProxies.knativeExternalProxy`
/// fix would render a second, stray proxy. Each gets its own keys' fix, or none with the reason,
/// in `check`, `overlay` and `overlay --all`, on all three charts and under an umbrella chart's
/// `gloo.`; the overlays pass the values schema and the own-key fixes do fix.
#[test]
fn proxies_rendered_from_their_own_block_get_their_own_keys() {
    // (workload, its bootstrap ConfigMap, the block it is rendered from)
    const KNATIVE: &str = "settings.integrations.knative.proxy";
    const OWN: [(&str, &str, &str); 3] = [
        ("knative-external-proxy", "knative-external-proxy-config", KNATIVE),
        ("knative-internal-proxy", "knative-internal-proxy-config", KNATIVE),
        ("ingress-proxy", "ingress-envoy-config", "ingressProxy.deployment"),
    ];
    let Some(helm) = common::helm_or_skip() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut charts: Vec<(String, PathBuf, &str)> = Vec::new();
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = real_chart(version) else { return };
        charts.push((version.into(), chart, ""));
    }
    charts.push(("1.22.1 as the umbrella's gloo".into(), umbrella(tmp.path(), "1.22.1"), "gloo."));
    let enable = "settings:\n  integrations:\n    knative:\n      enabled: true\n      version: \"1.5.0\"\ningress:\n  enabled: true\n";
    for (run, (what, chart, prefix)) in charts.iter().enumerate() {
        let values = tmp.path().join(format!("knative-{run}.yaml"));
        let gloo_values = if prefix.is_empty() {
            std::fs::write(&values, enable).unwrap();
            chart.join("values.yaml")
        } else {
            let nested: String = enable.lines().map(|l| format!("  {l}\n")).collect();
            std::fs::write(&values, format!("gloo:\n{nested}")).unwrap();
            chart.join("charts/gloo/values.yaml")
        };
        // The chart's own gatewayProxies keys: the only ones a fix may name.
        let chart_values: serde_json::Value =
            yaml_serde::from_str(&std::fs::read_to_string(gloo_values).unwrap()).unwrap();
        let real: Vec<String> = chart_values["gatewayProxies"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| format!("{prefix}gatewayProxies.{k}"))
            .collect();
        assert_eq!(real, [format!("{prefix}gatewayProxies.gatewayProxy")], "{what}");
        let stray = |path: &str| {
            path.starts_with(&format!("{prefix}gatewayProxies."))
                && !real.iter().any(|r| path == r || path.starts_with(&format!("{r}.")))
        };
        let check = |extra: Option<&Path>| -> serde_json::Value {
            let mut cmd = helm_harden();
            cmd.args(["check", "--format", "json", "--helm"]).arg(&helm).arg(chart);
            cmd.arg("-f").arg(&values);
            if let Some(extra) = extra {
                cmd.arg("-f").arg(extra);
            }
            let out = cmd.output().unwrap();
            let code = out.status.code();
            assert!(matches!(code, Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
            serde_json::from_slice(&out.stdout).unwrap()
        };
        let report = check(None);
        let findings = report["findings"].as_array().unwrap();
        let name = |f: &serde_json::Value| f["object"]["name"].as_str().unwrap().to_string();
        for (proxy, _, _) in OWN {
            assert!(findings.iter().any(|f| name(f) == proxy), "{proxy} not in {what}'s render");
        }
        let (mut own_fixes, mut reasons, mut replicas) = (0, 0, 0);
        for f in findings.iter().filter(|f| f["status"] == "FAIL") {
            let (name, rule) = (name(f), &f["rule"]);
            let path = f["fix"]["values_path"].as_str();
            if let Some(path) = path {
                assert!(!stray(path), "{what}: {rule} on {name} names {path}");
            }
            let Some((proxy, _, block)) = OWN.iter().find(|(p, b, _)| name == *p || name == *b)
            else {
                continue;
            };
            let block = format!("{prefix}{block}");
            if let Some(path) = path {
                assert!(path.starts_with(&format!("{block}.")), "{what}: {rule} on {name}: {path}");
                own_fixes += 1;
            } else {
                let message = f["message"].as_str().unwrap();
                let reason = format!("(no values fix: {proxy} is rendered from {block}");
                assert!(message.contains(&reason), "{what}: {rule} on {name}: {message}");
                reasons += 1;
            }
            if rule == "GLOO-019" {
                assert_eq!(path, Some(format!("{block}.replicas").as_str()), "{what}: {name}");
                replicas += 1;
            }
        }
        assert_eq!(replicas, 3, "{what}: GLOO-019 fails on each proxy");
        // Replicas and requests of each proxy have their own keys; probes, budgets, ... do not.
        assert!(own_fixes >= 6, "{what}: {own_fixes} own-key fixes");
        assert!(reasons >= 3 * 5, "{what}: {reasons} findings with the reason");
        for all in [false, true] {
            let overlay = tmp.path().join(format!("overlay-{run}-{all}.yaml"));
            let mut cmd = helm_harden();
            cmd.args(["overlay", "--force", "--write"]).arg(&overlay).arg(chart);
            cmd.arg("--helm").arg(&helm).arg("-f").arg(&values);
            if all {
                cmd.arg("--all");
            }
            let out = cmd.output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let text = std::fs::read_to_string(&overlay).unwrap();
            let tree: serde_json::Value = yaml_serde::from_str(&text).unwrap();
            let gloo = if prefix.is_empty() { &tree } else { &tree["gloo"] };
            let proxies: Vec<&String> =
                gloo["gatewayProxies"].as_object().map(|m| m.keys().collect()).unwrap_or_default();
            assert!(
                proxies.iter().all(|k| *k == "gatewayProxy"),
                "{what}: overlay (--all: {all}) writes gatewayProxies {proxies:?}"
            );
            let knative = &gloo["settings"]["integrations"]["knative"]["proxy"];
            assert_eq!(knative["replicas"], 2, "{what}: {text}");
            assert_eq!(gloo["ingressProxy"]["deployment"]["replicas"], 2, "{what}: {text}");
            assert_eq!(values_findings(chart, &overlay), [], "{what}: the overlay (--all: {all})");
            if all {
                continue;
            }
            // The own keys do what the gatewayProxies ones do elsewhere: with the overlay the
            // proxies' replicas and requests pass.
            for f in check(Some(&overlay))["findings"].as_array().unwrap() {
                let own = OWN.iter().any(|(p, _, _)| name(f) == *p);
                if own && (f["rule"] == "GLOO-019" || f["rule"] == "GLOO-012") {
                    assert_eq!(f["status"], "PASS", "{what}: {f}");
                }
            }
        }
    }
}

/// kubeGateway keys the chart silently ignores are reported as keys it does not read: on 1.17
/// the whole `podTemplate` (a key of 1.18+; the rendered `extraLabels` is the chart's constant
/// `gloo: kube-gateway`, not the values key), on 1.22 its `affinity`, `nodeSelector`,
/// `securityContext` (and `extraLabels`, `readinessProbe`), while the keys it reads are not.
/// Helm is the oracle: without the reported keys the render is the same.
#[test]
fn kube_gateway_keys_the_chart_ignores_are_reported() {
    if common::helm_or_skip().is_none() {
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
    let Some(helm) = common::helm_or_skip() else { return };
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
        // Rendered with kubeGateway on: the fixes are fields the GatewayParameters CRD keeps
        // (VALUES-005/006).
        assert_eq!(render_values_findings_of(&chart, &[&on, &overlay]), [], "{version}:\n{text}");
    }
}
