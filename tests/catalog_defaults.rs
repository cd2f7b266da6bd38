//! The first acceptance test: on each real chart with default values, every rule's status is
//! exactly the one HARDENING.md's rule index gives. The index is read from the spec itself.

mod common;

use helm_harden::check::{check, evaluate, ValuesContext};
use helm_harden::config::Config;
use helm_harden::parse::chart::ChartInfo;
use helm_harden::parse::values::ValuesFile;
use helm_harden::parse::{parse_stream, parse_stream_keeping, Keep};
use std::collections::BTreeMap;

const VERSIONS: [&str; 3] = ["1.13.39", "1.17.38", "1.22.1"];

/// `ID -> [status per version]` from the rule index table of HARDENING.md.
fn rule_index() -> Option<BTreeMap<String, [String; 3]>> {
    let spec = common::shared_charts()?.join("../HARDENING.md");
    let text = std::fs::read_to_string(spec).ok()?;
    let mut index = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 6
            || !(cells[1].starts_with("GLOO-")
                || cells[1].starts_with("K8S-")
                || cells[1].starts_with("ENVOY-"))
        {
            continue;
        }
        let defaults: Vec<String> = cells[4].split('/').map(|s| s.trim().to_string()).collect();
        let per_version = match defaults.as_slice() {
            [one] => [one.clone(), one.clone(), one.clone()],
            [a, b, c] => [a.clone(), b.clone(), c.clone()],
            _ => panic!("unreadable defaults in {line}"),
        };
        index.insert(cells[1].to_string(), per_version);
    }
    Some(index)
}

#[test]
fn default_values_give_the_rule_index_statuses() {
    let Some(index) = rule_index() else {
        common::skip("../shared/HARDENING.md is absent");
        return;
    };
    assert_eq!(index.len(), 59, "the rule index lists 59 IDs");
    let mut mismatches = Vec::new();
    for (i, version) in VERSIONS.iter().enumerate() {
        let Some(chart) = common::real_chart(version) else { return };
        let render = common::helm_template(&chart, &[]);
        let docs = parse_stream(&render).expect("real render parses");
        let info = ChartInfo::from_render(Some(&chart), &docs);
        assert_eq!(info.gloo_version.map(|v| v.to_string()).as_deref(), Some(*version));
        let results = evaluate(&docs, &info);
        for (id, expected) in &index {
            let got = results
                .iter()
                .find(|r| r.rule.id == id)
                .unwrap_or_else(|| panic!("rule {id} is not implemented"))
                .status();
            if got.as_str() != expected[i] {
                mismatches.push(format!(
                    "{id} on {version}: expected {}, got {}",
                    expected[i],
                    got.as_str()
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}

/// A check drops what no rule reads (`Keep::WhatRulesRead`); every rule must then say exactly
/// what it says on the whole documents, on every real chart with default, weak and hardened
/// values. A rule that starts reading a pruned kind fails here until the kind leaves
/// `KINDS_NO_RULE_READS`.
#[test]
fn pruning_what_no_rule_reads_changes_no_outcome() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for version in VERSIONS {
        let Some(chart) = common::real_chart(version) else { return };
        let hardened = if version == "1.13.39" { "hardened-1.13.yaml" } else { "hardened.yaml" };
        for values in [None, Some("weak.yaml"), Some(hardened)] {
            let path = values.map(|v| root.join("fixtures/values").join(v));
            let args: Vec<&str> =
                path.as_deref().map(|p| vec!["-f", p.to_str().unwrap()]).unwrap_or_default();
            let render = common::helm_template(&chart, &args);
            let whole =
                parse_stream_keeping(&render, Keep::Everything).expect("real render parses");
            let pruned =
                parse_stream_keeping(&render, Keep::WhatRulesRead).expect("real render parses");
            assert_eq!(whole.len(), pruned.len());
            // The whole check, as `check --all` reports it: chart facts, every rule's outcome,
            // the objects, fixes and where they go in the values file.
            let values_ctx = ValuesContext {
                files: path.iter().map(|p| ValuesFile::load(p).unwrap()).collect(),
                ..Default::default()
            };
            let report = |docs: &[helm_harden::parse::Doc]| -> serde_json::Value {
                let info = ChartInfo::from_render(Some(&chart), docs);
                serde_json::to_value(
                    &check(docs, info, &values_ctx, &Config::default(), "2026-01-01").findings,
                )
                .unwrap()
            };
            let (a, b) = (report(&whole), report(&pruned));
            assert!(a.as_array().unwrap().len() > 59, "every rule said something on {version}");
            assert_eq!(a, b, "gloo {version} with {values:?}: pruning changed an outcome");
        }
    }
}

/// On large renders the rules run on several threads; they must say exactly what they say on
/// one, in catalog order.
#[test]
fn rules_on_several_threads_say_what_they_say_on_one() {
    use helm_harden::check::evaluate_on;
    for version in VERSIONS {
        let Some(chart) = common::real_chart(version) else { return };
        let render = common::helm_template(&chart, &[]);
        let docs = parse_stream(&render).expect("real render parses");
        let info = ChartInfo::from_render(Some(&chart), &docs);
        let said = |threads: usize| -> Vec<String> {
            evaluate_on(&docs, &info, threads)
                .iter()
                .flat_map(|r| {
                    r.outcomes.iter().map(move |o| {
                        format!(
                            "{} {:?} {}/{} {:?} {}",
                            r.rule.id, o.status, o.doc.kind, o.doc.name, o.line, o.message
                        )
                    })
                })
                .collect()
        };
        let one = said(1);
        assert!(one.len() > 59, "every rule said something on {version}");
        assert_eq!(said(3), one, "gloo {version}: threads changed what the rules say");
    }
}

/// `ID -> [status on 1.17.38, status on 1.22.1]` from the rule index of HARDENING-KGW.md.
fn kube_gateway_index() -> Option<BTreeMap<String, [String; 2]>> {
    let spec = common::shared_charts()?.join("../HARDENING-KGW.md");
    let text = std::fs::read_to_string(spec).ok()?;
    let mut index = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 6 || !cells[1].starts_with("KGW-") {
            continue;
        }
        let defaults: Vec<String> = cells[4].split('/').map(|s| s.trim().to_string()).collect();
        let [on_1_17, on_1_22] = defaults.as_slice() else {
            panic!("unreadable defaults in {line}")
        };
        index.insert(cells[1].to_string(), [on_1_17.clone(), on_1_22.clone()]);
    }
    Some(index)
}

/// The KGW statuses of a real chart rendered with `args`, by rule ID.
fn kube_gateway_statuses(version: &str, args: &[&str]) -> Option<BTreeMap<String, String>> {
    let chart = common::real_chart(version)?;
    let render = common::helm_template(&chart, args);
    let docs = parse_stream(&render).expect("real render parses");
    let info = ChartInfo::from_render(Some(&chart), &docs);
    Some(
        evaluate(&docs, &info)
            .iter()
            .filter(|r| r.rule.id.starts_with("KGW-"))
            .map(|r| (r.rule.id.to_string(), r.status().as_str().to_string()))
            .collect(),
    )
}

/// With `--set kubeGateway.enabled=true`, every KGW rule's status is the one HARDENING-KGW.md's
/// rule index gives, on 1.17.38 and 1.22.1.
#[test]
fn kube_gateway_on_gives_the_kgw_index_statuses() {
    let Some(index) = kube_gateway_index() else {
        common::skip("../shared/HARDENING-KGW.md is absent");
        return;
    };
    assert_eq!(index.len(), 19, "the KGW rule index lists 19 IDs");
    let mut mismatches = Vec::new();
    for (i, version) in ["1.17.38", "1.22.1"].into_iter().enumerate() {
        let Some(got) = kube_gateway_statuses(version, &["--set", "kubeGateway.enabled=true"])
        else {
            return;
        };
        assert_eq!(got.len(), 19, "every KGW rule ran on {version}");
        for (id, expected) in &index {
            let status = got.get(id).unwrap_or_else(|| panic!("rule {id} is not implemented"));
            if *status != expected[i] {
                mismatches
                    .push(format!("{id} on {version}: expected {}, got {status}", expected[i]));
            }
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}

/// kubeGateway off (the charts' default), and chart 1.13.39, which has no kubeGateway mode even
/// when asked: every KGW rule is NA.
#[test]
fn kube_gateway_off_or_absent_leaves_every_kgw_rule_not_applicable() {
    for (version, args) in [
        ("1.13.39", vec!["--set", "kubeGateway.enabled=true"]),
        ("1.17.38", vec![]),
        ("1.22.1", vec![]),
    ] {
        let Some(got) = kube_gateway_statuses(version, &args) else { return };
        assert_eq!(got.len(), 19, "every KGW rule ran on {version}");
        let applicable: Vec<_> = got.iter().filter(|(_, s)| *s != "NA").collect();
        assert!(applicable.is_empty(), "{version} {args:?}: {applicable:?}");
    }
}
